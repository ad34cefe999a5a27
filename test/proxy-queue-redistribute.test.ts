/**
 * Requests waiting for a server's slot (`maxconn`) when that server goes into maintenance or
 * DOWN move to the backend's queue and are served by another server (HAProxy's
 * pendconn_redistribute), instead of waiting for the first server or `timeout queue`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import {
  defaults,
  freePort,
  type ProxyProcess,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';

let px: ProxyProcess;
let port: number;
let cli: number;
let a: Upstream;
let b: Upstream;
const tmp = tempDir();

before(async () => {
  // a answers after 3 s; b after 300 ms
  a = await startUpstream('a', (req, res) => {
    req.resume();
    setTimeout(() => res.end('from a'), 3000).unref();
  });
  b = await startUpstream('b', (req, res) => {
    req.resume();
    setTimeout(() => res.end('from b'), 300).unref();
  });
  port = await freePort();
  cli = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'queue.cfg',
    `${defaults().replace('global\n', `global\n  stats socket ipv4@127.0.0.1:${cli} level admin\n`)}
  timeout queue 20s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
  cookie SRV insert indirect nocache
  server a 127.0.0.1:${a.port} maxconn 1 cookie a
  server b 127.0.0.1:${b.port} maxconn 1 cookie b
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await a?.close();
  await b?.close();
  tmp.cleanup();
});

test('queued on a server put in maintenance: served by the other server at once', async () => {
  const t0 = Date.now();
  const get = (p: string, cookie?: string) =>
    request(`http://127.0.0.1:${port}${p}`, { headers: cookie ? { cookie } : {} }).then(async (r) => ({
      text: await r.body.text(),
      ms: Date.now() - t0,
    }));
  // 1 -> a (busy 3 s), 2 -> b, 3 persists to a (cookie) and waits in a's queue (maxconn 1)
  const r1 = get('/1', 'SRV=a');
  await until(() => a.requests.length === 1, 5000, 'first request on a');
  const r2 = get('/2', 'SRV=b');
  await until(() => b.requests.length === 1, 5000, 'second request on b');
  const r3 = get('/3', 'SRV=a');
  const stat = () => cliQuery({ host: '127.0.0.1', port: cli }, 'show stat');
  await until(async () => /\nbe,a,1,/.test(await stat()), 5000, 'one request queued on a');
  assert.equal(await cliQuery({ host: '127.0.0.1', port: cli }, 'disable server be/a'), '\n');
  const third = await r3;
  assert.equal(third.text, 'from b', 'the waiting request went to b');
  assert.ok(third.ms < 2500, `served in ${third.ms} ms, before a's slot would have freed`);
  assert.equal((await r2).text, 'from b');
  assert.equal((await r1).text, 'from a');
});
