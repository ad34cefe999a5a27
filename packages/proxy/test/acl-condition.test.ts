/** Conditions: AND/OR precedence, negation, anonymous ACLs, parentheses, predefined ACLs, errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import { compileTriCondition, FAIL, MISS, PASS } from '../src/acl/condition.ts';
import { FINAL } from '../src/acl/payload-fetches.ts';
import { cond, txn } from './acl-helpers.ts';

const ACLS = ['a path_beg /a', 'b hdr(x-b) 1', 'c method POST'];
const req = (path: string, b: boolean, post: boolean) =>
  txn({ url: path, headers: b ? [['X-B', '1']] : [], method: post ? 'POST' : 'GET' });

/** Truth table over a, b, c for a condition, compared with a JS predicate. */
function truth(terms: string, expect: (a: boolean, b: boolean, c: boolean) => boolean, polarity?: 'if' | 'unless') {
  const { test: t, diags } = cond(ACLS, terms, polarity);
  assert.deepEqual(diags, [], terms);
  for (const a of [false, true])
    for (const b of [false, true])
      for (const c of [false, true]) {
        assert.equal(t(req(a ? '/a/x' : '/z', b, c)), expect(a, b, c), `${terms} with a=${a} b=${b} c=${c}`);
      }
}

test('implicit AND, or / ||, AND binds tighter than OR', () => {
  truth('a b', (a, b) => a && b);
  truth('a or b', (a, b) => a || b);
  truth('a || b', (a, b) => a || b);
  truth('a b or c', (a, b, c) => (a && b) || c);
  truth('a or b c', (a, b, c) => a || (b && c));
});

test('negation: !name, ! name, !!name, unless', () => {
  truth('!a', (a) => !a);
  truth('! a', (a) => !a);
  truth('!!a', (a) => a);
  truth('!a b', (a, b) => !a && b);
  truth('a b', (a, b) => !(a && b), 'unless');
  truth('a or !b', (a, b) => !(a || !b), 'unless');
});

test('parentheses (Switchyard extension)', () => {
  truth('( a || b ) !c', (a, b, c) => (a || b) && !c);
  truth('(a || b) c', (a, b, c) => (a || b) && c);
  truth('!( a b )', (a, b) => !(a && b));
  truth('!(a b) or c', (a, b, c) => !(a && b) || c);
  truth('((a))', (a) => a);
});

test('anonymous ACLs in braces, negated and glued', () => {
  truth('{ path_beg /a }', (a) => a);
  truth('!{ path_beg /a } b', (a, b) => !a && b);
  truth('! { path_beg /a }', (a) => !a);
  truth('{ hdr(x-b) -m found } or { method POST }', (_a, b, c) => b || c);
});

test('predefined ACLs', () => {
  const check = (name: string, t: Parameters<typeof txn>[0], expected: boolean) => {
    const { test: f, diags } = cond([], name);
    assert.deepEqual(diags, [], name);
    assert.equal(f(txn(t)), expected, `${name} on ${JSON.stringify(t)}`);
  };
  check('TRUE', {}, true);
  check('FALSE', {}, false);
  check('METH_GET', { method: 'GET' }, true);
  check('METH_GET', { method: 'HEAD' }, true);
  check('METH_GET', { method: 'POST' }, false);
  check('METH_POST', { method: 'POST' }, true);
  check('METH_PUT', { method: 'PUT' }, true);
  check('METH_DELETE', { method: 'DELETE' }, true);
  check('METH_OPTIONS', { method: 'OPTIONS' }, true);
  check('METH_CONNECT', { method: 'CONNECT' }, true);
  check('METH_TRACE', { method: 'TRACE' }, true);
  check('METH_HEAD', { method: 'GET' }, false);
  check('HTTP', {}, true);
  check('HTTP_1.0', { version: '1.0' }, true);
  check('HTTP_1.1', { version: '1.1' }, true);
  check('HTTP_1.1', { version: '1.0' }, false);
  check('HTTP_2.0', { version: '2.0' }, true);
  check('HTTP_CONTENT', { headers: [['Content-Length', '3']] }, true);
  check('HTTP_CONTENT', { headers: [['Content-Length', '0']] }, false);
  check('HTTP_URL_ABS', { url: 'http://x/y' }, true);
  check('HTTP_URL_ABS', { url: '/y' }, false);
  check('HTTP_URL_SLASH', { url: '/y' }, true);
  check('HTTP_URL_STAR', { url: '*' }, true);
  check('LOCALHOST', { src: '127.0.0.1' }, true);
  check('LOCALHOST', { src: '::ffff:127.0.0.1' }, true);
  check('LOCALHOST', { src: '10.0.0.1' }, false);
});

