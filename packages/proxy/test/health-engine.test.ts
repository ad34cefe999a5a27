/**
 * The check engine's state machine with a fake clock and scripted check results: rise/fall,
 * inter/fastinter/downinter, spreading, disable-on-404, agent replies, observe/on-error, backups.
 * (Real sockets: health-probe.test.ts and health-realtime.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setServerChecks } from '../src/control/server-control.ts';
import { type CheckTransport, createHealthEngine } from '../src/health/engine.ts';
import type { AgentOutcome, ProbeSpec } from '../src/health/probe.ts';
import type { CheckResult } from '../src/model/server-state.ts';
import { isUsable, statusWord } from '../src/model/server-state.ts';
import { backendModel, FakeClock, httpchk, makeRuntime, serverModel } from './health-helpers.ts';

/** A transport answering from per-port scripts, after `duration` ms of fake time. */
function scripted(clock: FakeClock, duration = 3) {
  const checks = new Map<number, CheckResult>();
  const agents = new Map<number, AgentOutcome>();
  const calls: Array<{ kind: 'check' | 'agent'; port: number; t: number; spec: ProbeSpec }> = [];
  const transport: CheckTransport = {
    check(spec, _http, done) {
      calls.push({ kind: 'check', port: spec.port, t: clock.now(), spec });
      const r = checks.get(spec.port) ?? { status: 'L4OK' };
      const h = clock.setTimeout(() => done({ ...r, durationMs: duration }), duration);
      return () => clock.clearTimeout(h);
    },
    agent(spec, _send, done) {
      calls.push({ kind: 'agent', port: spec.port, t: clock.now(), spec });
      const o = agents.get(spec.port) ?? { ok: false, result: { status: 'L4CON', info: 'Connection refused' } };
      const h = clock.setTimeout(() => done(o), duration);
      return () => clock.clearTimeout(h);
    },
  };
  return { checks, agents, calls, transport };
}

const L7STS500: CheckResult = { status: 'L7STS', code: 500, info: 'Internal Server Error' };
const L7OK: CheckResult = { status: 'L7OK', code: 200 };

test('first failure after start takes a server DOWN (health starts at rise), rise passes bring it back', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel(
      'info_cache',
      [serverModel('inst1', 1001, { inter: 1000 }), serverModel('inst2', 1002, { inter: 1000 })],
      {
        options: { ...backendModel('x', []).options, httpchk: httpchk() },
      },
    ),
  ]);
  const sc = scripted(clock);
  sc.checks.set(1001, L7OK);
  sc.checks.set(1002, L7STS500);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  assert.deepEqual(t.srv('info_cache', 'inst2').lastCheck, { status: 'INI' }, 'Initializing until the first result');
  clock.advance(600);
  const inst2 = t.srv('info_cache', 'inst2');
  assert.equal(inst2.op, 'DOWN');
  assert.deepEqual(inst2.lastCheck, { ...L7STS500, durationMs: 3 });
  assert.equal(inst2.counters.chkfail, 1);
  assert.equal(inst2.counters.chkdown, 1);
  assert.ok(
    t.logs.includes(
      'alert Server info_cache/inst2 is DOWN, reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 3ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ),
    t.logs.join('\n'),
  );
  assert.equal(statusWord(inst2), 'DOWN');
  sc.checks.set(1002, L7OK);
  clock.advance(1000);
  assert.equal(statusWord(inst2), 'DOWN 1/2');
  clock.advance(1000);
  assert.equal(inst2.op, 'UP');
  assert.equal(statusWord(inst2), 'UP');
  assert.equal(
    t.logs.at(-1),
    'notice Server info_cache/inst2 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  eng.stop();
  assert.equal(clock.pending, 0, 'stop() clears every timer');
});

