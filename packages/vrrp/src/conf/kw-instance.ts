/** `vrrp_instance NAME { ... }` keywords, with keepalived 2.2.7's checks and messages. */
import type { KeywordTable, ParseContext } from './engine.ts';
import { parseRoute, parseRule } from './kw-routes.ts';
import { fatalWithoutParam, notifyKeywords, readTrackRefs } from './kw-shared.ts';
import { addStatusKeywords, type Reasons } from './kw-status.ts';
import { readTrackFileRefs } from './kw-track-file.ts';
import { readTrackProcessRefs } from './kw-track-process.ts';
import { trackProxyTable } from './kw-track-proxy.ts';
import type { GlobalDefs, SourceLoc, VrrpInstance } from './model.ts';
import { ipFamily, need1, parseVip, readBool, readDouble, readInt } from './values.ts';

const VMAC_EXTRA = 'no extra gratuitous ARPs on the parent interface of a VMAC';
const WHERE = (n: string) => `(${n})`;

/** vrrp_instance keywords with no effect in Switchyard (accepted with a warning and the reason). */
const WARNED: Reasons = {
  lvs_sync_daemon_interface: 'LVS (IPVS) setting: Switchyard runs no LVS',
  kernel_rx_buf_size: 'the raw socket keeps the kernel default receive buffer',
  debug: 'keepalived 2.2.7 reads it and does nothing with it either',
  linkbeat_use_polling: 'interface state is always polled (every 500 ms)',
};

/** vrrp_instance keywords keepalived acts on that Switchyard does not: the sidecar refuses them. */
const REFUSED: Reasons = {
  strict_mode: 'use vrrp_strict in global_defs',
  check_unicast_src: 'the source of unicast adverts is not checked against unicast_peer',
  unicast_ttl: 'unicast adverts are sent and checked with TTL 255',
  unicast_fault_no_peer: 'an instance without a unicast peer is multicast',
  native_ipv6: 'IPv6 on a VMAC interface is configured by the kernel defaults',
  notify_priority_changes: 'priority changes are not notified',
  notify_deleted: 'no script runs when a reload deletes an instance',
  down_timer_adverts: 'Master_Down_Interval is always 3 adverts (RFC 3768/5798)',
  garp_extra_if: VMAC_EXTRA,
  vmac_garp_intvl: VMAC_EXTRA,
  old_unicast_checksum: 'unicast adverts carry the RFC checksum',
  promote_secondaries: 'the interface promote_secondaries setting is not changed',
  track_src_ip: 'the source address is not tracked',
  use_ipvlan: 'no ipvlan interfaces (use_vmac makes a macvlan)',
  use_vmac_addr: 'VIPs on a VMAC are not added to the parent interface',
  vrf: 'no VRF support',
  track_bfd: 'no BFD (bfd_instance is refused)',
};

/** Refused keywords that open a `{ ... }` block. */
const REFUSED_BLOCKS = ['track_bfd'];

/** A fresh instance with keepalived's defaults. */
export function newInstance(name: string, g: GlobalDefs, loc: SourceLoc): VrrpInstance & { versionSet: boolean } {
  return {
    name,
    state: 'BACKUP',
    priority: 100,
    advertInt: 1,
    version: g.vrrpVersion,
    versionSet: false,
    virtualIpaddresses: [],
    virtualIpaddressesExcluded: [],
    virtualRoutes: [],
    virtualRules: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    nopreempt: false,
    preemptDelay: 0,
    unicastPeers: [],
    garpMasterDelay: g.garpMasterDelay,
    garpMasterRepeat: g.garpMasterRepeat,
    garpMasterRefresh: g.garpMasterRefresh,
    notify: {},
    smtpAlert: false,
    dontTrackPrimary: false,
    accept: !g.vrrpStrict,
    useVmac: false,
    vmacXmitBase: false,
    loc,
  };
}

