/**
 * `virtual_routes` / `static_routes` and `virtual_rules` / `static_rules` lines, read as keepalived
 * 2.2.7 reads them (vrrp_iproute.c alloc_route(), vrrp_iprule.c alloc_rule()): the same keywords,
 * the same messages, the same line dropped on an error. Each line becomes the argument list of an
 * `ip route` / `ip rule` command (iproute2 takes the same words keepalived copied from it), with
 * names (tables, protocols, scopes) resolved through iproute2's files as keepalived resolves them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { notRun, type ParseContext } from './engine.ts';
import type { IpRoute, IpRule, SourceLoc } from './model.ts';
import { ipFamily, readInt } from './values.ts';

/** keepalived's RTPROT_KEEPALIVED: tracked routes and rules are added with this protocol. */
export const RTPROT_KEEPALIVED = 18;

const RT_DIRS = ['/etc/iproute2', '/usr/share/iproute2', '/usr/lib/iproute2'];

/** iproute2's NAME <-> NUMBER files (rt_tables, rt_protos, ...), plus the built-in names. */
function rtNames(file: string, builtin: Record<string, number>): Map<string, number> {
  const m = new Map(Object.entries(builtin));
  for (const dir of RT_DIRS) {
    const paths = [`${dir}/${file}`];
    try {
      for (const f of readdirSync(`${dir}/${file}.d`)) if (f.endsWith('.conf')) paths.push(`${dir}/${file}.d/${f}`);
    } catch {
      // No .d directory.
    }
    for (const p of paths) {
      let text: string;
      try {
        text = readFileSync(p, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const w = line.replace(/#.*/, '').trim().split(/\s+/);
        if (w.length >= 2 && /^(0x[0-9a-f]+|\d+)$/i.test(w[0]) && !m.has(w[1])) m.set(w[1], Number(w[0]));
      }
    }
  }
  return m;
}

const cache = new Map<string, Map<string, number>>();
function lookup(file: string, builtin: Record<string, number>, s: string | undefined, max: number): number | undefined {
  if (s === undefined) return undefined;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(s)) {
    const n = Number(s);
    return n <= max ? n : undefined;
  }
  let m = cache.get(file);
  if (!m) {
    m = rtNames(file, builtin);
    cache.set(file, m);
  }
  return m.get(s);
}

const table = (s?: string) => lookup('rt_tables', { default: 253, main: 254, local: 255 }, s, 0xffffffff);
const proto = (s?: string) =>
  lookup('rt_protos', { unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, keepalived: 18 }, s, 255);
const scope = (s?: string) =>
  lookup('rt_scopes', { global: 0, universe: 0, nowhere: 255, host: 254, link: 253, site: 200 }, s, 255);
const dsfield = (s?: string) => lookup('rt_dsfield', {}, s, 255);
const ifGroup = (s?: string) => lookup('group', { default: 0 }, s, 0xffffffff);
const RTN_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
]);

/** `PREFIX` as keepalived's parse_route(): ADDR[/LEN] or `default`; its family, or undefined. */
function prefixFamily(s: string | undefined): 4 | 6 | 0 | undefined {
  if (s === undefined) return undefined;
  if (s === 'default') return 0;
  const [a, len, extra] = s.split('/');
  const fam = ipFamily(a);
  if (fam === 0 || extra !== undefined) return undefined;
  if (len !== undefined && (!/^\d+$/.test(len) || Number(len) > (fam === 4 ? 32 : 128))) return undefined;
  return fam;
}

const U32 = 0xffffffff;
const isU32 = (s: string | undefined, max = 0xffffffff) => s !== undefined && /^\d+$/.test(s) && Number(s) <= max;
/** keepalived's get_time_rtt(): a number with an optional s/ms/msec/secs unit (iproute2 takes the same). */
const isRtt = (s: string | undefined) => s !== undefined && /^\d+(\.\d+)?(s|sec|secs|ms|msec|msecs)?$/.test(s);
const isRealms = (s: string | undefined) =>
  s !== undefined && s.split('/').length <= 2 && s.split('/').every((p) => /^\w+$/.test(p));

