/**
 * Value readers worded like keepalived 2.2.7's read_int/read_unsigned/read_double (lib/parser.c):
 * each returns the value, or undefined after recording keepalived's message.
 */
import { isIP } from 'node:net';
import type { ParseContext } from './engine.ts';
import type { SourceLoc, VipAddress } from './model.ts';

/** Integer in [min, max] (keepalived read_int / read_unsigned wording). */
export function readInt(ctx: ParseContext, s: string | undefined, min: number, max: number, loc: SourceLoc) {
  if (s === undefined) {
    ctx.report('error', 'KA_MISSING_PARAMETER', 'missing parameter', loc);
    return undefined;
  }
  const t = s.trim();
  if (min >= 0 && t.startsWith('-')) {
    ctx.report('warning', 'KA_INVALID_NUMBER', `negative number '${s}'`, loc);
    return undefined;
  }
  if (!/^[-+]?\d+$/.test(t)) {
    ctx.report('warning', 'KA_INVALID_NUMBER', `invalid number '${s}'`, loc);
    return undefined;
  }
  const v = Number(t);
  if (!Number.isSafeInteger(v) || v > 0xffffffff || v < -0x80000000) {
    ctx.report('warning', 'KA_INVALID_NUMBER', `number '${s}' outside integer range`, loc);
    return undefined;
  }
  if (v < min || v > max) {
    ctx.report('warning', 'KA_INVALID_NUMBER', `number '${s}' outside range [${min}, ${max}]`, loc);
    return undefined;
  }
  return v;
}

/** Decimal number in [min, max] (keepalived read_double, as used for timers). */
export function readDouble(ctx: ParseContext, s: string | undefined, min: number, max: number, loc: SourceLoc) {
  if (s === undefined) {
    ctx.report('error', 'KA_MISSING_PARAMETER', 'missing parameter', loc);
    return undefined;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s.trim())) {
    ctx.report('warning', 'KA_INVALID_NUMBER', `invalid number '${s}'`, loc);
    return undefined;
  }
  const v = Number(s);
  if (!Number.isFinite(v)) {
    ctx.report('warning', 'KA_INVALID_NUMBER', `number '${s}' out of range`, loc);
    return undefined;
  }
  if (v < min || v > max) {
    ctx.report(
      'warning',
      'KA_INVALID_NUMBER',
      `number '${s}' outside range [${min.toFixed(6)}, ${max.toFixed(6)}]`,
      loc,
    );
    return undefined;
  }
  return v;
}

/** keepalived's check_true_false(): on/true/yes, off/false/no; a bare keyword means true. */
export function readBool(ctx: ParseContext, kw: string, args: string[], loc: SourceLoc): boolean {
  if (args.length === 0) return true;
  const s = args[0];
  if (s === 'true' || s === 'on' || s === 'yes') return true;
  if (s === 'false' || s === 'off' || s === 'no') return false;
  ctx.report('warning', 'KA_INVALID_BOOL', `Invalid value '${s}' for ${kw} - using true`, loc);
  return true;
}

/** Requires one parameter; reports keepalived's missing-parameter message otherwise. */
export function need1(ctx: ParseContext, kw: string, args: string[], loc: SourceLoc): string | undefined {
  if (args.length === 0) {
    ctx.report(
      'error',
      'KA_MISSING_PARAMETER',
      `Configuration line starting \`${kw}\` is missing a parameter after keyword \`${kw}\` at word position 2`,
      loc,
    );
    return undefined;
  }
  return args[0];
}

/** An IPv4/IPv6 address (no prefix); family or 0. */
export function ipFamily(s: string): 0 | 4 | 6 {
  return isIP(s) as 0 | 4 | 6;
}

/**
 * One virtual_ipaddress line: `ADDR[/PREFIX] [dev IF] [label L] [brd B] [broadcast B] [scope S]`.
 * Keepalived's messages for a bad address or prefix.
 */
export function parseVip(
  ctx: ParseContext,
  words: string[],
  loc: SourceLoc,
  instance: string,
  family?: 4 | 6,
): VipAddress | undefined {
  const [addrPart, ...rest] = words;
  const slash = addrPart.indexOf('/');
  const address = slash >= 0 ? addrPart.slice(0, slash) : addrPart;
  const fam = ipFamily(address);
  if (fam === 0) {
    ctx.report('error', 'KA_INVALID_VIP', `VRRP parsed invalid IP ${addrPart}. skipping IP...`, loc);
    return undefined;
  }
  if (family !== undefined && fam !== family) {
    ctx.report(
      'error',
      'KA_VIP_FAMILY',
      `(${instance}): address family must match VRRP instance [${addrPart}] - ignoring`,
      loc,
    );
    return undefined;
  }
  const maxPrefix = fam === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const p = readInt(ctx, addrPart.slice(slash + 1), 0, maxPrefix, loc);
    if (p === undefined) {
      ctx.report(
        'warning',
        'KA_INVALID_PREFIX',
        `Invalid address prefix len ${addrPart.slice(slash + 1)} for address ${addrPart} - using ${maxPrefix}`,
        loc,
      );
    } else prefix = p;
  }
  const vip: VipAddress = { address, family: fam, prefix, loc };
  for (let i = 0; i < rest.length; i++) {
    const k = rest[i];
    const v = rest[i + 1];
    if (k === 'dev' || k === 'label' || k === 'brd' || k === 'broadcast' || k === 'scope') {
      if (v === undefined) {
        ctx.report('error', 'KA_MISSING_PARAMETER', `No ${k} parameter specified for ${addrPart}`, loc);
        break;
      }
      if (k === 'dev') vip.dev = v;
      else if (k === 'label') vip.label = v;
      else if (k === 'scope') vip.scope = v;
      else if (fam === 4 && prefix === 32) {
        ctx.report('warning', 'KA_BRD_PREFIX', 'Address prefix length 32 too long for broadcast', loc);
      } else if (ipFamily(v) !== 4 && v !== '+' && v !== '-') {
        ctx.report('warning', 'KA_INVALID_BRD', `Invalid broadcast address ${v} - ignoring`, loc);
      } else vip.brd = v;
      i++;
    } else if (k === 'no_track' || k === 'home' || k === 'nodad' || k === 'noprefixroute' || k === 'autojoin') {
      ctx.report(
        'warning',
        'SY_VIP_OPTION_IGNORED',
        `virtual_ipaddress option '${k}' has no effect in Switchyard`,
        loc,
      );
    } else {
      ctx.report(
        'warning',
        'KA_UNKNOWN_VIP_OPTION',
        `Unknown configuration entry '${k}' for ip address - ignoring`,
        loc,
      );
    }
  }
  return vip;
}
