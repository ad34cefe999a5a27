/**
 * Differential test against Debian's keepalived 2.2.7: for every seed and crafted fixture, the set of
 * lines `keepalived -t` warns about equals the set of lines we report (keepalived-equivalent
 * diagnostics only: Switchyard's own notes and end-of-config messages keepalived prints without a
 * line are left out), and the exit status is the same. Lines inside LVS sections, which keepalived's
 * checker process parses and Switchyard skips as a whole, are left out of keepalived's set.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { KEEPALIVED_SEEDS, seed } from '../../../test/helpers/seeds.ts';
import { findBinary, needs } from '../../../test/helpers/system.ts';
import { checkConfig } from '../src/conf/index.ts';

const dir = join(import.meta.dirname, 'fixtures', 'keepalived');
/** The crafted fixtures of this package, then the seeds users wrote (test/fixtures/seeds). */
const fixtures = [
  ...readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => join(dir, f)),
  ...KEEPALIVED_SEEDS.map(seed),
];

/** Line ranges of `virtual_server` / `virtual_server_group` blocks (brace counting). */
function lvsLines(text: string): Set<number> {
  const out = new Set<number>();
  const lines = text.split('\n');
  let depth = 0;
  let inside = false;
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i].replace(/[#!].*$/, '');
    if (!inside && /^\s*virtual_server(_group)?\b/.test(code)) inside = true;
    if (!inside) continue;
    out.add(i + 1);
    for (const c of code) {
      if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    if (depth <= 0 && code.includes('}')) inside = false;
  }
  return out;
}

function keepalivedLines(file: string): { lines: Set<number>; status: number } {
  const bin = findBinary('keepalived')!;
  const r = spawnSync(bin, ['-t', '-f', file, '-l', '-D', '-n'], { encoding: 'utf8', timeout: 60_000 });
  const lines = new Set<number>();
  const skip = lvsLines(readFileSync(file, 'utf8'));
  for (const l of `${r.stdout}\n${r.stderr}`.split('\n')) {
    const m = /^\((?:[^)]*: )?Line (\d+)\)/.exec(l);
    if (m && !skip.has(Number(m[1]))) lines.add(Number(m[1]));
  }
  return { lines, status: r.status ?? -1 };
}

for (const file of fixtures) {
  const f = basename(file);
  test(`keepalived -t and Switchyard report the same lines: ${f}`, { skip: needs('keepalived') }, () => {
    const ka = keepalivedLines(file);
    const ours = checkConfig(file);
    const mine = new Set(
      ours.diagnostics
        .filter((d) => d.loc && !d.unlined && !d.code.startsWith('SY_') && d.loc.file === file)
        .map((d) => d.loc!.line),
    );
    const sort = (s: Set<number>) => [...s].sort((a, b) => a - b);
    assert.deepEqual(sort(mine), sort(ka.lines), `lines differ for ${f}:\n${ours.lines.join('\n')}`);
    assert.equal(ours.exitCode, ka.status, `exit status differs for ${f}:\n${ours.lines.join('\n')}`);
  });
}

test('the broken-nesting seed warns at lines 8, 9 and 30 exactly as keepalived 2.2.7', () => {
  const r = checkConfig(seed('keepalived-track-haproxy.conf'));
  const lined = r.diagnostics.filter((d) => d.loc && !d.unlined).map((d) => [d.loc!.line, d.message]);
  assert.deepEqual(lined, [
    [8, "Unknown keyword 'global_defs'"],
    [8, "Unexpected '{' - ignoring"],
    [9, "Unknown keyword 'router_id'"],
    [30, "Unknown keyword '}'"],
  ]);
  // Recovery as keepalived: the vrrp_script block ends at line 10, the instance is parsed whole,
  // router_id (inside the broken block) is lost.
  assert.equal(r.model.globalDefs.routerId, undefined);
  assert.equal(r.model.instances.length, 1);
  const vi = r.model.instances[0];
  assert.equal(vi.name, 'VI_1');
  assert.equal(vi.priority, 150);
  assert.equal(vi.virtualRouterId, 51);
  assert.deepEqual(
    vi.virtualIpaddresses.map((v) => v.address),
    ['192.168.1.200'],
  );
  assert.equal(r.model.scripts[0].name, 'chk_http_port');
  assert.equal(r.model.scripts[0].weight, 2);
  assert.equal(r.model.scripts[0].interval, 2);
});
