/**
 * Hitless restarts (issue 22): `-x SOCKET` + `-sf PID` hand the listening sockets to a new
 * process while a load loop counts every request; SIGUSR1 soft stop lets an in-flight request
 * finish; `hard-stop-after` bounds it; `bind fd@N` serves an inherited socket; a Switchyard takes
 * the sockets of a running haproxy 2.6 (same `_getsocks` exchange).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { restartConfig, startLoad } from './helpers/restart-load.ts';
import { findBinary, needs, unixSocketAccepts } from './helpers/system.ts';

const tmp = tempDir();
let up: Upstream;
let slowMs = 1500;
const answered = new Set<string>();

before(async () => {
  up = await startUpstream('web', (req, res) => {
    req.resume();
    const delay = req.url?.startsWith('/slow') ? slowMs : 0;
    setTimeout(() => {
      answered.add(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    }, delay);
  });
});
after(async () => {
  await up.close();
  tmp.cleanup();
});

function config(port: number, sock: string, extraGlobal = ''): string {
  return restartConfig(port, up.port, `  stats socket ${sock} level admin expose-fd listeners\n${extraGlobal}`);
}

describe('-x / -sf handover under load', () => {
  test('4 handovers while keep-alive and new-connection clients run: every request answered 200', async () => {
    const port = await freePort();
    const sock = join(tmp.dir, 'handover.sock');
    const cfg = writeFile(tmp.dir, 'handover.cfg', config(port, sock));
    let cur: ProxyProcess = await startProxy(['-f', cfg]);
    const load = startLoad({ port, keepAlive: 4, fresh: 2 });
    const exits: Array<Promise<number | null>> = [];
    try {
      for (let i = 0; i < 4; i++) {
        const before = load.counts.sent;
        await until(() => load.counts.sent > before + 50, 20000, 'requests before the handover');
        const next = await startProxy(['-f', cfg, '-x', sock, '-sf', String(cur.proc.pid)]);
        exits.push(cur.exited);
        assert.equal(await cur.exited, 0, cur.stderr());
        assert.match(cur.stderr(), /SIGUSR1 received/);
        cur = next;
      }
      const before = load.counts.sent;
      await until(() => load.counts.sent > before + 50, 20000, 'requests after the last handover');
      // the stats socket file stayed through every handover (it is the new process's) and answers
      assert.ok(existsSync(sock));
      assert.equal((await Promise.all(exits)).length, 4);
    } finally {
      const counts = await load.stop();
      await cur.stop();
      assert.ok(counts.sent > 250, `sent ${counts.sent}`);
      assert.deepEqual(
        { failed: counts.failed, onReuse: counts.failedOnReuse, reasons: counts.reasons },
        { failed: 0, onReuse: 0, reasons: {} },
        `of ${counts.sent} requests`,
      );
      assert.equal(counts.ok, counts.sent);
    }
  });

  test('-x on a socket without expose-fd listeners: the new process stops with the reason', async () => {
    const port = await freePort();
    const sock = join(tmp.dir, 'noexpose.sock');
    const cfg = writeFile(tmp.dir, 'noexpose.cfg', config(port, sock).replace(' expose-fd listeners', ''));
    const old = await startProxy(['-f', cfg]);
    try {
      const next = await startProxy(['-f', cfg, '-x', sock], { waitReady: false });
      assert.equal(await next.exited, 1);
      assert.match(next.stderr(), /Failed to get the sockets from the old process/);
      assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200/);
    } finally {
      await old.stop();
    }
  });
});

describe('soft stop', () => {
  test('SIGUSR1: stops accepting, the in-flight slow request finishes, then exit 0', async () => {
    const port = await freePort();
    const cfg = writeFile(tmp.dir, 'soft.cfg', config(port, join(tmp.dir, 'soft.sock')));
    const p = await startProxy(['-f', cfg]);
    slowMs = 1500;
    const slow = rawRequest(port, 'GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 15000);
    await until(() => up.requests.some((r) => r.url === '/slow'), 10000, 'the slow request upstream');
    p.proc.kill('SIGUSR1');
    await p.waitFor('SIGUSR1 received');
    // no longer accepting
    await until(
      () =>
        rawRequest(port, 'GET / HTTP/1.0\r\n\r\n', 2000).then(
          () => false,
          (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
        ),
      10000,
      'refused connections',
    );
    // the runtime API socket closed at the start of the soft stop too, as haproxy's CLI listener
    await until(async () => !(await unixSocketAccepts(join(tmp.dir, 'soft.sock'))), 10000, 'stats socket closed');
    assert.equal(answered.has('/slow'), false, 'closed while the slow request was still in flight');
    assert.match(await slow, /^HTTP\/1\.1 200 [\s\S]*\r\nok\n/);
    assert.equal(await p.exited, 0);
  });

  test('hard-stop-after bounds a soft stop: a request slower than it is cut, the process exits', async () => {
    const port = await freePort();
    const cfg = writeFile(tmp.dir, 'hard.cfg', config(port, join(tmp.dir, 'hard.sock'), '  hard-stop-after 300ms'));
    const p = await startProxy(['-f', cfg]);
    slowMs = 60000;
    const slow = rawRequest(port, 'GET /slow-hard HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 120000);
    await until(() => up.requests.some((r) => r.url === '/slow-hard'), 10000, 'the slow request upstream');
    p.proc.kill('SIGUSR1');
    assert.equal(await p.exited, 0);
    assert.match(p.stderr(), /at most 300 ms/);
    // the client's connection was closed without a response (the upstream would answer in 60 s)
    assert.equal(await slow.catch(() => ''), '');
    slowMs = 1500;
  });
});

test('bind fd@N: a listening socket passed by the parent is served', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const fd = (srv as unknown as { _handle: { fd: number } })._handle.fd;
  const cfg = writeFile(
    tmp.dir,
    'fd.cfg',
    config(port, join(tmp.dir, 'fd.sock')).replace(`bind 127.0.0.1:${port}`, 'bind fd@3'),
  );
  const child = spawn(process.execPath, [BIN, '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  // this process stops accepting on its copy; the child's listener serves
  srv.close();
  try {
    await until(() => err.includes('Switchyard ready'), 30000, `ready: ${err}`);
    assert.match(err, new RegExp(`frontend 'fe' listening on 127\\.0\\.0\\.1:${port}`));
    assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('-x from haproxy 2.6 + -sf: Switchyard takes its listeners, haproxy leaves', {
  skip: needs('haproxy'),
}, async () => {
  const port = await freePort();
  const sock = join(tmp.dir, 'hx.sock');
  const cfg = writeFile(tmp.dir, 'hx.cfg', config(port, sock));
  const hx = spawn(findBinary('haproxy') as string, ['-db', '-dR', '-f', cfg], { stdio: 'ignore' });
  const hxExit = new Promise<number | null>((r) => hx.once('exit', (c) => r(c)));
  let sy: ProxyProcess | undefined;
  try {
    await until(() =>
      rawRequest(port, 'GET / HTTP/1.0\r\n\r\n', 2000).then(
        (r) => r.startsWith('HTTP/1.1 200'),
        () => false,
      ),
    );
    const load = startLoad({ port, keepAlive: 2, fresh: 1 });
    await until(() => load.counts.sent > 50, 20000, 'requests to haproxy');
    sy = await startProxy(['-f', cfg, '-x', sock, '-sf', String(hx.pid)]);
    assert.equal(await hxExit, 0);
    const before = load.counts.sent;
    await until(() => load.counts.sent > before + 50, 20000, 'requests to switchyard');
    const counts = await load.stop();
    // haproxy closes its idle keep-alive connections at once on a soft stop (no retry here): those
    // requests may fail; the new connections after it must not
    assert.ok(counts.failed === counts.failedOnReuse, JSON.stringify(counts));
    assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200/);
    assert.match(sy.stderr(), new RegExp(`listening on 127\\.0\\.0\\.1:${port}`));
  } finally {
    hx.kill('SIGKILL');
    await sy?.stop();
  }
});
