import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic, parseConfig } from '@switchyard/config';
import { codes, DEFAULTS, oneError, parse, proxy } from './helpers.ts';

test('mode, maxconn, fullconn, retries, description, id, disabled', () => {
  const r = parse(`${DEFAULTS}frontend fe
  mode http
  bind :8080
  maxconn 3000
  description Public   site
  id 42
  disabled
  enabled
  default_backend be
backend be
  fullconn 500
  retries 5
  id 7
  disabled
`);
  assert.deepEqual(r.diagnostics, []);
  const fe = proxy(r, 'fe');
  assert.deepEqual([fe.mode, fe.maxconn, fe.description, fe.id, fe.disabled], ['http', 3000, 'Public site', 42, false]);
  const be = proxy(r, 'be');
  assert.deepEqual([be.fullconn, be.retries, be.id, be.disabled], [500, 5, 7, true]);
});

test('mode tcp is taken, health and unknown modes are refused with a clear message', () => {
  const r = parse(`${DEFAULTS}backend b\n  mode tcp\n  mode health\n  mode ftp\n`);
  assert.deepEqual(codes(r, 'error'), ['8 CFG_UNSUPPORTED', '9 CFG_BAD_VALUE']);
  assert.equal(proxy(r, 'b').mode, 'tcp');
  assert.equal(
    r.diagnostics.find((d) => d.loc.line === 9)?.message,
    "unknown mode 'ftp' (expected http or tcp); did you mean 'http'?",
  );
});

