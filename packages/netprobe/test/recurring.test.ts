/**
 * Recurring probes (schedule): the native thread re-runs a probe on its own schedule, against real
 * loopback sockets: first delay, interval, retime, drain (the round in flight still reports),
 * cancel, and that they never keep a process alive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProbeEvent, ProbeMode, type ProbeRequest } from '../src/index.ts';
import { listen, runWithAddon } from './helpers.ts';
import { requireAddon } from './require-addon.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tcp = (port: number): ProbeRequest => ({
  host: '127.0.0.1',
  port,
  mode: ProbeMode.connect,
  connectMs: 1000,
  readMs: 1000,
  maxBytes: 1,
});

test('a recurring probe starts after its first delay, then runs every interval with no call from JS', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen(() => {});
  t.after(() => server.close());
  const t0 = performance.now();
  const at: number[] = [];
  const rp = np.schedule(tcp(port), { firstDelayMs: 150, intervalMs: 100, spreadPct: 0 }, (event) => {
    assert.equal(event, ProbeEvent.connected);
    at.push(performance.now() - t0);
  });
  assert.ok(rp);
  await sleep(600);
  rp.cancel();
  const n = at.length;
  // First round at ~150 ms, then every ~100 ms (start times on an 8 ms grid, a 4 ms tick).
  assert.ok((at[0] as number) >= 130 && (at[0] as number) < 350, `first at ${at[0]}`);
  assert.ok(n >= 3 && n <= 6, `${n} rounds in 600 ms: ${at.map(Math.round)}`);
  for (let i = 1; i < n; i++) {
    const gap = (at[i] as number) - (at[i - 1] as number);
    assert.ok(gap >= 80 && gap < 250, `gap ${gap}`);
  }
  await sleep(250);
  assert.equal(at.length, n, 'nothing after cancel');
  assert.equal(np.inFlight, 0);
  assert.equal(np.nativeActive(), 0);
});

test('retime: between rounds the next one starts after the delay, then the new interval applies', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen(() => {});
  t.after(() => server.close());
  const at: number[] = [];
  const t0 = performance.now();
  const rp = np.schedule(tcp(port), { firstDelayMs: 0, intervalMs: 5000, spreadPct: 0 }, () => {
    at.push(performance.now() - t0);
  });
  assert.ok(rp);
  await sleep(100);
  assert.equal(at.length, 1, 'the first round at once');
  rp.retime(80, 20);
  await sleep(300);
  rp.cancel();
  // One ~20 ms after the retime (t ~120), then every 80 ms: ~200, ~280, (~360 near the end). On a
  // loaded machine the event loop runs late: what matters is that the rounds follow the new
  // timing (the old interval, 5 s, would give none) and not the exact milliseconds.
  assert.ok(at.length >= 2 && at.length <= 5, `rounds at ${at.map(Math.round)}`);
  assert.ok((at[1] as number) >= 105 && (at[1] as number) < 395, `after retime at ${at[1]}`);
});

test('drain: the round in flight still reports, then nothing; between rounds it ends at once', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  // Answers 200 ms after the request: a round is in flight most of the time.
  const slow = await listen((s) => s.once('data', () => setTimeout(() => s.end('HTTP/1.1 200 OK\r\n\r\n'), 200)));
  const { server, port } = await listen(() => {});
  t.after(() => {
    slow.server.close();
    server.close();
  });
  const events: number[] = [];
  const rp = np.schedule(
    { ...tcp(slow.port), mode: ProbeMode.http, maxBytes: 16384, send: Buffer.from('GET / HTTP/1.1\r\n\r\n') },
    { firstDelayMs: 0, intervalMs: 10, spreadPct: 0 },
    (event) => events.push(event),
  );
  assert.ok(rp);
  await sleep(100); // the first round waits for its answer
  rp.drain();
  rp.drain(); // twice is harmless
  assert.equal(np.inFlight, 1, 'still due: the round in flight');
  await sleep(400);
  assert.deepEqual(events, [ProbeEvent.done]);
  assert.equal(np.inFlight, 0);

  const idle: number[] = [];
  const between = np.schedule(tcp(port), { firstDelayMs: 0, intervalMs: 10000, spreadPct: 0 }, (e) => idle.push(e));
  assert.ok(between);
  await sleep(100);
  between.drain();
  await sleep(100);
  assert.deepEqual(idle, [ProbeEvent.connected]);
  assert.equal(np.inFlight, 0);
  assert.equal(np.nativeActive(), 0);
});

test('failures recur too: a refused port reports connectError every round', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen(() => {});
  await new Promise((r) => server.close(r));
  const errs: number[] = [];
  const rp = np.schedule(tcp(port), { firstDelayMs: 0, intervalMs: 50, spreadPct: 50 }, (event, errno) => {
    assert.equal(event, ProbeEvent.connectError);
    errs.push(errno);
  });
  assert.ok(rp);
  await sleep(400);
  rp.cancel();
  assert.ok(errs.length >= 4, `${errs.length} rounds`);
  assert.ok(errs.every((e) => e === 111));
  assert.equal(
    np.schedule({ ...tcp(port), host: 'localhost' }, { firstDelayMs: 0, intervalMs: 1, spreadPct: 0 }, () => {}),
    undefined,
  );
  assert.throws(() =>
    np.schedule({ ...tcp(port), mode: ProbeMode.httpBody }, { firstDelayMs: 0, intervalMs: 1, spreadPct: 0 }, () => {}),
  );
});

test('a recurring probe does not keep a process alive', () => {
  const out = runWithAddon(`
    const server = createServer(() => {}).listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      server.unref();
      const req = { host: '127.0.0.1', port, mode: ProbeMode.connect, connectMs: 1000, readMs: 1000, maxBytes: 1 };
      np.schedule(req, { firstDelayMs: 0, intervalMs: 10, spreadPct: 0 }, () => {});
      setTimeout(() => console.log('done'), 200);
    });
  `);
  if (out !== undefined) assert.equal(out, 'done');
});
