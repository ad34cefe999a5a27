/** The `global` section. */
import { parseAddress } from './address.ts';
import { GLOBAL_ENV_KEYWORDS, IGNORED, UNSUPPORTED_PREFIXES } from './global-extra.ts';
import { parseLogTarget } from './log.ts';
import type { GlobalModel, StatsSocketModel, TlsOptionsModel } from './model.ts';
import { parseTlsOption, tlsVersionRange } from './proxy/tls-options.ts';
import { configTime, err, type LineCtx, need, noExtra, valueOr, warn } from './state.ts';
import { didYouMean } from './suggest.ts';
import { parseIntRange } from './units.ts';

/** Section names, suggested when a section header is mistyped. */
const SECTIONS = ['defaults', 'frontend', 'backend', 'listen', 'peers'];

type GlobalHandler = (ctx: LineCtx, g: GlobalModel) => void;

/** HAProxy settings whose meaning for Switchyard is "not applicable" but that tools write: kept in `tune`. */
const SSL_PREFIXES = ['ssl-default-bind-', 'ssl-default-server-'];

function positive(ctx: LineCtx, max: number): number | undefined {
  const v = need(ctx, 1, 'a number');
  if (v === undefined || !noExtra(ctx, 2)) return undefined;
  return valueOr(ctx, parseIntRange(v, 1, max, `'${ctx.args[0]}'`), ctx.args[0]);
}

/** A `tune.h2.*` number, kept in `tune` for the datapath (runtime/build.ts reads it). */
function h2Tune(ctx: LineCtx, g: GlobalModel, min: number, max: number): void {
  const v = need(ctx, 1, 'a number');
  if (v === undefined || !noExtra(ctx, 2)) return;
  const n = valueOr(ctx, parseIntRange(v, min, max, `'${ctx.args[0]}'`), ctx.args[0]);
  if (n !== undefined) g.tune[ctx.args[0]] = String(n);
}

function oneWord(ctx: LineCtx, what: string): string | undefined {
  const v = need(ctx, 1, what);
  if (v === undefined || !noExtra(ctx, 2)) return undefined;
  return v;
}

/** `server-state-file` / `server-state-base`: HAProxy keeps the first and warns ("Continuing"). */
function stateFilePath(ctx: LineCtx, g: GlobalModel, key: 'serverStateFile' | 'serverStateBase', what: string): void {
  if (g[key] !== undefined)
    return void warn(ctx, 'CFG_NO_EFFECT', `'${ctx.args[0]}' already specified; keeping the first.`);
  const v = oneWord(ctx, what);
  if (v !== undefined) g[key] = v;
}

