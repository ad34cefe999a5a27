import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, parse, proxy } from './helpers.ts';

test('set-var / set-var-fmt / unset-var parse in http-request, http-response and tcp-request rules', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  tcp-request connection set-var(sess.a) src
  tcp-request content set-var-fmt(txn.b) "%[src]:%[src_port]"
  tcp-request content unset-var(txn.b) if { src 10.0.0.1 }
  http-request set-var(txn.host,ifnotempty,ifnotexists) req.hdr(host),lower
  http-request unset-var(req.x)
  http-response set-var(res.st) status if { status 200 }
  default_backend b
backend b
`);
  assert.deepEqual(r.diagnostics, []);
  const p = proxy(r, 'f');
  assert.deepEqual(
    p.httpRequest.map((x) => ('conds' in x ? [x.action, x.name, x.conds, x.expr] : [])),
    [
      ['set-var', 'txn.host', ['ifnotempty', 'ifnotexists'], 'req.hdr(host),lower'],
      ['unset-var', 'req.x', [], undefined],
    ],
  );
  assert.equal(p.tcpRequestConnection[0].action, 'set-var');
  assert.equal(p.tcpRequestContent[0].action, 'set-var-fmt');
  assert.equal(p.httpResponse[0].action, 'set-var');
});

test('bad variable rules are FILE:LINE errors with HAProxy 2.6 messages', () => {
  const cases: Array<[string, RegExp]> = [
    ['http-request set-var(foo) str(a)', /invalid variable name 'foo'. A variable name must be start by its scope/],
    ['http-request set-var(txn.q)', /missing fetch method/],
    ['http-request set-var-fmt(txn.q)', /missing format string/],
    ['http-request unset-var(txn.q) foo', /expects either 'if' or 'unless' followed by a condition but found 'foo'/],
    ['http-request set-var(txn.q,bogus) str(a)', /unknown condition "bogus"/],
    ['http-request set-var(txn.q-x) str(a)', /invalid syntax at char '-x\)'|invalid syntax at char '-x'/],
    ['tcp-request content set-var(nope.x) src', /invalid variable name 'nope.x'/],
  ];
  for (const [line, re] of cases) {
    const r = parse(`${DEFAULTS}frontend f\n  bind :80\n  ${line}\n`);
    const e = r.diagnostics.find((d) => d.severity === 'error');
    assert.ok(e, line);
    assert.match(e.message, re, line);
    assert.equal(e.loc.line, (DEFAULTS.match(/\n/g)?.length ?? 0) + 3, line);
  }
});
