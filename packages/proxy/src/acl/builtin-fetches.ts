/** Enters Switchyard's own fetch keywords (HAProxy's names) in a registry, once. */
import { AUTH_FETCHES } from './auth-fetches.ts';
import { BACKEND_FETCHES } from './backend-fetches.ts';
import { CORE_FETCHES } from './fetches.ts';
import { registerFetch } from './registry.ts';
import { RESPONSE_FETCHES } from './response-fetches.ts';
import type { FetchDef } from './types.ts';
import { VAR_FETCH } from './vars.ts';

const registered = new WeakSet<object>();

/**
 * Registers the built-in fetches (`req.hdr`, `src`, `status`, `http_auth`, `nbsrv`, `var`, ...)
 * with `register` (the process registry by default). Called by buildRuntime and by the CLI
 * before it compiles; idempotent per register function.
 */
export function registerBuiltinFetches(register: (name: string, def: FetchDef) => void = registerFetch): void {
  if (registered.has(register)) return;
  registered.add(register);
  const tables = [CORE_FETCHES, RESPONSE_FETCHES, AUTH_FETCHES, BACKEND_FETCHES, [[['var'], VAR_FETCH]] as const];
  for (const table of tables) for (const [names, def] of table) for (const n of names) register(n, def);
}
