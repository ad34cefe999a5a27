/**
 * What the sidecar refuses at start, computed once for `switchyard vrrp -t` and for the start
 * itself, so the two always agree: whatever start refuses, `-t` refuses with the same message and
 * line; whatever `-t` passes, the sidecar runs.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { type CheckResult, checkConfig, formatDiagnostic } from './conf/check.ts';
import type { Diagnostic, KeepalivedConf } from './conf/model.ts';
import type { LoadOptions } from './conf/parser.ts';
import { InstanceConfigError, instanceSpec, noAddress, primaryAddress } from './fsm/instance.ts';
import { loadAddon } from './transport/native.ts';

/** Options of startRefusals(). */
export interface PreflightOptions {
  /** Also check this host: `ip` in PATH, the raw-socket addon, CAP_NET_RAW, each instance's source address. */
  host: boolean;
}

/** True when `name` is an executable in PATH (or the usual sbin directories). */
export function onPath(name: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs.some((d) => {
    if (!d) return false;
    try {
      accessSync(`${d}/${name}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** CAP_NET_RAW (bit 13) in this process's effective capabilities; true when /proc cannot tell. */
function hasNetRaw(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? (BigInt(`0x${m[1]}`) & (1n << 13n)) !== 0n : true;
  } catch {
    return true;
  }
}

function refusal(code: string, message: string, loc?: Diagnostic['loc']): Diagnostic {
  return { severity: 'error', code, message: `Switchyard refuses to start: ${message}`, ...(loc ? { loc } : {}) };
}

/**
 * Every reason the sidecar would not start with this parsed config (empty: it starts). `diagnostics`
 * are the parser's: its `SY_NOT_RUN` notes (keywords keepalived acts on that we cannot) refuse too.
 */
export function startRefusals(
  model: KeepalivedConf,
  diagnostics: readonly Diagnostic[],
  opts: PreflightOptions,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.code === 'SY_NOT_RUN') out.push(refusal('SY_START_UNSUPPORTED', d.message, d.loc));
  }
  if (diagnostics.some((d) => d.code === 'KA_FILE_NOT_FOUND')) {
    out.push(refusal('SY_START_NO_FILE', 'the configuration file cannot be read'));
    return out;
  }
  if (diagnostics.some((d) => d.code === 'KA_FATAL_MISSING_PARAMETER')) {
    // keepalived stops reading at such an error and runs no VRRP at all: neither do we.
    out.push(refusal('SY_START_FATAL', 'the file has a fatal error (see above)'));
  }
  if (model.instances.length === 0) {
    out.push(refusal('SY_START_NO_INSTANCE', 'the file defines no vrrp_instance: nothing to do'));
  }
  const specs = [];
  for (const inst of model.instances) {
    const spec = instanceSpec(inst, model.globalDefs);
    if (spec instanceof InstanceConfigError) out.push(refusal(`SY_START_${spec.code}`, spec.message, spec.loc));
    else specs.push({ spec, loc: inst.interfaceLoc ?? inst.loc });
  }
  if (!opts.host) return out;
  // VIPs go through iproute2's `ip`; adverts through the raw-socket addon (root or CAP_NET_RAW).
  if (!onPath('ip')) out.push(refusal('SY_START_NO_IP', "iproute2's `ip` command not found in PATH: it adds the VIPs"));
  try {
    loadAddon();
  } catch (e) {
    out.push(refusal('SY_START_NATIVE', (e as Error).message));
  }
  if (model.instances.length > 0 && !hasNetRaw()) {
    out.push(refusal('SY_START_NET_RAW', 'raw VRRP sockets need root or CAP_NET_RAW'));
  }
  for (const { spec, loc } of specs) {
    if (
      spec.unicastSrc === undefined &&
      primaryAddress(spec.ifname, [...spec.vips, ...spec.excludedVips], spec.family) === undefined
    ) {
      const what = noAddress(spec.family);
      out.push(refusal('SY_START_VRRP_NO_ADDRESS', `(${spec.name}) interface ${spec.ifname} has no ${what}`, loc));
    }
  }
  return out;
}

/**
 * `switchyard vrrp -t`: keepalived's check (its lines and exit status: 0, 2, 5, 6), then the
 * sidecar's refusals; any refusal makes the status 1, the status a refused start exits with (a
 * fatal error keeps keepalived's 2).
 */
export function vrrpConfigTest(file: string, opts: LoadOptions = {}): VrrpTestResult {
  const r = checkConfig(file, opts);
  const refusals = startRefusals(r.model, r.diagnostics, { host: opts.hostChecks !== false });
  const exitCode = r.exitCode === 2 ? 2 : refusals.length > 0 ? 1 : r.exitCode;
  return { keepalived: r, lines: startLines(r.diagnostics, refusals), exitCode, refusals };
}

/** The result of `switchyard vrrp -t`. */
export interface VrrpTestResult {
  /** keepalived's own check (what `keepalived -t` prints and exits with). */
  keepalived: CheckResult;
  /** The lines printed: keepalived's, then the refusals. */
  lines: string[];
  /** keepalived's status (0, 2, 5, 6), or 1 when the sidecar would refuse to start. */
  exitCode: 0 | 1 | 2 | 5 | 6;
  refusals: Diagnostic[];
}

/** What a start (and -t) prints: the diagnostics (refused notes once, as refusals), then the refusals. */
export function startLines(diagnostics: readonly Diagnostic[], refusals: readonly Diagnostic[]): string[] {
  return [...diagnostics.filter((d) => d.code !== 'SY_NOT_RUN').map(formatDiagnostic), ...refusals.map(formatRefusal)];
}

/** A refusal as printed by -t and by the refused start: `(FILE: Line N) message`. */
export function formatRefusal(d: Diagnostic): string {
  const where = d.loc ? `(${d.loc.file}: Line ${d.loc.line}) ` : '';
  return `${where}${d.message}`;
}
