/**
 * @switchyard/state: stick tables, stick/track-sc rules, cookie persistence and shared state
 * (Redis). See README.md for the design and the integration points.
 */
export { activeDirectory } from './active.ts';
export { decodeCookieDate, encodeCookieDate } from './cookie-date.ts';
export { DATA_TYPES, UNSUPPORTED_TYPES } from './data-types.ts';
export { StateError, type StateErrorCode } from './errors.ts';
export { stateFetchDefs } from './fetches.ts';
export { toKey } from './keys.ts';
export { checkStateConfig, createStateLayer, type StateLayer, type StateLayerOptions } from './layer.ts';
export type { StateCompiler } from './plan.ts';
export { checkRedisUrl, redisNames } from './redis-keys.ts';
export type { ServerControl } from './redis-sync.ts';
export { StickTable } from './stick-table.ts';
export { type StoreStatus, showPeers } from './store-status.ts';
export { clearTable, setTable, showTable } from './table-commands.ts';
export { TableDirectory } from './tables.ts';
export { relayStateMessages, WORKER_MESSAGE } from './worker-sync.ts';

import type { FetchDef } from '@switchyard/proxy';
import { registerFetch } from '@switchyard/proxy';
import { stateFetchDefs } from './fetches.ts';
import { relayStateMessages } from './worker-sync.ts';

/**
 * Registers the stick-counter fetches (`sc_http_req_rate`, `src_conn_cur`, ...) with the ACL
 * registry: pass `registerFetch` from the ACL package. Idempotent per register function.
 */
export function registerStateFetches(register: (name: string, def: FetchDef) => void): void {
  if (registered.has(register)) return;
  registered.add(register);
  for (const [name, def] of stateFetchDefs()) register(name, def);
}
const registered = new WeakSet<object>();

// registered at import, as the ACL registry requires (before any configuration is compiled)
registerStateFetches(registerFetch);
// in a primary that forks workers, state messages of one worker are relayed to the others
relayStateMessages();
