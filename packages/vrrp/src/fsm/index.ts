/** VRRP election state machine and its clock. */
export * from './clock.ts';
export * from './machine.ts';
export * from './sync-group.ts';
