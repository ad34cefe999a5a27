/** Unit tests for syslog framing and the request log line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogTarget } from '@switchyard/config';
import { registerBuiltinFetches } from '../src/acl/index.ts';
import { compileLogFormat, hexIp } from '../src/acl/log-format.ts';
import { compileLogLine, HTTPLOG_FORMAT } from '../src/log/log-format.ts';
import {
  formatClfLog,
  formatDefaultLog,
  formatHttpLog,
  formatJsonLog,
  httpLogDate,
  type RequestLogFields,
} from '../src/log/request-line.ts';
import { frameSyslog, isoTime, rfc3164Time, targetAccepts } from '../src/log/syslog.ts';
import { makeTxn, uniqueId } from '../src/model/txn.ts';

// the fetch keywords the compiled expressions use (buildRuntime does this in the program)
registerBuiltinFetches();

const loc = { file: 't.cfg', line: 1 };
const udp = (over: Partial<LogTarget> = {}): LogTarget => ({
  kind: 'udp',
  host: '127.0.0.1',
  port: 514,
  facility: 'local3',
  level: 'info',
  format: 'rfc3164',
  loc,
  ...over,
});

const me = { tag: 'switchyard', pid: 42, hostname: undefined };
const frame = (t: LogTarget, level: 'info' | 'err' | 'notice' | 'emerg', msg: string, d: Date, host?: string) =>
  frameSyslog(t, level, msg, d, { ...me, hostname: host }, 173414).toString();

test('the eight syslog formats as haproxy 2.6.12 sends them (datagrams captured from haproxy)', () => {
  const d = new Date(2026, 10, 1, 9, 5, 3, 123);
  const iso = isoTime(d, 173414);
  assert.match(iso, /^2026-11-01T09:05:03\.123414[+-]\d\d:\d\d$/);
  assert.equal(rfc3164Time(d), 'Nov  1 09:05:03');
  // haproxy: `<134>Dec  7 06:00:14 localhost haproxy[14624]: ...` with `format rfc3164` and no
  // log-send-hostname, `<134>Dec  7 06:16:48 haproxy[31939]: ...` without `format`
  assert.equal(frame(udp(), 'info', 'hello', d), '<158>Nov  1 09:05:03 switchyard[42]: hello\n');
  assert.equal(
    frame(udp({ formatGiven: true }), 'info', 'hello', d),
    '<158>Nov  1 09:05:03 localhost switchyard[42]: hello\n',
  );
  assert.equal(frame(udp(), 'info', 'hello', d, 'myhost'), '<158>Nov  1 09:05:03 myhost switchyard[42]: hello\n');
  assert.equal(frame(udp({ format: 'raw' }), 'info', 'hello', d), 'hello\n');
  assert.equal(frame(udp({ format: 'short' }), 'err', 'x', d), '<3>x\n');
  assert.equal(frame(udp({ format: 'priority' }), 'err', 'x', d), '<155>x\n');
  assert.equal(frame(udp({ format: 'timed' }), 'info', 'x', d), `<6>${iso} x\n`);
  assert.equal(frame(udp({ format: 'iso' }), 'info', 'x', d), `${iso} x\n`);
  assert.equal(frame(udp({ format: 'local' }), 'info', 'x', d, 'h'), '<158>Nov  1 09:05:03 switchyard[42]: x\n');
  assert.equal(
    frame(udp({ format: 'rfc5424', facility: 'local0' }), 'notice', 'm', d),
    `<133>1 ${iso} - switchyard 42 - - m\n`,
  );
  assert.equal(
    frame(udp({ format: 'rfc5424', facility: 'local0' }), 'notice', 'm', d, 'h1'),
    `<133>1 ${iso} h1 switchyard 42 - - m\n`,
  );
});

test('len N cuts the line at N bytes and keeps the newline (haproxy: len 80 -> 80 bytes + LF); default 1024', () => {
  const d = new Date(2026, 10, 1, 9, 5, 3);
  const long = 'x'.repeat(2000);
  assert.equal(frame(udp({ maxLen: 80 }), 'info', long, d).length, 81);
  assert.ok(frame(udp({ maxLen: 80 }), 'info', long, d).endsWith('x\n'));
  assert.equal(frame(udp(), 'info', long, d).length, 1025);
  assert.equal(frame(udp({ maxLen: 80, format: 'raw' }), 'info', 'short', d), 'short\n');
});

test('level filters, minlevel caps the severity of more severe messages', () => {
  assert.equal(targetAccepts(udp({ level: 'info' }), 'info'), true);
  assert.equal(targetAccepts(udp({ level: 'info' }), 'debug'), false);
  assert.equal(targetAccepts(udp({ level: 'info' }), 'emerg'), true);
  const d = new Date(2026, 0, 10, 0, 0, 0);
  // local3 (19) * 8 + err (3) = 155 for an emerg message capped at err
  assert.match(frame(udp({ level: 'debug', minLevel: 'err' }), 'emerg', 'm', d), /^<155>/);
  assert.match(frame(udp({ level: 'debug', minLevel: 'err' }), 'info', 'm', d), /^<158>/);
});

const fields: RequestLogFields = {
  clientIp: '10.0.0.1',
  clientPort: 51234,
  start: new Date(2026, 10, 21, 19, 32, 49, 248).getTime(),
  frontend: 'fe',
  backend: 'be',
  server: 's1',
  tR: 0,
  tw: 0,
  tc: -1,
  tr: -1,
  ta: 3006,
  status: 503,
  bytes: 217,
  bytesIn: 96,
  termState: 'SC--',
  actconn: 1,
  feconn: 1,
  beconn: 0,
  srvconn: 0,
  retries: 3,
  redispatched: false,
  srvQueue: 0,
  backendQueue: 0,
  method: 'GET',
  uri: '/x?y=1',
  httpVersion: '1.1',
};

/** The transaction of `fields`' request. */
function fieldsTxn() {
  return makeTxn({
    method: 'GET',
    url: '/x?y=1',
    httpVersion: '1.1',
    rawHeaders: [],
    srcIp: '10.0.0.1',
    srcPort: 51234,
    dstIp: '127.0.0.1',
    dstPort: 80,
    ssl: false,
    frontend: 'fe',
  });
}

