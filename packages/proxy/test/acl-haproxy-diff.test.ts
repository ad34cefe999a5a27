/**
 * Differential tests against the real HAProxy 2.6: the same ACL lines and sample expressions
 * evaluated by HAProxy (over loopback) and by Switchyard's compiled ACLs on the same request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import { needs } from '../../../test/helpers/system.ts';
import { compileLogFormat } from '../src/acl/index.ts';
import { cases } from './acl-cases.ts';
import { rawRequest, startHaproxy } from './acl-haproxy-peer.ts';
import { acl, cond, LOC, type TxnInit, txn } from './acl-helpers.ts';

/** Cases HAProxy can see over a plain loopback connection. */
const comparable = cases.filter(([line, req]) => {
  if (req.ssl || line.startsWith('ssl_fc') || line.startsWith('dst') || line.includes('src_port')) return false;
  if (line.includes(' -f ') || line.startsWith('src ')) return false; // src: see the loopback test below
  return true;
});

const q = (w: string) => `'${w}'`;

function requestText(init: TxnInit, caseId: number): string {
  const lines = [`${init.method ?? 'GET'} ${init.url ?? '/'} HTTP/${init.version ?? '1.1'}`];
  for (const [n, v] of init.headers ?? []) lines.push(`${n}: ${v}`);
  lines.push(`X-Case: ${caseId}`, 'Connection: close', '', '');
  return lines.join('\r\n');
}

/** Our view of the same request (HAProxy sees X-Case and Connection too). */
function ourTxn(init: TxnInit, caseId: number, src = '127.0.0.1') {
  return txn({
    ...init,
    src,
    headers: [...(init.headers ?? []), ['X-Case', String(caseId)], ['Connection', 'close']],
  });
}

test('ACL cases agree with HAProxy 2.6', { skip: needs('haproxy'), timeout: 180000 }, async (t) => {
  const rules: string[] = [];
  comparable.forEach(([line], i) => {
    const [criterion, ...args] = line.split(' ');
    rules.push(`  acl c${i} ${[criterion, ...args].map(q).join(' ')}`);
    rules.push(
      `  http-request return status 200 content-type text/plain string match if { req.hdr(x-case) -m str ${i} } c${i}`,
    );
  });
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      ...rules,
      '  http-request return status 404 content-type text/plain string nomatch',
    ].join('\n'),
  );
  t.after(() => hap.stop());
  const mismatches: string[] = [];
  for (let i = 0; i < comparable.length; i++) {
    const [line, req] = comparable[i];
    const res = await rawRequest(hap.port, requestText(req, i));
    const theirs = res.status === 200 ? true : res.status === 404 ? false : `status ${res.status}`;
    const ours = acl(line).test(ourTxn(req, i));
    if (theirs !== ours) mismatches.push(`${line} on ${JSON.stringify(req)}: haproxy ${theirs}, switchyard ${ours}`);
  }
  assert.deepEqual(mismatches, []);
});

test('src / LOCALHOST agree with HAProxy for several loopback client addresses', {
  skip: needs('haproxy'),
}, async (t) => {
  const pats = [
    '127.0.0.1',
    '127.0.0.0/24',
    '127.0.0.5/32',
    '127.0.0.0/255.255.255.0',
    '::ffff:127.0.0.0/120',
    '10.0.0.0/8',
  ];
  const rules = pats.flatMap((p, i) => [
    `  acl s${i} src ${p}`,
    `  http-request return status 200 content-type text/plain string match if { req.hdr(x-case) -m str ${i} } s${i}`,
  ]);
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      `  http-request return status 200 content-type text/plain string match if { req.hdr(x-case) -m str local } LOCALHOST`,
      ...rules,
      '  http-request return status 404 content-type text/plain string nomatch',
    ].join('\n'),
  );
  t.after(() => hap.stop());
  for (const from of ['127.0.0.1', '127.0.0.5', '127.0.1.9']) {
    for (let i = 0; i < pats.length; i++) {
      const res = await rawRequest(hap.port, requestText({}, i), from);
      assert.equal(acl(`src ${pats[i]}`).test(ourTxn({}, i, from)), res.status === 200, `src ${pats[i]} from ${from}`);
    }
    const res = await rawRequest(hap.port, requestText({}, 0).replace('X-Case: 0', 'X-Case: local'), from);
    assert.equal(res.status, 200, `LOCALHOST from ${from}`);
  }
});

