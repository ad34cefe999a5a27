/**
 * `switchyard vrrp -t -f FILE`: keepalived's config-test mode. Output lines are keepalived's
 * `(FILE: Line N) message` form; exit status as keepalived 2.2.7 -t: 0 clean, 2 when a keyword misses
 * its parameter (fatal), 5 when anything was reported, 6 when scripts are configured without
 * `enable_script_security` (SECURITY VIOLATION).
 */

import { commandExists } from './host-checks.ts';
import type { Diagnostic, KeepalivedConf } from './model.ts';
import { type LoadOptions, loadKeepalivedConf } from './parser.ts';

/** Result of a config test. */
export interface CheckResult {
  /** True when nothing needs fixing (exit status 0). */
  ok: boolean;
  /** keepalived -t exit status: 0, 2 (a fatal error ended the reading), 5 (config errors) or 6 (script security). */
  exitCode: 0 | 2 | 5 | 6;
  /** One line per diagnostic, keepalived's wording, for stderr. */
  lines: string[];
  diagnostics: Diagnostic[];
  model: KeepalivedConf;
}

/** `(FILE: Line N) message`, or the bare message; Switchyard-only notes are prefixed `[switchyard]`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.loc ? `(${d.loc.file}: Line ${d.loc.line}) ` : '';
  const tag = d.code.startsWith('SY_') ? '[switchyard] ' : '';
  const view = d.code === 'KA_PARENT_VIEW' ? " (as keepalived's parent process reads it)" : '';
  return `${where}${tag}${d.message}${view}`;
}

/** Checks the file like `keepalived -t -f FILE`. */
export function checkConfig(path: string, opts: LoadOptions = {}): CheckResult {
  const { model, diagnostics, notifyHooks, instancesParsed } = loadKeepalivedConf(path, opts);
  // keepalived counts runnable track scripts and every notify script that exists, including those
  // of instances it refused afterwards; with no vrrp_instance at all its VRRP process checks nothing.
  // A missing interface ends keepalived's VRRP process before that check, too.
  const fatal = diagnostics.some((d) => d.code === 'KA_FATAL_MISSING_PARAMETER');
  const scriptsUsed =
    !fatal &&
    instancesParsed > 0 &&
    !diagnostics.some((d) => d.code === 'KA_NONEXISTENT_INTERFACE') &&
    (model.scripts.some((s) => !s.disabled) || notifyHooks.some((h) => commandExists(h.argv[0])));
  if (scriptsUsed && !model.globalDefs.enableScriptSecurity) {
    diagnostics.push({
      severity: 'warning',
      code: 'KA_SCRIPT_SECURITY',
      message: 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
    });
  }
  const lines = diagnostics.map(formatDiagnostic);
  const security = diagnostics.some((d) => d.code === 'KA_SCRIPT_SECURITY');
  // Switchyard-only notes (SY_ warnings: an ignored LVS section, a keyword without effect) do not
  // change keepalived's status; a Switchyard error (an item dropped) does.
  const counts = diagnostics.some((d) => !d.code.startsWith('SY_') || d.severity === 'error');
  const exitCode = fatal ? 2 : security ? 6 : counts ? 5 : 0;
  return { ok: exitCode === 0, exitCode, lines, diagnostics, model };
}
