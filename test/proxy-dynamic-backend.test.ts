/**
 * Map-driven routing as haproxy 2.6: `use_backend %[req.hdr(host),lower,map(FILE,DEFAULT)]` and
 * `use_backend be_%[...]`; a name that is no backend falls to default_backend. Same config run by
 * Debian's haproxy and by Switchyard, the backend that answers compared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest as peerRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

test('use_backend with a map and a be_%[...] name picks the same backend as haproxy 2.6', {
  skip: needs('haproxy'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const map = writeFile(
    tmp.dir,
    'hosts.map',
    '# host backend\nshop.example.com be_shop\napi.example.com be_api\nodd.example.com nosuch\n',
  );
  const ups = await Promise.all(['shop', 'api', 'dflt', 'v2'].map((n) => startUpstream(n)));
  t.after(() => Promise.all(ups.map((u) => u.close())));
  const backends = ups.map((u) => `backend be_${u.name}\n  server s 127.0.0.1:${u.port}\n`).join('');
  const body = `frontend fe
  bind 127.0.0.1:@PORT@
  use_backend be_%[req.hdr(x-ver)] if { req.hdr(x-ver) -m found }
  use_backend %[req.hdr(host),lower,map(${map},be_dflt)]
  default_backend be_shop
${backends}`;
  const { theirs, ours } = await startPair(t, body);
  const cases: Array<[string, string]> = [
    ['Shop.Example.COM', ''],
    ['api.example.com', ''],
    ['unknown.example.com', ''],
    ['odd.example.com', ''],
    ['api.example.com', 'X-Ver: v2\r\n'],
    ['api.example.com', 'X-Ver: v9\r\n'],
  ];
  // the upstream answers `NAME METHOD URL` (chunked by haproxy, so read the name by pattern)
  const who = async (port: number, host: string, extra: string) => {
    const r = await peerRequest(port, `GET / HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);
    return /(\w+) GET \//.exec(r.body)?.[1] ?? `status ${r.status}`;
  };
  const seen: string[] = [];
  for (const [host, extra] of cases) {
    const h = await who(theirs, host, extra);
    assert.equal(await who(ours, host, extra), h, `${host} ${extra}`);
    seen.push(h);
  }
  // unknown map key -> map default; a name that is no backend -> default_backend
  assert.deepEqual(seen, ['shop', 'api', 'dflt', 'shop', 'v2', 'shop']);
});
