/**
 * vrrp_track_process on a Switchyard node (priority 150) paired with Debian's keepalived 2.2.7
 * (priority 100) in network namespaces: the node is MASTER only while `quorum 2` processes match
 * (weight 0: no quorum is FAULT), gained after fork_delay, lost after terminate_delay. The tracked
 * processes are real `sleep` processes with an argument unique to this run (cmdline match).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { newTrackProcess } from '../packages/vrrp/src/conf/kw-track-process.ts';
import { countProcesses, paramsMatch } from '../packages/vrrp/src/track/index.ts';
import { needsRoot } from './helpers/system.ts';
import { instanceConf, Lab, waitFor, waitOutput } from './vrrp-lab.ts';

const TAG = `${process.pid}.${Date.now() % 100000}`;

function sleeper(): ChildProcess {
  return spawn('sleep', [`${TAG}`, '600'], { stdio: 'ignore' });
}

test('param_match and the /proc scan count real processes as keepalived matches them', async (t) => {
  const kids = [sleeper(), sleeper()];
  t.after(() => {
    for (const k of kids) k.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 300));
  const p = (over: Partial<ReturnType<typeof newTrackProcess>>) => ({
    ...newTrackProcess('p', { file: 'x', line: 1 }),
    ...over,
  });
  const exact = p({ process: 'sleep', params: [TAG, '600'], paramMatch: 'exact', fullCommand: true });
  const partial = p({ process: 'sleep', params: [TAG], paramMatch: 'partial', fullCommand: true });
  const initial = p({ process: 'sleep', params: [TAG.slice(0, 3)], paramMatch: 'initial', fullCommand: true });
  const tooShort = p({ process: 'sleep', params: [TAG], paramMatch: 'exact', fullCommand: true });
  const comm = p({ process: 'sleep' });
  const counts = await countProcesses([exact, partial, initial, tooShort, comm]);
  assert.deepEqual(counts.slice(0, 4), [2, 2, 2, 0]);
  assert.ok(counts[4] >= 2, 'comm match counts every sleep on the host');
  const b = (s: string) => Buffer.from(s.split(' ').join('\0') + '\0');
  assert.ok(paramsMatch(partial, b(`${TAG} 600`)));
  assert.ok(!paramsMatch(partial, b(`${TAG}x 600`)));
  assert.ok(paramsMatch(p({ params: ['ab'], paramMatch: 'initial' }), b('abc d')));
  assert.ok(!paramsMatch(p({ params: ['ab'], paramMatch: 'partial' }), b('abc d')));
});

test('track_process quorum: FAULT below quorum, MASTER after fork_delay, FAULT again after terminate_delay', {
  skip: needsRoot('ip', 'keepalived', 'arping', 'sleep'),
  timeout: 120_000,
}, async (t) => {
  const lab = new Lab('tproc', 207);
  const kids: ChildProcess[] = [];
  t.after(async () => {
    for (const k of kids) k.kill('SIGKILL');
    await lab.cleanup();
  });
  const sy = lab.node('sy', 1);
  const ka = lab.node('ka', 2);
  const vip = lab.addr(100);
  const syConf = instanceConf({ name: 'sy', priority: 150, vip, version: 3 })
    .replace(
      'vrrp_instance VI_1 {',
      `vrrp_track_process tp {\n  process sleep ${TAG}\n  param_match partial\n  quorum 2\n  fork_delay 1\n  terminate_delay 1\n}\nvrrp_instance VI_1 {`,
    )
    .replace('  virtual_ipaddress {', '  track_process {\n    tp\n  }\n  virtual_ipaddress {');
  kids.push(sleeper());
  const pSy = lab.sidecar(sy, 'SY', syConf);
  const pKa = lab.keepalived(ka, 'KA', instanceConf({ name: 'ka', priority: 100, vip, version: 3 }));
  const dump = () => `--- SY\n${pSy.output()}\n--- KA\n${pKa.output()}`;
  const on = (ns: string) => waitFor(() => lab.hasAddr(ns, vip) && !lab.hasAddr(ns === sy ? ka : sy, vip), 20_000);

  // One process of two: FAULT from the start, keepalived serves.
  assert.ok((await on(ka)) >= 0, `keepalived not MASTER while Switchyard lacks quorum\n${dump()}`);
  assert.ok(await waitOutput(pSy, /Entering FAULT STATE/), dump());
  // The second one: quorum gained after fork_delay, Switchyard preempts.
  const t0 = performance.now();
  kids.push(sleeper());
  assert.ok(await waitOutput(pSy, /Quorum gained for tracked process tp/, 10_000), dump());
  const gained = performance.now() - t0;
  assert.ok(gained >= 900, `quorum gained ${gained.toFixed(0)} ms after the fork, before fork_delay 1 s`);
  assert.ok((await on(sy)) >= 0, `Switchyard did not take over with quorum\n${dump()}`);
  // One exits: quorum lost after terminate_delay, FAULT, keepalived takes over.
  const t1 = performance.now();
  kids[0].kill('SIGKILL');
  assert.ok(await waitOutput(pSy, /Quorum lost for tracked process tp/, 10_000), dump());
  const lost = performance.now() - t1;
  assert.ok(lost >= 900, `quorum lost ${lost.toFixed(0)} ms after the exit, before terminate_delay 1 s`);
  assert.ok((await on(ka)) >= 0, `keepalived did not take over\n${dump()}`);
  t.diagnostic(`quorum gained ${gained.toFixed(0)} ms after the fork, lost ${lost.toFixed(0)} ms after the exit`);
});