test('every timeout, with units, into the model', () => {
  const r = parse(`defaults
  timeout connect 5s
  timeout client 1m
  timeout server 30000
  timeout http-request 10s
  timeout http-keep-alive 2s
  timeout queue 1m
  timeout check 3s
  timeout tunnel 1h
  timeout client-fin 1s
  timeout server-fin 2s
backend b
`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(proxy(r, 'b').timeouts, {
    connect: 5000,
    client: 60000,
    server: 30000,
    httpRequest: 10000,
    httpKeepAlive: 2000,
    queue: 60000,
    check: 3000,
    tunnel: 3_600_000,
    clientFin: 1000,
    serverFin: 2000,
  });
});

test('timeout errors: unknown name with did-you-mean, bad value, missing value, legacy name', () => {
  const r = parse(`${DEFAULTS}backend b
  timeout conect 5s
  timeout server 5x
  timeout server
  timeout srvtimeout 5s
  timeout server 1s 2s
`);
  assert.deepEqual(codes(r), [
    '7 CFG_UNKNOWN_KEYWORD',
    '8 CFG_BAD_TIME',
    '9 CFG_MISSING_ARG',
    '10 CFG_UNKNOWN_KEYWORD',
    '11 CFG_EXTRA_ARGS',
  ]);
  assert.equal(r.diagnostics[0].message, "unknown timeout 'timeout conect'; did you mean 'connect'?");
  assert.match(r.diagnostics[1].message, /invalid time unit 'x'/);
  assert.equal(r.diagnostics[3].message, "unknown timeout 'timeout srvtimeout'; use 'timeout server'");
});

test('a time with text after its unit warns and keeps the leading value, as HAProxy 2.6', () => {
  const r = parse(`${DEFAULTS}backend b\n  timeout server 1m30s\n  server s 1.1.1.1:80 inter 2sec\n`);
  assert.deepEqual(codes(r), ['7 CFG_TIME_TRAILING', '8 CFG_TIME_TRAILING']);
  assert.equal(proxy(r, 'b').timeouts.server, 60_000);
  assert.equal(proxy(r, 'b').servers[0].inter, 2000);
});

test('timeouts on the wrong side warn like HAProxy', () => {
  const r = parse(`${DEFAULTS}frontend f\n  bind :1\n  timeout server 5s\nbackend b\n  timeout client 5s\n`);
  assert.deepEqual(codes(r), ['8 CFG_NO_EFFECT', '10 CFG_NO_EFFECT', '6 CFG_NO_BACKEND']);
  assert.equal(r.diagnostics[0].message, "'timeout server' ignored because frontend 'f' has no backend capability");
});

test('legacy contimeout/clitimeout/srvtimeout: accepted, warning names the modern form', () => {
  const r = parse('defaults\n  contimeout 5000\n  clitimeout 30s\n  srvtimeout 30000\nbackend b\n');
  assert.deepEqual(codes(r), ['2 CFG_LEGACY_KEYWORD', '3 CFG_LEGACY_KEYWORD', '4 CFG_LEGACY_KEYWORD']);
  assert.equal(
    r.diagnostics[0].message,
    "'contimeout' is deprecated (HAProxy 2.x rejects it); use 'timeout connect 5000'",
  );
  assert.equal(
    r.diagnostics[1].message,
    "'clitimeout' is deprecated (HAProxy 2.x rejects it); use 'timeout client 30s'",
  );
  assert.deepEqual(proxy(r, 'b').timeouts, { connect: 5000, client: 30000, server: 30000 });
});

test('missing timeouts warn per proxy, as HAProxy does', () => {
  const r = parse(
    'frontend f\n  bind :1\n  default_backend b\nbackend b\n  timeout connect 1s\n  server s 1.1.1.1:80\nlisten l\n  bind :2\n  server s 1.1.1.1:80\nbackend empty\n',
  );
  // As HAProxy, a backend without servers is not checked (it never connects anywhere).
  assert.deepEqual(codes(r), ['1 CFG_MISSING_TIMEOUT', '4 CFG_MISSING_TIMEOUT', '7 CFG_MISSING_TIMEOUT']);
  assert.equal(
    r.diagnostics[0].message,
    "missing timeouts for frontend 'f': set 'timeout client' (HAProxy warns about this too)",
  );
  assert.equal(
    r.diagnostics[2].message,
    "missing timeouts for listen 'l': set 'timeout client', 'timeout connect', 'timeout server' (HAProxy warns about this too)",
  );
});

test('log in proxies: global, targets, no log, log-format, duplicate destinations', () => {
  const r = parse(`global
  log 127.0.0.1 local0
${DEFAULTS}  log global
frontend f
  bind :80
  log global
  log stdout format raw local1
  log-format "%ci:%cp [%tr] %ft %b/%s %ST"
  default_backend b
backend b
  no log
listen l
  bind :81
  log 127.0.0.1:514 local0
`);
  assert.deepEqual(codes(r), ['19 CFG_DUPLICATE_LOG']);
  const f = proxy(r, 'f');
  assert.deepEqual(
    f.logs.map((l) => l.kind),
    ['udp', 'stdout'],
  );
  assert.equal(f.logFormat, '%ci:%cp [%tr] %ft %b/%s %ST');
  assert.deepEqual(proxy(r, 'b').logs, []);
  assert.equal(proxy(r, 'l').logs.length, 2);
});

test('httplog or log-format without any log target warns, as HAProxy', () => {
  const r = parse(
    `${DEFAULTS}  option httplog\nfrontend f\n  bind :1\n  default_backend b\nlisten l\n  bind :2\n  log stdout local0\nbackend b\n`,
  );
  assert.deepEqual(codes(r), ['7 CFG_NO_EFFECT']);
  assert.equal(
    r.diagnostics[0].message,
    "log format ignored for frontend 'f' since it has no log address (add 'log global' or a 'log' target)",
  );
});

test('two facilities or two levels to one destination are deliberate: no duplicate warning (Debian default)', () => {
  const r = parse(`global\n  log /dev/log local0\n  log /dev/log local1 notice\n${DEFAULTS}  log global\nbackend b\n`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    proxy(r, 'b').logs.map((l) => [l.path, l.facility, l.level]),
    [
      ['/dev/log', 'local0', 'debug'],
      ['/dev/log', 'local1', 'notice'],
    ],
  );
});

test('log global without global log targets warns', () => {
  const r = parse(`${DEFAULTS}backend b\n  log global\n`);
  assert.deepEqual(codes(r), ['7 CFG_NO_EFFECT']);
});

test('balance: every algorithm and option', () => {
  const algos: Array<[string, object]> = [
    ['roundrobin', { algo: 'roundrobin', options: {} }],
    ['static-rr', { algo: 'static-rr', options: {} }],
    ['leastconn', { algo: 'leastconn', options: {} }],
    ['first', { algo: 'first', options: {} }],
    ['source', { algo: 'source', options: {} }],
    ['uri', { algo: 'uri', options: {} }],
    ['uri whole len 10 depth 3', { algo: 'uri', options: { whole: true, len: 10, depth: 3 } }],
    ['url_param userid', { algo: 'url_param', param: 'userid', options: {} }],
    ['hdr(Host)', { algo: 'hdr', param: 'Host', options: {} }],
    ['hdr(host) use_domain_only', { algo: 'hdr', param: 'host', options: { useDomainOnly: true } }],
    ['random', { algo: 'random', options: {} }],
    ['random(3)', { algo: 'random', options: { draws: 3 } }],
  ];
  for (const [line, want] of algos) {
    const r = parse(`${DEFAULTS}backend b\n  balance ${line}\n`);
    assert.deepEqual(r.diagnostics, [], line);
    const { loc, ...b } = proxy(r, 'b').balance;
    assert.deepEqual(b, want, line);
    assert.equal(loc?.line, 7);
  }
});

test('balance errors', () => {
  const r = parse(`${DEFAULTS}backend b
  balance roundrobn
  balance
  balance hdr
  balance url_param
  balance uri whole len x
  balance source whole
  balance rdp-cookie()
  balance leastconn(2)
`);
  assert.deepEqual(codes(r), [
    '7 CFG_BAD_VALUE',
    '8 CFG_MISSING_ARG',
    '9 CFG_MISSING_ARG',
    '10 CFG_MISSING_ARG',
    '11 CFG_BAD_VALUE',
    '12 CFG_EXTRA_ARGS',
    '13 CFG_MISSING_ARG',
    '14 CFG_BAD_VALUE',
  ]);
  assert.equal(r.diagnostics[0].message, "unknown balance algorithm 'roundrobn'; did you mean 'roundrobin'?");
  assert.equal(r.diagnostics[6].message, 'balance rdp-cookie : missing cookie name.');
});

test('hash-type forms and errors', () => {
  const ok = parse(`${DEFAULTS}backend a\n  hash-type consistent djb2 avalanche\nbackend b\n  hash-type map-based\n`);
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(proxy(ok, 'a').hashType, { method: 'consistent', fn: 'djb2', avalanche: true });
  assert.deepEqual(proxy(ok, 'b').hashType, { method: 'map-based', fn: 'sdbm', avalanche: false });
  const bad = parse(`${DEFAULTS}backend a\n  hash-type consistant\n  hash-type consistent md5\n`);
  assert.deepEqual(codes(bad), ['7 CFG_BAD_VALUE', '8 CFG_BAD_VALUE']);
  assert.match(bad.diagnostics[0].message, /did you mean 'consistent'\?/);
});

test('keywords on the wrong side: warnings like HAProxy, errors where HAProxy refuses', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  balance roundrobin
  server s1 127.0.0.1:80
  default_backend b
backend b
  bind :81
  use_backend b
  monitor-uri /up
`);
  assert.deepEqual(codes(r), [
    '8 CFG_NO_EFFECT',
    '9 CFG_NOT_ALLOWED_HERE',
    '12 CFG_NO_EFFECT',
    '13 CFG_NO_EFFECT',
    '14 CFG_NO_EFFECT',
  ]);
  assert.equal(r.diagnostics[0].message, "'balance' ignored because frontend 'f' has no backend capability");
  assert.equal(r.diagnostics[1].message, "'server' not allowed because frontend 'f' has no backend capability");
  assert.equal(r.diagnostics[2].message, "'bind' ignored because backend 'b' has no frontend capability");
});

test('keywords not allowed in defaults', () => {
  const r = parse(
    'defaults\n  bind :80\n  acl a path /\n  server s 1.2.3.4:80\n  use_backend x\n  http-request deny\n  stick-table type ip size 1k\n  id 3\n',
  );
  assert.deepEqual(
    codes(r),
    [2, 3, 4, 5, 6, 7, 8].map((l) => `${l} CFG_NOT_ALLOWED_HERE`),
  );
  assert.equal(r.diagnostics[0].message, "'bind' is not allowed in a 'defaults' section");
});

test('default_backend, use_backend / use-backend with conditions', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  acl api path_beg /api
  use_backend api if api
  use-backend static unless { path_beg /api } !api
  use_backend legacy
  default_backend web
backend api
backend static
backend legacy
backend web
`);
  assert.deepEqual(r.diagnostics, []);
  const f = proxy(r, 'f');
  assert.deepEqual(
    f.useBackends.map((u) => [u.backend, u.cond?.polarity, u.cond?.terms, u.loc.line]),
    [
      ['api', 'if', ['api'], 9],
      ['static', 'unless', ['{', 'path_beg', '/api', '}', '!api'], 10],
      ['legacy', undefined, undefined, 11],
    ],
  );
  assert.equal(f.defaultBackend, 'web');
});