test('a proxy ACL overrides a predefined one of the same name', () => {
  const { test: f, diags } = cond(['TRUE path /never'], 'TRUE');
  assert.deepEqual(diags, []);
  assert.equal(f(txn()), false);
});

test('repeated acl lines are ORed', () => {
  const { test: f } = cond(['x path /a', 'x path /b', 'x hdr(x-c) 1'], 'x');
  assert.equal(f(txn({ url: '/a' })), true);
  assert.equal(f(txn({ url: '/b' })), true);
  assert.equal(f(txn({ url: '/c', headers: [['x-c', '1']] })), true);
  assert.equal(f(txn({ url: '/c' })), false);
});

/** Compiles and returns the error messages (with FILE:LINE) and codes. */
function errors(acls: string[], terms: string): string[] {
  const { test: f, diags } = cond(acls, terms);
  assert.equal(f(txn({ url: '/a' })), false, 'a broken condition never applies');
  return diags.filter((d) => d.severity === 'error').map((d) => `${d.loc.file}:${d.loc.line}: ${d.code}: ${d.message}`);
}

test('errors carry FILE:LINE, codes and suggestions', () => {
  assert.match(
    errors(['is_a path_beg /a'], 'is_b')[0],
    /^test\.cfg:50: ACL_UNKNOWN_ACL: no such ACL : 'is_b' \(did you mean 'is_a'\?\)/,
  );
  assert.match(errors([], 'METH_GTE')[0], /did you mean 'METH_GET'/);
  assert.match(
    errors(['x pathbeg /a'], 'x')[0],
    /^test\.cfg:1: ACL_UNKNOWN_FETCH: unknown fetch method 'pathbeg' \(did you mean 'path_beg'\?\)/,
  );
  assert.match(errors(['x path_beg -x /a'], 'x')[0], /test\.cfg:1: ACL_BAD_FLAG: .*'-x' is not a valid ACL option/);
  assert.match(errors(['x path_beg -m bogus /a'], 'x')[0], /unknown matching method 'bogus'/);
  assert.match(errors(['x path_reg ^(/a'], 'x')[0], /test\.cfg:1: ACL_BAD_PATTERN: .*invalid regex/);
  assert.match(errors(['x src 10.0.0.256'], 'x')[0], /'10\.0\.0\.256' is not a valid IPv4 or IPv6 address/);
  assert.match(errors(['x src 10.0.0.0/33'], 'x')[0], /prefix length 33/);
  assert.match(errors(['x src fe80::1%eth0'], 'x')[0], /not a valid IPv4 or IPv6 address/);
  assert.match(errors(['x dst_port gt abc'], 'x')[0], /'abc' is not an integer/);
  assert.match(errors(['x dst_port 20:10'], 'x')[0], /range start is greater/);
  assert.match(
    errors(['x path_beg -f /nonexistent/patterns.lst'], 'x')[0],
    /ACL_PATTERN_FILE: .*failed to open pattern file <\/nonexistent\/patterns\.lst>/,
  );
  assert.match(errors(['x hdr(a,b) 1'], 'x')[0], /occurrence 'b' is not an integer/);
  assert.match(errors(['x path,lowr /a'], 'x')[0], /unknown converter 'lowr' \(did you mean 'lower'\?\)/);
  assert.match(errors(['x path,field(0,/) a'], 'x')[0], /index '0' must be a non-zero integer/);
  assert.match(errors(['x src_port(1) 1'], 'x')[0], /expects 0 argument\(s\), got 1/);
  assert.match(errors(['x path_beg -m'], 'x')[0], /missing argument after '-m'/);
  assert.match(errors(['b%d path /a'], 'b%d')[0], /contains invalid characters/);
});

