/**
 * Fetches that read live state through the real process: response fetches (`status`, `res.hdr`)
 * in http-response rules, and backend fetches (`nbsrv`, `srv_is_up`) in http-request rules,
 * following a reload.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  writeFile,
} from './helpers/proxy.ts';

let px: ProxyProcess;
let up: Upstream;
let port: number;
const tmp = tempDir();

before(async () => {
  up = await startUpstream('up', (req, res) => {
    req.resume();
    const missing = req.url?.startsWith('/missing');
    res.writeHead(missing ? 404 : 200, { 'content-type': 'text/plain', 'x-kind': missing ? 'none' : 'page' });
    res.end('body\n');
  });
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'live.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  http-request return status 503 content-type text/plain string "maintenance page" if { path_beg /spare } { nbsrv(spare) lt 1 }
  use_backend spare if { path_beg /spare }
  default_backend be
  http-response set-header X-Status-Seen %[status] if { status 404 }
  http-response set-header X-Kind-Seen %[res.hdr(x-kind)] if { res.hdr(x-kind) -m str page }
backend be
  server s 127.0.0.1:${up.port}
backend spare
  server s1 127.0.0.1:${up.port} disabled
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

const get = (path: string) => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);

test('http-response conditions read the server status and response headers', async () => {
  const notFound = await get('/missing');
  assert.match(notFound, /^HTTP\/1\.1 404 /);
  assert.match(notFound, /\r\nx-status-seen: 404\r\n/i);
  assert.doesNotMatch(notFound, /x-kind-seen/i);
  const ok = await get('/page');
  assert.match(ok, /^HTTP\/1\.1 200 /);
  assert.match(ok, /\r\nx-kind-seen: page\r\n/i);
  assert.doesNotMatch(ok, /x-status-seen/i);
});

test('nbsrv(backend) sees the running server states', async () => {
  // the only server of `spare` is disabled (MAINT): nbsrv is 0, the maintenance page answers
  const r = await get('/spare/x');
  assert.match(r, /^HTTP\/1\.1 503 /);
  assert.match(r, /maintenance page/);
});
