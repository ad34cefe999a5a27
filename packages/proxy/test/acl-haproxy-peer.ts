/**
 * Runs the real HAProxy (the reference peer) on loopback for differential tests: writes a
 * config, starts `haproxy -db -f`, waits until it listens, and sends raw HTTP/1.1 requests.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback TCP port (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RawResponse {
  status: number;
  body: string;
  headers: string;
}

/** Sends one raw request (Connection: close) and reads the whole response. */
export function rawRequest(port: number, text: string, localAddress = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, localAddress });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('request timed out'));
    }, 20000);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      const split = raw.indexOf('\r\n\r\n');
      resolve({
        status: m ? Number(m[1]) : 0,
        headers: split < 0 ? raw : raw.slice(0, split),
        body: split < 0 ? '' : raw.slice(split + 4),
      });
    });
    sock.write(text);
  });
}

/** A running HAProxy; stop() kills it (by pid) and removes its files. */
export interface HaproxyPeer {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy with `body` (sections after global/defaults; `@PORT@` is replaced by the
 * frontend port). Throws with HAProxy's own messages when the config does not load.
 */
export async function startHaproxy(body: string): Promise<HaproxyPeer> {
  // the free port can be taken by a parallel test before HAProxy binds it: try a few ports
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(body);
    } catch (e) {
      if (attempt >= 3 || !/cannot bind|Address already in use|did not listen/i.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(body: string): Promise<HaproxyPeer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sy-hap-'));
  const cfg = join(dir, 'haproxy.cfg');
  const text = [
    'global',
    '  maxconn 200',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 20s',
    '  timeout server 20s',
    body.replaceAll('@PORT@', String(port)),
    '',
  ].join('\n');
  writeFileSync(cfg, text);
  const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy -c failed:\n${check.stdout}${check.stderr}`);
  }
  const child: ChildProcess = spawn('haproxy', ['-db', '-dR', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // poll until it accepts connections
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited: ${stderr}`);
    }
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not listen on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop };
}
