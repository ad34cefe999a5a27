export * from './acl/index.ts';
export * from './cluster/index.ts';
export * from './control/frontend-control.ts';
export * from './control/server-control.ts';
export * from './datapath/index.ts';
export * from './dns/discovery.ts';
export * from './health/index.ts';
export * from './log/logger.ts';
export * from './log/request-line.ts';
export * from './model/ca-store.ts';
export * from './model/cert-store.ts';
export * from './model/counters.ts';
export { children, oidText, type Tlv, tlv } from './model/der.ts';
export type * from './model/hooks.ts';
export type * from './model/log-types.ts';
export * from './model/ocsp.ts';
export {
  addEntry,
  applyRuleEdit,
  commitGen,
  display as patRefDisplay,
  findRef,
  type MapEntry,
  type MapRef,
  onRuleEdit,
  type PatEntry,
  type PatRef,
  type PatRefState,
  type PatRefs,
  patRefStates,
  prepareGen,
  type RuleEdit,
  removeEntries,
  restorePatRefs,
  setValues,
} from './model/pattern-refs.ts';
export type * from './model/selector.ts';
export * from './model/server-state.ts';
export * from './model/txn.ts';
export type * from './model/types.ts';
export * from './runtime/build.ts';
export * from './runtime/error-pages.ts';
export type * from './runtime/plan.ts';
export { TCP_RULE_INDEX } from './runtime/plan.ts';
export { readIssuer } from './tls/cert-files.ts';
export * from './tls/tls.ts';
