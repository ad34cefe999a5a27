/**
 * The master CLI (`-S BIND[,mode,OCTAL]`), as HAProxy 2.6's: `show proc` in its layout, `reload`,
 * `show version`, `help`, `prompt` (prompt `master> `), `quit`, and `@N CMD` / `@!PID CMD` /
 * `@master CMD` to run a runtime API command in a worker (through its channel socket) or here.
 * Without `prompt` one line is read and the connection closes, as on the stats socket.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseAddress } from '@switchyard/config';
import type { WorkerProc } from './master.ts';

/** Where a master CLI listens. */
export interface MasterSocketModel {
  path?: string;
  host?: string;
  port?: number;
  mode?: number;
}

/** What the master CLI shows and drives. */
export interface MasterCliHost {
  procs(): readonly WorkerProc[];
  master(): { pid: number; started: number; reloads: number; failedReloads: number; version: string };
  reload(): void;
}

export interface MasterCliSocket {
  close(): void;
}

/** `-S` argument: `/path`, `unix@/path`, `ipv4@HOST:PORT` or `HOST:PORT`, then `,mode,600`. Throws. */
export function parseMasterSocket(spec: string): MasterSocketModel {
  const [addr, ...opts] = spec.split(',');
  const p = parseAddress(addr);
  if (typeof p === 'string') throw new Error(`-S '${spec}': ${p}`);
  const m: MasterSocketModel = p.kind === 'unix' ? { path: p.path } : { host: p.host || '127.0.0.1', port: p.port };
  if (p.kind === 'inet' && p.port === undefined) throw new Error(`-S '${spec}': missing port`);
  for (let i = 0; i < opts.length; i += 2) {
    const k = opts[i];
    const v = opts[i + 1];
    if (k === 'mode' && v !== undefined && /^[0-7]{1,4}$/.test(v)) m.mode = Number.parseInt(v, 8);
    else throw new Error(`-S '${spec}': unsupported option '${k}' (Switchyard takes 'mode,OCTAL')`);
  }
  return m;
}

const HELP = `The following commands are valid at this level:
  @!<pid>                                 : send a command to the <pid> process
  @<relative pid>                         : send a command to the <relative pid> process
  @master                                 : send a command to the master process
  reload                                  : reload haproxy
  show proc                               : show processes status
  show version                            : show version of the current process
  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect
`;

function uptime(since: number): string {
  const up = Math.floor((Date.now() - since) / 1000);
  const d = Math.floor(up / 86400);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d}d${pad(Math.floor((up % 86400) / 3600))}h${pad(Math.floor((up % 3600) / 60))}m${pad(up % 60)}s`;
}

const col = (s: string | number) => String(s).padEnd(15);

/** `show proc` in HAProxy 2.6's layout (src/mworker.c cli_io_handler_show_proc). */
export function showProc(host: MasterCliHost): string {
  const m = host.master();
  let out = `#${'<PID>'.padEnd(14)} ${col('<type>')} ${col('<reloads>')} ${col('<uptime>')} ${col('<version>')}\n`;
  out += `${col(m.pid)} ${col('master')} ${col(`${m.reloads} [failed: ${m.failedReloads}]`)} ${col(uptime(m.started))} ${col(m.version)}\n`;
  const line = (w: WorkerProc) =>
    `${col(w.pid)} ${col('worker')} ${col(w.reloads)} ${col(uptime(w.started))} ${col(w.version)}\n`;
  out += '# workers\n';
  for (const w of host.procs()) if (!w.leaving) out += line(w);
  const old = host.procs().filter((w) => w.leaving);
  if (old.length > 0) {
    out += '# old workers\n';
    for (const w of old) out += line(w);
  }
  return `${out}# programs\n`;
}

/** A runtime API command run in a worker through its channel socket; resolves with its reply. */
function forward(w: WorkerProc, cmd: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(w.channel);
    let out = '';
    c.setEncoding('utf8');
    c.setTimeout(10_000, () => c.destroy());
    c.on('data', (d: string) => {
      out += d;
    });
    c.on('error', (e) => resolve(`Can't connect to the target CLI (${e.message})!\n`));
    c.on('close', () => resolve(out));
    c.end(`${cmd}\n`);
  });
}

/** Resolves one command line: text to send back, or undefined to close at once (`reload`, `quit`). */
async function runLine(line: string, host: MasterCliHost, sess: { interactive: boolean }): Promise<string | undefined> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const at = words[0]?.startsWith('@') ? words.shift() : undefined;
  if (at !== undefined && at !== '@master' && at !== '@') {
    const procs = host.procs();
    const target = at.startsWith('@!')
      ? procs.find((w) => String(w.pid) === at.slice(2))
      : procs.filter((w) => !w.leaving)[Number(at.slice(1)) - 1];
    if (!target) return `Can't find the target CLI!\n`;
    return forward(target, words.join(' '));
  }
  const cmd = words.join(' ');
  switch (cmd) {
    case '':
      return '';
    case 'show proc':
      return `${showProc(host)}\n`;
    case 'show version':
      return `${host.master().version}\n\n`;
    case 'reload':
      host.reload();
      return undefined;
    case 'prompt':
      sess.interactive = !sess.interactive;
      return '';
    case 'quit':
      return undefined;
    default:
      return words[0] === 'help' ? `${HELP}\n` : `Unknown command: '${words[0]}'\n\n${HELP}\n`;
  }
}

function serve(conn: Socket, host: MasterCliHost): void {
  const sess = { interactive: false };
  let buf = '';
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  conn.setEncoding('utf8');
  conn.setTimeout(10_000, () => conn.destroy());
  conn.on('error', () => {
    closed = true;
  });
  const handle = async (line: string) => {
    if (closed) return;
    const out = await runLine(line.replace(/\r$/, ''), host, sess);
    if (closed) return;
    if (out === undefined || !sess.interactive) {
      closed = true;
      conn.end(out ?? '');
      return;
    }
    conn.write(`${out}master> `);
  };
  conn.on('data', (d: string) => {
    buf += d;
    if (buf.length > 16384) {
      closed = true;
      conn.end('Command line too long.\n\n');
      return;
    }
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      queue = queue.then(() => handle(line));
    }
  });
  conn.on('end', () => {
    const rest = buf;
    buf = '';
    queue = queue
      .then(() => (rest.trim() ? handle(rest) : undefined))
      .then(() => {
        if (!closed) conn.end();
        closed = true;
      });
  });
}

/** Opens one master CLI socket (a stale unix socket file is replaced). */
export function listenMasterCli(m: MasterSocketModel, host: MasterCliHost): Promise<MasterCliSocket> {
  const server: Server = createServer({ allowHalfOpen: true }, (c) => serve(c, host));
  if (m.path) {
    try {
      if (lstatSync(m.path).isSocket()) unlinkSync(m.path);
    } catch {
      // nothing there
    }
  }
  return new Promise((resolve, reject) => {
    server.once('error', (e) =>
      reject(new Error(`cannot bind master CLI socket ${m.path ?? `${m.host}:${m.port}`}: ${e.message}`)),
    );
    const done = () => {
      if (m.path) chmodSync(m.path, m.mode ?? 0o600);
      resolve({ close: () => server.close() });
    };
    if (m.path) server.listen(m.path, done);
    else server.listen(m.port ?? 0, m.host, done);
  });
}