/** Builds the vrrp_instance table writing into `v`. */
export function instanceTable(ctx: ParseContext, v: VrrpInstance & { versionSet: boolean }): KeywordTable {
  const t: KeywordTable = new Map();
  const n = v.name;
  t.set('state', {
    handler: (args, loc) => {
      const s = need1(ctx, 'state', args, loc);
      if (s === 'MASTER' || s === 'BACKUP') v.state = s;
      else if (s !== undefined) {
        ctx.report('warning', 'KA_BAD_STATE', `(${n}) unknown state '${s}', defaulting to BACKUP`, loc);
        v.state = 'BACKUP';
      }
    },
  });
  t.set('interface', {
    handler: (args, loc) => {
      const s = need1(ctx, 'interface', args, loc);
      if (s === undefined) return;
      if (s === 'lo') {
        ctx.report('error', 'KA_LOOPBACK_IF', `(${n}) cannot use a loopback interface (${s}) for vrrp - ignoring`, loc);
        return;
      }
      v.interface = s;
      v.interfaceLoc = loc;
      if (ctx.host && !ctx.host.ifExists(s)) {
        ctx.report(
          'warning',
          'KA_NO_SUCH_INTERFACE',
          `WARNING - interface ${s} for vrrp_instance ${n} doesn't exist`,
          loc,
        );
      }
    },
  });
  t.set('virtual_router_id', {
    handler: (args, loc) => {
      const id = readInt(ctx, args[0], 1, 255, loc);
      if (id === undefined) {
        ctx.report('error', 'KA_BAD_VRID', `(${n}): VRID '${args[0] ?? ''}' not valid - must be between 1 & 255`, loc);
      } else v.virtualRouterId = id;
    },
  });
  t.set('priority', {
    handler: (args, loc) => {
      const p = readInt(ctx, args[0], 1, 255, loc);
      if (p === undefined) {
        ctx.report(
          'warning',
          'KA_BAD_PRIORITY',
          `(${n}) Priority not valid! must be between 1 & 255. Using default 100`,
          loc,
        );
        v.priority = 100;
      } else v.priority = p;
    },
  });
  t.set('advert_int', {
    handler: (args, loc) => {
      const a = readDouble(ctx, args[0], 0.01, 255, loc);
      if (a === undefined) {
        ctx.report(
          'warning',
          'KA_BAD_ADVERT',
          `(${n}) Advert interval (${args[0] ?? ''}) not valid! Must be > 0 - ignoring`,
          loc,
        );
      } else v.advertInt = a;
    },
  });
  t.set('version', {
    handler: (args, loc) => {
      const ver = readInt(ctx, args[0], 2, 3, loc);
      if (ver === undefined) {
        ctx.report('warning', 'KA_BAD_VERSION', `(${n}): Version must be either 2 or 3`, loc);
      } else {
        v.version = ver as 2 | 3;
        v.versionSet = true;
      }
    },
  });
  t.set('authentication', {
    handler: (_args, loc) => {
      v.authentication = { type: 'PASS', pass: '', loc };
    },
    sub: () => {
      const a = v.authentication!;
      const st: KeywordTable = new Map();
      st.set('auth_type', {
        handler: (args, loc) => {
          const s = need1(ctx, 'auth_type', args, loc);
          if (s === 'PASS' || s === 'AH') {
            a.type = s;
            a.typeLoc = loc;
          } else if (s !== undefined)
            ctx.report('error', 'KA_BAD_AUTH', `(${n}) unknown authentication type '${s}'`, loc);
        },
      });
      st.set('auth_pass', {
        handler: (args, loc) => {
          const s = need1(ctx, 'auth_pass', args, loc);
          if (s === undefined) return;
          if (s.length > 8) ctx.report('warning', 'KA_AUTH_TRUNCATED', 'Truncating auth_pass to 8 characters', loc);
          a.pass = s.slice(0, 8);
        },
      });
      return fatalWithoutParam(ctx, st);
    },
  });
  // The instance's address family: set by the first VIP, unicast peer or unicast_src_ip, as keepalived.
  let family: 4 | 6 | undefined;
  const vips = (kw: string, into: VrrpInstance['virtualIpaddresses']) => ({
    handler: (args: string[], loc: SourceLoc) =>
      ctx.readValueBlock(kw, args, loc, (words, l) => {
        const vip = parseVip(ctx, words, l, n, kw === 'virtual_ipaddress' ? family : undefined);
        if (vip) {
          into.push(vip);
          if (kw === 'virtual_ipaddress') family ??= vip.family;
        }
      }),
  });
  t.set('virtual_ipaddress', vips('virtual_ipaddress', v.virtualIpaddresses));
  t.set('virtual_ipaddress_excluded', vips('virtual_ipaddress_excluded', v.virtualIpaddressesExcluded));
  t.set('virtual_routes', {
    handler: (args, loc) =>
      ctx.readValueBlock('virtual_routes', args, loc, (words, l) => {
        const r = parseRoute(ctx, words, l, n, false);
        if (r) v.virtualRoutes.push(r);
      }),
  });
  t.set('virtual_rules', {
    handler: (args, loc) =>
      ctx.readValueBlock('virtual_rules', args, loc, (words, l) => {
        const r = parseRule(ctx, words, l, n, false);
        if (r) v.virtualRules.push(r);
      }),
  });
  t.set('track_script', { handler: (args, loc) => readTrackRefs(ctx, 'track_script', n, args, loc, v.trackScripts) });
  t.set('track_file', {
    handler: (args, loc) => readTrackFileRefs(ctx, n, ctx.trackFiles, args, loc, v.trackFiles),
  });
  t.set('track_process', {
    handler: (args, loc) => readTrackProcessRefs(ctx, n, ctx.trackProcesses, args, loc, v.trackProcesses),
  });
  t.set('track_interface', {
    handler: (args, loc) => readTrackRefs(ctx, 'track_interface', n, args, loc, v.trackInterfaces),
  });
  t.set('track_proxy', {
    handler: (_args, loc) => {
      if (v.trackProxy)
        ctx.report('warning', 'SY_DUP_TRACK_PROXY', `(${n}) track_proxy given twice - using the last`, loc);
      v.trackProxy = {
        interval: 1,
        timeout: 2,
        rise: 1,
        fall: 1,
        weight: 0,
        weightReverse: false,
        frontends: [],
        backends: [],
        loc,
      };
    },
    sub: () => trackProxyTable(ctx, v.trackProxy!),
  });
  t.set('nopreempt', { handler: () => (v.nopreempt = true) });
  t.set('preempt', { handler: () => (v.nopreempt = false) });
  t.set('preempt_delay', {
    handler: (args, loc) => {
      const d = readDouble(ctx, args[0], 0, 1000, loc);
      if (d === undefined)
        ctx.report('warning', 'KA_BAD_PREEMPT_DELAY', `(${n}) Preempt_delay not valid! must be between 0-1000`, loc);
      else v.preemptDelay = d;
    },
  });
  const ip = (kw: string, set: (s: string) => void) => ({
    handler: (args: string[], loc: SourceLoc) => {
      const s = need1(ctx, kw, args, loc);
      if (s === undefined) return;
      if (ipFamily(s) === 0)
        ctx.report('error', 'KA_BAD_ADDR', `(${n}) ${kw} ${s} is not a valid address - ignoring`, loc);
      else set(s);
    },
  });
  t.set(
    'unicast_src_ip',
    ip('unicast_src_ip', (s) => (v.unicastSrcIp = s)),
  );
  t.set(
    'mcast_src_ip',
    ip('mcast_src_ip', (s) => (v.mcastSrcIp = s)),
  );
  t.set('mcast_dst_ip', {
    handler: (args, loc) => {
      const a = need1(ctx, 'mcast_dst_ip', args, loc);
      if (a === undefined) return;
      const fam = ipFamily(a);
      const warn = (m: string) => ctx.report('warning', 'KA_BAD_MCAST', `(${n}) ${m}. Skipping...`, loc);
      if (fam === 0) return warn(`malformed mcast dest address ${a}`);
      const first = v.virtualIpaddresses[0]?.address ?? v.unicastPeers[0]?.address;
      if (first !== undefined && ipFamily(first) !== fam)
        return warn(`mcast dest address ${a} MUST match VRRP instance family`);
      // IN_MULTICAST for IPv4; IN6_IS_ADDR_MC_LINKLOCAL (ffX2::/16) for IPv6.
      const multicast = fam === 4 ? /^2(2[4-9]|3\d)\./.test(a) : /^ff[0-9a-f]2:/i.test(a);
      if (!multicast) return warn(`mcast_dst_ip ${a} not${fam === 6 ? ' link-local' : ''} multicast`);
      v.mcastDstIp = a;
    },
  });
  t.set('unicast_peer', {
    handler: (args, loc) =>
      ctx.readValueBlock('unicast_peer', args, loc, (words, l) => {
        // keepalived reads the address part only: a /PREFIX after it is accepted and ignored.
        const address = words[0].replace(/\/.*$/, '');
        const fam = ipFamily(address);
        if (fam === 0) {
          ctx.report(
            'error',
            'KA_BAD_PEER',
            `Configuration error: VRRP instance[${n}] malformed unicast peer address[${words[0]}]. Skipping...`,
            l,
          );
          return;
        }
        if (family !== undefined && fam !== family) {
          ctx.report(
            'error',
            'KA_PEER_FAMILY',
            `Configuration error: VRRP instance[${n}] and unicast peer address[${address}] MUST be of the same family !!! Skipping...`,
            l,
          );
          return;
        }
        family ??= fam;
        // Options come as KEY NUMBER pairs (min_ttl, max_ttl), checked like keepalived; none is used.
        for (let i = 1; i < words.length; i += 2) {
          if (words[i + 1] === undefined) {
            ctx.report('warning', 'KA_PEER_OPTION', `(${n}) ${words[i]} is missing a value`, l);
          } else if (!/^\d+$/.test(words[i + 1])) {
            ctx.report('warning', 'KA_INVALID_NUMBER', `invalid number '${words[i + 1]}'`, l);
          }
        }
        if (words.length > 1)
          ctx.report('warning', 'SY_NO_EFFECT', `unicast_peer options '${words.slice(1).join(' ')}' are ignored`, l);
        v.unicastPeers.push({ address, loc: l });
      }),
  });
  const garp = (kw: string, set: (x: number) => void, isInt: boolean) => ({
    handler: (args: string[], loc: SourceLoc) => {
      const x = isInt ? readInt(ctx, args[0], 0, 2147483647, loc) : readDouble(ctx, args[0], 0, 86400, loc);
      if (x === undefined)
        ctx.report('warning', 'KA_BAD_GARP', `(${n}) ${kw} '${args[0] ?? ''}' invalid - ignoring`, loc);
      else set(x);
    },
  });
  t.set(
    'garp_master_delay',
    garp('garp_master_delay', (x) => (v.garpMasterDelay = x), false),
  );
  t.set(
    'garp_master_repeat',
    garp('garp_master_repeat', (x) => (v.garpMasterRepeat = x), true),
  );
  t.set(
    'garp_master_refresh',
    garp('garp_master_refresh', (x) => (v.garpMasterRefresh = x), false),
  );
  t.set('garp_master_refresh_repeat', {
    handler: (args, loc) => {
      const x = readInt(ctx, args[0], 0, 4294967295, loc);
      if (x === undefined) {
        ctx.report(
          'warning',
          'KA_BAD_GARP',
          `(${n}): garp_master_refresh_repeat '${args[0] ?? ''}' invalid - ignoring`,
          loc,
        );
        return;
      }
      if (x === 0)
        ctx.report(
          'warning',
          'KA_BAD_GARP',
          `(${n}): garp_master_refresh_repeat must be greater than 0, setting to 1`,
          loc,
        );
      v.garpMasterRefreshRepeat = Math.max(1, x);
    },
  });
  t.set(
    'garp_lower_prio_delay',
    garp('garp_lower_prio_delay', (x) => (v.garpLowerPrioDelay = x), true),
  );
  t.set(
    'garp_lower_prio_repeat',
    garp('garp_lower_prio_repeat', (x) => (v.garpLowerPrioRepeat = x), true),
  );
  t.set('lower_prio_no_advert', {
    handler: (args, loc) => (v.lowerPrioNoAdvert = readBool(ctx, 'lower_prio_no_advert', args, loc)),
  });
  t.set('higher_prio_send_advert', {
    handler: (args, loc) => (v.higherPrioSendAdvert = readBool(ctx, 'higher_prio_send_advert', args, loc)),
  });
  notifyKeywords(ctx, t, v.notify, n);
  t.set('smtp_alert', {
    handler: (args, loc) => {
      v.smtpAlert = readBool(ctx, 'smtp_alert', args, loc);
      if (v.smtpAlert)
        ctx.report('warning', 'SY_NO_SMTP', `(${n}) smtp_alert: Switchyard sends no e-mail; use a notify script`, loc);
    },
  });
  t.set('dont_track_primary', { handler: () => (v.dontTrackPrimary = true) });
  t.set('skip_check_adv_addr', {
    handler: (args, loc) => {
      // keepalived 2.2.7 sets the flag for any valid boolean, `off` included.
      if (args.length === 0 || /^(on|off|true|false|yes|no)$/.test(args[0])) v.skipCheckAdvAddr = true;
      else ctx.report('warning', 'KA_INVALID_BOOL', `(${n}) invalid skip_check_adv_addr ${args[0]} specified`, loc);
    },
  });
  t.set('accept', { handler: () => (v.accept = true) });
  t.set('no_accept', { handler: () => (v.accept = false) });
  t.set('use_vmac', { handler: (args, loc) => readUseVmac(ctx, v, args, loc) });
  t.set('vmac_xmit_base', { handler: () => (v.vmacXmitBase = true) });
  addStatusKeywords(ctx, t, WHERE(n), WARNED, REFUSED, REFUSED_BLOCKS);
  // keepalived's own deprecation messages come first (they change its exit status: ours too).
  const deprecated = (kw: string, ...lines: string[]) => {
    const note = t.get(kw)!.handler!;
    t.set(kw, {
      handler: (args, loc) => {
        for (const m of lines) ctx.report('warning', 'KA_DEPRECATED', m, loc);
        note(args, loc);
      },
    });
  };
  deprecated(
    'lvs_sync_daemon_interface',
    `(${n}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.`,
    '        Please use global lvs_sync_daemon',
  );
  deprecated(
    'linkbeat_use_polling',
    `(${n}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`,
  );
  return fatalWithoutParam(ctx, t);
}

