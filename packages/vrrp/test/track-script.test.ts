/** Real-time tests of the vrrp_script runner and of Tracking driving a target. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseKeepalivedConf } from '../src/conf/index.ts';
import type { VrrpScript } from '../src/conf/model.ts';
import { runOnce, ScriptTracker, Tracking } from '../src/track/index.ts';

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'sy-track-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A script that succeeds while FLAG exists. */
function flagScript(d: string): { script: string; flag: string } {
  const flag = join(d, 'ok');
  const script = join(d, 'check.sh');
  writeFileSync(script, `#!/bin/sh\ntest -e '${flag}'\n`);
  chmodSync(script, 0o755);
  return { script, flag };
}

function vs(argv: string[], over: Partial<VrrpScript> = {}): VrrpScript {
  return {
    name: 'chk',
    script: argv.join(' '),
    argv,
    interval: 0.1,
    timeout: 2,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    initFail: false,
    loc: { file: '/t.conf', line: 1 },
    ...over,
  };
}

test('runOnce: status 0 is success, others fail, a missing binary fails without throwing', async () => {
  assert.equal((await runOnce(['/bin/true'], 5000)).success, true);
  const f = await runOnce(['/bin/sh', '-c', 'exit 3'], 5000);
  assert.deepEqual([f.success, f.code, f.detail], [false, 3, 'exited with status 3']);
  const m = await runOnce(['/nonexistent/script'], 5000);
  assert.equal(m.success, false);
  assert.match(m.detail, /cannot run/);
});

test('runOnce: a script over its timeout is killed with its children and counts as failed', async (t) => {
  const d = tmp(t);
  const marker = join(d, 'child-survived');
  const r = await runOnce(['/bin/sh', '-c', `(sleep 1; touch '${marker}') & sleep 30`], 300);
  assert.equal(r.success, false);
  assert.match(r.detail, /timed out after 0.3s/);
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(existsSync(marker), false, 'the background child was killed with the group');
});

test('ScriptTracker: fall 2 / rise 2 on a real script toggled through a file', async (t) => {
  const d = tmp(t);
  const { script, flag } = flagScript(d);
  writeFileSync(flag, '');
  const logs: string[] = [];
  const tr = new ScriptTracker(vs([script], { rise: 2, fall: 2 }), { log: (m) => logs.push(m) });
  const changes: boolean[] = [];
  tr.on('change', (ok) => changes.push(ok));
  t.after(() => tr.stop());
  assert.equal(tr.pending, true);
  tr.start();
  await tr.settled();
  assert.equal(tr.ok, true, 'two successes decide it OK');
  unlinkSync(flag);
  await until(() => !tr.ok, 'script failed');
  writeFileSync(flag, '');
  await until(() => tr.ok, 'script recovered');
  assert.deepEqual(changes, [true, false, true]);
  assert.ok(
    logs.some((l) => /VRRP_Script\(chk\) failed \(exited with status 1\)/.test(l)),
    logs.join('\n'),
  );
  assert.ok(logs.includes('VRRP_Script(chk) succeeded'));
});

test('Tracking: weights move the effective priority, weight 0 faults, sync group members fault together', async (t) => {
  const d = tmp(t);
  const a = flagScript(join(d));
  const bDir = mkdtempSync(join(d, 'b'));
  const b = flagScript(bDir);
  writeFileSync(a.flag, '');
  writeFileSync(b.flag, '');
  const text = `
vrrp_script weighted {
  script "${a.script}"
  interval 1
  weight -30
}
vrrp_script fatal {
  script "${b.script}"
  interval 1
}
vrrp_instance V0 {
  interface lo_unused
  dont_track_primary
  virtual_router_id 3
  priority 100
  track_script {
    weighted
  }
}
vrrp_instance V1 {
  interface lo_unused
  dont_track_primary
  virtual_router_id 1
  priority 100
}
vrrp_instance V2 {
  interface lo_unused
  dont_track_primary
  virtual_router_id 2
  priority 90
}
vrrp_sync_group G {
  group {
    V1
    V2
  }
  track_script {
    fatal
  }
}
`;
  const { model } = parseKeepalivedConf(text, join(d, 'k.conf'));
  // Faster probes for the test than the config's 1 s (the runner honours any interval).
  for (const s of model.scripts) s.interval = 0.1;
  const prio = new Map<string, number>();
  const fault = new Map<string, boolean>();
  const tracking = new Tracking(model, {
    setEffectivePriority: (i, p) => prio.set(i, p),
    setFault: (i, f) => fault.set(i, f),
  });
  t.after(() => tracking.stop());
  await tracking.start();
  assert.deepEqual(
    [prio.get('V0'), prio.get('V1'), prio.get('V2'), fault.get('V0'), fault.get('V1'), fault.get('V2')],
    [100, 100, 90, false, false, false],
  );
  unlinkSync(a.flag);
  await until(() => prio.get('V0') === 70, 'V0 priority 70');
  assert.equal(fault.get('V0'), false);
  assert.equal(fault.get('V1'), false);
  unlinkSync(b.flag);
  await until(() => fault.get('V1') === true && fault.get('V2') === true, 'group fault');
  assert.equal(fault.get('V0'), false, 'outside the group');
  writeFileSync(b.flag, '');
  writeFileSync(a.flag, '');
  await until(() => fault.get('V1') === false && fault.get('V2') === false && prio.get('V0') === 100, 'recovery');
});

test('Tracking.start waits for the first script result: a failing unweighted script faults from the start', async (t) => {
  const d = tmp(t);
  const { script } = flagScript(d);
  const { model } = parseKeepalivedConf(
    `vrrp_script chk {\n script "${script}"\n}\nvrrp_instance V {\n interface x\n dont_track_primary\n virtual_router_id 1\n track_script {\n chk\n }\n}\n`,
    join(d, 'k.conf'),
  );
  const calls: string[] = [];
  const tracking = new Tracking(model, {
    setEffectivePriority: (i, p) => calls.push(`prio ${i} ${p}`),
    setFault: (i, f, why) => calls.push(`fault ${i} ${f} ${why}`),
  });
  t.after(() => tracking.stop());
  await tracking.start();
  // The very first state pushed already says FAULT: no window where the node could take the VIP.
  assert.deepEqual(calls.slice(0, 2), ['prio V 100', 'fault V true script chk failing']);
});
