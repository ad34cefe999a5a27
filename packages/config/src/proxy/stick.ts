/** `stick-table`, `stick on|match|store-*` and `cookie` (persistence). */
import type { CookieModel, StickTableModel } from '../model.ts';
import { configTime, err, type LineCtx, need, type SectionState, splitCondition } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseIntRange, parseSize } from '../units.ts';
import { BE, DEF, type ProxyKeyword } from './types.ts';

/** Data types a stick-table can store; those in RATES take a period: `conn_rate(10s)`. */
const COUNTERS = [
  'server_id',
  'gpt0',
  'gpc0',
  'gpc1',
  'conn_cnt',
  'conn_cur',
  'sess_cnt',
  'http_req_cnt',
  'http_err_cnt',
  'http_fail_cnt',
  'bytes_in_cnt',
  'bytes_out_cnt',
];
const RATES = [
  'gpc0_rate',
  'gpc1_rate',
  'conn_rate',
  'sess_rate',
  'http_req_rate',
  'http_err_rate',
  'http_fail_rate',
  'bytes_in_rate',
  'bytes_out_rate',
];
const TYPES = ['ip', 'ipv6', 'integer', 'string', 'binary'];

function stickTable(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const t: Partial<StickTableModel> & { store: StickTableModel['store'] } = {
    nopurge: false,
    store: [],
    loc: { ...ctx.loc },
  };
  for (let i = 1; i < a.length; i++) {
    const k = a[i];
    const v = a[i + 1];
    const needV = (what: string): string | undefined =>
      v === undefined ? void err(ctx, 'CFG_MISSING_ARG', `'stick-table': '${k}' expects ${what}`) : v;
    if (k === 'nopurge') {
      t.nopurge = true;
      continue;
    }
    if (k === 'type') {
      if (needV('ip, ipv6, integer, string or binary') === undefined) return;
      if (!TYPES.includes(v!))
        return void err(ctx, 'CFG_BAD_VALUE', `'stick-table': unknown type '${v}'${didYouMean(v!, TYPES)}`);
      t.type = v as StickTableModel['type'];
      if (a[i + 2] === 'len') {
        if (t.type !== 'string' && t.type !== 'binary')
          return void err(ctx, 'CFG_BAD_VALUE', `'stick-table': 'len' only applies to string and binary types`);
        const n = parseIntRange(a[i + 3] ?? '', 1, 65535, "'stick-table' len");
        if (n instanceof Error) return void err(ctx, 'CFG_BAD_VALUE', n.message);
        t.len = n;
        i += 2;
      } else if (t.type === 'string' || t.type === 'binary') t.len = 32;
    } else if (k === 'size') {
      if (needV('a number of entries (e.g. 100k)') === undefined) return;
      const n = parseSize(v!);
      if (n instanceof Error) return void err(ctx, 'CFG_BAD_SIZE', `'stick-table' size: ${n.message}`);
      t.size = n;
    } else if (k === 'expire') {
      if (needV('a time') === undefined) return;
      const n = configTime(ctx, v!);
      if (n instanceof Error) return void err(ctx, 'CFG_BAD_TIME', `'stick-table' expire: ${n.message}`);
      t.expire = n;
    } else if (k === 'peers') {
      if (needV('a peers section name') === undefined) return;
      t.peers = v;
    } else if (k === 'store') {
      if (needV('data types, e.g. conn_rate(10s),http_req_rate(10s)') === undefined) return;
      for (const d of v!.split(',')) {
        const m = /^([a-z0-9_]+)(?:\(([^)]*)\))?$/.exec(d);
        const name = m?.[1] ?? d;
        if (!m || (!COUNTERS.includes(name) && !RATES.includes(name))) {
          return void err(
            ctx,
            'CFG_BAD_VALUE',
            `'stick-table': unknown data type '${d}'${didYouMean(name, [...COUNTERS, ...RATES])}`,
          );
        }
        if (RATES.includes(name)) {
          if (!m[2])
            return void err(ctx, 'CFG_MISSING_ARG', `'stick-table': '${name}' needs a period, e.g. ${name}(10s)`);
          const p = configTime(ctx, m[2]);
          if (p instanceof Error || p === 0)
            return void err(ctx, 'CFG_BAD_TIME', `'stick-table': invalid period '${m[2]}' for '${name}'`);
          t.store.push({ name, period: p });
        } else {
          if (m[2] !== undefined) return void err(ctx, 'CFG_BAD_VALUE', `'stick-table': '${name}' takes no period`);
          t.store.push({ name });
        }
      }
    } else if (k === 'srvkey' || k === 'write-to') {
      return void err(ctx, 'CFG_UNSUPPORTED', `'stick-table': '${k}' is not supported`);
    } else {
      return void err(
        ctx,
        'CFG_UNKNOWN_KEYWORD',
        `'stick-table': unknown argument '${k}'${didYouMean(k, ['type', 'size', 'expire', 'nopurge', 'peers', 'store'])}`,
      );
    }
    i++;
  }
  if (!t.type)
    return void err(ctx, 'CFG_MISSING_ARG', "'stick-table' needs a 'type' (ip, ipv6, integer, string or binary)");
  if (t.size === undefined) return void err(ctx, 'CFG_MISSING_ARG', "'stick-table' needs a 'size' (e.g. size 100k)");
  if (s.model.stickTable)
    return void err(
      ctx,
      'CFG_DUPLICATE_NAME',
      `only one 'stick-table' per proxy (${s.kind} '${s.name}' already has one at line ${s.model.stickTable.loc.line})`,
    );
  s.model.stickTable = t as StickTableModel;
}

