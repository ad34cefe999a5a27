import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('option tcp-check with its rules, comments kept, inherited from defaults until a proxy writes its own', () => {
  const r = parse(`defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option tcp-check
  tcp-check send PING\\r\\n
  tcp-check expect string +PONG
backend inherits
  server s 127.0.0.1:6379 check
backend own
  tcp-check comment "greeting"
  tcp-check connect port 25 linger
  tcp-check expect rstring ^220 min-recv 4 error-status L7STS on-error "no banner" status-code res.payload(0,3)
  tcp-check send-binary 51554954
  server s 127.0.0.1:25 check
`);
  assert.deepEqual(codes(r), []);
  const a = proxy(r, 'inherits').options.tcpCheck;
  assert.equal(a?.kind, 'tcp-check');
  assert.deepEqual(
    a?.kind === 'tcp-check' ? a.rules.map((x) => x.action) : [],
    ['send', 'expect'],
    'the defaults rules',
  );
  const b = proxy(r, 'own').options.tcpCheck;
  assert.ok(b?.kind === 'tcp-check');
  assert.deepEqual(
    b.rules.map((x) => x.action),
    ['comment', 'connect', 'expect', 'send'],
  );
  const [, connect, expect, send] = b.rules;
  assert.ok(connect?.action === 'connect' && connect.port === 25 && connect.linger && !connect.ssl);
  assert.ok(expect?.action === 'expect');
  assert.deepEqual(
    {
      kind: expect.kind,
      pattern: expect.pattern,
      minRecv: expect.minRecv,
      errorStatus: expect.errorStatus,
      onError: expect.onError,
      statusCode: expect.statusCode,
    },
    {
      kind: 'rstring',
      pattern: '^220',
      minRecv: 4,
      errorStatus: 'L7STS',
      onError: 'no banner',
      statusCode: { offset: 0, length: 3 },
    },
  );
  assert.ok(send?.action === 'send' && send.kind === 'binary' && send.data === '51554954');
});

test('protocol check options, and the last check option of a proxy wins', () => {
  const r = parse(`${DEFAULTS}backend my
  option mysql-check user haproxy pre-41
  server s 127.0.0.1:3306 check
backend pg
  option httpchk GET /
  option pgsql-check user pg
  server s 127.0.0.1:5432 check
backend back_to_http
  option redis-check
  option httpchk GET /health
  server s 127.0.0.1:80 check
backend mail
  option smtpchk EHLO lb.example.com
  server s 127.0.0.1:25 check
backend mail_default
  option smtpchk
  server s 127.0.0.1:25 check
`);
  assert.deepEqual(codes(r), []);
  assert.deepEqual(proxy(r, 'my').options.tcpCheck, {
    kind: 'mysql-check',
    user: 'haproxy',
    post41: false,
    loc: { file: 't.cfg', line: 7 },
  });
  assert.equal(proxy(r, 'pg').options.httpchk, undefined);
  assert.equal(proxy(r, 'pg').options.tcpCheck?.kind, 'pgsql-check');
  assert.equal(proxy(r, 'back_to_http').options.tcpCheck, undefined);
  assert.equal(proxy(r, 'back_to_http').options.httpchk?.uri, '/health');
  const mail = proxy(r, 'mail').options.tcpCheck;
  assert.ok(mail?.kind === 'smtpchk' && mail.command === 'EHLO lb.example.com');
  const plain = proxy(r, 'mail_default').options.tcpCheck;
  assert.ok(plain?.kind === 'smtpchk' && plain.command === 'HELO localhost');
});

test('tcp-check errors name FILE:LINE and say what is wrong', () => {
  const r = parse(`${DEFAULTS}backend b
  option tcp-check
  tcp-check send hello
  tcp-check connect port 25
  tcp-check expect string
  tcp-check expect rstring (
  tcp-check expect binary abc
  tcp-check send-lf "%[var(check.x)]"
  tcp-check expect string x on-error "%[res.payload(0,0)]"
  tcp-check expect string x status-code len
  tcp-check set-var(check.x) str(a)
  tcp-check connect port 0
  tcp-check bogus
  option pgsql-check
  no option tcp-check
  option smtpchk hello x
  server s 127.0.0.1:25 check
frontend f
  bind 127.0.0.1:18080
  tcp-check send x
  default_backend b
backend unused
  tcp-check send x
  server s 127.0.0.1:25 check
`);
  assert.deepEqual(codes(r), [
    '9 CFG_BAD_VALUE',
    '10 CFG_MISSING_ARG',
    '11 CFG_BAD_VALUE',
    '12 CFG_BAD_VALUE',
    '13 CFG_UNSUPPORTED',
    '14 CFG_UNSUPPORTED',
    '15 CFG_UNSUPPORTED',
    '16 CFG_UNKNOWN_KEYWORD',
    '17 CFG_BAD_VALUE',
    '18 CFG_UNKNOWN_KEYWORD',
    '19 CFG_MISSING_ARG',
    '20 CFG_BAD_VALUE',
    '21 CFG_BAD_VALUE',
    // smtpchk (line 21) is the last check option: the tcp-check rules go unused, as in HAProxy.
    '8 CFG_NO_EFFECT',
    '25 CFG_NO_EFFECT',
    '28 CFG_NO_EFFECT',
  ]);
  const msg = (line: number) => r.diagnostics.find((d) => d.loc.line === line)?.message;
  assert.equal(
    msg(9),
    "'tcp-check connect': first step MUST also be a 'connect', optionally preceded by a 'comment', when there is a 'connect' step in the tcp-check ruleset",
  );
  assert.match(msg(11) ?? '', /invalid regular expression '\('/);
  assert.match(msg(12) ?? '', /'abc' invalid binary string/);
  assert.match(msg(13) ?? '', /log-format expressions \('%\[var\(check\.x\)\]/);
  assert.match(msg(15) ?? '', /only 'res\.payload\(OFFSET,LENGTH\)' is supported/);
  assert.match(msg(16) ?? '', /'tcp-check set-var\(check.x\)'|only supports/);
  assert.match(msg(17) ?? '', /first step MUST/, 'checked before the arguments, as HAProxy does');
  assert.equal(msg(19), "'option pgsql-check' expects 'user <username>' as argument");
  assert.match(msg(21) ?? '', /'option smtpchk hello x': expected 'HELO domain' or 'EHLO domain'/);
  assert.equal(msg(25), "'tcp-check' ignored because frontend 'f' has no backend capability");
  assert.equal(msg(28), "backend 'unused' uses tcp-check rules without 'option tcp-check', so the rules are ignored");
});