test('option httplog line: the exact line haproxy 2.6 logged for the same request', () => {
  assert.equal(httpLogDate(fields.start), '21/Nov/2026:19:32:49.248');
  assert.equal(
    formatHttpLog(fields),
    '10.0.0.1:51234 [21/Nov/2026:19:32:49.248] fe be/s1 0/0/-1/-1/3006 503 217 - - SC-- 1/1/0/0/3 0/0 "GET /x?y=1 HTTP/1.1"',
  );
  assert.match(formatHttpLog({ ...fields, redispatched: true }), / 1\/1\/0\/0\/\+3 /);
  assert.match(formatHttpLog({ ...fields, method: '' }), /"<BADREQ>"$/);
});

test('default HTTP line and JSON carry the same fields', () => {
  assert.equal(
    formatDefaultLog(fields),
    '10.0.0.1:51234 [21/Nov/2026:19:32:49.248] fe be/s1 0/-1/3006 217 SC 1/1/0/0/3 0/0',
  );
  const j = JSON.parse(formatJsonLog(fields));
  assert.equal(j.termination_state, 'SC--');
  assert.equal(j.Ta, 3006);
  assert.equal(j.request, 'GET /x?y=1 HTTP/1.1');
  assert.equal('request_captures' in j, false);
  const c = JSON.parse(formatJsonLog({ ...fields, reqCap: ['h', undefined], resCap: [], cliCookie: 'S=1' }));
  assert.deepEqual([c.request_captures, c.response_captures, c.captured_request_cookie], [['h', null], [], 'S=1']);
});

test('option httplog clf: the line haproxy 2.6 sends (same field order and quoting)', () => {
  const f = {
    ...fields,
    status: 200,
    bytes: 135,
    tc: 0,
    tr: 0,
    ta: 0,
    termState: '----',
    retries: 0,
    clientPort: 46118,
    start: new Date(2026, 10, 21, 20, 40, 36, 810).getTime(),
  };
  const line = formatClfLog(f);
  // haproxy: 127.0.0.1 - - [21/Nov/2026:20:40:36 +0000] "GET /x?y=1 HTTP/1.1" 200 135 "" "" 46118 810 "fe" "be" "s1" 0 0 0 0 0 ---- 1 1 0 0 0 0 0 "" ""
  assert.match(
    line,
    /^10\.0\.0\.1 - - \[21\/Nov\/2026:20:40:36 [+-]\d{4}\] "GET \/x\?y=1 HTTP\/1\.1" 200 135 "" "" 46118 810 "fe" "be" "s1" 0 0 0 0 0 ---- 1 1 0 0 0 0 0 "" "" $/,
  );
});

