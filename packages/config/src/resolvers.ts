/**
 * The `resolvers NAME` section (HAProxy 2.6, configuration.txt 5.3.2): `nameserver`,
 * `parse-resolv-conf`, `accepted_payload_size`, `resolve_retries`, `timeout resolve|retry`,
 * `hold EVENT T`. Messages follow src/resolvers.c's cfg_parse_resolvers().
 */
import { isIP } from 'node:net';
import { parseAddress } from './address.ts';
import type { Reporter } from './diagnostics.ts';
import type { ConfigModel, ResolversModel, SourceLoc } from './model.ts';
import { configTime, err, type LineCtx, warn } from './state.ts';
import { didYouMean } from './suggest.ts';

const KEYWORDS = ['nameserver', 'parse-resolv-conf', 'accepted_payload_size', 'resolve_retries', 'timeout', 'hold'];
const HOLD_EVENTS = ['valid', 'nx', 'timeout', 'refused', 'other', 'obsolete'] as const;

/** A resolvers section with HAProxy's defaults. */
export function newResolvers(name: string, loc: SourceLoc): ResolversModel {
  return {
    name,
    nameservers: [],
    acceptedPayloadSize: 512,
    resolveRetries: 3,
    timeoutResolve: 1000,
    timeoutRetry: 1000,
    hold: { valid: 10_000, nx: 30_000, timeout: 30_000, refused: 30_000, other: 30_000, obsolete: 0 },
    loc: { ...loc },
  };
}

function time(ctx: LineCtx, text: string, what: string): number | undefined {
  const t = configTime(ctx, text);
  if (t instanceof Error) return void err(ctx, t.code, `${what}: ${t.message}`);
  return t;
}

/** Parses one line inside a resolvers section. */
export function parseResolversLine(ctx: LineCtx, rs: ResolversModel): void {
  const a = ctx.args;
  const kw = a[0];
  switch (kw) {
    case 'nameserver': {
      if (!a[2])
        return void err(ctx, 'CFG_MISSING_ARG', `'nameserver' expects <name> and <addr>[:<port>] as arguments`);
      const bad = /[^A-Za-z0-9_.:-]/.exec(a[1]);
      if (bad) return void err(ctx, 'CFG_BAD_NAME', `character '${bad[0]}' is not permitted in server name '${a[1]}'`);
      const dup = rs.nameservers.find((n) => n.id === a[1]);
      if (dup)
        err(
          ctx,
          'CFG_DUPLICATE_NAME',
          `nameserver '${a[1]}' has same name as another nameserver (declared at ${dup.loc.file}:${dup.loc.line})`,
        );
      let addr = a[2];
      if (addr.startsWith('udp@')) addr = addr.slice(4);
      else if (addr.startsWith('tcp@'))
        return void err(
          ctx,
          'CFG_UNSUPPORTED',
          `'nameserver ${a[1]}': DNS over TCP ('tcp@') is not supported; use a UDP nameserver`,
        );
      const p = parseAddress(addr);
      if (typeof p === 'string') return void err(ctx, 'CFG_BAD_ADDRESS', `'nameserver ${a[1]}' : ${p}`);
      if (p.kind !== 'inet' || p.port === undefined || p.portEnd !== undefined)
        return void err(ctx, 'CFG_BAD_PORT', `'nameserver ${a[1]}' : missing port number: '${a[2]}'`);
      if (isIP(p.host) === 0)
        return void err(
          ctx,
          'CFG_BAD_ADDRESS',
          `'nameserver ${a[1]}' : '${p.host}' is not an IP address (Switchyard does not resolve nameserver names)`,
        );
      if (a.length > 3) return void err(ctx, 'CFG_EXTRA_ARGS', `'nameserver ${a[1]}': unexpected argument '${a[3]}'`);
      rs.nameservers.push({ id: a[1], host: p.host, port: p.port, loc: { ...ctx.loc } });
      return;
    }
    case 'parse-resolv-conf':
      parseResolvConf(ctx, rs);
      return;
    case 'hold': {
      if (!a[2]) {
        return void err(
          ctx,
          'CFG_MISSING_ARG',
          `'hold' expects an <event> and a <time> as arguments; <event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'`,
        );
      }
      const t = time(ctx, a[2], `'hold ${a[1]}'`);
      if (t === undefined) return;
      const ev = a[1] as (typeof HOLD_EVENTS)[number];
      if (!HOLD_EVENTS.includes(ev))
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'hold' unknown <event>: '${a[1]}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'`,
        );
      rs.hold[ev] = t;
      return;
    }
    case 'accepted_payload_size': {
      if (!a[1]) return void err(ctx, 'CFG_MISSING_ARG', `'accepted_payload_size' expects <nb> as argument`);
      // HAProxy reads it with atoi(): leading digits count, anything else is 0 (out of range)
      const n = Number(/^\s*[-+]?\d+/.exec(a[1])?.[0] ?? 0);
      if (n < 12 || n > 65535)
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'accepted_payload_size' must be between 12 and 65535 inclusive (was ${a[1]})`,
        );
      rs.acceptedPayloadSize = n;
      return;
    }
    case 'resolution_pool_size':
      return void err(
        ctx,
        'CFG_UNKNOWN_KEYWORD',
        `'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release)`,
      );
    case 'resolve_retries': {
      if (!a[1]) return void err(ctx, 'CFG_MISSING_ARG', `'resolve_retries' expects <nb> as argument`);
      if (!/^\d+$/.test(a[1]) || Number(a[1]) < 1 || Number(a[1]) > 1000)
        // HAProxy takes atoi() of anything (0 for 'abc': no query would ever be sent); refused here
        return void err(ctx, 'CFG_BAD_VALUE', `'resolve_retries' expects an integer between 1 and 1000, got '${a[1]}'`);
      rs.resolveRetries = Number(a[1]);
      return;
    }
    case 'timeout': {
      if (!a[1])
        return void err(ctx, 'CFG_MISSING_ARG', `'timeout' expects 'retry' or 'resolve' and <time> as arguments`);
      if (a[1] !== 'retry' && a[1] !== 'resolve')
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'timeout' expects 'retry' or 'resolve' and <time> as arguments got '${a[1]}'`,
        );
      if (!a[2]) return void err(ctx, 'CFG_MISSING_ARG', `'timeout ${a[1]}' expects <time> as argument`);
      const t = time(ctx, a[2], `'timeout ${a[1]}'`);
      if (t === undefined) return;
      // haproxy takes 0: queries are then sent again (retry) or names resolved again (resolve) without pause
      if (t === 0)
        warn(
          ctx,
          'CFG_BAD_VALUE',
          `'timeout ${a[1]} 0': ${a[1] === 'retry' ? 'unanswered queries are sent again at once' : 'names are resolved again as soon as an answer arrives'}, as HAProxy does; set a time`,
        );
      if (a[1] === 'retry') rs.timeoutRetry = t;
      else rs.timeoutResolve = t;
      return;
    }
    default:
      err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown keyword '${kw}' in 'resolvers' section${didYouMean(kw, KEYWORDS)}`);
  }
}

