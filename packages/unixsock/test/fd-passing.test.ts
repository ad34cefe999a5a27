import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { findBinary, needs } from '../../../test/helpers/system.ts';
import { ADDON_PATH, closeFd, fetchListeningSockets, sendListeningSockets, socketInfo } from '../src/index.ts';

function listening(server: Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve) => server.listen(...(args as [number]), () => resolve()));
}

/** `_getsocks` from another thread (the call blocks, and this thread answers it). */
function fetchInWorker(path: string): Promise<number[]> {
  const w = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const addon = require(workerData.addon);
     try { parentPort.postMessage(addon.getSocks(workerData.path, 2000)); }
     catch (e) { parentPort.postMessage(String(e.message)); }`,
    { eval: true, workerData: { addon: ADDON_PATH, path } },
  );
  return new Promise((resolve, reject) =>
    w.once('message', (m) => (Array.isArray(m) ? resolve(m) : reject(new Error(m)))),
  );
}

test('_getsocks: listening sockets cross a unix socket and keep accepting in their new owner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unixsock-fd-'));
  const a = createServer((c) => c.end('from-a'));
  const b = createServer((c) => c.end('from-b'));
  await listening(a, 0, '127.0.0.1');
  await listening(b, 0, '::1');
  const fdOf = (s: Server) => (s as unknown as { _handle: { fd: number } })._handle.fd;
  const cli = createServer((conn) => {
    conn.once('data', (d) => {
      assert.equal(d.toString(), '_getsocks\n');
      const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
      assert.equal(sendListeningSockets(fd, [fdOf(a), fdOf(b)]), 0);
      conn.destroy();
    });
  });
  const path = join(dir, 'cli.sock');
  await listening(cli, path);
  try {
    const fds = await fetchInWorker(path);
    assert.equal(fds.length, 2);
    const infos = fds.map(socketInfo);
    const pa = (a.address() as { port: number }).port;
    const pb = (b.address() as { port: number }).port;
    assert.deepEqual(infos[0], { family: 'inet', address: '127.0.0.1', port: pa, stream: true, listening: true });
    assert.equal(infos[1].family, 'inet6');
    assert.equal(infos[1].address, '::1');
    assert.equal(infos[1].port, pb);
    // the first owner closes its copy; the adopted one accepts
    await new Promise((r) => a.close(r));
    const adopted = createServer((c) => c.end('adopted'));
    await listening(adopted, { fd: fds[0] });
    const got = await new Promise<string>((resolve, reject) => {
      const c = connect(pa, '127.0.0.1');
      let s = '';
      c.on('data', (x) => {
        s += x;
      });
      c.on('close', () => resolve(s));
      c.on('error', reject);
    });
    assert.equal(got, 'adopted');
    adopted.close();
    closeFd(fds[1]);
    // a socket that is not a socket
    assert.throws(() => socketInfo(987654), /EBADF/);
  } finally {
    b.close();
    cli.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('_getsocks against haproxy 2.6: its listeners arrive, with its stats socket', {
  skip: needs('haproxy'),
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unixsock-hx-'));
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const sock = join(dir, 'hx.sock');
  const cfg = join(dir, 'hx.cfg');
  writeFileSync(
    cfg,
    `global\n  stats socket ${sock} level admin expose-fd listeners\ndefaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\nfrontend fe\n  bind 127.0.0.1:${port}\n  http-request return status 200\n`,
  );
  const hx = spawn(findBinary('haproxy') as string, ['-db', '-f', cfg], { stdio: 'ignore' });
  try {
    let fds: number[] = [];
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        fds = fetchListeningSockets(sock);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const infos = fds.map(socketInfo);
    assert.ok(
      infos.some((i) => i.family === 'inet' && i.address === '127.0.0.1' && i.port === port && i.listening),
      JSON.stringify(infos),
    );
    assert.ok(infos.some((i) => i.family === 'unix' && i.listening));
    for (const fd of fds) closeFd(fd);
  } finally {
    hx.kill('SIGTERM');
    await new Promise((r) => hx.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
