import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

const strip = <T extends object>(rules: T[]) =>
  rules.map((x) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'loc' ? undefined : v))));

test('http-request: every supported action with conditions', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  http-request allow if { src 127.0.0.1 }
  http-request deny
  http-request deny deny_status 429 content-type text/plain string "slow down" if { sc_http_req_rate(0) gt 100 }
  http-request tarpit deny_status 403 unless ok
  http-request redirect scheme https code 301 if !{ ssl_fc }
  http-request set-header X-Forwarded-Proto https
  http-request add-header X-Client %[src] if TRUE
  http-request del-header X-Internal
  http-request return status 503 content-type text/html string "<h1>maintenance</h1>" hdr Retry-After 60 hdr X-A b
  http-request return lf-string "hi %[src]" content-type text/plain
  http-request return
  http-request use-service prometheus-exporter if { path /metrics }
  http-request track-sc0 src table b
  http-request track-sc1 req.hdr(x-api-key) table api_rates if { path_beg /api }
  http-request set-path /v2%[path]
  http-request set-query a=1
  http-request set-uri /x
  http-request set-method GET
  default_backend b
backend b
  stick-table type ip size 10k
backend api_rates
  stick-table type string len 64 size 10k store http_req_rate(10s)
`);
  assert.deepEqual(r.diagnostics, []);
  const rules = strip(proxy(r, 'f').httpRequest);
  const c = (polarity: string, ...terms: string[]) => ({ polarity, terms });
  assert.deepEqual(rules, [
    { action: 'allow', cond: c('if', '{', 'src', '127.0.0.1', '}') },
    { action: 'deny', status: 403, headers: [] },
    {
      action: 'deny',
      status: 429,
      contentType: 'text/plain',
      body: 'slow down',
      headers: [],
      cond: c('if', '{', 'sc_http_req_rate(0)', 'gt', '100', '}'),
    },
    { action: 'tarpit', status: 403, cond: c('unless', 'ok') },
    {
      action: 'redirect',
      redirect: {
        type: 'scheme',
        value: 'https',
        code: 301,
        dropQuery: false,
        appendSlash: false,
        cond: c('if', '!{', 'ssl_fc', '}'),
      },
      cond: c('if', '!{', 'ssl_fc', '}'),
    },
    { action: 'set-header', name: 'X-Forwarded-Proto', value: 'https' },
    { action: 'add-header', name: 'X-Client', value: '%[src]', cond: c('if', 'TRUE') },
    { action: 'del-header', name: 'X-Internal' },
    {
      action: 'return',
      status: 503,
      contentType: 'text/html',
      body: '<h1>maintenance</h1>',
      headers: [
        ['Retry-After', '60'],
        ['X-A', 'b'],
      ],
    },
    { action: 'return', status: 200, contentType: 'text/plain', body: 'hi %[src]', lf: true, headers: [] },
    { action: 'return', status: 200, headers: [], empty: true },
    { action: 'use-service', service: 'prometheus-exporter', cond: c('if', '{', 'path', '/metrics', '}') },
    { action: 'track-sc', slot: 0, key: 'src', table: 'b' },
    {
      action: 'track-sc',
      slot: 1,
      key: 'req.hdr(x-api-key)',
      table: 'api_rates',
      cond: c('if', '{', 'path_beg', '/api', '}'),
    },
    { action: 'set-path', value: '/v2%[path]' },
    { action: 'set-query', value: 'a=1' },
    { action: 'set-uri', value: '/x' },
    { action: 'set-method', value: 'GET' },
  ]);
});

test('http-response: set/add/del-header, set-status, deny, allow, redirect location', () => {
  const r = parse(`${DEFAULTS}backend b
  http-response set-header Strict-Transport-Security "max-age=31536000"
  http-response add-header Via sy
  http-response del-header Server
  http-response set-status 503 reason "Busy Now" if { status 500 }
  http-response set-status 404
  http-response deny if { res.hdr(x-leak) -m found }
  http-response allow
  http-response redirect location /moved code 302
`);
  assert.deepEqual(r.diagnostics, []);
  const rules = strip(proxy(r, 'b').httpResponse);
  assert.deepEqual(
    rules.map((x) => x.action),
    ['set-header', 'add-header', 'del-header', 'set-status', 'set-status', 'deny', 'allow', 'redirect'],
  );
  assert.deepEqual(rules[3], {
    action: 'set-status',
    status: 503,
    reason: 'Busy Now',
    cond: { polarity: 'if', terms: ['{', 'status', '500', '}'] },
  });
  assert.deepEqual(rules[4], { action: 'set-status', status: 404 });
  assert.equal(rules[5].status, 502);
});

test('http-request return file loads the content through readFile', () => {
  const r = parseConfig(
    [
      {
        file: 't.cfg',
        text: `${DEFAULTS}frontend f\n  bind :80\n  http-request return status 200 content-type text/html file /srv/page.html\n  http-request return content-type text/html file /nope\n`,
      },
    ],
    {
      env: {},
      readFile: (p) => (p === '/srv/page.html' ? '<p>ok</p>' : new Error('ENOENT')),
    },
  );
  const [ok] = proxy(r, 'f').httpRequest;
  assert.deepEqual(ok.action === 'return' && ok.body, '<p>ok</p>');
  assert.deepEqual(codes(r), ['9 CFG_FILE_NOT_FOUND']);
  assert.equal(r.diagnostics[0].message, "'http-request return': cannot read '/nope': ENOENT");
});

test('redirect keyword: every option', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  redirect location https://example.com/new code 308 drop-query set-cookie SEEN=1 if { path /old }
  redirect prefix /v2 append-slash clear-cookie SEEN=
  redirect scheme https if !{ ssl_fc }
  http-request redirect location /x code 303
  redirect location %[hdr(x-to)] ignore-empty
`);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.deepEqual(strip(proxy(r, 'f').redirects), [
    {
      type: 'location',
      value: 'https://example.com/new',
      code: 308,
      dropQuery: true,
      appendSlash: false,
      setCookie: 'SEEN=1',
      cond: { polarity: 'if', terms: ['{', 'path', '/old', '}'] },
    },
    { type: 'prefix', value: '/v2', code: 302, dropQuery: false, appendSlash: true, clearCookie: 'SEEN=' },
    {
      type: 'scheme',
      value: 'https',
      code: 302,
      dropQuery: false,
      appendSlash: false,
      cond: { polarity: 'if', terms: ['!{', 'ssl_fc', '}'] },
    },
    { type: 'location', value: '%[hdr(x-to)]', code: 302, dropQuery: false, appendSlash: false, ignoreEmpty: true },
  ]);
});

