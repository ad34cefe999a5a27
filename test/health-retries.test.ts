/**
 * Retries and redispatch as issue 4 states them, end to end: a server that resets every
 * connection after reading the request (before any response byte). Idempotent requests are
 * retried on the other server (no client-visible error); a POST is never sent twice.
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

test('connection reset before any response byte: GET retried elsewhere, POST never sent twice', async (t) => {
  const tmp = tempDir();
  const bad = await resetter();
  const good = await startUpstream('good');
  t.after(async () => {
    await bad.close();
    await good.close();
    tmp.cleanup();
  });
  const fe = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'retries.cfg',
    `${defaults('  retries 3\n  option redispatch')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  balance roundrobin
  server bad 127.0.0.1:${bad.port}
  server good 127.0.0.1:${good.port}
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(async () => {
    await proxy.stop();
  });

  const getFailures: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`http://127.0.0.1:${fe}/g${i}`, { headers: { 'x-id': `g${i}` } });
    const body = await r.text();
    if (r.status !== 200) getFailures.push(`g${i}: ${r.status} ${body.slice(0, 60)}`);
  }
  assert.deepEqual(getFailures, [], 'every GET answered (retried on the good server)');
  assert.ok(
    bad.seen.some((x) => x.startsWith('GET ')),
    'the bad server was tried',
  );

  const postStatus: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`http://127.0.0.1:${fe}/p${i}`, {
      method: 'POST',
      headers: { 'x-id': `p${i}` },
      body: `order ${i}`,
    });
    await r.text();
    postStatus.push(r.status);
  }
  const posts = [
    ...bad.seen.filter((x) => x.startsWith('POST ')),
    ...good.requests.filter((r) => r.method === 'POST').map((r) => `POST ${r.headers['x-id']}`),
  ];
  const counts = new Map<string, number>();
  for (const p of posts) counts.set(p, (counts.get(p) ?? 0) + 1);
  assert.deepEqual(
    [...counts].filter(([, n]) => n > 1),
    [],
    'no POST reached a server twice',
  );
  const resetPosts = bad.seen.filter((x) => x.startsWith('POST ')).length;
  t.diagnostic(`POST statuses: ${postStatus.join(',')}; ${resetPosts} POSTs were reset by the bad server`);
  assert.equal(
    postStatus.filter((s) => s !== 200).length,
    resetPosts,
    'each reset POST is reported to its client, not replayed',
  );
});
