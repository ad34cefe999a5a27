/**
 * Compares Switchyard's parser with the real HAProxy 2.6 (`haproxy -c`): configs HAProxy accepts are
 * accepted here without errors, configs it refuses are refused here at the same line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFiles } from '@switchyard/config';
import { seed } from '../../../test/helpers/seeds.ts';
import { findBinary, needs } from '../../../test/helpers/system.ts';

const DIR = fileURLToPath(new URL('./fixtures/compat/', import.meta.url));
const SEED = seed('haproxy-1.4-seed.cfg');

function haproxyCheck(file: string): { status: number | null; out: string } {
  const r = spawnSync(findBinary('haproxy')!, ['-c', '-f', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Lines HAProxy reports as `[file:LINE]` in its alerts. */
function alertLines(out: string): number[] {
  return [...out.matchAll(/\[ALERT\].*?\[[^\]]*?:(\d+)\]/g)].map((m) => Number(m[1]));
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.cfg'))
  .sort();

for (const f of files.filter((x) => !x.startsWith('bad-') && !x.startsWith('warn-'))) {
  test(`haproxy -c and Switchyard both accept ${f}`, { skip: needs('haproxy') }, () => {
    const h = haproxyCheck(join(DIR, f));
    assert.equal(h.status, 0, h.out);
    assert.match(h.out, /Configuration file is valid/);
    const r = loadConfigFiles([join(DIR, f)]);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.ok(r.model.proxies.length > 0);
  });
}

for (const f of files.filter((x) => x.startsWith('bad-'))) {
  test(`haproxy -c and Switchyard both refuse ${f}`, { skip: needs('haproxy') }, () => {
    const h = haproxyCheck(join(DIR, f));
    assert.notEqual(h.status, 0, h.out);
    const errors = loadConfigFiles([join(DIR, f)]).diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length > 0, `Switchyard accepted ${f}`);
    // Where HAProxy names a line, Switchyard reports the same one.
    for (const line of alertLines(h.out)) {
      assert.ok(
        errors.some((e) => e.loc.line === line),
        `HAProxy alerts at line ${line}, Switchyard at ${errors.map((e) => e.loc.line)}`,
      );
    }
  });
}

for (const f of files.filter((x) => x.startsWith('warn-'))) {
  test(`haproxy -c and Switchyard both accept ${f} with the same warnings`, { skip: needs('haproxy') }, () => {
    const h = haproxyCheck(join(DIR, f));
    assert.equal(h.status, 0, h.out);
    const r = loadConfigFiles([join(DIR, f)]);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
    const theirs = h.out.split('\n').filter((l) => l.startsWith('[WARNING]'));
    assert.ok(theirs.length > 0, h.out);
    for (const w of theirs) {
      const line = /\[[^\]]*?:(\d+)\]/.exec(w)?.[1];
      const name = /(?:frontend|backend|listen) '([^']+)'/.exec(w)?.[1];
      const ok = line
        ? warnings.some((d) => d.loc.line === Number(line))
        : warnings.some((d) => name !== undefined && d.message.includes(`'${name}'`));
      assert.ok(ok, `HAProxy warns '${w}', Switchyard does not: ${JSON.stringify(warnings)}`);
    }
  });
}

const DEBIAN = '/etc/haproxy/haproxy.cfg';
const SITE = fileURLToPath(new URL('./fixtures/debian/site.cfg', import.meta.url));

test("Debian's shipped haproxy.cfg plus a site file (-f a -f b): both accept, errorfiles loaded", {
  skip: needs('haproxy') || (!existsSync(DEBIAN) && `no ${DEBIAN}`),
}, () => {
  const h = spawnSync(findBinary('haproxy')!, ['-c', '-f', DEBIAN, '-f', SITE], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(h.status, 0, `${h.stdout}${h.stderr}`);
  const r = loadConfigFiles([DEBIAN, SITE]);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  // Only the process-level keywords warn (chroot, user, group, daemon, ssl-default-bind-*).
  assert.ok(
    r.diagnostics.every((d) => d.code === 'CFG_IGNORED_KEYWORD' && d.loc.file === DEBIAN),
    JSON.stringify(r.diagnostics),
  );
  const web = r.model.proxies.find((p) => p.name === 'web')!;
  assert.deepEqual(Object.keys(web.errorFiles).sort(), ['400', '403', '408', '500', '502', '503', '504']);
  assert.match(web.errorFiles[503], /^HTTP\/1\.0 503/);
  assert.equal(web.timeouts.server, 50000);
  assert.equal(r.model.global.statsSockets[0]?.level, 'admin');
});

test('the 1.4 seed: HAProxy 2.6 refuses it, Switchyard accepts it with warnings (a documented difference)', {
  skip: needs('haproxy'),
}, () => {
  const h = haproxyCheck(SEED);
  assert.notEqual(h.status, 0);
  assert.match(h.out, /'contimeout' directive is not supported anymore/);
  const r = loadConfigFiles([SEED]);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  // Every line HAProxy alerts on (user/group, nbproc, legacy timeouts) gets a Switchyard warning instead.
  const lines = alertLines(h.out);
  assert.ok(lines.includes(12) && lines.includes(13) && lines.includes(14), h.out);
  for (const line of lines) {
    assert.ok(
      r.diagnostics.some((d) => d.loc.line === line && d.severity === 'warning'),
      `no warning at line ${line}`,
    );
  }
});
