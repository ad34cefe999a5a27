/** `global_defs { ... }` keywords (the subset the VRRP side uses; others keepalived knows are noted). */
import type { KeywordTable, ParseContext } from './engine.ts';
import { fatalWithoutParam } from './kw-shared.ts';
import { addStatusKeywords, type Reasons } from './kw-status.ts';
import { splitCommand } from './lexer.ts';
import type { GlobalDefs } from './model.ts';
import { ipFamily, need1, readBool, readDouble, readInt } from './values.ts';

const CHECKER = "keepalived's LVS checker process: Switchyard has none (no LVS)";
const BFD = "keepalived's BFD process: Switchyard has none (bfd_instance is refused)";
const SCHED =
  'scheduling of the VRRP process: start the sidecar with the priority you want (systemd Nice=, CPUSchedulingPolicy=, CPUAffinity=, LimitMEMLOCK=)';
const LVS = 'LVS (IPVS) setting: Switchyard runs no LVS';
const NO_NETLINK = 'Switchyard opens no netlink socket (addresses and routes through `ip`, processes by a /proc scan)';
const NO_MAIL = 'Switchyard sends no e-mail: use a notify script';

/** keepalived global_defs keywords with no effect in Switchyard (accepted with a warning and the reason). */
const WARNED: Reasons = {
  checker_priority: CHECKER,
  checker_no_swap: CHECKER,
  checker_rt_priority: CHECKER,
  checker_cpu_affinity: CHECKER,
  checker_rlimit_rttime: CHECKER,
  checker_rlimit_rtime: CHECKER,
  checker_process_name: CHECKER,
  lvs_process_name: CHECKER,
  checker_log_all_failures: CHECKER,
  smtp_alert_checker: CHECKER,
  no_checker_emails: CHECKER,
  rs_init_notifies: CHECKER,
  lvs_notify_fifo: CHECKER,
  lvs_notify_fifo_script: CHECKER,
  bfd_priority: BFD,
  bfd_no_swap: BFD,
  bfd_rt_priority: BFD,
  bfd_cpu_affinity: BFD,
  bfd_rlimit_rttime: BFD,
  bfd_rlimit_rtime: BFD,
  bfd_process_name: BFD,
  lvs_timeouts: LVS,
  lvs_flush: LVS,
  lvs_flush_on_stop: LVS,
  lvs_flush_onstop: LVS,
  lvs_sync_daemon: LVS,
  lvs_netlink_cmd_rcv_bufs: LVS,
  lvs_netlink_cmd_rcv_bufs_force: LVS,
  lvs_netlink_monitor_rcv_bufs: LVS,
  lvs_netlink_monitor_rcv_bufs_force: LVS,
  nftables_ipvs: LVS,
  nftables_ipvs_priority: LVS,
  nftables_ipvs_start_fwmark: LVS,
  vrrp_netlink_cmd_rcv_bufs: NO_NETLINK,
  vrrp_netlink_cmd_rcv_bufs_force: NO_NETLINK,
  vrrp_netlink_monitor_rcv_bufs: NO_NETLINK,
  vrrp_netlink_monitor_rcv_bufs_force: NO_NETLINK,
  process_monitor_rcv_bufs: NO_NETLINK,
  process_monitor_rcv_bufs_force: NO_NETLINK,
  vrrp_rx_bufs_policy: 'the raw sockets keep the kernel default receive buffer',
  vrrp_rx_bufs_multiplier: 'the raw sockets keep the kernel default receive buffer',
  max_auto_priority: SCHED,
  min_auto_priority_delay: SCHED,
  process_names: 'the process title is not changed',
  process_name: 'the process title is not changed',
  vrrp_process_name: 'the process title is not changed',
  smtp_helo_name: NO_MAIL,
  smtp_alert: NO_MAIL,
  smtp_alert_vrrp: NO_MAIL,
  no_email_faults: NO_MAIL,
  random_seed: 'Switchyard draws no random numbers for VRRP',
  tmp_config_directory: 'Switchyard writes no temporary copy of the configuration',
  data_use_instance: 'Switchyard writes no data or stats dump files',
  reload_check_config:
    'Switchyard always checks a file on SIGHUP and keeps the running configuration when it is refused',
};

