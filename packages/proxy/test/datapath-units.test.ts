/** Unit tests for the datapath's pure helpers: header lists, request checks, error pages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteHeader, forwardableHeaders, setHeader } from '../src/datapath/headers.ts';
import { invalidRequestReason } from '../src/datapath/validate.ts';
import { defaultErrorPage, ErrorFileError, parseErrorFile } from '../src/runtime/error-pages.ts';

test('forwardableHeaders drops RFC 9110 hop-by-hop fields and those named in Connection', () => {
  const raw = [
    'Host',
    'a',
    'Connection',
    'keep-alive, X-Secret, Upgrade',
    'X-Secret',
    '1',
    'Keep-Alive',
    't=5',
    'TE',
    'trailers',
    'Transfer-Encoding',
    'chunked',
    'Proxy-Connection',
    'x',
    'Upgrade',
    'h2c',
    'Trailer',
    'x',
    'Expect',
    '100-continue',
    'x-kept',
    'yes',
    'Content-Length',
    '3',
    'content-length',
    '3',
  ];
  assert.deepEqual(forwardableHeaders(raw), ['Host', 'a', 'x-kept', 'yes', 'Content-Length', '3']);
});

test('setHeader replaces every occurrence, deleteHeader removes all, case-insensitively', () => {
  const h = ['A', '1', 'b', '2', 'a', '3'];
  setHeader(h, 'A', 'a', 'x');
  assert.deepEqual(h, ['b', '2', 'A', 'x']);
  deleteHeader(h, 'b');
  assert.deepEqual(h, ['A', 'x']);
});

test('invalidRequestReason: the framing conflicts llhttp leaves to us', () => {
  const ok = (raw: string[], v = '1.1') => invalidRequestReason(raw, v);
  assert.equal(ok(['Host', 'a', 'Content-Length', '5']), undefined);
  assert.equal(ok(['Host', 'a', 'Content-Length', '5', 'Content-Length', '05']), undefined, 'equal values');
  assert.match(ok(['Content-Length', '5', 'Content-Length', '6']) ?? '', /conflicting/);
  assert.match(ok(['Content-Length', '5, 6']) ?? '', /conflicting/);
  assert.match(ok(['Content-Length', '-1']) ?? '', /invalid/);
  assert.match(ok(['Content-Length', '1', 'Transfer-Encoding', 'chunked']) ?? '', /both/);
  assert.match(ok(['Transfer-Encoding', 'gzip']) ?? '', /does not end with chunked/);
  assert.match(ok(['Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked']) ?? '', /more than once/);
  assert.match(ok(['Transfer-Encoding', 'chunked'], '1.0') ?? '', /HTTP\/1\.0/);
  assert.equal(ok(['Transfer-Encoding', 'gzip, chunked']), undefined);
  assert.match(ok(['Host', 'a', 'host', 'b']) ?? '', /Host/);
  assert.equal(ok(['Host', 'a', 'host', 'A']), undefined);
});

test('default error pages match HAProxy 2.6 byte for byte (Content-length values)', () => {
  // lengths as HAProxy 2.6 sends them (strings in the haproxy binary)
  const expected: Record<number, number> = { 500: 97, 502: 107, 503: 107, 504: 92 };
  for (const [code, len] of Object.entries(expected)) {
    const p = defaultErrorPage(Number(code));
    assert.equal(p.body.length, len, `page ${code}`);
    assert.deepEqual(p.headers[0], ['content-length', String(len)]);
  }
  assert.equal(defaultErrorPage(408).reason, 'Request Time-out');
});

test('parseErrorFile reads a raw HTTP response and recomputes the length (names lower-cased, version kept)', () => {
  const p = parseErrorFile(
    'HTTP/1.0 503 Service Unavailable\r\nContent-Length: 999\r\nContent-Type: text/html\r\n\r\n<p>down</p>\n',
  );
  assert.equal(p.status, 503);
  assert.equal(p.reason, 'Service Unavailable');
  assert.deepEqual(p.headers, [
    ['content-length', '12'],
    ['content-type', 'text/html'],
  ]);
  assert.equal(p.body.toString(), '<p>down</p>\n');
  // names in lower case as haproxy's HTX sends them; the file's HTTP/1.0 is kept
  assert.equal(p.version10, true);
  assert.equal(p.closeDelimited, undefined);
  assert.equal(parseErrorFile('HTTP/1.1 502 Bad\nX-A: b\n\nno length').closeDelimited, true);
  assert.throws(() => parseErrorFile('<html>no status line</html>'), ErrorFileError);
  assert.throws(() => parseErrorFile('HTTP/1.0 503 x\r\nbad header line\r\n\r\n'), /Name: value/);
});
