/**
 * `show resolvers [ID]` and `set server B/S fqdn NAME`, as haproxy 2.6 answers them
 * (src/resolvers.c cli_io_handler_dump_resolvers_to_buffer(), src/server.c srv_update_fqdn()).
 * Counters come from the runtime's service discovery (under --workers: the primary's, which
 * resolves for the node); a section no server uses shows zeros, as haproxy's.
 */
import { isIP } from 'node:net';
import {
  type BackendRuntime,
  type NameserverCounters,
  newNameserverCounters,
  type ProxyRuntime,
  type ServerState,
} from '@switchyard/proxy';
import { AdminError } from '../actions.ts';
import type { CliContext } from './types.ts';

/** The counter lines, in haproxy's order, with its padding. */
const FIELDS: Array<keyof NameserverCounters> = Object.keys(newNameserverCounters()) as Array<keyof NameserverCounters>;

function nameserverBlock(id: string, c: NameserverCounters): string {
  let out = ` nameserver ${id}:\n`;
  for (const f of FIELDS) out += `  ${`${f}:`.padEnd(13)}${c[f]}\n`;
  return out;
}

/** `show resolvers [ID]`. */
export function showResolvers(rt: ProxyRuntime, args: string[]): string {
  const sections = rt.config.resolvers ?? [];
  const counters = rt.resolverCounters?.() ?? {};
  const id = args[0];
  if (id !== undefined && id !== '' && !sections.some((r) => r.name === id))
    return "Can't find that resolvers section\n";
  if (sections.length === 0) return 'No resolvers found\n';
  let out = '';
  for (const rs of sections) {
    if (id && rs.name !== id) continue;
    out += `Resolvers section ${rs.name}\n`;
    const live = counters[rs.name] ?? [];
    for (const ns of rs.nameservers)
      out += nameserverBlock(ns.id, live.find((l) => l.id === ns.id)?.counters ?? newNameserverCounters());
  }
  return out;
}

const BY = " by 'stats socket command'\n";

/** The name a server resolves now (set by `set server fqdn`, else its configuration's; haproxy's `(null)` for an address). */
function currentFqdn(s: ServerState): string {
  const configured = s.model.template?.fqdn ?? s.model.host;
  return s.fqdn ?? (isIP(configured) !== 0 ? '(null)' : configured);
}

/** `set server B/S fqdn NAME`: srv_update_fqdn()'s report, word for word. */
export function setServerFqdn(ctx: CliContext, be: BackendRuntime, s: ServerState, name: string | undefined): string {
  if (name === undefined || name === '') return 'set server <b>/<s> fqdn requires a FQDN.\n';
  if (s.model.resolvers === undefined) return 'set server <b>/<s> fqdn failed because no resolution is configured.\n';
  if (s.model.template?.fqdn.startsWith('_'))
    return 'set server <b>/<s> fqdn failed because SRV resolution is configured.\n';
  const set = ctx.control.setServerFqdn;
  if (!set) throw new AdminError('ADM_UNSUPPORTED', "'set server fqdn' is not supported here.");
  const from = currentFqdn(s);
  if (from === name) return `no need to change the FDQN${BY}`;
  if (name.length > 255 || /[^A-Za-z0-9._-]/.test(name)) return `invalid fqdn '${name}'${BY}`;
  // resolv_str_to_dn_label() refuses empty labels
  if (/^\.|\.\./.test(name)) return `could not update ${be.name}/${s.name} FQDN${BY}`;
  set(ctx.runtime(), be, s, name);
  return `${be.name}/${s.name} changed its FQDN from ${from} to ${name}${BY}`;
}
