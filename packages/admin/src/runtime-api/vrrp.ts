/**
 * Switchyard extension for the VRRP sidecar: `set vrrp state INSTANCE STATE` records the node's
 * VRRP state per instance in rt.vrrp (shown on the stats page and as `switchyard_vrrp_state`),
 * and `show vrrp` lists it.
 */
import type { ProxyRuntime } from '@switchyard/proxy';
import type { ServerControl } from '../actions.ts';

/** keepalived's instance states. */
export const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'] as const;

/** Instance names as keepalived accepts them: no spaces or control characters, at most 64 chars. */
const INSTANCE_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** Sets rt.vrrp[instance] (through `control` when it offers it) and emits 'vrrp-state'; returns the CLI reply ('' on success). */
export function setVrrpState(
  rt: ProxyRuntime,
  instance: string | undefined,
  state: string | undefined,
  control?: ServerControl,
): string {
  if (!instance || state === undefined) return 'Require <instance> and <state>.\n';
  if (!INSTANCE_RE.test(instance)) return `Invalid VRRP instance name '${instance}'.\n`;
  const st = state.toUpperCase();
  if (!(VRRP_STATES as readonly string[]).includes(st)) {
    return `'set vrrp state' expects ${VRRP_STATES.map((s) => `'${s}'`).join(', ')}.\n`;
  }
  if (control?.setVrrpState) control.setVrrpState(rt, instance, st);
  else {
    rt.vrrp.set(instance, st);
    rt.events.emit('vrrp-state', { instance, state: st });
  }
  return '';
}

/** `show vrrp`: `# instance state` then one line per instance. */
export function renderVrrp(rt: ProxyRuntime): string {
  let out = '# instance state\n';
  for (const [inst, st] of rt.vrrp) out += `${inst} ${st}\n`;
  return out;
}
