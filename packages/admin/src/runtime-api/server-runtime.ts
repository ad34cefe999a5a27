/**
 * Runtime API commands that change a running server beyond its admin state and weight, as
 * haproxy 2.6 answers them (src/server.c, src/stream.c): `set server B/S addr|check-port|health|
 * agent|fqdn`, `enable|disable health|agent B/S`, `shutdown sessions server B/S`,
 * `shutdown session ID`. A control without the operation (under --workers) refuses it.
 */
import { isIP } from 'node:net';
import type { BackendRuntime, ServerState } from '@switchyard/proxy';
import { AdminError, findServer, type ServerControl } from '../actions.ts';
import { setServerFqdn } from './resolvers.ts';
import type { CliContext } from './types.ts';

const ORIGIN = 'api';

/** The control's operation, or haproxy-style refusal naming the command (absent under --workers). */
function op<K extends keyof ServerControl>(ctx: CliContext, key: K, cmd: string): NonNullable<ServerControl[K]> {
  const f = ctx.control[key];
  if (!f) throw new AdminError('ADM_UNSUPPORTED', `'${cmd}' is not supported under --workers yet.`);
  return f as NonNullable<ServerControl[K]>;
}

/** `set server B/S addr A [port P]`: srv_update_addr_port()'s report, word for word. */
function setAddr(ctx: CliContext, be: BackendRuntime, s: ServerState, args: string[]): string {
  const addr = args[0];
  if (addr === undefined || addr === '') return 'set server <b>/<s> addr requires an address and optionally a port.\n';
  const port = args[1] === 'port' ? (args[2] ?? '') : undefined;
  const set = op(ctx, 'setServerAddr', 'set server addr');
  const by = " by 'stats socket command'\n";
  if (isIP(addr) === 0) return `Invalid addr '${addr}'${by}`;
  const parts: string[] = [];
  let host = s.host;
  if (addr === s.host) parts.push('no need to change the addr');
  else {
    parts.push(`IP changed from '${s.host}' to '${addr}'`);
    host = addr;
  }
  let newPort = s.port;
  let failed = false;
  if (port !== undefined) {
    const m = /^\s*([+-]?)(\d+)/.exec(port);
    if (!m) {
      parts.push(`problem converting port '${port}' to an int`);
      failed = true;
    } else if (m[1] !== '') {
      // a port map (`+N`/`-N`): haproxy needs a dedicated check port; Switchyard has no port maps
      if (s.checkPort === undefined && s.model.checkPort === undefined)
        parts.push(
          "can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.",
        );
      else
        throw new AdminError(
          'ADM_PORT_MAP',
          "set server addr: port maps ('+N', '-N') are not supported by Switchyard.",
        );
      failed = true;
    } else {
      // haproxy keeps the port in 16 bits
      const n = Number(m[2]) & 0xffff;
      if (n === s.port) parts.push('no need to change the port');
      else {
        parts.push(`port changed from '${s.port}' to '${n}'`);
        newPort = n;
      }
    }
  }
  // haproxy applies the address even when the port part failed (it was copied before)
  if (host !== s.host || (!failed && newPort !== s.port)) set(ctx.runtime(), be, s, host, failed ? s.port : newPort);
  return `${parts.join(', ')}${by}`;
}

/** `set server B/S check-port P`: srv_update_check_addr_port()'s checks. */
function setCheckPort(ctx: CliContext, be: BackendRuntime, s: ServerState, arg: string | undefined): string {
  if (arg === undefined || arg === '') return 'set server <b>/<s> check-port requires a port.\n';
  const set = op(ctx, 'setServerCheckPort', 'set server check-port');
  if (!s.checked) throw new AdminError('ADM_NO_CHECK', 'health checks are not enabled on this server', true);
  if (!/^[+-]?\d+$/.test(arg)) throw new AdminError('ADM_BAD_PORT', 'provided port is not an integer', true);
  const n = Number(arg);
  if (n < 0 || n > 65535) throw new AdminError('ADM_BAD_PORT', 'provided port is invalid', true);
  set(ctx.runtime(), be, s, n);
  return '';
}

/**
 * The `set server` words other than `state` and `weight` (command-table.ts handles those);
 * undefined for words this file does not know.
 */
export function setServerRuntime(
  ctx: CliContext,
  be: BackendRuntime,
  s: ServerState,
  what: string,
  args: string[],
): string | undefined {
  const rt = ctx.runtime();
  switch (what) {
    case 'addr':
      return setAddr(ctx, be, s, args);
    case 'check-port':
      return setCheckPort(ctx, be, s, args[0]);
    case 'health': {
      const h = args[0];
      if (h !== 'up' && h !== 'stopping' && h !== 'down')
        return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n";
      op(ctx, 'setServerHealth', 'set server health')(rt, be, s, h, ORIGIN);
      return '';
    }
    case 'agent': {
      if (!s.model.agentCheck || s.agentPaused) return 'agent checks are not enabled on this server.\n';
      const a = args[0];
      if (a !== 'up' && a !== 'down') return "'set server <srv> agent' expects 'up' or 'down'.\n";
      op(ctx, 'setServerAgent', 'set server agent')(rt, be, s, a === 'up', ORIGIN);
      return '';
    }
    case 'fqdn':
      return setServerFqdn(ctx, be, s, args[0]);
    default:
      return undefined;
  }
}

/** `enable|disable health|agent B/S`. */
export function toggleChecks(ctx: CliContext, args: string[], kind: 'health' | 'agent', enable: boolean): string {
  const { be, s } = findServer(ctx.runtime(), args[0]);
  const configured = kind === 'health' ? s.model.check : s.model.agentCheck;
  if (enable && !configured) {
    return kind === 'health'
      ? 'Health check was not configured on this server, cannot enable.\n'
      : 'Agent was not configured on this server, cannot enable.\n';
  }
  const cmd = `${enable ? 'enable' : 'disable'} ${kind}`;
  // haproxy clears the flag of a check that was never configured: nothing to do
  if (!configured) return '';
  if (kind === 'health') op(ctx, 'setServerChecks', cmd)(ctx.runtime(), be, s, enable, ORIGIN);
  else op(ctx, 'setServerAgentChecks', cmd)(ctx.runtime(), be, s, enable, ORIGIN);
  return '';
}

/** `shutdown sessions server B/S`: ends every stream on the server (`K` termination). */
export function shutdownServerSessions(ctx: CliContext, args: string[]): string {
  const { be, s } = findServer(ctx.runtime(), args[0]);
  op(ctx, 'shutdownServerSessions', 'shutdown sessions server')(ctx.runtime(), be, s);
  return '';
}
