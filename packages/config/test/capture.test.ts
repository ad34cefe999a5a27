/** `capture`, `declare capture`, the `capture` actions and `unique-id-*`, as HAProxy 2.6 parses them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('capture slots are numbered in declaration order, per direction, as haproxy does', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  capture request header Host len 15
  http-request capture req.hdr(x-a),lower len 4
  declare capture response len 6
  capture response header Content-Type len 20
  tcp-request content capture src len 15
  declare capture request len 8
  capture cookie SESS len 12
  http-request capture path id 3 if { path_beg /a }
  http-response capture res.hdr(x-b) id 0
  default_backend b
backend b
  http-request capture url id 7
  http-response capture status id 9
`);
  assert.deepEqual(r.diagnostics, []);
  const f = proxy(r, 'f');
  assert.deepEqual(f.captureCookie, { name: 'SESS', len: 12 });
  assert.deepEqual(
    f.captures.request.map((c) => [c.header, c.len]),
    [
      ['host', 15],
      [undefined, 4],
      [undefined, 15],
      [undefined, 8],
    ],
  );
  assert.deepEqual(
    f.captures.response.map((c) => [c.header, c.len]),
    [
      [undefined, 6],
      ['content-type', 20],
    ],
  );
  const ids = (rules: Array<{ action: string; id?: number }>) => rules.map((x) => x.id);
  assert.deepEqual(ids(f.httpRequest), [1, 3]);
  assert.deepEqual(ids(f.httpResponse), [0]);
  assert.deepEqual(ids(f.tcpRequestContent), [2]);
  // a backend's ids name its frontends' slots, resolved per request (no check at load)
  assert.deepEqual(ids(proxy(r, 'b').httpRequest), [7]);
});

test('capture errors name FILE:LINE as haproxy refuses them', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  capture request header Host
  capture request header Host len x
  capture request body len 3
  declare capture request
  declare capture sideways len 3
  http-request capture path id 4
  http-response capture status len 3
  http-request capture path
  tcp-request connection capture src len 3
  capture cookie SRV len
  default_backend b
backend b
  http-request capture path len 5
  declare capture request len 2
  capture request header Host len 5
defaults named
  capture request header Host len 5
`);
  assert.deepEqual(codes(r), [
    '8 CFG_MISSING_ARG',
    '9 CFG_BAD_VALUE',
    '10 CFG_BAD_VALUE',
    '11 CFG_MISSING_ARG',
    '12 CFG_BAD_VALUE',
    '14 CFG_BAD_VALUE',
    '15 CFG_MISSING_ARG',
    '16 CFG_NOT_ALLOWED_HERE',
    '17 CFG_MISSING_ARG',
    '20 CFG_NOT_ALLOWED_HERE',
    '21 CFG_NOT_ALLOWED_HERE',
    '22 CFG_NO_EFFECT',
    '24 CFG_NOT_ALLOWED_HERE',
    '13 CFG_BAD_VALUE',
  ]);
  const byLine = (n: number) => r.diagnostics.find((d) => d.loc.line === n)?.message;
  assert.equal(byLine(13), "unable to find capture id '4' referenced by http-request capture rule");
  assert.equal(byLine(8), "'capture request' expects 'header' <header_name> 'len' <len>.");
  assert.equal(byLine(20), "'http-request capture': proxy 'b' has no frontend capability");
});

test('unique-id-format takes one log-format word, unique-id-header a name; a header alone warns', () => {
  const r = parse(`${DEFAULTS}  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
  unique-id-header X-Unique-ID
frontend f
  bind :80
  unique-id-format %[req.hdr(x)] extra
  default_backend b
frontend g
  bind :81
  unique-id-format %b
  default_backend b
backend b
  unique-id-format %b
`);
  assert.equal(proxy(r, 'g').uniqueIdFormat?.format, '%b');
  assert.equal(proxy(r, 'g').uniqueIdHeader, 'X-Unique-ID');
  assert.equal(proxy(r, 'f').uniqueIdFormat?.format, '%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid');
  assert.deepEqual(codes(r), ['10 CFG_EXTRA_ARGS', '17 CFG_NO_EFFECT']);
  const alone = parse(`${DEFAULTS}frontend h\n  bind :82\n  unique-id-header X-Only\n  default_backend b\nbackend b\n`);
  assert.deepEqual(codes(alone), ['6 CFG_NO_EFFECT']);
});