function stick(ctx: LineCtx, s: SectionState): void {
  const kind = need(ctx, 1, 'on, match, store-request or store-response');
  if (kind === undefined) return;
  const kinds = ['on', 'match', 'store-request', 'store-response'];
  if (!kinds.includes(kind))
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `unknown 'stick ${kind}'${didYouMean(kind, kinds)} (expected on, match, store-request or store-response)`,
    );
  const split = splitCondition(ctx, 2);
  if (!split) return;
  const { words, cond } = split;
  const key = words[0];
  if (!key) return void err(ctx, 'CFG_MISSING_ARG', `'stick ${kind}' expects a key (fetch), e.g. src`);
  let table: string | undefined;
  if (words.length > 1) {
    if (words[1] !== 'table' || !words[2] || words.length > 3)
      return void err(
        ctx,
        'CFG_EXTRA_ARGS',
        `'stick ${kind} ${key}': expected 'table NAME' or 'if|unless COND', got '${words.slice(1).join(' ')}'`,
      );
    table = words[2];
  }
  s.model.stickRules.push({ kind: kind as 'on', key, table, cond, loc: { ...ctx.loc } });
}

function cookie(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const name = need(ctx, 1, 'a cookie name');
  if (name === undefined) return;
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    return void err(ctx, 'CFG_BAD_VALUE', `'cookie': invalid cookie name '${name}'`);
  const c: CookieModel = {
    name,
    mode: 'passive',
    indirect: false,
    nocache: false,
    httponly: false,
    secure: false,
    postonly: false,
    preserve: false,
    domain: [],
    attr: [],
    loc: { ...ctx.loc },
  };
  let modeSet = false;
  const opts = [
    'rewrite',
    'insert',
    'prefix',
    'indirect',
    'nocache',
    'postonly',
    'preserve',
    'httponly',
    'secure',
    'domain',
    'maxidle',
    'maxlife',
    'attr',
  ];
  for (let i = 2; i < a.length; i++) {
    const k = a[i];
    if (k === 'rewrite' || k === 'insert' || k === 'prefix') {
      if (modeSet)
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'cookie': '${k}' conflicts with '${c.mode}' (choose one of rewrite, insert, prefix)`,
        );
      c.mode = k;
      modeSet = true;
    } else if (
      k === 'indirect' ||
      k === 'nocache' ||
      k === 'postonly' ||
      k === 'preserve' ||
      k === 'httponly' ||
      k === 'secure'
    ) {
      c[k] = true;
    } else if (k === 'domain' || k === 'attr' || k === 'maxidle' || k === 'maxlife') {
      const v = a[++i];
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'cookie': '${k}' expects a value`);
      if (k === 'domain') c.domain.push(v);
      else if (k === 'attr') {
        if (/[;\x00-\x1f]/.test(v))
          return void err(ctx, 'CFG_BAD_VALUE', `'cookie': 'attr' must not contain ';' or control characters`);
        c.attr.push(v);
      } else {
        const t = configTime(ctx, v, 's');
        if (t instanceof Error) return void err(ctx, 'CFG_BAD_TIME', `'cookie' ${k}: ${t.message}`);
        c[k] = t;
      }
    } else if (k === 'dynamic') {
      return void err(
        ctx,
        'CFG_UNSUPPORTED',
        "'cookie ... dynamic' is not supported; give each server a 'cookie VALUE'",
      );
    } else {
      return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `'cookie': unknown option '${k}'${didYouMean(k, opts)}`);
    }
  }
  if (c.preserve && c.mode !== 'insert' && !c.indirect) {
    return void err(ctx, 'CFG_BAD_VALUE', "'cookie': 'preserve' requires at least 'insert' or 'indirect' (as HAProxy)");
  }
  if ((c.maxidle !== undefined || c.maxlife !== undefined) && c.mode !== 'insert') {
    ctx.r.warn(ctx.loc, 'CFG_NO_EFFECT', "'cookie': 'maxidle' and 'maxlife' only apply to 'insert' mode; ignored");
    delete c.maxidle;
    delete c.maxlife;
  }
  s.model.cookie = c;
}

export const STICK_KEYWORDS: Record<string, ProxyKeyword> = {
  /** A stick table in this proxy (counters, persistence). */
  'stick-table': { caps: BE, fn: stickTable },
  /** Persistence rules on a stick table. */
  stick: { caps: BE, fn: stick },
  /** Cookie-based persistence (`server ... cookie VALUE`). */
  cookie: { caps: BE | DEF, fn: cookie },
};
