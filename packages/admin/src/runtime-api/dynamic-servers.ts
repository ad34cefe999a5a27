/**
 * `add server B/S ADDR[:PORT] [params]` and `del server B/S` (haproxy 2.6's dynamic servers):
 * the backend must balance dynamically, a new server starts in maintenance (`enable server`
 * puts it in the rotation) with its checks not running, `default-server` is not applied, and only
 * a server in maintenance without requests can be deleted. Replies are haproxy's, byte for byte.
 */
import { parseConfig, type ServerModel } from '@switchyard/config';
import type { BackendRuntime, ProxyRuntime } from '@switchyard/proxy';
import { AdminError, MSG, staticAlgo } from '../actions.ts';
import type { CliContext } from './types.ts';

/** Server keywords haproxy 2.6 refuses on `add server` (its keyword table's "dynamic" column). */
const NOT_DYNAMIC = new Set([
  'cookie',
  'init-addr',
  'log-proto',
  'max-reuse',
  'namespace',
  'non-stick',
  'redir',
  'resolve-net',
  'resolve-opts',
  'resolve-prefer',
  'resolvers',
  'stick',
  'socks4',
]);

/** haproxy's split of `BACKEND/SERVER` (the first '/' after at least one character). */
function splitName(arg: string | undefined): { be: string; srv: string } {
  const i = arg ? arg.indexOf('/', 1) : -1;
  if (!arg || i < 0 || i === arg.length - 1) throw new AdminError('ADM_REQUIRE_BE_SRV', MSG.requireBackendServer, true);
  return { be: arg.slice(0, i), srv: arg.slice(i + 1) };
}

function backendOf(rt: ProxyRuntime, name: string): BackendRuntime {
  const be = rt.backends.get(name);
  if (!be) throw new AdminError('ADM_NO_BACKEND', MSG.noSuchBackend, true);
  return be;
}

/**
 * The server line parsed by the configuration parser, as a `server` line of `be` would be
 * (`args`: the address then the keywords). Under --workers the primary and the other workers
 * parse the same words the worker the command was sent to checked.
 */
export function parseServerLine(be: BackendRuntime, name: string, args: string[]): ServerModel {
  const r = parseConfig([{ file: 'cli', text: `backend ${be.name}\n  server ${[name, ...args].join(' ')}\n` }], {
    env: {},
  });
  const errors = r.diagnostics.filter((d) => d.severity === 'error' && d.loc.line === 2);
  const srv = r.model.proxies[0]?.servers[0];
  if (errors.length > 0 || !srv) {
    const m = errors[0]?.message ?? 'invalid server line';
    const kw = /unknown keyword '([^']+)'/.exec(m)?.[1];
    // haproxy's words for an unknown keyword; Switchyard's own for what it refuses
    throw new AdminError('ADM_BAD_SERVER', kw ? `unknown keyword '${kw}'.` : m.replace(/^server '[^']*': /, ''));
  }
  return srv;
}

export function addServerCommand(args: string[], ctx: CliContext): string {
  const rt = ctx.runtime();
  const { be: beName, srv: name } = splitName(args[0]);
  const be = backendOf(rt, beName);
  if (staticAlgo(be))
    throw new AdminError(
      'ADM_STATIC_LB',
      'Backend must use a dynamic load balancing to support dynamic servers.',
      true,
    );
  const add = ctx.control.addServer;
  if (!add) throw new AdminError('ADM_UNSUPPORTED', "'add server' is not supported here.");
  const rest = args.slice(1);
  if (rest.length === 0)
    throw new AdminError('ADM_BAD_SERVER', "'server' expects <name> and <addr>[:<port>] as arguments.");
  const port = /:([^:\]]*)$/.exec(rest[0])?.[1];
  if (port !== undefined && /[^0-9]/.test(port)) {
    const bad = /[^0-9]/.exec(port)?.[0];
    throw new AdminError('ADM_BAD_PORT', `invalid character '${bad}' in port number '${port}' in '${rest[0]}'\n`);
  }
  for (let i = 1; i < rest.length; i++) {
    if (NOT_DYNAMIC.has(rest[i]))
      throw new AdminError('ADM_NOT_DYNAMIC', `'${rest[i]}' option is not accepted for dynamic server`);
    if (rest[i] === 'weight') {
      const w = Number(rest[i + 1]);
      if (Number.isInteger(w) && (w < 0 || w > 256))
        throw new AdminError('ADM_BAD_WEIGHT', `weight of server ${name} is not within 0 and 256 (${w})..`);
    }
  }
  // a host name is accepted and not resolved, as haproxy 2.6 (proxy addServer)
  const model = parseServerLine(be, name, rest);
  if (be.serversByName.has(name))
    throw new AdminError('ADM_DUP_SERVER', 'Already exists a server with the same name in backend.');
  add(rt, be, model, rest);
  return 'New server registered.\n';
}

export function delServerCommand(args: string[], ctx: CliContext): string {
  const rt = ctx.runtime();
  const { be: beName, srv: name } = splitName(args[0]);
  const be = backendOf(rt, beName);
  const s = be.serversByName.get(name);
  if (!s) throw new AdminError('ADM_NO_SERVER', MSG.noSuchServer, true);
  const del = ctx.control.removeServer;
  if (!del) throw new AdminError('ADM_UNSUPPORTED', "'del server' is not supported here.", true);
  if (be.model.useServers.some((u) => u.server === name))
    throw new AdminError(
      'ADM_NON_PURGEABLE',
      'This server cannot be removed at runtime due to other configuration elements pointing to it.',
      true,
    );
  if (s.admin !== 'MAINT')
    throw new AdminError('ADM_NOT_MAINT', 'Only servers in maintenance mode can be deleted.', true);
  if (s.cur > 0 || s.queued > 0)
    throw new AdminError('ADM_BUSY', 'Server still has connections attached to it, cannot remove it.', true);
  del(rt, be, s);
  return 'Server deleted.';
}
