/**
 * TLS settings shared by `bind`, `server` and the global `ssl-default-bind-*` /
 * `ssl-default-server-*` lines (HAProxy 2.6 configuration.txt 5.1/5.2): protocol versions,
 * cipher lists, curves, tickets, cipher order, client/server certificate verification.
 */
import { isAbsolute, join } from 'node:path';
import type { TlsOptionsModel, TlsVersion } from '../model.ts';
import { configPath, type LineCtx } from '../state.ts';

const VERSIONS: Record<string, TlsVersion> = {
  'TLSv1.0': 'TLSv1',
  'TLSv1.1': 'TLSv1.1',
  'TLSv1.2': 'TLSv1.2',
  'TLSv1.3': 'TLSv1.3',
};
/** `no-tlsv1x` / `force-tlsv1x` flags and the version each names. */
const VERSION_FLAGS: Record<string, TlsVersion> = {
  tlsv10: 'TLSv1',
  tlsv11: 'TLSv1.1',
  tlsv12: 'TLSv1.2',
  tlsv13: 'TLSv1.3',
};

/** Keywords handled by parseTlsOption, with whether they take a value. */
export const TLS_OPTION_KEYWORDS: Record<string, boolean> = {
  'ssl-min-ver': true,
  'ssl-max-ver': true,
  ciphers: true,
  ciphersuites: true,
  curves: true,
  ecdhe: true,
  'ca-file': true,
  'crl-file': true,
  'ca-verify-file': true,
  verify: true,
  'no-tls-tickets': false,
  'prefer-client-ciphers': false,
  'no-sslv3': false,
  'no-tlsv10': false,
  'no-tlsv11': false,
  'no-tlsv12': false,
  'no-tlsv13': false,
  'force-tlsv10': false,
  'force-tlsv11': false,
  'force-tlsv12': false,
  'force-tlsv13': false,
  'force-sslv3': false,
};

/** Which keywords a place accepts: `bind` all, global options only version/ticket/order flags. */
export type TlsOptionPlace = 'bind' | 'server' | 'default-options';

const FILE_KEYWORDS: Record<string, keyof TlsOptionsModel> = {
  'ca-file': 'caFile',
  'crl-file': 'crlFile',
  'ca-verify-file': 'caVerifyFile',
};

/**
 * Parses the TLS option at `args[i]` into `out`. Returns the number of tokens consumed (1 or
 * 2), 0 when `args[i]` is not a TLS option, or an error message.
 */
export function parseTlsOption(
  ctx: LineCtx,
  args: string[],
  i: number,
  out: TlsOptionsModel,
  place: TlsOptionPlace,
): number | string {
  const o = args[i];
  const takesValue = TLS_OPTION_KEYWORDS[o];
  if (takesValue === undefined) return 0;
  if (place === 'default-options' && (takesValue || o === 'force-sslv3') && o !== 'ssl-min-ver' && o !== 'ssl-max-ver')
    return 0;
  if (!takesValue) {
    if (o === 'no-tls-tickets') out.noTlsTickets = true;
    else if (o === 'prefer-client-ciphers') {
      if (place === 'server') return 0;
      out.preferClientCiphers = true;
    } else if (o === 'no-sslv3') {
      // SSLv3 is never offered (Node's OpenSSL has it compiled out): nothing to turn off
    } else if (o === 'force-sslv3') return "'force-sslv3' is not supported: SSLv3 is not available in Node's OpenSSL";
    else {
      const [kind, v] = o.split('-') as ['no' | 'force', string];
      const ver = VERSION_FLAGS[v];
      if (kind === 'no') (out.disabled ??= []).push(ver);
      else out.force = ver;
    }
    return 1;
  }
  const v = args[i + 1];
  if (v === undefined) return `'${o}' expects a value`;
  switch (o) {
    case 'ssl-min-ver':
    case 'ssl-max-ver': {
      if (v === 'SSLv3') return `'${o} SSLv3' is not supported: SSLv3 is not available in Node's OpenSSL`;
      const ver = VERSIONS[v];
      if (!ver) return `'${o}' expects SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3, got '${v}'`;
      if (o === 'ssl-min-ver') out.minVer = ver;
      else out.maxVer = ver;
      break;
    }
    case 'ciphers':
      out.ciphers = v;
      break;
    case 'ciphersuites':
      out.ciphersuites = v;
      break;
    case 'curves':
      if (place === 'server') return 0;
      out.curves = v;
      break;
    case 'ecdhe':
      if (place === 'server') return 0;
      out.ecdhe = v;
      break;
    case 'verify':
      if (v !== 'none' && v !== 'optional' && v !== 'required')
        return `'verify' expects 'none', 'optional' or 'required', got '${v}'`;
      if (place === 'server' && v === 'optional') return "server 'verify' expects 'none' or 'required', got 'optional'";
      out.verify = v;
      break;
    default: {
      if (place === 'server' && o === 'ca-verify-file') return 0;
      const base = ctx.config.global.caBase;
      (out as Record<string, string>)[FILE_KEYWORDS[o]] = configPath(ctx, base && !isAbsolute(v) ? join(base, v) : v);
    }
  }
  return 2;
}

/**
 * The version range of merged options, as HAProxy 2.6's ssl_sock_prepare_ctx: `force-*` wins;
 * `no-*` flags count only without `ssl-min-ver`/`ssl-max-ver`; the minimum defaults to TLSv1.2.
 */
export function tlsVersionRange(o: TlsOptionsModel): { min: TlsVersion; max: TlsVersion } | string {
  if (o.force) return { min: o.force, max: o.force };
  const order: TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  let hi = o.maxVer ? order.indexOf(o.maxVer) : order.length - 1;
  let lo = o.minVer ? order.indexOf(o.minVer) : Math.min(2, hi);
  if (lo > hi) return `'ssl-min-ver ${order[lo]}' is above 'ssl-max-ver ${order[hi]}'`;
  if (o.disabled?.length && !o.minVer && !o.maxVer) {
    const on = order.map((v, k) => k >= lo && k <= hi && !o.disabled?.includes(v));
    const first = on.indexOf(true);
    if (first < 0) return 'every TLS version is disabled (no-tlsv1x flags)';
    const last = on.lastIndexOf(true);
    if (on.slice(first, last + 1).includes(false))
      return 'the no-tlsv1x flags leave a hole in the TLS versions, which Node cannot do: use ssl-min-ver/ssl-max-ver';
    lo = first;
    hi = last;
  }
  return { min: order[lo], max: order[hi] };
}
