export type * from './acl/types.ts';
export * from './runtime/counters.ts';
export type * from './runtime/hooks.ts';
export type * from './runtime/log-types.ts';
export * from './runtime/server-state.ts';
export type * from './runtime/types.ts';
export type * from './selection/types.ts';
export * from './txn.ts';
