/**
 * Differential tests against the real HAProxy 2.6: the same backend (loopback servers that
 * answer their own name) balanced by HAProxy and by Switchyard's selector.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import type { BalanceModel, HashTypeModel } from '@switchyard/config';
import { needs } from '../../../test/helpers/system.ts';
import { rawRequest, startHaproxy } from './acl-haproxy-peer.ts';
import { type TxnInit, txn } from './acl-helpers.ts';
import { backend, type SrvInit } from './selection-helpers.ts';

/** Starts one loopback HTTP server per name, each answering its name. */
async function nameServers(names: string[]): Promise<{ ports: number[]; close: () => Promise<void> }> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (const n of names) {
    const s = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(n), connection: 'close' });
      res.end(n);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const a = s.address();
    ports.push(typeof a === 'object' && a ? a.port : 0);
    servers.push(s);
  }
  return {
    ports,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

function requestText(init: TxnInit): string {
  const lines = [`GET ${init.url ?? '/'} HTTP/1.1`];
  for (const [n, v] of init.headers ?? []) lines.push(`${n}: ${v}`);
  // node:http servers refuse HTTP/1.1 without Host
  if (!(init.headers ?? []).some(([n]) => n.toLowerCase() === 'host')) lines.push('Host: test.local');
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}

interface Scenario {
  balance: string;
  hashType?: string;
  model: Partial<BalanceModel> & Pick<BalanceModel, 'algo'>;
  hash?: Partial<HashTypeModel>;
  servers: SrvInit[];
  allbackups?: boolean;
  requests: Array<{ req: TxnInit; from?: string }>;
}

/** Sends the requests through HAProxy and through our selector; returns both name lists. */
async function run(t: { after: (fn: () => Promise<void>) => void }, sc: Scenario) {
  const names = sc.servers.map((s) => s.name);
  const ns = await nameServers(names);
  t.after(ns.close);
  const serverLines = sc.servers.map(
    (s, i) =>
      `  server ${s.name} 127.0.0.1:${ns.ports[i]} weight ${s.weight ?? 1} id ${s.id ?? i + 1}${s.backup ? ' backup' : ''}`,
  );
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      '  default_backend bk',
      'backend bk',
      `  balance ${sc.balance}`,
      sc.hashType ? `  hash-type ${sc.hashType}` : '',
      ...serverLines,
    ].join('\n'),
  );
  t.after(hap.stop);
  const ours = backend(sc.model, sc.servers, { hashType: sc.hash, allbackups: sc.allbackups });
  const theirs: string[] = [];
  const mine: string[] = [];
  for (const { req, from } of sc.requests) {
    const res = await rawRequest(hap.port, requestText(req), from ?? '127.0.0.1');
    assert.equal(res.status, 200, res.headers);
    theirs.push(res.body);
    mine.push(ours.sel.pick(txn({ ...req, src: from ?? '127.0.0.1' }))?.name ?? '-');
  }
  return { theirs, mine };
}

/**
 * A bare `hash-type consistent` (no function) means sdbm plus avalanche in HAProxy 2.6
 * (cfgparse: "if consistent with no argument, then avalanche modifier is also applied"); the
 * config parser must produce `avalanche: true` for it. The model below is what it must produce.
 */
const BARE_CONSISTENT: Partial<HashTypeModel> = { method: 'consistent', avalanche: true };

const ten = Array.from({ length: 10 }, (_, i) => ({ name: `s${i + 1}` }));
const uris = Array.from({ length: 200 }, (_, i) => ({ req: { url: `/obj/${i}/x?q=${i % 7}` } }));

test('hash-type consistent: uri picks the same server as HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const { theirs, mine } = await run(t, {
    balance: 'uri',
    hashType: 'consistent',
    model: { algo: 'uri' },
    hash: BARE_CONSISTENT,
    servers: ten.map((s, i) => ({ ...s, weight: 1 + (i % 3) })),
    requests: uris,
  });
  assert.deepEqual(mine, theirs);
});

