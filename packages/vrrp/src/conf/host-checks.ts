/** Checks of the config against this host (keepalived makes them at load time too). */
import { accessSync, constants, existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
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
    s.disabled = true;
    diagnostics.push({
      severity: 'warning',
      code: 'KA_SCRIPT_NOT_ACCESSIBLE',
      message: `Disabling track script ${s.name} since not found/accessible`,
      loc: s.loc,
      unlined: true,
    });
    for (const o of [...model.instances, ...model.syncGroups]) {
      o.trackScripts = o.trackScripts.filter((r) => r.name !== s.name);
    }
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