/** Metrics passed to `ip route` as they are: keyword, optional `lock`, a value checked as keepalived does. */
/** `max`: a get_u32/get_u8 number up to max (read_unsigned's messages first); else `check`. */
const ROUTE_METRICS: Record<string, { lock: boolean; max?: number; check?: (s?: string) => boolean; what: string }> = {
  mtu: { lock: true, max: U32, what: 'Invalid MTU %s specified for route' },
  hoplimit: { lock: false, max: 255, what: 'Invalid hoplimit %s specified for route' },
  advmss: { lock: true, max: U32, what: 'Invalid advmss %s specified for route' },
  rtt: { lock: true, check: isRtt, what: 'Invalid rtt %s for route' },
  rttvar: { lock: true, check: isRtt, what: 'Invalid rttvar %s for route' },
  reordering: { lock: true, max: U32, what: 'Invalid reordering value %s specified for route' },
  window: { lock: false, max: U32, what: 'Invalid window value %s specified for route' },
  cwnd: { lock: true, max: U32, what: 'Invalid cwnd value %s specified for route' },
  ssthresh: { lock: true, max: U32, what: 'Invalid ssthresh value %s specified for route' },
  rto_min: { lock: true, check: isRtt, what: 'Invalid rto_min value %s specified for route' },
  initcwnd: { lock: false, max: U32, what: 'Invalid initcwnd value %s specified for route' },
  initrwnd: { lock: false, max: U32, what: 'Invalid initrwnd value %s specified for route' },
  quickack: { lock: false, max: 1, what: 'Invalid quickack value %s specified for route' },
  fastopen_no_cookie: { lock: false, max: 1, what: 'Invalid fastopen_no_cookie value %s specified for route' },
  congctl: { lock: true, check: (s) => s !== undefined, what: 'Invalid congctl %s specified for route' },
};

/** Words keepalived reads that Switchyard does not translate: the sidecar refuses the line. */
const ROUTE_REFUSED = new Set(['encap', 'as', 'vrf', 'ttl-propagate', 'track_group']);
const RULE_REFUSED = new Set(['track_group']);

/**
 * One route line (`static` allows track_group, which Switchyard refuses). Returns undefined when
 * keepalived drops the line (its message reported) or Switchyard refuses it (SY_NOT_RUN).
 */
