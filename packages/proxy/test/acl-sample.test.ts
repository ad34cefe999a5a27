/** compileFetch (sample context), compileLogFormat, registerFetch, pattern files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import { compileFetch, compileLogFormat, registerFetch } from '../src/acl/index.ts';
import { acl, LOC, txn } from './acl-helpers.ts';

function fetch(expr: string) {
  const diags: Diagnostic[] = [];
  const f = compileFetch(expr, LOC, diags);
  assert.deepEqual(diags, [], expr);
  assert.ok(f);
  return f;
}

test('sample context: single values, last occurrence by default', () => {
  const t = txn({
    url: '/P/a?id=1&id=2',
    headers: [
      ['X-A', 'a1, a2'],
      ['x-a', 'a3'],
      ['Host', 'WWW.Example.com:8080'],
      ['Cookie', 'sid=1; sid=2'],
      ['Content-Length', '12'],
    ],
    src: '::ffff:10.1.2.3',
  });
  assert.equal(fetch('req.hdr(x-a)')(t), 'a3');
  assert.equal(fetch('hdr(x-a,1)')(t), 'a1');
  assert.equal(fetch('hdr(x-a,2)')(t), 'a2');
  assert.equal(fetch('hdr(x-a,-2)')(t), 'a2');
  assert.equal(fetch('req.fhdr(x-a,1)')(t), 'a1, a2');
  assert.equal(fetch('req.hdr(x-none)')(t), undefined);
  assert.equal(fetch('req.hdr(host),lower')(t), 'www.example.com:8080');
  assert.equal(fetch('req.hdr(host),lower,field(1,:)')(t), 'www.example.com');
  assert.equal(fetch('req.hdr(host),field(-1,.)')(t), 'com:8080');
  assert.equal(fetch('req.hdr(host),field(2,.,0)')(t), 'Example.com:8080');
  assert.equal(fetch('req.hdr(host),field(-2,.,2)')(t), 'WWW.Example');
  // the examples of HAProxy's configuration.txt for field()
  assert.equal(fetch('str(f1_f2_f3__f5),field(4,_)')(t), '');
  assert.equal(fetch('str(f1_f2_f3__f5),field(5,_)')(t), 'f5');
  assert.equal(fetch('str(f1_f2_f3__f5),field(2,_,0)')(t), 'f2_f3__f5');
  assert.equal(fetch('str(f1_f2_f3__f5),field(2,_,2)')(t), 'f2_f3');
  assert.equal(fetch('str(f1_f2_f3__f5),field(-2,_,3)')(t), 'f2_f3_');
  assert.equal(fetch('str(f1_f2_f3__f5),field(-3,_,0)')(t), 'f1_f2_f3');
  // and for word()
  assert.equal(fetch('str(f1_f2_f3__f5),word(4,_)')(t), 'f5');
  assert.equal(fetch('str(f1_f2_f3__f5),word(2,_,0)')(t), 'f2_f3__f5');
  assert.equal(fetch('str(f1_f2_f3__f5),word(3,_,2)')(t), 'f3__f5');
  assert.equal(fetch('str(f1_f2_f3__f5),word(-2,_,3)')(t), 'f1_f2_f3');
  assert.equal(fetch('str(f1_f2_f3__f5),word(-3,_,0)')(t), 'f1_f2');
  assert.equal(fetch('str(/f1/f2/f3/f4),word(1,/)')(t), 'f1');
  assert.equal(fetch('str(/f1////f2/f3/f4),word(1,/)')(t), 'f1');
  assert.equal(fetch('req.hdr(host),field(9,.)')(t), '');
  assert.equal(fetch('str(a..b),field(2,.)')(t), '');
  assert.equal(fetch('str(a..b),word(2,.)')(t), 'b');
  assert.equal(fetch('req.hdr(host),upper')(t), 'WWW.EXAMPLE.COM:8080');
  assert.equal(fetch('req.hdr(host),regsub(^www\\.,,i)')(t), 'Example.com:8080');
  assert.equal(fetch('req.hdr(host),regsub(\\.,_,g)')(t), 'WWW_Example_com:8080');
  assert.equal(fetch('req.hdr(host),regsub((a)m,\\1M)')(t), 'WWW.ExaMple.com:8080');
  assert.equal(fetch('req.hdr(host),regsub(E,$1)')(t), 'WWW.$1xample.com:8080');
  assert.equal(fetch('req.hdr(host),length')(t), 20);
  assert.equal(fetch('path')(t), '/P/a');
  assert.equal(fetch('path,lower')(t), '/p/a');
  assert.equal(fetch('url_param(id)')(t), '1');
  assert.equal(fetch('urlp_val(id)')(t), 1);
  assert.equal(fetch('req.cook(sid)')(t), '2');
  assert.equal(fetch('req.cook')(t), '1');
  assert.equal(fetch('req.hdr_val(content-length)')(t), 12);
  assert.equal(fetch('src')(t), '::ffff:10.1.2.3');
  assert.equal(fetch('src,ipmask(16)')(t), '10.1.0.0');
  assert.equal(fetch('str(2001:db8::1),ipmask(8,32)')(t), '2001:db8:0:0:0:0:0:0');
  assert.equal(fetch('str(a%2Fb%zz),url_dec')(t), undefined);
  assert.equal(fetch('str(a%2Fb+c),url_dec')(t), 'a/b+c');
  assert.equal(fetch('str(a%2Fb+c),url_dec(1)')(t), 'a/b c');
  assert.equal(fetch('str(ab),hex')(t), '6162');
  assert.equal(fetch('str(ab),base64')(t), 'YWI=');
  assert.equal(fetch('method')(t), 'GET');
  assert.equal(fetch('base')(t), 'WWW.Example.com:8080/P/a');
  assert.equal(fetch('query')(t), 'id=1&id=2');
  assert.equal(fetch('pathq')(t), '/P/a?id=1&id=2');
  assert.equal(fetch('fe_name')(t), 'fe');
});

test('time, random, environment fetches and arithmetic converters', () => {
  const t = txn();
  const now = Math.floor(Date.now() / 1000);
  const d = fetch('date')(t) as number;
  assert.ok(d >= now && d <= now + 5);
  const d2 = fetch('date(3600)')(t) as number;
  assert.ok(d2 >= now + 3600 && d2 <= now + 3605);
  assert.equal(fetch('date,sub(10),add(10)')(t), fetch('date')(t));
  assert.match(
    fetch('date,http_date')(t) as string,
    /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  );
  assert.equal(fetch('int(0),http_date')(t), 'Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(fetch('int(7),div(0)')(t), '9223372036854775807');
  for (let i = 0; i < 50; i++) {
    const r = fetch('rand(6)')(t) as number;
    assert.ok(Number.isInteger(r) && r >= 0 && r < 6);
  }
  assert.match(fetch('uuid')(t) as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(fetch('uuid')(t), fetch('uuid')(t));
  process.env.SY_TEST_ENV = 'from-env';
  assert.equal(fetch('env(SY_TEST_ENV)')(t), 'from-env');
  delete process.env.SY_TEST_ENV;
  assert.equal(fetch('env(SY_TEST_ENV)')(t), undefined);
  assert.equal(typeof fetch('hostname')(t), 'string');
  assert.equal(fetch('int(1700000000),utime(%Y-%m-%dT%H:%M:%S%z)')(t), '2023-11-14T22:13:20+0000');
  const local = new Date(1700000000 * 1000);
  assert.equal(
    fetch('int(1700000000),ltime(%H:%M)')(t),
    `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}`,
  );
  assert.equal(fetch('int(0),utime(%s|%j|%u,86400)')(t), '86400|002|5');
});

test('compileFetch errors', () => {
  const bad = (expr: string) => {
    const diags: Diagnostic[] = [];
    assert.equal(compileFetch(expr, LOC, diags), undefined, expr);
    assert.equal(diags.length, 1, expr);
    assert.equal(diags[0].loc, LOC);
    return diags[0].message;
  };
  assert.match(bad('req.hdrr(host)'), /unknown fetch method 'req.hdrr' \(did you mean 'req.hdr'\?\)/);
  assert.match(bad('req.hdr(host'), /missing '\)'/);
  assert.match(bad('req.hdr(host),'), /empty converter/);
  assert.match(bad(''), /empty sample expression/);
  assert.match(bad('req.hdr(host),regsub([,x)'), /invalid regex/);
  assert.match(bad('req.hdr(host),regsub(a,b,x)'), /flags 'x'/);
  assert.match(bad('str(x),ipmask(40)'), /invalid IPv4 mask/);
  assert.match(bad('url_param(a,bc)'), /single character/);
  assert.match(bad('int(x)'), /not an integer/);
  assert.match(bad('uuid(7)'), /only UUID version 4/);
  assert.match(bad('rand(0)'), /must be a positive integer/);
  assert.match(bad('date,add(x)'), /'x' is not an integer \(variables are not supported\)/);
  assert.match(bad('date(x)'), /offset 'x' is not an integer/);
  assert.match(bad('date,utime(%Q)'), /unsupported time format directive '%Q'/);
});

test('log-format: literals, %[expr], variables, %%, +Q, absent samples', () => {
  const t = txn({ url: '/a?b=1', headers: [['Host', 'h.example']], src: '10.0.0.9', srcPort: 5555, ssl: true });
  const lf = (fmt: string) => {
    const diags: Diagnostic[] = [];
    const f = compileLogFormat(fmt, LOC, diags);
    assert.deepEqual(diags, [], fmt);
    return f(t);
  };
  assert.equal(lf('plain'), 'plain');
  assert.equal(lf(''), '');
  assert.equal(lf('%[src]'), '10.0.0.9');
  assert.equal(lf('%ci:%cp'), '10.0.0.9:5555');
  assert.equal(lf('for=%[src];host=%[req.hdr(host),lower]'), 'for=10.0.0.9;host=h.example');
  assert.equal(lf('100%%'), '100%');
  assert.equal(lf('x=%[req.hdr(none)]'), 'x=');
  assert.equal(lf('%{+Q}[req.hdr(host)]'), 'h.example');
  assert.equal(lf('%{+Q}ci'), '"10.0.0.9"');
  const log = (fmt: string) => compileLogFormat(fmt, LOC, [], { context: 'log' })(t);
  assert.equal(log('x=%[req.hdr(none)]'), 'x=-');
  assert.equal(log('x=%[str()]'), 'x=-');
  assert.equal(log('%{+Q}[req.hdr(host)]'), '"h.example"');
  assert.equal(log('%{+Q}[req.hdr(none)]'), '""');
  assert.equal(lf('%HM %HU %HP %HQ %HV'), 'GET /a?b=1 /a ?b=1 HTTP/1.1');
  assert.equal(lf('%f %ft %b'), 'fe fe~ fe');
  assert.equal(lf('%fi:%fp'), '127.0.0.1:8080');
  assert.equal(lf('%[ssl_fc]'), '1');
  assert.match(lf('%pid'), /^[0-9]+$/);
  // +X (unique-id-format's usual option): addresses and ports in hex, for one variable or all after %{+X}o
  assert.equal(lf('%{+X}fi:%fp'), '7F000001:8080');
  assert.equal(lf('%{+X}o %fi:%fp'), ' 7F000001:1F90');
});

test('log-format errors', () => {
  const bad = (fmt: string) => {
    const diags: Diagnostic[] = [];
    compileLogFormat(fmt, LOC, diags);
    assert.ok(diags.length >= 1, fmt);
    assert.equal(diags[0].code.startsWith('ACL_'), true);
    return diags[0].message;
  };
  assert.match(bad('%[src'), /missing '\]'/);
  assert.match(bad('%cj'), /unknown variable '%cj' \(did you mean '%ci'\?\)|unknown variable '%cj'/);
  assert.match(bad('%Tq'), /only known when logging/);
  assert.match(bad('%[nosuch]'), /unknown fetch method 'nosuch'/);
  assert.match(bad('%{+E}[src]'), /unsupported option '\+E'/);
  assert.match(bad('50% off'), /must be followed by a variable/);
});

test('registerFetch: extension fetches compile once and read the transaction', () => {
  let created = 0;
  registerFetch('test_sc_rate', {
    type: 'int',
    minArgs: 1,
    maxArgs: 1,
    create(args) {
      created++;
      const slot = Number(args[0]);
      if (!(slot >= 0 && slot <= 2)) return `stick counter '${args[0]}' must be 0, 1 or 2`;
      return (t) => (t.tracked?.[slot] as { rate: number } | undefined)?.rate;
    },
  });
  assert.throws(() => registerFetch('test_sc_rate', { type: 'int', minArgs: 0, maxArgs: 0, create: () => () => 1 }));
  const { test: f, diags } = acl('test_sc_rate(0) gt 10');
  assert.deepEqual(diags, []);
  assert.equal(created, 1);
  const t = txn();
  assert.equal(f(t), false);
  t.tracked = [{ rate: 11 }];
  assert.equal(f(t), true);
  t.tracked = [{ rate: 10 }];
  assert.equal(f(t), false);
  assert.equal(created, 1, 'nothing compiled per request');
  assert.match(acl('test_sc_rate(5) gt 1').diags[0].message, /stick counter '5' must be 0, 1 or 2/);
});

test('-f pattern files: comments in column 1, leading blanks stripped, blank lines skipped; -M maps', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-acl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'paths.lst');
  writeFileSync(f, '# static content\n/static/\n\n   /img/\r\n#/admin/\n  # not a comment\n');
  const { test: m, diags } = acl(`path_beg -f ${f}`);
  assert.deepEqual(diags, []);
  assert.equal(m(txn({ url: '/static/a.css' })), true);
  assert.equal(m(txn({ url: '/img/a.png' })), true);
  assert.equal(m(txn({ url: '/admin/' })), false);
  assert.equal(m(txn({ url: '/other' })), false);
  const { test: h1 } = acl(`hdr(x) -f ${f}`);
  assert.equal(h1(txn({ headers: [['X', '# not a comment']] })), true, 'indented # is a pattern');
  assert.equal(h1(txn({ headers: [['X', '#/admin/']] })), false, '# in column 1 is a comment');
  const nets = join(dir, 'nets.lst');
  writeFileSync(nets, '10.0.0.0/8\n192.168.0.0/16\n');
  const { test: n } = acl(`src -f ${nets} 172.16.0.1`);
  assert.equal(n(txn({ src: '10.2.3.4' })), true);
  assert.equal(n(txn({ src: '172.16.0.1' })), true);
  assert.equal(n(txn({ src: '172.16.0.2' })), false);
  const many = join(dir, 'many.lst');
  writeFileSync(
    many,
    Array.from({ length: 250 }, (_, i) => `10.${i}.0.0/16\n2001:db8:${i.toString(16)}::/48`).join('\n'),
  );
  const { test: big } = acl(`src -f ${many}`);
  assert.equal(big(txn({ src: '10.250.0.1' })), false);
  assert.equal(big(txn({ src: '10.249.7.1' })), true);
  assert.equal(big(txn({ src: '::ffff:10.17.1.1' })), true);
  assert.equal(big(txn({ src: '10.17.1.1' })), true);
  assert.equal(big(txn({ src: '2001:db8:f0:1::1' })), true);
  assert.equal(big(txn({ src: '2001:db8:fb:1::1' })), false);
  const map = join(dir, 'hosts.map');
  writeFileSync(map, 'a.example backend_a\nb.example backend_b\n');
  const { test: h } = acl(`hdr(host) -i -M -f ${map}`);
  assert.equal(h(txn({ headers: [['Host', 'B.example']] })), true);
  assert.equal(h(txn({ headers: [['Host', 'backend_a']] })), false);
  const bad = join(dir, 'bad.lst');
  writeFileSync(bad, '10.0.0.1\nnot-an-ip\n');
  assert.match(
    acl(`src -f ${bad}`).diags[0].message,
    new RegExp(
      `'not-an-ip' is not a valid IPv4 or IPv6 address \\(at ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2\\)`,
    ),
  );
});
