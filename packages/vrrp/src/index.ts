/** @switchyard/vrrp: keepalived-compatible VRRP sidecar (codec, state machine, transport, VIPs, config). */
export * from './codec/index.ts';
export * from './conf/index.ts';
export * from './fsm/index.ts';
export { parseVrrpArgs, type VrrpArgs, vrrpMain } from './main.ts';
export { Sidecar, type SidecarOptions, type StateChange } from './sidecar.ts';
export * from './transport/index.ts';
export * from './vip/index.ts';
