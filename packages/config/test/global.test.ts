import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic } from '@switchyard/config';
import { codes, oneError, parse } from './helpers.ts';

test('global keywords fill the model', () => {
  const r = parse(`global
  maxconn 50000
  pidfile /run/switchyard.pid
  nbthread 4
  node lb1
  description Main   farm
  hard-stop-after 30s
  spread-checks 5
  log-tag sy
  crt-base /etc/ssl/private
  ca-base /etc/ssl/certs
  ssl-server-verify none
  redis-url redis://127.0.0.1:6379/2
  cluster-name prod-eu
  stats timeout 2m
`);
  assert.deepEqual(r.diagnostics, []);
  const g = r.model.global;
  assert.equal(g.maxconn, 50000);
  assert.equal(g.pidfile, '/run/switchyard.pid');
  assert.equal(g.nbthread, 4);
  assert.equal(g.node, 'lb1');
  assert.equal(g.description, 'Main farm');
  assert.equal(g.hardStopAfter, 30_000);
  assert.equal(g.spreadChecks, 5);
  assert.equal(g.logTag, 'sy');
  assert.equal(g.crtBase, '/etc/ssl/private');
  assert.equal(g.caBase, '/etc/ssl/certs');
  assert.equal(g.sslServerVerify, 'none');
  assert.equal(g.redisUrl, 'redis://127.0.0.1:6379/2');
  assert.equal(g.clusterName, 'prod-eu');
  assert.equal(g.statsTimeout, 120_000);
  assert.deepEqual(g.loc, { file: 't.cfg', line: 1 });
});

test('global log targets: udp host[:port], len, format, stdout, unix paths, levels', () => {
  const r = parse(`global
  log 127.0.0.1 local0
  log 10.0.0.1:5140 len 4096 format rfc5424 local1 notice err
  log stdout format raw local0
  log stderr local7 info
  log /dev/log local2 warning
  log unix@/run/log.sock daemon
  log [::1]:514 user
  log udp@192.0.2.1:600 format short kern
  log syslog.example.com:514 local3 debug
`);
  assert.deepEqual(r.diagnostics, []);
  const l = r.model.global.logs.map(({ loc, formatGiven, ...x }) => x);
  assert.deepEqual(l, [
    { kind: 'udp', host: '127.0.0.1', port: 514, format: 'rfc3164', facility: 'local0', level: 'debug' },
    {
      kind: 'udp',
      host: '10.0.0.1',
      port: 5140,
      maxLen: 4096,
      format: 'rfc5424',
      facility: 'local1',
      level: 'notice',
      minLevel: 'err',
    },
    { kind: 'stdout', format: 'raw', facility: 'local0', level: 'debug' },
    { kind: 'stderr', format: 'raw', facility: 'local7', level: 'info' },
    { kind: 'unix', path: '/dev/log', format: 'rfc3164', facility: 'local2', level: 'warning' },
    { kind: 'unix', path: '/run/log.sock', format: 'rfc3164', facility: 'daemon', level: 'debug' },
    { kind: 'udp', host: '::1', port: 514, format: 'rfc3164', facility: 'user', level: 'debug' },
    { kind: 'udp', host: '192.0.2.1', port: 600, format: 'short', facility: 'kern', level: 'debug' },
    { kind: 'udp', host: 'syslog.example.com', port: 514, format: 'rfc3164', facility: 'local3', level: 'debug' },
  ]);
});

test('log: every haproxy 2.6 format, sample ranges, len, log-send-hostname', () => {
  const r = parse(`global
  log-send-hostname
  log /dev/log len 200 format local sample 1-2,5:10 daemon notice err
  log unix@/run/x.sock format timed local1
  log 127.0.0.1 format priority local2
  log 127.0.0.1 format iso local3
`);
  assert.deepEqual(r.diagnostics, []);
  const [a, b, c, d] = r.model.global.logs;
  assert.deepEqual(
    { kind: a.kind, path: a.path, len: a.maxLen, format: a.format, sample: a.sample, level: a.level, min: a.minLevel },
    {
      kind: 'unix',
      path: '/dev/log',
      len: 200,
      format: 'local',
      sample: {
        ranges: [
          [1, 2],
          [5, 5],
        ],
        size: 10,
      },
      level: 'notice',
      min: 'err',
    },
  );
  assert.deepEqual([b.kind, b.path, b.format, c.format, d.format], ['unix', '/run/x.sock', 'timed', 'priority', 'iso']);
  assert.equal(r.model.global.logSendHostname, '');
  assert.equal(parse('global\n  log-send-hostname web1\n').model.global.logSendHostname, 'web1');
});

