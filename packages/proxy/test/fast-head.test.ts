/**
 * The JavaScript response-head reader (fast-head.ts) against llhttp: whatever it accepts, llhttp
 * must accept with the same status, reason, headers, length and keep-alive; what it declines
 * goes to llhttp. Fixed cases, then mutated heads from a seeded generator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FastResponseHead, readResponseHead } from '../src/datapath/fast-head.ts';
import * as ll from '../src/datapath/llhttp.ts';

interface Parsed {
  minor: number;
  status: number;
  reason: string;
  headers: string[];
  keepAlive: boolean;
}

/** llhttp's reading of `head` + CRLFCRLF, or its error code. */
function llhttp(head: string): Parsed | string {
  const p = new ll.HTTPParser();
  p.initialize(ll.HTTPParser.RESPONSE, ll.PARSER_RESOURCE, ll.MAX_HEAD_SIZE, 0);
  let out: Parsed | undefined;
  let parts: string[] = [];
  p[ll.kOnHeaders] = (h: string[]) => {
    parts = parts.concat(h);
  };
  p[ll.kOnHeadersComplete] = (
    _ma: number,
    minor: number,
    h: string[] | undefined,
    _m: number,
    _u: string,
    status: number,
    reason: string,
    _up: boolean,
    keepAlive: boolean,
  ) => {
    out = { minor, status, reason: reason ?? '', headers: parts.concat(h ?? []), keepAlive };
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
    ref,
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

test('mutated heads: anything the fast reader takes, llhttp takes alike', () => {
  // a seeded generator: the same 20,000 heads on every run
  let seed = 0x5eed1;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
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
  ];
  let taken = 0;
  for (let i = 0; i < 20000; i++) {
    let h = COMMON[rnd(COMMON.length)];
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
    if (h.includes('\r\n\r\n')) continue; // a head never contains its own end
    if (check(h)) taken++;
  }
  // the generator must exercise both outcomes
  assert.ok(taken > 2000 && taken < 19000, `fast reader took ${taken} of 20,000`);
});
