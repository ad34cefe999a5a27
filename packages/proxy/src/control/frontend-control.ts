/**
 * A frontend's runtime state as the runtime API changes it (`disable|enable|shutdown frontend`):
 * recorded on the FrontendRuntime and announced as 'frontend-state', which the datapath follows
 * (closing or reopening the frontend's binds).
 */
import type { FrontendRuntime, FrontendStateEvent, ProxyRuntime } from '../model/types.ts';

/** Pauses (`disable frontend`), resumes (`enable frontend`) or stops (`shutdown frontend`) `fe`. */
export function setFrontendState(rt: ProxyRuntime, fe: FrontendRuntime, state: FrontendStateEvent['state']): void {
  fe.adminState = state === 'ready' ? undefined : state;
  const ev: FrontendStateEvent = { frontend: fe, state };
  rt.events.emit('frontend-state', ev);
}