export function parseRoute(
  ctx: ParseContext,
  words: string[],
  loc: SourceLoc,
  owner: string,
  isStatic: boolean,
): IpRoute | undefined {
  const err = (msg: string) => {
    ctx.report('warning', 'KA_BAD_ROUTE', msg, loc);
    return undefined;
  };
  /** keepalived's get_u32(): read_unsigned()'s own message, then the caller's. */
  const u32 = (v: string | undefined, max: number, msg: string) => {
    if (readInt(ctx, v, 0, max, loc) !== undefined) return true;
    ctx.report('warning', 'KA_BAD_ROUTE', msg.replace('%s', v ?? ''), loc);
    return false;
  };
  let family: 4 | 6 | undefined;
  const setFamily = (f: 4 | 6) => {
    if (family !== undefined && family !== f) return false;
    family = f;
    return true;
  };
  let type: string | undefined;
  let dst: string | undefined;
  let via: { fam?: 'inet' | 'inet6'; addr: string } | undefined;
  let nexthops: string[][] = [];
  let verb: IpRoute['verb'] = 'prepend';
  let protocol: number | undefined;
  let dev: string | undefined;
  let noTrack = false;
  // keepalived's default scope is RT_SCOPE_UNIVERSE; `ip route` would pick link for a route without a gateway.
  let scopeValue = 0;
  const opts: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i];
    const next = () => words[++i];
    if (w === 'inet6' || w === 'inet') {
      if (!setFamily(w === 'inet6' ? 6 : 4)) return err(`${w} specified for IPv${w === 'inet6' ? 4 : 6} route`);
      // keepalived 2.2.7 steps over the word after inet/inet6 too (an extra i++): `inet6 PREFIX`
      // loses its PREFIX ("Route must have a destination"); write the family word last.
      i++;
    } else if (w === 'src') {
      const a = next();
      const f = a === undefined ? 0 : ipFamily(a);
      if (f === 0) return err(`invalid route src address ${a ?? ''}`);
      if (!setFamily(f)) return err('Cannot mix IPv4 and IPv6 addresses for route');
      opts.push('src', a);
    } else if (ROUTE_REFUSED.has(w) && (w !== 'track_group' || isStatic)) {
      notRun(ctx, `(${owner}) route option '${w}' is not supported by Switchyard`, loc);
      return undefined;
    } else if (w === 'via' || w === 'gw') {
      if (w === 'gw') ctx.report('warning', 'KA_ROUTE_GW', '"gw" for routes is deprecated. Please use "via"', loc);
      let a = next();
      let fam: 'inet' | 'inet6' | undefined;
      if (a === 'inet' || a === 'inet6') {
        fam = a;
        a = next();
      }
      const f = a === undefined ? 0 : ipFamily(a);
      if (f === 0) return err(`invalid route via address ${a ?? ''}`);
      if ((fam === 'inet' && f !== 4) || (fam === 'inet6' && f !== 6) || !setFamily(f))
        return err('Cannot mix IPv4 and IPv6 addresses for route');
      via = { fam, addr: a };
    } else if (w === 'from') {
      const a = next();
      const f = prefixFamily(a);
      if (f === undefined) return err(`invalid route from address ${a ?? ''}`);
      if (f !== 6) return err(`route from address only supported with IPv6 (${a})`);
      if (!setFamily(6)) return err('Cannot mix IPv4 and IPv6 addresses for route');
      opts.push('from', a!);
    } else if (w === 'tos' || w === 'dsfield') {
      const v = dsfield(next());
      if (v === undefined) return err(`TOS value ${words[i] ?? ''} is invalid`);
      opts.push('tos', `0x${v.toString(16)}`);
    } else if (w === 'table') {
      const v = table(next());
      if (v === undefined) return err(`Routing table ${words[i] ?? ''} not found for route`);
      opts.push('table', String(v));
    } else if (w === 'protocol') {
      const v = proto(next());
      if (v === undefined) return err(`Protocol ${words[i] ?? ''} not found or invalid for route`);
      protocol = v;
    } else if (w === 'scope') {
      const v = scope(next());
      if (v === undefined) return err(`Scope ${words[i] ?? ''} not found or invalid for route`);
      scopeValue = v;
    } else if (w === 'metric' || w === 'priority' || w === 'preference') {
      const v = next();
      if (!u32(v, U32, 'Invalid metric %s specified for route')) return undefined;
      opts.push('metric', v!);
    } else if (w === 'dev' || w === 'oif') {
      const v = next();
      if (v === undefined || (ctx.host && !ctx.host.ifExists(v)))
        return err(`WARNING - interface ${v ?? ''} for VROUTE nexthop doesn't exist`);
      dev = v;
    } else if (w === 'onlink') {
      opts.push('onlink');
    } else if (w === 'expires') {
      const v = next();
      if (family === 4) return err('expires is only valid for IPv6');
      family = 6;
      if (!u32(v, U32, 'Invalid expires time %s specified for route')) return undefined;
      opts.push('expires', v!);
    } else if (w in ROUTE_METRICS) {
      const m = ROUTE_METRICS[w];
      const out = [w];
      let v = next();
      if (m.lock && v === 'lock') {
        out.push('lock');
        v = next();
      }
      if (m.max !== undefined ? !u32(v, m.max, m.what) : !m.check?.(v)) {
        if (m.max === undefined) err(m.what.replace('%s', v ?? ''));
        return undefined;
      }
      opts.push(...out, v!);
    } else if (w === 'realms') {
      const v = next();
      if (!isRealms(v)) return err(`Invalid realms ${v ?? ''} for route`);
      if (family === 6) return err('realms are only valid for IPv4');
      family = 4;
      opts.push('realms', v!);
    } else if (w === 'features') {
      const v = next();
      if (v === 'ecn') opts.push('features', 'ecn');
      else ctx.report('warning', 'KA_BAD_ROUTE', `feature ${v ?? ''} not supported`, loc);
    } else if (w === 'pref') {
      const v = next();
      if (family === 4) return err('pref is only valid for IPv6');
      family = 6;
      if (v !== 'low' && v !== 'medium' && v !== 'high' && !isU32(v, 255))
        return err(`Invalid pref value ${v ?? ''} specified for route`);
      opts.push('pref', v!);
    } else if (w === 'add' || w === 'prepend' || w === 'append') {
      verb = w;
    } else if (w === 'or') {
      ctx.report('warning', 'KA_ROUTE_OR', '"or" for routes is deprecated. Please use "nexthop"', loc);
      if (nexthops.length) {
        ctx.report('warning', 'KA_ROUTE_OR', '"or" route already specified - ignoring subsequent', loc);
        i++;
        continue;
      }
      const a = next();
      if (a === undefined || ipFamily(a) === 0) return err(`Invalid "or" address ${a ?? ''}`);
      nexthops = [via ? ['via', via.addr] : [], ['via', a]];
      via = undefined;
    } else if (w === 'nexthop') {
      if (nexthops.length) {
        ctx.report('warning', 'KA_ROUTE_OR', 'Cannot specify nexthops with "or" route', loc);
        i = words.length;
        break;
      }
      const r = parseNexthops(ctx, words, i, loc, owner, u32);
      if (r === undefined) return undefined;
      nexthops = r.hops;
      i = r.end;
      break;
    } else if (w === 'no_track') {
      noTrack = true;
    } else {
      let d = w;
      if (d === 'to') d = next() ?? '';
      if (RTN_TYPES.has(d)) {
        type = d;
        d = next() ?? '';
      }
      const f = prefixFamily(d);
      if (f === undefined) {
        if (d !== '' && ipFamily(d.split('/')[0]) === 0)
          ctx.report('warning', 'KA_INVALID_VIP', `VRRP parsed invalid IP ${d}. skipping IP...`, loc);
        return err(`unknown route keyword ${d}`);
      }
      if (f !== 0 && !setFamily(f)) return err(`Cannot mix IPv4 and IPv6 addresses for route (${d})`);
      dst = d;
    }
  }
  if (i < words.length) return err(`Route has trailing nonsense - ${words[i]}`);
  if (dst === undefined) return err('Route must have a destination');
  if (!noTrack) {
    protocol = trackedProtocol(ctx, 'Route', protocol, loc);
    if (dev === undefined)
      ctx.report(
        'warning',
        'KA_ROUTE_NO_TRACK',
        `Warning - cannot track route ${dst} with no interface specified, not tracking`,
        loc,
      );
  }
  const fam = family ?? 4;
  const args = [...(type ? [type] : []), dst === 'default' ? 'default' : dst];
  if (via) args.push('via', ...(via.fam ? [via.fam] : []), via.addr);
  if (dev) args.push('dev', dev);
  args.push(...opts, 'scope', String(scopeValue));
  // keepalived's routes carry its protocol unless one is given (no_track only lets it differ).
  args.push('proto', String(protocol ?? RTPROT_KEEPALIVED));
  for (const h of nexthops) args.push('nexthop', ...h);
  return { family: fam, verb, args, text: words.join(' '), loc };
}

