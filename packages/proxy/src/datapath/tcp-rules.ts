/**
 * The tcp analyzer's rules (HAProxy's tcp_rules.c): `tcp-request connection` on accept,
 * `tcp-request content` on the buffered request bytes, in both modes. Rules run in order; the
 * first `accept` or `reject` whose condition holds ends the list, `track-sc`, `set-src` and
 * `expect-proxy` act and go on. A condition that needs more bytes than have arrived (a partial
 * ClientHello, a short `req.payload`) makes the list wait at that rule until more data, the end of
 * the client's data, or `inspect-delay`, after which it is evaluated on what is there.
 */
import { MORE_DATA } from '../acl/payload-fetches.ts';
import { runVarAction } from '../acl/vars.ts';
import type { RequestHooks } from '../runtime/hooks.ts';
import type { CompiledTcpRule } from '../runtime/plan.ts';
import type { HttpTxn } from '../txn.ts';

export type TcpRulesResult = 'accept' | 'reject' | 'wait';

/** Where a rule list stopped (`next`) and what it asked for along the way. */
export interface TcpRulesState {
  next: number;
  expectProxy: boolean;
}

/**
 * Runs `rules` from `state.next`. `final`: no more data will come (delay expired, client done,
 * buffer full), so a condition wanting more is evaluated as it is.
 */
export function runTcpRules(
  rules: CompiledTcpRule[],
  txn: HttpTxn,
  hooks: RequestHooks,
  proxyName: string,
  state: TcpRulesState,
  final: boolean,
): TcpRulesResult {
  for (; state.next < rules.length; state.next++) {
    const r = rules[state.next];
    if (r.cond) {
      txn.cache[MORE_DATA] = false;
      const hit = r.cond(txn);
      if (!final && txn.cache[MORE_DATA] === true) return 'wait';
      if (!hit) continue;
    }
    switch (r.action) {
      case 'accept':
        state.next = rules.length;
        return 'accept';
      case 'reject':
        state.next = rules.length;
        return 'reject';
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
    }
  }
  return 'accept';
}
