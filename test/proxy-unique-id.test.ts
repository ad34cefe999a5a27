/**
 * `unique-id-format`, `unique-id-header`, `%ID` and the `unique-id` fetch, side by side with
 * Debian's haproxy 2.6 on the same configuration: the header the server gets, the log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, rawRequest, tempDir, until } from './helpers/proxy.ts';
import { type LoggedSideBySide, startLoggedSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
const port: Record<'sy' | 'hx', { hexid: number; exact: number }> = {
  sy: { hexid: 0, exact: 0 },
  hx: { hexid: 0, exact: 0 },
};
let pair: LoggedSideBySide | undefined;
let messages: string[] = [];

function config(side: 'sy' | 'hx', syslog: number, upstream: number): string {
  return `global
  log 127.0.0.1:${syslog} local3 info
${side === 'hx' ? `  stats socket ${tmp.dir}/hx.sock\n` : ''}defaults
  mode http
  log global
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend hexid
  bind 127.0.0.1:${port[side].hexid}
  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt
  unique-id-header X-Unique-ID
  http-request set-header X-Fetched %[unique-id]
  log-format "${side} hexid id=%ID q=%{+Q}ID p=%HP"
  default_backend be
frontend exact
  bind 127.0.0.1:${port[side].exact}
  unique-id-format %[req.hdr(x-req)]-%b
  unique-id-header X-Req-Id
  log-format "${side} exact id=%ID p=%HP"
  use_backend be2 if { path_beg /two }
  default_backend be
backend be
  server s1 127.0.0.1:${upstream}
backend be2
  server s1 127.0.0.1:${upstream}
`;
}

/** Sends `path` to one side's frontend; returns the request the server got and the log line. */
async function exchange(side: 'sy' | 'hx', fe: 'hexid' | 'exact', path: string, extra = '') {
  const up = (pair as LoggedSideBySide).up;
  const before = up.requests.length;
  const res = await rawRequest(port[side][fe], `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}Connection: close\r\n\r\n`);
  assert.match(res, /^HTTP\/1\.1 200/, `${side}: ${res}`);
  assert.equal(up.requests.length, before + 1);
  const got = up.requests[before];
  const tag = `${side} ${fe} `;
  await until(() => messages.some((m) => m.includes(tag) && m.includes(` p=${path}`)), 10000, `${side} log line`);
  const line = messages.find((m) => m.includes(tag) && m.includes(` p=${path}`)) as string;
  return { got, line: line.slice(line.indexOf(tag)).trimEnd() };
}

before(async () => {
  if (skip) return;
  for (const side of ['sy', 'hx'] as const) port[side] = { hexid: await freePort(), exact: await freePort() };
  pair = await startLoggedSideBySide(tmp.dir, config);
  messages = pair.messages;
});

after(async () => {
  await pair?.stop();
  tmp.cleanup();
});

describe('unique-id-format (differential with haproxy 2.6)', { skip }, () => {
  test('%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt: same shape in the header, the unique-id fetch and %ID', async () => {
    for (const side of ['sy', 'hx'] as const) {
      const { got, line } = await exchange(side, 'hexid', `/hex-${side}`);
      const id = got.headers['x-unique-id'] as string;
      const fp = port[side].hexid.toString(16).toUpperCase().padStart(4, '0');
      assert.match(id, new RegExp(`^7F000001:[0-9A-F]{4}_7F000001:${fp}_[0-9A-F]{8}_[0-9A-F]{4}$`), side);
      const ts = Number.parseInt(id.split('_')[2], 16);
      assert.ok(Math.abs(ts - Date.now() / 1000) < 10, `${side}: %Ts ${ts}`);
      assert.equal(got.headers['x-fetched'], id, `${side}: unique-id fetch`);
      // the header is added after the rules' own (set-header X-Fetched), at the end
      // (the proxies' own connection header aside)
      const names = got.rawHeaders
        .filter((_v, i) => i % 2 === 0)
        .map((n) => n.toLowerCase())
        .filter((n) => n !== 'connection');
      assert.deepEqual(names.slice(-2), ['x-fetched', 'x-unique-id'], side);
      assert.equal(line, `${side} hexid id=${id} q="${id}" p=/hex-${side}`);
    }
  });

  test('%[req.hdr(x-req)]-%b: the exact id, with the backend chosen; a missing header as haproxy prints it', async () => {
    const missing: Record<string, unknown> = {};
    for (const side of ['sy', 'hx'] as const) {
      const two = await exchange(side, 'exact', `/two-${side}`, 'X-Req: abc\r\n');
      assert.equal(two.got.headers['x-req-id'], 'abc-be2', side);
      assert.equal(two.line, `${side} exact id=abc-be2 p=/two-${side}`);
      const none = await exchange(side, 'exact', `/none-${side}`);
      missing[side] = none.got.headers['x-req-id'];
      assert.equal(none.line, `${side} exact id=${missing[side]} p=/none-${side}`);
    }
    assert.equal(missing.sy, missing.hx);
  });
});