test('condition syntax errors', () => {
  assert.match(
    errors(['a path /a'], 'a or')[0],
    /ACL_COND_SYNTAX: 'if' condition: 'or' must have a condition on each side/,
  );
  assert.match(errors(['a path /a'], 'or a')[0], /'or' must have a condition on each side/);
  assert.match(errors(['a path /a'], '{ path /a')[0], /missing closing '}'/);
  assert.match(errors(['a path /a'], '{ }')[0], /empty anonymous ACL/);
  assert.match(errors(['a path /a'], 'a }')[0], /unexpected '}'/);
  assert.match(errors(['a path /a'], '( a')[0], /missing '\)'/);
  assert.match(errors(['a path /a'], 'a )')[0], /unexpected '\)'/);
  assert.match(errors(['a path /a'], 'a && a')[0], /'&&' is not an operator/);
  assert.match(errors(['a path /a'], '!')[0], /'!' must be followed by an ACL/);
  assert.match(errors(['a path /a'], '')[0], /missing condition/);
  assert.match(errors(['a path /a'], 'a ( )')[0], /empty parentheses/);
  assert.match(errors(['a path /a'], 'a or or a')[0], /'or' must have a condition on each side/);
  assert.match(errors([], '{ nosuch 1 }')[0], /test\.cfg:50: ACL_UNKNOWN_FETCH: unknown fetch method 'nosuch'/);
});

test('an ACL used before its declaration is an error, as in HAProxy', () => {
  const { diags } = cond(
    Array.from({ length: 60 }, (_, i) => `a${i} path /a`),
    'a55',
  );
  assert.equal(diags.length, 1);
  assert.match(diags[0].message, /no such ACL : 'a55' \(it is declared later, at test\.cfg:56/);
});

test('REQ_CONTENT, WAIT_END and RDP_COOKIE compile', () => {
  for (const n of ['REQ_CONTENT', 'WAIT_END', 'RDP_COOKIE']) assert.deepEqual(cond([], n).diags, [], n);
});

test("three-valued conditions as HAProxy's acl_exec_cond: MISS while data may change, negation keeps MISS", () => {
  const tri = (terms: string, payload: string, final = false, polarity: 'if' | 'unless' = 'if') => {
    const diags: Diagnostic[] = [];
    const f = compileTriCondition(
      { polarity, terms: terms.split(' ').filter((w) => w !== ''), loc: { file: 'test.cfg', line: 50 } },
      new Map(),
      diags,
    );
    assert.deepEqual(diags, [], terms);
    const t = txn();
    t.payload = Buffer.from(payload);
    t.cache[FINAL] = final;
    return f(t);
  };
  // req.len may change: a failed match waits, a match passes at once
  assert.equal(tri('{ req.len gt 3 }', 'ab'), MISS);
  assert.equal(tri('{ req.len gt 3 }', 'abcd'), PASS);
  assert.equal(tri('{ req.len gt 3 }', 'ab', true), FAIL);
  assert.equal(tri('!{ req.len gt 3 }', 'ab'), MISS);
  assert.equal(tri('!{ req.len gt 3 }', 'ab', true), PASS);
  assert.equal(tri('{ req.len gt 3 }', 'ab', false, 'unless'), MISS);
  // a payload long enough is a definite answer
  assert.equal(tri('{ req.payload(0,2) -m str xy }', 'ab'), FAIL);
  assert.equal(tri('{ req.payload(0,3) -m str abc }', 'ab'), MISS);
  // AND: a FAIL anywhere is FAIL only if met before a MISS; OR: a PASS wins over MISS
  assert.equal(tri('{ req.len gt 3 } { always_false }', 'ab'), MISS);
  assert.equal(tri('{ always_false } { req.len gt 3 }', 'ab'), FAIL);
  assert.equal(tri('{ req.len gt 3 } || { always_true }', 'ab'), PASS);
  assert.equal(tri('{ req.len gt 3 } || { always_false }', 'ab'), MISS);
  // WAIT_END: unknown until the evaluation is final
  assert.equal(tri('WAIT_END', ''), MISS);
  assert.equal(tri('WAIT_END', '', true), PASS);
});

test('warnings: no pattern, patterns with -m found', () => {
  const w = (acls: string[]) => cond(acls, 'x').diags.map((d) => `${d.severity} ${d.code} ${d.message}`);
  assert.match(w(['x hdr(host)'])[0], /^warning ACL_NO_PATTERN .*will never match/);
  assert.deepEqual(w(['x hdr(host) --']), []);
  assert.deepEqual(w(['x hdr(host) -m found']), []);
  assert.match(w(['x hdr(host) -m found a'])[0], /^warning ACL_NO_PATTERN .*takes no pattern/);
  assert.deepEqual(w(['x ssl_fc']), []);
});
