/**
 * The native check transport (native-probe.ts over @switchyard/netprobe) against real loopback
 * servers: every outcome, cancel, IPv6, and a differential run of the same scenarios through the
 * JS probe (probe.ts) asserting identical results (status, code, info; not the duration), and
 * through recurring checks (the engine's steady state).
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { NetProbe } from '@switchyard/netprobe';
import { requireAddon } from '../../netprobe/test/require-addon.ts';
import { createHealthEngine } from '../src/health/engine.ts';
import { type CompiledHttpCheck, compileHttpCheck } from '../src/health/http-check.ts';
import { defaultCheckTransport, nativeAgent, nativeCheck, nativeRecurringCheck } from '../src/health/native-probe.ts';
import { type AgentOutcome, type ProbeSpec, probeAgent, probeCheck } from '../src/health/probe.ts';
import type { CheckResult } from '../src/model/server-state.ts';
import {
  answering,
  backendModel,
  closedPort,
  httpchk,
  makeRuntime,
  nonAccepting,
  serverModel,
  tcpServer,
  waitFor,
} from './health-helpers.ts';

const loc = { file: 'h.cfg', line: 1 };
const HTTP = compileHttpCheck(httpchk('HEAD', '/haproxy.txt', 'HTTP/1.1\\r\\nHost:test.domain.com'));
const BODY = compileHttpCheck(
  httpchk('GET', '/s', 'HTTP/1.0', { expect: [{ negate: false, kind: 'string', pattern: 'status: ok', loc }] }),
);
const ON404 = compileHttpCheck(httpchk('GET', '/', 'HTTP/1.0', { disableOn404: true }));

/** Counts the probes that really went through the addon (not a fallback to probe.ts). */
function counting(np: NetProbe): { np: NetProbe; started: () => number } {
  let n = 0;
  return {
    np: {
      ...np,
      get inFlight() {
        return np.inFlight;
      },
      start(req, report) {
        const c = np.start(req, report);
        if (c) n++;
        return c;
      },
    },
    started: () => n,
  };
}

const spec = (port: number, over: Partial<ProbeSpec> = {}): ProbeSpec => ({
  host: '127.0.0.1',
  port,
  connectMs: 2000,
  readMs: 2000,
  ...over,
});

const viaNative = (np: NetProbe, s: ProbeSpec, http?: CompiledHttpCheck) =>
  new Promise<CheckResult>((resolve) => nativeCheck(np, s, http, resolve));
const viaJs = (s: ProbeSpec, http?: CompiledHttpCheck) =>
  new Promise<CheckResult>((resolve) => probeCheck(s, http, resolve));
/** The first `n` results of the same check repeated by the addon's thread every 20 ms. */
const viaRecurring = (np: NetProbe, s: ProbeSpec, http: CompiledHttpCheck | undefined, n: number) =>
  new Promise<CheckResult[]>((resolve) => {
    const out: CheckResult[] = [];
    // Recurring checks do not keep the process alive (as the engine's unref'd timers do not).
    const alive = setInterval(() => {}, 1000);
    const rc = nativeRecurringCheck(np, s, http, { firstDelayMs: 0, intervalMs: 20, spreadPct: 0 }, (r) => {
      out.push(r);
      if (out.length !== n) return;
      rc?.cancel();
      clearInterval(alive);
      resolve(out);
    });
    assert.ok(rc, 'a recurring check');
  });
const agentNative = (np: NetProbe, s: ProbeSpec, send?: string) =>
  new Promise<AgentOutcome>((resolve) => nativeAgent(np, s, send, resolve));
const agentJs = (s: ProbeSpec, send?: string) => new Promise<AgentOutcome>((resolve) => probeAgent(s, send, resolve));

/** A result without its duration (the one field the transports may differ on). */
function comparable(r: CheckResult): CheckResult {
  const { durationMs: _d, ...rest } = r;
  return rest;
}

function comparableAgent(o: AgentOutcome): unknown {
  return o.ok ? { ok: true, line: o.line } : { ok: false, result: comparable(o.result) };
}

