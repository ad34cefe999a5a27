/** Hard stop (SIGTERM, compared with haproxy), graceful stop, reload on SIGHUP (good and bad configurations), pid file. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import {
  defaults,
  freePort,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { findBinary, needs } from './helpers/system.ts';

/** True when something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('SIGINT: stops accepting, finishes the in-flight request, exits 0, removes the pid file', async (t) => {
  const slow = await startUpstream('slow', (req, res) => {
    req.resume();
    setTimeout(() => res.end('finished\n'), 1500);
  });
  const tmp = tempDir();
  t.after(async () => {
    await slow.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const pidfile = `${tmp.dir}/sy.pid`;
  const cfg = writeFile(
    tmp.dir,
    'stop.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${slow.port}\n`,
  );
  const px = await startProxy(['-f', cfg, '-p', pidfile]);
  t.after(() => px.stop('SIGKILL'));
  assert.equal(readFileSync(pidfile, 'utf8'), `${px.proc.pid}\n`);
  const inflight = request(`http://127.0.0.1:${port}/slow`);
  await until(() => slow.requests.length === 1, 10000, 'request at the server');
  px.proc.kill('SIGINT');
  await px.waitFor('SIGINT received');
  await until(async () => !(await accepts(port)), 5000, 'listener closed');
  const r = await inflight;
  assert.equal(r.statusCode, 200);
  assert.equal(await r.body.text(), 'finished\n');
  assert.equal(await px.exited, 0);
  assert.equal(existsSync(pidfile), false);
});

/** Sends SIGTERM while one request waits at a slow server; returns how the client saw it end. */
async function inflightAtSigterm(slow: Upstream, port: number, proc: ChildProcess): Promise<string> {
  const before = slow.requests.length;
  const inflight = rawRequest(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 8000).then(
    (r) => (r === '' ? 'closed without an answer' : r.split('\r\n')[0]),
    (e: Error) => `error: ${e.message}`,
  );
  await until(() => slow.requests.length > before, 10000, 'request at the server');
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
  return inflight;
}

test('SIGTERM: a hard stop as haproxy 2.6 (the in-flight request is cut, the process exits at once)', async (t) => {
  const slow = await startUpstream('slow', (req, res) => {
    req.resume();
    setTimeout(() => res.end('finished\n'), 4000);
  });
  const tmp = tempDir();
  t.after(async () => {
    await slow.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'term.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${slow.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop('SIGKILL'));
  const ours = await inflightAtSigterm(slow, port, px.proc);
  assert.equal(ours, 'closed without an answer');
  const skip = needs('haproxy');
  if (skip) return t.diagnostic(skip);
  const hxPort = await freePort();
  const hxCfg = writeFile(
    tmp.dir,
    'hx.cfg',
    `defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\nfrontend fe\n  bind 127.0.0.1:${hxPort}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${slow.port}\n`,
  );
  const hx = spawn(findBinary('haproxy') as string, ['-db', '-dR', '-f', hxCfg], { stdio: 'ignore' });
  t.after(() => {
    if (hx.exitCode === null && hx.signalCode === null) hx.kill('SIGKILL');
  });
  await until(() => accepts(hxPort), 10000, 'haproxy listening');
  assert.equal(await inflightAtSigterm(slow, hxPort, hx), ours);
});

test('SIGHUP reload: new servers and binds take effect; a bad configuration keeps the old one', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  t.after(async () => {
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const port2 = await freePort();
  const config = (server: number, extra = '') =>
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n${extra}  default_backend be\nbackend be\n  server s 127.0.0.1:${server}\n`;
  const cfg = writeFile(tmp.dir, 'reload.cfg', config(a.port));
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const upstreamOf = async (p = port) => {
    const res = await rawRequest(p, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    return /x-upstream: (\w+)/i.exec(res)?.[1];
  };
  assert.equal(await upstreamOf(), 'a');

  writeFile(tmp.dir, 'reload.cfg', config(b.port, `  bind 127.0.0.1:${port2}\n`));
  px.proc.kill('SIGHUP');
  await px.waitFor('reload complete.');
  assert.equal(await upstreamOf(), 'b');
  assert.equal(await upstreamOf(port2), 'b');

  writeFile(tmp.dir, 'reload.cfg', `${config(a.port)}\n  not_a_keyword here\n`);
  px.proc.kill('SIGHUP');
  await px.waitFor('reload failed');
  assert.match(px.stderr(), /reload\.cfg:\d+: .*not_a_keyword/);
  assert.equal(await upstreamOf(), 'b', 'the previous configuration still serves');

  writeFile(tmp.dir, 'reload.cfg', config(a.port));
  px.proc.kill('SIGHUP');
  await until(() => px.stderr().split('reload complete.').length === 3, 20000, 'second reload');
  assert.equal(await upstreamOf(), 'a');
  await until(async () => !(await accepts(port2)), 5000, 'removed bind closed');
  assert.equal(await px.stop(), 0);
});

test('hard-stop-after bounds the drain: a request still running is cut, exit 0; SIGUSR2 reloads like SIGHUP', async (t) => {
  const slow = await startUpstream('slow', (req, res) => {
    req.resume();
    const timer = setTimeout(() => res.end('too late\n'), 20000);
    res.on('close', () => clearTimeout(timer));
  });
  const tmp = tempDir();
  t.after(async () => {
    await slow.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'hard.cfg',
    `global\n  hard-stop-after 500ms\n${defaults().replace(/^global\n/, '')}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  timeout server 60s\n  server s 127.0.0.1:${slow.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop('SIGKILL'));
  px.proc.kill('SIGUSR2');
  await px.waitFor('reload complete.');
  const inflight = rawRequest(port, 'GET /forever HTTP/1.1\r\nHost: x\r\n\r\n', 30000);
  await until(() => slow.requests.length === 1, 10000, 'request at the server');
  px.proc.kill('SIGINT');
  await px.waitFor('at most 500 ms');
  assert.equal(await px.exited, 0);
  assert.equal(await inflight, '', 'the unfinished request was cut when the grace period ended');
});
