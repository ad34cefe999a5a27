/**
 * Rewrite actions through the real proxy and Debian's haproxy 2.6 on the same config:
 * replace-header, replace-value (both directions), replace-path, replace-pathq, replace-uri,
 * set-pathq, http-request reject, deny/return with `hdr`. Compared: what the origin sees and the responses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest as peerRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const BODY = String.raw`frontend fe
  bind 127.0.0.1:@PORT@
  http-request reject if { path /reject }
  http-request deny hdr X-A a%[path] if { path /denyhdr }
  http-request return status 200 content-type text/plain string hi hdr X-B b%[path] if { path /rethdr }
  http-request replace-header X-Id ^id-([0-9]+)$ num-\1-%[path]
  http-request replace-value X-List ^b(.*)$ B\1
  http-request replace-path ^/old/(.*)$ /new/\1 if { path_beg /old/ }
  http-request replace-pathq ^/q/(.*)\?(.*)$ /pq/\1?x=\2 if { path_beg /q/ }
  http-request replace-uri ^/u/(.*) /uri/\1 if { path_beg /u/ }
  http-request set-pathq /spq?set=1 if { path /spq }
  http-response replace-header X-Back ^(.*)$ back:\1
  http-response replace-value X-Vals ^two$ 2
  default_backend be
backend be
  server s 127.0.0.1:@UP@
`;

function view(r: { status: number; headers: string; body: string }): string {
  const h = (n: string) => new RegExp(`^${n}: (.*)$`, 'mi').exec(r.headers)?.[1] ?? '';
  // the body without its chunk framing
  const text = r.body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
  return `${r.status} | ${text} | ${h('x-back')} | ${h('x-vals')}`;
}

test('replace-* and set-pathq rewrite as haproxy 2.6 does; reject closes', { skip: needs('haproxy') }, async (t) => {
  const up = await startUpstream('o', (req, res) => {
    req.resume();
    res.writeHead(200, { 'x-back': 'orig', 'x-vals': 'one, two,three', 'content-type': 'text/plain' });
    res.end(`${req.url} id=${req.headers['x-id'] ?? ''} list=${req.headers['x-list'] ?? ''}`);
  });
  t.after(() => up.close());
  const body = BODY.replaceAll('@UP@', String(up.port));
  const { theirs: hapPort, ours: port } = await startPair(t, body);
  const req = (path: string, extra = '') =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Id: id-42\r\nX-Id: other\r\nX-List: a, bee,b2 ,c\r\n${extra}Connection: close\r\n\r\n`;
  const paths = ['/old/a/b?k=v', '/q/p?z=1', '/u/z?y', '/spq', '/plain?a', '/reject'];
  for (const path of paths) {
    const theirs = view(await peerRequest(hapPort, req(path)));
    const ours = view(await peerRequest(port, req(path)));
    assert.equal(ours, theirs, path);
  }
  assert.equal(
    view(await peerRequest(port, req('/old/a/b?k=v'))),
    '200 | /new/a/b?k=v id=num-42-/old/a/b, other list=a,Bee,B2,c | back:orig | one,2,three',
  );
  assert.equal(view(await peerRequest(port, req('/reject'))), '0 |  |  | ');
  // deny/return with hdr: the same head and body as haproxy (log-format values, hdr first)
  for (const path of ['/denyhdr', '/rethdr']) {
    const theirs = await peerRequest(hapPort, req(path));
    const ours = await peerRequest(port, req(path));
    assert.equal(
      `${ours.headers.toLowerCase()}\n\n${ours.body}`,
      `${theirs.headers.toLowerCase()}\n\n${theirs.body}`,
      path,
    );
  }
});

test('a bad regex in replace-header is a FILE:LINE error', async () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'bad.cfg',
      'defaults\n  mode http\nfrontend fe\n  bind 127.0.0.1:0\n  http-request replace-header X (a b\n',
    );
    const px = await startProxy(['-c', '-f', cfg], { waitReady: false });
    assert.notEqual(await px.exited, 0);
    assert.match(px.stderr() + px.stdout(), /bad\.cfg:5.*invalid regex '\(a'/);
  } finally {
    tmp.cleanup();
  }
});
