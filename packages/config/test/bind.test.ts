import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, tlsVersionRange } from '@switchyard/config';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

const binds = (line: string) => {
  const r = parse(`${DEFAULTS}listen l\n  bind ${line}\n`);
  return { r, b: proxy(r, 'l').binds.map(({ loc, ...x }) => x) };
};

test('bind address forms', () => {
  const cases: Array<[string, Array<[string, number]>]> = [
    [':80', [['', 80]]],
    ['*:80', [['', 80]]],
    ['0.0.0.0:80', [['0.0.0.0', 80]]],
    ['[::]:80', [['::', 80]]],
    [':::80', [['::', 80]]],
    ['[::1]:8443', [['::1', 8443]]],
    [
      '127.0.0.1:8080,127.0.0.1:8081',
      [
        ['127.0.0.1', 8080],
        ['127.0.0.1', 8081],
      ],
    ],
    [
      ':8000-8002',
      [
        ['', 8000],
        ['', 8001],
        ['', 8002],
      ],
    ],
    ['ipv4@127.0.0.1:80', [['127.0.0.1', 80]]],
    ['localhost:80', [['localhost', 80]]],
  ];
  for (const [line, want] of cases) {
    const { r, b } = binds(line);
    assert.deepEqual(r.diagnostics, [], line);
    assert.deepEqual(
      b.map((x) => [x.host, x.port]),
      want,
      line,
    );
  }
});

test('bind unix sockets', () => {
  for (const line of ['/run/sy.sock mode 660', 'unix@/run/sy.sock mode 660']) {
    const { r, b } = binds(line);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(b, [{ host: '', port: 0, path: '/run/sy.sock', options: { mode: '660' } }]);
  }
});

test('bind ssl crt (several, crt-base), alpn and options', () => {
  const r = parseConfig(
    [
      {
        file: 't.cfg',
        text: `global\n  crt-base /etc/ssl\n${DEFAULTS}listen l\n  bind :443 ssl crt site.pem crt /abs/other.pem alpn h2,http/1.1 name https maxconn 100 v4v6 v6only strict-sni\n`,
      },
    ],
    { env: {} },
  );
  assert.deepEqual(r.diagnostics, []);
  const [b] = proxy(r, 'l').binds;
  assert.deepEqual(b.ssl, { crt: ['/etc/ssl/site.pem', '/abs/other.pem'], alpn: ['h2', 'http/1.1'], tls: {} });
  assert.deepEqual(b.options, { name: 'https', maxconn: '100', v4v6: true, v6only: true, 'strict-sni': true });
  const dir = binds(':443 ssl crt /etc/haproxy/certs/').b[0];
  assert.deepEqual(dir.ssl, { crt: ['/etc/haproxy/certs/'], tls: {} });
});

test('bind errors, each with its line', () => {
  const r = parse(`${DEFAULTS}listen l
  bind
  bind 127.0.0.1
  bind :70000
  bind :80 ssl
  bind :81 crt x.pem
  bind :82 accept-netscaler-cip 1234
  bind :83 ssl crt a.pem alpn spdy/3
  bind :84 maxcon 10
  bind 300.1.1.1:80
  bind :90-80
  bind [::1:80
  bind :85 maxconn many
  bind :86 crt-list list.txt
  bind abns@x
`);
  assert.deepEqual(codes(r, 'error'), [
    '7 CFG_MISSING_ARG',
    '8 CFG_BAD_PORT',
    '9 CFG_BAD_ADDRESS',
    '10 CFG_MISSING_ARG',
    '11 CFG_MISSING_ARG',
    '12 CFG_UNSUPPORTED',
    '13 CFG_BAD_VALUE',
    '14 CFG_UNKNOWN_KEYWORD',
    '15 CFG_BAD_ADDRESS',
    '16 CFG_BAD_ADDRESS',
    '17 CFG_BAD_ADDRESS',
    '18 CFG_BAD_VALUE',
    '19 CFG_MISSING_ARG',
    '20 CFG_BAD_ADDRESS',
  ]);
  const m = r.diagnostics.map((d) => d.message);
  assert.equal(m[1], "bind: missing port in '127.0.0.1' (e.g. ':80')");
  assert.equal(m[2], "bind: port 70000 out of range (1-65535) in ':70000'");
  assert.match(m[3], /'ssl' needs at least one 'crt FILE\|DIR'/);
  assert.equal(m[5], "bind: 'accept-netscaler-cip' is not supported");
  assert.equal(m[7], "bind: unknown option 'maxcon'; did you mean 'maxconn'?");
  assert.equal(m[8], "bind: invalid host '300.1.1.1' in address '300.1.1.1:80'");
});

