/** `stats ...` in proxies: the stats page (enable, uri, realm, auth, refresh, admin ...). */
import type { StatsModel } from '../model.ts';
import {
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
import { ALL, type ProxyKeyword } from './types.ts';

const SUBS = [
  'enable',
  'disable',
  'uri',
  'realm',
  'auth',
  'refresh',
  'hide-version',
  'show-legends',
  'show-node',
  'show-desc',
  'show-modules',
  'scope',
  'admin',
];

/** The proxy's stats settings, created with HAProxy's defaults on first use. */
function stats(ctx: LineCtx, s: SectionState): StatsModel {
  s.model.stats ??= {
    enabled: true,
    uri: '/haproxy?stats',
    auth: [],
    hideVersion: false,
    showLegends: false,
    scope: [],
    loc: { ...ctx.loc },
  };
  return s.model.stats;
}

function parseStats(ctx: LineCtx, s: SectionState): void {
  const sub = ctx.args[1];
  if (sub === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'stats' expects one of ${SUBS.join(', ')}`);
  if (sub === 'admin') {
    const split = splitCondition(ctx, 2);
    if (!split) return;
    const { words, cond } = split;
    if (!cond)
      return void err(
        ctx,
        'CFG_MISSING_ARG',
        "'stats admin' expects 'if' or 'unless' followed by a condition (e.g. stats admin if LOCALHOST)",
      );
    if (words.length)
      return void err(ctx, 'CFG_EXTRA_ARGS', `'stats admin': unexpected '${words[0]}' before '${cond.polarity}'`);
    stats(ctx, s).admin = cond;
    return;
  }
  if (sub === 'socket' || sub === 'timeout' || sub === 'maxconn') {
    return void err(ctx, 'CFG_NOT_ALLOWED_HERE', `'stats ${sub}' belongs in the global section`);
  }
  if (sub === 'http-request')
    return void err(
      ctx,
      'CFG_UNSUPPORTED',
      "'stats http-request' is not supported; use 'stats auth' and 'stats admin'",
    );
  if (sub === 'bind-process')
    return void warn(ctx, 'CFG_IGNORED_KEYWORD', "'stats bind-process' ignored: every worker serves the stats page");
  if (!SUBS.includes(sub))
    return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown keyword 'stats ${sub}'${didYouMean(sub, SUBS)}`);
  if (sub === 'show-modules') {
    return void warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      "'stats show-modules' ignored: Switchyard's stats have no per-module counters",
    );
  }
  if (sub === 'show-desc')
    return void warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      "'stats show-desc' ignored: the stats page shows the global 'description'",
    );
  if (sub === 'show-node') {
    if (!noExtra(ctx, 3)) return;
    stats(ctx, s).showNode = ctx.args[2] ?? '';
    return;
  }
  const flag = { enable: 'enabled', 'hide-version': 'hideVersion', 'show-legends': 'showLegends' } as const;
  if (sub === 'enable' || sub === 'hide-version' || sub === 'show-legends') {
    if (noExtra(ctx, 2)) stats(ctx, s)[flag[sub]] = true;
    return;
  }
  if (sub === 'disable') {
    if (noExtra(ctx, 2)) stats(ctx, s).enabled = false;
    return;
  }
  const v = need(ctx, 2, sub === 'auth' ? 'user:password' : 'a value');
  if (v === undefined || !noExtra(ctx, 3)) return;
  const st = stats(ctx, s);
  switch (sub) {
    case 'uri':
      if (!v.startsWith('/')) return void err(ctx, 'CFG_BAD_VALUE', `'stats uri' must start with '/', got '${v}'`);
      st.uri = v;
      break;
    case 'realm':
      st.realm = v;
      break;
    case 'auth': {
      const c = v.indexOf(':');
      if (c <= 0) return void err(ctx, 'CFG_BAD_VALUE', `'stats auth' expects user:password, got '${v}'`);
      st.auth.push({ user: v.slice(0, c), password: v.slice(c + 1) });
      break;
    }
    case 'refresh':
      st.refresh = valueOr(ctx, configTime(ctx, v, 's'), "'stats refresh'") ?? st.refresh;
      break;
    case 'scope':
      st.scope.push(v);
      break;
  }
  st.enabled = true;
}

export const STATS_KEYWORDS: Record<string, ProxyKeyword> = {
  /** Stats page settings; any `stats` line except `stats disable` enables it. */
  stats: { caps: ALL, fn: parseStats },
};
