/**
 * `tcp-request connection|content|session|inspect-delay`, `tcp-response content|inspect-delay` and
 * `use-server`, as HAProxy 2.6 (configuration.txt 4.2). Actions outside the lists below are refused
 * with a FILE:LINE message rather than accepted and ignored.
 */
import type { TcpRuleModel } from '../model.ts';
import { configTime, err, type LineCtx, type SectionState, splitCondition } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseCaptureRule } from './capture.ts';
import { BE, checkCap, DEF, FE, type ProxyKeyword } from './types.ts';
import { isVarAction, parseVarRule } from './vars.ts';

const CONNECTION_ACTIONS = ['accept', 'reject', 'expect-proxy', 'track-sc0', 'track-sc1', 'track-sc2', 'set-src'];
const CONTENT_ACTIONS = ['accept', 'reject', 'track-sc0', 'track-sc1', 'track-sc2', 'set-src'];
/** `tcp-request session`: once per connection, after the PROXY header and the TLS handshake. */
const SESSION_ACTIONS = ['accept', 'reject', 'track-sc0', 'track-sc1', 'track-sc2'];
/** `tcp-response content`: `close` cuts the server side once the rule matches, the client keeps what came. */
const RESPONSE_ACTIONS = ['accept', 'close', 'reject'];
/** HAProxy actions Switchyard does not run yet: refused by name rather than reported as unknown. */
const NOT_YET = new Set([
  'sc-inc-gpc',
  'sc-inc-gpc0',
  'sc-inc-gpc1',
  'sc-set-gpt0',
  'set-dst',
  'set-dst-port',
  'set-src-port',
  'set-mark',
  'set-tos',
  'set-nice',
  'set-log-level',
  'silent-drop',
  'send-spoe-group',
  'do-resolve',
  'lua',
  'switch-mode',
  'use-service',
  'set-priority-class',
  'set-priority-offset',
  'attach-srv',
]);

