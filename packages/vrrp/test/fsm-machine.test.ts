import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, FakeClock, type FsmConfig, realClock, VrrpMachine, type VrrpState } from '../src/fsm/index.ts';

interface Rec {
  m: VrrpMachine;
  sent: number[];
  states: VrrpState[];
  vips: boolean;
}

function machine(
  clock: Clock,
  over: Partial<FsmConfig> = {},
  onState?: (m: VrrpMachine, from: VrrpState, to: VrrpState) => void,
): Rec {
  const r: Rec = { m: undefined as unknown as VrrpMachine, sent: [], states: [], vips: false };
  r.m = new VrrpMachine(
    {
      name: 'VI_1',
      version: 2,
      priority: 100,
      advertIntCs: 100,
      initialMaster: false,
      nopreempt: false,
      preemptDelayMs: 0,
      primaryAddr: 0x0a000001,
      ...over,
    },
    clock,
    {
      sendAdvert: (p) => r.sent.push(p),
      becomeMaster: () => (r.vips = true),
      leaveMaster: () => (r.vips = false),
      stateChanged: (from, to) => {
        r.states.push(to);
        onState?.(r.m, from, to);
      },
      log: () => {},
    },
  );
  return r;
}

const PEER_HI = 0x0a000002;
const PEER_LO = 0x0a000000;

test('skew and Master_Down_Interval: v2 (256-p)/256 s, v3 in centiseconds of the master interval', () => {
  const c = new FakeClock();
  assert.equal(machine(c, { priority: 100 }).m.masterDownMs(), 3000 + (156 * 1000) / 256);
  const v3 = machine(c, { version: 3, priority: 100, advertIntCs: 100 }).m;
  assert.equal(v3.skewMs(), Math.floor((156 * 100) / 256) * 10);
  assert.equal(v3.masterDownMs(), 3000 + 600);
});

test('backup becomes master after Master_Down_Interval without adverts, and adverts every interval', () => {
  const c = new FakeClock();
  const r = machine(c);
  r.m.start();
  assert.equal(r.m.state, 'BACKUP');
  c.advance(3608);
  assert.equal(r.m.state, 'BACKUP');
  c.advance(2);
  assert.equal(r.m.state, 'MASTER');
  assert.ok(r.vips);
  assert.deepEqual(r.sent, [100]);
  c.advance(3000);
  assert.deepEqual(r.sent, [100, 100, 100, 100]);
});

test('adverts from a higher priority master keep us BACKUP', () => {
  const c = new FakeClock();
  const r = machine(c);
  r.m.start();
  for (let i = 0; i < 10; i++) {
    c.advance(1000);
    r.m.receive({ priority: 150, src: PEER_LO, advertIntCs: 100 });
  }
  assert.equal(r.m.state, 'BACKUP');
  assert.deepEqual(r.sent, []);
});

test('priority 0 from the master: backup takes over after skew time only', () => {
  const c = new FakeClock();
  const r = machine(c, { priority: 100 });
  r.m.start();
  c.advance(1000);
  r.m.receive({ priority: 150, src: PEER_HI, advertIntCs: 100 });
  r.m.receive({ priority: 0, src: PEER_HI, advertIntCs: 100 });
  c.advance(600);
  assert.equal(r.m.state, 'BACKUP');
  c.advance(10);
  assert.equal(r.m.state, 'MASTER');
});

test('master preempted by higher priority; lower priority forces a new election (advert sent at once)', () => {
  const c = new FakeClock();
  const r = machine(c, { priority: 255 });
  r.m.start();
  assert.equal(r.m.state, 'MASTER', 'address owner goes MASTER at once');
  const before = r.sent.length;
  r.m.receive({ priority: 100, src: PEER_HI, advertIntCs: 100 });
  assert.equal(r.sent.length, before + 1);
  assert.equal(r.m.state, 'MASTER');

  const c2 = new FakeClock();
  const r2 = machine(c2, { priority: 100 });
  r2.m.start();
  c2.advance(4000);
  assert.equal(r2.m.state, 'MASTER');
  r2.m.receive({ priority: 200, src: PEER_LO, advertIntCs: 100 });
  assert.equal(r2.m.state, 'BACKUP');
  assert.equal(r2.vips, false);
});

test('equal priority: the higher primary address wins', () => {
  const c = new FakeClock();
  const r = machine(c);
  r.m.start();
  c.advance(4000);
  r.m.receive({ priority: 100, src: PEER_LO, advertIntCs: 100 });
  assert.equal(r.m.state, 'MASTER');
  r.m.receive({ priority: 100, src: PEER_HI, advertIntCs: 100 });
  assert.equal(r.m.state, 'BACKUP');
});

test('preemption: a higher priority backup ignores a lower master and takes over; nopreempt does not', () => {
  for (const nopreempt of [false, true]) {
    const c = new FakeClock();
    const r = machine(c, { priority: 200, nopreempt });
    r.m.start();
    for (let i = 0; i < 8; i++) {
      c.advance(1000);
      r.m.receive({ priority: 100, src: PEER_HI, advertIntCs: 100 });
    }
    assert.equal(r.m.state, nopreempt ? 'BACKUP' : 'MASTER', `nopreempt=${nopreempt}`);
  }
});

