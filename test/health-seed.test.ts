/**
 * Issue 4, end to end: the HAProxy 1.4 seed config (`option httpchk HEAD /haproxy.txt
 * HTTP/1.1\r\nHost:...`) run by the real `switchyard` process, its backends pointed at local web
 * servers. /haproxy.txt present, then removed from one: that server goes DOWN on the 3rd failed
 * check and requests routed to its backend get 503; the other backend keeps serving.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, rawRequest, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';
import { seed } from './helpers/seeds.ts';

const SEED = seed('haproxy-1.4-seed.cfg');

test('seed config: /haproxy.txt removed -> DOWN on the 3rd failed check, then 503', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const docA = join(tmp.dir, 'a.txt');
  const docB = join(tmp.dir, 'b.txt');
  writeFileSync(docA, 'ok\n');
  writeFileSync(docB, 'ok\n');
  let proxyErr = () => '';
  /** 404s served to checks, and whether the DOWN line was already logged when each was served. */
  const misses: boolean[] = [];
  const web = (doc: string, name: string, watch: boolean) =>
    startUpstream(name, (req, res) => {
      req.resume();
      if (req.url === '/haproxy.txt') {
        if (existsSync(doc)) res.writeHead(200).end(req.method === 'HEAD' ? undefined : 'ok\n');
        else {
          if (watch) misses.push(/info_cache\/inst2 is DOWN/.test(proxyErr()));
          res.writeHead(404).end();
        }
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.headers.host}\n`);
    });
  const a = await web(docA, 'inst2', true);
  const b = await web(docB, 'inst1', false);
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const fe = await freePort();
  // Rewritten for a test machine: the LAN addresses, the privileged bind, the pidfile path and
  // syslog target; `inter 5000` shortened to 1000 so the test takes seconds, not minutes.
  const text = readFileSync(SEED, 'utf8')
    .replace('192.168.1.187:8000', `127.0.0.1:${b.port}`)
    .replace('192.168.1.187:80', `127.0.0.1:${a.port}`)
    .replace('bind :80', `bind 127.0.0.1:${fe}`)
    .replace('pidfile /usr/local/haproxy/logs/haproxy.pid', `pidfile ${join(tmp.dir, 'sy.pid')}`)
    .replace(/log 127\.0\.0\.1 local3 info/g, 'log stdout format raw local3 info')
    .replace(/inter 5000/g, 'inter 1000');
  const cfg = writeFile(tmp.dir, 'seed.cfg', text);
  const proxy = await startProxy(['-f', cfg]);
  proxyErr = proxy.stderr;
  t.after(async () => {
    await proxy.stop();
  });
  // The legacy version string's header reached the servers as a Host header.
  await until(
    () => a.requests.some((r) => r.method === 'HEAD' && r.headers.host === '192.168.1.187'),
    20000,
    'check on inst2',
  );
  await until(
    () => b.requests.some((r) => r.method === 'HEAD' && r.headers.host === 'test.domain.com'),
    20000,
    'check on inst1',
  );
  const get = (host: string) => rawRequest(fe, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  assert.match(await get('www.example.com'), /^HTTP\/1\.1 200[\s\S]*inst2 www\.example\.com/);
  assert.match(await get('test.domain.com'), /^HTTP\/1\.1 200[\s\S]*inst1 test\.domain\.com/);

  // Let both servers get fully UP (one more pass after start), then remove the file.
  const headsA = () => a.requests.filter((r) => r.method === 'HEAD').length;
  const h0 = headsA();
  await until(() => headsA() >= h0 + 1, 20000, 'one more passing check');
  rmSync(docA);
  await proxy.waitFor(
    /Server info_cache\/inst2 is DOWN, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: \d+ms\. 0 active and 0 backup servers left\./,
    30000,
  );
  await proxy.waitFor('backend info_cache has no server available!', 5000);
  assert.ok(misses.length >= 3, `${misses.length} failed checks`);
  assert.deepEqual(misses.slice(0, 3), [false, false, false], 'still UP while the 1st, 2nd and 3rd failed checks ran');
  if (misses.length > 3) assert.equal(misses[3], true, 'DOWN logged before a 4th failed check');

  const r = await get('www.example.com');
  assert.match(r, /^HTTP\/1\.[01] 503 /);
  assert.match(await get('test.domain.com'), /^HTTP\/1\.1 200[\s\S]*inst1/, 'the other backend still serves');
  // Deprecation warning for the legacy form, with the modern equivalent.
  assert.match(
    proxy.stderr(),
    /hiding headers or a body in the version string is deprecated; write 'option httpchk' followed by 'http-check send meth HEAD uri \/haproxy\.txt ver HTTP\/1\.1 hdr Host 192\.168\.1\.187'/,
  );
});