/** `use_vmac [NAME] [MAC]`, with keepalived's vrrp_vmac_handler() checks (either order, a MAC has ':'). */
function readUseVmac(ctx: ParseContext, v: VrrpInstance, args: string[], loc: SourceLoc): void {
  v.useVmac = true;
  const warn = (m: string) => ctx.report('warning', 'KA_VMAC', m, loc);
  for (const a of args.slice(0, 2)) {
    if (a.includes(':')) {
      if (v.vmacAddress !== undefined) {
        warn('VMAC interface address already specified');
        continue;
      }
      if (/[^0-9A-Fa-f:]/.test(a)) {
        warn(`VMAC invalid MAC address ${a}`);
        continue;
      }
      const octets = a.replace(/:$/, '').split(':');
      if ((octets.length !== 5 && octets.length !== 6) || octets.some((o) => o.length < 1 || o.length > 2)) {
        warn(`VMAC invalid MAC address ${a} - ignored`);
        continue;
      }
      const bytes = octets.map((o) => Number.parseInt(o, 16));
      if (bytes[0] & 1) warn(`VMAC MAC address is multicast ${a} - ignoring`);
      else if (bytes.slice(0, 4).join() === '0,0,94,0' && (bytes[4] === 1 || bytes[4] === 2))
        warn(`VMAC MAC address not allowed to be RFC5798 address (${a}) - ignoring`);
      else v.vmacAddress = bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
    } else {
      if (v.vmacName !== undefined) {
        warn('VMAC interface name already specified');
        continue;
      }
      // dev_name_valid(): at most 15 characters, no '/', ':' or blank, not '.' or '..'.
      if (a.length > 15 || /[/:\s]/.test(a) || a === '.' || a === '..') {
        warn(`VMAC interface name '${a}' too long or invalid characters - ignoring`);
        continue;
      }
      v.vmacName = a;
    }
  }
}

/** keepalived's end-of-block checks for an instance (reported on the closing line). */
export function closeInstance(ctx: ParseContext, v: VrrpInstance): boolean {
  if (v.useVmac && !v.interface && (v.unicastSrcIp || v.unicastPeers.length > 0)) {
    ctx.report(
      'warning',
      'KA_VMAC_UNICAST',
      `(${v.name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac`,
      ctx.closeLoc,
    );
    v.useVmac = false;
  }
  return true;
}