test('hash-type consistent avalanche: url_param, hdr and source agree with HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const p = await run(t, {
    balance: 'url_param q',
    hashType: 'consistent sdbm avalanche',
    model: { algo: 'url_param', param: 'q' },
    hash: { method: 'consistent', avalanche: true },
    servers: ten,
    requests: Array.from({ length: 60 }, (_, i) => ({ req: { url: `/a?x=1&q=v${i}&z` } })),
  });
  assert.deepEqual(p.mine, p.theirs);
  const h = await run(t, {
    balance: 'hdr(X-User)',
    hashType: 'consistent sdbm avalanche',
    model: { algo: 'hdr', param: 'X-User' },
    hash: { method: 'consistent', avalanche: true },
    servers: ten,
    requests: Array.from({ length: 60 }, (_, i) => ({
      req: { headers: [['X-User', `user-${i}`]] as Array<[string, string]> },
    })),
  });
  assert.deepEqual(h.mine, h.theirs);
  const d = await run(t, {
    balance: 'hdr(Host) use_domain_only',
    hashType: 'consistent',
    model: { algo: 'hdr', param: 'Host', options: { useDomainOnly: true } },
    hash: BARE_CONSISTENT,
    servers: ten,
    requests: Array.from({ length: 40 }, (_, i) => ({
      req: { headers: [['Host', `www.site${i}.example.com`]] as Array<[string, string]> },
    })),
  });
  assert.deepEqual(d.mine, d.theirs);
  const s = await run(t, {
    balance: 'source',
    hashType: 'consistent sdbm avalanche',
    model: { algo: 'source' },
    hash: { method: 'consistent', avalanche: true },
    servers: ten,
    requests: Array.from({ length: 40 }, (_, i) => ({ req: {}, from: `127.0.${i >> 3}.${(i * 37) & 255 || 1}` })),
  });
  assert.deepEqual(s.mine, s.theirs);
});

for (const fn of ['sdbm', 'djb2', 'wt6', 'crc32']) {
  test(`hash function ${fn}: consistent uri hashing agrees with HAProxy`, {
    skip: needs('haproxy'),
    timeout: 120000,
  }, async (t) => {
    const { theirs, mine } = await run(t, {
      balance: 'uri whole',
      hashType: `consistent ${fn}`,
      model: { algo: 'uri', options: { whole: true } },
      hash: { method: 'consistent', fn: fn as HashTypeModel['fn'] },
      servers: ten,
      requests: uris.slice(0, 80),
    });
    assert.deepEqual(mine, theirs);
  });
}

test('uri depth and len agree with HAProxy', { skip: needs('haproxy'), timeout: 120000 }, async (t) => {
  const reqs = Array.from({ length: 60 }, (_, i) => ({ req: { url: `/d${i % 12}/e${i % 5}/f${i}?q=${i}` } }));
  const d = await run(t, {
    balance: 'uri depth 2',
    hashType: 'consistent',
    model: { algo: 'uri', options: { depth: 2 } },
    hash: BARE_CONSISTENT,
    servers: ten,
    requests: reqs,
  });
  assert.deepEqual(d.mine, d.theirs);
  const l = await run(t, {
    balance: 'uri len 6',
    hashType: 'consistent',
    model: { algo: 'uri', options: { len: 6 } },
    hash: BARE_CONSISTENT,
    servers: ten,
    requests: reqs,
  });
  assert.deepEqual(l.mine, l.theirs);
});

test('uri on absolute-form targets, with and without path-only, agrees with HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const reqs = Array.from({ length: 40 }, (_, i) => ({
    req: {
      url: `http://h${i % 3}.example/o/${i}?q=${i}`,
      headers: [['Host', `h${i % 3}.example`]] as Array<[string, string]>,
    },
  }));
  const plain = await run(t, {
    balance: 'uri',
    hashType: 'consistent',
    model: { algo: 'uri' },
    hash: BARE_CONSISTENT,
    servers: ten,
    requests: reqs,
  });
  assert.deepEqual(plain.mine, plain.theirs);
  const po = await run(t, {
    balance: 'uri path-only',
    hashType: 'consistent',
    model: { algo: 'uri', options: { pathOnly: true } },
    hash: BARE_CONSISTENT,
    servers: ten,
    requests: reqs,
  });
  assert.deepEqual(po.mine, po.theirs);
  // path-only: the same path on different hosts goes to the same server
  const ours = backend({ algo: 'uri', options: { pathOnly: true } }, ten, { hashType: BARE_CONSISTENT });
  assert.equal(ours.sel.pick(txn({ url: 'http://a.example/x/y' }))!.name, ours.sel.pick(txn({ url: '/x/y' }))!.name);
});

test('map-based hashing picks the same server as HAProxy (uri, url_param, source)', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const weighted = ten.map((s, i) => ({ ...s, weight: [1, 2, 3, 4, 6][i % 5] }));
  const u = await run(t, { balance: 'uri', model: { algo: 'uri' }, servers: weighted, requests: uris.slice(0, 100) });
  assert.deepEqual(u.mine, u.theirs);
  const p = await run(t, {
    balance: 'url_param q',
    hashType: 'map-based djb2 avalanche',
    model: { algo: 'url_param', param: 'q' },
    hash: { fn: 'djb2', avalanche: true },
    servers: weighted,
    requests: Array.from({ length: 60 }, (_, i) => ({ req: { url: `/a?q=v${i}` } })),
  });
  assert.deepEqual(p.mine, p.theirs);
  const s = await run(t, {
    balance: 'source',
    model: { algo: 'source' },
    servers: ten.map((x, i) => ({ ...x, weight: 2 * (1 + (i % 2)) })),
    requests: Array.from({ length: 40 }, (_, i) => ({ req: {}, from: `127.0.${i}.${(i * 37) & 255 || 1}` })),
  });
  assert.deepEqual(s.mine, s.theirs);
});

