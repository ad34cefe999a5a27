/** `server NAME ADDR:PORT [params]` and `default-server [params]`. */
import { isIP } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { parseAddress } from '../address.ts';
import type { ServerParams } from '../factory.ts';
import type { ServerModel } from '../model.ts';
import { configPath, configTime, err, type LineCtx, type SectionState, warn } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseIntRange } from '../units.ts';
import { parseTlsOption, TLS_OPTION_KEYWORDS } from './tls-options.ts';

type Apply = (p: ServerParams, v: string, ctx: LineCtx) => string | undefined;
/** A server parameter: `flag` takes no value; otherwise `apply` parses the value and returns an error message. */
interface Param {
  flag?: (p: ServerParams) => void;
  /** A flag that may be refused (message). */
  flagCtx?: (p: ServerParams, ctx: LineCtx) => string | undefined;
  apply?: Apply;
}

const int =
  (min: number, max: number, set: (p: ServerParams, n: number) => void): Apply =>
  (p, v) => {
    if (!/^-?\d+$/.test(v)) return `expects an integer, got '${v}'`;
    const n = Number(v);
    if (n < min || n > max) return `must be between ${min} and ${max}, got ${v}`;
    set(p, n);
  };
const time =
  (set: (p: ServerParams, n: number) => void): Apply =>
  (p, v, ctx) => {
    const n = configTime(ctx, v);
    if (n instanceof Error) return n.message;
    if (n === 0) return 'must be greater than 0';
    set(p, n);
  };
const oneOf =
  <T extends string>(allowed: readonly T[], set: (p: ServerParams, v: T) => void): Apply =>
  (p, v) => {
    if (!(allowed as readonly string[]).includes(v)) return `expects one of ${allowed.join(', ')}, got '${v}'`;
    set(p, v as T);
  };
/** An ALPN list as HAProxy writes it (`h2,http/1.1`); only protocols Switchyard speaks. */
function alpnList(v: string, set: (l: string[]) => void): string | undefined {
  const l = v.split(',');
  const bad = l.find((x) => x !== 'h2' && x !== 'http/1.1' && x !== 'http/1.0');
  if (bad !== undefined) return `expects a list of h2, http/1.1, http/1.0, got '${bad}'`;
  set(l);
}
const agent = (p: ServerParams) => (p.agent ??= {});
/** `A.B.C.D/M`, `A.B.C.D/MASK` or `IPV6/M`, as HAProxy's str2net / str62net. */
function isNetwork(n: string): boolean {
  const [ip, mask, extra] = n.split('/');
  if (extra !== undefined) return false;
  const v = isIP(ip);
  if (v === 0) return false;
  if (mask === undefined) return true;
  if (v === 4 && isIP(mask) === 4) return true;
  return /^\d+$/.test(mask) && Number(mask) <= (v === 4 ? 32 : 128);
}
const ignoredValue = (why: string): Param => ({ apply: (_p, _v, ctx) => void warn(ctx, 'CFG_IGNORED_KEYWORD', why) });