/** `stats socket ADDR [mode M] [level L] [expose-fd listeners] [user U] [group G]`. */
function statsSocket(ctx: LineCtx, g: GlobalModel): void {
  const a = ctx.args;
  const addr = a[2];
  if (!addr) return void err(ctx, 'CFG_MISSING_ARG', "'stats socket' expects a path or ipv4@HOST:PORT");
  const p = parseAddress(addr);
  if (typeof p === 'string') return void err(ctx, 'CFG_BAD_ADDRESS', `stats socket: ${p}`);
  const s: StatsSocketModel = {
    kind: p.kind === 'unix' ? 'unix' : 'tcp',
    level: 'operator', // HAProxy's default level (checked: 'show sess' allowed, 'disable server' denied)
    exposeFdListeners: false,
    loc: { ...ctx.loc },
  };
  if (p.kind === 'unix') s.path = p.path;
  else {
    if (p.port === undefined) return void err(ctx, 'CFG_BAD_PORT', `stats socket: missing port in '${addr}'`);
    if (p.portEnd !== undefined)
      return void err(ctx, 'CFG_BAD_PORT', `stats socket: port ranges are not allowed ('${addr}')`);
    s.host = p.host;
    s.port = p.port;
  }
  for (let i = 3; i < a.length; i += 2) {
    const k = a[i];
    const v = a[i + 1];
    if (k === 'expose-fd') {
      if (v !== 'listeners') return void err(ctx, 'CFG_BAD_VALUE', "stats socket: 'expose-fd' only takes 'listeners'");
      s.exposeFdListeners = true;
      continue;
    }
    if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `stats socket: '${k}' expects a value`);
    if (k === 'mode') {
      if (!/^[0-7]{1,4}$/.test(v))
        return void err(ctx, 'CFG_BAD_VALUE', `stats socket: mode '${v}' is not an octal file mode`);
      s.mode = Number.parseInt(v, 8);
    } else if (k === 'level') {
      if (v !== 'user' && v !== 'operator' && v !== 'admin') {
        return void err(ctx, 'CFG_BAD_VALUE', `stats socket: level must be user, operator or admin, got '${v}'`);
      }
      s.level = v;
    } else if (k === 'user' || k === 'group' || k === 'uid' || k === 'gid') {
      warn(
        ctx,
        'CFG_IGNORED_KEYWORD',
        `stats socket: '${k}' ignored: the socket belongs to the user Switchyard runs as; use 'mode'`,
      );
    } else if (k === 'name' || k === 'maxconn' || k === 'process' || k === 'thread') {
      warn(ctx, 'CFG_IGNORED_KEYWORD', `stats socket: '${k}' ignored on the runtime API socket`);
    } else {
      return void err(
        ctx,
        'CFG_UNKNOWN_KEYWORD',
        `stats socket: unknown option '${k}'${didYouMean(k, ['mode', 'level', 'expose-fd', 'user', 'group'])}`,
      );
    }
  }
  g.statsSockets.push(s);
}