/**
 * `nexthop via ADDR dev IF weight N onlink realms R ...` (encap refused). As keepalived's
 * parse_nexthops(), a bad hop ends the list there and the route keeps the hops read before it.
 */
function parseNexthops(
  ctx: ParseContext,
  words: string[],
  start: number,
  loc: SourceLoc,
  owner: string,
  u32: (v: string | undefined, max: number, msg: string) => boolean,
): { hops: string[][]; end: number } | undefined {
  const hops: string[][] = [];
  let i = start;
  const bad = (msg?: string) => {
    if (msg) ctx.report('warning', 'KA_BAD_ROUTE', msg, loc);
    return { hops, end: words.length };
  };
  while (words[i] === 'nexthop') {
    const hop: string[] = [];
    i++;
    for (; i < words.length; i++) {
      const w = words[i];
      if (w === 'via') {
        let a = words[++i];
        const out = ['via'];
        if (a === 'inet' || a === 'inet6') {
          out.push(a);
          a = words[++i];
        }
        if (a === undefined || ipFamily(a) === 0) return bad(`invalid nexthop address ${a ?? ''}`);
        hop.push(...out, a);
      } else if (w === 'dev') {
        const v = words[++i];
        if (v === undefined || (ctx.host && !ctx.host.ifExists(v)))
          return bad(`WARNING - interface ${v ?? ''} for VROUTE nexthop doesn't exist`);
        hop.push('dev', v);
      } else if (w === 'weight') {
        const v = words[++i];
        if (!u32(v, 256, 'Invalid weight %s specified for route')) return bad();
        if (Number(v) === 0) return bad('Invalid weight 0 specified for route');
        hop.push('weight', v!);
      } else if (w === 'onlink') {
        hop.push('onlink');
      } else if (w === 'realms') {
        const v = words[++i];
        if (!isRealms(v)) return bad(`Invalid realms ${v ?? ''} for route`);
        hop.push('realms', v!);
      } else if (w === 'as') {
        if (words[++i] === 'to') i++;
        return bad("'as [to]' (nat) not supported");
      } else if (w === 'encap') {
        notRun(ctx, `(${owner}) nexthop option 'encap' is not supported by Switchyard`, loc);
        return undefined;
      } else break;
    }
    hops.push(hop);
  }
  if (i < words.length) {
    ctx.report('warning', 'KA_BAD_ROUTE', `Route has trailing nonsense after nexthops - ${words[i]}`, loc);
    return undefined;
  }
  return { hops, end: i };
}