test('http rule errors, each with its line', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  http-request
  http-request dney
  http-request deny deny_status 999
  http-request deny deny_status 302
  http-request set-header X-A
  http-request set-header X-A b c
  http-request set-header "bad name" v
  http-request redirect
  http-request redirect location
  http-request redirect location /x code 200
  http-request redirect location /x sideways
  http-request return string hi
  http-request use-service lua.hello
  http-request track-sc3 src
  http-request track-sc0
  http-request track-sc0 src tabel t
  http-request set-method "G T"
  http-request set-nice 10
  http-request set-status 200
  http-response set-path /x
  http-response set-status abc
  http-response redirect scheme https
  http-request allow extra
  http-request deny if
  redirect to /x
  http-request silent-drop
  default_backend b
backend b
`);
  assert.deepEqual(codes(r), [
    '8 CFG_MISSING_ARG',
    '9 CFG_UNKNOWN_KEYWORD',
    '10 CFG_BAD_VALUE',
    '11 CFG_BAD_VALUE',
    '12 CFG_MISSING_ARG',
    '13 CFG_EXTRA_ARGS',
    '14 CFG_BAD_VALUE',
    '15 CFG_MISSING_ARG',
    '16 CFG_MISSING_ARG',
    '17 CFG_BAD_VALUE',
    '18 CFG_EXTRA_ARGS',
    '19 CFG_MISSING_ARG',
    '20 CFG_UNSUPPORTED',
    '21 CFG_UNKNOWN_KEYWORD',
    '22 CFG_MISSING_ARG',
    '23 CFG_EXTRA_ARGS',
    '24 CFG_BAD_VALUE',
    '25 CFG_UNSUPPORTED',
    '26 CFG_UNSUPPORTED',
    '27 CFG_UNSUPPORTED',
    '28 CFG_BAD_VALUE',
    '29 CFG_BAD_VALUE',
    '30 CFG_EXTRA_ARGS',
    '31 CFG_MISSING_ARG',
    '32 CFG_BAD_VALUE',
    '33 CFG_UNSUPPORTED',
  ]);
  const m = r.diagnostics.map((d) => d.message);
  assert.equal(m[1], "unknown action 'http-request dney'; did you mean 'deny'?");
  assert.equal(
    m[3],
    "'http-request deny': status code '302' not handled by default with 'default-errorfiles' argument",
  );
  assert.equal(m[5], "'http-request set-header': unexpected argument 'c' (missing 'if' or 'unless'?)");
  assert.equal(m[11], "'http-request return': a 'content-type' is required with a body");
  assert.match(m[17], /action 'set-nice' is not supported in http-request/);
  // the list names every action http-request takes (it grows as actions land): its shape and some members
  assert.match(
    m[18],
    /^'http-request set-status': action 'set-status' is not supported in http-request \(supported: allow, deny, .*\)$/,
  );
  for (const a of ['redirect', 'set-var', 'add-acl', 'del-acl', 'disable-l7-retry', 'replace-uri'])
    assert.ok(m[18].includes(` ${a},`) || m[18].endsWith(` ${a})`), a);
  assert.ok(!/[(,] set-status[,)]/.test(m[18]), 'set-status itself is not listed');
  assert.equal(m[23], "missing condition after 'if'");
  // Nothing invalid is kept.
  assert.equal(proxy(r, 'f').httpRequest.length, 0);
  assert.equal(proxy(r, 'f').redirects.length, 0);
});

test('http-after-response takes the 2.6 actions and refuses the others with FILE:LINE', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  http-after-response set-header Strict-Transport-Security "max-age=31536000"
  http-after-response set-status 299 reason Fine if { status 503 }
  http-after-response set-var(txn.s) status
  http-after-response allow
  http-after-response deny
  http-after-response capture res.hdr(x) id 0
  http-after-response redirect location /
  default_backend b
backend b
`);
  assert.deepEqual(
    proxy(r, 'f').httpAfterResponse.map((x) => x.action),
    ['set-header', 'set-status', 'set-var', 'allow'],
  );
  assert.deepEqual(codes(r, 'error'), ['12 CFG_UNKNOWN_KEYWORD', '13 CFG_UNSUPPORTED', '14 CFG_UNKNOWN_KEYWORD']);
  assert.match(r.diagnostics[0].message, /unknown action 'http-after-response deny'.*supported: allow, set-header/);
});

test('do-resolve(VAR,RESOLVERS,FAMILY) is refused by its name, in http-request and tcp-request content', () => {
  const r = parse(`resolvers dns
  nameserver ns1 127.0.0.1:53
frontend f
  bind :80
  mode http
  http-request do-resolve(txn.ip,dns,ipv4) hdr(host),host_only
  tcp-request content do-resolve(txn.ip,dns) hdr(host)
  default_backend b
backend b
  server s 127.0.0.1:80
`);
  const m = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.loc.line} ${d.code} ${d.message}`);
  assert.equal(m.length, 2, m.join('\n'));
  assert.match(m[0], /^6 CFG_UNSUPPORTED .*action 'do-resolve' is not supported in http-request/);
  assert.match(m[1], /^7 CFG_UNSUPPORTED 'tcp-request content do-resolve\(txn\.ip,dns\)' is not supported yet$/);
});
