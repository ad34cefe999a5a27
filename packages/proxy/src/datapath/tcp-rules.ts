/**
 * The tcp analyzer's rules (HAProxy's tcp_rules.c): `tcp-request connection` on accept,
 * `tcp-request content` on the buffered request bytes, in both modes; `tcp-response content`
 * on the server's first bytes (`close` ends the list too). Rules run in order; the
 * first `accept` or `reject` whose condition holds ends the list, `track-sc`, `set-src` and
 * `expect-proxy` act and go on. A condition that needs more bytes than have arrived (a partial
 * ClientHello, a short `req.payload`) makes the list wait at that rule until more data, the end of
 * the client's data, or `inspect-delay`, after which it is evaluated on what is there.
 */
import { MISS, PASS } from '../acl/condition.ts';
import { FINAL } from '../acl/payload-fetches.ts';
import { runVarAction } from '../acl/vars.ts';
import type { RequestHooks } from '../model/hooks.ts';
import type { HttpTxn } from '../model/txn.ts';
import type { CompiledTcpRule } from '../runtime/plan.ts';
import { storeCapture } from './capture.ts';

export type TcpRulesResult = 'accept' | 'reject' | 'close' | 'wait';

/** Where the last evaluation of a rule list waited, and what it asked for along the way. */
export interface TcpRulesState {
  /** The last wait was in the rules from the defaults section, or in the proxy's own. */
  waitedIn?: 'defaults' | 'own';
  expectProxy: boolean;
}

/**
 * Runs `rules` (the defaults section's first, flagged `fromDefaults`). `final`: no more data will
 * come (delay expired, client done, buffer full), so a condition wanting more is evaluated as it
 * is. As HAProxy's tcp_inspect_request/response, each evaluation starts over at the top of a
 * list, and the list it starts with alternates: after a wait in the defaults' rules the next
 * evaluation takes the proxy's own rules only, after a wait in its own it starts with the
 * defaults' again.
 */
export function runTcpRules(
  rules: CompiledTcpRule[],
  txn: HttpTxn,
  hooks: RequestHooks,
  proxyName: string,
  state: TcpRulesState,
  final: boolean,
): TcpRulesResult {
  let i = 0;
  if (state.waitedIn === 'defaults') while (i < rules.length && rules[i].fromDefaults) i++;
  txn.cache[FINAL] = final;
  for (; i < rules.length; i++) {
    const r = rules[i];
    if (r.cond) {
      const res = r.cond(txn);
      if (res === MISS) {
        state.waitedIn = r.fromDefaults ? 'defaults' : 'own';
        return 'wait';
      }
      if (res !== PASS) continue;
    }
    switch (r.action) {
      case 'accept':
        return 'accept';
      case 'reject':
        return 'reject';
      case 'close':
        return 'close';
      case 'track-sc':
        hooks.trackSc?.(txn, proxyName, r.index);
        break;
      case 'set-src': {
        const v = r.value(txn);
        if (typeof v === 'string' && v !== '') {
          txn.srcIp = v;
          txn.cache = {};
        }
        break;
      }
      case 'expect-proxy':
        state.expectProxy = true;
        break;
      case 'var':
        runVarAction(txn, r.var);
        break;
      case 'capture':
        storeCapture(txn, 'request', r.id, r.value(txn));
        break;
    }
  }
  return 'accept';
}
