/**
 * A real dnsmasq (Debian package dnsmasq) on a loopback port, answering for the test's names
 * only: A records from an addn-hosts file the test rewrites (dnsmasq rereads it on SIGHUP), SRV
 * records from --srv-host (read at start only: `restart` starts it again on the same port), and
 * NXDOMAIN for any other name of the domain (--local).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort } from './proxy.ts';
import { findBinary } from './system.ts';

export interface Dnsmasq {
  port: number;
  /** Rewrites the hosts file and SIGHUPs dnsmasq; resolves once it has reread it. */
  setHosts(text: string): Promise<void>;
  /** Stops and starts dnsmasq on the same port with other SRV records. */
  restart(srv: string[]): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

/** Starts dnsmasq for `domain` on `port` (127.0.0.1). `srv`: --srv-host values. */
export async function startDnsmasq(
  dir: string,
  port: number,
  domain: string,
  hosts: string,
  srv: string[] = [],
): Promise<Dnsmasq> {
  const bin = findBinary('dnsmasq');
  if (!bin) throw new Error('dnsmasq not found (apt-get install dnsmasq)');
  const hostsFile = join(dir, 'dns-hosts');
  writeFileSync(hostsFile, hosts);
  let out = '';
  let proc: ChildProcess;
  const launch = async (records: string[]) => {
    const args = [
      '-k',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-negcache',
      `--addn-hosts=${hostsFile}`,
      `--local=/${domain}/`,
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--pid-file=',
      '--user=root',
      '--log-facility=-',
      ...records.map((r) => `--srv-host=${r}`),
    ];
    proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d) => {
      out += d;
    });
    proc.stderr?.on('data', (d) => {
      out += d;
    });
    const start = out.length;
    await waitLog(() => out.slice(start), /read .*dns-hosts/, proc);
  };
  await launch(srv);
  const stopProc = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await done;
  };
  return {
    port,
    log: () => out,
    async setHosts(text) {
      writeFileSync(hostsFile, text);
      const start = out.length;
      proc.kill('SIGHUP');
      await waitLog(() => out.slice(start), /read .*dns-hosts/, proc);
    },
    async restart(records) {
      await stopProc();
      await launch(records);
    },
    stop: stopProc,
  };
}

async function waitLog(text: () => string, re: RegExp, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!re.test(text())) {
    if (proc.exitCode !== null) throw new Error(`dnsmasq exited (${proc.exitCode}): ${text()}`);
    if (Date.now() > deadline) throw new Error(`dnsmasq: timeout waiting for ${re}: ${text()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An HTTP server on `ip:port` (a loopback address a record points to) answering `name` in its body and `x-upstream`. */
export function serveOn(ip: string, port: number, name: string): Promise<Server> {
  const srv = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
    res.end(name);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, ip, () => resolve(srv));
  });
}

/** Two servers on one free port, at 127.0.0.11 (`A`) and 127.0.0.12 (`B`): only the DNS tells them apart. */
export async function servePair(): Promise<{ port: number; servers: Server[] }> {
  for (;;) {
    const port = await freePort();
    const servers: Server[] = [];
    try {
      servers.push(await serveOn('127.0.0.11', port, 'A'));
      servers.push(await serveOn('127.0.0.12', port, 'B'));
      return { port, servers };
    } catch {
      for (const s of servers) s.close();
    }
  }
}
