/**
 * `switchyard vrrp lint A.conf B.conf [--iface-addr [a:|b:]IF=ADDR/PREFIX]... [--json]`.
 * Exit status: 0 no error finding, 1 at least one error finding, 2 bad usage or unreadable file.
 */
import { formatDiagnostic } from '../conf/check.ts';
import { loadKeepalivedConf } from '../conf/parser.ts';
import { parseCidr } from './cidr.ts';
import { type Finding, type IfaceAddrs, lintPair } from './pair.ts';

/** Usage text for `switchyard vrrp lint`. */
export const LINT_USAGE = `usage: switchyard vrrp lint A.conf B.conf [--iface-addr [a:|b:]IF=ADDR/PREFIX]... [--json]
  Compares two nodes' keepalived.conf files and reports what breaks failover between them.
  --iface-addr  the address of an interface (node a, node b, or both when no prefix), to check that
                each VIP lies in its interface's subnet; without it, unicast_src_ip is used when the
                VIP has a prefix, and the check is skipped otherwise.
  --json        print the findings as JSON.
Exit status: 0 no errors, 1 errors found, 2 usage or file error.`;

/** One finding as text: `error LINT_CODE: message` then the two locations. */
export function formatFinding(f: Finding): string {
  const where = [f.a && `A ${f.a.file}:${f.a.line}`, f.b && `B ${f.b.file}:${f.b.line}`].filter(Boolean).join('  ');
  return `${f.severity} ${f.code}: ${f.message}${where ? `\n    at ${where}` : ''}`;
}

/** Runs the lint for argv (everything after `lint`); returns the exit status and the text to print. */
export function lintCommand(argv: string[]): { exitCode: 0 | 1 | 2; output: string } {
  const files: string[] = [];
  const ifaceAddrs: IfaceAddrs = { a: new Map(), b: new Map() };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '-h' || arg === '--help') return { exitCode: 0, output: LINT_USAGE };
    else if (arg === '--iface-addr' || arg.startsWith('--iface-addr=')) {
      const v = arg.includes('=') && arg.startsWith('--iface-addr=') ? arg.slice(13) : argv[++i];
      const m = v ? /^(?:([ab]):)?([^=]+)=(.+)$/.exec(v) : null;
      const cidr = m ? parseCidr(m[3]) : undefined;
      if (!m || !cidr) {
        return { exitCode: 2, output: `--iface-addr expects [a:|b:]IF=ADDR/PREFIX, got '${v ?? ''}'\n${LINT_USAGE}` };
      }
      for (const side of m[1] ? [m[1] as 'a' | 'b'] : (['a', 'b'] as const)) ifaceAddrs[side].set(m[2], cidr);
    } else if (arg.startsWith('-')) return { exitCode: 2, output: `unknown option '${arg}'\n${LINT_USAGE}` };
    else files.push(arg);
  }
  if (files.length !== 2) return { exitCode: 2, output: `expected two files, got ${files.length}\n${LINT_USAGE}` };
  // The files describe other machines: no interface/script checks against this host.
  const loaded = files.map((f) => loadKeepalivedConf(f, { hostChecks: false }));
  const unreadable = loaded.flatMap((r) => r.diagnostics.filter((d) => d.code === 'KA_FILE_NOT_FOUND'));
  if (unreadable.length) return { exitCode: 2, output: unreadable.map(formatDiagnostic).join('\n') };
  const findings: Finding[] = [];
  loaded.forEach((r, i) => {
    const side = i === 0 ? 'a' : 'b';
    for (const d of r.diagnostics) {
      if (d.code === 'KA_NOPREEMPT_MASTER' || d.code === 'KA_PREEMPT_DELAY_MASTER') {
        // Failover-relevant: the node will preempt although the file asks it not to.
        findings.push({
          severity: 'warning',
          code: 'LINT_NOPREEMPT_MASTER',
          message: `${side.toUpperCase()}: ${d.message} (nopreempt and preempt_delay need state BACKUP on both nodes)`,
          ...(d.loc ? { [side]: d.loc } : {}),
        });
        continue;
      }
      if (d.severity !== 'error') continue;
      findings.push({
        severity: 'error',
        code: 'LINT_CONFIG_ERROR',
        message: `${side.toUpperCase()}: ${d.message}`,
        ...(d.loc ? { [side]: d.loc } : {}),
      });
    }
  });
  findings.push(...lintPair(loaded[0].model, loaded[1].model, { ifaceAddrs }));
  const errors = findings.filter((f) => f.severity === 'error').length;
  const exitCode = errors > 0 ? 1 : 0;
  if (json) return { exitCode, output: JSON.stringify(findings, null, 2) };
  const warnCounts = loaded.map((r) => r.diagnostics.filter((d) => d.severity === 'warning').length);
  const lines = findings.map(formatFinding);
  warnCounts.forEach((n, i) => {
    if (n > 0) lines.push(`note: ${files[i]} has ${n} config warning(s): run 'switchyard vrrp -t -f ${files[i]}'`);
  });
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  lines.push(`${errors} error(s), ${warnings} warning(s)`);
  return { exitCode, output: lines.join('\n') };
}
