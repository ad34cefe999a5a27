/**
 * Tells the local Switchyard proxy the node's VRRP state through its runtime API socket
 * (`global_defs { switchyard_socket /run/switchyard.sock }`): `set vrrp state INSTANCE STATE`.
 * The proxy shows it on the stats page and as a metric. Uses the runtime API client track_proxy
 * uses (src/track/stat-socket.ts). Failures are returned as a message, never thrown.
 */
import { runtimeCommand } from '../track/stat-socket.ts';

/** Reports an instance state; resolves with an error message to log, or undefined on success. */
export async function reportVrrpState(
  addr: string,
  instance: string,
  state: string,
  timeoutMs = 2000,
): Promise<string | undefined> {
  const command = `set vrrp state ${instance} ${state}`;
  let reply: string;
  try {
    reply = await runtimeCommand(addr, command, timeoutMs);
  } catch (e) {
    return `runtime API ${(e as Error).message}`;
  }
  const text = reply.trim();
  return text === '' ? undefined : `runtime API ${addr} refused '${command}': ${text}`;
}
