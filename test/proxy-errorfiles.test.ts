/**
 * The proxy's own error replies side by side with Debian's haproxy 2.6, byte for byte:
 * `errorfile` (HTTP/1.0 and HTTP/1.1 files, with and without Content-Length, bare LF lines),
 * `http-errors` sections imported with `errorfiles NAME [CODE...]`, `errorloc`/`errorloc303`,
 * `http-error status N` (string, file, errorfile, errorfiles, default-errorfiles, hdr),
 * `http-request return|deny ... errorfile|errorfiles`, `deny [deny_]status N` with and without a payload
 * (an empty reply when there is none), and the mux's own 400 for a request it cannot parse, in defaults inheritance order (the
 * defaults' lines first, the last one naming a code wins) and with a backend's page before its
 * frontend's.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort, type ProxyProcess, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { type HaproxyProcess, needs, startHaproxyProcess, unixSocketAccepts } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'fe', 'fe2'] as const;
const ports: Record<'sy' | 'hx', Record<string, number>> = { sy: {}, hx: {} };

function files(): void {
  writeFile(
    tmp.dir,
    '503.http',
    'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nX-Custom:   spaced  \r\n\r\n<html><body><h1>503 custom</h1></body></html>\n',
  );
  writeFile(tmp.dir, '502.http', 'HTTP/1.1 502 Bad Gateway\nContent-Type: text/plain\n\nbad gw from section\n');
  writeFile(tmp.dir, '403.http', 'HTTP/1.0 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!');
  writeFile(tmp.dir, '400.http', 'HTTP/1.1 400 Mine\r\nContent-Length: 4\r\n\r\nmine');
  writeFile(tmp.dir, 'more503.http', 'HTTP/1.1 503 Later\r\nContent-Length: 5\r\nX-From: more\r\n\r\nlater');
  writeFile(tmp.dir, 'fe503.http', 'HTTP/1.1 503 Frontend Page\r\nContent-Length: 2\r\n\r\nfe');
  writeFile(tmp.dir, 'be503.http', 'HTTP/1.1 503 Backend Page\r\nContent-Length: 2\r\n\r\nbe');
}

function config(side: 'sy' | 'hx', refused: number): string {
  const d = tmp.dir;
  const p = ports[side];
  return `global
  stats socket ${d}/${side}.sock
http-errors site
  errorfile 502 ${d}/502.http
  errorfile 403 ${d}/403.http
http-errors more
  errorfile 503 ${d}/more503.http
defaults base
  mode http
  retries 0
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  errorfile 503 ${d}/503.http
  errorloc 504 /late
listen a from base
  bind 127.0.0.1:${p.a}
  server s 127.0.0.1:${refused}
listen b from base
  bind 127.0.0.1:${p.b}
  errorloc 503 http://example.com/sorry
  server s 127.0.0.1:${refused}
listen c from base
  bind 127.0.0.1:${p.c}
  errorloc303 503 /down
  server s 127.0.0.1:${refused}
listen d from base
  bind 127.0.0.1:${p.d}
  http-error status 503 content-type text/plain string "sorry we are down" hdr X-A "one" hdr X-B two
  server s 127.0.0.1:${refused}
listen e from base
  bind 127.0.0.1:${p.e}
  errorfiles site
  http-request deny if { path /deny }
  http-request deny deny_status 502 if { path /deny502 }
  server s 127.0.0.1:${refused}
listen f from base
  bind 127.0.0.1:${p.f}
  http-error status 503 errorfiles site
  http-error status 502 errorfiles site
  http-request return status 502 errorfiles site if { path /r }
  http-request deny deny_status 403 errorfiles site if { path /d }
  http-request return status 200 errorfile ${d}/403.http if { path /ef }
  server s 127.0.0.1:${refused}
listen g from base
  bind 127.0.0.1:${p.g}
  http-error status 503 default-errorfiles
  http-error status 403 content-type text/html file ${d}/502.http
  http-request deny if { path /deny }
  server s 127.0.0.1:${refused}
listen h from base
  bind 127.0.0.1:${p.h}
  errorfiles more 503
  errorfiles site 502
  server s 127.0.0.1:${refused}
listen i from base
  bind 127.0.0.1:${p.i}
  errorfile 400 ${d}/400.http
  http-request deny status 451 if { path /s451 }
  http-request deny deny_status 451 hdr X-A b if { path /h451 }
  http-request deny deny_status 451 content-type text/plain string x if { path /b451 }
  http-request deny hdr X-B c if { path /h403 }
  http-request deny deny_status 429 if { path /d429 }
  http-request return status 502 hdr X-C d if { path /r502 }
  http-request return status 505 if { path /r505 }
  server s 127.0.0.1:${refused}
defaults plain
  mode http
  retries 0
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe from plain
  bind 127.0.0.1:${p.fe}
  errorfile 503 ${d}/fe503.http
  default_backend nopages
frontend fe2 from plain
  bind 127.0.0.1:${p.fe2}
  errorfile 503 ${d}/fe503.http
  default_backend ownpages
backend nopages from plain
  server s 127.0.0.1:${refused}
backend ownpages from plain
  errorfile 503 ${d}/be503.http
  server s 127.0.0.1:${refused}
`;
}

/** Sends one keep-alive request, half-closes, and returns every byte until the proxy closes. */
function exchange(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close from port ${port} for ${path}`));
    }, 8000);
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.end(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

let hx: HaproxyProcess | undefined;
let sy: ProxyProcess | undefined;

before(async () => {
  if (skip) return;
  files();
  const refused = await freePort();
  for (const side of ['hx', 'sy'] as const) for (const n of NAMES) ports[side][n] = await freePort();
  hx = await startHaproxyProcess(writeFile(tmp.dir, 'hx.cfg', config('hx', refused)), () =>
    unixSocketAccepts(`${tmp.dir}/hx.sock`),
  );
  sy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', config('sy', refused))]);
});

after(async () => {
  await sy?.stop();
  await hx?.stop();
  tmp.cleanup();
});

const CASES: Array<[(typeof NAMES)[number], string, RegExp]> = [
  ['a', '/', /^HTTP\/1\.0 503 Service Unavailable\r\ncache-control: no-cache\r\ncontent-type: text\/html\r\n/],
  ['a', '/', /x-custom: spaced\r\n\r\n<html>/],
  [
    'b',
    '/',
    /^HTTP\/1\.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http:\/\/example.com\/sorry\r\n\r\n$/,
  ],
  ['c', '/', /^HTTP\/1\.1 303 See Other\r\n.*location: \/down\r\n\r\n$/s],
  [
    'd',
    '/',
    /^HTTP\/1\.1 503 Service Unavailable\r\nx-a: one\r\nx-b: two\r\ncontent-length: 17\r\ncontent-type: text\/plain\r\n\r\nsorry we are down$/,
  ],
  ['e', '/deny', /^HTTP\/1\.0 403 Forbidden\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nno!$/],
  ['e', '/deny502', /^HTTP\/1\.1 502 Bad Gateway\r\ncontent-type: text\/plain\r\nconnection: close\r\n\r\nbad gw/],
  ['e', '/', /^HTTP\/1\.0 503 Service Unavailable\r\n/],
  ['f', '/', /^HTTP\/1\.0 503 /],
  ['f', '/r', /^HTTP\/1\.1 502 Bad Gateway\r\ncontent-type: text\/plain\r\nconnection: close\r\n\r\n/],
  ['f', '/d', /^HTTP\/1\.0 403 Forbidden\r\n/],
  ['f', '/ef', /^HTTP\/1\.0 403 Forbidden\r\n/],
  ['g', '/', /^HTTP\/1\.1 503 Service Unavailable\r\ncontent-length: 107\r\n/],
  ['g', '/deny', /^HTTP\/1\.1 403 Forbidden\r\ncontent-length: 71\r\ncontent-type: text\/html\r\n\r\nHTTP\/1\.1 502/],
  ['h', '/', /^HTTP\/1\.1 503 Later\r\ncontent-length: 5\r\nx-from: more\r\n/],
  ['i', '/s451', /^HTTP\/1\.1 451 Unavailable For Legal Reasons\r\ncontent-length: 0\r\n\r\n$/],
  ['i', '/h451', /^HTTP\/1\.1 451 Unavailable For Legal Reasons\r\nx-a: b\r\ncontent-length: 0\r\n\r\n$/],
  [
    'i',
    '/b451',
    /^HTTP\/1\.1 451 Unavailable For Legal Reasons\r\ncontent-length: 1\r\ncontent-type: text\/plain\r\n\r\nx$/,
  ],
  ['i', '/h403', /^HTTP\/1\.1 403 Forbidden\r\nx-b: c\r\ncontent-length: 0\r\n\r\n$/],
  ['i', '/r502', /^HTTP\/1\.1 502 Bad Gateway or Proxy Error\r\nx-c: d\r\ncontent-length: 0\r\n/],
  ['i', '/r505', /^HTTP\/1\.1 505 HTTP Version not supported\r\n/],
  // a request the mux cannot parse: haproxy's own bytes and capitalisation, whatever errorfile 400 says
  [
    'i',
    '/bad path',
    /^HTTP\/1\.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text\/html\r\n\r\n<html><body><h1>400 Bad request<\/h1>\nYour browser sent an invalid request.\n<\/body><\/html>\n$/,
  ],
  ['i', '/d429', /^HTTP\/1\.1 429 Too Many Requests\r\n/],
  ['fe', '/', /^HTTP\/1\.1 503 Frontend Page\r\n/],
  ['fe2', '/', /^HTTP\/1\.1 503 Backend Page\r\n/],
];

describe('error replies (differential with haproxy 2.6)', { skip }, () => {
  for (const [name, path, shape] of CASES) {
    test(`${name} ${path}: byte for byte`, async () => {
      const theirs = await exchange(ports.hx[name], path);
      const ours = await exchange(ports.sy[name], path);
      assert.match(theirs, shape, 'haproxy');
      assert.equal(ours, theirs);
    });
  }

  test("a warning for a code the section does not have (haproxy's words)", () => {
    assert.match((sy as ProxyProcess).stderr(), /config: proxy 'f' : status '503' not declared/s);
  });
});
