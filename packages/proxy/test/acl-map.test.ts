/** map converters: file format, lookup kinds, defaults, output types, errors, and vs HAProxy. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import { needs } from '../../../test/helpers/system.ts';
import { compileLogFormat } from '../src/acl/index.ts';
import { rawRequest, startHaproxy } from './acl-haproxy-peer.ts';
import { LOC, type TxnInit, txn } from './acl-helpers.ts';

function files() {
  const dir = mkdtempSync(join(tmpdir(), 'sy-map-'));
  const w = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return {
    dir,
    hosts: w(
      'hosts.map',
      '# host -> backend\nwww.example.com   bk_www\n  api.example.com\tbk_api  \n\nexample.org bk org\n#old.example.com bk_old\n',
    ),
    geo: w('geo.map', '10.0.0.0/8 internal\n10.1.0.0/16 lab\n2001:db8::/32 doc6\n0.0.0.0/0 world\n'),
    paths: w('paths.map', '/api/ api\n/static/ static\n/ root\n'),
    ints: w('ints.map', '0:99 small\n100:999 medium\n1000: large\n'),
    regs: w('regs.map', '^/v[0-9]+/ versioned\n\\.php$ php\n'),
    regm: w('regm.map', '^/v([0-9]+)/(.*)$ api-\\1:\\2\n^/bad$ trailing\\\n'),
    weights: w('weights.map', 'a 10\nb 20\n'),
    bad: w('bad.map', 'a x\n'),
  };
}

const CASES: Array<[string, TxnInit, string]> = [];

test('map converters', (t) => {
  const f = files();
  t.after(() => rmSync(f.dir, { recursive: true, force: true }));
  const lf = (fmt: string, init: TxnInit = {}) => {
    const diags: Diagnostic[] = [];
    const out = compileLogFormat(fmt, LOC, diags)(txn(init));
    assert.deepEqual(diags, [], fmt);
    return out;
  };
  const host = (h: string): TxnInit => ({ headers: [['Host', h]] });
  assert.equal(lf(`%[req.hdr(host),lower,map(${f.hosts})]`, host('WWW.example.com')), 'bk_www');
  assert.equal(lf(`%[req.hdr(host),map(${f.hosts})]`, host('api.example.com')), 'bk_api');
  assert.equal(lf(`%[req.hdr(host),map(${f.hosts})]`, host('example.org')), 'bk org');
  assert.equal(lf(`%[req.hdr(host),map(${f.hosts})]`, host('old.example.com')), '');
  assert.equal(lf(`%[req.hdr(host),map(${f.hosts},bk_default)]`, host('nope')), 'bk_default');
  assert.equal(lf(`%[req.hdr(host),map_str(${f.hosts},d)]`, host('example.org')), 'bk org');
  assert.equal(lf(`%[src,map_ip(${f.geo},none)]`, { src: '10.1.2.3' }), 'lab');
  assert.equal(lf(`%[src,map_ip(${f.geo},none)]`, { src: '10.2.2.3' }), 'internal');
  assert.equal(lf(`%[src,map_ip(${f.geo},none)]`, { src: '::ffff:10.1.0.1' }), 'lab');
  assert.equal(lf(`%[src,map_ip(${f.geo},none)]`, { src: '192.0.2.1' }), 'world');
  assert.equal(lf(`%[src,map_ip(${f.geo},none)]`, { src: '2001:db8::5' }), 'doc6');
  assert.equal(lf(`%[path,map_beg(${f.paths})]`, { url: '/api/v1' }), 'api');
  assert.equal(lf(`%[path,map_beg(${f.paths})]`, { url: '/other' }), 'root');
  assert.equal(lf(`%[path,map_reg(${f.regs},plain)]`, { url: '/v2/x' }), 'versioned');
  assert.equal(lf(`%[path,map_reg(${f.regs},plain)]`, { url: '/x/index.php' }), 'php');
  assert.equal(lf(`%[path,map_reg(${f.regs},plain)]`, { url: '/x' }), 'plain');
  assert.equal(lf(`%[req.hdr(x-n),map_int(${f.ints})]`, { headers: [['X-N', '150']] }), 'medium');
  assert.equal(lf(`%[req.hdr(x-n),map_int(${f.ints})]`, { headers: [['X-N', '5000']] }), 'large');
  assert.equal(lf(`%[req.hdr(x),map_str_int(${f.weights},0)]`, { headers: [['X', 'b']] }), '20');
  assert.equal(lf(`%[req.hdr(x),map_str_int(${f.weights},0)]`, { headers: [['X', 'c']] }), '0');
  assert.equal(lf(`%[req.hdr(host),map_end(${f.hosts})]`, host('www.example.org')), 'bk org');
  assert.equal(lf(`%[req.hdr(host),map_dom(${f.hosts})]`, host('shop.example.org')), 'bk org');
  assert.equal(lf(`%[req.hdr(host),map_sub(${f.hosts})]`, host('xapi.example.comx')), 'bk_api');

  const bad = (fmt: string) => {
    const diags: Diagnostic[] = [];
    compileLogFormat(fmt, LOC, diags);
    assert.equal(diags.length, 1, fmt);
    return diags[0].message;
  };
  assert.match(bad('%[path,map(/nonexistent.map)]'), /failed to open pattern file <\/nonexistent\.map>/);
  assert.match(
    bad(`%[path,map_str_int(${f.bad})]`),
    /unable to parse 'x' at line 1 of file '.*' \(the value of key 'a' is not an integer\)/,
  );
  assert.match(bad(`%[path,map_ip(${f.hosts})]`), /map key 'www\.example\.com' is not a valid IPv4 or IPv6 address/);
  assert.match(bad(`%[path,map_str_int(${f.weights},zz)]`), /default value 'zz' is not an integer/);
  // map_regm: the value is a replacement with the groups; a broken one fails the converter
  assert.equal(lf(`%[path,map_regm(${f.regm},none)]`, { url: '/v2/users' }), 'api-2:users');
  assert.equal(lf(`%[path,map_regm(${f.regm},none)]`, { url: '/x' }), 'none');
  assert.equal(lf(`%[path,map_regm(${f.regm},none)]`, { url: '/bad' }), '');
});

test('map converters agree with HAProxy', { skip: needs('haproxy') }, async (t) => {
  const f = files();
  t.after(() => rmSync(f.dir, { recursive: true, force: true }));
  CASES.push(
    [`%[req.hdr(host),lower,map(${f.hosts},dflt)]`, { headers: [['Host', 'WWW.example.com']] }, ''],
    [`%[req.hdr(host),map(${f.hosts},dflt)]`, { headers: [['Host', 'api.example.com']] }, ''],
    [`%[req.hdr(host),map(${f.hosts},dflt)]`, { headers: [['Host', 'example.org']] }, ''],
    [`%[req.hdr(host),map(${f.hosts},dflt)]`, { headers: [['Host', 'old.example.com']] }, ''],
    [`%[req.hdr(x),map_ip(${f.geo},none)]`, { headers: [['X', '10.1.2.3']] }, ''],
    [`%[req.hdr(x),map_ip(${f.geo},none)]`, { headers: [['X', '10.2.2.3']] }, ''],
    [`%[req.hdr(x),map_ip(${f.geo},none)]`, { headers: [['X', '2001:db8::5']] }, ''],
    [`%[path,map_beg(${f.paths})]`, { url: '/api/v1' }, ''],
    [`%[path,map_beg(${f.paths})]`, { url: '/other' }, ''],
    [`%[path,map_reg(${f.regs},plain)]`, { url: '/v2/x' }, ''],
    [`%[path,map_regm(${f.regm},none)]`, { url: '/v2/users' }, ''],
    [`%[path,map_regm(${f.regm},none)]`, { url: '/bad' }, ''],
    [`%[path,map_regm(${f.regm},none)]`, { url: '/nope' }, ''],
    [`%[path,map_reg(${f.regs},plain)]`, { url: '/x/index.php' }, ''],
    [`%[req.hdr(x),map_int(${f.ints})]`, { headers: [['X', '150']] }, ''],
    [`%[req.hdr(x),map_int(${f.ints})]`, { headers: [['X', '5000']] }, ''],
    [`%[req.hdr(x),map_str_int(${f.weights},0)]`, { headers: [['X', 'b']] }, ''],
    [`%[req.hdr(host),map_dom(${f.hosts},none)]`, { headers: [['Host', 'shop.example.org']] }, ''],
    [`%[req.hdr(host),map_sub(${f.hosts},none)]`, { headers: [['Host', 'xapi.example.comx']] }, ''],
  );
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      ...CASES.map(
        ([fmt], i) =>
          `  http-request return status 200 content-type text/plain lf-string "${fmt}" if { req.hdr(x-case) -m str ${i} }`,
      ),
    ].join('\n'),
  );
  t.after(() => hap.stop());
  for (let i = 0; i < CASES.length; i++) {
    const [fmt, init] = CASES[i];
    const lines = [`GET ${init.url ?? '/'} HTTP/1.1`];
    const headers = [...(init.headers ?? [])];
    if (!headers.some(([n]) => n.toLowerCase() === 'host')) headers.push(['Host', 'x']);
    for (const [n, v] of headers) lines.push(`${n}: ${v}`);
    lines.push(`X-Case: ${i}`, 'Connection: close', '', '');
    const res = await rawRequest(hap.port, lines.join('\r\n'));
    const ours = compileLogFormat(fmt, LOC, [])(txn({ ...init, headers }));
    assert.equal(ours, res.body, fmt);
  }
});
