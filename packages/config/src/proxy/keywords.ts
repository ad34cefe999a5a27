/** Every proxy-section keyword and where it is allowed. */
import { err, type LineCtx, type SectionState, warn } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { BASIC_KEYWORDS, LEGACY_TIMEOUT_KEYWORDS } from './basic.ts';
import { parseBind } from './bind.ts';
import { CAPTURE_KEYWORDS } from './capture.ts';
import { parseHttpCheck } from './check.ts';
import { COMPRESSION_KEYWORDS } from './compression.ts';
import { ERROR_KEYWORDS } from './errors.ts';
import { HTTP_RULE_KEYWORDS } from './http-rules.ts';
import { parseOption } from './options.ts';
import { parseDefaultServer, parseServer, parseServerTemplate } from './server.ts';
import { STATS_KEYWORDS } from './stats.ts';
import { STICK_KEYWORDS } from './stick.ts';
import { parseTcpCheck } from './tcp-check.ts';
import { TCP_RULE_KEYWORDS } from './tcp-rules.ts';
import { ALL, BE, checkCap, DEF, FE, type ProxyKeyword } from './types.ts';

export const PROXY_KEYWORDS: Record<string, ProxyKeyword> = {
  ...BASIC_KEYWORDS,
  ...LEGACY_TIMEOUT_KEYWORDS,
  ...HTTP_RULE_KEYWORDS,
  ...STATS_KEYWORDS,
  ...STICK_KEYWORDS,
  ...TCP_RULE_KEYWORDS,
  ...CAPTURE_KEYWORDS,
  ...COMPRESSION_KEYWORDS,
  ...ERROR_KEYWORDS,
  /** `option NAME` / `no option NAME` (caps checked per option). */
  option: { caps: ALL, fn: parseOption },
  /** Listening address(es) of a frontend or listen. */
  bind: { caps: FE, fn: parseBind },
  /** A server of a backend. */
  server: { caps: BE, wrongCap: 'error', fn: parseServer },
  /** `server-template PREFIX NUM FQDN:PORT`: servers filled from DNS records. */
  'server-template': { caps: BE, wrongCap: 'error', fn: parseServerTemplate },
  /** Defaults for the following `server` lines. */
  'default-server': { caps: BE | DEF, fn: parseDefaultServer },
  /** `http-check send|expect|disable-on-404|connect`. */
  'http-check': { caps: BE | DEF, fn: parseHttpCheck },
  /** `tcp-check connect|send|send-binary|send-lf|send-binary-lf|expect|comment` (rules of `option tcp-check`). */
  'tcp-check': { caps: BE | DEF, fn: parseTcpCheck },
};
/** Switchyard alias: `use-backend` for `use_backend`. */
PROXY_KEYWORDS['use-backend'] = PROXY_KEYWORDS.use_backend;

/** HAProxy keywords with no Switchyard equivalent that only tune or decorate: accepted with a warning. */
const IGNORED: Record<string, string> = {
  'bind-process': "'bind-process' ignored: every Switchyard worker serves every frontend",
  'email-alert': "'email-alert' ignored: use the log lines or the Prometheus metrics to alert",
  'log-tag': "'log-tag' in a proxy ignored: set it in the global section",
  'max-keep-alive-queue':
    "'max-keep-alive-queue' ignored: it only tunes 'option prefer-last-server', which is not implemented (a server is picked per request)",
  backlog: "'backlog' ignored: Node uses the OS default listen backlog",
  grace: "'grace' ignored: use 'hard-stop-after' in the global section",
};

