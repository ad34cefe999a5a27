/** Simple proxy keywords: mode, limits, timeouts, logging, ids, routing, balance. */
import { parseLogTarget } from '../log.ts';
import type { BalanceAlgo, LogTarget, RetryOnKeyword, Timeouts } from '../model.ts';
import {
  configPath,
  configTime,
  err,
  type LineCtx,
  need,
  noExtra,
  type SectionState,
  splitCondition,
  valueOr,
  warn,
} from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseIntRange } from '../units.ts';
import { ALL, BE, checkCap, DEF, FE, type ProxyKeyword } from './types.ts';

const TIMEOUTS: Record<string, { field: keyof Timeouts; caps: number }> = {
  connect: { field: 'connect', caps: BE | DEF },
  client: { field: 'client', caps: FE | DEF },
  server: { field: 'server', caps: BE | DEF },
  'http-request': { field: 'httpRequest', caps: FE | BE | DEF },
  'http-keep-alive': { field: 'httpKeepAlive', caps: FE | BE | DEF },
  queue: { field: 'queue', caps: BE | DEF },
  check: { field: 'check', caps: BE | DEF },
  tunnel: { field: 'tunnel', caps: BE | DEF },
  'client-fin': { field: 'clientFin', caps: FE | DEF },
  'server-fin': { field: 'serverFin', caps: BE | DEF },
};

/** `retry-on` keywords (HAProxy 2.6 proxy_parse_retry_on), and what `all-retryable-errors` means. */
const RETRY_ON = [
  'conn-failure',
  'empty-response',
  'junk-response',
  'response-timeout',
  '0rtt-rejected',
  '401',
  '403',
  '404',
  '408',
  '425',
  '500',
  '501',
  '502',
  '503',
  '504',
] as const satisfies readonly RetryOnKeyword[];
const ALL_RETRYABLE: RetryOnKeyword[] = [
  'conn-failure',
  'empty-response',
  'junk-response',
  'response-timeout',
  '0rtt-rejected',
  '500',
  '502',
  '503',
  '504',
];

const LEGACY_TIMEOUTS: Record<string, string> = { contimeout: 'connect', clitimeout: 'client', srvtimeout: 'server' };