test('balance hash EXPR (a cookie, and the source address) picks the same server as HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  for (const hashType of ['map-based', 'consistent']) {
    const c = await run(t, {
      balance: 'hash req.cook(sid)',
      hashType,
      model: { algo: 'hash', param: 'req.cook(sid)' },
      hash: hashType === 'consistent' ? BARE_CONSISTENT : undefined,
      servers: ten,
      requests: Array.from({ length: 60 }, (_, i) => ({
        req: { headers: [['Cookie', `a=1; sid=s${i * 7}`]] as Array<[string, string]> },
      })),
    });
    assert.deepEqual(c.mine, c.theirs, hashType);
  }
});

test('static-rr order matches HAProxy', { skip: needs('haproxy'), timeout: 120000 }, async (t) => {
  const { theirs, mine } = await run(t, {
    balance: 'static-rr',
    model: { algo: 'static-rr' },
    servers: [
      { name: 'a', weight: 3 },
      { name: 'b', weight: 2 },
      { name: 'c', weight: 1 },
      { name: 'd', weight: 4 },
    ],
    requests: Array.from({ length: 30 }, () => ({ req: {} })),
  });
  assert.deepEqual(mine, theirs);
});

test('leastconn with sequential requests rotates like HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const { theirs, mine } = await run(t, {
    balance: 'leastconn',
    model: { algo: 'leastconn' },
    servers: [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 2 },
      { name: 'c', weight: 3 },
    ],
    requests: Array.from({ length: 12 }, () => ({ req: {} })),
  });
  assert.deepEqual(mine, theirs);
});

test('first picks the lowest id like HAProxy, whatever the declaration order', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const { theirs, mine } = await run(t, {
    balance: 'first',
    model: { algo: 'first' },
    servers: [
      { name: 'c', id: 3 },
      { name: 'a', id: 7 },
      { name: 'b', id: 2 },
    ],
    requests: Array.from({ length: 4 }, () => ({ req: {} })),
  });
  assert.deepEqual(mine, theirs);
  assert.deepEqual(mine, ['b', 'b', 'b', 'b']);
});

test('backups: the first declared one, or all with allbackups, as HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const servers = [
    { name: 'c', id: 5, backup: true },
    { name: 'd', id: 3, backup: true },
  ];
  const one = await run(t, {
    balance: 'roundrobin',
    model: { algo: 'roundrobin' },
    servers,
    requests: Array.from({ length: 4 }, () => ({ req: {} })),
  });
  assert.deepEqual(one.mine, one.theirs);
  assert.deepEqual(one.mine, ['c', 'c', 'c', 'c']);
  const all = await run(t, {
    balance: 'roundrobin\n  option allbackups',
    model: { algo: 'roundrobin' },
    allbackups: true,
    servers,
    requests: Array.from({ length: 4 }, () => ({ req: {} })),
  });
  assert.deepEqual([...all.mine].sort(), [...all.theirs].sort());
});

test('roundrobin with weights 3,2,1: same share per cycle as HAProxy', {
  skip: needs('haproxy'),
  timeout: 120000,
}, async (t) => {
  const servers = [
    { name: 'a', weight: 3 },
    { name: 'b', weight: 2 },
    { name: 'c', weight: 1 },
  ];
  const { theirs, mine } = await run(t, {
    balance: 'roundrobin',
    model: { algo: 'roundrobin' },
    servers,
    requests: Array.from({ length: 36 }, () => ({ req: {} })),
  });
  const cycles = (l: string[]) =>
    Array.from({ length: 6 }, (_, c) =>
      l
        .slice(c * 6, c * 6 + 6)
        .sort()
        .join(''),
    );
  assert.deepEqual(cycles(mine), Array(6).fill('aaabbc'));
  // HAProxy's fwrr may start mid-cycle: compare totals over the whole run
  const count = (l: string[], n: string) => l.filter((x) => x === n).length;
  for (const n of ['a', 'b', 'c']) assert.equal(count(mine, n), count(theirs, n), `${n}: ${theirs.join('')}`);
});
