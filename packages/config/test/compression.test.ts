/** `compression algo|type|offload`, as HAProxy 2.6's parse_compression_options reads them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('compression lists: later words first, own words before the defaults ones, offload not inherited', () => {
  const r = parse(`${DEFAULTS}  compression algo gzip
  compression type text/html
  compression offload
frontend f
  bind :80
  compression algo deflate br
  compression type application/json text/plain
  compression offload
  default_backend b
backend b
  server s 127.0.0.1:80
`);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc.line} ${d.code} ${d.message}`),
    ["8 CFG_NO_EFFECT 'compression' : 'offload' ignored in 'defaults' section."],
  );
  assert.deepEqual(proxy(r, 'f').compression, {
    algos: ['br', 'deflate', 'gzip'],
    types: ['text/plain', 'application/json', 'text/html'],
    offload: true,
  });
  assert.deepEqual(proxy(r, 'b').compression, { algos: ['gzip'], types: ['text/html'], offload: false });
});

test('compression errors name FILE:LINE with haproxy 2.6 messages', () => {
  const r = parse(`${DEFAULTS}backend b
  compression algo zstd
  compression type
  compression foo
  compression algo
  server s 127.0.0.1:80
`);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc.file}:${d.loc.line} ${d.severity} ${d.message}`),
    [
      "t.cfg:7 error 'compression' : 'zstd' is not a supported algorithm.",
      "t.cfg:8 error 'compression' expects <type>.",
      "t.cfg:9 error 'compression' expects 'algo', 'type' or 'offload'",
      "t.cfg:10 error 'compression' expects <algorithm>.",
    ],
  );
});

test('compression in a mode tcp proxy warns and is dropped (haproxy 2.6 ignores it there)', () => {
  const r = parse(`${DEFAULTS}frontend f
  mode tcp
  bind :80
  compression algo gzip
  default_backend b
backend b
  mode tcp
  server s 127.0.0.1:80
`);
  assert.deepEqual(codes(r), ['6 CFG_NO_EFFECT']);
  assert.equal(r.diagnostics[0].message, "'compression' settings ignored for frontend 'f' as they require HTTP mode");
  assert.equal(proxy(r, 'f').compression, undefined);
});

test('tune.comp.maxlevel takes 1 to 9 (haproxy 2.6 message), with no warning', () => {
  const ok = parse('global\n  tune.comp.maxlevel 6\n');
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.model.global.tune['tune.comp.maxlevel'], '6');
  const bad = parse('global\n  tune.comp.maxlevel 10\n');
  assert.deepEqual(
    bad.diagnostics.map((d) => `${d.loc.line} ${d.code} ${d.message}`),
    ["2 CFG_BAD_VALUE 'tune.comp.maxlevel' expects a numeric value between 1 and 9"],
  );
});
