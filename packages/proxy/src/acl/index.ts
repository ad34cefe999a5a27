/** ACLs, sample fetches and log-format strings: compiled once at load, evaluated per request. */
export { type BackendLookup, type BackendView, setBackendLookup } from './backend-fetches.ts';
export { registerBuiltinFetches } from './builtin-fetches.ts';
export { compileAclLine, compileAcls } from './compile-acl.ts';
export { compileCondition } from './condition.ts';
export { AclCode } from './diag.ts';
export { type IpAddr, type IpNet, netContains, parseIp, parseNet } from './ip.ts';
export { compileLogFormat, type LogFormatOptions } from './log-format.ts';
export { PREDEFINED_ACLS } from './predefined.ts';
export { fetchNames, lookupFetch, registerFetch } from './registry.ts';
export { compileFetch, compileSample } from './sample.ts';
export type * from './types.ts';
export { parseVarName, pruneReqVars, runVarAction, type VarAction } from './vars.ts';
