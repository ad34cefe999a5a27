/**
 * Tells the local Switchyard proxy the node's VRRP state through its runtime API socket
 * (`global_defs { switchyard_socket /run/switchyard.sock }`): `set vrrp state INSTANCE STATE`.
 * The proxy shows it on the stats page and as a metric. Failures are returned, never thrown.
 */
import { connect, type Socket } from 'node:net';

/** Parses `/path`, `unix@/path`, `HOST:PORT` or `ipv4@HOST:PORT` into net.connect options. */
export function socketTarget(addr: string): { path: string } | { host: string; port: number } | Error {
  const a = addr.replace(/^(unix|ipv4)@/, '');
  if (a.startsWith('/') || addr.startsWith('unix@')) return { path: a };
  const m = /^(.*):(\d{1,5})$/.exec(a);
  if (!m || Number(m[2]) > 65535) return new Error(`switchyard_socket '${addr}' is neither a unix path nor HOST:PORT`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/** Sends one runtime API command and resolves with the reply text (or an Error). */
export function runtimeCommand(addr: string, command: string, timeoutMs = 2000): Promise<string | Error> {
  const target = socketTarget(addr);
  if (target instanceof Error) return Promise.resolve(target);
  return new Promise((resolve) => {
    let reply = '';
    let done = false;
    const finish = (v: string | Error) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(v);
    };
    const sock: Socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => finish(new Error(`runtime API ${addr}: no reply within ${timeoutMs} ms`)));
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (d: string) => {
      reply += d;
    });
    sock.on('end', () => finish(reply));
    sock.on('error', (e) => finish(new Error(`runtime API ${addr}: ${e.message}`)));
  });
}

/** Reports an instance state; resolves with an error message to log, or undefined on success. */
export async function reportVrrpState(addr: string, instance: string, state: string): Promise<string | undefined> {
  const r = await runtimeCommand(addr, `set vrrp state ${instance} ${state}`);
  if (r instanceof Error) return r.message;
  const text = r.trim();
  return text === '' ? undefined : `runtime API ${addr} refused 'set vrrp state ${instance} ${state}': ${text}`;
}
