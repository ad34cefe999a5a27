/**
 * Retries and redispatch end to end: a server that resets every connection after reading the
 * request (before any response byte). As haproxy 2.6, the default `retry-on conn-failure` does not
 * retry it (the connection was made); `retry-on empty-response` does, on the other server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { defaults, freePort, startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';

/** Reads each request head (and whatever body came with it), records it, then resets the connection. */
async function resetter(): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const socks = new Set<Socket>();
  const srv: Server = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const id = /\r\nx-id: *([^\r]+)/i.exec(head)?.[1] ?? '?';
      seen.push(`${head.split(' ')[0]} ${id}`);
      s.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

test('connection reset before any response byte: 502 by default (conn-failure), retried elsewhere with retry-on empty-response', async (t) => {
  const tmp = tempDir();
  const bad = await resetter();
  const good = await startUpstream('good');
  t.after(async () => {
    await bad.close();
    await good.close();
    tmp.cleanup();
  });
  const fe = await freePort();
  const fe2 = await freePort();
  const servers = `  balance roundrobin
  server bad 127.0.0.1:${bad.port}
  server good 127.0.0.1:${good.port}`;
  const cfg = writeFile(
    tmp.dir,
    'retries.cfg',
    `${defaults('  retries 3\n  option redispatch')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
frontend www2
  bind 127.0.0.1:${fe2}
  default_backend app2
backend app
${servers}
backend app2
  retry-on empty-response
${servers}
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(async () => {
    await proxy.stop();
  });

  // haproxy 2.6 (measured, test/proxy-retry-on.test.ts): the connection was made and the request
  // sent, so the default retry-on (conn-failure) does not retry; the client gets the 502
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`http://127.0.0.1:${fe}/g${i}`, { headers: { 'x-id': `g${i}` } });
    await r.text();
    statuses.push(r.status);
  }
  assert.deepEqual(
    statuses,
    statuses.map((_s, i) => (i % 2 === 0 ? 502 : 200)),
    'the bad server answers 502, the good one 200',
  );
  assert.deepEqual(
    bad.seen,
    [0, 2, 4, 6, 8].map((i) => `GET g${i}`),
    'each request reached the bad server once',
  );

  const failures: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`http://127.0.0.1:${fe2}/h${i}`, { headers: { 'x-id': `h${i}` } });
    const body = await r.text();
    if (r.status !== 200) failures.push(`h${i}: ${r.status} ${body.slice(0, 60)}`);
  }
  assert.deepEqual(failures, [], 'every GET answered (retried on the good server)');
  assert.ok(
    bad.seen.some((x) => x.startsWith('GET h')),
    'the bad server was tried',
  );
});
