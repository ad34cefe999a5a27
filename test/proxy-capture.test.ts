/**
 * Captures side by side with Debian's haproxy 2.6 on the same configuration and requests: the
 * `option httplog` line with its `{...}` fields, `option httplog clf` with `%hrl %hsl`, the
 * `capture.req.hdr(N)` / `capture.res.hdr(N)` fetches, `http-request|http-response capture` in a
 * backend, and `tcp-request content capture` in a tcp listen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, rawRequest, tempDir, until } from './helpers/proxy.ts';
import { type LoggedSideBySide, startLoggedSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
const NAMES = ['web', 'clf', 'fetch', 'tcpcap'] as const;
type Name = (typeof NAMES)[number];
const port: Record<'sy' | 'hx', Record<Name, number>> = {
  sy: { web: 0, clf: 0, fetch: 0, tcpcap: 0 },
  hx: { web: 0, clf: 0, fetch: 0, tcpcap: 0 },
};
let pair: LoggedSideBySide | undefined;
let messages: string[] = [];

function config(side: 'sy' | 'hx', syslog: number, upstream: number): string {
  const p = port[side];
  return `global
  log 127.0.0.1:${syslog} local3 info
${side === 'hx' ? `  stats socket ${tmp.dir}/hx.sock\n` : ''}defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend web
  bind 127.0.0.1:${p.web}
  capture request header Host len 12
  capture request header User-Agent len 6
  http-request capture req.hdr(x-a),lower len 4
  declare capture request len 8
  capture response header Content-Type len 10
  declare capture response len 6
  http-request deny if { path_beg /deny }
  default_backend be
frontend clf
  bind 127.0.0.1:${p.clf}
  option httplog clf
  capture cookie sess len 9
  capture request header Host len 12
  capture request header X-None len 5
  capture response header X-Upstream len 10
  default_backend plain
frontend fetch
  bind 127.0.0.1:${p.fetch}
  declare capture request len 20
  declare capture response len 20
  log-format "fetch %[capture.req.hdr(0)] %[capture.res.hdr(0)] %{+Q}hr %hs p=%HP"
  default_backend be
backend be
  http-request capture path id 3
  http-request capture path id 0 if { path_beg /fetch }
  http-response capture res.hdr(x-upstream) id 1
  http-response capture status id 0 if { capture.req.hdr(0) -m beg /fetch }
  server s1 127.0.0.1:${upstream}
backend plain
  http-response add-header Set-Cookie "sessid=s3rv3r; Path=/"
  server s1 127.0.0.1:${upstream}
listen tcpcap
  mode tcp
  bind 127.0.0.1:${p.tcpcap}
  tcp-request inspect-delay 2s
  tcp-request content capture req.payload(0,3) len 3
  tcp-request content capture src len 5
  tcp-request content accept if { req.len ge 4 }
  log-format "tcpcap %hr %hrl %[capture.req.hdr(0)] %{+Q}hrl"
  server s1 127.0.0.1:${upstream}
`;
}

/** Replaces what differs between the two (program, pid, date, ports, timers, byte counts). */
function shape(line: string): string {
  return (
    line
      .replace(/127\.0\.0\.1:\d+ /, '127.0.0.1:PORT ')
      .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d(\.\d{3}| [+-]\d{4})\]/, '[DATE]')
      .replace(/ -?\d+\/-?\d+\/-?\d+\/-?\d+\/\d+ (\d{3}) \d+ /, ' TIMERS $1 BYTES ')
      // the CLF line: bytes, client port, accept ms, then the five timers
      .replace(/ (\d{3}) \d+ "" "" \d+ \d+ /, ' $1 BYTES "" "" PORT MS ')
      .replace(/ -?\d+ -?\d+ -?\d+ -?\d+ \d+ (-{4}|[A-Za-z-]{4}) /, ' TIMERS $1 ')
  );
}

