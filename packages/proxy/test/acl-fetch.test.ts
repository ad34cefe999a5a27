/** ACL matching: a table of cases per fetch and per match method / flag. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acl, type TxnInit, txn } from './acl-helpers.ts';

type Case = [acl: string, req: TxnInit, expected: boolean];

const host = (h: string): TxnInit => ({ headers: [['Host', h]] });

const cases: Case[] = [
  // hdr(): every occurrence and every comma-separated value in ACL context, case-sensitive values
  ['hdr(host) example.com', host('example.com'), true],
  ['hdr(host) example.com', host('Example.com'), false],
  ['hdr(host) -i example.com', host('Example.COM'), true],
  ['hdr(HOST) example.com', host('example.com'), true],
  ['hdr(x-a) b', { headers: [['X-A', 'a, b , c']] }, true],
  ['req.fhdr(x-a) b', { headers: [['X-A', 'a, b , c']] }, false],
  ['req.fhdr(x-a) -m sub b', { headers: [['X-A', 'a, b , c']] }, true],
  [
    'hdr(x-a) b',
    {
      headers: [
        ['X-A', 'a'],
        ['x-a', 'b'],
      ],
    },
    true,
  ],
  [
    'hdr(x-a,1) b',
    {
      headers: [
        ['X-A', 'a'],
        ['x-a', 'b'],
      ],
    },
    false,
  ],
  [
    'hdr(x-a,-1) b',
    {
      headers: [
        ['X-A', 'a'],
        ['x-a', 'b'],
      ],
    },
    true,
  ],
  ['hdr(x-a) "q,1"', { headers: [['X-A', '"q,1", z']] }, true],
  ['hdr(x-a) 1"', { headers: [['X-A', '"q,1", z']] }, false],
  ['hdr(x-a) z', { headers: [['X-A', '"q,1", z']] }, true],
  ['hdr(x-a) -m found', { headers: [['X-A', '']] }, true],
  ['hdr(x-a) -m found', {}, false],
  ['hdr(x-a) -m len 0', { headers: [['X-A', '']] }, true],
  ['hdr_beg(host) -i www.', host('WWW.example.com'), true],
  ['hdr_beg(host) www.', host('api.example.com'), false],
  ['hdr_end(host) .com', host('api.example.com'), true],
  ['hdr_sub(user-agent) -i curl', { headers: [['User-Agent', 'MyCURL/8']] }, true],
  ['hdr_reg(host) ^api[0-9]+\\.', host('api12.example.com'), true],
  ['hdr_reg(host) ^api[0-9]+\\.', host('apiX.example.com'), false],
  ['hdr_len(host) 11', host('example.com'), true],
  ['hdr_len(host) gt 20', host('example.com'), false],
  [
    'hdr_cnt(x-a) 3',
    {
      headers: [
        ['X-A', 'a, b'],
        ['x-a', 'c'],
      ],
    },
    true,
  ],
  [
    'req.fhdr_cnt(x-a) 2',
    {
      headers: [
        ['X-A', 'a, b'],
        ['x-a', 'c'],
      ],
    },
    true,
  ],
  ['hdr_cnt(x-a) 0', {}, true],
  ['hdr_val(content-length) gt 10', { headers: [['Content-Length', '42']] }, true],
  ['hdr_val(content-length) gt 10', { headers: [['Content-Length', 'abc']] }, false],
  ['hdr_ip(x-forwarded-for) 10.0.0.0/8', { headers: [['X-Forwarded-For', '1.2.3.4, 10.1.2.3']] }, true],
  ['hdr_ip(x-forwarded-for) 10.0.0.0/8', { headers: [['X-Forwarded-For', 'nonsense']] }, false],
  // dom: dot/colon/slash/question-mark delimited word match (HAProxy pattern.c match_word)
  ['hdr_dom(host) -i example.com', host('www.example.com:8080'), true],
  ['hdr_dom(host) -i example.com', host('example.com.evil.net'), true],
  ['hdr_dom(host) -i example.com', host('myexample.com'), false],
  ['hdr_dom(host) -i example.com', host('example.community'), false],
  ['hdr_dom(host) .example.com.', host('a.example.com'), true],
  ['hdr_dom(host) test.domain.com', host('www.test.domain.com'), true],
  ['hdr_dom(host) com', host('example.com'), true],
  // path and friends
  ['path /a/b', { url: '/a/b?x=1' }, true],
  ['path /a/b', { url: '/a/b/' }, false],
  ['path_beg /static/ /img/', { url: '/img/x.png' }, true],
  ['path_beg -i /STATIC', { url: '/static/x' }, true],
  ['path_end .php .jsp', { url: '/x/index.jsp?a=1' }, true],
  ['path_sub admin', { url: '/x/administrator' }, true],
  ['path_reg ^/api/v[12]/', { url: '/api/v2/users' }, true],
  ['path_dir api', { url: '/v1/api/users' }, true],
  ['path_dir api', { url: '/v1/apis/users' }, false],
  ['path_dir /v1/api', { url: '/v1/api/users' }, true],
  ['path_len 1:5', { url: '/abcd' }, true],
  ['path_len 1:4', { url: '/abcd' }, false],
  ['path_dom example', { url: '/www.example.com/x' }, true],
  ['path /a', { url: 'http://h.example/a?q' }, true],
  // url
  ['url /a?b=1', { url: '/a?b=1' }, true],
  ['url_beg /a?', { url: '/a?b=1' }, true],
  ['url_end =1', { url: '/a?b=1' }, true],
  ['url_sub b=', { url: '/a?b=1' }, true],
  ['url_reg ^/a\\?', { url: '/a?b=1' }, true],
  ['url_len 6', { url: '/a?b=1' }, true],
  ['url_dir a', { url: '/a?b=1' }, true],
  ['url_ip 10.0.0.1', { url: 'http://10.0.0.1:81/x' }, true],
  ['url_port 81', { url: 'http://10.0.0.1:81/x' }, true],
  ['url_port 80', { url: 'http://10.0.0.1/x' }, true],
  ['url_port 80', { url: '/x' }, false],
  // url_param / query / base
  ['url_param(id) 42', { url: '/x?a=1&id=42' }, true],
  ['urlp(id) 42', { url: '/x?id=7&id=42' }, true],
  ['urlp(id) 42', { url: '/x?ids=42' }, false],
  ['urlp(id) -m found', { url: '/x?id' }, true],
  ['urlp(id,;) 5', { url: '/x;id=5' }, true],
  ['urlp_val(n) ge 10', { url: '/x?n=12' }, true],
  ['urlp_beg(n) ab', { url: '/x?n=abc' }, true],
  ['query a=1&b=2', { url: '/x?a=1&b=2' }, true],
  ['query -m found', { url: '/x?' }, true],
  ['query -m found', { url: '/x' }, false],
  ['query -m len 0', { url: '/x?' }, true],
  ['base example.com/x', { url: '/x?y', headers: [['Host', 'example.com']] }, true],
  ['base_beg example.com/', { url: '/x', headers: [['Host', 'example.com']] }, true],
  ['base /x', { url: '/x' }, true],
  // method, version
  ['method GET', { method: 'GET' }, true],
  ['method GET', { method: 'get' }, false],
  ['method -i get', { method: 'GET' }, true],
  ['method PUT POST', { method: 'POST' }, true],
  ['req.ver 1.0', { version: '1.0' }, true],
  ['req.ver 1.0', { version: '1.1' }, false],
  // addresses
  ['src 192.0.2.10', { src: '192.0.2.10' }, true],
  ['src 192.0.2.0/24', { src: '192.0.2.200' }, true],
  ['src 192.0.2.0/24', { src: '192.0.3.1' }, false],
  ['src 10.0.0.0/255.0.0.0', { src: '10.9.9.9' }, true],
  ['src 127.0.0.1', { src: '::ffff:127.0.0.1' }, true],
  ['src 127.0.0.0/8', { src: '::ffff:127.3.0.1' }, true],
  ['src ::ffff:10.0.0.0/104', { src: '10.1.1.1' }, true],
  ['src 2001:db8::/32', { src: '2001:db8:1::5' }, true],
  ['src 2001:db8::/32', { src: '2001:db9::5' }, false],
  ['src ::1', { src: '::1' }, true],
  ['src ::1', { src: '127.0.0.1' }, false],
  ['src 10.0.0.0/8 2001:db8::/32', { src: '2001:db8::1' }, true],
  ['src -f /dev/null', { src: '10.0.0.1' }, false],
  ['src_port 1024:', { srcPort: 40000 }, true],
  ['src_port lt 1024', { srcPort: 40000 }, false],
  ['dst 127.0.0.1', { dst: '127.0.0.1' }, true],
  ['dst_port 8080', { dstPort: 8080 }, true],
  ['dst_port eq 80 8080', { dstPort: 8080 }, true],
  ['dst_port gt 8079 lt 100', { dstPort: 8080 }, true],
  ['dst_port gt 8080', { dstPort: 8080 }, false],
  ['dst_port ge 8080', { dstPort: 8080 }, true],
  ['dst_port le 8079', { dstPort: 8080 }, false],
  ['dst_port :8080', { dstPort: 8080 }, true],
  // cookies
  ['req.cook(sid) abc', { headers: [['Cookie', 'a=1; sid=abc']] }, true],
  [
    'cook(sid) abc',
    {
      headers: [
        ['Cookie', 'sid=zzz'],
        ['Cookie', 'sid=abc'],
      ],
    },
    true,
  ],
  ['cook(sid) -m found', { headers: [['Cookie', 'a=1']] }, false],
  ['cook_beg(sid) ab', { headers: [['Cookie', 'sid=abc']] }, true],
  ['cook_cnt(sid) 2', { headers: [['Cookie', 'sid=1; sid=2']] }, true],
  ['cook_val(n) gt 5', { headers: [['Cookie', 'n=9']] }, true],
  // TLS
  ['ssl_fc', { ssl: true }, true],
  ['ssl_fc', { ssl: false }, false],
  ['ssl_fc_sni api.example.com', { ssl: true, sni: 'api.example.com' }, true],
  ['ssl_fc_sni_end .example.com', { ssl: true, sni: 'api.example.com' }, true],
  // converters in criteria
  ['req.hdr(host),lower example.com', host('EXAMPLE.com'), true],
  ['req.hdr(host),field(1,:) example.com', host('example.com:8080'), true],
  ['req.hdr(host),word(2,.) example', host('www.example.com'), true],
  ['path,lower -m beg /abc', { url: '/ABC/x' }, true],
  ['req.hdr(host),regsub(^www\\.,) example.com', host('www.example.com'), true],
  ['path,length gt 3', { url: '/abcd' }, true],
  ['src,ipmask(24) 10.1.2.0', { src: '10.1.2.77' }, true],
  ['req.hdr(x),url_dec a/b', { headers: [['X', 'a%2Fb']] }, true],
  // -m overrides and bool/int casts
  ['hdr(x-n) -m int gt 3', { headers: [['X-N', '7']] }, true],
  ['hdr(x-n) -m bool', { headers: [['X-N', '0']] }, false],
  ['hdr(x-n) -m bool', { headers: [['X-N', '2']] }, true],
  ['path -m beg -i /A', { url: '/abc' }, true],
  ['path -m reg -i ^/ABC$', { url: '/abc' }, true],
  ['path -m dom b', { url: '/a.b.c' }, true],
  ['hdr(x) -- -dash', { headers: [['X', '-dash']] }, true],
  ['always_true', {}, true],
  ['always_false', {}, false],
  ['str(abc) abc', {}, true],
  ['int(5) 5', {}, true],
];

for (const [line, req, expected] of cases) {
  test(`acl ${line} on ${JSON.stringify(req)} -> ${expected}`, () => {
    const { test: t, diags } = acl(line);
    assert.deepEqual(
      diags.filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(t(txn(req)), expected);
  });
}