test('the same address bound twice is an error naming the first', () => {
  const r = parse(`${DEFAULTS}frontend a\n  bind :80\nfrontend b\n  bind *:80\n  bind 127.0.0.1:80\n`);
  assert.deepEqual(codes(r, 'error'), ['9 CFG_BAD_ADDRESS']);
  assert.equal(
    r.diagnostics.find((d) => d.severity === 'error')?.message,
    "frontend 'b': address ':80' is already bound by frontend 'a' at t.cfg:7",
  );
});

test('tuning options warn, a frontend without bind warns', () => {
  const r = parse(
    `${DEFAULTS}frontend f\n  bind :80 defer-accept process 1\nfrontend g\n  default_backend b\nbackend b\n`,
  );
  assert.deepEqual(codes(r), ['7 CFG_IGNORED_KEYWORD', '7 CFG_IGNORED_KEYWORD', '6 CFG_NO_BACKEND', '8 CFG_NO_BIND']);
});

test('legacy address on the listen line becomes a bind with a warning', () => {
  const r = parse(`${DEFAULTS}listen web 0.0.0.0:8080\n  server s 127.0.0.1:80\n`);
  assert.deepEqual(codes(r), ['6 CFG_LEGACY_KEYWORD']);
  assert.deepEqual(
    proxy(r, 'web').binds.map((b) => [b.host, b.port]),
    [['0.0.0.0', 8080]],
  );
});

test('bind TLS options fill ssl.tls; bad values and TLS options without ssl are errors at their line', () => {
  const r = parse(
    `global
  ca-base /ca
frontend f
  bind :443 ssl crt /c.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 ciphers ECDHE+AESGCM ciphersuites TLS_AES_128_GCM_SHA256 curves X25519:P-256 no-tls-tickets prefer-client-ciphers ca-file ca.pem verify required crl-file /crl.pem
  bind :444 ssl crt /c.pem ssl-min-ver TLSv9
  bind :445 ssl-min-ver TLSv1.3
  bind :446 ssl crt /c.pem verify optional
  bind :447 ssl crt /c.pem ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2
  bind :448 ssl crt /c.pem no-tlsv12
`,
  );
  assert.deepEqual(r.model.proxies[0].binds[0].ssl?.tls, {
    minVer: 'TLSv1.2',
    maxVer: 'TLSv1.3',
    ciphers: 'ECDHE+AESGCM',
    ciphersuites: 'TLS_AES_128_GCM_SHA256',
    curves: 'X25519:P-256',
    noTlsTickets: true,
    preferClientCiphers: true,
    caFile: '/ca/ca.pem',
    verify: 'required',
    crlFile: '/crl.pem',
  });
  const errs = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.loc.line} ${d.message}`);
  assert.equal(errs.length, 4, errs.join('\n'));
  assert.match(errs[0], /^5 bind: 'ssl-min-ver' expects SSLv3, TLSv1.0/);
  assert.match(errs[1], /^6 bind: 'ssl-min-ver' needs 'ssl'/);
  assert.match(errs[2], /^7 bind: 'verify optional' needs 'ca-file FILE'/);
  assert.match(errs[3], /^8 bind: 'ssl-min-ver TLSv1.3' is above 'ssl-max-ver TLSv1.2'/);
  // no-tlsv12 over the default minimum TLSv1.2 leaves TLSv1.3 (as haproxy 2.6)
  assert.deepEqual(tlsVersionRange(r.model.proxies[0].binds[1].ssl?.tls ?? {}), { min: 'TLSv1.3', max: 'TLSv1.3' });
});
