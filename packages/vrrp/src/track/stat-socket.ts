/**
 * HAProxy runtime API client for `show stat` (works with HAProxy's `stats socket` and Switchyard's
 * runtime API): one command per connection, read until the server closes, with a timeout.
 * Address forms: `/path`, `unix@/path`, `HOST:PORT`, `ipv4@HOST:PORT`, `ipv6@[::1]:PORT`.
 */
import { connect, type NetConnectOpts } from 'node:net';

/** Parses a socket address into net.connect options, or a message. */
export function socketAddress(s: string): NetConnectOpts | string {
  if (s.startsWith('unix@')) return { path: s.slice(5) };
  if (s.startsWith('/') || s.startsWith('.')) return { path: s };
  const m = /^(?:ipv4@|ipv6@)?(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  if (!m) return `cannot parse runtime socket address '${s}' (expected a path or HOST:PORT)`;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `bad port in '${s}'`;
  return { host: m[1] ?? m[2], port };
}

/** Sends one command and resolves with the full reply; rejects on error/timeout. */
export function runtimeCommand(address: string, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const opts = socketAddress(address);
    if (typeof opts === 'string') {
      reject(new Error(opts));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const sock = connect(opts);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply from ${address} within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (d: Buffer) => {
      size += d.length;
      // A stat dump of a big config is a few hundred KB; refuse unbounded replies.
      if (size > 16 * 1024 * 1024) {
        sock.destroy();
        clearTimeout(timer);
        reject(new Error(`reply from ${address} exceeds 16 MB`));
        return;
      }
      chunks.push(d);
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${address}: ${e.message}`));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** One row of `show stat` as a name -> value record. */
export type StatRow = Record<string, string>;

/** Parses HAProxy's `show stat` CSV (header line starts with `# `). */
export function parseShowStat(text: string): StatRow[] | string {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return 'empty reply to show stat';
  if (!lines[0].startsWith('# ')) return `unexpected reply to show stat: ${lines[0].slice(0, 120)}`;
  const header = lines[0].slice(2).split(',');
  const rows: StatRow[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const row: StatRow = {};
    header.forEach((h, i) => {
      if (h) row[h] = f[i] ?? '';
    });
    rows.push(row);
  }
  return rows;
}
