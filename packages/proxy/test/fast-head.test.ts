/**
 * The JavaScript head readers (fast-head.ts) against llhttp: whatever they accept, llhttp must
 * accept with the same status or method and target, headers, length and keep-alive; what they
 * decline goes to llhttp. Fixed cases, then mutated heads from a seeded generator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type FastRequestHead,
  type FastResponseHead,
  readRequestHead,
  readResponseHead,
} from '../src/datapath/fast-head.ts';
import * as ll from '../src/datapath/llhttp.ts';

interface Parsed {
  minor: number;
  status: number;
  reason: string;
  method: number;
  url: string;
  headers: string[];
  keepAlive: boolean;
  upgrade: boolean;
}

/** llhttp's reading of `head` + CRLFCRLF as a request or a response, or its error code. */
function llhttp(head: string, type = ll.HTTPParser.RESPONSE): Parsed | string {
  const p = new ll.HTTPParser();
  p.initialize(type, ll.PARSER_RESOURCE, ll.MAX_HEAD_SIZE, 0);
  let out: Parsed | undefined;
  let parts: string[] = [];
  let url = '';
  p[ll.kOnHeaders] = (h: string[], u: string) => {
    parts = parts.concat(h);
    url += u ?? '';
  };
  p[ll.kOnHeadersComplete] = (
    _ma: number,
    minor: number,
    h: string[] | undefined,
    method: number,
    u: string | undefined,
    status: number,
    reason: string,
    upgrade: boolean,
    keepAlive: boolean,
  ) => {
    const headers = parts.concat(h ?? []);
    out = { minor, status, reason: reason ?? '', method, url: u || url, headers, keepAlive, upgrade };
    return 1; // stop at the head
  };
  p[ll.kOnBody] = () => {};
  p[ll.kOnMessageComplete] = () => {};
  const r = p.execute(Buffer.from(`${head}\r\n\r\n`, 'latin1'));
  if (typeof r !== 'number') return r.code ?? 'error';
  return out ?? 'incomplete';
}

const fresh = (): FastResponseHead => ({ minor: 0, status: 0, reason: '', headers: [], length: -1, keepAlive: false });

/** Checks the invariant on one head; returns whether the fast reader took it. */
function check(head: string): boolean {
  const f = fresh();
  if (!readResponseHead(head, f)) return false;
  const l = llhttp(head);
  assert.equal(typeof l, 'object', `fast reader accepted ${JSON.stringify(head)}, llhttp: ${String(l)}`);
  const ref = l as Parsed;
  assert.deepEqual(
    { minor: f.minor, status: f.status, reason: f.reason, headers: f.headers, keepAlive: f.keepAlive },
    { minor: ref.minor, status: ref.status, reason: ref.reason, headers: ref.headers, keepAlive: ref.keepAlive },
    JSON.stringify(head),
  );
  const i = ref.headers.findIndex((n, k) => k % 2 === 0 && n.toLowerCase() === 'content-length');
  assert.equal(f.length, i < 0 ? -1 : Number(ref.headers[i + 1]), JSON.stringify(head));
  return true;
}

const COMMON = [
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 02:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: keep-alive',
  'HTTP/1.1 200 OK\r\nContent-Length: 0',
  'HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 153',
  'HTTP/1.0 200 OK\r\nContent-Length: 2',
  'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2',
  'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2',
  'HTTP/1.1 204 No Content',
  'HTTP/1.1 304 Not Modified\r\nETag: "x"',
  'HTTP/1.1 200 OK',
  'HTTP/1.1 200',
  'HTTP/1.1 200 ',
  'HTTP/1.1 503 Service  Unavailable  ',
  'HTTP/1.1 200 OK\r\nA: x  \r\nB:   y\t\r\nC:\r\nD: \t ',
  'HTTP/1.1 200 OK\r\nX-Obs: caf\xe9 \xff\r\nContent-Length: 1',
  'HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 1',
  'HTTP/1.1 200 OK\r\nContent-Length:  12 ',
  'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3',
];

test('the common heads are read here, as llhttp reads them', () => {
  for (const h of COMMON) assert.ok(check(h), `declined: ${JSON.stringify(h)}`);
});

test('unusual or invalid heads are left to llhttp', () => {
  const declined = [
    'HTTP/1.1 100 Continue',
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade',
    'HTTP/2.0 200 OK',
    'HTTP/1.2 200 OK',
    'HTTP/1.1 099 OK',
    'HTTP/1.1 999 OK',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 200 O\x01K',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5',
    'HTTP/1.1 200 OK\r\nContent-Length: +12',
    'HTTP/1.1 200 OK\r\nContent-Length: 1 2',
    'HTTP/1.1 200 OK\r\nContent-Length: ',
    'HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456',
    'HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1',
    'HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 1',
    'HTTP/1.1 200 OK\r\nA b: 1',
    'HTTP/1.1 200 OK\r\nA : 1',
    'HTTP/1.1 200 OK\r\n: 1',
    'HTTP/1.1 200 OK\r\nA: a\x7fb',
    'HTTP/1.1 200 OK\r\nA: a\nb',
    'HTTP/1.1 200 OK\r\nA: a\rb',
    'HTTP/1.1 200 OK\r\nA: a\x00b',
    'HTTP/1.1 200 OK\r\n folded',
    'HTTP/1.1 200 OK\r\nA: 1\r\n\tfolded',
    'HTTP/1.1 200 OK\nA: 1',
    'HTTP/1.1 200 OK\r\nNoColon',
  ];
  for (const h of declined) assert.equal(readResponseHead(h, fresh()), false, JSON.stringify(h));
});

