/**
 * The check schedule in real time, through both ways the engine runs it: the native thread's
 * recurring probes (the default transport) and one JS timer per check (the JS probe). Same
 * intervals (inter while UP, fastinter while changing, downinter while DOWN), MAINT and disabled
 * checks suspend checks, leaving them resumes at once; seen from the server's side.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { NetProbe } from '@switchyard/netprobe';
import { requireAddon } from '../../netprobe/test/require-addon.ts';
import { setServerAdmin, setServerChecks } from '../src/control/server-control.ts';
import { type CheckTransport, createHealthEngine } from '../src/health/engine.ts';
import { defaultCheckTransport, jsTransport } from '../src/health/native-probe.ts';
import { backendModel, httpchk, makeRuntime, serverModel, tcpServer, waitFor } from './health-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An HTTP check target that notes when each request arrives and answers 200, or 500 when sick. */
async function target(t: TestContext) {
  const state = { sick: false, at: [] as number[] };
  const srv = await tcpServer((s) => {
    s.setEncoding('latin1');
    let req = '';
    s.on('data', (d: string) => {
      req += d;
      if (!req.includes('\r\n\r\n')) return;
      state.at.push(performance.now());
      s.end(state.sick ? 'HTTP/1.1 500 Oops\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
  });
  t.after(() => srv.close());
  return { port: srv.port, state };
}

const gaps = (at: number[]): number[] => at.slice(1).map((x, i) => Math.round(x - (at[i] as number)));

/** `np`: the addon, when the engine runs recurring probes on it (one registered while checks run). */
async function scenario(t: TestContext, transport: CheckTransport | undefined, np?: NetProbe): Promise<void> {
  const { port, state } = await target(t);
  const be = backendModel(
    'b',
    [serverModel('s', port, { inter: 150, fastinter: 40, downinter: 400, rise: 2, fall: 2 })],
    { timeouts: { connect: 1000, check: 1000 } },
  );
  be.options.httpchk = httpchk('GET', '/');
  const rt = makeRuntime([be]);
  const engine = createHealthEngine(rt.rt, transport ? { transport } : {});
  engine.start();
  t.after(() => engine.stop());
  const s = rt.srv('b', 's');
  await waitFor(() => state.at.length >= 4, 3000, 'four checks');

  // UP: every inter.
  state.at.length = 0;
  await sleep(700);
  for (const g of gaps(state.at)) assert.ok(g >= 120 && g < 260, `inter 150 while UP: gaps ${gaps(state.at)}`);
  if (np) assert.equal(np.inFlight, 1, 'one recurring probe, between checks too');

  // Failing: the first failure after inter, then fastinter until DOWN, then downinter.
  state.sick = true;
  state.at.length = 0;
  await waitFor(() => s.op === 'DOWN', 3000, 'DOWN after fall 2');
  await waitFor(() => state.at.length >= 4, 3000, 'two checks while DOWN');
  const g = gaps(state.at);
  assert.ok((g[0] as number) >= 25 && (g[0] as number) < 120, `fastinter 40 after the first failure: ${g}`);
  for (const x of g.slice(1, 3)) assert.ok(x >= 330 && x < 560, `downinter 400 while DOWN: ${g}`);

  // MAINT: no check once the one in flight is done; leaving it checks at once.
  state.sick = false;
  setServerAdmin(rt.rt, rt.be('b'), s, 'MAINT', 'api');
  await sleep(100);
  const n = state.at.length;
  await sleep(600);
  assert.equal(state.at.length, n, 'no check in MAINT');
  if (np) assert.equal(np.inFlight, 0, 'the recurring probe drained');
  const left = performance.now();
  setServerAdmin(rt.rt, rt.be('b'), s, 'READY', 'api');
  await waitFor(() => state.at.length > n, 1000, 'a check on leaving MAINT');
  assert.ok((state.at[n] as number) - left < 100, 'checked at once');
  await waitFor(() => s.health === 3, 2000, 'fully UP again');

  // Checks disabled then enabled (runtime API): the same.
  setServerChecks(rt.rt, rt.be('b'), s, false, 'api');
  await sleep(100);
  const m = state.at.length;
  await sleep(500);
  assert.equal(state.at.length, m, 'no check while disabled');
  setServerChecks(rt.rt, rt.be('b'), s, true, 'api');
  await waitFor(() => state.at.length > m, 1000, 'a check once enabled');
  state.at.length = 0;
  await sleep(700);
  for (const x of gaps(state.at)) assert.ok(x >= 120 && x < 260, `inter 150 again: ${gaps(state.at)}`);
}

test('schedule through the native thread (recurring probes): inter, fastinter, downinter, MAINT, disabled', async (t) => {
  if (!requireAddon(t)) return;
  const transport = defaultCheckTransport();
  assert.equal(transport.native, true);
  assert.ok(transport.transport.recurring, 'the native transport runs recurring checks');
  await scenario(t, undefined, requireAddon(t));
});

test('the same schedule through JS timers (the JS probe)', async (t) => {
  await scenario(t, jsTransport);
});