/** global_defs keywords keepalived acts on that Switchyard does not: the sidecar refuses them. */
const REFUSED: Reasons = {
  vrrp_priority: SCHED,
  vrrp_no_swap: SCHED,
  vrrp_rt_priority: SCHED,
  vrrp_cpu_affinity: SCHED,
  vrrp_rlimit_rttime: SCHED,
  vrrp_rlimit_rtime: SCHED,
  vrrp_iptables: 'Switchyard never edits iptables/nftables rules; add the rules you need yourself',
  nftables: 'Switchyard never edits iptables/nftables rules; add the rules you need yourself',
  nftables_priority: 'Switchyard never edits iptables/nftables rules',
  nftables_ifindex: 'Switchyard never edits iptables/nftables rules',
  nftables_counters: 'Switchyard never edits iptables/nftables rules',
  enable_traps: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_snmp_vrrp: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_snmp_keepalived: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_snmp_rfc: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_snmp_rfcv2: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_snmp_rfcv3: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_snmp_checker: 'no SNMP agent: use notify scripts or notify_fifo',
  snmp_socket: 'no SNMP agent: use notify scripts or notify_fifo',
  enable_dbus: 'no D-Bus interface: use notify scripts or notify_fifo',
  dbus_service_name: 'no D-Bus interface: use notify scripts or notify_fifo',
  dynamic_interfaces: 'every interface must exist when the sidecar starts',
  default_interface: 'give each vrrp_instance its interface',
  disable_local_igmp: 'IGMP reports are left to the kernel',
  vrrp_check_unicast_src: 'the source of unicast adverts is not checked against unicast_peer',
  vrrp_down_timer_adverts: 'Master_Down_Interval is always 3 adverts (RFC 3768/5798)',
  vrrp_min_garp: 'set vrrp_garp_master_repeat 1 and vrrp_garp_master_refresh 0 instead',
  vrrp_garp_extra_if: 'no extra gratuitous ARPs on the parent interface of a VMAC',
  vrrp_vmac_garp_intvl: 'no extra gratuitous ARPs on the parent interface of a VMAC',
  vmac_prefix: 'VMAC interfaces are named vrrp.VRID (or by use_vmac NAME)',
  vmac_addr_prefix: 'VMAC interfaces are named vrrp.VRID (or by use_vmac NAME)',
  vrrp_startup_delay: 'instances start at once',
  vrrp_notify_priority_changes: 'priority changes are not notified',
  fifo_write_vrrp_states_on_reload: 'a reload writes no state lines to the notify FIFO',
  log_unknown_vrids: 'adverts for other VRIDs are logged with -D only',
  startup_script: 'no startup/shutdown scripts: run them from the service manager',
  startup_script_timeout: 'no startup/shutdown scripts: run them from the service manager',
  shutdown_script: 'no startup/shutdown scripts: run them from the service manager',
  shutdown_script_timeout: 'no startup/shutdown scripts: run them from the service manager',
  umask: 'files are created with the umask the sidecar is started with',
  reload_time_file: 'no scheduled reloads: send SIGHUP',
  reload_repeat: 'no scheduled reloads: send SIGHUP',
  reload_file: 'no scheduled reloads: send SIGHUP',
  include_check: 'included files are not watched for changes',
  config_save_dir: 'reloaded configurations are not saved',
};

