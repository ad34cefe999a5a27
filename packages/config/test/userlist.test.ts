import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('userlist: users, groups from both sides, http-request auth with and without a realm', () => {
  const r = parse(`${DEFAULTS}userlist L
  group admins users alice
  group ops
  user alice password $6$salt$abc groups ops
  user bob insecure-password pw
  user carol
frontend f
  bind :80
  http-request auth realm "My Realm" if !{ http_auth(L) }
  http-request auth
  default_backend b
backend b
`);
  assert.deepEqual(codes(r), ['11 CFG_NO_EFFECT']);
  assert.match(r.diagnostics[0].message, /user 'carol' has no password: it never authenticates/);
  const ul = r.model.userlists?.[0];
  assert.equal(ul?.name, 'L');
  assert.deepEqual(
    ul?.users.map((u) => [u.name, u.password, u.insecure, u.groups]),
    [
      ['alice', '$6$salt$abc', false, ['ops', 'admins']],
      ['bob', 'pw', true, []],
      ['carol', undefined, false, []],
    ],
  );
  const rules = proxy(r, 'f').httpRequest;
  assert.deepEqual(
    rules.map((x) => (x.action === 'auth' ? [x.action, x.realm] : [])),
    [
      ['auth', 'My Realm'],
      ['auth', undefined],
    ],
  );
});

test('userlist errors name FILE:LINE with HAProxy 2.6 messages', () => {
  const cases: Array<[string, RegExp]> = [
    ['userlist L\n  user a groups nope', /userlist 'L': no such group 'nope' specified in user 'a'/],
    ['userlist L\n  group g users zz', /userlist 'L': no such user 'zz' specified in group 'g'/],
    ['userlist L\n  user a pass x', /'user' only supports 'password', 'insecure-password' and 'groups' options/],
    ['userlist L\n  group g members a', /'group' only supports 'users' option/],
    ['userlist L\n  user', /'user' expects <name> as arguments/],
    ['userlist L\n  bogus', /unknown keyword 'bogus' in 'userlist' section/],
    ['userlist', /'userlist' expects one name/],
    [
      'userlist L\n  user a password $y$j9T$U1JqgEP6q4prisGUmPYWQ.$ZYyT9sx2NS7Wb/49CoVWp.B5sBVGPBc0VLtOf0EK9NB',
      /encrypted password used for user 'a' is not supported: .*mkpasswd -m sha512crypt/,
    ],
    ['userlist L\n  user a password abQ9KY.KfrYrc', /encrypted password used for user 'a' is not supported/],
    ['frontend f\n  bind :80\n  http-request auth realm', /missing realm value/],
    ['frontend f\n  bind :80\n  http-request auth foo', /expected 'realm NAME', got 'foo'/],
    ['frontend f\n  bind :80\n  http-response auth', /action 'auth' is not supported in http-response/],
  ];
  for (const [text, re] of cases) {
    const r = parse(DEFAULTS + text);
    const e = r.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(e.length, 1, `${text}: ${JSON.stringify(r.diagnostics)}`);
    assert.match(e[0].message, re, text);
    // DEFAULTS is 5 lines; the faulty line is the last one
    assert.equal(e[0].loc.line, text.split('\n').length + 5, text);
  }
});

test('duplicated userlist, user and group are ignored with a warning, as HAProxy does', () => {
  const r = parse(`${DEFAULTS}userlist L
  user a insecure-password x
  user a insecure-password y
  group g
  group g
userlist L
  user z insecure-password x
`);
  assert.deepEqual(codes(r), ['8 CFG_DUPLICATE_NAME', '10 CFG_DUPLICATE_NAME', '11 CFG_DUPLICATE_NAME']);
  assert.deepEqual(
    r.model.userlists?.map((u) => [u.name, u.users.map((x) => x.password)]),
    [['L', ['x']]],
  );
});
