/** @switchyard/vrrp: keepalived-compatible VRRP sidecar (codec, state machine, transport, VIPs, config, trackers). */
export * from './codec/index.ts';
export * from './conf/index.ts';
export * from './fsm/index.ts';
export * from './lint/index.ts';
export { parseVrrpArgs, type VrrpArgs, vrrpMain } from './main.ts';
export * from './notify/index.ts';
export { startRefusals, type VrrpTestResult, vrrpConfigTest } from './preflight.ts';
export { type ReloadResult, Sidecar, type SidecarOptions, type StateChange } from './sidecar.ts';
export * from './track/index.ts';
export * from './transport/index.ts';
export * from './vip/index.ts';