/** Keywords Switchyard refuses, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  // accepting these without doing what haproxy does would change responses, requests or log lines
  'external-check': "'external-check' is not supported; use 'agent-check'",
  filter: "'filter' is not supported",
  'rate-limit':
    "'rate-limit sessions' is not supported; use a stick-table with 'http-request deny if { sc_http_req_rate(0) gt N }'",
  source: "'source' is not supported",
  dispatch: "'dispatch' is not supported; declare a 'server'",
  monitor: "'monitor fail' is not supported",
  'ignore-persist': "'ignore-persist' is not supported",
  'force-persist': "'force-persist' is not supported",
  'http-send-name-header': "'http-send-name-header' is not supported",
};

/** HAProxy 1.x keywords removed in 2.x: refused with the modern replacement. */
const REMOVED: Record<string, string> = {
  reqadd: "'reqadd' was removed in HAProxy 2.1; use 'http-request add-header'",
  reqdel: "'reqdel' was removed in HAProxy 2.1; use 'http-request del-header'",
  reqrep: "'reqrep' was removed in HAProxy 2.1; use 'http-request replace-header' or 'set-path'",
  reqirep: "'reqirep' was removed in HAProxy 2.1; use 'http-request replace-header' or 'set-path'",
  reqallow: "'reqallow' was removed in HAProxy 2.1; use 'http-request allow'",
  reqdeny: "'reqdeny' was removed in HAProxy 2.1; use 'http-request deny'",
  reqtarpit: "'reqtarpit' was removed in HAProxy 2.1; use 'http-request tarpit'",
  rspadd: "'rspadd' was removed in HAProxy 2.1; use 'http-response add-header'",
  rspdel: "'rspdel' was removed in HAProxy 2.1; use 'http-response del-header'",
  rsprep: "'rsprep' was removed in HAProxy 2.1; use 'http-response replace-header'",
  rspirep: "'rspirep' was removed in HAProxy 2.1; use 'http-response replace-header'",
  rspdeny: "'rspdeny' was removed in HAProxy 2.1; use 'http-response deny'",
  block: "'block' was removed in HAProxy 2.1; use 'http-request deny if COND'",
  redisp: "'redisp' was removed; use 'option redispatch'",
  redispatch: "'redispatch' was removed; use 'option redispatch'",
};

/** Section names, suggested when a section header is mistyped. */
export const SECTION_KEYWORDS = ['global', 'defaults', 'frontend', 'backend', 'listen', 'peers'];

/** Parses one line of a frontend/backend/listen/defaults section. */
export function parseProxyLine(ctx: LineCtx, s: SectionState): void {
  const kw = ctx.args[0];
  if (ctx.negated && kw !== 'option' && kw !== 'log') {
    return void err(ctx, 'CFG_BAD_VALUE', `'no' can only prefix 'option' and 'log', not '${kw}'`);
  }
  const k = PROXY_KEYWORDS[kw];
  if (k) {
    if (s.kind === 'defaults' && !(k.caps & DEF)) {
      return void err(ctx, 'CFG_NOT_ALLOWED_HERE', `'${kw}' is not allowed in a 'defaults' section`);
    }
    if (s.kind !== 'defaults' && !checkCapOrError(ctx, s, k, kw)) return;
    k.fn(ctx, s);
    return;
  }
  if (IGNORED[kw]) return void warn(ctx, 'CFG_IGNORED_KEYWORD', IGNORED[kw]);
  if (UNSUPPORTED[kw]) return void err(ctx, 'CFG_UNSUPPORTED', UNSUPPORTED[kw]);
  if (REMOVED[kw]) return void err(ctx, 'CFG_LEGACY_KEYWORD', REMOVED[kw]);
  const candidates = [
    ...Object.keys(PROXY_KEYWORDS),
    ...Object.keys(IGNORED),
    ...Object.keys(UNSUPPORTED),
    ...SECTION_KEYWORDS,
  ];
  err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown keyword '${kw}' in '${s.kind}' section${didYouMean(kw, candidates)}`);
}

function checkCapOrError(ctx: LineCtx, s: SectionState, k: ProxyKeyword, kw: string): boolean {
  const caps = k.caps & (FE | BE);
  if (k.wrongCap === 'error' && s.kind !== 'listen' && !((s.kind === 'frontend' ? FE : BE) & caps)) {
    const side = caps & FE ? 'frontend' : 'backend';
    err(ctx, 'CFG_NOT_ALLOWED_HERE', `'${kw}' not allowed because ${s.kind} '${s.name}' has no ${side} capability`);
    return false;
  }
  return checkCap(ctx, s, k.caps, kw);
}
