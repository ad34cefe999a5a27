/**
 * `show sess`, `show sess ID`, `show sess all` and `shutdown session ID` against Debian's
 * haproxy 2.6 on the same configuration: a client holds a request on a server that never
 * answers; both list the stream with the same fields in the same order (values of HAProxy's
 * internals aside), dump the same head lines, and `shutdown session` closes the client.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { freePort, tempDir, until } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

/** A server that reads requests and never answers. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const srv = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** Opens a client that sends one request and waits; resolves `closed` when the proxy closes it. */
function holdRequest(port: number): { sock: Socket; closed: Promise<string> } {
  const sock = tcpConnect(port, '127.0.0.1');
  let got = '';
  sock.on('data', (d) => {
    got += d.toString('latin1');
  });
  sock.on('error', () => {});
  const closed = new Promise<string>((r) => sock.on('close', () => r(got)));
  sock.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n');
  return { sock, closed };
}

/** The keys of a `show sess` line or a dump line, in order (values dropped). */
const keys = (l: string) => [...l.matchAll(/(?:^|[ ,[(])([a-z_.]+)[=:]/g)].map((m) => m[1]).join(' ');

test('show sess / show sess ID / shutdown session as haproxy 2.6', {
  skip: needs('haproxy'),
  timeout: 90_000,
}, async (t) => {
  const up = await silentServer();
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const ports = { sy: await freePort(), hx: await freePort() };
  const pair = await startSideBySide(
    tmp.dir,
    (side) => `global
  stats socket ${tmp.dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${ports[side]}
  default_backend be
backend be
  server s1 127.0.0.1:${up.port}
`,
  );
  t.after(() => pair.stop());
  const h = { port: ports.hx, sock: `${tmp.dir}/hx.sock` };
  const s = { port: ports.sy, sock: `${tmp.dir}/sy.sock` };

  const theirs = holdRequest(h.port);
  const ours = holdRequest(s.port);
  t.after(() => {
    theirs.sock.destroy();
    ours.sock.destroy();
  });
  const streamLine = async (sock: string) => {
    let line = '';
    await until(
      async () => {
        line = (await cliQuery({ path: sock }, 'show sess')).split('\n').find((l) => / fe=fe .*srv=s1 /.test(l)) ?? '';
        return line !== '';
      },
      10_000,
      `a stream on s1 in show sess (${sock})`,
    );
    return line;
  };
  const hl = await streamLine(h.sock);
  const sl = await streamLine(s.sock);
  assert.equal(keys(sl), keys(hl), `${sl}\n${hl}`);
  const fields = (l: string) =>
    /^(0x[0-9a-f]+): proto=(\S+) src=127\.0\.0\.1:\d+ fe=(\S+) be=(\S+) srv=(\S+) /.exec(l)?.slice(2);
  assert.deepEqual(fields(sl), fields(hl));

  // the detailed dump: the same head lines (stream, flags, frontend, backend, server, task, txn)
  const hp = hl.slice(0, hl.indexOf(':'));
  const sp = sl.slice(0, sl.indexOf(':'));
  const hd = (await cliQuery({ path: h.sock }, `show sess ${hp}`)).split('\n');
  const sd = (await cliQuery({ path: s.sock }, `show sess ${sp}`)).split('\n');
  for (let i = 0; i < 7; i++) {
    // haproxy prints the backend side's local address; Switchyard does not know it
    const strip = (l: string) => (/^ {2}backend=/.test(l) ? l.replace(/ addr=\S+$/, '') : l);
    assert.equal(keys(strip(sd[i])), keys(strip(hd[i])), `line ${i}:\n${sd[i]}\n${hd[i]}`);
  }
  assert.match(
    sd[0],
    new RegExp(
      `^${sp}: \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\] id=\\d+ proto=tcpv4 source=127\\.0\\.0\\.1:\\d+$`,
    ),
  );
  assert.equal(
    sd[2].replace(/addr=.*/, ''),
    hd[2].replace(/addr=.*/, '').replace(/id=\d+/, `id=${/id=(\d+)/.exec(sd[2])?.[1]}`),
  );
  assert.match(sd[4], new RegExp(`^ {2}server=s1 \\(id=1\\) addr=127\\.0\\.0\\.1:${up.port}$`));
  assert.match(sd[6], /^ {2}txn=0x[0-9a-f]+ flags=0x0 meth=1 status=-1 req\.st=MSG_DONE rsp\.st=MSG_RPBEFORE /);
  assert.match(hd[6], /^ {2}txn=0x[0-9a-f]+ flags=0x\w+ meth=1 status=-1 req\.st=MSG_DONE rsp\.st=MSG_RPBEFORE /);
  const all = await cliQuery({ path: s.sock }, 'show sess all');
  assert.ok(all.startsWith(`${sp}: [`), all);

  // replies to bad or unknown ids are haproxy's
  for (const cmd of ['show sess 0x1234', 'shutdown session', 'shutdown session 0x1234', 'shutdown session abc']) {
    assert.equal(await cliQuery({ path: s.sock }, cmd), await cliQuery({ path: h.sock }, cmd), cmd);
  }
  // shutdown session: the client's connection is closed, the stream is gone
  assert.equal(await cliQuery({ path: s.sock }, `shutdown session ${sp}`), '\n');
  assert.equal(await cliQuery({ path: h.sock }, `shutdown session ${hp}`), '\n');
  await Promise.all([ours.closed, theirs.closed]);
  assert.equal(await cliQuery({ path: s.sock }, `show sess ${sp}`), 'Session not found.\n\n');
  await until(async () => !(await cliQuery({ path: s.sock }, 'show sess')).includes(sp), 5000, 'stream gone');
});