/** A seeded generator of heads: `base` heads with 1-3 random edits; the same heads every run. */
function* mutated(base: string[], extra: string[], count: number, seed: number): Generator<string> {
  let st = seed;
  const rnd = (n: number) => {
    st = (Math.imul(st, 1103515245) + 12345) >>> 0;
    return (st >>> 8) % n;
  };
  const alphabet = [' ', '\t', '\r', '\n', ':', ',', '0', '9', 'a', 'Z', '\x00', '\x7f', '\x80', '\xff', '-', '"', ';'];
  const pieces = [
    '\r\nConnection: close',
    '\r\nConnection: keep-alive',
    '\r\nConnection: Keep-Alive',
    '\r\nProxy-Connection: keep-alive',
    '\r\nContent-Length: 7',
    '\r\ncontent-length: 0',
    '\r\nTransfer-Encoding: chunked',
    '\r\nX: y',
    '\r\n',
    ' ',
    ...extra,
  ];
  for (let i = 0; i < count; i++) {
    let h = base[rnd(base.length)];
    const edits = 1 + rnd(3);
    for (let e = 0; e < edits; e++) {
      const at = rnd(h.length + 1);
      switch (rnd(4)) {
        case 0:
          h = h.slice(0, at) + alphabet[rnd(alphabet.length)] + h.slice(at);
          break;
        case 1:
          h = h.slice(0, at) + h.slice(at + 1);
          break;
        case 2:
          h = h.slice(0, at) + alphabet[rnd(alphabet.length)] + h.slice(at + 1);
          break;
        default:
          h = h.slice(0, at) + pieces[rnd(pieces.length)] + h.slice(at);
      }
    }
    if (!h.includes('\r\n\r\n')) yield h; // a head never contains its own end
  }
}

test('mutated response heads: anything the fast reader takes, llhttp takes alike', () => {
  let taken = 0;
  let all = 0;
  for (const h of mutated(COMMON, [], 20000, 0x5eed1)) {
    all++;
    if (check(h)) taken++;
  }
  // the generator must exercise both outcomes
  assert.ok(taken > all / 10 && taken < all * 0.95, `fast reader took ${taken} of ${all}`);
});

function checkRequest(head: string): boolean {
  const f: FastRequestHead = { method: -1, url: '', minor: 0, headers: [], keepAlive: false };
  if (!readRequestHead(head, f)) return false;
  const l = llhttp(head, ll.HTTPParser.REQUEST);
  assert.equal(typeof l, 'object', `fast reader accepted ${JSON.stringify(head)}, llhttp: ${String(l)}`);
  const ref = l as Parsed;
  const mine = { method: f.method, url: f.url, minor: f.minor, headers: f.headers, keepAlive: f.keepAlive };
  const theirs = { method: ref.method, url: ref.url, minor: ref.minor, headers: ref.headers, keepAlive: ref.keepAlive };
  assert.deepEqual(mine, theirs, JSON.stringify(head));
  assert.equal(ref.upgrade, false, JSON.stringify(head));
  return true;
}

const REQUESTS = [
  'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*',
  'GET /lc/a/b.html?x=1&y=%20z HTTP/1.1\r\nHost: static.example.com\r\nConnection: keep-alive',
  'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576',
  'HEAD /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive',
  'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nExpect: 100-continue',
  'DELETE /x/1 HTTP/1.1\r\nHost: a\r\nConnection: close',
  'OPTIONS /x HTTP/1.1\r\nHost: a',
  'PATCH /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2',
  "GET /~a/b;c=d,e:f@g!$&'()*+=-._ HTTP/1.1\r\nHost: a",
  'GET / HTTP/1.0',
  'GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; b=2\r\nX-Forwarded-For: 10.0.0.1',
];

test('common request heads are read here, as llhttp reads them', () => {
  for (const h of REQUESTS) assert.ok(checkRequest(h), `declined: ${JSON.stringify(h)}`);
});

test('unusual or invalid request heads are left to llhttp', () => {
  const declined = [
    'CONNECT a:443 HTTP/1.1\r\nHost: a:443',
    'GET http://a/ HTTP/1.1\r\nHost: a',
    'GET * HTTP/1.1',
    'OPTIONS * HTTP/1.1\r\nHost: a',
    'PURGE / HTTP/1.1',
    'get / HTTP/1.1',
    'GET / HTTP/2.0',
    'GET / HTTP/1.1 ',
    'GET  / HTTP/1.1',
    'GET /a b HTTP/1.1',
    'GET /a\x7f HTTP/1.1',
    'GET /a#frag HTTP/1.1',
    'GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade',
    'POST / HTTP/1.1\r\nTransfer-Encoding: chunked',
    'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1',
    'GET / HTTP/1.1\r\nHost : a',
    'GET / HTTP/1.1\r\n Host: a',
    'GET / HTTP/1.1\nHost: a',
  ];
  const f: FastRequestHead = { method: -1, url: '', minor: 0, headers: [], keepAlive: false };
  for (const h of declined) assert.equal(readRequestHead(h, f), false, JSON.stringify(h));
});

test('mutated request heads: anything the fast reader takes, llhttp takes alike', () => {
  let taken = 0;
  let all = 0;
  const extra = ['/', '?', '%', '#', 'HTTP/1.0', 'GET ', '\\', '{', '|'];
  for (const h of mutated(REQUESTS, extra, 20000, 0x5eed2)) {
    all++;
    if (checkRequest(h)) taken++;
  }
  assert.ok(taken > all / 10 && taken < all * 0.95, `fast reader took ${taken} of ${all}`);
});
