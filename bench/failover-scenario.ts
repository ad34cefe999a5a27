/**
 * End-to-end failover in network namespaces: two nodes, each running a web server, the Switchyard
 * proxy (`switchyard -f haproxy.cfg`) and the Switchyard VRRP sidecar (`switchyard vrrp -f`),
 * sharing a VIP; a client in a third namespace sends requests to the VIP at a steady rate; the
 * MASTER node dies (its processes SIGKILLed and its link cut, as a crashed machine). Reports the
 * gap in service and the failed requests. Used by bench/failover.ts and test/vrrp-failover.test.ts.
 */
import { join } from 'node:path';
import { runtimeCommand } from '../packages/vrrp/src/track/stat-socket.ts';
import { instanceConf, Lab, type LabProc, ROOT, waitFor } from '../test/vrrp-lab.ts';

export interface FailoverOptions {
  tag: string;
  subnet: number;
  /** VRRP version and advert interval (seconds; v3 allows centiseconds). */
  version: 2 | 3;
  advertInt: number;
  /** Over IPv6 (VRRPv3, or keepalived's VRRPv2 with version 2): the VIP is fd00:SUBNET::100, the client reaches it over IPv6. */
  ipv6?: boolean;
  /** Client request interval and per-request timeout (ms). */
  intervalMs: number;
  timeoutMs: number;
  /** When to kill the MASTER, and how long the client runs in total (ms). */
  killAtMs: number;
  durationMs: number;
  log?: (msg: string) => void;
}

export interface FailoverResult {
  requests: number;
  failed: number;
  /** Longest service gap: last success before the failure to first success after, ms. */
  gapMs: number;
  /** Theoretical Master_Down_Interval of the BACKUP (priority 100), ms. */
  masterDownMs: number;
  servedBefore: string;
  servedAfter: string;
  /** The VRRP state the BACKUP node's proxy reports over its runtime API after the failover. */
  backupProxyState: string;
}

const PROXY_PORT = 8080;
const WEB_PORT = 8081;

function haproxyCfg(sock: string, ipv6: boolean): string {
  return [
    'global',
    `  stats socket ${sock} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend fe',
    ipv6 ? `  bind :::${PROXY_PORT}` : `  bind 0.0.0.0:${PROXY_PORT}`,
    '  default_backend be',
    'backend be',
    `  server web1 127.0.0.1:${WEB_PORT} check inter 1s`,
    '',
  ].join('\n');
}

function webServer(name: string): string {
  return `require('node:http').createServer((q, s) => s.end('${name}\\n')).listen(${WEB_PORT}, '127.0.0.1')`;
}

/** Runs one failover and returns the figures; throws with the logs if the setup never converges. */
export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const log = o.log ?? (() => {});
  const lab = new Lab(o.tag, o.subnet);
  const procs: LabProc[] = [];
  const dump = () => procs.map((p) => `--- ${p.name}\n${p.output()}`).join('\n');
  try {
    const v6 = o.ipv6 === true;
    const vip = v6 ? lab.addr6(100) : lab.addr(100);
    const url = `http://${v6 ? `[${vip}]` : vip}:${PROXY_PORT}/`;
    const nodes = [
      { name: 'A', ns: lab.node('a', 1, v6), prio: 150, host: 1 },
      { name: 'B', ns: lab.node('b', 2, v6), prio: 100, host: 2 },
    ];
    const client = lab.node('c', 10, v6);
    const cli = join(ROOT, 'packages/cli/bin/switchyard.mjs');
    for (const n of nodes) {
      const sock = join(lab.dir, `${n.name}.sock`);
      procs.push(lab.spawn(n.ns, `web-${n.name}`, process.execPath, ['-e', webServer(n.name)]));
      procs.push(
        lab.spawn(n.ns, `proxy-${n.name}`, process.execPath, [
          cli,
          '-f',
          lab.file(`${n.name}.cfg`, haproxyCfg(sock, v6)),
        ]),
      );
      const conf = instanceConf({
        name: n.name,
        priority: n.prio,
        vip,
        version: o.version,
        advertInt: o.advertInt,
        // keepalived's VRRPv2 over IPv6 needs the instance's own `version 2`.
        extra: v6 && o.version === 2 ? '  version 2' : undefined,
      }).replace('global_defs {', `global_defs {\n  switchyard_socket ${sock}`);
      procs.push(
        lab.spawn(n.ns, `vrrp-${n.name}`, process.execPath, [cli, 'vrrp', '-f', lab.file(`${n.name}.conf`, conf)]),
      );
    }
    const [a] = nodes;
    // On a loaded machine B may win the first election and A preempt later: wait for A alone.
    if ((await waitFor(() => lab.hasAddr(a.ns, vip) && !lab.hasAddr(nodes[1].ns, vip), 30_000)) < 0) {
      throw new Error(`A never became the only MASTER\n${dump()}`);
    }
    // A's proxy must answer through the VIP (client ARP settled on A) before the clock starts.
    const probe = lab.spawn(client, 'probe', process.execPath, [join(ROOT, 'bench/failover-probe.mjs'), url, 'A']);
    if ((await probe.exited) !== 0)
      throw new Error(`VIP not serving before the failover\n${probe.output()}\n${dump()}`);

    const client_ = lab.spawn(client, 'client', process.execPath, [
      '--import',
      'tsx',
      join(ROOT, 'bench/failover-client.ts'),
      url,
      String(o.intervalMs),
      String(o.durationMs),
      String(o.timeoutMs),
    ]);
    await new Promise((r) => setTimeout(r, o.killAtMs));
    log('killing node A (SIGKILL proxy and sidecar, link down)');
    for (const p of procs) if (p.name.endsWith('-A')) p.child.kill('SIGKILL');
    lab.setLink(a.ns, false);
    await client_.exited;
    const line = client_.output().trim().split('\n').pop() ?? '';
    let samples: { at: number; ok: boolean; what: string }[];
    try {
      samples = (JSON.parse(line) as { samples: typeof samples }).samples;
    } catch {
      throw new Error(`client output unreadable: ${client_.output()}`);
    }
    const stateReply = await stateOf(join(lab.dir, 'B.sock'));
    return { ...summarize(samples), masterDownMs: masterDown(o, 100), backupProxyState: stateReply };
  } finally {
    await lab.cleanup();
  }
}

function masterDown(o: FailoverOptions, prio: number): number {
  const adv = o.advertInt * 1000;
  const skew =
    o.version === 3 ? Math.floor(((256 - prio) * o.advertInt * 100) / 256) * 10 : ((256 - prio) * 1000) / 256;
  return 3 * adv + skew;
}

function summarize(samples: { at: number; ok: boolean; what: string }[]) {
  let failed = 0;
  let gap = 0;
  let lastOk = -1;
  let inGap = false;
  const okWhat = samples.filter((s) => s.ok).map((s) => s.what);
  for (const s of samples) {
    if (!s.ok) {
      failed++;
      inGap = true;
      continue;
    }
    if (inGap && lastOk >= 0) gap = Math.max(gap, s.at - lastOk);
    inGap = false;
    lastOk = s.at;
  }
  return {
    requests: samples.length,
    failed,
    gapMs: Math.round(gap),
    servedBefore: okWhat[0] ?? '',
    servedAfter: okWhat.at(-1) ?? '',
  };
}

/** `show vrrp` on a node's runtime API (a unix socket path: reachable from any namespace). */
async function stateOf(sock: string): Promise<string> {
  try {
    return (await runtimeCommand(sock, 'show vrrp', 2000)).trim();
  } catch (e) {
    return (e as Error).message;
  }
}