const samples: Array<[string, TxnInit]> = [
  [
    '%[req.hdr(x-a)]',
    {
      headers: [
        ['X-A', 'a1, a2'],
        ['x-a', 'a3'],
      ],
    },
  ],
  [
    '%[req.hdr(x-a,1)]',
    {
      headers: [
        ['X-A', 'a1, a2'],
        ['x-a', 'a3'],
      ],
    },
  ],
  [
    '%[req.hdr(x-a,-2)]',
    {
      headers: [
        ['X-A', 'a1, a2'],
        ['x-a', 'a3'],
      ],
    },
  ],
  [
    '%[req.fhdr(x-a,1)]',
    {
      headers: [
        ['X-A', 'a1, a2'],
        ['x-a', 'a3'],
      ],
    },
  ],
  ['%[req.hdr(x-none)]', {}],
  ['x%[req.hdr(x-empty)]y', { headers: [['X-Empty', '']] }],
  ['%{+Q}[req.hdr(x-none)]', {}],
  ['%{+Q}[req.hdr(host)]', { headers: [['Host', 'a.example']] }],
  ['%[req.hdr(host),lower,field(1,:)]', { headers: [['Host', 'WWW.Example.com:8080']] }],
  ['%[req.hdr(host),field(-2,.,2)]', { headers: [['Host', 'WWW.Example.com:8080']] }],
  ['%[req.hdr(host),word(2,.)]', { headers: [['Host', 'www..example.com']] }],
  ['%[req.hdr(host),field(2,.)]', { headers: [['Host', 'www..example.com']] }],
  ['%[req.hdr(host),regsub(\\.,_,g)]', { headers: [['Host', 'a.b.c']] }],
  ['%[req.hdr(host),upper,length]', { headers: [['Host', 'a.b.c']] }],
  ['%[path]|%[query]|%[url]', { url: '/p/q?x=1&y=2' }],
  ['%[url_param(y)]|%[urlp(x)]', { url: '/p/q?x=1&y=2' }],
  [
    '%[req.cook(sid)]|%[req.cook]|%[req.cook_cnt(sid)]',
    {
      headers: [
        ['Cookie', 'a=0; sid=1'],
        ['Cookie', 'sid=2'],
      ],
    },
  ],
  ['%[base]', { url: '/p?x', headers: [['Host', 'h.example']] }],
  ['%[req.ver]|%[method]', { method: 'PUT', version: '1.0' }],
  [
    '%[req.hdr_cnt(x-a)]|%[req.fhdr_cnt(x-a)]',
    {
      headers: [
        ['X-A', 'a1, a2'],
        ['x-a', 'a3'],
      ],
    },
  ],
  ['%[req.hdr(x-a),url_dec]', { headers: [['X-A', 'a%2Fb+c']] }],
  ['%[req.hdr(x-a),hex]|%[req.hdr(x-a),base64]', { headers: [['X-A', 'hi!']] }],
  ['%[src]|%[src,ipmask(8)]', {}],
  ['%ci|%HM|%HU|%HP|%HQ|%HV', { url: '/a?b' }],
  ['%HQ.', { url: '/a' }],
  ['%[fe_name] %f %b', {}],
  ['100%% %[str(ok)]', {}],
  ['%[int(10),add(5)] %[str(10),sub(3)] %[int(6),mul(7)] %[int(7),div(2)] %[int(-7),div(2)] %[int(7),mod(3)]', {}],
  ['%[int(-7),mod(3)] %[int(5),neg] %[int(7),div(0)] %[int(7),mod(0)]', {}],
  ['%[int(0),http_date] | %[int(86400),http_date(3600)]', {}],
  ['%[uuid,length] %[rand(1)]', {}],
  ['%[req.hdr(x),sha1,hex] %[req.hdr(x),base64,b64dec]', { headers: [['X', 'hello world']] }],
  [
    '%[req.hdr(x),crc32] %[req.hdr(x),crc32(1)] %[req.hdr(x),djb2] %[req.hdr(x),sdbm] %[req.hdr(x),wt6]',
    { headers: [['X', 'hello world']] },
  ],
  ['%[req.hdr(x),djb2(1)] %[req.hdr(x),sdbm(1)] %[req.hdr(x),wt6(1)]', { headers: [['X', '/index.html?q=1']] }],
  ['%[int(1700000000),utime(%Y-%m-%d %H:%M:%S %a %b %j %u %w %y %C %e %I %p %s %z %%)]', {}],
  ['%[int(1700000000),utime(%d/%b/%Y:%H:%M:%S %z)] %[int(951782400),utime(%F %T %A %B %D %R %k %l,3600)]', {}],
  ['%[req.hdr(x),bytes(2)] %[req.hdr(x),bytes(2,3)] [%[req.hdr(x),bytes(50)]]', { headers: [['X', 'abcdefgh']] }],
];

