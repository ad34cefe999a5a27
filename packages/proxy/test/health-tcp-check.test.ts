/**
 * The tcp-check runner against real loopback servers that answer in pieces, slowly, too much or
 * not at all: the cases where HAProxy's evaluation order matters (waiting, expect chains, the
 * 16 KiB buffer, step numbers with comments). The words themselves are compared with haproxy in
 * test/health-tcp-check-compat.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { parseConfig, type TcpCheckModel } from '@switchyard/config';
import { compileTcpCheck } from '../src/health/tcp-check.ts';
import { runTcpCheck } from '../src/health/tcp-check-run.ts';
import type { CheckResult } from '../src/model/server-state.ts';

const servers: Array<{ close(): void }> = [];
after(() => {
  for (const s of servers) s.close();
});

/** A server running `script` on each connection; resolves to its port. */
async function serve(script: (s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    s.on('error', () => {});
    script(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push({ close: () => srv.close() });
  return (srv.address() as { port: number }).port;
}

/** The tcp-check model of `lines` (tcp-check lines of a backend with `option tcp-check`). */
function model(lines: string): TcpCheckModel {
  const text = `defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend b\n  option tcp-check\n${lines}\n  server s 127.0.0.1:1 check\n`;
  const r = parseConfig([{ file: 't.cfg', text }], { env: {} });
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const m = r.model.proxies.find((p) => p.name === 'b')?.options.tcpCheck;
  assert.ok(m);
  return m;
}

function check(port: number, m: TcpCheckModel, readMs = 500): Promise<CheckResult> {
  return new Promise((resolve) => {
    runTcpCheck({ host: '127.0.0.1', port, connectMs: 500, readMs, tlsBase: {} }, compileTcpCheck(m), (r) =>
      resolve(r),
    );
  });
}

/** The result without its duration, and without the keys it does not have. */
const strip = (r: CheckResult) => JSON.parse(JSON.stringify({ status: r.status, code: r.code, info: r.info }));

test('a reply that comes in pieces is waited for, then matched', async () => {
  const port = await serve((s) => {
    s.once('data', () => {
      s.write('+PO');
      setTimeout(() => s.write('NG\r\n'), 80);
    });
  });
  const r = await check(port, model('  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG'));
  assert.deepEqual(strip(r), { status: 'L7OK', code: 0, info: '(tcp-check)' });
});

test('a negated expect is evaluated again with the later bytes (the chain resumes at its head)', async () => {
  // "ERR" arrives after the wanted word: HAProxy re-runs the chain from the negated rule.
  const port = await serve((s) => {
    s.write('OK ');
    setTimeout(() => s.write('ERR\r\n'), 80);
  });
  const m = model('  tcp-check expect ! string ERR\n  tcp-check expect string OK\n  tcp-check expect string \\r\\n');
  const r = await check(port, m);
  assert.deepEqual(strip(r), { status: 'L7RSP', info: "TCPCHK matched unwanted content 'ERR' at step 1" });
});

test('min-recv makes a mismatch final once that many bytes came; without it the check waits', async () => {
  const port = await serve((s) => s.write('220-wait\r\n'));
  const final = await check(port, model('  tcp-check expect rstring ^220\\  min-recv 4 error-status L7STS'));
  assert.deepEqual(strip(final), { status: 'L7STS', code: 0, info: 'TCPCHK did not match content (regex) at step 1' });
  const waits = await check(port, model('  tcp-check expect rstring ^220\\ '), 200);
  assert.deepEqual(strip(waits), { status: 'L7TOUT', info: ' at step 1 of tcp-check (expect regex)' });
});

test('a comment goes to the following rules of one kind; step numbers count every tcp-check line', async () => {
  const port = await serve((s) => s.end('welcome\r\n'));
  const m = model(
    '  tcp-check comment "say hello"\n  tcp-check send hello\\r\\n\n  tcp-check comment greeting\n  tcp-check expect string welcome\n  tcp-check expect string friend',
  );
  const r = await check(port, m);
  assert.deepEqual(strip(r), {
    status: 'L7RSP',
    info: "TCPCHK did not match content 'friend' at step 5 comment: greeting",
  });
});

test('at most 16 KiB are read, and the info is cut at 127 bytes', async () => {
  const big = 'x'.repeat(20000);
  const port = await serve((s) => s.write(`${big}END`));
  const r = await check(port, model('  tcp-check expect string END'));
  // The buffer is full before END arrives: a conclusive mismatch, not a timeout.
  assert.deepEqual(strip(r), { status: 'L7RSP', info: "TCPCHK did not match content 'END' at step 1" });
  const long = 'y'.repeat(300);
  const r2 = await check(port, model(`  tcp-check expect string END error-status L7STS on-error ${long}`));
  assert.equal(r2.info, 'y'.repeat(127));
});

test('a reset with nothing received is a socket error at the step it happened', async () => {
  const port = await serve((s) => s.on('data', () => s.resetAndDestroy()));
  const r = await check(port, model('  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG'));
  assert.deepEqual(strip(r), {
    status: 'SOCKERR',
    info: "Connection reset by peer at step 2 of tcp-check (expect string '+PONG')",
  });
});

test('a second connect to a refused port names the rule and its port', async () => {
  const port = await serve((s) => s.end('+PONG\r\n'));
  const closed = await serve((s) => s.destroy());
  servers.pop()?.close();
  await new Promise((r) => setTimeout(r, 50));
  const m = model(
    `  tcp-check connect\n  tcp-check expect string +PONG\n  tcp-check connect port ${closed} comment second`,
  );
  const r = await check(port, m);
  assert.deepEqual(strip(r), {
    status: 'L4CON',
    info: `Connection refused at step 3 of tcp-check (connect port ${closed}) comment: 'second'`,
  });
});
