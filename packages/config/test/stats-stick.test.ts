import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('stats: every keyword into the model', () => {
  const r = parse(`${DEFAULTS}listen stats
  bind 127.0.0.1:8404
  stats enable
  stats uri /stats
  stats realm Switchyard\\ Stats
  stats auth admin:s3cret
  stats auth ops:pa:ss
  stats refresh 10
  stats hide-version
  stats show-legends
  stats show-node lb1
  stats scope web
  stats scope .
  stats admin if LOCALHOST
`);
  assert.deepEqual(r.diagnostics, []);
  const { loc, admin, ...s } = proxy(r, 'stats').stats!;
  assert.deepEqual(s, {
    enabled: true,
    uri: '/stats',
    realm: 'Switchyard Stats',
    auth: [
      { user: 'admin', password: 's3cret' },
      { user: 'ops', password: 'pa:ss' },
    ],
    refresh: 10_000,
    hideVersion: true,
    showLegends: true,
    showNode: 'lb1',
    scope: ['web', '.'],
  });
  assert.deepEqual([admin?.polarity, admin?.terms], ['if', ['LOCALHOST']]);
  assert.equal(loc.line, 8);
});

test('stats uri in defaults enables the page on every proxy; stats disable turns it off', () => {
  const r = parse(
    `${DEFAULTS}  stats uri /admin?stats\nfrontend f\n  bind :80\n  default_backend b\nbackend b\n  stats disable\n`,
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual([proxy(r, 'f').stats?.enabled, proxy(r, 'f').stats?.uri], [true, '/admin?stats']);
  assert.equal(proxy(r, 'b').stats?.enabled, false);
  const d = parse(`${DEFAULTS}listen l\n  bind :1\n  stats enable\n`);
  assert.equal(proxy(d, 'l').stats?.uri, '/haproxy?stats');
});

test('stats errors', () => {
  const r = parse(`${DEFAULTS}listen l
  bind :1
  stats
  stats uri stats
  stats auth admin
  stats admin
  stats admin TRUE
  stats refrsh 5
  stats socket /x.sock
  stats refresh soon
  stats http-request deny
  stats enable now
  stats show-modules
`);
  assert.deepEqual(codes(r), [
    '8 CFG_MISSING_ARG',
    '9 CFG_BAD_VALUE',
    '10 CFG_BAD_VALUE',
    '11 CFG_MISSING_ARG',
    '12 CFG_MISSING_ARG',
    '13 CFG_UNKNOWN_KEYWORD',
    '14 CFG_NOT_ALLOWED_HERE',
    '15 CFG_BAD_TIME',
    '16 CFG_UNSUPPORTED',
    '17 CFG_EXTRA_ARGS',
    '18 CFG_IGNORED_KEYWORD',
  ]);
  assert.equal(r.diagnostics[5].message, "unknown keyword 'stats refrsh'; did you mean 'refresh'?");
});

test('stick-table: types, len, size suffixes, expire, nopurge, peers, store with periods', () => {
  const r = parse(`peers mypeers
  peer lb1 10.0.0.1:10000
  peer lb2 10.0.0.2:10000
${DEFAULTS}backend ips
  stick-table type ip size 1m expire 30m nopurge peers mypeers store conn_cur,conn_rate(10s),http_req_rate(10s) store gpc0,server_id
backend keys
  stick-table type string len 64 size 100k store http_err_rate(1m),bytes_out_rate(1s)
backend ints
  stick-table type integer size 1000
backend bin
  stick-table type binary size 1k
backend v6
  stick-table type ipv6 size 10
`);
  assert.deepEqual(r.diagnostics, []);
  const { loc, ...ips } = proxy(r, 'ips').stickTable!;
  assert.deepEqual(ips, {
    type: 'ip',
    size: 1_048_576,
    expire: 1_800_000,
    nopurge: true,
    peers: 'mypeers',
    store: [
      { name: 'conn_cur' },
      { name: 'conn_rate', period: 10_000 },
      { name: 'http_req_rate', period: 10_000 },
      { name: 'gpc0' },
      { name: 'server_id' },
    ],
  });
  const keys = proxy(r, 'keys').stickTable!;
  assert.deepEqual(
    [keys.type, keys.len, keys.size, keys.store],
    [
      'string',
      64,
      102_400,
      [
        { name: 'http_err_rate', period: 60_000 },
        { name: 'bytes_out_rate', period: 1000 },
      ],
    ],
  );
  assert.deepEqual([proxy(r, 'ints').stickTable?.type, proxy(r, 'ints').stickTable?.len], ['integer', undefined]);
  assert.deepEqual([proxy(r, 'bin').stickTable?.len, proxy(r, 'bin').stickTable?.size], [32, 1024]);
  assert.equal(proxy(r, 'v6').stickTable?.type, 'ipv6');
  assert.deepEqual(
    r.model.peers.map((p) => [p.name, p.peers.map((x) => [x.name, x.host, x.port])]),
    [
      [
        'mypeers',
        [
          ['lb1', '10.0.0.1', 10000],
          ['lb2', '10.0.0.2', 10000],
        ],
      ],
    ],
  );
});

test('stick-table errors', () => {
  const r = parse(`${DEFAULTS}backend b
  stick-table size 1k
  stick-table type ip
  stick-table type mac size 1k
  stick-table type ip len 4 size 1k
  stick-table type ip size lots
  stick-table type ip size 1k store conn_rate
  stick-table type ip size 1k store conn_rat(10s)
  stick-table type ip size 1k store conn_cur(10s)
  stick-table type ip size 1k expire soon
  stick-table type ip size 1k peers nowhere
  stick-table type ip size 1k
frontend f
  bind :1
  stick-table type ip size 1k
  default_backend b
`);
  assert.deepEqual(codes(r), [
    '7 CFG_MISSING_ARG',
    '8 CFG_MISSING_ARG',
    '9 CFG_BAD_VALUE',
    '10 CFG_BAD_VALUE',
    '11 CFG_BAD_SIZE',
    '12 CFG_MISSING_ARG',
    '13 CFG_BAD_VALUE',
    '14 CFG_BAD_VALUE',
    '15 CFG_BAD_TIME',
    '17 CFG_DUPLICATE_NAME',
    '20 CFG_NO_EFFECT',
    '16 CFG_UNKNOWN_PEERS',
  ]);
  assert.equal(r.diagnostics[6].message, "'stick-table': unknown data type 'conn_rat(10s)'; did you mean 'conn_rate'?");
  assert.equal(r.diagnostics[5].message, "'stick-table': 'conn_rate' needs a period, e.g. conn_rate(10s)");
});

test('stick rules and table references', () => {
  const r = parse(`${DEFAULTS}backend b
  stick-table type ip size 1k
  stick on src
  stick match req.cook(sid) table sessions if { req.cook(sid) -m found }
  stick store-request src table sessions
  stick store-response res.cook(sid) table sessions
backend sessions
  stick-table type string len 32 size 10k
`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    proxy(r, 'b').stickRules.map((x) => [x.kind, x.key, x.table, x.cond?.terms]),
    [
      ['on', 'src', undefined, undefined],
      ['match', 'req.cook(sid)', 'sessions', ['{', 'req.cook(sid)', '-m', 'found', '}']],
      ['store-request', 'src', 'sessions', undefined],
      ['store-response', 'res.cook(sid)', 'sessions', undefined],
    ],
  );
  const bad = parse(`${DEFAULTS}backend b
  stick on src
  stick on src table tt
  stick onn src
  stick match
  stick on src tabel x
backend t
  stick-table type ip size 1
`);
  assert.deepEqual(codes(bad), [
    '9 CFG_BAD_VALUE',
    '10 CFG_MISSING_ARG',
    '11 CFG_EXTRA_ARGS',
    '7 CFG_UNKNOWN_TABLE',
    '8 CFG_UNKNOWN_TABLE',
  ]);
  assert.equal(bad.diagnostics[4].message, "backend 'b': unable to find stick-table 'tt'; did you mean 't'?");
});

test('cookie persistence: modes and options', () => {
  const r = parse(`${DEFAULTS}backend a
  cookie SRVID insert indirect nocache httponly secure domain .example.com domain .example.org maxidle 30m maxlife 8h attr SameSite=Lax postonly preserve
  server s1 10.0.0.1:80 cookie s1
backend b
  cookie JSESSIONID prefix
backend c
  cookie SRV
backend d
  cookie SRV rewrite
`);
  assert.deepEqual(r.diagnostics, []);
  const { loc, ...a } = proxy(r, 'a').cookie!;
  assert.deepEqual(a, {
    name: 'SRVID',
    mode: 'insert',
    indirect: true,
    nocache: true,
    httponly: true,
    secure: true,
    postonly: true,
    preserve: true,
    domain: ['.example.com', '.example.org'],
    maxidle: 1_800_000,
    maxlife: 28_800_000,
    attr: ['SameSite=Lax'],
  });
  assert.equal(proxy(r, 'a').servers[0].cookie, 's1');
  assert.deepEqual(
    ['b', 'c', 'd'].map((n) => proxy(r, n).cookie?.mode),
    ['prefix', 'passive', 'rewrite'],
  );
  const bad = parse(`${DEFAULTS}backend a
  cookie
  cookie SRV insert prefix
  cookie SRV rewrite maxidle 10
  cookie SRV insert maxidle
  cookie SRV insert dynamic
  cookie SRV insrt
  cookie SRV insert maxlife forever
  cookie SRV prefix preserve
`);
  assert.deepEqual(codes(bad), [
    '7 CFG_MISSING_ARG',
    '8 CFG_BAD_VALUE',
    '9 CFG_NO_EFFECT',
    '10 CFG_MISSING_ARG',
    '11 CFG_UNSUPPORTED',
    '12 CFG_UNKNOWN_KEYWORD',
    '13 CFG_BAD_TIME',
    '14 CFG_BAD_VALUE',
  ]);
  assert.match(bad.diagnostics[5].message, /did you mean 'insert'\?/);
  assert.equal(bad.diagnostics[2].message, "'cookie': 'maxidle' and 'maxlife' only apply to 'insert' mode; ignored");
});