/** Builds the global_defs table writing into `g`. */
export function globalDefsTable(ctx: ParseContext, g: GlobalDefs): KeywordTable {
  const t: KeywordTable = new Map();
  const str = (set: (v: string) => void) => ({
    handler: (args: string[], loc: import('./model.ts').SourceLoc) => {
      const v = need1(ctx, '', args, loc);
      if (v !== undefined) set(v);
    },
  });
  t.set('router_id', {
    handler: (args, loc) => {
      if (args[0] === undefined) ctx.report('warning', 'KA_ROUTER_ID', 'routerid name missing - ignoring', loc);
      else g.routerId = args[0];
    },
  });
  t.set('notification_email_from', {
    handler: (args, loc) => {
      if (args[0] === undefined) ctx.report('warning', 'KA_EMAIL_FROM', 'emailfrom missing - ignoring', loc);
      else g.notificationEmailFrom = args[0];
    },
  });
  // keepalived 2.2.7 no longer knows lvs_id: same warning, value kept for reference only.
  t.set('lvs_id', {
    handler: (args, loc) => {
      if (args[0] !== undefined) g.lvsId = args[0];
      ctx.report(
        'warning',
        'KA_UNKNOWN_KEYWORD',
        "Unknown keyword 'lvs_id' (obsolete: keepalived 2.2.7 ignores it too)",
        loc,
      );
    },
  });
  t.set(
    'switchyard_socket',
    str((v) => (g.switchyardSocket = v)),
  );
  t.set('vrrp_version', {
    handler: (args, loc) => {
      const v = readInt(ctx, args[0], 2, 3, loc);
      if (v === undefined) ctx.report('warning', 'KA_BAD_VERSION', 'VRRP Error: Version must be either 2 or 3', loc);
      else g.vrrpVersion = v as 2 | 3;
    },
  });
  t.set('notification_email', {
    handler: (args, loc) => {
      let n = 0;
      ctx.readValueBlock('notification_email', args, loc, (words) => {
        n += words.length;
        g.notificationEmail.push(...words);
      });
      // keepalived reports it on the closing line (without a line when the file ended first).
      if (n === 0) ctx.report('warning', 'KA_EMPTY_EMAIL', 'Warning - empty notification_email block', ctx.closeLoc);
    },
  });
  t.set('smtp_server', {
    handler: (args, loc) => {
      const host = need1(ctx, 'smtp_server', args, loc);
      if (host === undefined) return;
      let port = 25;
      if (args[1] !== undefined) {
        const p = readInt(ctx, args[1], 1, 65535, loc);
        if (p === undefined) ctx.report('warning', 'KA_BAD_SMTP_PORT', `Invalid smtp_server port '${args[1]}'`, loc);
        else port = p;
      }
      g.smtpServer = { host, port };
    },
  });
  t.set('smtp_connect_timeout', {
    handler: (args, loc) => {
      const v = readInt(ctx, args[0], 1, 65535, loc);
      if (v === undefined)
        ctx.report('warning', 'KA_BAD_TIMEOUT', `smtp_connect_timeout '${args[0]}' must be in [1, 65535]`, loc);
      else g.smtpConnectTimeout = v;
    },
  });
  t.set('enable_script_security', { handler: () => (g.enableScriptSecurity = true) });
  t.set('script_user', {
    handler: (args, loc) => {
      const u = args[0];
      if (u === undefined) ctx.report('warning', 'KA_SCRIPT_USER', 'No script username specified', loc);
      else g.scriptUser = args[1] ? { user: u, group: args[1] } : { user: u };
    },
  });
  const garp = (kw: string, set: (v: number) => void, max: number, isInt: boolean) => ({
    handler: (args: string[], loc: import('./model.ts').SourceLoc) => {
      const v = isInt ? readInt(ctx, args[0], 0, max, loc) : readDouble(ctx, args[0], 0, max, loc);
      if (v === undefined) ctx.report('warning', 'KA_BAD_GARP', `${kw} '${args[0]}' invalid - ignoring`, loc);
      else set(v);
    },
  });
  t.set(
    'vrrp_garp_master_delay',
    garp('vrrp_garp_master_delay', (v) => (g.garpMasterDelay = v), 86400, false),
  );
  t.set(
    'vrrp_garp_master_repeat',
    garp('vrrp_garp_master_repeat', (v) => (g.garpMasterRepeat = v), 2147483647, true),
  );
  t.set(
    'vrrp_garp_master_refresh',
    garp('vrrp_garp_master_refresh', (v) => (g.garpMasterRefresh = v), 86400, false),
  );
  t.set(
    'vrrp_garp_master_refresh_repeat',
    garp('vrrp_garp_master_refresh_repeat', (v) => (g.garpMasterRefreshRepeat = v), 2147483647, true),
  );
  t.set(
    'vrrp_garp_lower_prio_delay',
    garp('vrrp_garp_lower_prio_delay', (v) => (g.garpLowerPrioDelay = v), 4294, true),
  );
  t.set(
    'vrrp_garp_lower_prio_repeat',
    garp('vrrp_garp_lower_prio_repeat', (v) => (g.garpLowerPrioRepeat = v), 2147483647, true),
  );
  const interval = (kw: string, set: (v: number) => void) => ({
    handler: (args: string[], loc: import('./model.ts').SourceLoc) => {
      const v = readDouble(ctx, args[0], 0.000001, 4294, loc);
      if (v === undefined) ctx.report('warning', 'KA_BAD_GARP', `${kw} '${args[0] ?? ''}' is invalid`, loc);
      else set(v);
    },
  });
  t.set(
    'vrrp_garp_interval',
    interval('vrrp_garp_interval', (v) => (g.garpInterval = v)),
  );
  t.set(
    'vrrp_gna_interval',
    interval('vrrp_gna_interval', (v) => (g.gnaInterval = v)),
  );
  t.set('vrrp_lower_prio_no_advert', {
    handler: (args, loc) => (g.lowerPrioNoAdvert = readBool(ctx, 'vrrp_lower_prio_no_advert', args, loc)),
  });
  t.set('vrrp_higher_prio_send_advert', {
    handler: (args, loc) => (g.higherPrioSendAdvert = readBool(ctx, 'vrrp_higher_prio_send_advert', args, loc)),
  });
  for (const kw of ['notify_fifo', 'vrrp_notify_fifo'] as const) {
    const type = kw === 'notify_fifo' ? '' : 'vrrp_';
    const fifo = () => g.notifyFifos.find((f) => f.keyword === kw);
    t.set(kw, {
      handler: (args, loc) => {
        if (args[0] === undefined) {
          ctx.report('warning', 'KA_NOTIFY_FIFO', `No ${type}notify_fifo name specified`, loc);
          return;
        }
        const f = fifo();
        if (f && f.path !== '') {
          ctx.report('warning', 'KA_NOTIFY_FIFO', `${type}notify_fifo already specified - ignoring ${args[0]}`, loc);
          return;
        }
        const user = args[1] === undefined ? undefined : { user: args[1], ...(args[2] ? { group: args[2] } : {}) };
        if (f) Object.assign(f, { path: args[0], user, loc });
        else g.notifyFifos.push({ keyword: kw, path: args[0], user, loc });
      },
    });
    t.set(`${kw}_script`, {
      handler: (args, loc) => {
        if (args[0] === undefined) {
          ctx.report('warning', 'KA_NOTIFY_FIFO', `No ${type}notify_fifo_script specified`, loc);
          return;
        }
        const f = fifo() ?? { keyword: kw, path: '', loc };
        if (f.script) {
          ctx.report(
            'warning',
            'KA_NOTIFY_FIFO',
            `${type}notify_fifo_script already specified - ignoring ${args[0]}`,
            loc,
          );
          return;
        }
        const argv = splitCommand(args[0]);
        if (typeof argv === 'string' || argv.length === 0) {
          ctx.report(
            'error',
            'KA_BAD_SCRIPT',
            `${kw}_script: ${typeof argv === 'string' ? argv : 'empty command'}`,
            loc,
          );
          return;
        }
        f.script = {
          command: args[0],
          argv,
          loc,
          ...(args[1] ? { user: { user: args[1], ...(args[2] ? { group: args[2] } : {}) } } : {}),
        };
        if (!fifo()) g.notifyFifos.push(f);
      },
    });
  }
  t.set('vrrp_skip_check_adv_addr', { handler: () => (g.vrrpSkipCheckAdvAddr = true) });
  t.set('vrrp_strict', { handler: () => (g.vrrpStrict = true) });
  t.set('vrrp_mcast_group4', {
    handler: (args, loc) => {
      const v = need1(ctx, 'vrrp_mcast_group4', args, loc);
      if (v === undefined) return;
      const first = Number(v.split('.')[0]);
      if (ipFamily(v) !== 4 || first < 224 || first > 239) {
        ctx.report(
          'warning',
          'KA_BAD_MCAST',
          `vrrp_mcast_group4 '${v}' is not a valid IPv4 multicast address - ignoring`,
          loc,
        );
      } else g.mcastGroup4 = v;
    },
  });
  t.set('vrrp_mcast_group6', {
    handler: (args, loc) => {
      const v = need1(ctx, 'vrrp_mcast_group6', args, loc);
      if (v === undefined) return;
      if (ipFamily(v) !== 6 || !/^ff/i.test(v)) {
        ctx.report(
          'warning',
          'KA_BAD_MCAST',
          `vrrp_mcast_group6 '${v}' is not a valid IPv6 multicast address - ignoring`,
          loc,
        );
      } else g.mcastGroup6 = v;
    },
  });
  // keepalived 2.2.7 does not know this spelling either (some write-ups use it): same warning, plus a hint.
  t.set('smtp_connection_timeout', {
    handler: (_args, loc) =>
      ctx.report(
        'warning',
        'KA_UNKNOWN_KEYWORD',
        "Unknown keyword 'smtp_connection_timeout' (keepalived ignores it too: the keyword is smtp_connect_timeout)",
        loc,
      ),
  });
  addStatusKeywords(ctx, t, 'global_defs', WARNED, REFUSED);
  return fatalWithoutParam(ctx, t);
}
