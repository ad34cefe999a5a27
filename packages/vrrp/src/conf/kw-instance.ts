/** `vrrp_instance NAME { ... }` keywords, with keepalived 2.2.7's checks and messages. */
import type { KeywordTable, ParseContext } from './engine.ts';
import { trackProxyTable } from './kw-track-proxy.ts';
import { splitCommand } from './lexer.ts';
import type { GlobalDefs, NotifyCommand, NotifyHooks, SourceLoc, TrackRef, VrrpInstance } from './model.ts';
import { ipFamily, need1, parseVip, readBool, readDouble, readInt } from './values.ts';

/** Instance keywords keepalived knows that Switchyard accepts without acting on them. */
const NO_EFFECT = [
  'lvs_sync_daemon_interface',
  'garp_lower_prio_delay',
  'garp_lower_prio_repeat',
  'lower_prio_no_advert',
  'higher_prio_send_advert',
  'kernel_rx_buf_size',
  'debug',
  'strict_mode',
  'skip_check_adv_addr',
  'check_unicast_src',
  'unicast_ttl',
  'unicast_fault_no_peer',
  'no_accept',
  'native_ipv6',
  'notify_priority_changes',
];

/** Instance block keywords keepalived knows whose blocks Switchyard skips (value blocks). */
const UNSUPPORTED_BLOCKS = ['virtual_routes', 'virtual_rules', 'track_file', 'track_process', 'track_bfd'];

/** Keywords whose missing parameter is fatal in keepalived (null_strvec), checked against keepalived -t. */
const NEEDS_PARAM = [
  'state',
  'interface',
  'virtual_router_id',
  'priority',
  'advert_int',
  'version',
  'preempt_delay',
  'unicast_src_ip',
  'mcast_src_ip',
  'garp_master_delay',
  'garp_master_repeat',
  'garp_master_refresh',
  'notify_master',
  'notify_backup',
  'notify_fault',
  'notify_stop',
  'notify',
  'auth_type',
  'auth_pass',
  // vrrp_script
  'interval',
  'timeout',
  'weight',
  'rise',
  'fall',
  'user',
  // global_defs
  'smtp_server',
  'smtp_connect_timeout',
  'vrrp_version',
  'vrrp_garp_master_delay',
  'vrrp_garp_master_repeat',
  'vrrp_garp_master_refresh',
  'vrrp_garp_master_refresh_repeat',
  'vrrp_mcast_group4',
];

/** Wraps the handlers of `t` so that a missing parameter of NEEDS_PARAM keywords is fatal. */
export function fatalWithoutParam(ctx: ParseContext, t: KeywordTable): KeywordTable {
  for (const kw of NEEDS_PARAM) {
    const k = t.get(kw);
    const h = k?.handler;
    if (!k || !h) continue;
    k.handler = (args, loc) => (args.length === 0 ? ctx.fatal(kw, loc) : h(args, loc));
  }
  return t;
}

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
    trackScripts: [],
    trackInterfaces: [],
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
    loc,
  };
}

/** Reads `NAME [weight N [reverse]]` lines of track_script / track_interface. */
export function readTrackRefs(
  ctx: ParseContext,
  kw: 'track_script' | 'track_interface',
  owner: string,
  args: string[],
  loc: SourceLoc,
  into: TrackRef[],
): void {
  ctx.readValueBlock(kw, args, loc, (words, l) => {
    // keepalived resolves each entry as it reads it: a script must be defined above, an interface
    // must exist on this host (unless the parse was asked not to look at the host).
    if (kw === 'track_script' && !ctx.definedScripts.has(words[0])) {
      ctx.report(
        'warning',
        'KA_TRACK_SCRIPT_NOT_FOUND',
        `(${owner}) track script ${words[0]} not found, ignoring...`,
        l,
      );
      return;
    }
    if (kw === 'track_interface' && ctx.host && !ctx.host.ifExists(words[0])) {
      ctx.report('warning', 'KA_NO_SUCH_TRACK_INTERFACE', `(${owner}) tracked interface ${words[0]} doesn't exist`, l);
      return;
    }
    if (into.some((r) => r.name === words[0])) {
      ctx.report('warning', 'KA_TRACK_DUP', `(${owner}) duplicate ${kw} ${words[0]} - ignoring`, l);
      return;
    }
    const ref: TrackRef = { name: words[0], loc: l };
    if (words[1] === 'weight') {
      const w = readInt(ctx, words[2], -254, 254, l);
      if (w === undefined) {
        ctx.report(
          'warning',
          'KA_TRACK_WEIGHT',
          `(${owner}) ${kw === 'track_script' ? 'track script' : 'track interface'} ${words[0]}: weight must be between [-253..253] inclusive, ignoring...`,
          l,
        );
      } else if (w === 254 || w === -254) {
        ctx.report(
          'warning',
          'KA_TRACK_WEIGHT',
          `(${owner}) weight for ${words[0]} cannot be +/-254. Setting to +/-253`,
          l,
        );
        ref.weight = w > 0 ? 253 : -253;
      } else ref.weight = w;
      if (words[3] === 'reverse') ref.weightReverse = true;
      else if (words[3] === 'noreverse') ref.weightReverse = false;
      else if (words[3] !== undefined) {
        ctx.report(
          'warning',
          'KA_TRACK_OPTION',
          `(${owner}) unknown ${kw} ${words[0]} weight option ${words[3]} - ignoring`,
          l,
        );
      }
    } else if (words.length > 1) {
      ctx.report(
        'warning',
        'KA_TRACK_OPTION',
        `(${owner}) ${kw} ${words[0]} option '${words[1]}' is invalid - ignoring`,
        l,
      );
    }
    into.push(ref);
  });
}

