/**
 * Differential check of the keyword table (packages/vrrp/README.md) against Debian's keepalived
 * 2.2.7: every row's example, in a whole file, through `keepalived -t -f` and `switchyard vrrp -t`
 * in a network namespace with eth0 (10.0.0.1/24) and eth1. keepalived must accept the example (no
 * "Unknown keyword"); a works or warned row exits with keepalived's status from both; a refused row
 * makes `switchyard vrrp -t` exit 1 with the refusal on the example's line. Switchyard's own
 * extensions (unknown to keepalived) are left out; LVS rows are checked for acceptance only.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { readKeywordTable, rowConfig } from '../packages/vrrp/test/keyword-table.ts';
import { needsRoot } from './helpers/system.ts';
import { Lab, ROOT } from './vrrp-lab.ts';

const EXTENSIONS = new Set(['track_proxy', 'switchyard_socket']);
/** LVS blocks are keepalived's checker's: Switchyard skips them whole, so what keepalived says about their content is not compared (as in conf-differential). */
const LVS = new Set(['virtual_server', 'virtual_server_group']);

function run(ns: string, cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test('keepalived -t and switchyard vrrp -t agree with the keyword table on every row', {
  skip: needsRoot('ip', 'keepalived'),
  timeout: 600_000,
}, async (t) => {
  const lab = new Lab('kw', 211);
  t.after(() => lab.cleanup());
  const ns = lab.node('n', 1);
  execFileSync('ip', ['-n', ns, 'addr', 'add', '10.0.0.1/24', 'dev', 'eth0']);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'eth1', 'up']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'eth1p', 'up']);
  const rows = readKeywordTable().filter((r) => r.block !== 'track_proxy' && !EXTENSIONS.has(r.keyword));
  const wrong: string[] = [];
  let refused = 0;
  for (const [i, row] of rows.entries()) {
    const { text, line } = rowConfig(row, lab.dir);
    const file = lab.file(`row${i}.conf`, text);
    const ka = run(ns, 'keepalived', ['-t', '-f', file, '-l', '-D', '-n']);
    const sy = run(ns, process.execPath, [join(ROOT, 'packages/cli/bin/switchyard.mjs'), 'vrrp', '-t', '-f', file]);
    const what = `${row.block} \`${row.example}\` (${row.status}, line ${line})`;
    const dump = `\n--- keepalived (${ka.status})\n${ka.out}--- switchyard (${sy.status})\n${sy.out}`;
    if (ka.out.includes(`Unknown keyword '${row.keyword}'`)) wrong.push(`${what}: keepalived does not know it${dump}`);
    if (row.status === 'refused') {
      refused++;
      if (sy.status !== 1 || !sy.out.includes(`: Line ${line}) Switchyard refuses to start:`))
        wrong.push(`${what}: not refused on its line${dump}`);
    } else if (sy.status !== ka.status && !(row.block === 'root' && LVS.has(row.keyword)))
      wrong.push(`${what}: exit statuses differ${dump}`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(refused > 50 && rows.length - refused > 150, `${rows.length} rows, ${refused} refused`);
});
