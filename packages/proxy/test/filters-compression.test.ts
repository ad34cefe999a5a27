/** The compression filter's decisions (src/filters/compression.ts) on HAProxy 2.6's edge cases. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompressionModel } from '@switchyard/config';
import { compressible, rewriteHead, selectEncoding } from '../src/filters/compression.ts';

const fe: CompressionModel = { algos: ['deflate', 'gzip'], types: [], offload: false };

test('Accept-Encoding: highest q wins, first of equals, junk q-values read as HAProxy reads them', () => {
  const pick = (ae: string, c = fe) => selectEncoding(c, undefined, ['Accept-Encoding', ae]);
  assert.equal(pick('gzip'), 'gzip');
  assert.equal(pick('gzip;q=0.4, deflate;q=0.41'), 'deflate');
  assert.equal(pick('gzip;q=0.5, deflate;q=0.5'), 'gzip');
  // http_parse_qvalue: no digit means 1 (1000), more than 1 is capped
  assert.equal(pick('deflate;q=0.9, gzip;q=abc'), 'gzip');
  assert.equal(pick('deflate;q=0.999, gzip;q=7'), 'gzip');
  assert.equal(pick('gzip;q=0'), undefined);
  assert.equal(pick('gzip;q=0.000'), undefined);
  // `*` takes the list's first (the last word written)
  assert.equal(pick('*'), 'deflate');
  // a q= that does not follow a `;` right after the token is not seen: q is 1
  assert.equal(pick('gzip/x;q=0'), 'gzip');
  assert.equal(pick('br', { algos: ['br', 'gzip'], types: [], offload: false }), 'br');
  assert.equal(pick('br', { algos: ['identity', 'gzip'], types: [], offload: false }), 'identity');
});

test('offload removes every Accept-Encoding once an algorithm was found, only then', () => {
  const off: CompressionModel = { ...fe, offload: true };
  const h = ['Accept-Encoding', 'gzip', 'Host', 'x', 'accept-encoding', 'br'];
  assert.equal(selectEncoding(undefined, off, h), 'gzip');
  assert.deepEqual(h, ['Host', 'x']);
  const none = ['Accept-Encoding', 'compress'];
  assert.equal(selectEncoding(off, undefined, none), undefined);
  assert.deepEqual(none, ['Accept-Encoding', 'compress']);
});

test('response rules and the rewritten head', () => {
  const r = (headers: string[], more: Partial<Parameters<typeof compressible>[2]> = {}) =>
    compressible(fe, undefined, { status: 200, method: 'GET', httpVersion: '1.1', headers, framed: true, ...more });
  assert.equal(r(['Content-Type', 'text/html']), true);
  assert.equal(r(['Content-Type', 'text/html'], { framed: false }), false);
  assert.equal(r(['Content-Type', 'text/html'], { status: 203 }), true);
  assert.equal(r(['Content-Type', 'text/html'], { status: 206 }), false);
  assert.equal(r(['Cache-Control', 'no-transform=1']), true);
  assert.equal(r(['Cache-Control', 'max-age=1, No-Transform']), false);
  assert.equal(r(['ETag', 'W/"x"']), true);
  assert.equal(r(['ETag', 'W/x']), false);
  const head = ['Content-Length', '10', 'ETag', '"x"', 'Vary', 'Cookie'];
  rewriteHead('gzip', head);
  assert.deepEqual(head, ['ETag', 'W/"x"', 'Vary', 'Cookie', 'Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding']);
  const id = ['ETag', 'W/"y"'];
  rewriteHead('identity', id);
  assert.deepEqual(id, ['ETag', 'W/"y"', 'Vary', 'Accept-Encoding']);
});
