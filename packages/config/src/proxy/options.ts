/** `option NAME ...` and `no option NAME`. */
import type { ProxyOptions } from '../model.ts';
import { err, type LineCtx, noExtra, type SectionState, warn } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseOptionHttpchk } from './check.ts';
import { parseTcpCheckOption, TCP_CHECK_OPTIONS } from './tcp-check.ts';
import { BE, checkCap, DEF, FE } from './types.ts';

type BoolKey = Exclude<
  { [K in keyof ProxyOptions]-?: ProxyOptions[K] extends boolean ? K : never }[keyof ProxyOptions],
  undefined
>;

/** Boolean options: `option X` sets, `no option X` clears. */
const BOOLEAN: Record<string, { key: BoolKey; caps: number }> = {
  dontlognull: { key: 'dontlognull', caps: FE | DEF },
  'dontlog-normal': { key: 'dontlogNormal', caps: FE | DEF },
  logasap: { key: 'logasap', caps: FE | DEF },
  tcplog: { key: 'tcplog', caps: FE | DEF },
  allbackups: { key: 'allbackups', caps: BE | DEF },
  abortonclose: { key: 'abortonclose', caps: BE | DEF },
  'http-buffer-request': { key: 'httpBufferRequest', caps: FE | BE | DEF },
  persist: { key: 'persist', caps: BE | DEF },
  'log-health-checks': { key: 'logHealthChecks', caps: BE | DEF },
  'disable-h2-upgrade': { key: 'disableH2Upgrade', caps: FE | DEF },
};

/** Options that only tune transport details Switchyard leaves to Node: accepted with a warning. */
const IGNORED: Record<string, string> = {
  tcpka: "'option tcpka' ignored: Switchyard leaves TCP keep-alive to the OS",
  clitcpka: "'option clitcpka' ignored: Switchyard leaves TCP keep-alive to the OS",
  srvtcpka: "'option srvtcpka' ignored: Switchyard leaves TCP keep-alive to the OS",
  'http-no-delay': "'option http-no-delay' ignored: Node sets TCP_NODELAY on every socket",
  'http-pretend-keepalive':
    "'option http-pretend-keepalive' ignored: Switchyard keeps server connections alive by itself",
  'splice-auto': "'option splice-auto' ignored: Switchyard does not use splice()",
  'splice-request': "'option splice-request' ignored: Switchyard does not use splice()",
  'splice-response': "'option splice-response' ignored: Switchyard does not use splice()",
  'tcp-smart-accept': "'option tcp-smart-accept' ignored: left to Node",
  'tcp-smart-connect': "'option tcp-smart-connect' ignored: left to Node",
  contstats: "'option contstats' ignored: Switchyard counts bytes continuously anyway",
  'socket-stats': "'option socket-stats' ignored: statistics are kept per frontend",
  'independent-streams': "'option independent-streams' ignored: timeouts apply per direction already",
  nolinger: "'option nolinger' ignored: left to Node",
  'http-ignore-probes': "'option http-ignore-probes' ignored: empty connections are not logged as errors",
  'log-separate-errors': "'option log-separate-errors' ignored: every request logs at level info",
  checkcache: "'option checkcache' ignored: Switchyard does not inspect cacheability",
  'prefer-last-server': "'option prefer-last-server' ignored: balancing picks a server per request",
  'http-use-htx': "'option http-use-htx' ignored: removed in HAProxy 2.1 (always on)",
  'h1-case-adjust-bogus-client': "'option h1-case-adjust-bogus-client' ignored: Node writes header names as given",
  'h1-case-adjust-bogus-server': "'option h1-case-adjust-bogus-server' ignored: Node writes header names as given",
};

/** Options that would change behaviour Switchyard cannot provide: refused. */
const UNSUPPORTED: Record<string, string> = {
  'spop-check': "'option spop-check' is not supported",
  'external-check': "'option external-check' is not supported; use 'agent-check'",
  originalto: "'option originalto' is not supported",
  transparent: "'option transparent' is not supported",
  http_proxy: "'option http_proxy' is not supported",
  'accept-invalid-http-request':
    "'option accept-invalid-http-request' is not supported: Switchyard rejects invalid requests",
  'accept-invalid-http-response':
    "'option accept-invalid-http-response' is not supported: Switchyard rejects invalid responses",
  'http-restrict-req-hdr-names': "'option http-restrict-req-hdr-names' is not supported",
  'tcp-smart-close': "'option tcp-smart-close' is not supported",
};

const ALL_NAMES = [
  'httplog',
  'forwardfor',
  'http-keep-alive',
  'http-server-close',
  'httpclose',
  'forceclose',
  'redispatch',
  'httpchk',
  ...TCP_CHECK_OPTIONS,
  ...Object.keys(BOOLEAN),
  ...Object.keys(IGNORED),
  ...Object.keys(UNSUPPORTED),
];

