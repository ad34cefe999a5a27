/**
 * Service discovery: keeps the servers that name a `resolvers` section in step with the DNS, as
 * HAProxy 2.6 does (src/resolvers.c, src/server.c). Each name is resolved every `timeout
 * resolve`; a valid answer moves servers to their new address (state and counters kept), an
 * error lasting longer than its `hold` period puts them in MAINT (resolution). `server-template`
 * slots share one resolution: A/AAAA answers give each slot a different address, SRV answers
 * give each slot a target, a port and a weight; slots without a record stay in MAINT.
 */
import { BlockList, isIP } from 'node:net';
import type { ResolversModel } from '@switchyard/config';
import { setServerAddress, setServerResolution, setServerWeight } from '../control/server-control.ts';
import type { ResolversCounters } from '../model/counters.ts';
import type { ServerState } from '../model/server-state.ts';
import type { BackendRuntime, ProxyRuntime } from '../model/types.ts';
import { type Resolution, ResolverClient } from './client.ts';
import { type DnsRecord, type QueryType, RTYPE } from './wire.ts';

export interface Discovery {
  start(): void;
  stop(): void;
  /** The DNS clients, by resolvers name (counters for the admin side). */
  readonly clients: Map<string, ResolverClient>;
  /** Resolves every name once more now and waits for the answers (tests). */
  refresh(): Promise<void>;
  /**
   * `set server B/S fqdn NAME` (srv_set_fqdn()): the server leaves the resolution it shared and
   * resolves NAME from now on (its address stays until NAME answers). False for a server without
   * a resolution of its own here (no `resolvers`, an SRV slot).
   */
  setFqdn(be: BackendRuntime, s: ServerState, name: string): boolean;
}

/** Options of the discovery. */
export interface DiscoveryOptions {
  /**
   * Called after a resolution changed servers (address, port, weight, resolution state, name):
   * under `--workers` the primary sends their new state to the workers.
   */
  onChange?(be: BackendRuntime, servers: ServerState[]): void;
}

const ORIGIN = 'dns';

/** What HAProxy logs when a resolution error puts a server in MAINT (snr_update_srv_status). */
const CAUSE: Record<Exclude<Resolution['status'], 'valid'>, string> = {
  nx: 'DNS NX status',
  timeout: 'DNS timeout status',
  refused: 'DNS refused status',
  other: 'unspecified DNS error',
  invalid: 'unspecified DNS error',
};

interface Job {
  client: ResolverClient;
  rs: ResolversModel;
  be: BackendRuntime;
  fqdn: string;
  srv: boolean;
  servers: ServerState[];
  /** Last valid answer (HAProxy's last_valid starts at the creation of the resolution). */
  lastValid: number;
  /** Records of recent answers and when they were last seen (`hold obsolete`). */
  seen: Map<string, { rec: DnsRecord; at: number }>;
  /** SRV targets' addresses from the additional section. */
  extra: Map<string, { rec: DnsRecord; at: number }>;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  /** Set by stop(): answers still in flight are dropped (a reload's new discovery takes over). */
  stopped?: boolean;
}

/** SRV slot bookkeeping: which record a server holds. */
const srvKey = new WeakMap<ServerState, string>();

/** What a resolution may change on a server, to tell who follows (onChange). */
function fingerprint(s: ServerState): string {
  return `${s.host} ${s.port} ${s.addressKnown} ${s.dnsMaint} ${s.maintBeforeDns} ${s.admin} ${s.weight} ${s.fqdn}`;
}

