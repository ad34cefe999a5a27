/**
 * WebSocket over HTTP/2 (RFC 8441 extended CONNECT) from clients to an HTTP/1 WebSocket server:
 * SETTINGS_ENABLE_CONNECT_PROTOCOL announced, `:protocol websocket` answered 200 once the server
 * switched protocols, WebSocket frames both ways on the stream, the close handshake; node's
 * http2 client against Switchyard and against haproxy 2.6 on the same configuration.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  createServer as createH2Server,
  type Http2Server,
} from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { defaults, freePort, rawRequest, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { waitForPort } from './helpers/servers.ts';
import { type SideBySide, startSideBySide } from './helpers/side-by-side.ts';
import { needs, startHaproxyProcess } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
let ws: Server;
let pair: SideBySide;
const ports = { sy: 0, hx: 0 };
/** HTTP/1 binds of each side (WebSocket clients to the HTTP/2 server). */
const h1Ports = { sy: 0, hx: 0 };
let h2ws: Http2Server;
/** An HTTP/2 server without SETTINGS_ENABLE_CONNECT_PROTOCOL. */
let h2plain: Http2Server;
/** Handshake fields the WebSocket server saw, by path. */
const handshakes = new Map<string, Record<string, string | string[] | undefined>>();

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One WebSocket frame (FIN set); masked as a client sends it, or not as a server does. */
function wsFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const head = [0x80 | opcode, (mask ? 0x80 : 0) | payload.length];
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Frames in `buf` (payloads under 126 bytes): [opcode, payload] each, unmasked. */
function wsRead(buf: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const op = buf[i] & 0x0f;
    const masked = (buf[i + 1] & 0x80) !== 0;
    const len = buf[i + 1] & 0x7f;
    const start = i + 2 + (masked ? 4 : 0);
    if (start + len > buf.length) break;
    let p = buf.subarray(start, start + len);
    if (masked) {
      const key = buf.subarray(i + 2, i + 6);
      p = Buffer.from(p.map((b, j) => b ^ key[j % 4]));
    }
    out.push([op, p]);
    i = start + len;
  }
  return out;
}