function parseRule(ctx: LineCtx, what: string, allowed: string[]): TcpRuleModel | undefined {
  const split = splitCondition(ctx, 2);
  if (!split) return undefined;
  const { words, cond } = split;
  const action = words[0];
  const loc = { ...ctx.loc };
  if (!action) return void err(ctx, 'CFG_MISSING_ARG', `'${what}' expects an action (${allowed.join(', ')})`);
  if (isVarAction(action)) {
    const v = parseVarRule(ctx, words, what);
    return v ? { ...v, cond, loc } : undefined;
  }
  if (!allowed.includes(action)) {
    if (action === 'capture')
      return void err(
        ctx,
        'CFG_NOT_ALLOWED_HERE',
        `'capture' is not allowed in '${what}' rules (only in 'tcp-request content')`,
      );
    if (
      NOT_YET.has(action.replace(/\(.*$/s, '')) ||
      action === 'close' ||
      /^(track-sc[0-2]|sc-.*)$/.test(action) ||
      action.startsWith('lua.')
    )
      return void err(ctx, 'CFG_UNSUPPORTED', `'${what} ${action}' is not supported yet`);
    return void err(
      ctx,
      'CFG_UNKNOWN_KEYWORD',
      `'${what}': unknown action '${action}' (expected ${allowed.join(', ')})${didYouMean(action, allowed)}`,
    );
  }
  const extra = (n: number): boolean => {
    if (words.length <= n) return true;
    return err(
      ctx,
      'CFG_EXTRA_ARGS',
      `'${what} ${action}': unexpected argument '${words[n]}' (missing 'if' or 'unless'?)`,
    );
  };
  switch (action) {
    case 'accept':
    case 'reject':
    case 'close':
      return extra(1) ? { action, cond, loc } : undefined;
    case 'expect-proxy':
      if (words[1] !== 'layer4')
        return void err(ctx, 'CFG_BAD_VALUE', `'${what} expect-proxy' expects 'layer4', got '${words[1] ?? ''}'`);
      return extra(2) ? { action, cond, loc } : undefined;
    case 'set-src':
      if (!words[1]) return void err(ctx, 'CFG_MISSING_ARG', `'${what} set-src' expects an expression, e.g. src`);
      return extra(2) ? { action, expr: words[1], cond, loc } : undefined;
    default: {
      // track-sc0..2 KEY [table NAME]
      const key = words[1];
      if (!key) return void err(ctx, 'CFG_MISSING_ARG', `'${what} ${action}' expects a key (fetch), e.g. src`);
      let table: string | undefined;
      if (words[2] !== undefined) {
        if (words[2] !== 'table' || !words[3])
          return void err(ctx, 'CFG_EXTRA_ARGS', `'${what} ${action}': expected 'table NAME' after the key`);
        table = words[3];
        if (!extra(4)) return undefined;
      }
      return { action: 'track-sc', slot: Number(action.slice(-1)), key, table, cond, loc };
    }
  }
}

function inspectDelay(ctx: LineCtx): number | undefined {
  const v = ctx.args[2];
  if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'${ctx.args[0]} inspect-delay' expects a time`);
  if (ctx.args.length > 3) return void err(ctx, 'CFG_EXTRA_ARGS', `unexpected argument '${ctx.args[3]}'`);
  const n = configTime(ctx, v);
  if (n instanceof Error) return void err(ctx, 'CFG_BAD_VALUE', `'${ctx.args[0]} inspect-delay': ${n.message}`);
  return n;
}

export const TCP_RULE_KEYWORDS: Record<string, ProxyKeyword> = {
  /** `tcp-request connection|content|inspect-delay ...`. */
  'tcp-request': {
    caps: FE | BE | DEF,
    fn: (ctx, s: SectionState) => {
      const sub = ctx.args[1];
      const m = s.model;
      if (
        s.kind === 'defaults' &&
        s.name === '' &&
        sub !== undefined &&
        ['connection', 'content', 'session', 'inspect-delay'].includes(sub)
      )
        return void err(
          ctx,
          'CFG_NOT_ALLOWED_HERE',
          `tcp-request ${sub} is not allowed in anonymous 'defaults' sections`,
        );
      switch (sub) {
        case 'inspect-delay': {
          const n = inspectDelay(ctx);
          if (n !== undefined) m.inspectDelay = n;
          return;
        }
        case 'connection': {
          if (!checkCap(ctx, s, FE | DEF, 'tcp-request connection')) return;
          const r = parseRule(ctx, 'tcp-request connection', CONNECTION_ACTIONS);
          if (r) m.tcpRequestConnection.push(r);
          return;
        }
        case 'content': {
          if (ctx.args[2] === 'capture') {
            const split = splitCondition(ctx, 2);
            if (!split) return;
            if (s.kind === 'defaults')
              return void err(
                ctx,
                'CFG_NOT_ALLOWED_HERE',
                "'tcp-request content capture' is not allowed in a 'defaults' section",
              );
            const what = "'tcp-request content capture'";
            const c = parseCaptureRule(ctx, s, split.words, 'request', what, ['len']);
            if (c) m.tcpRequestContent.push({ ...c, cond: split.cond, loc: { ...ctx.loc } });
            return;
          }
          const r = parseRule(ctx, 'tcp-request content', CONTENT_ACTIONS);
          if (r) m.tcpRequestContent.push(r);
          return;
        }
        case 'session': {
          if (!checkCap(ctx, s, FE | DEF, 'tcp-request session')) return;
          const r = parseRule(ctx, 'tcp-request session', SESSION_ACTIONS);
          if (r) m.tcpRequestSession.push(r);
          return;
        }
      }
      err(
        ctx,
        'CFG_UNKNOWN_KEYWORD',
        `'tcp-request' expects 'connection', 'content' or 'inspect-delay', got '${sub ?? ''}'${didYouMean(sub ?? '', ['connection', 'content', 'inspect-delay', 'session'])}`,
      );
    },
  },
  /**
   * `tcp-response content|inspect-delay ...`: backends and named defaults only (HAProxy's rule,
   * with its message); the rules run on the server's first bytes in `mode tcp` (datapath/tcp-stream.ts).
   */
  'tcp-response': {
    // a frontend gets HAProxy's error, not the 'no backend capability' warning
    caps: FE | BE | DEF,
    fn: (ctx, s: SectionState) => {
      const sub = ctx.args[1];
      const m = s.model;
      if (sub !== 'content' && sub !== 'inspect-delay')
        return void err(
          ctx,
          'CFG_UNKNOWN_KEYWORD',
          `'tcp-response' expects 'content' or 'inspect-delay', got '${sub ?? ''}'${didYouMean(sub ?? '', ['content', 'inspect-delay'])}`,
        );
      if (s.kind === 'frontend' || (s.kind === 'defaults' && s.name === ''))
        return void err(
          ctx,
          'CFG_NOT_ALLOWED_HERE',
          `tcp-response ${sub} is only allowed in 'backend' sections or 'defaults' section with a name`,
        );
      if (sub === 'inspect-delay') {
        const n = inspectDelay(ctx);
        if (n !== undefined) m.resInspectDelay = n;
        return;
      }
      const r = parseRule(ctx, 'tcp-response content', RESPONSE_ACTIONS);
      if (r) m.tcpResponseContent.push(r);
    },
  },
  /**
   * `persist rdp-cookie[(NAME)]`: a Remote Desktop client's `Cookie: msts=ADDR.PORT.0000` (the
   * address and port as the RDP broker encodes them) picks that server, as HAProxy's
   * tcp_persist_rdp_cookie.
   */
  persist: {
    caps: BE | DEF,
    fn: (ctx, s) => {
      const m = /^rdp-cookie(?:\((.*)\))?$/.exec(ctx.args[1] ?? '');
      if (!m) return void err(ctx, 'CFG_BAD_VALUE', 'unknown persist method.');
      if (m[1] === '')
        return void err(ctx, 'CFG_MISSING_ARG', "persist rdp-cookie(name)' requires an rdp cookie name.");
      if (ctx.args.length > 2) return void err(ctx, 'CFG_EXTRA_ARGS', `unexpected argument '${ctx.args[2]}'`);
      s.model.persistRdpCookie = m[1] ?? 'msts';
    },
  },
  /** `use-server NAME [if|unless COND]`. */
  'use-server': {
    caps: BE,
    fn: (ctx, s) => {
      const split = splitCondition(ctx, 1);
      if (!split) return;
      const [server, ...rest] = split.words;
      if (!server) return void err(ctx, 'CFG_MISSING_ARG', "'use-server' expects a server name");
      if (rest.length > 0)
        return void err(
          ctx,
          'CFG_EXTRA_ARGS',
          `'use-server': unexpected argument '${rest[0]}' (missing 'if' or 'unless'?)`,
        );
      s.model.useServers.push({ server, cond: split.cond, loc: { ...ctx.loc } });
    },
  },
};