/** Builds the discovery of `rt` (nothing runs before `start`); publishes its counters on `rt.resolverCounters`. */
export function createDiscovery(rt: ProxyRuntime, opts: DiscoveryOptions = {}): Discovery {
  const clients = new Map<string, ResolverClient>();
  const jobs: Job[] = [];
  let stopped = false;
  const logGlobal = (msg: string) => rt.logger.log(undefined, 'warning', msg, { stderr: true });

  for (const rs of rt.config.resolvers ?? []) {
    const used = [...rt.backends.values()].some((be) => be.servers.some((s) => s.model.resolvers === rs.name));
    if (used) clients.set(rs.name, new ResolverClient(rs, logGlobal));
  }
  const newJob = (client: ResolverClient, be: BackendRuntime, fqdn: string, srv = fqdn.startsWith('_')): Job => ({
    client,
    rs: client.model,
    be,
    fqdn,
    srv,
    servers: [],
    lastValid: Date.now(),
    seen: new Map(),
    extra: new Map(),
  });
  for (const be of rt.backends.values()) {
    const groups = new Map<string, Job>();
    for (const s of be.servers) {
      const m = s.model;
      // a reload resolves the configuration's names again, as haproxy's new process: a name set
      // by `set server fqdn` on the state kept from the previous runtime is forgotten
      if (m.resolvers !== undefined && !m.template?.fqdn.startsWith('_')) s.fqdn = undefined;
      const client = m.resolvers ? clients.get(m.resolvers) : undefined;
      if (!client) continue;
      const fqdn = m.template?.fqdn ?? m.host;
      if (isIP(fqdn) !== 0) continue;
      // servers of one template share a resolution; plain servers have their own
      const key = m.template ? `t:${m.template.prefix}` : `s:${m.name}`;
      let job = groups.get(key);
      if (!job) {
        job = newJob(client, be, fqdn);
        groups.set(key, job);
        jobs.push(job);
      }
      job.servers.push(s);
    }
  }

  const schedule = (job: Job) => {
    if (stopped) return;
    job.timer = setTimeout(() => void run(job), job.rs.timeoutResolve);
    job.timer.unref();
  };
  const run = (job: Job): Promise<void> => {
    if (job.running) return job.running;
    if (job.timer) clearTimeout(job.timer);
    const before = job.servers.map(fingerprint);
    job.running = (job.srv ? runSrv(rt, job) : runAddr(rt, job))
      .then(() => {
        const changed = job.servers.filter((x, i) => fingerprint(x) !== before[i]);
        if (changed.length > 0 && !job.stopped) opts.onChange?.(job.be, changed);
      })
      .catch((e: unknown) => logGlobal(`resolvers '${job.rs.name}': resolution of '${job.fqdn}' failed: ${String(e)}`))
      .finally(() => {
        job.running = undefined;
        schedule(job);
      });
    return job.running;
  };

  rt.resolverCounters = () => {
    const out: ResolversCounters = {};
    for (const [name, c] of clients) out[name] = c.counters();
    return out;
  };

  return {
    clients,
    setFqdn(be, s, name) {
      const job = jobs.find((j) => j.be === be && j.servers.includes(s));
      const client = s.model.resolvers ? clients.get(s.model.resolvers) : undefined;
      if (job?.srv || !client) return false;
      if (!job) {
        // configured with an address: it resolves from now on
        const own = newJob(client, be, name, false);
        own.servers.push(s);
        jobs.push(own);
      } else if (job.servers.length === 1) {
        job.fqdn = name;
        job.seen.clear();
      } else {
        // a server-template slot: it gets a resolution of its own, the others keep theirs
        job.servers.splice(job.servers.indexOf(s), 1);
        const own = newJob(job.client, be, name, false);
        own.servers.push(s);
        jobs.push(own);
      }
      s.fqdn = name;
      const mine = jobs.find((j) => j.servers.includes(s));
      // an answer in flight is for the old name (runAddr drops it): ask again once it is in
      if (mine && !stopped) void (mine.running ?? Promise.resolve()).then(() => run(mine));
      return true;
    },
    start() {
      for (const job of jobs) void run(job);
    },
    stop() {
      stopped = true;
      for (const job of jobs) {
        job.stopped = true;
        if (job.timer) clearTimeout(job.timer);
      }
      for (const c of clients.values()) c.close();
    },
    async refresh() {
      // a resolution already in flight may carry an older answer: wait for it, then ask again
      await Promise.all(
        jobs.map(async (j) => {
          if (j.running) await j.running;
          if (!j.stopped) await run(j);
        }),
      );
    },
  };
}

function queryType(s: ServerState): QueryType {
  return s.model.resolvePrefer === 'ipv4' ? RTYPE.A : RTYPE.AAAA;
}

