/**
 * `retry-on`, `retries` and `option redispatch` side by side with Debian's haproxy 2.6 on the
 * same configuration, in front of the same scripted servers (answering 503, closing without an
 * answer, resetting, answering junk, never answering, refusing): for each request which server
 * got each try, the final status, the log line's %rc and termination state, and the show stat
 * counters econ, eresp, wretr and wredis. A POST is replayed only when it was whole when first
 * sent (body in the head's packet, or gathered by `option http-buffer-request`), as haproxy does,
 * and never after `http-request disable-l7-retry`.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { freePort, type ProxyProcess, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { type HaproxyProcess, needs, startHaproxyProcess, unixSocketAccepts } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
type Kind = 'ok' | '503' | 'first503' | 'close' | 'reset' | 'junk' | 'silent';

/** Tries as the servers saw them: `server METHOD path [body]`. */
const seen: string[] = [];
const servers: Server[] = [];
const sockets = new Set<Socket>();

/** A server reading whole requests and answering each as `kind` says (`first503`: 503 the first time a path is seen). */
async function scripted(name: string, kind: Kind): Promise<number> {
  const paths = new Set<string>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const text = buf.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = text.slice(0, end);
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = text.slice(end + 4, end + 4 + len);
        buf = buf.subarray(end + 4 + len);
        const [method, path] = head.split(' ');
        seen.push(`${name} ${method} ${path}${len ? ` ${body}` : ''}`);
        let k = kind;
        if (kind === 'first503') {
          k = paths.has(path) ? 'ok' : '503';
          paths.add(path);
        }
        if (k === 'ok') s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\n\r\n${name}`);
        else if (k === '503') s.write('HTTP/1.1 503 Busy\r\ncontent-length: 4\r\n\r\nbusy');
        else if (k === 'close') s.end();
        else if (k === 'reset') s.resetAndDestroy();
        else if (k === 'junk') s.end('garbage\r\n\r\n');
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

/** The backends: listen sections, one per case. `refused` is a port nothing listens on. */
function sections(p: Record<string, number>, refused: number): Record<string, string> {
  return {
    redisp503: `retry-on 503\n  option redispatch\n  server a503 127.0.0.1:${p.a503}\n  server b200 127.0.0.1:${p.b200}`,
    all503: `retry-on 503\n  server c503 127.0.0.1:${p.c503}`,
    closes: `retry-on empty-response\n  retries 2\n  server close 127.0.0.1:${p.close}`,
    silent: `retry-on response-timeout\n  retries 2\n  timeout server 300ms\n  server silent 127.0.0.1:${p.silent}`,
    resetDefault: `option redispatch\n  server reset 127.0.0.1:${p.reset}\n  server d200 127.0.0.1:${p.d200}`,
    none: `retry-on none\n  server r 127.0.0.1:${refused}`,
    junk: `retry-on junk-response\n  retries 2\n  server junk 127.0.0.1:${p.junk}`,
    once503: `retry-on 503\n  server f503 127.0.0.1:${p.f503}`,
    buffered: `retry-on 503\n  option http-buffer-request\n  server f503 127.0.0.1:${p.f503}`,
    refused: `retry-on conn-failure 503\n  retries 2\n  server r 127.0.0.1:${refused}`,
    one: `retry-on 503\n  retries 1\n  server c503 127.0.0.1:${p.c503}`,
    resets: `retry-on empty-response\n  server reset 127.0.0.1:${p.reset}`,
    redispConn: `option redispatch\n  server r 127.0.0.1:${refused}\n  server d200 127.0.0.1:${p.d200}`,
    noPost: `retry-on 503\n  http-request disable-l7-retry if METH_POST\n  server f503 127.0.0.1:${p.f503}`,
    hashed: `retry-on all-retryable-errors\n  option redispatch\n  balance source\n  server a503 127.0.0.1:${p.a503}\n  server c503 127.0.0.1:${p.c503}`,
  };
}

const names = Object.keys(sections({}, 0));
const ports: Record<'sy' | 'hx', Record<string, number>> = { sy: {}, hx: {} };

function config(side: 'sy' | 'hx', p: Record<string, number>, refused: number): string {
  let cfg = `global
  log stdout format raw local0
  stats socket ${tmp.dir}/${side}.sock level admin
defaults
  mode http
  log global
  log-format "${side} %b/%s %ST rc=%rc %tsc %{+Q}r"
  retries 3
  timeout connect 1s
  timeout client 5s
  timeout server 5s
`;
  for (const [name, body] of Object.entries(sections(p, refused)))
    cfg += `listen ${name}\n  bind 127.0.0.1:${ports[side][name]}\n  ${body}\n`;
  return cfg;
}

/** Sends `parts` (a pause between them) on a new connection; the status line, or how it ended. */
function send(port: number, parts: string[]): Promise<string> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(`no answer ${out.split('\r\n')[0]}`);
    }, 8000);
    s.on('data', (d) => {
      out += d;
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(out.split('\r\n')[0]);
    });
    s.on('error', () => {});
    s.write(parts[0]);
    if (parts[1] !== undefined) setTimeout(() => s.write(parts[1]), 300);
  });
}

/** The requests, in order (the order matters to roundrobin): listen name and how the request is sent. */
const PLAN: Array<[string, 'get' | 'post' | 'split']> = [
  ['redisp503', 'get'],
  ['redisp503', 'get'],
  ['all503', 'get'],
  ['closes', 'get'],
  ['silent', 'get'],
  ['resetDefault', 'get'],
  ['resetDefault', 'get'],
  ['none', 'get'],
  ['junk', 'get'],
  ['once503', 'get'],
  ['once503', 'post'],
  ['once503', 'split'],
  ['buffered', 'post'],
  ['buffered', 'split'],
  ['refused', 'get'],
  ['one', 'get'],
  ['resets', 'get'],
  ['resets', 'post'],
  ['redispConn', 'get'],
  ['redispConn', 'get'],
  ['hashed', 'get'],
  ['noPost', 'get'],
  ['noPost', 'post'],
];

/** The request's path names the side: the servers' `first503` is per path. */
function request(side: string, name: string, how: 'get' | 'post' | 'split', i: number): string[] {
  const path = `/${name}-${how}-${i}-${side}`;
  if (how === 'get') return [`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`];
  const head = `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\n\r\n`;
  return how === 'post' ? [`${head}hello`] : [`${head}he`, 'llo'];
}

let hx: HaproxyProcess | undefined;
let sy: ProxyProcess | undefined;
const results: Record<'sy' | 'hx', { answers: string[]; logs: string[]; stat: string }> = {
  sy: { answers: [], logs: [], stat: '' },
  hx: { answers: [], logs: [], stat: '' },
};

/** show stat's econ, eresp, wretr and wredis for every server and backend. */
function counters(csv: string): string {
  return csv
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && !l.includes(',FRONTEND,'))
    .map((l) => {
      const f = l.split(',');
      return `${f[0]}/${f[1]} econ=${f[13]} eresp=${f[14]} wretr=${f[15]} wredis=${f[16]}`;
    })
    .join('\n');
}

before(async () => {
  if (skip) return;
  const p: Record<string, number> = {};
  for (const [n, k] of [
    ['a503', '503'],
    ['b200', 'ok'],
    ['c503', '503'],
    ['close', 'close'],
    ['silent', 'silent'],
    ['reset', 'reset'],
    ['junk', 'junk'],
    ['f503', 'first503'],
    ['d200', 'ok'],
  ] as const)
    p[n] = await scripted(n, k);
  // nothing listens on tcpmux and no test binds it (a free port found now may be taken by a test
  // file running at the same time)
  const refused = 1;
  for (const side of ['hx', 'sy'] as const) for (const n of names) ports[side][n] = await freePort();
  hx = await startHaproxyProcess(writeFile(tmp.dir, 'hx.cfg', config('hx', p, refused)), () =>
    unixSocketAccepts(`${tmp.dir}/hx.sock`),
  );
  sy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', config('sy', p, refused))]);
  for (const side of ['hx', 'sy'] as const) {
    const out = results[side];
    for (let i = 0; i < PLAN.length; i++) {
      const [name, how] = PLAN[i];
      seen.length = 0;
      const status = await send(ports[side][name], request(side, name, how, i));
      out.answers.push(`${name} ${how}: ${status} | ${seen.join(', ')}`.replaceAll(`-${side}`, ''));
    }
    const logOf = () => (side === 'hx' ? (hx as HaproxyProcess).log() : (sy as ProxyProcess).stdout());
    await until(
      () =>
        logOf()
          .split('\n')
          .filter((l) => l.startsWith(`${side} `)).length >= PLAN.length,
      10000,
      'logs',
    );
    out.logs = logOf()
      .split('\n')
      .filter((l) => l.startsWith(`${side} `))
      .map((l) => l.slice(side.length + 1).replaceAll(`-${side}`, ''))
      // a line is written when its stream ends, after the client got the answer: order is not compared
      .sort();
    out.stat = counters(await cliQuery({ path: `${tmp.dir}/${side}.sock` }, 'show stat'));
  }
});

after(async () => {
  await sy?.stop();
  await hx?.stop();
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  tmp.cleanup();
});

describe('retry-on (differential with haproxy 2.6)', { skip }, () => {
  test('each try reaches the same server and the final answer is the same', () => {
    assert.deepEqual(results.sy.answers, results.hx.answers);
    // what haproxy does, spelled out for the cases that matter
    const a = results.hx.answers;
    assert.equal(a[0], 'redisp503 get: HTTP/1.1 200 OK | a503 GET /redisp503-get-0, b200 GET /redisp503-get-0');
    assert.match(a[2], /^all503 get: HTTP\/1.1 503 Busy \| (c503 GET \/all503-get-2(, )?){4}$/);
    assert.equal(a[11], 'once503 split: HTTP/1.1 503 Busy | f503 POST /once503-split-11 hello');
    assert.equal(a[22], 'noPost post: HTTP/1.1 503 Busy | f503 POST /noPost-post-22 hello');
    assert.equal(
      a[13],
      'buffered split: HTTP/1.1 200 OK | f503 POST /buffered-split-13 hello, f503 POST /buffered-split-13 hello',
    );
  });

  test('the log lines: same %rc (+N after a redispatch) and termination state', () => {
    assert.deepEqual(results.sy.logs, results.hx.logs);
    assert.ok(results.hx.logs.includes('all503/c503 503 rc=3 ---- "GET /all503-get-2 HTTP/1.1"'));
  });

  test('show stat: econ, eresp, wretr, wredis', () => {
    assert.equal(results.sy.stat, results.hx.stat);
  });
});
