/** Checks of the config against this host (keepalived makes them at load time too). */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { Diagnostic, KeepalivedConf } from './model.ts';

/**
 * The host-dependent checks keepalived makes: interfaces must exist (a warning: the sidecar waits
 * for them, FAULT meanwhile), track scripts must exist and be executable (else "Disabling track
 * script X since not found/accessible" and the instance stops tracking it).
 * `netDir` is /sys/class/net (overridable for tests).
 */
export function hostChecks(model: KeepalivedConf, diagnostics: Diagnostic[], netDir = '/sys/class/net'): void {
  const ifExists = (name: string) => existsSync(`${netDir}/${name}`);
  for (const inst of model.instances) {
    if (inst.interface && !ifExists(inst.interface)) {
      diagnostics.push({
        severity: 'warning',
        code: 'KA_NO_SUCH_INTERFACE',
        message: `WARNING - interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`,
        loc: inst.interfaceLoc ?? inst.loc,
      });
    }
    for (const t of inst.trackInterfaces) {
      if (!ifExists(t.name)) {
        diagnostics.push({
          severity: 'warning',
          code: 'KA_NO_SUCH_TRACK_INTERFACE',
          message: `(${inst.name}) tracked interface ${t.name} doesn't exist`,
          loc: t.loc,
        });
      }
    }
  }
  for (const s of model.scripts) {
    const cmd = s.argv[0];
    if (!cmd) continue;
    if (isAbsolute(cmd) || cmd.includes('/')) {
      try {
        accessSync(cmd, constants.X_OK);
        continue;
      } catch {}
    } else if (findInPath(cmd)) continue;
    disable(s, 'not found/accessible');
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
  if (cmd.includes('/')) return cmd;
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return `${dir}/${cmd}`;
    } catch {}
  }
  return cmd;
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

function findInPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}