/** Sends one request to a side's frontend and returns that request's log line (from its program tag on). */
async function logged(side: 'sy' | 'hx', fe: Name, request: string, match: string): Promise<string> {
  const before = messages.length;
  await rawRequest(port[side][fe], request);
  const prog = side === 'sy' ? 'switchyard[' : 'haproxy[';
  const find = () => messages.slice(before).find((m) => m.includes(prog) && m.includes(match));
  await until(() => find() !== undefined, 10000, `${side} ${fe} log line with ${match}`);
  const m = find() as string;
  return m.slice(m.indexOf(']: ') + 3).trimEnd();
}

/** The same request through both; returns [switchyard's line, haproxy's line]. */
async function both(fe: Name, request: (side: string) => string, match: (side: string) => string) {
  return [await logged('sy', fe, request('sy'), match('sy')), await logged('hx', fe, request('hx'), match('hx'))];
}

before(async () => {
  if (skip) return;
  for (const side of ['sy', 'hx'] as const) for (const n of NAMES) port[side][n] = await freePort();
  pair = await startLoggedSideBySide(tmp.dir, config);
  messages = pair.messages;
});

after(async () => {
  await pair?.stop();
  tmp.cleanup();
});

describe('captures (differential with haproxy 2.6)', { skip }, () => {
  test('option httplog: {req|captures} {res|captures} before the request, cut and #-encoded alike', async () => {
    const req = (side: string) =>
      `GET /web-${side} HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: a|b{c}d\r\nX-A: HELLO\r\nConnection: close\r\n\r\n`;
    const [sy, hx] = await both('web', req, (side) => `/web-${side}`);
    assert.ok(hx.endsWith(' {www.example.|a#7Cb#7Bc#7D|hell|/web-hx} {text/plain|s1} "GET /web-hx HTTP/1.1"'), hx);
    assert.equal(shape(sy).replaceAll('/web-sy', '/web-hx'), shape(hx));
  });

  test('a request the proxy answers itself: empty response slots, {|}', async () => {
    const req = (side: string) => `GET /deny-${side} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`;
    const [sy, hx] = await both('web', req, (side) => `/deny-${side}`);
    assert.ok(hx.endsWith(' {h|||} {|} "GET /deny-hx HTTP/1.1"'), hx);
    assert.equal(shape(sy).replaceAll('/deny-sy', '/deny-hx'), shape(hx));
  });

  test('option httplog clf: %hrl %hsl quoted one field each', async () => {
    const req = (side: string) =>
      `GET /clf-${side} HTTP/1.1\r\nHost: clf.example\r\nCookie: a=1; session=abcdefghijk\r\nConnection: close\r\n\r\n`;
    const [sy, hx] = await both('clf', req, (side) => `/clf-${side}`);
    // capture cookie: the first cookie starting with the name, cut at len, from both sides
    assert.match(hx, /"session=a" "sessid=s3" "clf.example" "" "s1"$/);
    assert.equal(shape(sy).replaceAll('/clf-sy', '/clf-hx'), shape(hx));
  });

  test('capture.req.hdr(N) / capture.res.hdr(N) read the slots the backend rules filled', async () => {
    const req = (side: string) => `GET /fetch-${side} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`;
    const [sy, hx] = await both('fetch', req, (side) => `p=/fetch-${side}`);
    assert.equal(hx, 'fetch /fetch-hx 200 "{/fetch-hx}" {200} p=/fetch-hx');
    assert.equal(sy.replaceAll('/fetch-sy', '/fetch-hx'), hx);
  });

  test('tcp-request content capture in mode tcp: %hr and the fetch', async () => {
    const req = (side: string) => `GET /tcp-${side} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`;
    const [sy, hx] = await both('tcpcap', req, () => 'tcpcap ');
    assert.equal(hx, 'tcpcap {GET|127.0} GET 127.0 GET "GET" "127.0"');
    assert.equal(sy, hx);
  });
});