/** A server that writes `parts` with `gapMs` between them and never closes. */
function dribbling(parts: string[], gapMs: number) {
  return tcpServer((s) => {
    s.once('data', async () => {
      for (const p of parts) {
        if (s.destroyed) return;
        s.write(p);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

interface Scenario {
  name: string;
  /** Starts the server; returns the probe spec and its teardown. */
  setup(t: TestContext): Promise<{ spec: ProbeSpec; close(): void | Promise<void> } | undefined>;
  http?: CompiledHttpCheck;
  expect: CheckResult;
}

const serverScenario =
  (make: () => ReturnType<typeof tcpServer>, over: Partial<ProbeSpec> = {}) =>
  async () => {
    const srv = await make();
    return { spec: spec(srv.port, over), close: () => srv.close() };
  };

const SCENARIOS: Scenario[] = [
  { name: 'TCP check on a listener', setup: serverScenario(() => tcpServer(() => {})), expect: { status: 'L4OK' } },
  {
    name: 'TCP check refused',
    setup: async () => ({ spec: spec(await closedPort()), close: () => {} }),
    expect: { status: 'L4CON', info: 'Connection refused' },
  },
  {
    name: 'TCP check on a listener that never accepts',
    setup: async (t) => {
      const na = await nonAccepting();
      if (!na) {
        assert.notEqual(process.env.CI, 'true', 'CI=true and python3 is missing (a listener that never accepts)');
        t.skip('needs python3 for a listener that never accepts');
        return undefined;
      }
      return { spec: spec(na.port, { connectMs: 300 }), close: () => na.close() };
    },
    expect: { status: 'L4TOUT' },
  },
  {
    name: 'HTTP 200',
    setup: serverScenario(() => answering('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')),
    http: HTTP,
    expect: { status: 'L7OK', code: 200 },
  },
  {
    name: 'HTTP 500',
    setup: serverScenario(() => answering('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n')),
    http: HTTP,
    expect: { status: 'L7STS', code: 500, info: 'Internal Server Error' },
  },
  {
    name: 'HTTP 200 on a connection kept open (stops at the head)',
    setup: serverScenario(() => dribbling(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'], 10)),
    http: HTTP,
    expect: { status: 'L7OK', code: 200 },
  },
  {
    name: 'HTTP accepted, never answered',
    setup: serverScenario(() => tcpServer(() => {}), { readMs: 300 }),
    http: HTTP,
    expect: { status: 'L7TOUT' },
  },
  {
    name: 'HTTP closed mid-response',
    setup: serverScenario(() => answering('HTTP/1.1 200 OK\r\nContent-Le')),
    http: HTTP,
    expect: { status: 'L7RSP' },
  },
  {
    name: 'HTTP closed without a byte',
    setup: serverScenario(() => tcpServer((s) => s.end())),
    http: HTTP,
    expect: { status: 'L7RSP' },
  },
  {
    name: 'HTTP answered with garbage, connection kept open',
    setup: serverScenario(() => dribbling(['SSH-2.0-OpenSSH_9.2\r\n'], 10)),
    http: HTTP,
    expect: { status: 'L7RSP' },
  },
  {
    name: 'HTTP head larger than the check buffer',
    setup: serverScenario(() => dribbling([`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20000)}`], 10)),
    http: HTTP,
    expect: { status: 'L7RSP' },
  },
  {
    name: 'HTTP reset before any answer',
    setup: serverScenario(() => tcpServer((s) => s.once('data', () => s.resetAndDestroy()))),
    http: HTTP,
    expect: { status: 'SOCKERR', info: 'Connection reset by peer' },
  },
  {
    name: 'HTTP reset in the middle of the head',
    setup: serverScenario(() =>
      tcpServer((s) =>
        s.once('data', () => {
          s.write('HTTP/1.1 200 OK\r\n');
          setTimeout(() => s.resetAndDestroy(), 30);
        }),
      ),
    ),
    http: HTTP,
    expect: { status: 'L7RSP' },
  },
  {
    name: 'HTTP body expectation met by Content-Length, connection kept open',
    setup: serverScenario(() => dribbling(['HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nstatus', ': ok\n'], 40)),
    http: BODY,
    expect: { status: 'L7OK', code: 200 },
  },
  {
    name: 'HTTP body expectation on a chunked body read to close',
    setup: serverScenario(() =>
      answering('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nstat\r\n8\r\nus: down\r\n0\r\n\r\n'),
    ),
    http: BODY,
    expect: { status: 'L7RSP', code: 200, info: 'HTTP content check did not match' },
  },
  {
    name: 'HTTP body expectation, body never complete',
    setup: serverScenario(() => dribbling(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstatus: ok'], 10), {
      readMs: 300,
    }),
    http: BODY,
    expect: { status: 'L7TOUT' },
  },
  {
    name: 'HTTP 404 with disable-on-404',
    setup: serverScenario(() => answering('HTTP/1.0 404 Not Found\r\n\r\n')),
    http: ON404,
    expect: { status: 'L7OKC', code: 404 },
  },
  {
    name: 'HTTP 404 with disable-on-404 on a DOWN server',
    setup: serverScenario(() => answering('HTTP/1.0 404 Not Found\r\n\r\n'), { serverDown: true }),
    http: ON404,
    expect: { status: 'L7STS', code: 404, info: 'Not Found' },
  },
  {
    name: 'HTTP refused',
    setup: async () => ({ spec: spec(await closedPort()), close: () => {} }),
    http: HTTP,
    expect: { status: 'L4CON', info: 'Connection refused' },
  },
];

test('every check outcome through the native transport, identical to the JS probe', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  const { np, started } = counting(addon);
  for (const sc of SCENARIOS) {
    await t.test(sc.name, async (st) => {
      const env = await sc.setup(st);
      if (!env) return;
      try {
        const before = started();
        const native = await viaNative(np, env.spec, sc.http);
        assert.equal(started(), before + 1, 'went through the addon');
        assert.equal(typeof native.durationMs, 'number');
        const js = await viaJs(env.spec, sc.http);
        assert.deepEqual(comparable(native), sc.expect, 'native');
        assert.deepEqual(comparable(js), comparable(native), 'JS probe and native transport differ');
        // The engine's steady state: the same check repeated by the thread (not for body rules).
        if (!sc.http?.needsBody) {
          for (const r of await viaRecurring(addon, env.spec, sc.http, 2))
            assert.deepEqual(comparable(r), sc.expect, 'recurring');
        }
      } finally {
        await env.close();
      }
    });
  }
});

test('timeouts: connect bounded by connectMs, the exchange by readMs from the connect', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  const srv = await tcpServer(() => {});
  t.after(() => srv.close());
  const r = await viaNative(addon, spec(srv.port, { connectMs: 100, readMs: 400 }), HTTP);
  assert.equal(r.status, 'L7TOUT');
  assert.ok((r.durationMs ?? 0) >= 380 && (r.durationMs ?? 0) < 1500, `duration ${r.durationMs}`);
});

const AGENT_SCENARIOS: Array<{
  name: string;
  reply: (s: Socket) => void;
  send?: string;
  readMs?: number;
  expect: unknown;
}> = [
  { name: 'a reply line', reply: (s) => s.end('drain 50% #deploy\n'), expect: { ok: true, line: 'drain 50% #deploy' } },
  { name: 'CRLF, then more lines', reply: (s) => s.end('up\r\nignored\n'), expect: { ok: true, line: 'up' } },
  {
    name: 'a reply without newline, then close',
    reply: (s) => s.end('maint'),
    send: 'hello\n',
    expect: { ok: true, line: 'maint' },
  },
  {
    name: 'a reply line, connection kept open',
    reply: (s) => s.write('ready\n'),
    expect: { ok: true, line: 'ready' },
  },
  {
    name: 'closed without a reply',
    reply: (s) => s.end(),
    expect: { ok: false, result: { status: 'L7RSP', info: 'empty agent reply' } },
  },
  {
    name: 'never answers',
    reply: () => {},
    readMs: 300,
    expect: { ok: false, result: { status: 'L7TOUT' } },
  },
  {
    name: 'reset before a reply',
    reply: (s) => setTimeout(() => s.resetAndDestroy(), 20),
    expect: { ok: false, result: { status: 'L7RSP', info: 'Connection reset by peer' } },
  },
];

test('agent exchanges through the native transport, identical to the JS probe', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  const { np, started } = counting(addon);
  for (const sc of AGENT_SCENARIOS) {
    await t.test(sc.name, async () => {
      const srv = await tcpServer(sc.reply);
      try {
        const s = spec(srv.port, { readMs: sc.readMs ?? 2000 });
        const before = started();
        const native = await agentNative(np, s, sc.send);
        assert.equal(started(), before + 1, 'went through the addon');
        assert.deepEqual(comparableAgent(native), sc.expect, 'native');
        assert.deepEqual(comparableAgent(await agentJs(s, sc.send)), comparableAgent(native), 'JS and native differ');
      } finally {
        await srv.close();
      }
    });
  }
  await t.test('agent-send bytes on the wire; refused agent', async () => {
    let got = '';
    const srv = await tcpServer((s) => {
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        got += d;
        if (got.endsWith('\n')) s.end('up\n');
      });
    });
    try {
      const o = await agentNative(np, spec(srv.port), 'hello \xe9\n');
      assert.deepEqual(comparableAgent(o), { ok: true, line: 'up' });
      assert.equal(got, 'hello \xe9\n');
    } finally {
      await srv.close();
    }
    const refused = spec(await closedPort());
    const f = await agentNative(np, refused);
    assert.deepEqual(comparableAgent(f), { ok: false, result: { status: 'L4CON', info: 'Connection refused' } });
    assert.deepEqual(comparableAgent(await agentJs(refused)), comparableAgent(f));
  });
});

test('HTTP request bytes on the wire are the same as the JS probe sends', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  const seen: string[] = [];
  const srv = await answering((req) => {
    seen.push(req);
    return 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  });
  t.after(() => srv.close());
  await viaNative(addon, spec(srv.port), HTTP);
  await viaJs(spec(srv.port), HTTP);
  assert.equal(seen[0], 'HEAD /haproxy.txt HTTP/1.1\r\nhost: test.domain.com\r\nconnection: close\r\n\r\n');
  assert.equal(seen[1], seen[0]);
});

test('IPv6: TCP and HTTP checks on ::1', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  const server = createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (!listening) return t.skip('no IPv6 loopback here');
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { np, started } = counting(addon);
  const s6 = spec(port, { host: '::1' });
  assert.deepEqual(comparable(await viaNative(np, s6)), { status: 'L4OK' });
  assert.deepEqual(comparable(await viaNative(np, s6, HTTP)), { status: 'L7OK', code: 200 });
  assert.equal(started(), 2);
  const refused = spec(await closedPort(), { host: '::1' });
  const r = await viaNative(np, refused);
  assert.deepEqual(comparable(r), comparable(await viaJs(refused)));
  assert.equal(r.status, 'L4CON');
});

test('a host name is not an IP literal: the check goes through the JS probe', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  const srv = await answering('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  t.after(() => srv.close());
  const { np, started } = counting(addon);
  const r = await viaNative(np, spec(srv.port, { host: 'localhost' }), HTTP);
  assert.equal(started(), 0);
  // localhost may resolve to ::1 first, where nothing listens: either way the JS probe answered.
  assert.ok(r.status === 'L7OK' || r.status === 'L4CON', r.status);
});

test('cancel closes the socket, never calls back, and the thread lets it go', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  let closed = false;
  const srv = await tcpServer((s) => {
    s.resume();
    s.on('close', () => {
      closed = true;
    });
  });
  t.after(() => srv.close());
  let called = false;
  const cancel = nativeCheck(addon, spec(srv.port, { readMs: 5000 }), HTTP, () => {
    called = true;
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(addon.inFlight, 1);
  cancel();
  assert.equal(addon.inFlight, 0);
  await waitFor(() => closed, 2000, 'the server to see the check connection close');
  await waitFor(() => addon.nativeActive() === 0, 2000, 'the addon to drop the probe');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(called, false);
});

test('the engine checks through the native transport by default; stop() closes its sockets', async (t) => {
  const addon = requireAddon(t);
  if (!addon) return;
  assert.equal(defaultCheckTransport().native, true);
  const hang = await tcpServer((s) => s.resume());
  const ok = await answering('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  t.after(async () => {
    await hang.close();
    await ok.close();
  });
  const be = backendModel(
    'b',
    [serverModel('ok', ok.port, { inter: 100, rise: 1, fall: 1 }), serverModel('hang', hang.port, { inter: 100 })],
    { timeouts: { connect: 1000, check: 5000 } },
  );
  be.options.httpchk = httpchk('GET', '/');
  const rt = makeRuntime([be]);
  const engine = createHealthEngine(rt.rt);
  engine.start();
  await waitFor(() => rt.srv('b', 'ok').lastCheck?.status === 'L7OK', 3000, 'an L7OK check');
  await waitFor(() => addon.inFlight >= 1, 3000, 'the hanging check in flight');
  engine.stop();
  assert.equal(addon.inFlight, 0);
  await waitFor(() => addon.nativeActive() === 0, 2000, 'every check socket closed');
});
