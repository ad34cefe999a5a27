/**
 * `--workers 2` without Redis: a stick table holds node-wide, so a client's next connection,
 * whichever worker takes it, goes to the same server (packages/state worker-sync.ts over the
 * primary's relay).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  defaults,
  freePort,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  until,
  writeFile,
} from './helpers/proxy.ts';

function cli(path: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      out += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.write(`${cmd}\n`);
  });
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

test('--workers 2: stick on src holds across workers (no redis-url)', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  const sock = join(tmp.dir, 'admin.sock');
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    's.cfg',
    `${defaults().replace('global\n', `global\n  stats socket ${sock} level admin\n`)}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
  stick-table type ip size 1k expire 10m
  stick on src
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
`,
  );
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(async () => {
    await px.stop('SIGKILL');
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  await px.waitFor('ready with 2 workers');
  // the entry is made through one worker (server b, id 2); a fresh round-robin would pick a first
  assert.equal(await cli(sock, 'set table be key 127.0.0.1 data.server_id 2'), '\n');
  // it reaches the other worker: consecutive `show table` (connections alternate) all have it
  await until(
    async () => {
      for (let i = 0; i < 4; i++)
        if (!/key=127\.0\.0\.1 .*server_id=2/.test(await cli(sock, 'show table be'))) return false;
      return true;
    },
    10000,
    'entry in both workers',
  );
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add(/x-upstream: (\w)/i.exec(await rawRequest(port, GET))?.[1] ?? '?');
  assert.deepEqual([...seen], ['b']);
  assert.equal(a.requests.length, 0);
  const pids = new Set([...px.stderr().matchAll(/\((\d+)\) : frontend 'fe' listening/g)].map((m) => m[1]));
  assert.equal(pids.size, 2, 'two workers serve (node:cluster hands new connections out round-robin)');
});