test('log-format samples render as in HAProxy', { skip: needs('haproxy') }, async (t) => {
  const rules = samples.map(
    ([fmt], i) =>
      `  http-request return status 200 content-type text/plain lf-string ${q(fmt)} if { req.hdr(x-case) -m str ${i} }`,
  );
  const hap = await startHaproxy(['frontend fe', '  bind 127.0.0.1:@PORT@', ...rules].join('\n'));
  t.after(() => hap.stop());
  const mismatches: string[] = [];
  for (let i = 0; i < samples.length; i++) {
    const [fmt, req] = samples[i];
    const res = await rawRequest(hap.port, requestText(req, i));
    const diags: Diagnostic[] = [];
    const ours = compileLogFormat(fmt, LOC, diags)(ourTxn(req, i));
    assert.deepEqual(diags, [], fmt);
    if (res.body !== ours)
      mismatches.push(`${fmt}: haproxy ${JSON.stringify(res.body)}, switchyard ${JSON.stringify(ours)}`);
  }
  assert.deepEqual(mismatches, []);
});

test('conditions (AND/OR precedence, negation, anonymous ACLs, predefined) agree with HAProxy', {
  skip: needs('haproxy'),
}, async (t) => {
  const conds = [
    'a b',
    'a or b',
    'a || b c',
    'a b or c',
    '!a b',
    '!a or !b',
    '! a',
    '!!a',
    '{ path_beg /a } !{ hdr(x-b) 1 }',
    'METH_POST or a',
    'HTTP_1.1 a',
    '!LOCALHOST or c',
  ];
  // one backend per condition: `{ case } COND` in one rule would bind an `or` in COND wrongly
  const sections = conds.flatMap((c, i) => [
    `backend b${i}`,
    '  acl a path_beg /a',
    '  acl b hdr(x-b) 1',
    '  acl c method POST',
    `  http-request return status 200 content-type text/plain string match if ${c}`,
    '  http-request return status 404 content-type text/plain string nomatch',
  ]);
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      ...conds.map((_c, i) => `  use_backend b${i} if { req.hdr(x-case) -m str ${i} }`),
      ...sections,
    ].join('\n'),
  );
  t.after(() => hap.stop());
  const mismatches: string[] = [];
  for (let i = 0; i < conds.length; i++) {
    for (const path of ['/a/x', '/z'])
      for (const b of [false, true])
        for (const method of ['GET', 'POST']) {
          const req: TxnInit = { url: path, method, headers: b ? [['X-B', '1']] : [] };
          const res = await rawRequest(hap.port, requestText(req, i));
          const ours = cond(['a path_beg /a', 'b hdr(x-b) 1', 'c method POST'], conds[i]).test(ourTxn(req, i));
          if ((res.status === 200) !== ours)
            mismatches.push(`${conds[i]} on ${method} ${path} b=${b}: haproxy ${res.status}`);
        }
  }
  assert.deepEqual(mismatches, []);
});

test('-f pattern files are read like HAProxy reads them', { skip: needs('haproxy') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-pat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.lst');
  writeFileSync(file, '# comment\n/static/\n\n   /img/\r\n#/admin/\n  # indented\n/trail  \n\t/tab/\n');
  const paths = ['/static/x', '/img/x', '/admin/x', '# indented', '/trail', '/trail  x', '/tab/x', '/other'];
  const rules = paths.map(
    (_p, i) =>
      `  http-request return status 200 content-type text/plain string match if { req.hdr(x-case) -m str ${i} } { path_beg -f ${file} }`,
  );
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      ...rules,
      '  http-request return status 404 content-type text/plain string nomatch',
    ].join('\n'),
  );
  t.after(() => hap.stop());
  const ours = acl(`path_beg -f ${file}`).test;
  for (let i = 0; i < paths.length; i++) {
    const url = paths[i].replace(/ /g, '%20').replace(/#/g, '%23');
    const res = await rawRequest(hap.port, requestText({ url }, i));
    assert.equal(ours(ourTxn({ url }, i)), res.status === 200, `${paths[i]} (${url})`);
  }
});
