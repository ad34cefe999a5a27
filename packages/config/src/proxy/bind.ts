/** `bind ADDR[,ADDR...] [options]`: listening addresses of a frontend. */
import { isAbsolute, join } from 'node:path';
import { parseAddress } from '../address.ts';
import type { BindModel, TlsOptionsModel } from '../model.ts';
import { configPath, err, type LineCtx, type SectionState, warn } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseIntRange } from '../units.ts';
import { parseTlsOption, TLS_OPTION_KEYWORDS, tlsVersionRange } from './tls-options.ts';

/** Options taking a value, kept in `options`. */
const VALUED = new Set(['name', 'maxconn', 'mode', 'id', 'backlog', 'nice', 'strict-sni-default']);
/** Flags kept in `options`. */
const FLAGS = new Set(['v4v6', 'v6only', 'strict-sni', 'accept-proxy']);
/** Tuning Switchyard leaves to the OS/Node: accepted with a warning. */
const IGNORED_FLAGS = new Set(['defer-accept', 'tfo', 'allow-0rtt', 'no-alpn']);
const IGNORED_VALUED = new Set(['process', 'thread', 'npn', 'user', 'group', 'uid', 'gid', 'tcp-ut', 'mss']);
/** Options that change security or protocol semantics: refused rather than ignored. */
const UNSUPPORTED: Record<string, string> = {
  'accept-netscaler-cip': "'accept-netscaler-cip' is not supported",
  transparent: "'transparent' binding is not supported",
  interface: "'interface' is not supported; bind to the interface's address instead",
  namespace: "'namespace' is not supported; start Switchyard inside the namespace",
  'quic-cc-algo': 'QUIC is not supported',
  'crt-ignore-err':
    "'crt-ignore-err' is not supported yet: a client certificate that fails verification ends the handshake (README, Known gaps)",
  'ca-ignore-err':
    "'ca-ignore-err' is not supported yet: a client certificate that fails verification ends the handshake (README, Known gaps)",
  level: "'level' only applies to 'stats socket' in the global section",
  'expose-fd': "'expose-fd' only applies to 'stats socket' in the global section",
};
const KNOWN = [
  ...VALUED,
  ...FLAGS,
  ...IGNORED_FLAGS,
  ...IGNORED_VALUED,
  ...Object.keys(UNSUPPORTED),
  ...Object.keys(TLS_OPTION_KEYWORDS),
  'ssl',
  'crt',
  'crt-list',
  'alpn',
  'proto',
];
/** `proto NAME`: the mux forced on the bind's connections (HAProxy 2.6's frontend muxes). */
const PROTOS = ['h1', 'h2'];