test('a fully UP server needs `fall` failures; inter, fastinter and downinter pace the checks', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel('b', [serverModel('s1', 2001, { inter: 1000, fastinter: 200, downinter: 5000, rise: 2, fall: 3 })]),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(0); // first check at 0: health rise -> top
  const s = t.srv('b', 's1');
  assert.equal(s.health, 4);
  assert.equal(statusWord(s), 'UP');
  clock.advance(1000);
  sc.checks.set(2001, { status: 'L4CON', info: 'Connection refused' });
  clock.advance(1000); // failure 1 at t=2000
  assert.equal(statusWord(s), 'UP 2/3');
  assert.equal(s.op, 'UP');
  clock.advance(200); // failure 2 at fastinter
  assert.equal(statusWord(s), 'UP 1/3');
  clock.advance(200); // failure 3
  assert.equal(s.op, 'DOWN');
  assert.ok(t.logs.includes('emerg backend b has no server available!'));
  assert.equal(t.be('b').counters.chkdown, 1);
  const times = sc.calls.map((c) => c.t);
  assert.deepEqual(times, [0, 1000, 2000, 2200, 2400]);
  clock.advance(5000); // downinter while fully DOWN
  assert.equal(sc.calls.at(-1)?.t, 7400);
  sc.checks.set(2001, { status: 'L4OK' });
  clock.advance(5000); // pass 1 at 12400, then fastinter
  assert.equal(statusWord(s), 'DOWN 1/2');
  clock.advance(200);
  assert.equal(s.op, 'UP');
  assert.equal(sc.calls.at(-1)?.t, 12600);
  assert.equal(s.counters.chkfail, 3, 'failures while already DOWN are not counted again');
  assert.ok(s.downtimeMs >= 10000);
  eng.stop();
});

test('first checks are spread evenly over inter (no thundering herd)', () => {
  const clock = new FakeClock();
  const servers = Array.from({ length: 10 }, (_, i) => serverModel(`s${i}`, 3000 + i, { inter: 1000 }));
  const t = makeRuntime([backendModel('b', servers)]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(999);
  assert.deepEqual(
    sc.calls.map((c) => c.t),
    [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
  );
  eng.stop();
});

test('spread-checks randomises each interval within +/- N percent', () => {
  const clock = new FakeClock();
  const t = makeRuntime([backendModel('b', [serverModel('s1', 3100, { inter: 1000 })])], 10);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport, random: () => 0 });
  eng.start();
  clock.advance(2000);
  assert.deepEqual(
    sc.calls.map((c) => c.t),
    [0, 900, 1800],
  );
  eng.stop();
});

test('check timeouts: connect bounded by min(timeout connect, inter), read by timeout check or inter', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel('a', [serverModel('s1', 3201, { inter: 2000 })], { timeouts: { connect: 5000, check: 700 } }),
    backendModel('b', [serverModel('s1', 3202, { inter: 1500, checkPort: 9999, checkAddr: '127.0.0.2' })], {
      timeouts: { connect: 300 },
    }),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(1000);
  const a = sc.calls.find((c) => c.port === 3201)?.spec;
  const b = sc.calls.find((c) => c.port === 9999)?.spec;
  assert.deepEqual(a, { host: '127.0.0.1', port: 3201, connectMs: 2000, readMs: 700 });
  assert.deepEqual(b, { host: '127.0.0.2', port: 9999, connectMs: 300, readMs: 1500 });
  eng.stop();
});

test('disable-on-404: a 404 puts an UP server in NOLB (persistent traffic only); 200 brings it back', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel('b2', [serverModel('t1', 4001, { inter: 500 }), serverModel('t2', 4002, { inter: 500 })], {
      options: {
        ...backendModel('x', []).options,
        httpchk: httpchk('OPTIONS', '/', 'HTTP/1.0', { disableOn404: true }),
      },
    }),
  ]);
  const sc = scripted(clock);
  sc.checks.set(4001, { status: 'L7OKC', code: 404 });
  sc.checks.set(4002, L7OK);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(400);
  const t1 = t.srv('b2', 't1');
  assert.equal(t1.op, 'UP');
  assert.equal(t1.stopping, true);
  assert.equal(isUsable(t1), false);
  assert.equal(statusWord(t1), 'NOLB');
  assert.ok(
    t.logs.includes(
      'notice Server b2/t1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: 3ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    ),
    t.logs.join('\n'),
  );
  sc.checks.set(4001, L7OK);
  clock.advance(500);
  assert.equal(t1.stopping, false);
  assert.equal(isUsable(t1), true);
  assert.match(t.logs.at(-1) ?? '', /^notice Server b2\/t1 is UP, reason: Layer7 check passed, code: 200/);
  // A DOWN server answering 404 stays DOWN (haproxy: L7STS).
  sc.checks.set(4001, L7STS500);
  clock.advance(2000);
  assert.equal(t1.op, 'DOWN');
  sc.checks.set(4001, { status: 'L7OKC', code: 404 });
  clock.advance(3000);
  assert.equal(t1.op, 'DOWN');
  assert.equal(t1.lastCheck?.status, 'L7STS', 'for a DOWN server a 404 is a wrong status');
  eng.stop();
});

