/**
 * Two Switchyard VRRP sidecars in network namespaces: election, SIGKILL failover, preemption,
 * nopreempt, SIGTERM handover through priority 0, and a burst of bad packets.
 * Root only (namespaces, raw sockets); takeover times are reported as diagnostics, not asserted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { instanceConf, Lab, ROOT, waitFor, waitOutput } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'arping');
const SKEW_100 = (156 / 256) * 1000;

test('pair: higher priority wins; SIGKILL -> backup takes over; restart preempts; SIGTERM hands over via priority 0', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const lab = new Lab('pair', 211);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const b = lab.node('b', 2);
  const vip = lab.addr(100);
  const confA = instanceConf({ name: 'a', priority: 150, vip, pass: 'secret', vipOpts: 'dev eth0 label eth0:vip' });
  const confB = instanceConf({ name: 'b', priority: 100, vip, pass: 'secret' });
  const pa = lab.sidecar(a, 'A', confA);
  const pb = lab.sidecar(b, 'B', confB);

  assert.ok((await waitFor(() => lab.hasAddr(a, vip), 20_000)) >= 0, `A never became MASTER:\n${pa.output()}`);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(lab.hasAddr(b, vip), false, 'only the MASTER holds the VIP');
  assert.match(
    lab.addrLine(a, vip),
    /inet 192\.168\.211\.100\/32 scope global eth0:vip/,
    'prefix, dev and label applied',
  );

  await lab.kill(pa, 'SIGKILL');
  const takeover = await waitFor(() => lab.hasAddr(b, vip), 20_000);
  assert.ok(takeover >= 0, `B never took over:\n${pb.output()}`);
  t.diagnostic(
    `SIGKILL takeover ${takeover.toFixed(0)} ms (3 x advert_int + skew = ${(3000 + SKEW_100).toFixed(0)} ms)`,
  );

  const pa2 = lab.sidecar(a, 'A2', confA);
  // The killed A left its VIP behind; the restarted one clears it, then preempts.
  await waitFor(() => /Entering MASTER STATE/.test(pa2.output()), 20_000);
  assert.ok(
    (await waitFor(() => lab.hasAddr(a, vip) && !lab.hasAddr(b, vip), 20_000)) >= 0,
    `A did not preempt back:\n${pa2.output()}\n${pb.output()}`,
  );
  assert.ok(await waitOutput(pa2, /Entering MASTER STATE/), `A2:\n${pa2.output()}\nB:\n${pb.output()}`);
  assert.ok(await waitOutput(pb, /Entering BACKUP STATE \(higher priority 150 advert\)/), pb.output());

  const t0 = performance.now();
  const code = await lab.kill(pa2, 'SIGTERM');
  assert.equal(code, 0, 'SIGTERM exits 0');
  assert.equal(lab.hasAddr(a, vip), false, 'VIP removed on stop');
  const handover = await waitFor(() => lab.hasAddr(b, vip), 20_000);
  assert.ok(handover >= 0, `B did not take over after priority 0:\n${pb.output()}`);
  assert.ok(await waitOutput(pb, /Backup received priority 0 advertisement/), pb.output());
  t.diagnostic(`SIGTERM handover ${(performance.now() - t0).toFixed(0)} ms (skew = ${SKEW_100.toFixed(0)} ms)`);
  assert.doesNotMatch(pb.output() + pa2.output(), /packet dropped/);
});

test('pair: nopreempt keeps the current MASTER when a higher priority node returns', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const lab = new Lab('nopre', 212);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const b = lab.node('b', 2);
  const vip = lab.addr(100);
  const pb = lab.sidecar(b, 'B', instanceConf({ name: 'b', priority: 100, vip, nopreempt: true }));
  assert.ok((await waitFor(() => lab.hasAddr(b, vip), 20_000)) >= 0, pb.output());
  const pa = lab.sidecar(a, 'A', instanceConf({ name: 'a', priority: 150, vip, nopreempt: true }));
  // Long enough for A's Master_Down_Interval (3.4 s) to pass several times over.
  await new Promise((r) => setTimeout(r, 8000));
  assert.equal(lab.hasAddr(a, vip), false, `A preempted despite nopreempt:\n${pa.output()}`);
  assert.equal(lab.hasAddr(b, vip), true);
  assert.doesNotMatch(pa.output(), /Entering MASTER STATE/);
});

test('pair: a burst of malformed and mismatching adverts is dropped with reasons; the MASTER stays', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const lab = new Lab('bad', 213);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const x = lab.node('x', 9);
  const vip = lab.addr(100);
  const pa = lab.sidecar(a, 'A', instanceConf({ name: 'a', priority: 150, vip, pass: 'secret' }));
  assert.ok((await waitFor(() => lab.hasAddr(a, vip), 20_000)) >= 0, pa.output());
  const inj = lab.spawn(x, 'inject', process.execPath, [
    '--import',
    'tsx',
    join(ROOT, 'test/vrrp-inject-bin.ts'),
    lab.addr(9),
    vip,
    '600',
  ]);
  assert.equal(await inj.exited, 0, inj.output());
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(pa.child.exitCode, null, `sidecar died:\n${pa.output()}`);
  assert.ok(lab.hasAddr(a, vip), 'still MASTER');
  const out = pa.output();
  for (const code of ['ttl', 'auth-pass', 'checksum', 'advert-int', 'length']) {
    assert.match(out, new RegExp(`packet dropped \\[${code}\\]`), `no drop logged for ${code}`);
  }
  // Rate limited: 600 bad packets produce a handful of lines, not hundreds.
  const lines = out.split('\n').filter((l) => l.includes('packet dropped')).length;
  assert.ok(lines < 40, `${lines} drop lines`);
  assert.doesNotMatch(out, /Entering BACKUP STATE \(higher/);
});

test('pair: two instances in a vrrp_sync_group on one interface move together', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const lab = new Lab('sync', 214);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const b = lab.node('b', 2);
  const vip1 = lab.addr(100);
  const vip2 = lab.addr(101);
  const conf = (name: string, priority: number) => {
    const one = instanceConf({ name, priority, vip: vip1 });
    const two = instanceConf({ name, priority, vip: vip2, vrid: 52 })
      .replace(/^global_defs \{[\s\S]*?\n\}\n/, '')
      .replace('vrrp_instance VI_1', 'vrrp_instance VI_2');
    return `${one}${two}vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n`;
  };
  const pa = lab.sidecar(a, 'A', conf('a', 150));
  const pb = lab.sidecar(b, 'B', conf('b', 100));
  const both = (ns: string) => lab.hasAddr(ns, vip1) && lab.hasAddr(ns, vip2);
  assert.ok((await waitFor(() => both(a), 20_000)) >= 0, pa.output());
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!lab.hasAddr(b, vip1) && !lab.hasAddr(b, vip2), pb.output());
  assert.equal(await lab.kill(pa, 'SIGTERM'), 0);
  assert.ok((await waitFor(() => both(b), 20_000)) >= 0, pb.output());
  // Each instance's socket sees the other VRID's adverts: ignored, never a drop.
  assert.doesNotMatch(pa.output() + pb.output(), /packet dropped/);
  assert.ok(await waitOutput(pb, /ignoring advert from 192\.168\.214\.1 for VRID 5[12]/), pb.output());
});

test('pair: SIGHUP reload keeps an unchanged MASTER; a lowered priority applies in place and the VIP moves', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const lab = new Lab('hup', 215);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const b = lab.node('b', 2);
  const vip = lab.addr(100);
  const pa = lab.sidecar(a, 'A', instanceConf({ name: 'a', priority: 150, vip }));
  const pb = lab.sidecar(b, 'B', instanceConf({ name: 'b', priority: 100, vip }));
  assert.ok((await waitFor(() => lab.hasAddr(a, vip), 20_000)) >= 0, pa.output());

  pa.child.kill('SIGHUP');
  assert.ok((await waitFor(() => /reloaded: kept \[VI_1\]/.test(pa.output()), 10_000)) >= 0, pa.output());
  await new Promise((r) => setTimeout(r, 4500));
  assert.ok(
    lab.hasAddr(a, vip) && !lab.hasAddr(b, vip),
    `unchanged reload moved the VIP\n${pa.output()}\n${pb.output()}`,
  );
  assert.equal(pa.output().match(/Entering MASTER STATE/g)?.length, 1, 'no state change on an unchanged reload');

  // Only the priority changes: applied in place, as keepalived; the election moves the VIP.
  lab.file('A.conf', instanceConf({ name: 'a', priority: 50, vip }));
  pa.child.kill('SIGHUP');
  assert.ok(await waitOutput(pa, /reloaded: kept \[VI_1\], priority changed \[VI_1 150->50\]/), pa.output());
  assert.ok((await waitFor(() => lab.hasAddr(b, vip) && !lab.hasAddr(a, vip), 20_000)) >= 0, pa.output() + pb.output());
  assert.ok(await waitOutput(pb, /received lower priority \(50\) advert - discarding/), pb.output());
  assert.ok(await waitOutput(pa, /Entering BACKUP STATE \(higher priority 100 advert\)/), pa.output());

  // Any other change restarts the instance (here the GARP delay).
  lab.file(
    'A.conf',
    instanceConf({ name: 'a', priority: 50, vip }).replace('vrrp_garp_master_delay 1', 'vrrp_garp_master_delay 2'),
  );
  pa.child.kill('SIGHUP');
  assert.ok(await waitOutput(pa, /restarted or started \[VI_1\], stopped \[VI_1\]/), pa.output());
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(lab.hasAddr(b, vip) && !lab.hasAddr(a, vip), pa.output() + pb.output());
  assert.equal(pa.child.exitCode, null, 'still running');
});