test('log-format: HAProxy 2.6 httplog and CLF format strings render exactly like the built-in lines', () => {
  const txn = fieldsTxn();
  const diags: import('@switchyard/config').Diagnostic[] = [];
  const httplog = compileLogLine(
    '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r',
    { file: 't.cfg', line: 1 },
    diags,
  );
  const clf = compileLogLine(
    '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl',
    { file: 't.cfg', line: 2 },
    diags,
  );
  assert.deepEqual(diags, []);
  assert.equal(httplog(fields, txn), formatHttpLog(fields));
  assert.equal(clf(fields, txn), formatClfLog(fields));
  // %U: bytes from the client, %B: to it
  assert.equal(compileLogLine('%U/%B', { file: 't.cfg', line: 4 }, diags)(fields, txn), '96/217');
  const bad: import('@switchyard/config').Diagnostic[] = [];
  compileLogLine('%ci %nope %[no_such_fetch]', { file: 't.cfg', line: 3 }, bad);
  assert.equal(bad.length, 2);
  assert.equal(bad[0].loc.line, 3);
});

test('unique-id-format: the %{+X}o example of HAProxy 2.6 doc, generated once per request', () => {
  const diags: import('@switchyard/config').Diagnostic[] = [];
  const fmt = compileLogFormat('%{+X}o %ci:%cp_%fi:%fp_%rt:%pid   %{-X}rt', loc, diags, { mergeSpaces: true });
  assert.deepEqual(diags, []);
  const txn = makeTxn({
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    rawHeaders: [],
    srcIp: '127.0.0.1',
    srcPort: 33430,
    dstIp: '127.0.0.30',
    dstPort: 8080,
    ssl: false,
    frontend: 'fe',
    counter: 3,
    uniqueIdFormat: fmt,
  });
  const pid = process.pid.toString(16).toUpperCase().padStart(4, '0');
  // the doc's 7F000001:8296_7F00001E:1F90_..._0003:790A
  assert.equal(uniqueId(txn), `7F000001:8296_7F00001E:1F90_0003:${pid} 3`);
  txn.counter = 4;
  assert.equal(uniqueId(txn), `7F000001:8296_7F00001E:1F90_0003:${pid} 3`, 'made once');
  const line = compileLogLine('%ID %{+Q}ID %[unique-id]', loc, diags);
  assert.deepEqual(diags, []);
  assert.equal(line(fields, txn), `${txn.uniqueId} "${txn.uniqueId}" ${txn.uniqueId}`);
  // no unique-id-format: %ID prints '-', the fetch is absent
  const plain = makeTxn({ ...txn, uniqueIdFormat: undefined, uniqueId: undefined });
  assert.equal(line(fields, plain), '- "" -');
  assert.equal(hexIp('::ffff:10.1.2.3'), '0A010203');
  assert.equal(hexIp('2001:db8::1'), '20010DB8000000000000000000000001');
  assert.equal(hexIp('::1'), '00000000000000000000000000000001');
});

test('captures: %hr %hs in braces, %hrl %hsl one field each, #XX for "#{|} and control bytes, as haproxy 2.6', () => {
  const f = { ...fields, reqCap: ['a.example', undefined, 'x|y{z}"#\t'], resCap: [undefined] };
  const txn = fieldsTxn();
  const diags: import('@switchyard/config').Diagnostic[] = [];
  const line = compileLogLine('%hr %hs|%hrl|%hsl|%{+Q}hr %{+Q}hrl %{+Q}hsl', loc, diags);
  assert.deepEqual(diags, []);
  assert.equal(
    line(f, txn),
    '{a.example||x#7Cy#7Bz#7D#22#23#09} {}|a.example - x#7Cy#7Bz#7D#22#23#09|-|"{a.example||x#7Cy#7Bz#7D#22#23#09}" "a.example" "" "x#7Cy#7Bz#7D#22#23#09" ""',
  );
  // the httplog format with captures: the same line as the built-in one, braces before the request
  const httplog = compileLogLine(HTTPLOG_FORMAT, loc, diags);
  assert.equal(
    httplog({ ...fields, reqCap: ['h', 'ua'], resCap: ['text/plain'] }, txn),
    formatHttpLog(fields).replace(' "GET', ' {h|ua} {text/plain} "GET'),
  );
  assert.equal(
    httplog({ ...fields, resCap: [undefined, undefined] }, txn),
    formatHttpLog(fields).replace(' "GET', ' {|} "GET'),
  );
  assert.equal(httplog(fields, txn), formatHttpLog(fields));
  // capture cookie: %CC %CS in place of `- -`, the compiled format and the built-in line alike
  const cookies = { ...fields, cliCookie: 'SRV=a', srvCookie: 'SRV=b' };
  assert.match(formatHttpLog(cookies), / 503 217 SRV=a SRV=b SC-- /);
  assert.equal(httplog(cookies, txn), formatHttpLog(cookies));
});