/** Keeps the records of this answer and those seen less than `hold obsolete` ago. */
function remember(
  map: Map<string, { rec: DnsRecord; at: number }>,
  recs: DnsRecord[],
  key: (r: DnsRecord) => string,
  obsolete: number,
  now: number,
): void {
  for (const r of recs) map.set(key(r), { rec: r, at: now });
  for (const [k, v] of map) if (v.at + obsolete < now) map.delete(k);
}

/** A/AAAA: every server of the job picks an address from the answer (resolv_get_ip_from_response). */
async function runAddr(rt: ProxyRuntime, job: Job): Promise<void> {
  const fqdn = job.fqdn;
  const res = await job.client.resolve(fqdn, queryType(job.servers[0]));
  // stopped (reload), or the name changed meanwhile (`set server fqdn`)
  if (job.stopped || job.fqdn !== fqdn || job.servers.length === 0) return;
  const now = Date.now();
  if (res.status !== 'valid') return holdError(rt, job, res.status, now);
  job.lastValid = now;
  const addrs = res.answers.filter((r) => r.address !== undefined);
  remember(job.seen, addrs, (r) => r.address ?? '', job.rs.hold.obsolete, now);
  const ips = [...job.seen.values()].map((v) => v.rec);
  for (const s of job.servers) {
    const ip = pickAddress(s, ips, job.servers);
    if (ip === undefined) {
      if (setServerResolution(rt, job.be, s, 'No IP for server ', ORIGIN)) s.addressKnown = false;
      continue;
    }
    if (setServerAddress(rt, job.be, s, ip, s.port, `${job.rs.name}/${res.nameserver}`)) {
      const c = job.client.nameservers.find((n) => n.id === res.nameserver);
      if (c) c.counters.update++;
    }
    if (s.dnsMaint !== undefined) {
      rt.logger.log(
        job.be.model,
        'notice',
        `Server ${job.be.name}/${s.name} administratively READY thanks to valid DNS answer.`,
        { stderr: true, stderrLevel: 'warning' },
      );
      setServerResolution(rt, job.be, s, undefined, ORIGIN);
    }
  }
}

/** An error answer: servers go to MAINT once it has lasted longer than its `hold` period. */
function holdError(rt: ProxyRuntime, job: Job, status: Exclude<Resolution['status'], 'valid'>, now: number): void {
  const h = job.rs.hold;
  const hold = status === 'nx' ? h.nx : status === 'timeout' ? h.timeout : status === 'refused' ? h.refused : h.other;
  if (now < job.lastValid + hold) return;
  job.seen.clear();
  job.extra.clear();
  for (const s of job.servers) {
    if (job.srv) releaseSlot(rt, job, s);
    else if (setServerResolution(rt, job.be, s, CAUSE[status], ORIGIN)) s.addressKnown = false;
  }
}

/**
 * HAProxy's choice among the answer's addresses: the preferred family scores 8, an address in
 * `resolve-net` 4, one no other server of the group uses 2 (used ones are skipped unless
 * `resolve-opts allow-dup-ip`), the current address 1; the best wins, the current one on a tie.
 */
function pickAddress(s: ServerState, recs: DnsRecord[], group: ServerState[]): string | undefined {
  const m = s.model;
  const family = m.resolvePrefer === 'ipv4' ? 4 : 6;
  const allowDup = m.resolveOpts?.includes('allow-dup-ip') === true && !m.resolveOpts.includes('prevent-dup-ip');
  const nets = m.resolveNet ? netList(m.resolveNet) : undefined;
  let best: string | undefined;
  let bestScore = -1;
  for (const r of recs) {
    const ip = r.address;
    if (ip === undefined) continue;
    const v = isIP(ip);
    let score = v === family ? 8 : 0;
    if (nets?.check(ip, v === 6 ? 'ipv6' : 'ipv4')) score += 4;
    const used = group.some((o) => o !== s && o.addressKnown !== false && o.host === ip);
    if (used) {
      if (!allowDup) continue;
    } else score += 2;
    if (ip === s.host && s.addressKnown !== false) score += 1;
    if (score > bestScore) {
      best = ip;
      bestScore = score;
    }
  }
  return best;
}

