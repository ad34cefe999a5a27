/**
 * The registry of sample fetch keywords. Nothing is entered on import: the program calls
 * registerBuiltinFetches() (builtin-fetches.ts; buildRuntime does too) and other packages add
 * theirs with registerFetch() (e.g. registerStateFetches of @switchyard/state), before any
 * configuration is compiled.
 */
import type { FetchDef } from './types.ts';

const registry = new Map<string, FetchDef>();

/** Adds a fetch keyword, e.g. `sc_http_req_rate` from packages/state. Throws when the name is already taken. */
export function registerFetch(name: string, def: FetchDef): void {
  if (registry.has(name)) throw new Error(`sample fetch '${name}' is already registered`);
  registry.set(name, def);
}

/** The definition of a fetch keyword, or undefined. */
export function lookupFetch(name: string): FetchDef | undefined {
  return registry.get(name);
}

/** Every fetch keyword name (for "did you mean"). */
export function fetchNames(): Iterable<string> {
  return registry.keys();
}
