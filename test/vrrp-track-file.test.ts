/**
 * track_file on a Switchyard node (priority 150) paired with Debian's keepalived 2.2.7 (priority
 * 100) in network namespaces: the file's number times the weight moves the priority and the VIP
 * follows the election; -254 puts the node in FAULT; garbage reads as 0 (strtol), as keepalived.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { instanceConf, Lab, waitFor, waitOutput } from './vrrp-lab.ts';

test('track_file moves a Switchyard node below and above keepalived, and FAULT at -254', {
  skip: needsRoot('ip', 'keepalived', 'arping'),
  timeout: 120_000,
}, async (t) => {
  const lab = new Lab('tfile', 205);
  t.after(() => lab.cleanup());
  const sy = lab.node('sy', 1);
  const ka = lab.node('ka', 2);
  const vip = lab.addr(100);
  const path = join(lab.dir, 'weight');
  writeFileSync(path, '0\n');
  const syConf = instanceConf({ name: 'sy', priority: 150, vip, version: 3 })
    .replace('vrrp_instance VI_1 {', `track_file tf {\n  file ${path}\n  weight -1\n}\nvrrp_instance VI_1 {`)
    .replace('  virtual_ipaddress {', '  track_file {\n    tf\n  }\n  virtual_ipaddress {');
  const pSy = lab.sidecar(sy, 'SY', syConf);
  const pKa = lab.keepalived(ka, 'KA', instanceConf({ name: 'ka', priority: 100, vip, version: 3 }));
  const dump = () => `--- SY\n${pSy.output()}\n--- KA\n${pKa.output()}`;
  const on = (ns: string) => waitFor(() => lab.hasAddr(ns, vip) && !lab.hasAddr(ns === sy ? ka : sy, vip), 20_000);

  assert.ok((await on(sy)) >= 0, `Switchyard (150) not MASTER\n${dump()}`);
  // 100 x -1: effective priority 50 < 100, keepalived preempts.
  writeFileSync(path, '100\n');
  assert.ok((await on(ka)) >= 0, `keepalived did not take over at priority 50\n${dump()}`);
  // Garbage is strtol's 0: back to 150, Switchyard preempts.
  writeFileSync(path, 'not a number\n');
  assert.ok((await on(sy)) >= 0, `Switchyard did not preempt back\n${dump()}`);
  // 0x10 = 16: 134 > 100, stays MASTER; 254 x -1 = -254 is FAULT.
  writeFileSync(path, '0x10');
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(lab.hasAddr(sy, vip), dump());
  writeFileSync(path, '254');
  assert.ok((await on(ka)) >= 0, `no FAULT at -254\n${dump()}`);
  assert.ok(await waitOutput(pSy, /Entering FAULT STATE/), dump());
  // Deleted: 0 again, out of FAULT, MASTER again.
  rmSync(path);
  assert.ok((await on(sy)) >= 0, `no recovery after the file was deleted\n${dump()}`);
  assert.doesNotMatch(pSy.output(), /packet dropped/);
});