/** `parse-resolv-conf`: the `nameserver` lines of /etc/resolv.conf, port 53, named by their address. */
function parseResolvConf(ctx: LineCtx, rs: ResolversModel): void {
  if (!ctx.readFile)
    return void err(ctx, 'CFG_READ_FAILED', `'parse-resolv-conf': /etc/resolv.conf cannot be read here`);
  const text = ctx.readFile('/etc/resolv.conf');
  if (text instanceof Error)
    return void err(ctx, 'CFG_READ_FAILED', `failed to open /etc/resolv.conf: ${text.message}`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^nameserver(\s+(\S*))?/.exec(lines[i]);
    if (!m) continue;
    const at = `parsing [/etc/resolv.conf:${i + 1}]`;
    const address = m[2];
    if (!address) {
      warn(ctx, 'CFG_BAD_ADDRESS', `${at} : nameserver line is missing address.`);
      continue;
    }
    const dup = rs.nameservers.find((n) => n.id === address);
    if (dup) {
      warn(
        ctx,
        'CFG_DUPLICATE_NAME',
        `${at} : generated name for /etc/resolv.conf nameserver '${address}' conflicts with another nameserver (declared at ${dup.loc.file}:${dup.loc.line}), it appears to be a duplicate and will be excluded.`,
      );
      continue;
    }
    if (isIP(address) === 0) {
      warn(
        ctx,
        'CFG_BAD_ADDRESS',
        `${at} : address '${address}' could not be recognized, nameserver will be excluded.`,
      );
      continue;
    }
    rs.nameservers.push({ id: address, host: address, port: 53, loc: { file: '/etc/resolv.conf', line: i + 1 } });
  }
}

/** Every `resolvers NAME` a server names must exist (HAProxy: resolvers_finalize_config()). */
export function checkResolverRefs(config: ConfigModel, r: Reporter): void {
  const names = new Set((config.resolvers ?? []).map((x) => x.name));
  for (const p of config.proxies) {
    for (const s of p.servers) {
      if (s.resolvers === undefined || names.has(s.resolvers)) continue;
      r.error(
        s.loc,
        'CFG_UNKNOWN_RESOLVERS',
        `${p.kind === 'listen' ? 'proxy' : p.kind} '${p.name}', server '${s.name}': unable to find required resolvers '${s.resolvers}'${didYouMean(s.resolvers, names)}`,
      );
    }
  }
  for (const rs of config.resolvers ?? []) {
    if (rs.nameservers.length === 0)
      r.warn(rs.loc, 'CFG_NO_EFFECT', `resolvers '${rs.name}' has no nameserver: its names will never resolve`);
  }
}