/** The `notify*` keywords shared by instances and sync groups. */
export function notifyKeywords(ctx: ParseContext, t: KeywordTable, hooks: NotifyHooks, owner: string): void {
  // `notify_X SCRIPT|"SCRIPT ARGS" [username [groupname]]`: extra words name the user, not arguments.
  const set = (key: keyof NotifyHooks, kw: string) => ({
    handler: (args: string[], loc: SourceLoc) => {
      const v = need1(ctx, kw, args, loc);
      if (v === undefined) return;
      const argv = splitCommand(v);
      if (typeof argv === 'string' || argv.length === 0) {
        ctx.report('error', 'KA_BAD_SCRIPT', `${kw}: ${typeof argv === 'string' ? argv : 'empty command'}`, loc);
        return;
      }
      const hook: NotifyCommand = { command: v, argv, loc };
      if (args[1] !== undefined) hook.user = args[2] ? { user: args[1], group: args[2] } : { user: args[1] };
      if (args.length > 3)
        ctx.report('warning', 'KA_EXTRA_PARAMS', `${kw}: extra parameters after the group name - ignoring`, loc);
      if (hooks[key]) {
        ctx.report('warning', 'KA_NOTIFY_DUP', `(${owner}) ${kw} script already specified - ignoring ${v}`, loc);
        return;
      }
      hooks[key] = hook;
    },
  });
  t.set('notify_master', set('master', 'notify_master'));
  t.set('notify_backup', set('backup', 'notify_backup'));
  t.set('notify_fault', set('fault', 'notify_fault'));
  t.set('notify_stop', set('stop', 'notify_stop'));
  t.set('notify', set('any', 'notify'));
  t.set('notify_master_rx_lower_pri', {
    handler: (_a, loc) =>
      ctx.report('warning', 'SY_NO_EFFECT', 'notify_master_rx_lower_pri is not supported by Switchyard - ignored', loc),
  });
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
          if (s === 'PASS' || s === 'AH') a.type = s;
          else if (s !== undefined)
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
  const vips = (kw: string, into: VrrpInstance['virtualIpaddresses']) => ({
    handler: (args: string[], loc: SourceLoc) =>
      ctx.readValueBlock(kw, args, loc, (words, l) => {
        const first = into[0] ?? v.virtualIpaddresses[0];
        const vip = parseVip(ctx, words, l, n, kw === 'virtual_ipaddress' ? first?.family : undefined);
        if (vip) into.push(vip);
      }),
  });
  t.set('virtual_ipaddress', vips('virtual_ipaddress', v.virtualIpaddresses));
  t.set('virtual_ipaddress_excluded', vips('virtual_ipaddress_excluded', v.virtualIpaddressesExcluded));
  t.set('track_script', { handler: (args, loc) => readTrackRefs(ctx, 'track_script', n, args, loc, v.trackScripts) });
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
  t.set('unicast_peer', {
    handler: (args, loc) =>
      ctx.readValueBlock('unicast_peer', args, loc, (words, l) => {
        // keepalived reads the address part only: a /PREFIX after it is accepted and ignored.
        const address = words[0].replace(/\/.*$/, '');
        if (ipFamily(address) === 0) {
          ctx.report(
            'error',
            'KA_BAD_PEER',
            `Configuration error: VRRP instance[${n}] malformed unicast peer address[${words[0]}]. Skipping...`,
            l,
          );
          return;
        }
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
  notifyKeywords(ctx, t, v.notify, n);
  t.set('smtp_alert', {
    handler: (args, loc) => {
      v.smtpAlert = readBool(ctx, 'smtp_alert', args, loc);
      if (v.smtpAlert)
        ctx.report('warning', 'SY_NO_SMTP', `(${n}) smtp_alert: Switchyard sends no e-mail; use a notify script`, loc);
    },
  });
  t.set('dont_track_primary', { handler: () => (v.dontTrackPrimary = true) });
  t.set('accept', { handler: () => (v.accept = true) });
  t.set('no_accept', { handler: () => (v.accept = false) });
  t.set('use_vmac', {
    handler: (_args, loc) => {
      v.useVmac = true;
      ctx.report(
        'warning',
        'SY_UNSUPPORTED_VMAC',
        `(${n}) use_vmac is not supported by Switchyard: the VIPs are added to ${v.interface ?? 'the interface'} itself and the real MAC is announced`,
        loc,
      );
    },
  });
  t.set('vmac_xmit_base', {
    handler: (_args, loc) =>
      ctx.report('warning', 'SY_UNSUPPORTED_VMAC', `(${n}) vmac_xmit_base has no effect without use_vmac support`, loc),
  });
  for (const kw of NO_EFFECT) {
    if (kw === 'no_accept') continue;
    t.set(kw, {
      handler: (_args, loc) =>
        ctx.report('warning', 'SY_NO_EFFECT', `(${n}) '${kw}' is accepted but has no effect in Switchyard`, loc),
    });
  }
  for (const kw of UNSUPPORTED_BLOCKS) {
    t.set(kw, {
      handler: (args, loc) => {
        ctx.report('warning', 'SY_UNSUPPORTED', `(${n}) ${kw} is not supported by Switchyard - block ignored`, loc);
        ctx.readValueBlock(kw, args, loc, () => {});
      },
    });
  }
  return fatalWithoutParam(ctx, t);
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
