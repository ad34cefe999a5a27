/**
 * The stats page's admin form (`stats admin if COND`): HAProxy's POST `s=SRV&...&action=A&b=BE`,
 * answered with a 303 to `URI;st=STATUS`. Statuses as HAProxy's: DONE, PART (some servers
 * unknown), NONE (nothing to do), ERRP (bad backend/action/parameter), EXCD (too much data),
 * DENY (no admin rights).
 */
import type { BackendRuntime, ProxyRuntime } from '@switchyard/proxy';
import { AdminError, parseWeight, type ServerControl } from '../actions.ts';

export type PostStatus = 'DONE' | 'PART' | 'NONE' | 'ERRP' | 'EXCD' | 'DENY' | 'IVAL';

/** Largest form body accepted; HAProxy's limit is its buffer (EXCD beyond). */
export const MAX_POST_BYTES = 16384;

const ACTIONS = new Set(['ready', 'drain', 'maint', 'weight']);
/** HAProxy actions Switchyard does not offer (health/agent forcing, shutdown): refused as ERRP. */
const UNSUPPORTED = new Set([
  'dhlth',
  'ehlth',
  'hrunn',
  'hnolb',
  'hdown',
  'dagent',
  'eagent',
  'arunn',
  'adown',
  'shutdown',
]);

function findBackend(rt: ProxyRuntime, b: string): BackendRuntime | undefined {
  if (b.startsWith('#')) {
    const id = Number(b.slice(1));
    if (!Number.isInteger(id) || b.length < 2) return undefined;
    for (const be of rt.backends.values()) if (be.id === id) return be;
    return undefined;
  }
  return rt.backends.get(b);
}

/** Applies an admin POST body; returns the status to redirect to. Never throws on bad input. */
export function applyAdminPost(
  rt: ProxyRuntime,
  control: ServerControl,
  body: string,
  scope?: readonly string[],
): PostStatus {
  if (Buffer.byteLength(body) > MAX_POST_BYTES) return 'EXCD';
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(body);
  } catch {
    return 'ERRP';
  }
  const b = params.get('b');
  const action = params.get('action');
  const servers = params.getAll('s');
  if (b === null && action === null && servers.length === 0) return 'NONE';
  if (b === null) return servers.length === 0 || !action ? 'NONE' : 'ERRP';
  const be = findBackend(rt, b);
  if (!be) return 'ERRP';
  // `stats scope` limits what this page may change, as it limits what it shows
  if (scope && scope.length > 0 && !scope.includes(be.name)) return 'DENY';
  if (!action) return 'NONE';
  if (UNSUPPORTED.has(action) || !ACTIONS.has(action)) return 'ERRP';
  if (servers.length === 0) return 'NONE';
  let weight: number | undefined;
  let altered = 0;
  let errors = 0;
  for (const name of servers) {
    const s = be.serversByName.get(name);
    if (!s) {
      errors++;
      continue;
    }
    try {
      if (action === 'weight') {
        weight = parseWeight(be, s, params.get('w') ?? undefined);
        control.setServerWeight(rt, be, s, weight, 'stats');
      } else {
        control.setServerAdmin(
          rt,
          be,
          s,
          action === 'ready' ? 'READY' : action === 'drain' ? 'DRAIN' : 'MAINT',
          'stats',
        );
      }
      altered++;
    } catch (e) {
      if (e instanceof AdminError || (e instanceof Error && e.name === 'ServerControlError')) errors++;
      else throw e;
    }
  }
  if (errors > 0) return altered > 0 ? 'PART' : 'ERRP';
  return altered > 0 ? 'DONE' : 'NONE';
}