/** Every supported server / default-server parameter. */
export const SERVER_PARAMS: Record<string, Param> = {
  weight: { apply: int(0, 256, (p, n) => (p.weight = n)) },
  backup: { flag: (p) => (p.backup = true) },
  'no-backup': { flag: (p) => (p.backup = false) },
  maxconn: { apply: int(0, 10_000_000, (p, n) => (p.maxconn = n)) },
  maxqueue: { apply: int(0, 10_000_000, (p, n) => (p.maxqueue = n)) },
  disabled: { flag: (p) => (p.disabled = true) },
  enabled: { flag: (p) => (p.disabled = false) },
  check: { flag: (p) => (p.check = true) },
  'send-proxy': { flag: (p) => (p.sendProxy = 1) },
  'send-proxy-v2': { flag: (p) => (p.sendProxy = 2) },
  'no-send-proxy': { flag: (p) => delete p.sendProxy },
  'no-send-proxy-v2': { flag: (p) => delete p.sendProxy },
  'no-check': { flag: (p) => (p.check = false) },
  inter: { apply: time((p, n) => (p.inter = n)) },
  fastinter: { apply: time((p, n) => (p.fastinter = n)) },
  downinter: { apply: time((p, n) => (p.downinter = n)) },
  rise: { apply: int(1, 1_000_000, (p, n) => (p.rise = n)) },
  fall: { apply: int(1, 1_000_000, (p, n) => (p.fall = n)) },
  port: { apply: int(1, 65535, (p, n) => (p.checkPort = n)) },
  addr: {
    apply: (p, v) => {
      const a = parseAddress(v);
      if (typeof a === 'string' || a.kind !== 'inet' || a.port !== undefined)
        return `expects a host or IP address without port, got '${v}'`;
      p.checkAddr = a.host;
    },
  },
  slowstart: { apply: time((p, n) => (p.slowstart = n)) },
  'agent-check': { flag: (p) => (p.agentCheck = true) },
  'no-agent-check': { flag: (p) => (p.agentCheck = false) },
  'agent-port': { apply: int(1, 65535, (p, n) => (agent(p).port = n)) },
  'agent-inter': { apply: time((p, n) => (agent(p).inter = n)) },
  'agent-addr': {
    apply: (p, v) => {
      const a = parseAddress(v);
      if (typeof a === 'string' || a.kind !== 'inet' || a.port !== undefined)
        return `expects a host or IP address without port, got '${v}'`;
      agent(p).addr = a.host;
    },
  },
  'agent-send': { apply: (p, v) => void (agent(p).send = v) },
  observe: { apply: oneOf(['layer4', 'layer7'] as const, (p, v) => (p.observe = v)) },
  'error-limit': { apply: int(1, 1_000_000, (p, n) => (p.errorLimit = n)) },
  'on-error': {
    apply: oneOf(['fastinter', 'fail-check', 'sudden-death', 'mark-down'] as const, (p, v) => (p.onError = v)),
  },
  'on-marked-down': { apply: oneOf(['shutdown-sessions'] as const, (p, v) => (p.onMarkedDown = v)) },
  'on-marked-up': { apply: oneOf(['shutdown-backup-sessions'] as const, (p, v) => (p.onMarkedUp = v)) },
  cookie: { apply: (p, v) => void (p.cookie = v) },
  ssl: { flag: (p) => (p.ssl = true) },
  'no-ssl': { flag: (p) => (p.ssl = false) },
  verify: { apply: oneOf(['none', 'required'] as const, (p, v) => (p.verify = v)) },
  'ca-file': { apply: (p, v) => void (p.caFile = v) },
  sni: { apply: (p, v) => void (p.sni = v) },
  'check-ssl': { flag: (p) => (p.checkSsl = true) },
  'no-check-ssl': { flag: (p) => (p.checkSsl = false) },
  'check-sni': { apply: (p, v) => void (p.checkSni = v) },
  /** Health checks start with a PROXY header even with their own port or addr (v2 with send-proxy-v2). */
  'check-send-proxy': { flag: (p) => (p.checkSendProxy = true) },
  'no-check-send-proxy': { flag: (p) => (p.checkSendProxy = false) },
  'init-addr': {
    apply: (p, v) => {
      const bad = v.split(',').find((m) => !['last', 'libc', 'none'].includes(m) && !/^[0-9a-fA-F.:]+$/.test(m));
      if (bad) return `expects a list of last, libc, none or an IP address, got '${bad}'`;
      p.initAddr = v;
    },
  },
  /** `resolvers NAME`: the server's address follows that section's DNS answers. */
  resolvers: { apply: (p, v) => void (p.resolvers = v) },
  'resolve-prefer': {
    apply: (p, v) => {
      if (v !== 'ipv4' && v !== 'ipv6') return 'expects either ipv4 or ipv6 as argument.';
      p.resolvePrefer = v;
    },
  },
  'resolve-net': {
    apply: (p, v) => {
      const nets = v.split(',');
      if (nets.length > 5) return 'exceed 5 networks.';
      const bad = nets.find((n) => !isNetwork(n));
      if (bad !== undefined) return `invalid network '${bad}'.`;
      p.resolveNet = nets;
    },
  },
  'resolve-opts': {
    apply: (p, v) => {
      const opts = v.split(',');
      const bad = opts.find((o) => !['allow-dup-ip', 'ignore-weight', 'prevent-dup-ip'].includes(o));
      if (bad !== undefined)
        return `: unknown resolve-opts option '${bad}', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'.`;
      p.resolveOpts = opts;
    },
  },
  minconn: ignoredValue("'minconn' ignored: Switchyard applies 'maxconn' as a fixed limit (no dynamic limit)"),
  /** `max-reuse N`: at most N+1 requests per server connection (-1: no limit, 0: no reuse). */
  'max-reuse': { apply: int(-1, 2_147_483_647, (p, n) => (p.maxReuse = n)) },
  /** `pool-max-conn N`: idle connections kept (-1: no limit, 0: none kept). */
  'pool-max-conn': { apply: int(-1, 2_147_483_647, (p, n) => (p.poolMaxConn = n)) },
  /** `pool-purge-delay T`: each period, half of the idle connections are closed (0: none kept). */
  'pool-purge-delay': {
    apply: (p, v, ctx) => {
      const n = configTime(ctx, v);
      if (n instanceof Error) return n.message;
      p.poolPurgeDelay = n;
    },
  },
  /** `proto h2`: HTTP/2 to the server without negotiation (prior knowledge). */
  proto: {
    apply: (p, v) => {
      if (v === 'h2') p.proto = 'h2';
      else if (v === 'h1') delete p.proto;
      else return `expects 'h2' or 'h1', got '${v}' (the fcgi multiplexer is not supported)`;
    },
  },
  /** `alpn h2,http/1.1`: protocols offered over `ssl`; HTTP/2 when the server picks h2. */
  alpn: { apply: (p, v) => alpnList(v, (l) => (p.alpn = l)) },
  /** `check-proto h2|h1`: the protocol of HTTP health checks (default: the server's `proto`). */
  'check-proto': {
    apply: (p, v) => {
      if (v !== 'h2' && v !== 'h1') return `expects 'h2' or 'h1', got '${v}' (the fcgi multiplexer is not supported)`;
      p.checkProto = v;
    },
  },
  /** `check-alpn h2,http/1.1`: ALPN offered by TLS health checks; HTTP/2 checks when the server picks h2. */
  'check-alpn': { apply: (p, v) => alpnList(v, (l) => (p.checkAlpn = l)) },
  verifyhost: { apply: (p, v) => void (p.verifyhost = v) },
  'no-verifyhost': { flag: (p) => delete p.verifyhost },
  /** `crt FILE`: client certificate to the server (under crt-base). */
  crt: {
    apply: (p, v, ctx) => {
      const base = ctx.config.global.crtBase;
      p.crt = configPath(ctx, base && !isAbsolute(v) ? join(base, v) : v);
      return undefined;
    },
  },
  ...tlsParams(),
};

