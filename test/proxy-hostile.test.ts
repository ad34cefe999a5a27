/**
 * Hostile requests through the real proxy, on raw sockets: every request-smuggling shape is
 * answered 400 with HAProxy's page and nothing reaches the backend.
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

let up: Upstream;
let px: ProxyProcess;
let port: number;
const tmp = tempDir();

before(async () => {
  up = await startUpstream('up');
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'hostile.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server up 127.0.0.1:${up.port}
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

const SHAPES: Array<[string, string]> = [
  [
    'Content-Length with Transfer-Encoding (CL.TE)',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'Transfer-Encoding with Content-Length (TE.CL)',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n',
  ],
  [
    'duplicate differing Content-Length',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  ],
  ['Content-Length list with differing values', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!'],
  ['signed Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello'],
  ['obs-fold header continuation', 'GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n'],
  ['bad chunk size', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  [
    'chunk size overflow',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n',
  ],
  ['space before the colon', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n'],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\u0000b\r\n\r\n'],
  ['space in a header name', 'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n'],
  [
    'Transfer-Encoding not ending with chunked',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  ],
  ['unknown Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two different Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\n\n'],
  ['invalid method token', 'G(ET / HTTP/1.1\r\nHost: a\r\n\r\n'],
];

for (const [name, raw] of SHAPES) {
  test(`${name}: 400 and nothing forwarded`, async () => {
    const before = up.requests.length;
    const res = await rawRequest(port, raw);
    assert.match(res, /^HTTP\/1\.1 400 Bad request\r\n/, `response was: ${JSON.stringify(res.slice(0, 200))}`);
    assert.ok(
      res.includes('<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n'),
    );
    assert.equal(up.requests.length, before, 'nothing reached the backend');
  });
}

test('a valid request on the same proxy still works', async () => {
  const res = await rawRequest(port, 'GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(res, /^HTTP\/1\.1 200 /);
  assert.equal(up.requests.at(-1)?.url, '/ok');
});

test('pipelined valid requests reach the backend one by one', async () => {
  const n = up.requests.length;
  const res = await rawRequest(
    port,
    'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  assert.equal((res.match(/HTTP\/1\.1 200 /g) ?? []).length, 2);
  // node parses pipelined requests ahead, so both may be in flight at once; responses keep order
  assert.deepEqual(
    up.requests
      .slice(n)
      .map((r) => r.url)
      .sort(),
    ['/p1', '/p2'],
  );
  assert.ok(res.indexOf('up GET /p1') < res.indexOf('up GET /p2'), 'responses in request order');
});