/** Parses a `bind` line into one BindModel per address (and per port of a range). */
export function parseBind(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const addrs = a[1];
  if (!addrs) return void err(ctx, 'CFG_MISSING_ARG', "'bind' expects an address, e.g. ':80' or '127.0.0.1:8080'");
  let ssl = false;
  const crt: string[] = [];
  const crtLists: string[] = [];
  let alpn: string[] | undefined;
  const options: BindModel['options'] = {};
  const tls: TlsOptionsModel = {};
  let tlsWord: string | undefined;
  for (let i = 2; i < a.length; i++) {
    const o = a[i];
    const used = parseTlsOption(ctx, a, i, tls, 'bind');
    if (typeof used === 'string') return void err(ctx, 'CFG_BAD_VALUE', `bind: ${used}`);
    if (used > 0) {
      tlsWord ??= o;
      i += used - 1;
      continue;
    }
    const needValue = (): string | undefined => {
      const v = a[i + 1];
      if (v === undefined) err(ctx, 'CFG_MISSING_ARG', `bind: '${o}' expects a value`);
      i++;
      return v;
    };
    if (o === 'ssl') ssl = true;
    else if (o === 'crt') {
      const v = needValue();
      if (v === undefined) return;
      const base = ctx.config.global.crtBase;
      crt.push(configPath(ctx, base && !isAbsolute(v) ? join(base, v) : v));
    } else if (o === 'crt-list') {
      // the list's own path is not under crt-base; the certificates in it are
      const v = needValue();
      if (v === undefined) return;
      crt.push(configPath(ctx, v));
      crtLists.push(crt[crt.length - 1]);
    } else if (o === 'alpn') {
      const v = needValue();
      if (v === undefined) return;
      alpn = v.split(',');
      const bad = alpn.find((p) => p !== 'h2' && p !== 'http/1.1' && p !== 'http/1.0');
      if (bad)
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `bind: unsupported ALPN protocol '${bad}' (supported: h2, http/1.1, http/1.0)`,
        );
    } else if (o === 'proto') {
      const v = needValue();
      if (v === undefined) return;
      if (!PROTOS.includes(v))
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `bind: 'proto' : unknown MUX protocol '${v}' (supported on a bind: ${PROTOS.join(', ')})`,
        );
      options.proto = v;
    } else if (VALUED.has(o)) {
      const v = needValue();
      if (v === undefined) return;
      if (o === 'maxconn' || o === 'id' || o === 'backlog') {
        if (parseIntRange(v, 1, 10_000_000, `bind '${o}'`) instanceof Error)
          return void err(ctx, 'CFG_BAD_VALUE', `bind: '${o}' expects a positive integer, got '${v}'`);
      }
      if (o === 'mode' && !/^[0-7]{1,4}$/.test(v))
        return void err(ctx, 'CFG_BAD_VALUE', `bind: 'mode' expects an octal file mode, got '${v}'`);
      options[o] = v;
    } else if (FLAGS.has(o)) {
      options[o] = true;
    } else if (IGNORED_FLAGS.has(o)) {
      warn(ctx, 'CFG_IGNORED_KEYWORD', `bind: '${o}' ignored: Switchyard uses the OS and Node defaults for it`);
    } else if (IGNORED_VALUED.has(o)) {
      if (needValue() === undefined) return;
      warn(ctx, 'CFG_IGNORED_KEYWORD', `bind: '${o}' ignored: Switchyard uses the OS and Node defaults for it`);
    } else if (UNSUPPORTED[o]) {
      return void err(ctx, 'CFG_UNSUPPORTED', `bind: ${UNSUPPORTED[o]}`);
    } else {
      return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `bind: unknown option '${o}'${didYouMean(o, KNOWN)}`);
    }
  }
  if (ssl && crt.length === 0)
    return void err(
      ctx,
      'CFG_MISSING_ARG',
      "bind: 'ssl' needs at least one 'crt FILE|DIR' (certificate and key in one PEM) or 'crt-list FILE'",
    );
  if (!ssl && crt.length > 0)
    return void err(
      ctx,
      'CFG_MISSING_ARG',
      "bind: 'crt'/'crt-list' is given without 'ssl'; add 'ssl' to terminate TLS",
    );
  if (!ssl && alpn) return void err(ctx, 'CFG_MISSING_ARG', "bind: 'alpn' needs 'ssl'");
  if (!ssl && tlsWord) return void err(ctx, 'CFG_MISSING_ARG', `bind: '${tlsWord}' needs 'ssl'`);
  if ((tls.verify === 'optional' || tls.verify === 'required') && !tls.caFile)
    return void err(
      ctx,
      'CFG_MISSING_ARG',
      `bind: 'verify ${tls.verify}' needs 'ca-file FILE' (the CAs that sign client certificates)`,
    );
  const range = tlsVersionRange(tls);
  if (typeof range === 'string') return void err(ctx, 'CFG_BAD_VALUE', `bind: ${range}`);
  const out: BindModel[] = [];
  for (const one of addrs.split(',')) {
    const sslPart = ssl
      ? { ssl: { crt: [...crt], ...(crtLists.length ? { crtLists } : {}), ...(alpn ? { alpn } : {}), tls } }
      : {};
    if (one.startsWith('fd@')) {
      // an inherited socket, already listening (systemd socket activation, a supervisor, a test harness)
      const n = one.slice(3);
      if (!/^\d+$/.test(n) || Number(n) > 2 ** 31 - 1)
        return void err(ctx, 'CFG_BAD_ADDRESS', `bind: 'fd@' expects a file descriptor number, got '${one}'`);
      out.push({ host: '', port: 0, fd: Number(n), ...sslPart, options: { ...options }, loc: { ...ctx.loc } });
      continue;
    }
    const p = parseAddress(one, { allowRange: true, allowAny: true });
    if (typeof p === 'string') return void err(ctx, 'CFG_BAD_ADDRESS', `bind: ${p}`);
    const base = { options: { ...options }, loc: { ...ctx.loc } };
    if (p.kind === 'unix') {
      out.push({ host: '', port: 0, path: p.path, ...sslPart, ...base });
      continue;
    }
    if (p.port === undefined) return void err(ctx, 'CFG_BAD_PORT', `bind: missing port in '${one}' (e.g. ':80')`);
    const end = p.portEnd ?? p.port;
    if (end - p.port >= 1024)
      return void err(ctx, 'CFG_BAD_PORT', `bind: port range '${one}' is too wide (at most 1024 ports)`);
    for (let port = p.port; port <= end; port++) out.push({ host: p.host, port, ...sslPart, ...base });
  }
  s.model.binds.push(...out);
}
