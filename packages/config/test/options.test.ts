import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('every supported option into the model, and no option clears', () => {
  const r = parse(`${DEFAULTS}  option httplog clf
  option dontlognull
  option dontlog-normal
  option logasap
  option forwardfor except 127.0.0.0/8 header X-Real-IP if-none
  option http-server-close
  option redispatch 2
  option allbackups
  option abortonclose
  option http-buffer-request
  option persist
  option log-health-checks
  option disable-h2-upgrade
  option tcplog
  log stdout local0
listen l
  bind :80
  no option dontlognull
  no option redispatch
  option httpclose
backend b
  option http-keep-alive
  option redispatch
`);
  assert.deepEqual(r.diagnostics, []);
  const l = proxy(r, 'l').options;
  assert.deepEqual(l, {
    httplog: true,
    httplogClf: true,
    tcplog: true,
    dontlognull: false,
    dontlogNormal: true,
    logasap: true,
    forwardfor: { header: 'X-Real-IP', except: '127.0.0.0/8', ifNone: true },
    connMode: 'close',
    allbackups: true,
    abortonclose: true,
    httpBufferRequest: true,
    persist: true,
    logHealthChecks: true,
    disableH2Upgrade: true,
  });
  const b = proxy(r, 'b').options;
  assert.equal(b.forwardfor?.header, 'X-Real-IP', 'inherited from defaults');
  assert.equal(b.connMode, 'keep-alive');
  assert.deepEqual(b.redispatch, { interval: -1 });
});

test('no option forwardfor|httpchk|httplog is refused, as HAProxy does', () => {
  const r = parse(`${DEFAULTS}backend b\n  no option forwardfor\n  no option httpchk\n  no option httplog\n`);
  assert.deepEqual(codes(r), ['7 CFG_BAD_VALUE', '8 CFG_BAD_VALUE', '9 CFG_BAD_VALUE']);
  assert.equal(
    r.diagnostics[0].message,
    "'no option forwardfor' is not supported (HAProxy refuses it too); remove the 'option forwardfor' line instead",
  );
});

test('option redispatch 0 disables redispatching, as HAProxy', () => {
  const r = parse(
    `${DEFAULTS}  option redispatch\nbackend b\n  option redispatch 0\nbackend c\n  option redispatch -2\n`,
  );
  assert.deepEqual(r.diagnostics, []);
  assert.equal(proxy(r, 'b').options.redispatch, undefined);
  assert.deepEqual(proxy(r, 'c').options.redispatch, { interval: -2 });
});

test('option forwardfor defaults and forceclose legacy', () => {
  const r = parse(`${DEFAULTS}backend b\n  option forwardfor\n  option forceclose\n`);
  assert.deepEqual(proxy(r, 'b').options.forwardfor, { header: 'X-Forwarded-For', ifNone: false });
  assert.equal(proxy(r, 'b').options.connMode, 'close');
  assert.deepEqual(codes(r), ['8 CFG_LEGACY_KEYWORD']);
  assert.equal(
    r.diagnostics[0].message,
    "'option forceclose' is deprecated (removed in HAProxy 2.0); use 'option httpclose'",
  );
});

