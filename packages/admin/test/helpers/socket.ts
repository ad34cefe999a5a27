/** Small clients for the runtime API in tests: one-shot queries and interactive sessions. */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export type Target = { path: string } | { host: string; port: number };

function open(t: Target): Socket {
  return 'path' in t ? connect(t.path) : connect(t.port, t.host);
}

/** Sends `cmd` + newline, half-closes, and returns everything until the server closes. */
export function cliQuery(t: Target, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = open(t);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.setTimeout(15_000, () => s.destroy(new Error('cli query timed out')));
    s.end(`${cmd}\n`);
  });
}

/** An interactive session: send lines and read up to the next `> ` prompt. */
export async function cliSession(t: Target) {
  const s = open(t);
  s.setEncoding('utf8');
  let buf = '';
  let closed = false;
  const waiters: Array<() => void> = [];
  s.on('data', (d: string) => {
    buf += d;
    for (const w of waiters.splice(0)) w();
  });
  s.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  s.on('error', () => {});
  await new Promise<void>((r, j) => {
    s.once('connect', () => r());
    s.once('error', j);
  });
  return {
    /** Sends a line and resolves with the output up to and including the prompt. */
    async send(line: string): Promise<string> {
      s.write(`${line}\n`);
      const deadline = Date.now() + 15_000;
      while (!buf.endsWith('> ') && !closed) {
        if (Date.now() > deadline) throw new Error(`no prompt after ${line}: ${JSON.stringify(buf)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      const out = buf;
      buf = '';
      return out;
    },
    get closed() {
      return closed;
    },
    async waitClosed(): Promise<void> {
      const deadline = Date.now() + 15_000;
      while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
    close() {
      s.destroy();
    },
  };
}

/** Runs the real `socat stdio ADDRESS` with `input` on stdin (asynchronously: the server may be in this process). */
export function socat(address: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('socat', ['stdio', address], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`socat exited ${code}: ${err}`));
    });
    p.stdin.end(input);
  });
}

/** Waits (up to 10 s) until a runtime API socket at `path` answers. */
export async function waitCliSocket(path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await cliQuery({ path }, 'show version');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no socket at ${path}`);
}
