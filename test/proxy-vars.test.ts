/**
 * Variables through the real proxy and Debian's haproxy 2.6 on the same config: set-var,
 * set-var-fmt and unset-var in tcp-request connection/session/content, http-request and http-response
 * rules, the scopes (sess, txn, req/res), the 2.6 set-var conditions, var() with a default,
 * `-m` matching on var() and %[var(...)] in header values. Compared: the headers the origin
 * sees, and the responses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest as peerRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const BODY = `frontend fe
  bind 127.0.0.1:@PORT@
  tcp-request connection set-var(sess.conn) int(7)
  tcp-request connection set-var(txn.lost) int(8)
  tcp-request session reject if { src 127.0.0.2 }
  tcp-request session set-var-fmt(sess.ses) "S%[var(sess.conn)]"
  tcp-request content set-var(txn.u) str(tc)
  http-request set-var(txn.host) req.hdr(host),lower
  http-request set-var(req.k) str(k)
  http-request set-var(txn.n) int(5)
  http-request set-var(txn.n,ifgt) int(3)
  http-request set-var(txn.m) int(5)
  http-request set-var(txn.m,iflt) int(3)
  http-request set-var(txn.e) str(x)
  http-request set-var(txn.e,ifnotempty) str()
  http-request set-var(txn.g) str(kept)
  http-request set-var(txn.g) req.hdr(absent)
  http-request set-var(txn.once,ifnotexists) str(first)
  http-request set-var(txn.once,ifnotexists) str(second)
  http-request set-var-fmt(txn.f) "%[var(txn.host)]-%[var(txn.n)]"
  http-request unset-var(txn.u) if { path /unset }
  http-request set-header x-vars "host=%[var(txn.host)] k=%[var(req.k)] n=%[var(txn.n)] m=%[var(txn.m)] e=%[var(txn.e)] g=%[var(txn.g)] o=%[var(txn.once)] f=%[var(txn.f)] s=%[var(sess.conn)] ses=%[var(sess.ses)] l=%[var(txn.lost)] u=%[var(txn.u)] d=%[var(txn.none,dflt)]"
  http-request deny deny_status 403 if { var(txn.host) -m beg evil }
  http-request return status 200 content-type text/plain lf-string "small n=%[var(txn.n)]" if { path /int } { var(txn.n) -m int lt 4 }
  http-response set-var(res.st) status
  http-response set-header x-res "k=%[var(req.k)] st=%[var(res.st)] host=%[var(txn.host)]"
  default_backend be
backend be
  server s 127.0.0.1:@UP@
`;

function request(path: string, host: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
}

/** Status, the origin's view of x-vars (echoed back) and x-res, or the body of a local answer. */
function view(r: { status: number; headers: string; body: string }): string {
  const h = (n: string) => new RegExp(`^${n}: (.*)$`, 'mi').exec(r.headers)?.[1] ?? '';
  return `${r.status} | ${h('x-seen')} | ${h('x-res')} | ${r.status === 200 && !h('x-seen') ? r.body : ''}`;
}

test('variables: same origin headers and responses as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const up = await startUpstream('o', (req, res) => {
    req.resume();
    res.writeHead(200, { 'x-seen': String(req.headers['x-vars'] ?? ''), 'content-type': 'text/plain' });
    res.end('ok');
  });
  t.after(() => up.close());
  const body = BODY.replaceAll('@UP@', String(up.port));
  const { theirs: hapPort, ours: port } = await startPair(t, body);
  const cases: Array<[string, string]> = [
    ['/', 'Example.COM'],
    ['/unset', 'a.example'],
    ['/int', 'b.example'],
    ['/', 'evil.example'],
  ];
  for (const [path, host] of cases) {
    const theirs = view(await peerRequest(hapPort, request(path, host)));
    const ours = view(await peerRequest(port, request(path, host)));
    assert.equal(ours, theirs, `${path} ${host}`);
  }
  // tcp-request session reject: both close without a response
  const closed = (p: number) =>
    peerRequest(p, request('/', 'x'), '127.0.0.2').then(
      // a FIN or a reset, depending on whether the request bytes had arrived before the close
      (r) => (r.status === 0 && r.body === '' ? 'closed' : `${r.status} ${r.body}`),
      (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? 'closed' : String(e)),
    );
  const theirsRejected = await closed(hapPort);
  assert.equal(await closed(port), theirsRejected);
  assert.equal(theirsRejected, 'closed');
  // the reference output, so a change on both sides still shows
  assert.equal(
    view(await peerRequest(port, request('/', 'Example.COM'))),
    '200 | host=example.com k=k n=3 m=5 e=x g=kept o=first f=example.com-3 s=7 ses=S7 l= u=tc d=dflt | k= st=200 host=example.com | ',
  );
});

test('var() in an ACL needs -m, as in haproxy 2.6', async () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'bad.cfg',
      'defaults\n  mode http\nfrontend fe\n  bind 127.0.0.1:0\n  acl a var(txn.x) abc\n  http-request deny if a\n',
    );
    const px = await startProxy(['-c', '-f', cfg], { waitReady: false });
    const code = await px.exited;
    assert.notEqual(code, 0);
    assert.match(px.stderr() + px.stdout(), /bad\.cfg:5.*matching method must be specified first \(using '-m'\)/);
  } finally {
    tmp.cleanup();
  }
});