test('global log errors, each at its line', () => {
  const r = parse(`global
  log
  log 127.0.0.1
  log 127.0.0.1 local9
  log 127.0.0.1 local0 loud
  log 127.0.0.1 format json local0
  log 127.0.0.1 len 10 local0
  log ring@buf local0
  log 127.0.0.1 local0 info err extra
  log 127.0.0.1:99999 local0
  log 127.0.0.1 sample 3:2 local0
  log global
  log 127.0.0.1 sample 2-1:4 local0
  log 127.0.0.1 sample 1,1:4 local0
  log 127.0.0.1 format raw len 100 local0
`);
  assert.deepEqual(codes(r), [
    '2 CFG_MISSING_ARG',
    '3 CFG_MISSING_ARG',
    '4 CFG_BAD_VALUE',
    '5 CFG_BAD_VALUE',
    '6 CFG_BAD_VALUE',
    '7 CFG_BAD_VALUE',
    '8 CFG_UNSUPPORTED',
    '9 CFG_EXTRA_ARGS',
    '10 CFG_BAD_ADDRESS',
    '11 CFG_BAD_VALUE',
    '12 CFG_BAD_VALUE',
    '13 CFG_BAD_VALUE',
    '14 CFG_BAD_VALUE',
    '15 CFG_BAD_VALUE',
  ]);
  assert.match(r.diagnostics[13].message, /'len' must come before 'format'/);
  assert.match(r.diagnostics[9].message, /range '3' exceeds the sample size 2/);
  assert.match(r.diagnostics[2].message, /unknown facility 'local9'; did you mean 'local0'\?/);
  assert.match(r.diagnostics[3].message, /unknown level 'loud'/);
  assert.match(r.diagnostics[8].message, /port 99999 out of range/);
});

test('stats socket: unix path, mode, level, expose-fd, ipv4@ TCP', () => {
  const r = parse(`global
  stats socket /run/switchyard.sock mode 600 level admin expose-fd listeners
  stats socket ipv4@127.0.0.1:9999 level operator
  stats socket ipv6@[::1]:9998
  stats socket unix@/tmp/x.sock mode 0660
`);
  assert.deepEqual(r.diagnostics, []);
  const s = r.model.global.statsSockets.map(({ loc, ...x }) => x);
  assert.deepEqual(s, [
    { kind: 'unix', path: '/run/switchyard.sock', mode: 0o600, level: 'admin', exposeFdListeners: true },
    { kind: 'tcp', host: '127.0.0.1', port: 9999, level: 'operator', exposeFdListeners: false },
    { kind: 'tcp', host: '::1', port: 9998, level: 'operator', exposeFdListeners: false },
    { kind: 'unix', path: '/tmp/x.sock', mode: 0o660, level: 'operator', exposeFdListeners: false },
  ]);
});

test('stats socket errors and ignored options', () => {
  const r = parse(`global
  stats socket
  stats socket /x.sock level root
  stats socket /x.sock mode rw
  stats socket ipv4@127.0.0.1
  stats socket /x.sock lvl admin
  stats socket /x.sock user haproxy
  stats socket /x.sock expose-fd all
  stats sockt /x
  stats maxconn 10
  stats socket /x.sock level
`);
  assert.deepEqual(codes(r), [
    '2 CFG_MISSING_ARG',
    '3 CFG_BAD_VALUE',
    '4 CFG_BAD_VALUE',
    '5 CFG_BAD_PORT',
    '6 CFG_UNKNOWN_KEYWORD',
    '7 CFG_IGNORED_KEYWORD',
    '8 CFG_BAD_VALUE',
    '9 CFG_UNKNOWN_KEYWORD',
    '10 CFG_IGNORED_KEYWORD',
    '11 CFG_MISSING_ARG',
  ]);
  assert.match(r.diagnostics[4].message, /unknown option 'lvl'; did you mean 'level'\?/);
  assert.match(r.diagnostics[7].message, /did you mean 'socket'\?/);
  // The socket with an ignored option is still created.
  assert.equal(r.model.global.statsSockets.length, 1);
});

