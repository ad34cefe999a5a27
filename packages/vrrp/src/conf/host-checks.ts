/** Checks of the config against this host (keepalived makes them at load time too). */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { Diagnostic, KeepalivedConf } from './model.ts';

/**
 * The host-dependent checks keepalived makes once the file is read (interfaces are checked while
 * parsing): track scripts must exist and be executable (else "Disabling track script X since not
 * found/accessible" and the instance stops tracking it), and be safe under enable_script_security.
 */
export function hostChecks(model: KeepalivedConf, diagnostics: Diagnostic[]): void {
  if (diagnostics.some((d) => d.code === 'KA_NO_SUCH_INTERFACE' || d.code === 'KA_NO_SUCH_TRACK_INTERFACE')) {
    // keepalived's VRRP process stops here (before its script checks); the sidecar runs the rest and
    // keeps an instance whose interface is missing in FAULT until it appears.
    diagnostics.push({
      severity: 'warning',
      code: 'KA_NONEXISTENT_INTERFACE',
      message: 'Non-existent interface specified in configuration',
    });
  }
  for (const s of model.scripts) {
    if (s.argv[0] && !commandExists(s.argv[0])) disable(s, 'not found/accessible');
  }
  for (const owner of [...model.instances, ...model.syncGroups]) {
    for (const [key, hook] of Object.entries(owner.notify)) {
      if (!hook || commandExists(hook.argv[0])) continue;
      diagnostics.push({
        severity: 'warning',
        code: 'SY_NOTIFY_NOT_FOUND',
        message: `(${owner.name}) ${key === 'any' ? 'notify' : `notify_${key}`} script ${hook.argv[0]} does not exist or is not executable: it will fail when run (keepalived does not check)`,
        loc: hook.loc,
        unlined: true,
      });
    }
  }
  if (!model.globalDefs.enableScriptSecurity) return;
  // enable_script_security: a script (or a directory above it) writable by a non-root user is refused.
  for (const s of model.scripts) {
    if (s.disabled || !s.argv[0]) continue;
    const why = insecure(resolveCommand(s.argv[0]));
    if (why) disable(s, 'insecure', why);
  }
  for (const owner of [...model.instances, ...model.syncGroups]) {
    for (const key of ['master', 'backup', 'fault', 'stop', 'any'] as const) {
      const hook = owner.notify[key];
      if (!hook) continue;
      const why = insecure(resolveCommand(hook.argv[0]));
      if (!why) continue;
      delete owner.notify[key];
      diagnostics.push({
        severity: 'warning',
        code: 'SY_INSECURE_NOTIFY',
        message: `(${owner.name}) ${key === 'any' ? 'notify' : `notify_${key}`} ${hook.command} is insecure (${why}): it will not be run (keepalived drops it silently)`,
        loc: hook.loc,
        unlined: true,
      });
    }
  }
  return;

  function disable(s: KeepalivedConf['scripts'][number], reason: string, detail?: string): void {
    s.disabled = true;
    diagnostics.push({
      severity: 'warning',
      code: reason === 'insecure' ? 'KA_SCRIPT_INSECURE' : 'KA_SCRIPT_NOT_ACCESSIBLE',
      message:
        reason === 'insecure'
          ? `Disabling track script ${s.name} due to insecure (${detail})`
          : `Disabling track script ${s.name} since not found/accessible`,
      loc: s.loc,
      unlined: true,
    });
    for (const o of [...model.instances, ...model.syncGroups]) {
      o.trackScripts = o.trackScripts.filter((r) => r.name !== s.name);
    }
  }
}

/** The file a command name runs (PATH search for bare names), or the name itself. */
function resolveCommand(cmd: string): string {
  return cmd.includes('/') ? cmd : (findInPath(cmd) ?? cmd);
}

/** Why `file` is unsafe to run as root: it or a parent directory is writable by a non-root user. */
export function insecure(file: string): string | undefined {
  let p = resolvePath(file);
  for (;;) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      return undefined;
    }
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}`;
    // A sticky world-writable directory (/tmp) still lets others replace only their own files.
    const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0;
    if ((st.mode & 0o022) !== 0 && !sticky) return `${p} is writable by group or others`;
    if (p === '/') return undefined;
    p = dirname(p);
  }
}

/** True when `cmd` names an executable file (PATH search for bare names). */
export function commandExists(cmd: string | undefined): boolean {
  if (!cmd) return false;
  if (isAbsolute(cmd) || cmd.includes('/')) return executable(cmd);
  return findInPath(cmd) !== undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `cmd` on PATH. */
function findInPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir && executable(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  return undefined;
}