function netList(nets: string[]): BlockList {
  const list = new BlockList();
  for (const n of nets) {
    const [ip, mask] = n.split('/');
    const v6 = isIP(ip) === 6;
    const bits = mask === undefined ? (v6 ? 128 : 32) : isIP(mask) === 4 ? maskBits(mask) : Number(mask);
    list.addSubnet(ip, bits, v6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function maskBits(mask: string): number {
  return mask
    .split('.')
    .map((o) => Number(o).toString(2).replace(/0/g, '').length)
    .reduce((a, b) => a + b, 0);
}

/** SRV: records are matched to slots by target and port; new ones take the first free slot. */
async function runSrv(rt: ProxyRuntime, job: Job): Promise<void> {
  const res = await job.client.resolve(job.fqdn, RTYPE.SRV);
  if (job.stopped) return;
  const now = Date.now();
  if (res.status !== 'valid') return holdError(rt, job, res.status, now);
  job.lastValid = now;
  const obsolete = job.rs.hold.obsolete;
  const recKey = (r: DnsRecord) => `${r.target}:${r.port}`;
  remember(
    job.seen,
    res.answers.filter((r) => r.type === RTYPE.SRV && r.target),
    recKey,
    obsolete,
    now,
  );
  remember(job.extra, res.additional, (r) => `${r.name}/${r.address}`, obsolete, now);
  // slots whose record is gone
  for (const s of job.servers) {
    const k = srvKey.get(s);
    if (k !== undefined && !job.seen.has(k)) releaseSlot(rt, job, s);
  }
  for (const [k, { rec }] of job.seen) {
    let s = job.servers.find((x) => srvKey.get(x) === k);
    if (!s) {
      s = job.servers.find((x) => srvKey.get(x) === undefined);
      if (!s) continue;
      srvKey.set(s, k);
      rt.logger.log(
        job.be.model,
        'notice',
        `${job.be.name}/${s.name} changed its FQDN from ${s.fqdn ?? '(null)'} to ${rec.target} by 'SRV record'`,
        { stderr: false },
      );
      s.fqdn = rec.target;
    }
    await fillSlot(rt, job, s, rec);
  }
}

/** Gives slot `s` the address of SRV record `rec`'s target, its port and its weight. */
async function fillSlot(rt: ProxyRuntime, job: Job, s: ServerState, rec: DnsRecord): Promise<void> {
  const target = rec.target ?? '';
  const port = rec.port ?? s.port;
  const fromExtra = [...job.extra.values()].map((v) => v.rec).filter((r) => r.name === target);
  let ip: string | undefined;
  let updater = 'DNS additional record';
  if (fromExtra.length > 0) ip = pickAddress(s, fromExtra, job.servers);
  else if (isIP(target) !== 0) ip = target;
  else {
    const r = await job.client.resolve(target, queryType(s));
    if (r.status === 'valid') {
      ip = pickAddress(s, r.answers, job.servers);
      updater = `${job.rs.name}/${r.nameserver}`;
    }
  }
  if (srvKey.get(s) === undefined || job.stopped) return; // released or stopped meanwhile
  if (ip === undefined) {
    if (setServerResolution(rt, job.be, s, 'entry removed from SRV record', ORIGIN)) s.addressKnown = false;
    return;
  }
  setServerAddress(rt, job.be, s, ip, port, updater);
  if (!s.model.resolveOpts?.includes('ignore-weight')) {
    const w = Math.min(256, Math.floor(((rec.weight ?? 0) + 255) / 256));
    setServerWeight(rt, job.be, s, w, ORIGIN);
  }
  setServerResolution(rt, job.be, s, undefined, ORIGIN);
}

/** The slot's record is gone: MAINT (resolution), no address, free for the next new record. */
function releaseSlot(rt: ProxyRuntime, job: Job, s: ServerState): void {
  srvKey.delete(s);
  setServerResolution(rt, job.be, s, 'entry removed from SRV record', ORIGIN);
  s.fqdn = undefined;
  s.addressKnown = false;
}