function setTimeout(ctx: LineCtx, s: SectionState, name: string, text: string | undefined): void {
  const t = TIMEOUTS[name];
  if (text === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'timeout ${name}' expects a time (e.g. 5s)`);
  if (!checkCap(ctx, s, t.caps, `timeout ${name}`)) return;
  const v = valueOr(ctx, configTime(ctx, text), `'timeout ${name}'`);
  if (v === undefined) return;
  s.model.timeouts[t.field] = v;
  s.timeoutLocs[name] = { ...ctx.loc };
}

/** Where a log target sends to, for spotting a destination listed twice. */
function destination(l: LogTarget): string {
  return l.kind === 'udp' ? `${l.host}:${l.port}` : l.kind === 'unix' ? (l.path ?? '') : l.kind;
}

/**
 * Appends a log target, warning when the same destination and facility already receive this proxy's
 * logs (the same facility at two levels, or two facilities, are deliberate routing and do not warn).
 */
function addLog(ctx: LineCtx, s: SectionState, t: LogTarget): void {
  const dup = s.model.logs.find((l) => destination(l) === destination(t) && l.facility === t.facility);
  if (dup) {
    warn(
      ctx,
      'CFG_DUPLICATE_LOG',
      `log destination '${destination(t)}' with facility ${t.facility} is already used by the 'log' line at ${dup.loc.file}:${dup.loc.line}: every log line will be sent twice`,
    );
  }
  s.model.logs.push(t);
}

const BALANCE: BalanceAlgo[] = [
  'roundrobin',
  'static-rr',
  'leastconn',
  'first',
  'source',
  'uri',
  'url_param',
  'hdr',
  'hash',
  'rdp-cookie',
  'random',
];

/** `balance ALGO [options]`. */
function balance(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const raw = need(ctx, 1, 'an algorithm');
  if (raw === undefined) return;
  const m = /^([a-z_-]+)(?:\((.*)\))?$/.exec(raw);
  const name = m?.[1] ?? raw;
  const withArg = name === 'hdr' || name === 'random' || name === 'rdp-cookie';
  if (!m || !(BALANCE as string[]).includes(name) || (m[2] !== undefined && !withArg)) {
    return void err(ctx, 'CFG_BAD_VALUE', `unknown balance algorithm '${raw}'${didYouMean(name, BALANCE)}`);
  }
  const b: SectionState['model']['balance'] = { algo: name as BalanceAlgo, options: {}, loc: { ...ctx.loc } };
  if (name === 'hdr') {
    if (!m[2]) return void err(ctx, 'CFG_MISSING_ARG', "'balance hdr' expects a header name: hdr(NAME)");
    b.param = m[2];
  }
  if (name === 'rdp-cookie') {
    // the RDP cookie whose value is hashed (HAProxy's default: mstshash)
    if (m[2] === '') return void err(ctx, 'CFG_MISSING_ARG', 'balance rdp-cookie : missing cookie name.');
    b.param = m[2] ?? 'mstshash';
  }
  if (name === 'random' && m[2] !== undefined) {
    const d = valueOr(ctx, parseIntRange(m[2], 1, 100, "'random' draws"), 'balance');
    if (d === undefined) return;
    b.options.draws = d;
  }
  let i = 2;
  if (name === 'hash') {
    // `balance hash EXPR`: the sample expression's result is hashed (compiled with the runtime)
    const e = need(ctx, 2, 'a sample expression, e.g. req.cook(sessionid) or src');
    if (e === undefined) return;
    b.param = e;
    i = 3;
  }
  if (name === 'url_param') {
    const p = need(ctx, 2, 'a parameter name');
    if (p === undefined) return;
    b.param = p;
    i = 3;
    if (a[i] === 'check_post')
      return void err(ctx, 'CFG_UNSUPPORTED', "'balance url_param ... check_post' is not supported");
  }
  while (i < a.length) {
    const o = a[i];
    if (name === 'uri' && o === 'whole') {
      b.options.whole = true;
      i++;
    } else if (name === 'uri' && (o === 'len' || o === 'depth')) {
      const v = valueOr(ctx, parseIntRange(a[i + 1] ?? '', 1, 65535, `'balance uri ${o}'`), 'balance');
      if (v === undefined) return;
      b.options[o] = v;
      i += 2;
    } else if (name === 'hdr' && o === 'use_domain_only') {
      b.options.useDomainOnly = true;
      i++;
    } else {
      return void err(ctx, 'CFG_EXTRA_ARGS', `'balance ${name}' does not take the option '${o}'`);
    }
  }
  s.model.balance = b;
}

/** `hash-type map-based|consistent [sdbm|djb2|wt6|crc32] [avalanche]`. */
function hashType(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const method = need(ctx, 1, "'map-based' or 'consistent'");
  if (method === undefined) return;
  if (method !== 'map-based' && method !== 'consistent') {
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `'hash-type' expects 'map-based' or 'consistent', got '${method}'${didYouMean(method, ['map-based', 'consistent'])}`,
    );
  }
  const h: SectionState['model']['hashType'] = { method, fn: 'sdbm', avalanche: false };
  for (const w of a.slice(2)) {
    if (w === 'sdbm' || w === 'djb2' || w === 'wt6' || w === 'crc32') h.fn = w;
    else if (w === 'avalanche') h.avalanche = true;
    else
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        `'hash-type': unknown hash function or modifier '${w}' (expected sdbm, djb2, wt6, crc32, avalanche)`,
      );
  }
  s.model.hashType = h;
}

export const BASIC_KEYWORDS: Record<string, ProxyKeyword> = {
  /** `mode http|tcp` (`health`, removed from HAProxy, is refused). */
  mode: {
    caps: ALL,
    fn: (ctx, s) => {
      const m = need(ctx, 1, "'http' or 'tcp'");
      if (m === undefined || !noExtra(ctx, 2)) return;
      if (m === 'http') s.model.mode = 'http';
      else if (m === 'tcp') s.model.mode = 'tcp';
      else if (m === 'health')
        err(
          ctx,
          'CFG_UNSUPPORTED',
          "mode health is not supported (it was removed in HAProxy 2.4); use 'monitor-uri' in an http frontend",
        );
      else err(ctx, 'CFG_BAD_VALUE', `unknown mode '${m}' (expected http or tcp)${didYouMean(m, ['http', 'tcp'])}`);
    },
  },
  /** Maximum concurrent client connections of a frontend. */
  maxconn: {
    caps: FE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'a number');
      if (v !== undefined && noExtra(ctx, 2))
        s.model.maxconn = valueOr(ctx, parseIntRange(v, 0, 10_000_000, "'maxconn'"), 'maxconn') ?? s.model.maxconn;
    },
  },
  /** Backend load at which servers' `maxconn` reaches its `minconn` scale (kept for dynamic limits). */
  fullconn: {
    caps: BE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'a number');
      if (v !== undefined && noExtra(ctx, 2))
        s.model.fullconn = valueOr(ctx, parseIntRange(v, 1, 10_000_000, "'fullconn'"), 'fullconn') ?? s.model.fullconn;
    },
  },
  /** Where the servers' state comes from at start: the global `server-state-file`, a file of its own, or none. */
  'load-server-state-from-file': {
    caps: BE | DEF,
    fn: (ctx, s) => {
      const v = ctx.args[1] ?? '';
      if (v !== 'global' && v !== 'local' && v !== 'none')
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '${v}'${didYouMean(v, ['global', 'local', 'none'])}`,
        );
      if (noExtra(ctx, 2)) s.model.loadServerStateFromFile = v;
    },
  },
  /** The file of `load-server-state-from-file local` (relative to `server-state-base`); default: the backend's name. */
  'server-state-file-name': {
    caps: BE | DEF,
    fn: (ctx, s) => {
      if (!noExtra(ctx, 2)) return;
      const v = ctx.args[1];
      s.model.serverStateFileName = v === undefined || v === 'use-backend-name' ? s.name : v;
    },
  },
  /** `timeout connect|client|server|http-request|http-keep-alive|queue|check|tunnel|client-fin|server-fin T`. */
  timeout: {
    caps: ALL,
    fn: (ctx, s) => {
      const name = need(ctx, 1, 'a timeout name (connect, client, server, ...)');
      if (name === undefined || !noExtra(ctx, 3)) return;
      if (!TIMEOUTS[name]) {
        const legacy = LEGACY_TIMEOUTS[name];
        const hint = legacy ? `; use 'timeout ${legacy}'` : didYouMean(name, Object.keys(TIMEOUTS));
        return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown timeout 'timeout ${name}'${hint}`);
      }
      setTimeout(ctx, s, name, ctx.args[2]);
    },
  },
  /** `retries N`: connection attempts after the first failure. */
  retries: {
    caps: BE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'a number');
      if (v !== undefined && noExtra(ctx, 2))
        s.model.retries = valueOr(ctx, parseIntRange(v, 0, 1000, "'retries'"), 'retries') ?? s.model.retries;
    },
  },
  /** `retry-on KEYWORD...`: which failures are retried (replaces the previous list). */
  'retry-on': {
    caps: BE | DEF,
    wrongCap: 'error',
    fn: (ctx, s) => {
      const a = ctx.args;
      if (a.length < 2)
        return void err(ctx, 'CFG_MISSING_ARG', "'retry-on' needs at least one keyword to specify when to retry");
      const list = new Set<RetryOnKeyword>();
      for (let i = 1; i < a.length; i++) {
        const k = a[i];
        if (k === 'none') {
          if (i !== 1 || a.length > 2)
            return void err(ctx, 'CFG_BAD_VALUE', "'retry-on' 'none' keyworld only usable alone");
        } else if (k === 'all-retryable-errors') for (const e of ALL_RETRYABLE) list.add(e);
        else if ((RETRY_ON as readonly string[]).includes(k)) list.add(k as RetryOnKeyword);
        else
          return void err(
            ctx,
            'CFG_BAD_VALUE',
            `'retry-on': unknown keyword '${k}'${/^\d+$/.test(k) ? '' : didYouMean(k, [...RETRY_ON, 'all-retryable-errors', 'none'])}`,
          );
      }
      s.model.retryOn = [...list];
    },
  },
  /** Free text shown on the stats page. */
  description: {
    caps: FE | BE,
    fn: (ctx, s) => {
      if (need(ctx, 1, 'a text') !== undefined) s.model.description = ctx.args.slice(1).join(' ');
    },
  },
  /** `id N`: the proxy's numeric id (stats `iid`). */
  id: {
    caps: FE | BE,
    wrongCap: 'error',
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'a positive number');
      if (v === undefined || !noExtra(ctx, 2)) return;
      const n = valueOr(ctx, parseIntRange(v, 1, 2_147_483_647, "'id'"), 'id');
      if (n === undefined) return;
      s.model.id = n;
      s.explicitId = true;
    },
  },
  /** The proxy starts stopped. */
  disabled: { caps: ALL, fn: (ctx, s) => noExtra(ctx, 1) && void (s.model.disabled = true) },
  /** The proxy starts (the default; cancels an inherited `disabled`). */
  enabled: { caps: ALL, fn: (ctx, s) => noExtra(ctx, 1) && void (s.model.disabled = false) },
  /** `log global`, `log TARGET ...`, `no log`. */
  log: {
    caps: ALL,
    fn: (ctx, s) => {
      if (ctx.negated) {
        if (noExtra(ctx, 1)) s.model.logs = [];
        return;
      }
      if (ctx.args[1] === 'global') {
        if (!noExtra(ctx, 2)) return;
        if (ctx.config.global.logs.length === 0)
          warn(ctx, 'CFG_NO_EFFECT', "'log global' has no effect: the global section has no 'log' line (yet)");
        // As HAProxy: a global target already copied (e.g. through defaults) is not added twice.
        for (const g of ctx.config.global.logs) {
          if (s.model.logs.some((l) => l.loc.file === g.loc.file && l.loc.line === g.loc.line)) continue;
          addLog(ctx, s, structuredClone(g));
        }
        return;
      }
      const t = parseLogTarget(ctx);
      if (t) addLog(ctx, s, t);
    },
  },
  /** Custom access-log line (HAProxy log-format variables). */
  'log-format': {
    caps: FE | DEF,
    fn: (ctx, s) => {
      if (need(ctx, 1, 'a format string') !== undefined) s.model.logFormat = ctx.args.slice(1).join(' ');
    },
  },
  /** `unique-id-format FMT`: a log-format string giving each request its id (%ID, `unique-id`). */
  'unique-id-format': {
    caps: FE | DEF,
    fn: (ctx, s) => {
      if (need(ctx, 1, 'an argument') === undefined) return;
      if (ctx.args.length > 2)
        return void err(
          ctx,
          'CFG_EXTRA_ARGS',
          "'unique-id-format' expects only one argument, don't forget to escape spaces!",
        );
      s.model.uniqueIdFormat = { format: ctx.args[1], loc: ctx.loc };
    },
  },
  /** `unique-id-header NAME`: the request sent to the server carries the unique id in this header. */
  'unique-id-header': {
    caps: FE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'an argument');
      if (v !== undefined && noExtra(ctx, 2)) s.model.uniqueIdHeader = v;
    },
  },
  /** A URI answered 200 by the proxy itself (for upstream load balancers). */
  'monitor-uri': {
    caps: FE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'a URI');
      if (v === undefined || !noExtra(ctx, 2)) return;
      if (!v.startsWith('/')) {
        warn(
          ctx,
          'CFG_NO_EFFECT',
          `'monitor-uri ${v}' does not start with '/': it only matches a request whose URI is exactly '${v}'`,
        );
      }
      s.model.monitorUri = v;
    },
  },
  balance: { caps: BE | DEF, fn: balance },
  /** `http-reuse never|safe|aggressive|always`: which requests may share idle server connections. */
  'http-reuse': {
    caps: BE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'never, safe, aggressive or always');
      if (v === undefined || !noExtra(ctx, 2)) return;
      if (v !== 'never' && v !== 'safe' && v !== 'aggressive' && v !== 'always')
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'http-reuse' expects 'never', 'safe', 'aggressive' or 'always', got '${v}'${didYouMean(v, ['never', 'safe', 'aggressive', 'always'])}`,
        );
      s.model.httpReuse = v;
    },
  },
  'hash-type': { caps: BE | DEF, fn: hashType },
  /** Backend used when no `use_backend` rule matches. */
  default_backend: {
    caps: FE | DEF,
    fn: (ctx, s) => {
      const v = need(ctx, 1, 'a backend name');
      if (v === undefined || !noExtra(ctx, 2)) return;
      s.model.defaultBackend = v;
      s.defaultBackendLoc = { ...ctx.loc };
    },
  },
  /** `use_backend NAME [if|unless COND]`, evaluated in order. */
  use_backend: {
    caps: FE,
    fn: (ctx, s) => {
      const split = splitCondition(ctx, 1);
      if (!split) return;
      const { words, cond } = split;
      if (words.length === 0) return void err(ctx, 'CFG_MISSING_ARG', "'use_backend' expects a backend name");
      if (words.length > 1)
        return void err(
          ctx,
          'CFG_EXTRA_ARGS',
          `'use_backend ${words[0]}': expected 'if' or 'unless' before '${words[1]}'`,
        );
      s.model.useBackends.push({ backend: words[0], cond, loc: { ...ctx.loc } });
    },
  },
  /** `acl NAME CRITERION [flags] [operator] [patterns...]` (compiled by the proxy). */
  acl: {
    caps: FE | BE,
    wrongCap: 'error',
    fn: (ctx, s) => {
      const name = need(ctx, 1, 'a name and a criterion');
      const crit = need(ctx, 2, 'a criterion (fetch), e.g. path_beg');
      if (name === undefined || crit === undefined) return;
      if (!/^[A-Za-z0-9_.:-]+$/.test(name))
        return void err(
          ctx,
          'CFG_BAD_NAME',
          `acl name '${name}' may only contain letters, digits, '_', '.', ':' and '-'`,
        );
      s.model.acls.push({ name, criterion: crit, args: ctx.args.slice(3), loc: { ...ctx.loc } });
    },
  },
};

/** `contimeout 5000` etc.: HAProxy 1.x forms, accepted with a warning naming the modern one. */
export const LEGACY_TIMEOUT_KEYWORDS: Record<string, ProxyKeyword> = Object.fromEntries(
  Object.entries(LEGACY_TIMEOUTS).map(([old, modern]) => [
    old,
    {
      caps: TIMEOUTS[modern].caps,
      fn: (ctx: LineCtx, s: SectionState) => {
        const v = need(ctx, 1, 'a time');
        if (v === undefined || !noExtra(ctx, 2)) return;
        warn(
          ctx,
          'CFG_LEGACY_KEYWORD',
          `'${old}' is deprecated (HAProxy 2.x rejects it); use 'timeout ${modern} ${v}'`,
        );
        setTimeout(ctx, s, modern, v);
      },
    } satisfies ProxyKeyword,
  ]),
);
