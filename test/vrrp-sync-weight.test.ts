/**
 * sync_group_tracking_weight against Debian's keepalived 2.2.7 in network namespaces: a Switchyard
 * node (priority 150) and a keepalived node (100), each with VI_1 and VI_2 in a sync group. On the
 * Switchyard node both members track a script with weight -60. With sync_group_tracking_weight the
 * failing script lowers both to 90 and keepalived takes the group; when the script passes again
 * Switchyard preempts it back. Without the keyword the weights are dropped (keepalived's message,
 * printed by both -t) and the script cannot move anything. (A weight on one member only would not
 * move the group in either program: the other member's master keeps advertising 150, and a sync
 * group goes MASTER only when all its members can.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { instanceConf, Lab, ROOT, waitFor } from './vrrp-lab.ts';

/** Two instances (VRIDs 51, 52) in sync group G; `group` and `script` are extra lines. */
function pairConf(name: string, priority: number, vips: string[], o: { group?: string; script?: string } = {}) {
  const one = instanceConf({ name, priority, vip: vips[0], extra: o.script ? '  track_script {\n    chk\n  }' : '' });
  const two = instanceConf({
    name,
    priority,
    vip: vips[1],
    vrid: 52,
    extra: o.script ? '  track_script {\n    chk\n  }' : '',
  })
    .replace(/^global_defs \{[\s\S]*?\n\}\n/, '')
    .replace('vrrp_instance VI_1', 'vrrp_instance VI_2');
  const script = o.script ? `vrrp_script chk {\n  script "${o.script}"\n  interval 1\n  weight -60\n}\n` : '';
  const globals = one.replace(/\n\}\n[\s\S]*$/, '\n  enable_script_security\n  script_user root\n}\n');
  const rest = one.slice(one.indexOf('vrrp_instance'));
  return `${globals}${script}${rest}${two}vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n${o.group ?? ''}}\n`;
}

test('-t: without sync_group_tracking_weight a member drops its weighted script, as keepalived', {
  skip: needsRoot('ip', 'keepalived'),
}, (t) => {
  const lab = new Lab('sgwt', 216);
  t.after(() => lab.cleanup());
  const ns = lab.node('n', 1);
  const vips = [lab.addr(100), lab.addr(101)];
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };
  for (const group of ['', '  sync_group_tracking_weight\n', '  global_tracking\n']) {
    const f = lab.file('t.conf', pairConf('sy', 150, vips, { group, script: '/bin/true' }));
    const ka = run('keepalived', ['-t', '-f', f, '-l', '-D', '-n']);
    const sy = run(process.execPath, [join(ROOT, 'packages/cli/bin/switchyard.mjs'), 'vrrp', '-t', '-f', f]);
    const msg = /\(VI_2\) ignoring tracked script chk with weights due to SYNC group/;
    assert.equal(msg.test(ka), group === '', `${group}\n${ka}`);
    assert.equal(msg.test(sy), group === '', `${group}\n${sy}`);
  }
});

test('sync_group_tracking_weight: a weighted script moves the whole group to keepalived and back', {
  skip: needsRoot('ip', 'keepalived', 'arping'),
  timeout: 120_000,
}, async (t) => {
  const lab = new Lab('sgw', 216);
  t.after(() => lab.cleanup());
  const sy = lab.node('sy', 1);
  const ka = lab.node('ka', 2);
  const vips = [lab.addr(100), lab.addr(101)];
  const flag = join(lab.dir, 'fail');
  const group = '  sync_group_tracking_weight\n';
  const pSy = lab.sidecar(sy, 'SY', pairConf('sy', 150, vips, { group, script: `/usr/bin/test ! -e ${flag}` }));
  const pKa = lab.keepalived(ka, 'KA', pairConf('ka', 100, vips));
  const dump = () => `--- SY\n${pSy.output()}\n--- KA\n${pKa.output()}`;
  const holds = (ns: string) => vips.every((v) => lab.hasAddr(ns, v));
  const only = (ns: string, other: string) => holds(ns) && vips.every((v) => !lab.hasAddr(other, v));

  assert.ok((await waitFor(() => only(sy, ka), 30_000)) >= 0, `Switchyard (150) does not hold both VIPs\n${dump()}`);
  writeFileSync(flag, '');
  assert.ok((await waitFor(() => only(ka, sy), 30_000)) >= 0, `the group did not move at priority 90\n${dump()}`);
  rmSync(flag);
  assert.ok((await waitFor(() => only(sy, ka), 30_000)) >= 0, `the group did not come back at 150\n${dump()}`);
  assert.doesNotMatch(pSy.output(), /packet dropped/);
});
