/** `switchyard vrrp lint`: compare two nodes' keepalived.conf for failover-breaking differences. */

export { inSubnet, parseCidr } from './cidr.ts';
export { formatFinding, LINT_USAGE, lintCommand } from './command.ts';
export { type Finding, type IfaceAddrs, type LintOptions, lintPair } from './pair.ts';