/** One rule line, as keepalived's alloc_rule(). */
export function parseRule(
  ctx: ParseContext,
  words: string[],
  loc: SourceLoc,
  owner: string,
  isStatic: boolean,
): IpRule | undefined {
  const err = (msg: string) => {
    ctx.report('warning', 'KA_BAD_RULE', msg, loc);
    return undefined;
  };
  let family: 4 | 6 | undefined;
  const mixed = (f: 4 | 6) => {
    if (family !== undefined && family !== f) return true;
    family = f;
    return false;
  };
  let action: string[] | undefined;
  let priority: number | undefined;
  let gotoTarget: number | undefined;
  let tableOption = false;
  let l3mdev = false;
  let hasTable = false;
  let protocol: number | undefined;
  let noTrack = false;
  const sel: string[] = [];
  const setAction = (a: string[]) => {
    if (action !== undefined) return false;
    action = a;
    return true;
  };
  const MORE = 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = () => words[++i];
    if (w === 'inet6' || w === 'inet') {
      if (mixed(w === 'inet6' ? 6 : 4)) return err(`${w} specified for IPv${w === 'inet6' ? 4 : 6} rule`);
      i++; // keepalived 2.2.7 skips the next word too (see parseRoute)
    } else if (w === 'from' || w === 'to') {
      const a = next();
      const f = prefixFamily(a);
      if (f === undefined) return err(`Invalid rule ${w} address ${a ?? ''}`);
      if (f !== 0 && mixed(f)) return err('rule specification has mixed IPv4 and IPv6');
      sel.push(w, a === 'default' ? 'all' : a!);
    } else if (w === 'table' || w === 'lookup') {
      const v = table(next());
      if (v === undefined) return err(`Routing table ${words[i] ?? ''} not found for rule`);
      if (v === 0) return err('Table 0 is not valid');
      if (!setAction(['table', String(v)])) return err(`${MORE} for rule`);
      hasTable = true;
    } else if (w === 'not') {
      sel.unshift('not');
    } else if (w === 'preference' || w === 'order' || w === 'priority') {
      const v = next();
      if (v === undefined || !/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(v) || Number(v) > 0xffffffff)
        return err(`Invalid rule preference ${w} specified`);
      priority = /^0[0-7]+$/.test(v) ? Number.parseInt(v, 8) : Number(v);
    } else if (w === 'tos' || w === 'dsfield') {
      const v = dsfield(next());
      if (v === undefined) return err(`TOS value ${words[i] ?? ''} is invalid`);
      sel.push('tos', `0x${v.toString(16)}`);
    } else if (w === 'fwmark') {
      const v = next() ?? '';
      const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(v);
      if (!m || Number(m[1]) > 0xffffffff || (m[2] !== undefined && Number(m[2]) > 0xffffffff))
        return err(`Invalid rule fwmark ${v} specified`);
      sel.push('fwmark', v);
    } else if (w === 'realms') {
      const v = next();
      if (!isRealms(v)) return err(`invalid realms ${v ?? ''} for rule`);
      tableOption = true;
      if (mixed(4)) return err('realms is only valid for IPv4');
      sel.push('realms', v!);
    } else if (w === 'suppress_prefixlength' || w === 'sup_pl') {
      const v = next();
      if (!isU32(v, 0x7fffffff)) return err(`Invalid suppress_prefixlength ${w} specified`);
      tableOption = true;
      sel.push('suppress_prefixlength', v!);
    } else if (w === 'suppress_ifgroup' || w === 'sup_group') {
      const v = ifGroup(next());
      if (v === undefined) return err(`suppress_group ${words[i] ?? ''} is invalid`);
      tableOption = true;
      sel.push('suppress_ifgroup', String(v));
    } else if (w === 'dev' || w === 'iif' || w === 'oif') {
      const v = next();
      if (v === undefined || (ctx.host && !ctx.host.ifExists(v)))
        return err(`WARNING - interface ${v ?? ''} for rule doesn't exist`);
      sel.push(w === 'oif' ? 'oif' : 'iif', v);
    } else if (w === 'tunnel-id') {
      const v = next();
      if (v === undefined || !/^\d+$/.test(v)) return err(`Invalid tunnel-id ${w} specified`);
      sel.push('tun_id', v);
    } else if (w === 'uidrange') {
      const v = next();
      if (v === undefined || !/^\d+-\d+/.test(v)) return err(`Invalid uidrange ${w} specified`);
      sel.push('uidrange', /^\d+-\d+/.exec(v)![0]);
    } else if (w === 'l3mdev') {
      l3mdev = true;
      if (action !== undefined) return err('Cannot specify l3mdev with other action');
      action = ['l3mdev'];
    } else if (w === 'protocol') {
      const v = next();
      if (!isU32(v, 255)) ctx.report('warning', 'KA_BAD_RULE', `Invalid protocol ${v ?? ''}`, loc);
      else protocol = Number(v);
    } else if (w === 'ipproto') {
      const v = next();
      const n = v === undefined ? -1 : ipProto(v);
      if (n < 0) ctx.report('warning', 'KA_BAD_RULE', `Invalid ipproto ${v ?? ''}`, loc);
      else sel.push('ipproto', String(n));
    } else if (w === 'sport' || w === 'dport') {
      const v = next();
      const m = v === undefined ? null : /^(\d+)(?:-(\d+))?/.exec(v);
      // keepalived's sscanf("%hu-%hu") keeps a single port as start=end... but only accepts two numbers.
      if (!m || m[2] === undefined || Number(m[1]) > 65535 || Number(m[2]) > 65535)
        ctx.report('warning', 'KA_BAD_RULE', `invalid ${w} range ${v ?? ''}`, loc);
      else sel.push(w, `${m[1]}-${m[2]}`);
    } else if (w === 'no_track') {
      noTrack = true;
    } else if (RULE_REFUSED.has(w) && isStatic) {
      notRun(ctx, `(${owner}) rule option '${w}' is not supported by Switchyard`, loc);
      return undefined;
    } else {
      let a = w;
      if (a === 'type') a = next() ?? '';
      let act: string[];
      if (a === 'goto') {
        const v = next();
        if (!isU32(v)) return err(`Invalid target ${a} specified`);
        gotoTarget = Number(v);
        act = ['goto', v!];
      } else if (a === 'nop') act = ['nop'];
      else if (a === 'blackhole' || a === 'unreachable' || a === 'prohibit') act = [a];
      else if (RTN_TYPES.has(a)) return err(`Invalid rule action ${a}`);
      else return err(`Unknown rule option ${a}`);
      if (!setAction(act)) return err(`${MORE}/l3mdev for rule`);
    }
  }
  if (gotoTarget !== undefined) {
    if (priority === undefined) return err(`Invalid rule - goto target ${gotoTarget} specified without preference`);
    if (priority >= gotoTarget) return err(`Invalid rule - preference ${priority} >= goto target ${gotoTarget}`);
  }
  if (action === undefined) return err('No action specified for rule - ignoring');
  if (!hasTable && !l3mdev && tableOption) return err('suppressor/realm specified for non table action - skipping');
  if (hasTable && l3mdev) return err('table cannot be specified for l3mdev rules');
  if (!noTrack) protocol = trackedProtocol(ctx, 'Rule', protocol, loc);
  const fam = family ?? 4;
  if (priority === undefined) {
    priority = ctx.nextRulePriority[fam]--;
    ctx.report(
      'warning',
      'KA_RULE_NO_PREF',
      `Rule has no preference specified - setting to ${priority}. This is probably not what you want.`,
      loc,
    );
  }
  const args = [...sel, 'pref', String(priority), ...action];
  if (protocol !== undefined) args.push('protocol', String(protocol));
  return { family: fam, args, text: words.join(' '), loc };
}

/** A tracked route or rule gets keepalived's protocol, whatever was given (with keepalived's warning). */
function trackedProtocol(ctx: ParseContext, what: 'Route' | 'Rule', given: number | undefined, loc: SourceLoc) {
  if (given !== undefined && given !== RTPROT_KEEPALIVED) {
    ctx.report(
      'warning',
      what === 'Route' ? 'KA_BAD_ROUTE' : 'KA_BAD_RULE',
      `${what} cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`,
      loc,
    );
  }
  return RTPROT_KEEPALIVED;
}

/** An IP protocol name or number, as /etc/protocols (inet_proto_a2n). */
function ipProto(s: string): number {
  if (/^\d+$/.test(s)) return Number(s) <= 255 ? Number(s) : -1;
  const known: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, 'ipv6-icmp': 58, sctp: 132, gre: 47 };
  const k = known[s.toLowerCase()];
  if (k !== undefined) return k;
  try {
    for (const line of readFileSync('/etc/protocols', 'utf8').split('\n')) {
      const w = line.replace(/#.*/, '').trim().split(/\s+/);
      if (w.length >= 2 && (w[0] === s || w.slice(2).includes(s))) return Number(w[1]);
    }
  } catch {
    // No /etc/protocols.
  }
  return -1;
}
