/**
 * End-of-config checks, after keepalived 2.2.7's vrrp_complete_init(): track references resolved,
 * instances without a VRID or interface refused, VRID clashes, sync group members, strict mode.
 * Messages keepalived prints without a line still carry our SourceLoc (phase 'validate'), so the user
 * can find the item; the differential test only compares parse-phase lines.
 */
import type { ParseContext } from './engine.ts';
import type { KeepalivedConf, Severity, SourceLoc, TrackRef, VrrpInstance, VrrpSyncGroup } from './model.ts';

/** Runs the checks, dropping what keepalived drops. */
export function validateModel(model: KeepalivedConf, parse: ParseContext): void {
  const ctx = {
    report(severity: Severity, code: string, message: string, loc: SourceLoc) {
      const lined = code === 'KA_TRACK_SCRIPT_NOT_FOUND';
      parse.diags.push(lined ? { severity, code, message, loc } : { severity, code, message, loc, unlined: true });
    },
  };
  const scripts = new Set(model.scripts.map((s) => s.name));
  // Unknown names were reported while parsing; a script removed at its end (no `script`) goes too.
  const resolveRefs = (_owner: string, refs: TrackRef[]) => {
    const kept = refs.filter((r) => scripts.has(r.name));
    refs.length = 0;
    refs.push(...kept);
  };
  const valid: VrrpInstance[] = [];
  for (const inst of model.instances) {
    resolveRefs(inst.name, inst.trackScripts);
    // keepalived: an IPv6 instance without its own `version` runs VRRPv3 whatever vrrp_version says;
    // an explicit version 2 stays (keepalived's extension) unless vrrp_strict.
    const first = inst.virtualIpaddresses[0]?.address ?? inst.unicastPeers[0]?.address;
    if (first?.includes(':')) {
      const set = (inst as VrrpInstance & { versionSet?: boolean }).versionSet;
      if (set && inst.version === 2 && model.globalDefs.vrrpStrict) {
        ctx.report(
          'error',
          'KA_V2_IPV6_STRICT',
          `(${inst.name}) cannot use IPv6 with VRRP version 2; setting version 3`,
          inst.loc,
        );
        inst.version = 3;
      } else if (!set) inst.version = 3;
    }
    if (inst.virtualRouterId === undefined) {
      ctx.report('error', 'KA_NO_VRID', `(${inst.name}) the virtual router id must be set`, inst.loc);
      continue;
    }
    if (inst.interface === undefined) {
      ctx.report('error', 'KA_NO_INTERFACE', `(${inst.name}) Unknown interface!`, inst.loc);
      continue;
    }
    if (inst.state === 'MASTER' && inst.nopreempt) {
      ctx.report(
        'warning',
        'KA_NOPREEMPT_MASTER',
        `(${inst.name}) Warning - nopreempt will not work with initial state MASTER - clearing`,
        inst.loc,
      );
      inst.state = 'BACKUP';
    }
    if (inst.state === 'MASTER' && inst.preemptDelay > 0) {
      ctx.report(
        'warning',
        'KA_PREEMPT_DELAY_MASTER',
        `(${inst.name}) Warning - preempt delay will not work with initial state MASTER - clearing`,
        inst.loc,
      );
      inst.preemptDelay = 0;
    }
    if (inst.version === 2 && !Number.isInteger(inst.advertInt)) {
      ctx.report(
        'warning',
        'KA_V2_ADVERT_ROUNDED',
        `(${inst.name}) VRRPv2 advertisement interval ${inst.advertInt.toFixed(6)}s must be an integer. rounding`,
        inst.loc,
      );
      inst.advertInt = Math.max(1, Math.round(inst.advertInt));
    }
    if (inst.version === 3) {
      // VRRPv3 carries the interval in centiseconds on 12 bits.
      const cs = inst.advertInt * 100;
      if (Math.abs(cs - Math.round(cs)) > 1e-9) {
        ctx.report(
          'warning',
          'KA_V3_ADVERT_ROUNDED',
          `(${inst.name}) VRRPv3 advertisement interval ${inst.advertInt.toFixed(6)}s must be in units of 10ms - rounding`,
          inst.loc,
        );
        inst.advertInt = Math.max(1, Math.round(cs)) / 100;
      }
      if (inst.advertInt >= 40.96) {
        ctx.report(
          'warning',
          'KA_V3_ADVERT_RANGE',
          `(${inst.name}) VRRPv3 advertisement interval ${inst.advertInt.toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`,
          inst.loc,
        );
        inst.advertInt = 40.95;
      }
    }
    const own = inst.trackInterfaces.findIndex((t) => t.name === inst.interface);
    if (own >= 0) {
      ctx.report(
        'warning',
        'KA_TRACK_OWN_INTERFACE',
        `(${inst.name}) Ignoring track_interface ${inst.interface} since own interface`,
        inst.trackInterfaces[own].loc,
      );
      inst.trackInterfaces.splice(own, 1);
    }
    if (inst.virtualIpaddresses.length === 0) {
      ctx.report('warning', 'KA_NO_VIP', `(${inst.name}) No VIP specified; at least one is sensible`, inst.loc);
    }
    if (model.globalDefs.vrrpStrict && inst.version === 2 && inst.accept) {
      ctx.report(
        'warning',
        'KA_STRICT_ACCEPT',
        `(${inst.name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting`,
        inst.loc,
      );
      inst.accept = false;
    }
    if (inst.authentication) {
      if (model.globalDefs.vrrpStrict) {
        ctx.report(
          'warning',
          'KA_STRICT_AUTH',
          `(${inst.name}) Strict mode does not support authentication. Ignoring.`,
          inst.loc,
        );
        inst.authentication = undefined;
      } else if (inst.version === 3) {
        ctx.report(
          'warning',
          'SY_V3_AUTH',
          `(${inst.name}) VRRPv3 has no authentication (RFC 5798): authentication block ignored`,
          inst.authentication.loc,
        );
        inst.authentication = undefined;
      } else if (!inst.authentication.pass) {
        ctx.report(
          'warning',
          'KA_AUTH_NO_PASS',
          `(${inst.name}) Authentication specified but no password given. Ignoring`,
          inst.authentication.loc,
        );
        inst.authentication = undefined;
      }
    }
    if (inst.unicastSrcIp && inst.unicastPeers.length === 0) {
      ctx.report(
        'warning',
        'KA_UNICAST_NO_PEER',
        `(${inst.name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`,
        inst.loc,
      );
    }
    if (inst.vmacXmitBase && !inst.useVmac) {
      ctx.report('warning', 'KA_VMAC_XMIT_BASE', `(${inst.name}) vmac_xmit_base is only valid with a vmac`, inst.loc);
      inst.vmacXmitBase = false;
    }
    if (inst.trackProxy && !inst.trackProxy.socket) {
      if (model.globalDefs.switchyardSocket) inst.trackProxy.socket = model.globalDefs.switchyardSocket;
      else {
        ctx.report(
          'error',
          'SY_TRACK_PROXY_NO_SOCKET',
          `(${inst.name}) track_proxy needs a socket: set 'socket PATH' in the block or 'switchyard_socket PATH' in global_defs`,
          inst.trackProxy.loc,
        );
        inst.trackProxy = undefined;
      }
    }
    const clash = valid.find(
      (o) =>
        o.virtualRouterId === inst.virtualRouterId &&
        o.interface === inst.interface &&
        (o.virtualIpaddresses[0]?.family ?? 4) === (inst.virtualIpaddresses[0]?.family ?? 4),
    );
    if (clash) {
      const fam = (inst.virtualIpaddresses[0]?.family ?? 4) === 4 ? 'IPv4' : 'IPv6';
      ctx.report(
        'error',
        'KA_VRID_CLASH',
        `${clash.name} and ${inst.name} both use VRID ${inst.virtualRouterId} with ${fam} on interface ${inst.interface}`,
        inst.loc,
      );
      continue;
    }
    valid.push(inst);
  }
  model.instances = valid;
  const names = new Set(valid.map((i) => i.name));
  const groups: VrrpSyncGroup[] = [];
  for (const g of model.syncGroups) {
    resolveRefs(g.name, g.trackScripts);
    const members: string[] = [];
    for (const m of g.group) {
      if (!names.has(m)) {
        ctx.report(
          'warning',
          'KA_SYNC_MEMBER',
          `Virtual router ${m} specified in sync group ${g.name} doesn't exist - ignoring`,
          g.loc,
        );
        continue;
      }
      const inst = valid.find((i) => i.name === m)!;
      if (inst.syncGroup) {
        ctx.report(
          'error',
          'KA_SYNC_MEMBER_TWICE',
          `Virtual router ${m} cannot exist in more than one sync group; ignoring ${g.name}`,
          g.loc,
        );
        continue;
      }
      members.push(m);
    }
    g.group = members;
    if (members.length === 0) {
      ctx.report('warning', 'KA_SYNC_EMPTY', `Sync group ${g.name} has no virtual router(s). removing`, g.loc);
      continue;
    }
    if (members.length === 1) {
      ctx.report(
        'warning',
        'KA_SYNC_ONE',
        `Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`,
        g.loc,
      );
    }
    for (const m of members) valid.find((i) => i.name === m)!.syncGroup = g.name;
    groups.push(g);
  }
  model.syncGroups = groups;
  // keepalived 2.2.7 (without sync_group_tracking_weight): members of a sync group do not use weights.
  for (const inst of valid) {
    if (!inst.syncGroup || groups.find((g) => g.name === inst.syncGroup)?.trackingWeight) continue;
    inst.trackScripts = inst.trackScripts.filter((r) => {
      const w = r.weight ?? model.scripts.find((s) => s.name === r.name)?.weight ?? 0;
      if (w === 0) return true;
      ctx.report(
        'warning',
        'KA_SYNC_SCRIPT_WEIGHT',
        `(${inst.name}) ignoring tracked script ${r.name} with weights due to SYNC group`,
        r.loc,
      );
      return false;
    });
    for (const r of inst.trackInterfaces) {
      if (!r.weight) continue;
      ctx.report(
        'warning',
        'KA_SYNC_IF_WEIGHT',
        `(${inst.name}) ignoring ${r.name} tracked interface weight due to SYNC group`,
        r.loc,
      );
      r.weight = 0;
    }
    if (inst.trackProxy && inst.trackProxy.weight !== 0) {
      ctx.report(
        'warning',
        'SY_SYNC_PROXY_WEIGHT',
        `(${inst.name}) ignoring track_proxy weight due to SYNC group (as keepalived does for scripts): unhealthy = FAULT`,
        inst.trackProxy.loc,
      );
      inst.trackProxy.weight = 0;
    }
  }
  for (const g of groups) {
    g.trackScripts = g.trackScripts.filter((r) => {
      const w = r.weight ?? model.scripts.find((s) => s.name === r.name)?.weight ?? 0;
      if (w === 0) return true;
      ctx.report(
        'warning',
        'SY_SYNC_GROUP_WEIGHT',
        `(${g.name}) sync group track_script ${r.name} has a weight: ignored (only unweighted trackers, which FAULT the group, are used)`,
        r.loc,
      );
      return false;
    });
    g.trackInterfaces = g.trackInterfaces.filter((r) => {
      if (!r.weight) return true;
      ctx.report(
        'warning',
        'SY_SYNC_GROUP_WEIGHT',
        `(${g.name}) sync group track_interface ${r.name} has a weight: ignored (only unweighted trackers, which FAULT the group, are used)`,
        r.loc,
      );
      return false;
    });
  }
}