test('routing errors: unknown backends with did-you-mean, frontend as backend, missing condition', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  default_backend wbe
  use_backend f if TRUE
  use_backend web if
  use_backend web extra
  use_backend
  use_backend be_%[req.hdr(host)]
backend web
`);
  assert.deepEqual(codes(r, 'error'), [
    '10 CFG_MISSING_ARG',
    '11 CFG_EXTRA_ARGS',
    '12 CFG_MISSING_ARG',
    '8 CFG_UNKNOWN_BACKEND',
    '9 CFG_UNKNOWN_BACKEND',
  ]);
  const msgs = r.diagnostics.map(formatDiagnostic);
  assert.ok(
    msgs.includes("[ALERT] t.cfg:8: frontend 'f': unable to find required default_backend: 'wbe'; did you mean 'web'?"),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.includes(
      "[ALERT] t.cfg:9: frontend 'f': unable to find required use_backend: 'f' ('f' is a frontend, not a backend)",
    ),
  );
  assert.ok(msgs.includes("[ALERT] t.cfg:10: missing condition after 'if'"));
});

test('acl lines are captured as tokens, never interpreted here', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  acl host_a hdr_dom(host) -i a.example.com b.example.com
  acl host_a hdr(host) -m end .example.org
  acl slow path_reg -i ^/slow/\\d+$
  acl ip src 10.0.0.0/8 192.168.0.1
  acl bad!name path /
  acl x
`);
  const f = proxy(r, 'f');
  assert.deepEqual(
    f.acls.map((a) => [a.name, a.criterion, a.args, a.loc.line]),
    [
      ['host_a', 'hdr_dom(host)', ['-i', 'a.example.com', 'b.example.com'], 8],
      ['host_a', 'hdr(host)', ['-m', 'end', '.example.org'], 9],
      ['slow', 'path_reg', ['-i', '^/slow/\\d+$'], 10],
      ['ip', 'src', ['10.0.0.0/8', '192.168.0.1'], 11],
    ],
  );
  assert.deepEqual(codes(r, 'error'), ['12 CFG_BAD_NAME', '13 CFG_MISSING_ARG']);
});