/** The TLS options a server takes (tls-options.ts): versions, cipher lists, tickets. */
function tlsParams(): Record<string, Param> {
  const out: Record<string, Param> = {};
  for (const [k, takesValue] of Object.entries(TLS_OPTION_KEYWORDS)) {
    if (['ca-file', 'crl-file', 'ca-verify-file', 'verify', 'curves', 'ecdhe', 'prefer-client-ciphers'].includes(k))
      continue;
    const run = (p: ServerParams, ctx: LineCtx, v?: string): string | undefined => {
      const r = parseTlsOption(ctx, v === undefined ? [k] : [k, v], 0, (p.tls ??= {}), 'server');
      return typeof r === 'string' ? r.replace(`'${k}' `, '') : undefined;
    };
    out[k] = takesValue ? { apply: (p, v, ctx) => run(p, ctx, v) } : { flagCtx: (p, ctx) => run(p, ctx) };
  }
  return out;
}
/** Flags that are accepted and ignored with a warning (tuning of transport details). */
const IGNORED_FLAGS: Record<string, string> = {
  'non-stick': "'non-stick' ignored: stick rules apply to every server",
  tfo: "'tfo' ignored: TCP fast open is left to the OS",
};
/** Parameters that change behaviour Switchyard cannot provide: refused. */
const UNSUPPORTED: Record<string, string> = {
  'send-proxy-v2-ssl': "'send-proxy-v2-ssl' is not supported",
  track: "'track' is not supported: give each server its own 'check'",
  redir: "'redir' is not supported; use 'http-request redirect' rules",
  source: "'source' is not supported",
  namespace: "'namespace' is not supported",
  ws: "'ws' is not supported: WebSocket upgrades are tunnelled over HTTP/1.1",
  socks4: "'socks4' (connecting through a SOCKS proxy) is not supported",
  'check-via-socks4': "'check-via-socks4' is not supported",
};

