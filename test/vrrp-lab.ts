/**
 * Network-namespace lab for the VRRP tests: a bridge in a "switch" namespace and nodes attached
 * to it by veth pairs, addresses from 192.168.0.0/16 only inside those namespaces. Everything is
 * named sy-PID-TAG-* so parallel runs never collide, and cleanup() removes it all (idempotent).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A process started in a namespace, with its output collected. */
export interface LabProc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export class Lab {
  readonly prefix: string;
  readonly dir: string;
  private namespaces: string[] = [];
  private procs: LabProc[] = [];
  /** The switch namespace (its br0 sees every frame between the nodes). */
  readonly sw: string;

  /** `subnet` is the third octet of 192.168.X.0/24 used on the bridge. */
  constructor(
    tag: string,
    readonly subnet: number,
  ) {
    this.prefix = `sy-${process.pid}-${tag}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    this.sw = this.addNs('sw');
    ip(['-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.sw, 'link', 'set', 'br0', 'up']);
  }

  private addNs(name: string): string {
    const ns = `${this.prefix}-${name}`;
    ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * Adds a node namespace with eth0 = 192.168.SUBNET.HOST/24 on the bridge (and, with `ipv6`,
   * fd00:SUBNET::HOST/64 plus its link-local address, both without DAD so they are usable at once);
   * returns its name.
   */
  node(name: string, host: number, ipv6 = false): string {
    const ns = this.addNs(name);
    const port = `p${this.namespaces.length}`;
    ip(['-n', this.sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    ip(['-n', this.sw, 'link', 'set', port, 'master', 'br0']);
    ip(['-n', this.sw, 'link', 'set', port, 'up']);
    ip(['-n', ns, 'addr', 'add', `${this.addr(host)}/24`, 'dev', 'eth0']);
    if (ipv6) {
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0']);
      ip(['-n', ns, 'addr', 'add', `${this.addr6(host)}/64`, 'dev', 'eth0', 'nodad']);
    }
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    return ns;
  }

  /** 192.168.SUBNET.HOST */
  addr(host: number): string {
    return `192.168.${this.subnet}.${host}`;
  }

  /** fd00:SUBNET::HOST (HOST written in hex digits as given, e.g. 100 -> ::100) */
  addr6(host: number): string {
    return `fd00:${this.subnet}::${host}`;
  }

  /** The MAC address of eth0 in `ns`. */
  mac(ns: string): string {
    return /link\/ether ([0-9a-f:]+)/.exec(ip(['-n', ns, 'link', 'show', 'eth0']))?.[1] ?? '';
  }

  /** Cuts a node off the bridge (link down on its switch port) or reconnects it. */
  setLink(ns: string, up: boolean): void {
    ip(['-n', ns, 'link', 'set', 'eth0', up ? 'up' : 'down']);
  }

  /** The `ip -o addr` line of `address` in namespace `ns` ('' when absent). */
  addrLine(ns: string, address: string): string {
    return (
      ip(['-n', ns, address.includes(':') ? '-6' : '-4', '-o', 'addr', 'show'])
        .split('\n')
        .find((l) => l.includes(` ${address}/`)) ?? ''
    );
  }

  /** True when `address` is configured in namespace `ns`. */
  hasAddr(ns: string, address: string): boolean {
    return ip(['-n', ns, address.includes(':') ? '-6' : '-4', '-o', 'addr', 'show']).includes(` ${address}/`);
  }

  /** Writes a file into the lab directory; returns its path. */
  file(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  /** Starts `cmd args` inside `ns`, collecting stdout+stderr. */
  spawn(ns: string, name: string, cmd: string, args: string[]): LabProc {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    // 'close', not 'exit': resolves once stdout/stderr are drained too, so output() is complete.
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const p: LabProc = { name, child, output: () => out, exited };
    this.procs.push(p);
    return p;
  }

  /** Starts `switchyard vrrp -f FILE -D` (the real command) in `ns` with the given keepalived.conf text. */
  sidecar(ns: string, name: string, conf: string): LabProc {
    const f = this.file(`${name}.conf`, conf);
    return this.spawn(ns, name, process.execPath, [
      join(ROOT, 'packages/cli/bin/switchyard.mjs'),
      'vrrp',
      '-f',
      f,
      '-D',
    ]);
  }

  /** Starts Debian's keepalived in `ns` (foreground, console log, private pid files). */
  keepalived(ns: string, name: string, conf: string): LabProc {
    const f = this.file(`${name}.conf`, conf);
    const pid = (s: string) => join(this.dir, `${name}.${s}.pid`);
    return this.spawn(ns, name, 'keepalived', [
      '-n',
      '-l',
      '-D',
      '-P',
      '-f',
      f,
      '-p',
      pid('main'),
      '-r',
      pid('vrrp'),
      '-i',
      name,
      '--no-syslog',
    ]);
  }

  /**
   * keepalived runs a parent and a VRRP child: SIGKILL both, the parent first (a parent that sees
   * its child die respawns it, and the orphan would keep advertising).
   */
  async killKeepalived(p: LabProc, name: string, sig: NodeJS.Signals): Promise<void> {
    if (sig !== 'SIGKILL') {
      await this.kill(p, sig);
      return;
    }
    let child = 0;
    try {
      child = Number(readFileSync(join(this.dir, `${name}.vrrp.pid`), 'utf8').trim());
    } catch {
      // No VRRP child (yet): the parent is all there is.
    }
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    if (child > 0) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.kill(p, 'SIGKILL');
  }

  /** Signals a process and waits (bounded) for it to exit. */
  async kill(p: LabProc, sig: NodeJS.Signals, timeoutMs = 15_000): Promise<number | null> {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(sig);
    return Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), timeoutMs))]);
  }

  /** Kills every process (by pid) and deletes every namespace and the temp directory. */
  async cleanup(): Promise<void> {
    for (const p of this.procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]);
      }
    }
    for (const ns of this.namespaces.reverse()) {
      // Children our processes left behind (keepalived's VRRP child, arping): only in our namespaces.
      try {
        for (const pid of ip(['netns', 'pids', ns]).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Namespace or process already gone.
      }
      try {
        ip(['netns', 'del', ns]);
      } catch {
        // Already gone.
      }
    }
    this.namespaces = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Waits until `p`'s output matches `re`. Log lines arrive through pipe events, which can lag behind
 * the state a test just observed with `ip` (a synchronous call): never assert on output without this.
 */
export async function waitOutput(p: LabProc, re: RegExp, timeoutMs = 10_000): Promise<boolean> {
  return (await waitFor(() => re.test(p.output()), timeoutMs)) >= 0;
}

/** Polls `cond` every 25 ms until true or `timeoutMs`; returns elapsed ms or -1 on timeout. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (cond()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond() ? performance.now() - t0 : -1;
}

/** A keepalived.conf instance block (also used for Switchyard: same dialect). */
export function instanceConf(o: {
  name?: string;
  state?: 'MASTER' | 'BACKUP';
  priority: number;
  vrid?: number;
  version?: 2 | 3;
  advertInt?: number;
  pass?: string;
  vip: string;
  /** Extra words after the VIP, e.g. `dev eth0 label eth0:vip`. */
  vipOpts?: string;
  nopreempt?: boolean;
  unicastSrc?: string;
  unicastPeers?: string[];
  /** Extra instance lines (e.g. `  use_vmac\n`). */
  extra?: string;
}): string {
  const lines = [
    'global_defs {',
    `  router_id ${o.name ?? 'node'}`,
    `  vrrp_version ${o.version ?? 2}`,
    '  vrrp_garp_master_delay 1',
    '  vrrp_garp_master_repeat 1',
    '}',
    'vrrp_instance VI_1 {',
    `  state ${o.state ?? 'BACKUP'}`,
    '  interface eth0',
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
  ];
  if (o.nopreempt) lines.push('  nopreempt');
  if (o.extra) lines.push(o.extra.replace(/\n$/, ''));
  if (o.pass) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${o.pass}`, '  }');
  if (o.unicastSrc) lines.push(`  unicast_src_ip ${o.unicastSrc}`);
  if (o.unicastPeers?.length) lines.push('  unicast_peer {', ...o.unicastPeers.map((p) => `    ${p}`), '  }');
  lines.push('  virtual_ipaddress {', `    ${o.vip}/32${o.vipOpts ? ` ${o.vipOpts}` : ''}`, '  }', '}', '');
  return lines.join('\n');
}
