/** `cache` sections and the `cache-use` / `cache-store` rules, as HAProxy 2.6 parses them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, parse } from './helpers.ts';

const FE = `frontend f
  bind :80
  http-request cache-use c
  http-response cache-store c
  default_backend b
backend b
  server s 127.0.0.1:80
`;

test('a cache section: sizes in HAProxy units, defaults, rules naming it', () => {
  const r = parse(`${DEFAULTS}cache c
  total-max-size 4
  max-age 240
  max-secondary-entries 5
  process-vary off
${FE}`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.model.caches?.[0], {
    name: 'c',
    totalMaxSize: 4 << 20,
    maxObjectSize: (4 << 20) >> 8,
    maxAge: 240,
    maxSecondaryEntries: 5,
    loc: { file: 't.cfg', line: 6 },
  });
});

test('cache errors name FILE:LINE with haproxy 2.6 messages', () => {
  const r = parse(`${DEFAULTS}cache c
  total-max-size 1
  max-object-size 600000
cache d
  max-age 3
cache e
  total-max-size x
  process-vary on
  colour blue
cache c
frontend f
  bind :80
  http-request cache-use nope
  http-response cache-use c
  default_backend b
backend b
  server s 127.0.0.1:80
`);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc.line} ${d.severity} ${d.message}`),
    [
      `6 error "max-object-size" is limited to an half of "total-max-size" => 524288`,
      "9 error Size not specified for cache 'd'",
      "12 error total-max-size wrong value 'x'",
      "13 error 'process-vary on' is not supported yet: with 'off' (HAProxy's default) a response carrying a Vary header is not stored",
      "14 error unknown keyword 'colour' in 'cache' section",
      "11 error Size not specified for cache 'e'",
      "15 error Duplicate cache name 'c'.",
      expect19(),
      "18 error frontend 'f': unable to find the cache 'nope' referenced by the filter 'cache'.",
    ],
  );
});

function expect19(): string {
  return "19 error 'http-response cache-use': action 'cache-use' is not supported in http-response (supported: allow, deny, redirect, set-header, add-header, del-header, replace-header, replace-value, return, set-var, set-var-fmt, unset-var, set-map, del-map, add-acl, del-acl, capture, set-status, cache-store)";
}