test('preempt_delay: lower adverts are honoured for the delay, then preemption happens', () => {
  const c = new FakeClock();
  const r = machine(c, { priority: 200, preemptDelayMs: 5000 });
  r.m.start();
  let masterAt = -1;
  for (let t = 1; t <= 12; t++) {
    c.advance(1000);
    if (r.m.state === 'MASTER' && masterAt < 0) masterAt = t;
    if (r.m.state === 'BACKUP') r.m.receive({ priority: 100, src: PEER_HI, advertIntCs: 100 });
  }
  assert.equal(r.m.state, 'MASTER');
  // Delay 5 s from the first lower advert (t=1), then the down timer (3 s + skew) runs out.
  assert.ok(masterAt >= 8 && masterAt <= 10, `master at ${masterAt}s`);
});

test('v3 backup adopts the master advert interval', () => {
  const c = new FakeClock();
  const r = machine(c, { version: 3, advertIntCs: 100 });
  r.m.start();
  r.m.receive({ priority: 150, src: PEER_HI, advertIntCs: 50 });
  assert.equal(r.m.masterAdvertIntCs, 50);
  // 3 x 500 ms + skew ((256-100) x 50 / 256 = 30 cs).
  c.advance(1790);
  assert.equal(r.m.state, 'BACKUP');
  c.advance(20);
  assert.equal(r.m.state, 'MASTER');
  assert.equal(r.m.masterAdvertIntCs, 100, 'master uses its own interval');
});

test('state MASTER (not owner) starts BACKUP and waits the full Master_Down_Interval, as keepalived 2.2.7', () => {
  const c = new FakeClock();
  const r = machine(c, { initialMaster: true });
  r.m.start();
  assert.equal(r.m.state, 'BACKUP');
  c.advance(3600);
  assert.equal(r.m.state, 'BACKUP');
  c.advance(10);
  assert.equal(r.m.state, 'MASTER');
});

test('fault: master sends priority 0 and drops VIPs; recovery returns to BACKUP', () => {
  const c = new FakeClock();
  const r = machine(c);
  r.m.start();
  c.advance(4000);
  assert.equal(r.m.state, 'MASTER');
  r.m.setFault(true, 'track_script chk down');
  assert.equal(r.m.state, 'FAULT');
  assert.equal(r.sent.at(-1), 0);
  assert.equal(r.vips, false);
  c.advance(10000);
  assert.equal(r.m.state, 'FAULT');
  r.m.setFault(false);
  assert.equal(r.m.state, 'BACKUP');
  c.advance(4000);
  assert.equal(r.m.state, 'MASTER');
});

test('effective priority is advertised; stop sends priority 0', () => {
  const c = new FakeClock();
  const r = machine(c);
  r.m.start();
  c.advance(4000);
  r.m.setEffectivePriority(90);
  c.advance(1000);
  assert.equal(r.sent.at(-1), 90);
  r.m.stop();
  assert.equal(r.sent.at(-1), 0);
  assert.equal(r.m.state, 'STOP');
  assert.equal(r.vips, false);
});

test('real time: a lone backup with a 10 cs v3 interval becomes MASTER within a few seconds', async () => {
  const r = machine(realClock, { version: 3, advertIntCs: 10, priority: 200 });
  const t0 = performance.now();
  r.m.start();
  while (r.m.state !== 'MASTER' && performance.now() - t0 < 10_000) await new Promise((res) => setTimeout(res, 20));
  assert.equal(r.m.state, 'MASTER');
  await new Promise((res) => setTimeout(res, 250));
  assert.ok(r.sent.length >= 2, 'keeps advertising');
  r.m.stop();
});

test('sync group: members wait for each other to go MASTER and leave MASTER together', async () => {
  const { SyncGroup } = await import('../src/fsm/index.ts');
  const c = new FakeClock();
  // Wired the way the Sidecar does it: every member's state change goes through the group.
  let g: InstanceType<typeof SyncGroup> | undefined;
  const hook = (m: VrrpMachine, from: VrrpState, to: VrrpState) => g?.changed(m, from, to);
  const a = machine(c, { name: 'VI_1' }, hook);
  const b = machine(c, { name: 'VI_2' }, hook);
  g = new SyncGroup('G', [a.m, b.m]);
  a.m.start();
  b.m.start();
  // VI_2 keeps hearing its master; VI_1's master is silent: VI_1 must wait, not split the group.
  for (let i = 0; i < 8; i++) {
    c.advance(1000);
    b.m.receive({ priority: 150, src: PEER_HI, advertIntCs: 100 });
  }
  assert.equal(a.m.state, 'BACKUP');
  assert.equal(a.m.wantMaster, true);
  // VI_2's master goes silent too: as soon as its timer expires, both go MASTER.
  c.advance(3700);
  assert.equal(a.m.state, 'MASTER');
  assert.equal(b.m.state, 'MASTER');
  // A higher priority advert on VI_1 takes the whole group back to BACKUP.
  a.m.receive({ priority: 200, src: PEER_HI, advertIntCs: 100 });
  assert.equal(a.m.state, 'BACKUP');
  assert.equal(b.m.state, 'BACKUP');
  assert.equal(b.vips, false);
});