test('monitor-uri, errorfile (read through readFile), unknown keyword did-you-mean', () => {
  const r = parse(
    `${DEFAULTS}frontend f\n  bind :80\n  monitor-uri /health\n  errorfile 503 /etc/haproxy/errors/503.http\n  defualt_backend b\n`,
  );
  const f = proxy(r, 'f');
  assert.equal(f.monitorUri, '/health');
  // Without file access (parseConfig with no readFile), the errorfile is not loaded, with a warning.
  assert.deepEqual(f.errorFiles, {});
  assert.match(r.diagnostics.find((d) => d.loc.line === 9)?.message ?? '', /'errorfile 503' not loaded/);
  const withFiles = parseConfig([{ file: 't.cfg', text: `${DEFAULTS}backend b\n  errorfile 503 /e/503.http\n` }], {
    env: {},
    readFile: () => 'HTTP/1.0 503 Busy\r\nContent-Type: text/plain\r\n\r\nbusy\n',
  });
  assert.deepEqual(withFiles.diagnostics, []);
  assert.equal(proxy(withFiles, 'b').errorFiles[503], 'HTTP/1.0 503 Busy\r\nContent-Type: text/plain\r\n\r\nbusy\n');
  const e = oneError(r);
  assert.equal(
    formatDiagnostic(e),
    "[ALERT] t.cfg:10: unknown keyword 'defualt_backend' in 'frontend' section; did you mean 'default_backend'?",
  );
  const bad = parse(`${DEFAULTS}frontend f\n  bind :80\n  monitor-uri health\n  errorfile 302 /x\n  errorfile 503\n`);
  assert.deepEqual(codes(bad), ['8 CFG_NO_EFFECT', '9 CFG_BAD_VALUE', '10 CFG_MISSING_ARG']);
  assert.equal(proxy(bad, 'f').monitorUri, 'health');
});

