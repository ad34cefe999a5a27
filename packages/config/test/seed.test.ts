import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic, loadConfigFiles } from '@switchyard/config';
import { seed } from '../../../test/helpers/seeds.ts';

const SEED = seed('haproxy-1.4-seed.cfg');

test('the HAProxy 1.4 seed config loads with exactly the expected warnings', () => {
  const r = loadConfigFiles([SEED]);
  const lines = r.diagnostics.map((d) => `${d.severity} ${d.loc.line} ${d.code}`);
  assert.deepEqual(lines, [
    'warning 4 CFG_IGNORED_KEYWORD',
    'warning 5 CFG_IGNORED_KEYWORD',
    'warning 6 CFG_IGNORED_KEYWORD',
    'warning 7 CFG_IGNORED_KEYWORD',
    'warning 12 CFG_LEGACY_KEYWORD',
    'warning 13 CFG_LEGACY_KEYWORD',
    'warning 14 CFG_LEGACY_KEYWORD',
    'warning 17 CFG_DUPLICATE_LOG',
    'warning 31 CFG_LEGACY_KEYWORD',
    'warning 37 CFG_LEGACY_KEYWORD',
  ]);
  const text = r.diagnostics.map(formatDiagnostic);
  assert.equal(text[0], `[WARNING] ${SEED}:4: 'user' ignored: run Switchyard as that user from systemd (User=)`);
  assert.match(text[2], /'daemon' ignored: Switchyard runs in the foreground; use systemd/);
  assert.match(text[3], /'nbproc' ignored: use 'nbthread N' or --workers N/);
  assert.match(text[4], /:12: 'contimeout' is deprecated \(HAProxy 2\.x rejects it\); use 'timeout connect 5000'$/);
  assert.match(text[5], /use 'timeout client 30000'$/);
  assert.match(text[6], /use 'timeout server 30000'$/);
  assert.match(
    text[7],
    /:17: log destination '127\.0\.0\.1:514' with facility local3 is already used by the 'log' line at .*:2: every log line will be sent twice$/,
  );
  assert.match(text[8], /http-check send meth HEAD uri \/haproxy\.txt ver HTTP\/1\.1 hdr Host 192\.168\.1\.187'$/);
  assert.match(text[9], /hdr Host test\.domain\.com'$/);
});

test('the seed config model: routing, checks, stats and logging as written', () => {
  const { model } = loadConfigFiles([SEED]);
  assert.equal(model.global.maxconn, 4096);
  assert.equal(model.global.pidfile, '/usr/local/haproxy/logs/haproxy.pid');
  assert.deepEqual(
    model.global.logs.map((l) => [l.kind, l.host, l.port, l.facility, l.level]),
    [['udp', '127.0.0.1', 514, 'local3', 'info']],
  );
  assert.deepEqual(
    model.proxies.map((p) => [p.kind, p.name, p.id]),
    [
      ['frontend', 'http_server', 1],
      ['backend', 'info_cache', 2],
      ['backend', 'cache_test', 3],
    ],
  );
  const [fe, info, cache] = model.proxies;
  assert.deepEqual(fe.timeouts, { connect: 5000, client: 30000, server: 30000 });
  assert.equal(fe.maxconn, 2000);
  assert.deepEqual(
    fe.binds.map((b) => [b.host, b.port]),
    [['', 80]],
  );
  assert.equal(fe.defaultBackend, 'info_cache');
  assert.deepEqual(
    fe.acls.map((a) => [a.name, a.criterion, a.args]),
    [['test', 'hdr_dom(host)', ['-i', 'test.domain.com']]],
  );
  assert.deepEqual(
    fe.useBackends.map((u) => [u.backend, u.cond?.polarity, u.cond?.terms]),
    [['cache_test', 'if', ['test']]],
  );
  assert.equal(fe.options.forwardfor?.header, 'X-Forwarded-For');
  // `stats uri` in defaults applies to every proxy, as HAProxy does.
  for (const p of model.proxies) assert.deepEqual([p.stats?.enabled, p.stats?.uri], [true, '/admin?stats']);
  // defaults: `log global` + an explicit target; the frontend's `log global` adds nothing new (HAProxy
  // skips a global target already copied).
  assert.deepEqual(
    fe.logs.map((l) => l.loc.line),
    [2, 17],
  );
  assert.equal(info.logs.length, 2);
  assert.equal(info.balance.algo, 'source');
  assert.equal(cache.balance.algo, 'roundrobin');
  for (const [be, host, port, hdr] of [
    [info, '192.168.1.187', 80, '192.168.1.187'],
    [cache, '192.168.1.187', 8000, 'test.domain.com'],
  ] as const) {
    const c = be.options.httpchk;
    assert.deepEqual(
      [c?.method, c?.uri, c?.version, c?.headers],
      ['HEAD', '/haproxy.txt', 'HTTP/1.1', [['Host', hdr]]],
    );
    const s = be.servers[0];
    assert.deepEqual(
      [s.host, s.port, s.check, s.inter, s.fall, s.rise, s.weight, s.id],
      [host, port, true, 5000, 3, 2, 1, 1],
    );
  }
});
