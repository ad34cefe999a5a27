/** Response fetches (status, res.hdr, res.cook...) and the request/response phase checks. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import { needs } from '../../../test/helpers/system.ts';
import { compileAcls, compileCondition, compileFetch, compileLogFormat } from '../src/acl/index.ts';
import type { HttpTxnResponse } from '../src/acl/types.ts';
import type { HttpTxn } from '../src/model/txn.ts';
import { rawRequest, startHaproxy } from './acl-haproxy-peer.ts';
import { cond, LOC, txn } from './acl-helpers.ts';

function withResponse(status: number, headers: Array<[string, string]>): HttpTxn & HttpTxnResponse {
  const t: HttpTxn & HttpTxnResponse = txn();
  t.status = status;
  t.resHeaders = headers.flat();
  return t;
}

test('response fetches in ACLs', () => {
  const r = withResponse(404, [
    ['Content-Type', 'application/json; charset=utf-8'],
    ['Cache-Control', 'no-cache, private'],
    ['Set-Cookie', 'sid=abc; Path=/; HttpOnly'],
    ['Set-Cookie', 'lang=en'],
    ['X-N', '12'],
  ]);
  const check = (line: string, expected: boolean) => {
    const { test: f, diags } = cond([`x ${line}`], 'x');
    assert.deepEqual(diags, [], line);
    assert.equal(f(r), expected, line);
  };
  check('status 404', true);
  check('status 200:299', false);
  check('status ge 400', true);
  check('res.hdr(content-type) -m sub json', true);
  check('shdr_sub(content-type) json', true);
  check('res.hdr(cache-control) private', true);
  check('res.fhdr(cache-control) private', false);
  check('res.hdr_cnt(cache-control) 2', true);
  check('res.fhdr_cnt(set-cookie) 2', true);
  check('res.hdr_val(x-n) gt 10', true);
  check('res.cook(sid) abc', true);
  check('scook(lang) en', true);
  check('res.cook_cnt(sid) 1', true);
  check('res.cook_cnt 3', true); // without a name every pair counts, Path=/ included (as HAProxy)
  check('res.cook(Path) -m found', false);
  check('res.hdr(x-none) -m found', false);
  // before the response exists, response fetches give no sample
  const { test: early } = cond(['x status 404'], 'x');
  assert.equal(early(txn()), false);
});

test('response fetches see header changes made by earlier rules', () => {
  const r = withResponse(200, [['X-A', '1']]);
  const f = compileFetch('res.hdr(x-a)', LOC, [])!;
  assert.equal(f(r), '1');
  r.resHeaders!.push('x-a', '2');
  assert.equal(f(r), '2');
  assert.equal(compileLogFormat('%[status] %[res.hdr(x-a,1)]', LOC, [])(r), '200 1');
});

test('response fetches are refused or warned about in request rules', () => {
  const diags: Diagnostic[] = [];
  const table = compileAcls([{ name: 'is404', criterion: 'status', args: ['404'], loc: LOC }], diags);
  assert.deepEqual(diags, []);
  assert.equal(table.get('is404')?.needsResponse, true);
  const d1: Diagnostic[] = [];
  const reqCond = compileCondition(
    { polarity: 'if', terms: ['is404'], loc: { file: 'test.cfg', line: 9 } },
    table,
    d1,
    'request',
  );
  assert.equal(d1.length, 1);
  assert.equal(d1[0].severity, 'warning');
  assert.equal(d1[0].code, 'ACL_WRONG_PHASE');
  assert.match(d1[0].message, /acl 'is404' will never match in http-request rules/);
  assert.equal(reqCond(withResponse(404, [])), false);
  // the same ACL works in a response rule
  const resCond = compileCondition({ polarity: 'if', terms: ['is404'], loc: LOC }, table, [], 'response');
  assert.equal(resCond(withResponse(404, [])), true);
  // anonymous: an error
  const d2: Diagnostic[] = [];
  compileCondition({ polarity: 'if', terms: ['{', 'status', '404', '}'], loc: LOC }, table, d2, 'request');
  assert.equal(d2[0].severity, 'error');
  assert.match(d2[0].message, /fetch 'status' reads the response: it can only be used in http-response rules/);
  const d3: Diagnostic[] = [];
  compileLogFormat('%[res.hdr(x)]', LOC, d3, { phase: 'request' });
  assert.equal(d3[0].code, 'ACL_WRONG_PHASE');
  const d4: Diagnostic[] = [];
  assert.equal(compileFetch('status', LOC, d4, 'request'), undefined);
  assert.equal(d4.length, 1);
  // unknown phase: accepted
  assert.ok(compileFetch('status', LOC, []));
});

test('response conditions agree with HAProxy', { skip: needs('haproxy') }, async (t) => {
  const respHeaders: Array<[string, string]> = [
    ['Content-Type', 'application/json; charset=utf-8'],
    ['Cache-Control', 'no-cache, private'],
    ['Set-Cookie', 'sid=abc; Path=/; HttpOnly'],
    ['Set-Cookie', 'lang=en'],
    ['X-N', '12'],
  ];
  const srv = createServer((_req, res) => {
    const flat: string[] = [];
    for (const [n, v] of respHeaders) flat.push(n, v);
    res.writeHead(404, [...flat, 'Content-Length', '0']);
    res.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => srv.close(r)));
  const port = (srv.address() as { port: number }).port;
  const conds = [
    'status 404',
    'status 200:299',
    'status ge 400',
    'res.hdr(content-type) -m sub json',
    'shdr_sub(content-type) json',
    'res.hdr(cache-control) private',
    'res.fhdr(cache-control) private',
    'res.hdr_cnt(cache-control) 2',
    'res.fhdr_cnt(set-cookie) 2',
    'res.hdr_val(x-n) gt 10',
    'res.cook(sid) abc',
    'scook(lang) en',
    'res.cook_cnt 2',
    'res.cook_cnt 0',
    'res.cook_cnt 1',
    'res.cook_cnt 3',
    'res.cook_cnt(sid) 1',
    'res.cook -m found',
    'res.cook abc',
    'res.cook en',
    'res.cook /',
    'res.hdr(x-none) -m found',
    'res.cook(Path) -m found',
  ];
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      '  default_backend bk',
      'backend bk',
      ...conds.map((c, i) => `  http-response add-header X-C${i} 1 if { ${c} }`),
      `  server s 127.0.0.1:${port}`,
    ].join('\n'),
  );
  t.after(() => hap.stop());
  const res = await rawRequest(hap.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(res.status, 404);
  const r = withResponse(404, respHeaders);
  for (let i = 0; i < conds.length; i++) {
    const theirs = new RegExp(`^x-c${i}: 1`, 'im').test(res.headers);
    const { test: f } = cond([`x ${conds[i]}`], 'x');
    assert.equal(f(r), theirs, `${conds[i]}\n${res.headers}`);
  }
});
