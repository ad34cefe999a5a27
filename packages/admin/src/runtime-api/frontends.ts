/**
 * `disable frontend F`, `enable frontend F`, `shutdown frontend F` (haproxy 2.6 src/proxy.c): a
 * disabled frontend closes its binds until enabled again, a shut down one for good (until a
 * reload); the replies are haproxy's.
 */
import { AdminError } from '../actions.ts';
import type { CliContext } from './types.ts';

/** Runs one of the three commands; `state` is what it asks for. */
export function frontendCommand(ctx: CliContext, args: string[], state: 'ready' | 'paused' | 'stopped'): string {
  const name = args[0] ?? '';
  if (name === '') return 'A frontend name is expected.\n';
  const rt = ctx.runtime();
  const fe = rt.frontends.get(name);
  if (!fe) return 'No such frontend.\n';
  const cmd = state === 'ready' ? 'enable frontend' : state === 'paused' ? 'disable frontend' : 'shutdown frontend';
  const set = ctx.control.setFrontendState;
  if (!set) throw new AdminError('ADM_UNSUPPORTED', `'${cmd}' is not supported under --workers yet.`);
  const was = fe.adminState;
  if (state === 'stopped') {
    if (was === 'stopped') return 'Frontend was already shut down.\n';
  } else if (was === 'stopped') {
    return `Frontend was previously shut down, cannot ${state === 'ready' ? 'enable' : 'disable'}.\n`;
  } else if (state === 'paused' && was === 'paused') return 'All sockets are already disabled.\n';
  else if (state === 'ready' && was === undefined) return 'All sockets are already enabled.\n';
  set(rt, fe, state);
  return '';
}