/** Parses params from args[start..] into `p`. Returns false after reporting an error. */
function parseParams(ctx: LineCtx, p: ServerParams, start: number, who: string, allowId: boolean): boolean | number {
  const a = ctx.args;
  let id: number | undefined;
  for (let i = start; i < a.length; i++) {
    const k = a[i];
    if (k === 'id') {
      if (!allowId) return err(ctx, 'CFG_NOT_ALLOWED_HERE', `${who}: 'id' is not allowed on 'default-server'`);
      const n = parseIntRange(a[i + 1] ?? '', 1, 2_147_483_647, "'id'");
      if (n instanceof Error) return err(ctx, 'CFG_BAD_VALUE', `${who}: ${n.message}`);
      id = n;
      i++;
      continue;
    }
    if (IGNORED_FLAGS[k]) {
      warn(ctx, 'CFG_IGNORED_KEYWORD', `${who}: ${IGNORED_FLAGS[k]}`);
      continue;
    }
    if (UNSUPPORTED[k]) return err(ctx, 'CFG_UNSUPPORTED', `${who}: ${UNSUPPORTED[k]}`);
    const def = SERVER_PARAMS[k];
    if (!def) {
      const all = ['id', ...Object.keys(SERVER_PARAMS), ...Object.keys(IGNORED_FLAGS), ...Object.keys(UNSUPPORTED)];
      return err(ctx, 'CFG_UNKNOWN_KEYWORD', `${who}: unknown keyword '${k}'${didYouMean(k, all)}`);
    }
    if (def.flag) {
      def.flag(p);
      continue;
    }
    if (def.flagCtx) {
      const problem = def.flagCtx(p, ctx);
      if (problem) return err(ctx, 'CFG_BAD_VALUE', `${who}: '${k}' ${problem}`);
      continue;
    }
    const v = a[i + 1];
    if (v === undefined) return err(ctx, 'CFG_MISSING_ARG', `${who}: '${k}' expects a value`);
    const problem = def.apply?.(p, v, ctx);
    if (problem) return err(ctx, 'CFG_BAD_VALUE', `${who}: '${k}' ${problem}`);
    i++;
  }
  return id ?? true;
}

/** `default-server [params]`: defaults for the following `server` lines of this section. */
export function parseDefaultServer(ctx: LineCtx, s: SectionState): void {
  const p = structuredClone(s.serverDefaults);
  if (parseParams(ctx, p, 1, "'default-server'", false) !== false) s.serverDefaults = p;
}

/** `server NAME ADDR:PORT [params]`. */
export function parseServer(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const name = a[1];
  if (!name || !a[2])
    return void err(ctx, 'CFG_MISSING_ARG', "'server' expects a name and an address: server NAME HOST:PORT [params]");
  if (!/^[A-Za-z0-9_.:-]+$/.test(name))
    return void err(
      ctx,
      'CFG_BAD_NAME',
      `server name '${name}' may only contain letters, digits, '_', '.', ':' and '-'`,
    );
  const built = serverLine(ctx, s, `server '${s.name}/${name}'`, 2);
  if (!built) return;
  if (built.explicitId) s.explicitServerIds.add(name);
  s.model.servers.push({ name, ...built.server, loc: { ...ctx.loc } });
}