test('option errors: unknown with did-you-mean, bad args, unsupported checks, wrong side', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  option httplg
  option forwardfor header
  option forwardfor except nowhere
  option forwardfor sideways
  option redispatch 0
  option spop-check
  option httplog json
  option allbackups
  option
  option splice-auto
  default_backend b
backend b
  option dontlognull
`);
  assert.deepEqual(codes(r), [
    '8 CFG_UNKNOWN_KEYWORD',
    '9 CFG_MISSING_ARG',
    '10 CFG_BAD_VALUE',
    '11 CFG_EXTRA_ARGS',
    '12 CFG_NO_EFFECT',
    '13 CFG_UNSUPPORTED',
    '14 CFG_EXTRA_ARGS',
    '15 CFG_NO_EFFECT',
    '16 CFG_MISSING_ARG',
    '17 CFG_IGNORED_KEYWORD',
    '20 CFG_NO_EFFECT',
  ]);
  assert.equal(r.diagnostics[0].message, "unknown option 'option httplg'; did you mean 'httplog'?");
  assert.equal(r.diagnostics[4].message, "'option redispatch' ignored because frontend 'f' has no backend capability");
  assert.equal(r.diagnostics[5].message, "'option spop-check' is not supported");
});

test('option httpchk: every form', () => {
  const forms: Array<[string, [string, string, string]]> = [
    ['', ['OPTIONS', '/', 'HTTP/1.0']],
    [' /health', ['OPTIONS', '/health', 'HTTP/1.0']],
    [' GET /health', ['GET', '/health', 'HTTP/1.0']],
    [' HEAD /health HTTP/1.1', ['HEAD', '/health', 'HTTP/1.1']],
  ];
  for (const [args, want] of forms) {
    const r = parse(`${DEFAULTS}backend b\n  option httpchk${args}\n`);
    assert.deepEqual(r.diagnostics, [], args);
    const c = proxy(r, 'b').options.httpchk!;
    assert.deepEqual(
      [c.method, c.uri, c.version, c.headers, c.body, c.expect, c.disableOn404],
      [...want, [], undefined, [], false],
      args,
    );
    assert.equal(c.loc.line, 7);
  }
});

test('option httpchk legacy: headers and body hidden in the version, with the modern equivalent', () => {
  const r = parse(
    `${DEFAULTS}backend b\n  option httpchk POST /chk HTTP/1.1\\r\\nHost:\\ www.example.com\\r\\nX-A:1\\r\\n\\r\\nhello\n`,
  );
  assert.deepEqual(codes(r), ['7 CFG_LEGACY_KEYWORD']);
  assert.equal(
    r.diagnostics[0].message,
    `'option httpchk': hiding headers or a body in the version string is deprecated; write 'option httpchk' followed by 'http-check send meth POST uri /chk ver HTTP/1.1 hdr Host www.example.com hdr X-A 1 body hello'`,
  );
  const c = proxy(r, 'b').options.httpchk!;
  assert.deepEqual(
    [c.method, c.uri, c.version, c.headers, c.body],
    [
      'POST',
      '/chk',
      'HTTP/1.1',
      [
        ['Host', 'www.example.com'],
        ['X-A', '1'],
      ],
      'hello',
    ],
  );
});

test('option httpchk errors', () => {
  const r = parse(`${DEFAULTS}backend b
  option httpchk GET / HTTP/1.1 extra
  option httpchk GET / HTTP/9.9.9
  option httpchk GET / HTTP/1.1\\r\\nNoColon
  option httpchk G@T /
`);
  assert.deepEqual(codes(r), ['7 CFG_EXTRA_ARGS', '8 CFG_BAD_VALUE', '9 CFG_BAD_VALUE', '10 CFG_BAD_VALUE']);
  assert.equal(r.diagnostics[2].message, "'option httpchk': header line 'NoColon' in the version string has no ':'");
});

test('http-check send overrides/extends option httpchk; expect rules in order; disable-on-404', () => {
  const r = parse(`${DEFAULTS}backend b
  option httpchk HEAD / HTTP/1.1\\r\\nHost:old
  http-check send meth GET uri /ready ver HTTP/1.1 hdr Host new.example.com hdr User-Agent sy body "{}"
  http-check expect status 200-399
  http-check expect ! string maintenance
  http-check expect rstatus ^2
  http-check expect rstring ok|ready
  http-check expect status 200,204
  http-check disable-on-404
  http-check connect
`);
  assert.deepEqual(codes(r), ['7 CFG_LEGACY_KEYWORD']);
  const c = proxy(r, 'b').options.httpchk!;
  assert.deepEqual([c.method, c.uri, c.version, c.body], ['GET', '/ready', 'HTTP/1.1', '{}']);
  assert.deepEqual(c.headers, [
    ['Host', 'new.example.com'],
    ['User-Agent', 'sy'],
  ]);
  assert.deepEqual(
    c.expect.map((e) => [e.negate, e.kind, e.pattern, e.loc.line]),
    [
      [false, 'status', '200-399', 9],
      [true, 'string', 'maintenance', 10],
      [false, 'rstatus', '^2', 11],
      [false, 'rstring', 'ok|ready', 12],
      [false, 'status', '200,204', 13],
    ],
  );
  assert.equal(c.disableOn404, true);
});

test('http-check partial send keeps option httpchk fields; rules are inherited from defaults unless redefined', () => {
  const r = parse(`defaults
  timeout connect 1s
  timeout server 1s
  option httpchk GET /health
  http-check expect status 200
backend a
backend b
  http-check send hdr Host b.example
backend c
  http-check expect string OK
`);
  assert.deepEqual(r.diagnostics, []);
  const a = proxy(r, 'a').options.httpchk!;
  assert.deepEqual([a.method, a.uri, a.expect.map((e) => e.pattern)], ['GET', '/health', ['200']]);
  const b = proxy(r, 'b').options.httpchk!;
  assert.deepEqual([b.method, b.uri, b.headers, b.expect], ['GET', '/health', [['Host', 'b.example']], []]);
  const c = proxy(r, 'c').options.httpchk!;
  assert.deepEqual(
    c.expect.map((e) => e.pattern),
    ['OK'],
  );
});

test('http-check without option httpchk warns like HAProxy; http-check errors', () => {
  const w = parse(`${DEFAULTS}backend b\n  http-check expect status 200\n`);
  assert.deepEqual(codes(w), ['7 CFG_NO_EFFECT']);
  assert.equal(
    w.diagnostics[0].message,
    "'http-check' rules of backend 'b' are ignored because 'option httpchk' is not set",
  );
  const r = parse(`${DEFAULTS}backend b
  option httpchk
  http-check expect status ok
  http-check expect rstring (unclosed
  http-check expect hdr name x
  http-check expect
  http-check expect status
  http-check send meth
  http-check send verb GET
  http-check send ver HTTP/7
  http-check sned
  http-check disable-on-404 now
  http-check send uri /a
  http-check send uri /b
  http-check expect status 200 extra
`);
  assert.deepEqual(codes(r), [
    '8 CFG_BAD_VALUE',
    '9 CFG_BAD_VALUE',
    '10 CFG_UNSUPPORTED',
    '11 CFG_MISSING_ARG',
    '12 CFG_MISSING_ARG',
    '13 CFG_MISSING_ARG',
    '14 CFG_UNKNOWN_KEYWORD',
    '15 CFG_BAD_VALUE',
    '16 CFG_UNKNOWN_KEYWORD',
    '17 CFG_EXTRA_ARGS',
    '19 CFG_BAD_VALUE',
    '20 CFG_EXTRA_ARGS',
  ]);
  assert.match(r.diagnostics[8].message, /did you mean 'send'\?/);
});
