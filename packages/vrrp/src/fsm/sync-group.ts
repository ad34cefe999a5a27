/**
 * vrrp_sync_group at run time, as keepalived 2.2.7 (vrrp_sync.c): members change state together.
 * A member whose master-down timer expires goes MASTER only once every other member is MASTER or
 * has expired too (so one lost link does not split the group); then they all go MASTER. A member
 * leaving MASTER for BACKUP takes the others with it. FAULT is shared by the Sidecar.
 */
import type { VrrpMachine, VrrpState } from './machine.ts';

export class SyncGroup {
  private moving = false;

  constructor(
    readonly name: string,
    readonly members: readonly VrrpMachine[],
  ) {
    for (const m of members) m.gate = (x) => this.canGoMaster(x);
  }

  private canGoMaster(m: VrrpMachine): boolean {
    return this.members.every((o) => o === m || o.state === 'MASTER' || o.wantMaster);
  }

  /** Call on every state change of a member. */
  changed(m: VrrpMachine, from: VrrpState, to: VrrpState): void {
    if (this.moving) return;
    this.moving = true;
    try {
      if (to === 'MASTER') {
        for (const o of this.members) if (o !== m) o.forceMaster(`sync group ${this.name}: ${m.cfg.name} is MASTER`);
      } else if (from === 'MASTER' && to === 'BACKUP') {
        for (const o of this.members) if (o !== m) o.forceBackup(`sync group ${this.name}: ${m.cfg.name} is BACKUP`);
      }
    } finally {
      this.moving = false;
    }
  }
}