test('unsupported and removed HAProxy keywords are refused (rate-limit too), tuning ones warn', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  tcp-request session sc-inc-gpc0(0)
  reqadd X-Foo:\\ bar
  block if TRUE
  rate-limit sessions 10
  http-reuse safe
`);
  assert.deepEqual(codes(r), [
    '8 CFG_UNSUPPORTED',
    '9 CFG_LEGACY_KEYWORD',
    '10 CFG_LEGACY_KEYWORD',
    '11 CFG_UNSUPPORTED',
    '12 CFG_NO_EFFECT',
    '6 CFG_NO_BACKEND',
  ]);
  assert.equal(r.diagnostics[1].message, "'reqadd' was removed in HAProxy 2.1; use 'http-request add-header'");
  assert.equal(r.diagnostics[1].severity, 'error');
});

test("'no' only prefixes option and log", () => {
  const e = oneError(parse(`${DEFAULTS}backend b\n  no retries 3\n`));
  assert.equal(e.message, "'no' can only prefix 'option' and 'log', not 'retries'");
});

test('http-reuse and pool-purge-delay act on HTTP/2 servers only: a warning names the HTTP/1 server', () => {
  const r = parse(`${DEFAULTS}backend b
  http-reuse never
  server s1 127.0.0.1:8080 pool-purge-delay 5s
  server s2 127.0.0.1:8081 proto h2 pool-purge-delay 5s
`);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc.line} ${d.code} ${d.message}`),
    [
      "6 CFG_NO_EFFECT backend 'b': 'http-reuse never' applies to its HTTP/2 servers only; HTTP/1 server 's1' reuses idle connections as 'http-reuse safe' does",
      "8 CFG_NO_EFFECT backend 'b': server 's1': 'pool-purge-delay' applies to HTTP/2 servers ('proto h2') only",
    ],
  );
  const h2only = parse(`${DEFAULTS}backend b\n  http-reuse always\n  server s2 127.0.0.1:8081 proto h2\n`);
  assert.deepEqual(h2only.diagnostics, []);
});

test('retry-on: keywords and status codes, all-retryable-errors expanded, inherited, replaced, none', () => {
  const r = parse(`${DEFAULTS}defaults d
  retry-on 503 504
backend a from d
backend b from d
  retry-on conn-failure all-retryable-errors 404
backend c from d
  retry-on none
defaults last
  mode http
backend e
`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(proxy(r, 'a').retryOn, ['503', '504']);
  assert.deepEqual(proxy(r, 'b').retryOn, [
    'conn-failure',
    'empty-response',
    'junk-response',
    'response-timeout',
    '0rtt-rejected',
    '500',
    '502',
    '503',
    '504',
    '404',
  ]);
  assert.deepEqual(proxy(r, 'c').retryOn, []);
  assert.deepEqual(proxy(r, 'e').retryOn, ['conn-failure']);
});

test("retry-on: bad input gets haproxy's messages at FILE:LINE", () => {
  const cases: Array<[string, string]> = [
    ['backend b\n  retry-on', "'retry-on' needs at least one keyword to specify when to retry"],
    ['backend b\n  retry-on 503 none', "'retry-on' 'none' keyworld only usable alone"],
    ['backend b\n  retry-on none 503', "'retry-on' 'none' keyworld only usable alone"],
    ['backend b\n  retry-on 405', "'retry-on': unknown keyword '405'"],
    [
      'backend b\n  retry-on empty-respons',
      "'retry-on': unknown keyword 'empty-respons'; did you mean 'empty-response'?",
    ],
    ['frontend f\n  retry-on 503', "'retry-on' not allowed because frontend 'f' has no backend capability"],
  ];
  for (const [text, message] of cases) {
    const e = oneError(parse(`${DEFAULTS}${text}\n`));
    assert.equal(e.message, message, text);
    assert.equal(e.loc.line, DEFAULTS.split('\n').length + 1, text);
  }
});
