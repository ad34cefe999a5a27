/**
 * userlist + http_auth()/http_auth_group() + `http-request auth` through the real proxy and
 * Debian's haproxy 2.6 on the same config: hashes of every method Switchyard verifies (made by
 * mkpasswd from Debian's whois package), insecure passwords, groups given on both sides, realms,
 * and malformed Authorization headers. Compared: the whole response (status line, headers, body).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { freePort, startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

// mkpasswd -m md5crypt|sha256crypt|sha512crypt|bcrypt secret
const BODY = `userlist L
  group admins users md5u
  group ops
  user md5u password $1$WSTmEYNk$v3Yk7wJvY/Xz/xNIUKFTL.
  user s256 password $5$Wdtz3Wwto90k7nXW$r.aGe.H7d5JKYeXvxf4Arfn0IMTiZGmvrgvD6ZEV9S8 groups ops
  user s512 password $6$TbKxw.zJgvAm6ORf$SHlSXO58bAs.2U9Tz4Au/Te0IJks2aJMWmdfQvgwBiWKn0r.KtEaddgeOZDftYuNN8HExpmBiocjJV2jNHXnQ.
  user bc password $2b$05$CqIi8QK6MQhZk25XGJD2veaY40m/qbgeXPqjS7/2ucLSrazsZqBpa
  user plain insecure-password secret groups admins,ops
frontend fe
  bind 127.0.0.1:@PORT@
  http-request auth realm "My Realm" if { path /r } !{ http_auth(L) }
  http-request auth if { path /a } !{ http_auth_group(L) admins }
  http-request auth if { path /o } !{ http_auth_group(L) ops admins }
  http-request return status 200 content-type text/plain lf-string "g=%[http_auth_group(L)] t=%[http_auth_type] u=%[http_auth_user] p=%[http_auth_pass] ok=%[http_auth(L)]" if { path /info }
  http-request auth unless { http_auth(L) } || { path /b }
  default_backend be
backend be
  http-request auth realm be-realm if { path /b } !{ http_auth(L) }
  server s 127.0.0.1:@UP@
`;

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');

function request(path: string, auth?: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\n${auth === undefined ? '' : `Authorization: ${auth}\r\n`}Connection: close\r\n\r\n`;
}

/** The whole response when the proxy answered; status and body when the origin did (its hop-by-hop headers differ). */
function view(r: { status: number; headers: string; body: string }): string {
  if (/^x-upstream:/im.test(r.headers)) return `${r.status} from the origin: ${r.body}`;
  return `${r.headers}\n\n${r.body}`;
}

test('userlist auth: same responses as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const up = await startUpstream('o');
  t.after(() => up.close());
  const { theirs, ours } = await startPair(t, BODY.replaceAll('@UP@', String(up.port)));
  const cases: Array<[string, string | undefined]> = [
    ['/', undefined],
    ['/r', undefined],
    ['/b', undefined],
  ];
  for (const u of ['md5u', 's256', 's512', 'bc', 'plain', 'nobody'])
    for (const path of ['/', '/a', '/o', '/r', '/b', '/info']) {
      cases.push([path, `Basic ${b64(`${u}:secret`)}`]);
      cases.push([path, `Basic ${b64(`${u}:wrong`)}`]);
    }
  cases.push(
    ['/info', `basic ${b64('plain:secret')}`],
    ['/info', `Bas ${b64('plain:secret')}`],
    ['/info', `Basic    ${b64('plain:secret')}`],
    ['/info', `Basic ${b64('plain:secret:more')}`],
    ['/info', `Basic ${b64('plainsecret')}`],
    ['/info', `Basic ${b64('plain:secret').slice(1)}`],
    ['/info', 'Basic !!!!'],
    ['/info', 'Bearer abc.def'],
    ['/info', 'Digest x=y'],
    ['/info', 'Basic'],
    ['/', `Basic ${b64('md5u:secret')}`],
  );
  for (const [path, auth] of cases) {
    const want = view(await rawRequest(theirs, request(path, auth)));
    assert.equal(view(await rawRequest(ours, request(path, auth))), want, `${path} ${auth}`);
  }
  // the reference 401 page, so a change on both sides still shows
  assert.equal(
    view(await rawRequest(ours, request('/r'))),
    'HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm="My Realm"\r\nconnection: close\n\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n',
  );
});

test('a user without a password never authenticates (haproxy 2.6 crashes on it)', async (t) => {
  const up = await startUpstream('o');
  t.after(() => up.close());
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'np.cfg',
    `defaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\nuserlist L\n  user nopass\n  user p insecure-password x\nfrontend fe\n  bind 127.0.0.1:${port}\n  http-request auth unless { http_auth(L) }\n  server s 127.0.0.1:${up.port}\n`
      .replace('  server s', 'backend be\n  server s')
      .replace('backend be', '  default_backend be\nbackend be'),
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  assert.match(px.stderr(), /np\.cfg:7.*user 'nopass' has no password: it never authenticates/);
  assert.equal((await rawRequest(port, request('/', `Basic ${b64('nopass:')}`))).status, 401);
  assert.equal((await rawRequest(port, request('/', `Basic ${b64('p:x')}`))).status, 200);
});

test('http_auth() naming an unknown userlist is a load error with FILE:LINE', async () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'bad.cfg',
      'defaults\n  mode http\nfrontend fe\n  bind 127.0.0.1:0\n  http-request auth if !{ http_auth(nope) }\n  http-request deny\n',
    );
    const px = await startProxy(['-c', '-f', cfg], { waitReady: false });
    assert.notEqual(await px.exited, 0);
    assert.match(px.stderr() + px.stdout(), /bad\.cfg:5.*unable to find userlist 'nope'/);
  } finally {
    tmp.cleanup();
  }
});