/** Global keywords, each with a one-line meaning (used for the README table and did-you-mean). */
export const GLOBAL_KEYWORDS: Record<string, GlobalHandler> = {
  // HTTP/2 settings the client side announces (HAProxy 2.6's ranges; defaults in H2_TUNE_DEFAULTS)
  'tune.h2.header-table-size': (ctx, g) => h2Tune(ctx, g, 0, 65536),
  'tune.h2.initial-window-size': (ctx, g) => h2Tune(ctx, g, 0, 2 ** 31 - 1),
  'tune.h2.max-concurrent-streams': (ctx, g) => h2Tune(ctx, g, 1, 2 ** 31 - 1),
  'tune.h2.max-frame-size': (ctx, g) => h2Tune(ctx, g, 16384, 16777215),
  /** The zlib level (brotli quality) of every compressed response (HAProxy's default 1). */
  'tune.comp.maxlevel': (ctx, g) => {
    const v = need(ctx, 1, 'a number');
    if (v === undefined || !noExtra(ctx, 2)) return;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 9)
      return void err(ctx, 'CFG_BAD_VALUE', "'tune.comp.maxlevel' expects a numeric value between 1 and 9");
    g.tune['tune.comp.maxlevel'] = v;
  },
  /** Clients are not told of WebSocket over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL), for those that mishandle it. */
  'h2-workaround-bogus-websocket-clients': (ctx, g) => {
    if (noExtra(ctx, 1)) g.tune['h2-workaround-bogus-websocket-clients'] = '1';
  },
  /** Syslog / stdout target for every proxy that says `log global`. */
  log: (ctx, g) => {
    if (ctx.args[1] === 'global')
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        "'log global' is only valid in defaults, frontend, backend and listen sections",
      );
    const t = parseLogTarget(ctx);
    if (t) g.logs.push(t);
  },
  /** Process-wide connection limit. */
  maxconn: (ctx, g) => {
    g.maxconn = positive(ctx, 10_000_000) ?? g.maxconn;
  },
  /** Writes the process id there at start. */
  pidfile: (ctx, g) => {
    g.pidfile = oneWord(ctx, 'a file path') ?? g.pidfile;
  },
  /** Worker threads (Switchyard: worker processes). */
  nbthread: (ctx, g) => {
    g.nbthread = positive(ctx, 4096) ?? g.nbthread;
  },
  /** `stats socket ...` (runtime API) and `stats timeout T`. */
  stats: (ctx, g) => {
    const sub = ctx.args[1];
    if (sub === 'socket') return statsSocket(ctx, g);
    if (sub === 'timeout') {
      const v = need(ctx, 2, 'a time');
      if (v === undefined || !noExtra(ctx, 3)) return;
      g.statsTimeout = valueOr(ctx, configTime(ctx, v), "'stats timeout'") ?? g.statsTimeout;
      return;
    }
    const key = `stats ${sub}`;
    if (IGNORED[key]) return void warn(ctx, 'CFG_IGNORED_KEYWORD', IGNORED[key]);
    err(
      ctx,
      'CFG_UNKNOWN_KEYWORD',
      `'stats' in global expects 'socket' or 'timeout', got '${sub ?? ''}'${didYouMean(sub ?? '', ['socket', 'timeout'])}`,
    );
  },
  /** Node name shown on the stats page. */
  node: (ctx, g) => {
    g.node = oneWord(ctx, 'a name') ?? g.node;
  },
  /** Description shown on the stats page. */
  description: (ctx, g) => {
    if (need(ctx, 1, 'a text') !== undefined) g.description = ctx.args.slice(1).join(' ');
  },
  /** `master-worker [no-exit-on-failure]`: a master process runs the worker and reloads it (as -W). */
  'master-worker': (ctx, g) => {
    const opt = ctx.args[1];
    if (opt !== undefined && opt !== 'no-exit-on-failure')
      return void err(ctx, 'CFG_BAD_VALUE', `'master-worker' only accepts 'no-exit-on-failure', got '${opt}'`);
    if (!noExtra(ctx, opt === undefined ? 1 : 2)) return;
    g.masterWorker = { exitOnFailure: opt === undefined };
  },
  /** Upper bound of a graceful stop. */
  'hard-stop-after': (ctx, g) => {
    const v = oneWord(ctx, 'a time');
    if (v !== undefined) g.hardStopAfter = valueOr(ctx, configTime(ctx, v), "'hard-stop-after'") ?? g.hardStopAfter;
  },
  /** Random +/- percent added to check intervals (0-50). */
  'spread-checks': (ctx, g) => {
    const v = oneWord(ctx, 'a percentage (0-50)');
    if (v !== undefined)
      g.spreadChecks = valueOr(ctx, parseIntRange(v, 0, 50, "'spread-checks'"), 'spread-checks') ?? g.spreadChecks;
  },
  /** State file read at start by `load-server-state-from-file global` backends (first one kept, as HAProxy). */
  'server-state-file': (ctx, g) => stateFilePath(ctx, g, 'serverStateFile', 'a file path'),
  /** Directory of relative server state file names. */
  'server-state-base': (ctx, g) => stateFilePath(ctx, g, 'serverStateBase', 'a directory path'),
  /** Tag in syslog headers (default: the program name). */
  'log-tag': (ctx, g) => {
    g.logTag = oneWord(ctx, 'a tag') ?? g.logTag;
  },
  /** Host name in syslog headers (rfc3164, rfc5424); without an argument, the system's. */
  'log-send-hostname': (ctx, g) => {
    if (ctx.args.length > 2) return void err(ctx, 'CFG_EXTRA_ARGS', `'log-send-hostname' expects at most a name`);
    g.logSendHostname = ctx.args[1] ?? '';
  },
  /** Base directory for relative `crt` paths on bind lines. */
  'crt-base': (ctx, g) => {
    g.crtBase = oneWord(ctx, 'a directory') ?? g.crtBase;
  },
  /** Base directory for relative CA file paths. */
  'ca-base': (ctx, g) => {
    g.caBase = oneWord(ctx, 'a directory') ?? g.caBase;
  },
  /**
   * `ssl-load-extra-files none|all|key|ocsp|issuer|sctl...`: which files beside a `crt` are read
   * (HAProxy's default `all`); `bundle` (multi-certificate bundles) and `sctl` are refused.
   */
  'ssl-load-extra-files': (ctx, g) => {
    const words = ctx.args.slice(1);
    if (words.length === 0)
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        "'ssl-load-extra-files' expects one or multiple arguments (none, all, bundle, sctl, ocsp, issuer).",
      );
    if (words.length > 1 && words.some((w) => w === 'none' || w === 'all'))
      return void err(ctx, 'CFG_BAD_VALUE', "'ssl-load-extra-files' 'none' and 'all' can be only used alone");
    const files = { key: false, ocsp: false, issuer: false };
    for (const w of words) {
      if (w === 'all') return void (g.sslLoadExtraFiles = undefined);
      if (w === 'none') break;
      if (w === 'key' || w === 'ocsp' || w === 'issuer') files[w] = true;
      else if (w === 'bundle' || w === 'sctl')
        return void err(
          ctx,
          'CFG_UNSUPPORTED',
          `'ssl-load-extra-files ${w}' is not supported by Switchyard (${w === 'sctl' ? 'Node cannot send SCTs' : 'no multi-certificate bundles'}): list key, ocsp, issuer`,
        );
      else
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          "'ssl-load-extra-files' expects one or multiple arguments (none, all, bundle, sctl, ocsp, issuer).",
        );
    }
    g.sslLoadExtraFiles = files;
  },
  /** `ssl-load-extra-del-ext`: sidecar files are looked up without the certificate's `.crt` extension. */
  'ssl-load-extra-del-ext': (ctx, g) => {
    if (noExtra(ctx, 1)) g.sslLoadExtraDelExt = true;
  },
  /** Default certificate verification of `ssl` servers: none or required. */
  'ssl-server-verify': (ctx, g) => {
    const v = oneWord(ctx, "'none' or 'required'");
    if (v === undefined) return;
    if (v !== 'none' && v !== 'required')
      return void err(ctx, 'CFG_BAD_VALUE', `'ssl-server-verify' expects 'none' or 'required', got '${v}'`);
    g.sslServerVerify = v;
  },
  /** Refuse the configuration when any warning was emitted (checked once the whole config is read). */
  'zero-warning': (ctx, g) => {
    if (noExtra(ctx, 1)) g.zeroWarning = { ...ctx.loc };
  },
  /** Base of relative file paths (errorfile, return file, crt): current | config | parent | origin PATH. */
  'default-path': (ctx, g) => {
    const mode = need(ctx, 1, 'current, config, parent or origin PATH');
    if (mode === undefined) return;
    if (mode === 'origin') {
      const p = need(ctx, 2, 'a directory');
      if (p !== undefined && noExtra(ctx, 3)) g.defaultPath = { mode, path: p };
      return;
    }
    if (mode !== 'current' && mode !== 'config' && mode !== 'parent') {
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        `'default-path' expects current, config, parent or origin PATH, got '${mode}'`,
      );
    }
    if (noExtra(ctx, 2)) g.defaultPath = { mode };
  },
  /** Switchyard: shared state store (stick tables, admin state) in Redis. */
  'redis-url': (ctx, g) => {
    const v = oneWord(ctx, 'a URL (redis://HOST:PORT[/DB], rediss://..., redis+sentinel://..., redis+cluster://...)');
    if (v === undefined) return;
    // the full check (host lists, master name, database) is packages/state's STATE_BAD_REDIS_URL
    if (!/^rediss?(\+(sentinel|cluster))?:\/\/[^\s]+$/.test(v) && !/^unix:\/\//.test(v)) {
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        `'redis-url' expects redis://HOST:PORT[/DB], rediss://..., unix://PATH, redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTER[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...], got '${v}'`,
      );
    }
    g.redisUrl = v;
  },
  /** Switchyard: key namespace shared by the nodes of one cluster in Redis. */
  'cluster-name': (ctx, g) => {
    const v = oneWord(ctx, 'a name');
    if (v === undefined) return;
    if (!/^[A-Za-z0-9_.:-]+$/.test(v))
      return void err(
        ctx,
        'CFG_BAD_NAME',
        `'cluster-name' may only contain letters, digits, '_', '.', ':' and '-', got '${v}'`,
      );
    g.clusterName = v;
  },
};