test('agent replies: weight %, maxconn, down/up/fail/stopped, drain/ready/maint, garbage, unreachable agent', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel('b', [
      serverModel('s1', 5001, {
        inter: 400,
        weight: 20,
        agentCheck: true,
        agent: { port: 5003, inter: 400, send: 'hello\n' },
      }),
      serverModel('s2', 5002, { inter: 400 }),
    ]),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  const s1 = t.srv('b', 's1');
  const reply = (line: string) => {
    sc.agents.set(5003, { ok: true, line, durationMs: 0 });
    clock.advance(400);
  };
  eng.start();
  reply('75%');
  assert.equal(s1.weight, 15);
  assert.equal(s1.effectiveWeight, 15);
  reply('maxconn:10');
  assert.equal(s1.maxconn, 10);
  reply('down #maint window');
  assert.equal(s1.op, 'DOWN');
  assert.deepEqual(s1.lastAgentCheck, {
    status: 'L7STS',
    code: 0,
    info: 'via agent : down (maint window)',
    durationMs: 0,
  });
  assert.equal(
    t.logs.at(-1),
    'alert Server b/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down (maint window)", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
  reply('up');
  assert.equal(s1.op, 'UP');
  assert.equal(
    t.logs.at(-1),
    'notice Server b/s1 is UP, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  reply('fail');
  assert.equal(s1.op, 'DOWN');
  reply('up');
  reply('drain');
  assert.equal(s1.admin, 'DRAIN');
  assert.equal(statusWord(s1), 'DRAIN');
  assert.equal(
    t.logs.at(-1),
    'notice Server b/s1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  reply('ready');
  assert.equal(t.logs.at(-1), 'notice Server b/s1 is UP (leaving forced drain).');
  reply('stopped');
  reply('maint');
  assert.equal(t.logs.at(-1), 'notice Server b/s1 was DOWN and now enters maintenance.');
  reply('ready');
  assert.equal(t.logs.at(-1), 'notice Server b/s1 is DOWN/READY (leaving forced maintenance).');
  const n = t.logs.length;
  reply('garbage');
  assert.equal(t.logs.length, n, 'a bad reply changes nothing');
  assert.equal(s1.lastAgentCheck?.status, 'L7RSP');
  reply('50%, up');
  assert.equal(s1.weight, 10);
  assert.equal(s1.op, 'UP');
  sc.agents.delete(5003); // agent unreachable: not an error
  clock.advance(1200);
  assert.equal(s1.op, 'UP');
  assert.equal(s1.lastAgentCheck?.status, 'L4CON');
  assert.ok(sc.calls.filter((c) => c.kind === 'agent').every((c) => c.port === 5003));
  eng.stop();
  assert.equal(clock.pending, 0);
});

test('observe layer7 + on-error: fastinter, fail-check, sudden-death, mark-down', () => {
  const clock = new FakeClock();
  const opts = { inter: 10000, fastinter: 100, observe: 'layer7' as const, errorLimit: 3 };
  const t = makeRuntime([
    backendModel('b', [
      serverModel('fi', 6001, { ...opts, onError: 'fastinter' }),
      serverModel('fc', 6002, { ...opts, onError: 'fail-check' }),
      serverModel('sd', 6003, { ...opts, onError: 'sudden-death' }),
      serverModel('md', 6004, { ...opts, onError: 'mark-down' }),
      serverModel('l4', 6005, { ...opts, observe: 'layer4', onError: 'mark-down' }),
    ]),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(9000); // every first check done: all fully UP
  const be = t.be('b');
  for (const s of be.servers) assert.equal(s.health, 4, s.name);
  const burst = (name: string, outcome: Parameters<typeof eng.observe>[2], n = 3) => {
    for (let i = 0; i < n; i++) eng.observe(be, t.srv('b', name), outcome);
  };
  // Two errors then a success: the count restarts.
  burst('md', 'l7-5xx', 2);
  eng.observe(be, t.srv('b', 'md'), 'ok');
  burst('md', 'l7-5xx', 2);
  assert.equal(t.srv('b', 'md').op, 'UP');
  burst('md', 'l7-5xx', 1);
  assert.equal(t.srv('b', 'md').op, 'DOWN');
  assert.ok(
    t.logs.includes(
      'alert Server b/md is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: Wrong http response". 4 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ),
    t.logs.join('\n'),
  );
  burst('fi', 'l7-timeout');
  assert.equal(t.srv('b', 'fi').health, 4, 'fastinter only re-checks sooner');
  const before = sc.calls.length;
  clock.advance(100);
  assert.ok(
    sc.calls.slice(before).some((c) => c.port === 6001),
    'fastinter check ran',
  );
  burst('fc', 'l4-error');
  assert.equal(t.srv('b', 'fc').health, 3);
  assert.equal(statusWord(t.srv('b', 'fc')), 'UP 2/3');
  burst('sd', 'l7-error');
  assert.equal(t.srv('b', 'sd').health, 2);
  assert.equal(statusWord(t.srv('b', 'sd')), 'UP 1/3');
  burst('l4', 'l7-5xx', 5);
  assert.equal(t.srv('b', 'l4').op, 'UP', 'layer4 ignores HTTP errors');
  burst('l4', 'l4-timeout');
  assert.equal(t.srv('b', 'l4').op, 'DOWN');
  eng.stop();
});

test('backup servers: "Running on backup." and "Backup Server" lines, backend downtime', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel('b', [
      serverModel('a1', 7001, { inter: 1000 }),
      serverModel('bk', 7002, { inter: 1000, backup: true }),
    ]),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  sc.checks.set(7001, { status: 'L4CON', info: 'Connection refused' });
  clock.advance(600);
  assert.equal(
    t.logs.at(-1),
    'alert Server b/a1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
  sc.checks.set(7002, { status: 'L4CON', info: 'Connection refused' });
  clock.advance(3000);
  assert.ok(
    t.logs.includes(
      'alert Backup Server b/bk is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ),
  );
  assert.equal(t.logs.at(-1), 'emerg backend b has no server available!');
  sc.checks.set(7001, { status: 'L4OK' });
  clock.advance(3000);
  assert.equal(t.srv('b', 'a1').op, 'UP');
  assert.ok(t.be('b').downtimeMs > 0);
  assert.equal(t.be('b').downSince, undefined);
  eng.stop();
});

test('maintenance suspends checks; leaving it re-checks at once with health at rise', () => {
  const clock = new FakeClock();
  const t = makeRuntime([backendModel('b', [serverModel('s1', 8001, { inter: 1000 })])]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(100);
  const s = t.srv('b', 's1');
  s.admin = 'MAINT';
  const n = sc.calls.length;
  clock.advance(5000);
  assert.equal(sc.calls.length, n, 'no checks in MAINT');
  t.rt.events.emit('server-state', {
    server: s,
    backend: t.be('b'),
    fromOp: 'UP',
    toOp: 'UP',
    fromAdmin: 'MAINT',
    toAdmin: 'READY',
    origin: 'api',
  });
  s.admin = 'READY';
  clock.advance(1);
  assert.equal(sc.calls.length, n + 1, 'checked right after leaving maintenance');
  eng.stop();
});

test('option log-health-checks: one line per status or health change, in haproxy words', () => {
  const clock = new FakeClock();
  const t = makeRuntime([
    backendModel('b', [serverModel('s1', 9001, { inter: 400, agentCheck: true, agent: { port: 9003, inter: 400 } })], {
      options: { ...backendModel('x', []).options, logHealthChecks: true },
    }),
  ]);
  const sc = scripted(clock, 0);
  sc.agents.set(9003, { ok: true, line: 'up', durationMs: 0 });
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(300);
  assert.ok(
    t.logs.includes(
      'notice Health check for server b/s1 succeeded, reason: Layer4 check passed, check duration: 0ms, status: 3/3 UP.',
    ),
    t.logs.join('\n'),
  );
  assert.ok(
    t.logs.includes(
      'notice Agent check for server b/s1 succeeded, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: 0ms, status: 1/1 UP.',
    ),
  );
  const n = t.logs.length;
  clock.advance(400); // same status, same health: nothing logged
  assert.equal(t.logs.filter((l) => l.includes('Health check')).length, 1);
  sc.checks.set(9001, { status: 'L4CON', info: 'Connection refused' });
  sc.agents.set(9003, { ok: true, line: 'down #maint window', durationMs: 0 });
  clock.advance(400);
  assert.ok(
    t.logs
      .slice(n)
      .includes(
        'notice Health check for server b/s1 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms, status: 2/3 UP.',
      ),
  );
  assert.ok(
    t.logs.includes(
      'notice Agent check for server b/s1 failed, reason: Layer7 wrong status, code: 0, info: "via agent : down (maint window)", check duration: 0ms, status: 0/1 DOWN.',
    ),
  );
  eng.stop();
});

test('slowstart through the engine: weight ramps in steps after UP, then "is UP." ends the warm-up', () => {
  const clock = new FakeClock();
  clock.t = 100000;
  const t = makeRuntime([
    backendModel('b', [
      serverModel('s1', 9101, { inter: 1000, weight: 100, slowstart: 40000 }),
      serverModel('s2', 9102),
    ]),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  const s1 = t.srv('b', 's1');
  eng.start();
  sc.checks.set(9101, { status: 'L4CON', info: 'Connection refused' });
  clock.advance(1000);
  assert.equal(s1.op, 'DOWN');
  sc.checks.set(9101, { status: 'L4OK' });
  clock.advance(2000);
  assert.equal(s1.op, 'UP');
  assert.equal(s1.effectiveWeight, 1, 'starts at the bottom of the ramp');
  clock.advance(10000);
  assert.ok(s1.effectiveWeight > 20 && s1.effectiveWeight < 35, `weight ${s1.effectiveWeight} a quarter into the ramp`);
  clock.advance(31000);
  assert.equal(s1.effectiveWeight, 100);
  assert.equal(s1.warmupSince, undefined);
  assert.equal(
    t.logs.at(-1),
    'notice Server b/s1 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  eng.stop();
  assert.equal(clock.pending, 0);
});

test('a reload (new engine, same ServerState) keeps the agent verdict', () => {
  const clock = new FakeClock();
  const model = backendModel('b', [
    serverModel('s1', 9201, { inter: 400, agentCheck: true, agent: { port: 9203, inter: 400 } }),
    serverModel('s2', 9202),
  ]);
  const t = makeRuntime([model]);
  const sc = scripted(clock, 0);
  sc.agents.set(9203, { ok: true, line: 'down', durationMs: 0 });
  const first = createHealthEngine(t.rt, { clock, transport: sc.transport });
  first.start();
  clock.advance(1000);
  const s1 = t.srv('b', 's1');
  assert.equal(s1.op, 'DOWN');
  const second = createHealthEngine(t.rt, { clock, transport: sc.transport });
  second.start();
  first.stop();
  sc.agents.set(9203, { ok: false, result: { status: 'L4CON', info: 'Connection refused' } });
  clock.advance(2000);
  assert.equal(s1.op, 'DOWN', 'passing health checks alone do not override the agent');
  second.stop();
});

test('unusable settings are logged, not thrown: bad expect pattern, agent-check without agent-port', () => {
  const clock = new FakeClock();
  const loc = { file: 'h.cfg', line: 12 };
  const t = makeRuntime([
    backendModel('bad', [serverModel('s1', 9301)], {
      options: {
        ...backendModel('x', []).options,
        httpchk: httpchk('GET', '/', 'HTTP/1.0', { expect: [{ negate: false, kind: 'rstatus', pattern: '(', loc }] }),
      },
    }),
    backendModel('ag', [serverModel('s1', 9302, { check: false, agentCheck: true, agent: {} })]),
  ]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(5000);
  assert.equal(sc.calls.length, 0);
  assert.match(
    t.logs[0] ?? '',
    /^alert backend bad: h\.cfg:12: http-check expect: invalid regex '\(': .*; its health checks are not run\.$/,
  );
  assert.equal(t.logs[1], "alert Server ag/s1: 'agent-check' without 'agent-port': agent checks are not run.");
  eng.stop();
});

test('disable health (runtime API) stops probes; enable health checks at once', () => {
  const clock = new FakeClock();
  const t = makeRuntime([backendModel('b', [serverModel('s1', 9401, { inter: 1000 })])]);
  const sc = scripted(clock, 0);
  const eng = createHealthEngine(t.rt, { clock, transport: sc.transport });
  eng.start();
  clock.advance(100);
  const be = t.be('b');
  const s1 = t.srv('b', 's1');
  setServerChecks(t.rt, be, s1, false, 'api');
  const n = sc.calls.length;
  clock.advance(5000);
  assert.equal(sc.calls.length, n, 'no checks while disabled');
  setServerChecks(t.rt, be, s1, true, 'api');
  clock.advance(1);
  assert.equal(sc.calls.length, n + 1, 'checked right after enable');
  eng.stop();
});