/** `option forwardfor [except NET] [header NAME] [if-none]`. */
function forwardfor(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const ff = { header: 'X-Forwarded-For', ifNone: false } as NonNullable<ProxyOptions['forwardfor']>;
  for (let i = 2; i < a.length; i++) {
    const w = a[i];
    if (w === 'if-none') ff.ifNone = true;
    else if (w === 'except' || w === 'header') {
      const v = a[i + 1];
      if (!v)
        return void err(
          ctx,
          'CFG_MISSING_ARG',
          `'option forwardfor': '${w}' expects ${w === 'except' ? 'a network (e.g. 127.0.0.0/8)' : 'a header name'}`,
        );
      if (w === 'except') {
        if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(v))
          return void err(ctx, 'CFG_BAD_VALUE', `'option forwardfor except' expects an address or network, got '${v}'`);
        ff.except = v;
      } else {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v))
          return void err(ctx, 'CFG_BAD_VALUE', `'option forwardfor header': '${v}' is not a valid header name`);
        ff.header = v;
      }
      i++;
    } else
      return void err(
        ctx,
        'CFG_EXTRA_ARGS',
        `'option forwardfor': unknown argument '${w}' (expected except, header or if-none)`,
      );
  }
  s.model.options.forwardfor = ff;
}

/** Parses an `option` / `no option` line. */
export function parseOption(ctx: LineCtx, s: SectionState): void {
  const name = ctx.args[1];
  if (!name) return void err(ctx, 'CFG_MISSING_ARG', "'option' expects an option name");
  const o = s.model.options;
  const neg = ctx.negated;
  if (neg && (name === 'forwardfor' || name === 'httpchk' || name === 'httplog' || TCP_CHECK_OPTIONS.includes(name))) {
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `'no option ${name}' is not supported (HAProxy refuses it too); remove the 'option ${name}' line instead`,
    );
  }
  const b = BOOLEAN[name];
  if (b) {
    if (!noExtra(ctx, 2) || !checkCap(ctx, s, b.caps, `option ${name}`)) return;
    o[b.key] = !neg;
    return;
  }
  switch (name) {
    case 'httplog': {
      if (!checkCap(ctx, s, FE | DEF, 'option httplog')) return;
      const clf = ctx.args[2];
      if (clf !== undefined && clf !== 'clf')
        return void err(ctx, 'CFG_EXTRA_ARGS', `'option httplog' only takes 'clf', got '${clf}'`);
      if (!noExtra(ctx, 3)) return;
      o.httplog = !neg;
      o.httplogClf = !neg && clf === 'clf';
      return;
    }
    case 'forwardfor':
      forwardfor(ctx, s);
      return;
    case 'http-keep-alive':
    case 'http-server-close':
    case 'httpclose':
    case 'forceclose': {
      if (!noExtra(ctx, 2)) return;
      if (name === 'forceclose')
        warn(
          ctx,
          'CFG_LEGACY_KEYWORD',
          "'option forceclose' is deprecated (removed in HAProxy 2.0); use 'option httpclose'",
        );
      const mode = name === 'http-keep-alive' ? 'keep-alive' : name === 'http-server-close' ? 'server-close' : 'close';
      if (neg) {
        if (o.connMode === mode) o.connMode = 'keep-alive';
      } else o.connMode = mode;
      return;
    }
    case 'redispatch': {
      if (!checkCap(ctx, s, BE | DEF, 'option redispatch')) return;
      if (neg) return void (noExtra(ctx, 2) && delete o.redispatch);
      if (!noExtra(ctx, 3)) return;
      const v = ctx.args[2];
      let interval = -1;
      if (v !== undefined) {
        if (!/^-?\d+$/.test(v))
          return void err(ctx, 'CFG_BAD_VALUE', `'option redispatch' expects an integer interval, got '${v}'`);
        interval = Number(v);
      }
      // As HAProxy: an interval of 0 disables redispatching.
      if (interval === 0) delete o.redispatch;
      else o.redispatch = { interval };
      return;
    }
    case 'httpchk':
      if (!checkCap(ctx, s, BE | DEF, 'option httpchk')) return;
      parseOptionHttpchk(ctx, s);
      delete o.tcpCheck;
      return;
  }
  if (TCP_CHECK_OPTIONS.includes(name)) {
    if (!checkCap(ctx, s, BE | DEF, `option ${name}`)) return;
    parseTcpCheckOption(ctx, s);
    return;
  }
  if (IGNORED[name]) return void warn(ctx, 'CFG_IGNORED_KEYWORD', IGNORED[name]);
  if (UNSUPPORTED[name]) return void err(ctx, 'CFG_UNSUPPORTED', UNSUPPORTED[name]);
  err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown option 'option ${name}'${didYouMean(name, ALL_NAMES)}`);
}