/**
 * `server-template PREFIX NUM|LOW-HIGH FQDN[:PORT] [params]`: servers PREFIXLOW..PREFIXHIGH that
 * take their addresses from the DNS (A/AAAA records of FQDN, or SRV records when it starts with
 * `_`, then port and weight come from the records).
 */
export function parseServerTemplate(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  if (!a[3])
    return void err(
      ctx,
      'CFG_MISSING_ARG',
      "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.",
    );
  const prefix = a[1];
  const bad = /[^A-Za-z0-9_.:-]/.exec(prefix);
  if (bad)
    return void err(
      ctx,
      'CFG_BAD_NAME',
      `character '${bad[0]}' is not permitted in server-template prefix '${prefix}'.`,
    );
  const m = /^(\d+)(?:-(\d+))?$/.exec(a[2]);
  const low = m ? (m[2] === undefined ? 1 : Number(m[1])) : 0;
  const high = m ? Number(m[2] ?? m[1]) : 0;
  if (!m || low < 1 || high < low || high > 100_000)
    return void err(ctx, 'CFG_BAD_VALUE', `Wrong server-template number or range arg '${a[2]}'.`);
  const fqdn = a[3].replace(/:[^:\]]*$/, '');
  const srv = fqdn.startsWith('_');
  const built = serverLine(ctx, s, `server-template '${s.name}/${prefix}'`, 3, srv);
  if (!built) return;
  if (built.explicitId)
    return void err(ctx, 'CFG_NOT_ALLOWED_HERE', `server-template '${prefix}': 'id' is not allowed on a template`);
  if (!built.server.resolvers && srv)
    return void err(
      ctx,
      'CFG_MISSING_ARG',
      `server-template '${s.name}/${prefix}': SRV record '${fqdn}' needs a 'resolvers' section ('resolvers NAME')`,
    );
  const count = high - low + 1;
  for (let i = low; i <= high; i++) {
    s.model.servers.push({
      name: `${prefix}${i}`,
      ...structuredClone(built.server),
      template: { prefix, index: i - low, count, fqdn },
      loc: { ...ctx.loc },
    });
  }
}

/** The address and parameters of a `server` / `server-template` line; undefined after an error. */
function serverLine(
  ctx: LineCtx,
  s: SectionState,
  who: string,
  at: number,
  srvRecord = false,
): { server: Omit<ServerModel, 'name' | 'loc'>; explicitId: boolean } | undefined {
  const addr = ctx.args[at];
  // an SRV name may come without a port: the records give it (0 until then)
  const portless = srvRecord && !/:\d*$/.test(addr);
  const parsed = parseAddress(portless ? `${addr}:1` : addr);
  if (typeof parsed === 'string') return void err(ctx, 'CFG_BAD_ADDRESS', `${who}: ${parsed}`);
  if (parsed.kind === 'unix') return void err(ctx, 'CFG_UNSUPPORTED', `${who}: unix socket servers are not supported`);
  if (parsed.port === undefined) {
    return void err(
      ctx,
      'CFG_BAD_PORT',
      `${who}: missing port in '${addr}' (Switchyard needs HOST:PORT; HAProxy would reuse the client's destination port)`,
    );
  }
  const p = structuredClone(s.serverDefaults);
  const r = parseParams(ctx, p, at + 1, who, true);
  if (r === false) return;
  if (p.alpn && !p.ssl) warn(ctx, 'CFG_NO_EFFECT', `${who}: 'alpn' has no effect without 'ssl'`);
  if (p.checkAlpn && !(p.checkSsl ?? p.ssl))
    warn(ctx, 'CFG_NO_EFFECT', `${who}: 'check-alpn' has no effect without 'ssl' or 'check-ssl'`);
  return {
    server: { host: parsed.host, port: portless ? 0 : parsed.port, ...p, id: typeof r === 'number' ? r : 0 },
    explicitId: typeof r === 'number',
  };
}