before(async () => {
  if (skip) return;
  // an HTTP/1 WebSocket echo server: text frames come back as "echo: ...", close is answered
  ws = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  ws.on('upgrade', (req, sock: Socket) => {
    handshakes.set(req.url ?? '', { ...req.headers });
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64');
    sock.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
    );
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const frames = wsRead(buf);
      if (frames.length === 0) return;
      buf = Buffer.alloc(0);
      for (const [op, p] of frames) {
        if (op === 1) sock.write(wsFrame(1, Buffer.concat([Buffer.from('echo: '), p]), false));
        if (op === 8) {
          sock.end(wsFrame(8, p, false));
        }
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => ws.listen(0, '127.0.0.1', r));
  const wsPort = (ws.address() as { port: number }).port;
  // an HTTP/2 WebSocket server (RFC 8441): the same echo on the extended CONNECT's stream
  h2ws = createH2Server({ settings: { enableConnectProtocol: true } });
  h2ws.on('stream', (st, headers) => {
    st.on('error', () => {});
    handshakes.set(`h2 ${headers[':path']}`, { ...headers });
    st.respond({ ':status': 200 });
    st.on('data', (d: Buffer) => {
      for (const [op, p] of wsRead(d)) {
        if (op === 1) st.write(wsFrame(1, Buffer.concat([Buffer.from('h2 echo: '), p]), false));
        if (op === 8) st.end(wsFrame(8, p, false));
      }
    });
  });
  await new Promise<void>((r) => h2ws.listen(0, '127.0.0.1', r));
  h2plain = createH2Server();
  h2plain.on('stream', (st) => {
    st.on('error', () => {});
    st.respond({ ':status': 200 });
    st.end('plain');
  });
  await new Promise<void>((r) => h2plain.listen(0, '127.0.0.1', r));
  const h2plainPort = (h2plain.address() as { port: number }).port;
  const h2wsPort = (h2ws.address() as { port: number }).port;
  for (const side of ['sy', 'hx'] as const) {
    ports[side] = await freePort();
    h1Ports[side] = await freePort();
  }
  pair = await startSideBySide(
    tmp.dir,
    (side) => `global
  log stdout format raw local0
${side === 'hx' ? `  stats socket ${tmp.dir}/hx.sock level admin\n` : ''}defaults
  mode http
  log global
  log-format "LOG %HM %HU %ST U=%U B=%B"
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  timeout tunnel 10s
frontend fe
  bind 127.0.0.1:${ports[side]} proto h2
  bind 127.0.0.1:${h1Ports[side]}
  http-request set-header x-upgrade-seen %[req.hdr(upgrade)]
  use_backend ws3 if { path_beg /plain }
  use_backend ws2 if { path_beg /h2 }
  default_backend ws
backend ws
  server s1 127.0.0.1:${wsPort}
backend ws2
  server s1 127.0.0.1:${h2wsPort} proto h2
backend ws3
  server s1 127.0.0.1:${h2plainPort} proto h2
`,
  );
});

after(async () => {
  await pair?.stop();
  ws?.closeAllConnections();
  ws?.close();
  h2ws?.close();
  h2plain?.close();
  tmp.cleanup();
});

async function session(port: number): Promise<ClientHttp2Session> {
  const c = connect(`http://127.0.0.1:${port}`);
  c.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    c.once('remoteSettings', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/** Opens a WebSocket over HTTP/2 on `c`: the stream, its response status and the bytes it gets. */
async function openWs(
  c: ClientHttp2Session,
  path: string,
): Promise<{ st: ClientHttp2Stream; status: number; got: () => Buffer }> {
  const st = c.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'http',
    ':path': path,
    ':authority': 'ws.example',
    'sec-websocket-version': '13',
  });
  let got = Buffer.alloc(0);
  st.on('data', (d: Buffer) => {
    got = Buffer.concat([got, d]);
  });
  st.on('error', () => {});
  const status = await new Promise<number>((resolve, reject) => {
    st.once('response', (h) => resolve(Number(h[':status'])));
    st.once('close', () => reject(new Error(`stream closed (rst ${st.rstCode})`)));
  });
  return { st, status, got: () => got };
}

describe('WebSocket over HTTP/2 (RFC 8441) to an HTTP/1 server, beside haproxy 2.6', { skip }, () => {
  for (const side of ['sy', 'hx'] as const) {
    test(`${side}: extended CONNECT is announced, answered 200, frames go both ways, close is answered`, async () => {
      const c = await session(ports[side]);
      try {
        assert.equal(c.remoteSettings.enableConnectProtocol, true, 'SETTINGS_ENABLE_CONNECT_PROTOCOL');
        const path = `/chat-${side}`;
        const w = await openWs(c, path);
        assert.equal(w.status, 200);
        // the server saw an HTTP/1 upgrade with a key made for it
        const h = handshakes.get(path) ?? {};
        assert.equal(String(h.upgrade).toLowerCase(), 'websocket');
        assert.match(String(h.connection), /upgrade/i);
        assert.match(String(h['sec-websocket-key']), /^[A-Za-z0-9+/]{22}==$/);
        assert.equal(h['sec-websocket-version'], '13');
        assert.equal(h['x-upgrade-seen'], 'websocket', 'req.hdr(upgrade) in the rules');
        w.st.write(wsFrame(1, Buffer.from('hello'), true));
        await until(() => wsRead(w.got()).length >= 1, 5000, `${side}: the echo`);
        assert.deepEqual(
          wsRead(w.got()).map(([op, p]) => [op, p.toString()]),
          [[1, 'echo: hello']],
        );
        w.st.write(wsFrame(1, Buffer.from('again'), true));
        await until(() => wsRead(w.got()).length >= 2, 5000, `${side}: the second echo`);
        // the close handshake: the server's close frame arrives, then the stream ends
        w.st.write(wsFrame(8, Buffer.from([3, 232]), true));
        await until(() => wsRead(w.got()).some(([op]) => op === 8), 5000, `${side}: the server's close frame`);
        await until(() => w.st.closed || w.st.readableEnded, 5000, `${side}: the stream ends`);
        // the tunnel's bytes are counted with the stream's (3 client frames of 11, 11 and 8
        // bytes; 3 server frames of 13, 13 and 4)
        const log = side === 'sy' ? () => pair.sy.stdout() : () => pair.hx.log();
        const re = new RegExp(`LOG GET \\S+${path} (\\d+) U=(\\d+) B=(\\d+)`);
        await until(() => re.test(log()), 5000, `${side}: the log line\n${log()}`);
        const [, , u, b] = re.exec(log()) as RegExpExecArray;
        assert.ok(Number(u) >= 30 && Number(b) >= 30, `${side}: U=${u} B=${b}`);
      } finally {
        c.close();
      }
    });
  }

  test('h2-workaround-bogus-websocket-clients: the setting is not announced, as with haproxy 2.6', async () => {
    const bogus = (port: number) => `global
  h2-workaround-bogus-websocket-clients
${defaults()}frontend fe
  bind 127.0.0.1:${port} proto h2
  default_backend ws
backend ws
  server s1 127.0.0.1:1
`;
    const [syPort, hxPort] = [await freePort(), await freePort()];
    const px = await startProxy(['-f', writeFile(tmp.dir, 'bogus-sy.cfg', bogus(syPort))]);
    const hx = await startHaproxyProcess(writeFile(tmp.dir, 'bogus-hx.cfg', bogus(hxPort)), () =>
      waitForPort(hxPort, 100).then(
        () => true,
        () => false,
      ),
    );
    try {
      for (const port of [syPort, hxPort]) {
        const c = await session(port);
        assert.notEqual(c.remoteSettings.enableConnectProtocol, true, `port ${port}`);
        c.close();
      }
    } finally {
      await px.stop();
      await hx.stop();
    }
  });

  for (const side of ['sy', 'hx'] as const) {
    test(`${side}: an HTTP/1 WebSocket client reaches an HTTP/2 server by extended CONNECT`, async () => {
      const sock = netConnect(h1Ports[side], '127.0.0.1');
      let got = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
      });
      sock.on('error', () => {});
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      sock.write(
        `GET /h2-chat-${side} HTTP/1.1\r\nhost: ws.example\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
          `sec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`,
      );
      try {
        await until(() => got.includes('\r\n\r\n'), 5000, `${side}: the 101`);
        const end = got.indexOf('\r\n\r\n') + 4;
        const head = got.subarray(0, end).toString('latin1');
        assert.match(head, /^HTTP\/1\.1 101/);
        assert.match(head, /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
        assert.match(head, /\r\nupgrade: websocket\r\n/i);
        const h = handshakes.get(`h2 /h2-chat-${side}`) ?? {};
        assert.equal(h[':method'], 'CONNECT');
        assert.equal(h[':protocol'], 'websocket');
        sock.write(wsFrame(1, Buffer.from('hi'), true));
        await until(() => wsRead(got.subarray(end)).length >= 1, 5000, `${side}: the echo`);
        assert.deepEqual(
          wsRead(got.subarray(end)).map(([op, p]) => [op, p.toString()]),
          [[1, 'h2 echo: hi']],
        );
      } finally {
        sock.destroy();
      }
    });
  }

  test('an HTTP/2 server without extended CONNECT: the upgrade fails the same way on both sides (502)', async () => {
    const status: Record<string, string> = {};
    for (const side of ['sy', 'hx'] as const) {
      const out = await rawRequest(
        h1Ports[side],
        'GET /plain HTTP/1.1\r\nhost: ws.example\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
          'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
        3000,
      );
      status[side] = out.slice(0, 12);
    }
    assert.equal(status.sy, status.hx, JSON.stringify(status));
    assert.equal(status.sy, 'HTTP/1.1 502');
  });
});