test('keywords that do not apply to a Node process warn with what to do instead', () => {
  const r = parse(`global
  user haproxy
  group haproxy
  uid 99
  gid 99
  daemon
  nbproc 2
  chroot /var/lib/haproxy
  ulimit-n 65536
  quiet
  debug
  cpu-map 1 0
  maxpipes 100
`);
  assert.equal(r.diagnostics.length, 12);
  assert.ok(r.diagnostics.every((d) => d.severity === 'warning' && d.code === 'CFG_IGNORED_KEYWORD'));
  const m = r.diagnostics.map((d) => d.message);
  assert.equal(m[0], "'user' ignored: run Switchyard as that user from systemd (User=)");
  assert.equal(m[4], "'daemon' ignored: Switchyard runs in the foreground; use systemd (deploy/switchyard.service)");
  assert.equal(m[5], "'nbproc' ignored: use 'nbthread N' or --workers N");
  assert.equal(m[6], "'chroot' ignored: use systemd's RootDirectory=/ProtectSystem=");
  assert.match(m[7], /LimitNOFILE=/);
});

test('master-worker [no-exit-on-failure] (as -W); bind fd@N', () => {
  const ok = parse('global\n  master-worker\n');
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(ok.model.global.masterWorker, { exitOnFailure: true });
  assert.deepEqual(parse('global\n  master-worker no-exit-on-failure\n').model.global.masterWorker, {
    exitOnFailure: false,
  });
  const bad = parse('global\n  master-worker always\n');
  assert.match(bad.diagnostics[0].message, /only accepts 'no-exit-on-failure'/);
  const fd = parse('frontend f\n  bind fd@3\n  bind fd@x\n');
  assert.equal(fd.model.proxies[0].binds[0].fd, 3);
  assert.match(fd.diagnostics[0].message, /'fd@' expects a file descriptor number, got 'fd@x'/);
  assert.equal(fd.diagnostics[0].loc.line, 3);
});

test('tune.* is kept with a warning; ssl-default-* fill the TLS defaults of binds and servers', () => {
  const r = parse(`global
  tune.bufsize 32768
  ssl-default-bind-ciphers ECDHE+AESGCM
  ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256
  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
  ssl-default-server-options no-tlsv10 no-tlsv11
  ssl-default-bind-options ciphers X
  ssl-default-bind-options ssl-min-ver TLSv8
`);
  assert.deepEqual(r.model.global.tune, { 'tune.bufsize': '32768' });
  assert.deepEqual(r.model.global.sslDefaultBind, {
    ciphers: 'ECDHE+AESGCM',
    ciphersuites: 'TLS_AES_128_GCM_SHA256',
    minVer: 'TLSv1.2',
    noTlsTickets: true,
  });
  assert.deepEqual(r.model.global.sslDefaultServer, { disabled: ['TLSv1', 'TLSv1.1'] });
  assert.deepEqual(codes(r), ['2 CFG_IGNORED_KEYWORD', '7 CFG_BAD_VALUE', '8 CFG_BAD_VALUE']);
});

test('global value errors', () => {
  const r = parse(`global
  maxconn lots
  maxconn 0
  nbthread
  pidfile a b
  hard-stop-after 5 minutes
  spread-checks 80
  redis-url http://x
  cluster-name bad/name
  ssl-server-verify maybe
  no maxconn
`);
  assert.deepEqual(codes(r), [
    '2 CFG_BAD_VALUE',
    '3 CFG_BAD_VALUE',
    '4 CFG_MISSING_ARG',
    '5 CFG_EXTRA_ARGS',
    '6 CFG_EXTRA_ARGS',
    '7 CFG_BAD_VALUE',
    '8 CFG_BAD_VALUE',
    '9 CFG_BAD_NAME',
    '10 CFG_BAD_VALUE',
    '11 CFG_BAD_VALUE',
  ]);
});

test('unknown global keyword: error with FILE:LINE and did-you-mean', () => {
  const e = oneError(parse('global\n  maxcon 100\n'));
  assert.equal(e.code, 'CFG_UNKNOWN_KEYWORD');
  assert.equal(
    formatDiagnostic(e),
    "[ALERT] t.cfg:2: unknown keyword 'maxcon' in 'global' section; did you mean 'maxconn'?",
  );
  const e2 = oneError(parse('global\n  frobnicate\n'));
  assert.equal(e2.message, "unknown keyword 'frobnicate' in 'global' section");
});