/** True when `kw` means something in the global section (handled, ignored with a warning, or tune/ssl). */
export function isGlobalKeyword(kw: string): boolean {
  return (
    kw in GLOBAL_KEYWORDS ||
    kw in IGNORED ||
    kw in GLOBAL_ENV_KEYWORDS ||
    kw.startsWith('tune.') ||
    SSL_PREFIXES.some((p) => kw.startsWith(p))
  );
}

/**
 * `ssl-default-bind-options|ciphers|ciphersuites|curves` and `ssl-default-server-options|ciphers|ciphersuites`:
 * defaults every `ssl` bind / server starts from (its own settings win). Returns false when `kw` is another one.
 */
function sslDefault(ctx: LineCtx, g: GlobalModel, kw: string): boolean {
  const m = /^ssl-default-(bind|server)-(options|ciphers|ciphersuites|curves)$/.exec(kw);
  if (!m || (m[1] === 'server' && m[2] === 'curves')) return false;
  const side = m[1] as 'bind' | 'server';
  const out: TlsOptionsModel = side === 'bind' ? (g.sslDefaultBind ??= {}) : (g.sslDefaultServer ??= {});
  if (m[2] !== 'options') {
    const v = oneWord(ctx, m[2] === 'curves' ? 'a curve list, e.g. X25519:P-256' : 'an OpenSSL cipher list');
    if (v !== undefined) out[m[2] as 'ciphers' | 'ciphersuites' | 'curves'] = v;
    return true;
  }
  const a = ctx.args;
  if (a.length < 2) return (void err(ctx, 'CFG_MISSING_ARG', `'${kw}' expects at least one option`), true);
  for (let i = 1; i < a.length; ) {
    const used = parseTlsOption(ctx, a, i, out, 'default-options');
    if (typeof used === 'string') return (void err(ctx, 'CFG_BAD_VALUE', `'${kw}': ${used}`), true);
    if (used === 0)
      return (
        void err(
          ctx,
          'CFG_BAD_VALUE',
          `'${kw}': unknown option '${a[i]}' (expects ssl-min-ver, ssl-max-ver, no-tls-tickets, prefer-client-ciphers, no-sslv3, no-tlsv1x or force-tlsv1x)`,
        ),
        true
      );
    i += used;
  }
  const range = tlsVersionRange(out);
  if (typeof range === 'string') err(ctx, 'CFG_BAD_VALUE', `'${kw}': ${range}`);
  return true;
}

