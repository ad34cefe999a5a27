/**
 * `http-after-response` through the real proxy and Debian's haproxy 2.6 on the same config: rules
 * run on the server's responses and on every response the proxy makes itself (deny, auth,
 * redirect, return, 503 without a server, the stats page), the backend's rules before the
 * frontend's, `allow` ending a list, set-status with and without a reason, variables (req. ones
 * are gone by then), and not on a request the HTTP parser refused (as HAProxy's mux answers those).
 * Conditions read variables and the response: request fetches such as `path` never match in
 * response rules (both warn), and log-format values may not use them (both refuse).
 * Compared: status line, header fields (names in lower case: haproxy lowercases them, Switchyard
 * keeps a rule's case; hop-by-hop and Date fields left out) and body.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const BODY = `userlist L
  user u insecure-password p
frontend fe
  bind 127.0.0.1:@PORT@
  stats uri /stats
  http-request set-var(req.r) str(reqvar)
  http-request set-var(txn.q) str(txnvar)
  http-request set-var(txn.allow) bool(1) if { path /allow }
  http-request deny if { path /deny }
  http-request auth realm R if { path /auth } !{ http_auth(L) }
  http-request redirect location /elsewhere if { path /redir }
  http-request return status 200 content-type text/plain string ret if { path /ret }
  http-after-response set-header Strict-Transport-Security "max-age=31536000"
  http-after-response add-header x-after "st=%[status] be=%[var(txn.t)] r=%[var(req.r)] q=%[var(txn.q)]"
  http-after-response set-status 418 if { status 404 }
  http-after-response set-status 299 reason "Fine Then" if { status 503 }
  http-after-response allow if { var(txn.allow) -m bool }
  http-after-response del-header x-drop
  http-after-response replace-header x-rep (.*)-old \\1-new
  http-after-response replace-value x-list ^b$ B
  http-after-response set-var(res.s) res.hdr(x-rep)
  http-after-response add-header x-res "%[var(res.s)]" if { res.hdr(x-rep) -m found }
  use_backend nosrv if { path /none }
  default_backend be
backend be
  http-after-response set-var(txn.t) str(be)
  http-after-response set-header x-be be
  http-after-response del-header x-after
  server s 127.0.0.1:@UP@
backend nosrv
  http-after-response set-header x-be nosrv
`;

/** Status line, sorted header fields (lower-cased names, without Date and hop-by-hop ones), body unless `noBody`. */
function view(r: { status: number; headers: string; body: string }, noBody = false): string {
  const [line, ...fields] = r.headers.split('\r\n');
  const lower = fields.map((f) => f.replace(/^([^:]+):/, (_m, n: string) => `${n.toLowerCase()}:`));
  const kept = lower.filter(
    (f) => !/^(date|connection|keep-alive|transfer-encoding|content-length|content-type):/.test(f),
  );
  // content-length and content-type of the stats page differ (its HTML is Switchyard's own)
  const whole = noBody ? [] : lower.filter((f) => /^(content-length|content-type):/.test(f));
  return `${line}\n${[...kept, ...whole].sort().join('\n')}\n\n${noBody ? '' : r.body}`;
}

const req = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;

test('http-after-response: same responses as haproxy 2.6, the proxy own ones included', {
  skip: needs('haproxy'),
}, async (t) => {
  const up = await startUpstream('o', (q, res) => {
    q.resume();
    res.writeHead(q.url?.startsWith('/nf') ? 404 : 200, {
      'x-drop': 'd',
      'x-rep': 'abc-old',
      'x-list': 'a, b, c',
      'content-type': 'text/plain',
    });
    res.end('up');
  });
  t.after(() => up.close());
  const { theirs, ours } = await startPair(t, BODY.replaceAll('@UP@', String(up.port)));
  const cases: Array<[string, string]> = [
    [req('/ok'), 'server 200'],
    [req('/nf'), 'server 404 -> 418'],
    [req('/allow'), 'allow ends the frontend list'],
    [req('/deny'), 'deny page'],
    [req('/auth'), '401 page'],
    [req('/auth', `Authorization: Basic ${Buffer.from('u:p').toString('base64')}\r\n`), 'authenticated'],
    [req('/redir'), 'redirect'],
    [req('/ret'), 'return'],
    [req('/none'), '503 without a server -> 299'],
    ['GET / HTTP/1.1\r\nHost: x\r\nbad header line\r\nConnection: close\r\n\r\n', 'unparsable request: no rules'],
  ];
  for (const [text, what] of cases) {
    const want = view(await rawRequest(theirs, text));
    assert.equal(view(await rawRequest(ours, text)), want, what);
  }
  const stats = view(await rawRequest(theirs, req('/stats')), true);
  assert.equal(view(await rawRequest(ours, req('/stats')), true), stats, 'stats page');
  // the reference output of two cases, so a change on both sides still shows
  assert.equal(
    view(await rawRequest(ours, req('/deny'))),
    'HTTP/1.1 403 Forbidden\ncache-control: no-cache\ncontent-length: 93\ncontent-type: text/html\nstrict-transport-security: max-age=31536000\nx-after: st=403 be= r= q=txnvar\n\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n',
  );
  assert.equal(
    view(await rawRequest(ours, req('/nf'))),
    "HTTP/1.1 418 I'm a teapot\ncontent-type: text/plain\nstrict-transport-security: max-age=31536000\nx-after: st=404 be=be r= q=txnvar\nx-be: be\nx-list: a,B, c\nx-rep: abc-new\nx-res: abc-new\n\n2\r\nup\r\n0\r\n\r\n",
  );
});

test('request fetches in response rules: ACLs never match (warning), log-format refuses them, as haproxy 2.6', async () => {
  const tmp = tempDir();
  try {
    const text = (rule: string) =>
      `defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nfrontend fe\n  bind 127.0.0.1:18999\n  ${rule}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`;
    const warned = writeFile(tmp.dir, 'w.cfg', text('http-after-response set-header x 1 if { path /a }'));
    const w = await startProxy(['-c', '-f', warned], { waitReady: false });
    assert.equal(await w.exited, 0);
    assert.match(w.stderr() + w.stdout(), /w\.cfg:8: anonymous acl will never match because it uses keyword 'path'/);
    const refused = writeFile(tmp.dir, 'r.cfg', text('http-response set-header x "%[req.hdr(host)]"'));
    const r = await startProxy(['-c', '-f', refused], { waitReady: false });
    assert.notEqual(await r.exited, 0);
    assert.match(r.stderr() + r.stdout(), /r\.cfg:8: sample fetch <req\.hdr> may not be reliably used here/);
  } finally {
    tmp.cleanup();
  }
});
