/**
 * Starts the real haproxy 2.6 with the same farm as sampleRuntime() (test/helpers/runtime.ts)
 * on a Unix stats socket, so tests compare Switchyard's replies with HAProxy's own.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliQuery } from './socket.ts';

export interface RefHaproxy {
  sock: string;
  /** Ports of the `web` frontend and the `stats` listener. */
  ports: { web: number; stats: number };
  query(cmd: string): Promise<string>;
  stop(): Promise<void>;
}

/** Runs `haproxy -f` in the foreground with a stats socket; servers point at closed ports. */
export async function startRefHaproxy(extra = '', opts: { extraSockets?: string } = {}): Promise<RefHaproxy> {
  const [p1, p2] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'sy-ref-'));
  const sock = join(dir, 'admin.sock');
  const cfg = `global
  maxconn 4000
  stats socket ${sock} mode 600 level admin
${opts.extraSockets ?? ''}defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend web
  bind 127.0.0.1:${p1}
  stats enable
  stats uri /admin?stats
  default_backend app
backend app
  server s1 127.0.0.1:1 check inter 60s
  server s2 127.0.0.1:2 weight 50
  server s3 127.0.0.1:3 backup disabled
listen stats
  bind 127.0.0.1:${p2}
  stats enable
  stats uri /
${extra}`;
  writeFileSync(join(dir, 'h.cfg'), cfg);
  const child = spawn('haproxy', ['-db', '-dR', '-f', join(dir, 'h.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 20_000;
  while (!existsSync(sock)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`haproxy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    sock,
    ports: { web: p1, stats: p2 },
    query: (cmd) => cliQuery({ path: sock }, cmd),
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback TCP port free right now (haproxy refuses `bind :0`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