/** Parses one line of the global section. */
export function parseGlobalLine(ctx: LineCtx, g: GlobalModel): void {
  const kw = ctx.args[0];
  if (!g.loc) g.loc = { ...ctx.loc };
  const h = GLOBAL_KEYWORDS[kw];
  if (h) {
    h(ctx, g);
    return;
  }
  if (IGNORED[kw]) return void warn(ctx, 'CFG_IGNORED_KEYWORD', IGNORED[kw]);
  const env = GLOBAL_ENV_KEYWORDS[kw];
  if (env) return void env(ctx);
  const unsupported = UNSUPPORTED_PREFIXES.find(([p]) => kw.startsWith(p));
  if (unsupported) return void err(ctx, 'CFG_UNSUPPORTED', `'${kw}': ${unsupported[1]}`);
  if (sslDefault(ctx, g, kw)) return;
  if (kw.startsWith('tune.')) {
    g.tune[kw] = ctx.args.slice(1).join(' ');
    return void warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      `'${kw}' kept for reference but has no effect: Switchyard's buffers are managed by Node`,
    );
  }
  if (SSL_PREFIXES.some((p) => kw.startsWith(p)) || kw === 'ssl-dh-param-file' || kw === 'tune.ssl.default-dh-param') {
    g.tune[kw] = ctx.args.slice(1).join(' ');
    return void warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      `'${kw}' kept but not applied: Switchyard uses Node's TLS defaults (TLS 1.2+, secure ciphers)`,
    );
  }
  err(
    ctx,
    'CFG_UNKNOWN_KEYWORD',
    `unknown keyword '${kw}' in 'global' section${didYouMean(kw, [...Object.keys(GLOBAL_KEYWORDS), ...Object.keys(IGNORED), ...Object.keys(GLOBAL_ENV_KEYWORDS), ...SECTIONS])}`,
  );
}
