/**
 * `http-error status N ... lf-string|lf-file`: the page's body is a log-format rendered per reply,
 * with the same head and body as Debian's haproxy 2.6 on the same config (a 503 without a server,
 * a backend's page before its frontend's); a request that cannot be parsed gets the built-in 400
 * (haproxy's mux has no stream to render it with).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

test('http-error lf-string / lf-file pages render as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const file = writeFile(tmp.dir, 'page.lf', 'file page for %[req.hdr(host)]\n');
  const body = `frontend fe
  bind 127.0.0.1:@PORT@
  http-error status 503 content-type text/plain lf-string "down %[req.hdr(host)] path=%[path] v=%[var(txn.x)]"
  http-error status 400 content-type text/plain lf-string "bad request from %[src]"
  http-request set-var(txn.x) str(set)
  use_backend own if { path_beg /own }
  default_backend none
backend none
backend own
  http-error status 503 content-type text/html lf-file ${file}
`;
  const { theirs, ours } = await startPair(t, body);
  const view = (r: { status: number; headers: string; body: string }) =>
    `${r.status}\n${r.headers
      .split('\r\n')
      .filter((l) => /^(content-type|content-length|cache-control):/i.test(l))
      .map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()))
      .join('\n')}\n${r.body}`;
  for (const req of [
    'GET /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n',
    'GET /own/y HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n',
    'GET /bad path HTTP/1.1\r\nHost: c\r\n\r\n',
  ]) {
    const expected = view(await rawRequest(theirs, req));
    assert.equal(view(await rawRequest(ours, req)), expected, req);
  }
  assert.match(
    view(await rawRequest(ours, 'GET /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n')),
    /down a\.example path=\/x v=set$/,
  );
});
