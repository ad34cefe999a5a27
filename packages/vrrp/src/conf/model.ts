/**
 * Typed model of a keepalived.conf as keepalived 2.2.7 reads it (VRRP side only), plus the
 * Switchyard extensions (`switchyard_socket`, `track_proxy`). Every node carries the SourceLoc
 * of the line that defined it so later stages (lint, the sidecar) can point back at the file.
 * Times are in seconds (floats allowed where keepalived allows them).
 */

/** Where a config item came from. `line` is 1-based. */
export interface SourceLoc {
  file: string;
  line: number;
}

/** Severity of a diagnostic: an `error` means keepalived would refuse or drop the item. */
export type Severity = 'error' | 'warning';

/** One message about the config, worded like keepalived's where it has one. */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `KA_UNKNOWN_KEYWORD`. */
  code: string;
  message: string;
  /** Where it applies; absent only for whole-config findings. */
  loc?: SourceLoc;
  /** keepalived prints this one without a line number (end-of-config check); we still give `loc`. */
  unlined?: boolean;
}

/** `global_defs { ... }` */
export interface GlobalDefs {
  /** `router_id`; keepalived defaults to the host name. */
  routerId?: string;
  /** `vrrp_version` (default 2): the default for instances without `version`. */
  vrrpVersion: 2 | 3;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  /** `smtp_server HOST [PORT]` (port default 25). */
  smtpServer?: { host: string; port: number };
  /** `smtp_connect_timeout` in seconds (default 30). */
  smtpConnectTimeout: number;
  /** `enable_script_security`: refuse scripts writable by non-root users. */
  enableScriptSecurity: boolean;
  /** `script_user USER [GROUP]`: who runs scripts (keepalived default: keepalived_script, else root). */
  scriptUser?: { user: string; group?: string };
  /** `vrrp_garp_master_delay` seconds (default 5). */
  garpMasterDelay: number;
  /** `vrrp_garp_master_repeat` count (default 5). */
  garpMasterRepeat: number;
  /** `vrrp_garp_master_refresh` seconds, 0 = off (default 0). */
  garpMasterRefresh: number;
  /** `vrrp_garp_master_refresh_repeat` (default 1). */
  garpMasterRefreshRepeat: number;
  /** `vrrp_garp_lower_prio_delay` / `_repeat` (default: the garp_master ones). */
  garpLowerPrioDelay?: number;
  garpLowerPrioRepeat?: number;
  /** `vrrp_garp_interval` / `vrrp_gna_interval`: seconds between two GARPs / NAs on an interface (default 0). */
  garpInterval: number;
  gnaInterval: number;
  /** `vrrp_lower_prio_no_advert`, `vrrp_higher_prio_send_advert` (default false). */
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  /** `notify_fifo` and `vrrp_notify_fifo` (each with its `_script`): state lines written to a FIFO. */
  notifyFifos: NotifyFifo[];
  vrrpSkipCheckAdvAddr: boolean;
  /** `vrrp_strict`: RFC-strict mode (no unicast, no auth, VRRPv3 style checks). */
  vrrpStrict: boolean;
  /** `vrrp_mcast_group4` (default 224.0.0.18). */
  mcastGroup4: string;
  /** `vrrp_mcast_group6` (default ff02::12). */
  mcastGroup6: string;
  /** `lvs_id` (obsolete; keepalived 2.2.7 warns it is unknown): kept for reference only. */
  lvsId?: string;
  /** Switchyard extension: the local proxy's runtime API socket (unix path or HOST:PORT). */
  switchyardSocket?: string;
  loc?: SourceLoc;
}

/** `vrrp_script NAME { ... }`: a command whose exit status feeds instance priority or FAULT. */
export interface VrrpScript {
  name: string;
  /** The command line as written (keepalived splits it on whitespace, honouring quotes). */
  script: string;
  /** Parsed argv of `script`. */
  argv: string[];
  /** Seconds between runs (default 1). */
  interval: number;
  /** Seconds before a run counts as failed; keepalived defaults it to `interval`. */
  timeout: number;
  /** -253..253; 0 means a failing script puts the instance in FAULT. */
  weight: number;
  /** `weight N reverse`: the sense of the weight is inverted. */
  weightReverse: boolean;
  /** Successes needed to become OK (default 1). */
  rise: number;
  /** Failures needed to become KO (default 1). */
  fall: number;
  /** `user USER [GROUP]` */
  user?: { user: string; group?: string };
  /** `init_fail`: the script starts in the failed state. */
  initFail: boolean;
  /** Set by the host checks when the command is missing or not executable (keepalived disables it). */
  disabled?: boolean;
  loc: SourceLoc;
}

/** One `virtual_ipaddress` line: `ADDR[/PREFIX] [dev IF] [label L] [brd B] [scope S]`. */
export interface VipAddress {
  address: string;
  family: 4 | 6;
  /** Default 32 (v4) / 128 (v6), as keepalived. */
  prefix: number;
  dev?: string;
  label?: string;
  brd?: string;
  scope?: string;
  loc: SourceLoc;
}

/** A `virtual_routes` / `static_routes` line as `ip route` arguments (kw-routes.ts). */
export interface IpRoute {
  family: 4 | 6;
  /** keepalived's default is prepend (the kernel's); `add` and `append` as given. */
  verb: 'prepend' | 'add' | 'append';
  /** After `ip -4|-6 route VERB`; also what `ip route del` takes. */
  args: string[];
  /** The line as written, for log messages. */
  text: string;
  loc: SourceLoc;
}

/** A `virtual_rules` / `static_rules` line as `ip rule add` arguments (kw-routes.ts). */
export interface IpRule {
  family: 4 | 6;
  args: string[];
  text: string;
  loc: SourceLoc;
}

/** A `track_script` / `track_interface` entry; `weight` overrides the script's own. */
export interface TrackRef {
  name: string;
  weight?: number;
  weightReverse?: boolean;
  loc: SourceLoc;
}

/**
 * Switchyard extension `track_proxy { ... }`: the node is healthy when its frontends are OPEN and
 * at least one server of the tracked backends is UP, read from `show stat` on the runtime socket.
 */
export interface TrackProxy {
  /** Unix socket path or `HOST:PORT` / `ipv4@HOST:PORT`; defaults to global `switchyard_socket`. */
  socket?: string;
  /** Seconds between polls (default 1). */
  interval: number;
  /** Seconds before a poll counts as failed (default 2). */
  timeout: number;
  rise: number;
  fall: number;
  /** 0 (default): unhealthy means FAULT; else keepalived weight semantics as for scripts. */
  weight: number;
  weightReverse: boolean;
  /** Frontends that must be OPEN; empty = every FRONTEND row. */
  frontends: string[];
  /** Backends of which at least one server must be UP; empty = any backend. */
  backends: string[];
  loc: SourceLoc;
}

/** A notify hook: the command line and its argv. */
export interface NotifyCommand {
  command: string;
  argv: string[];
  /** `[username [groupname]]` after the script (default: global script_user). */
  user?: { user: string; group?: string };
  loc: SourceLoc;
}

/** notify_master/backup/fault/stop and the generic `notify`. */
export interface NotifyHooks {
  master?: NotifyCommand;
  backup?: NotifyCommand;
  fault?: NotifyCommand;
  stop?: NotifyCommand;
  /** `notify`: called on every change with `INSTANCE|GROUP NAME STATE PRIORITY`. */
  any?: NotifyCommand;
  /** `notify_master_rx_lower_pri`: the MASTER received a lower-priority advert. */
  masterRxLowerPri?: NotifyCommand;
}

/** `notify_fifo PATH [user [group]]` or `vrrp_notify_fifo ...`, and its `*_script`. */
export interface NotifyFifo {
  keyword: 'notify_fifo' | 'vrrp_notify_fifo';
  path: string;
  user?: { user: string; group?: string };
  /** `*_notify_fifo_script`: run with the FIFO's name as its last argument. */
  script?: NotifyCommand;
  loc: SourceLoc;
}

/** `vrrp_instance NAME { ... }` with keepalived's defaults applied. */
export interface VrrpInstance {
  name: string;
  /** Declared initial state (default BACKUP). */
  state: 'MASTER' | 'BACKUP';
  interface?: string;
  /** Where `interface` was set. */
  interfaceLoc?: SourceLoc;
  /** 1..255; undefined when missing or invalid (keepalived then drops the instance: see diagnostics). */
  virtualRouterId?: number;
  /** 1..255 (default 100); 255 = address owner. */
  priority: number;
  /** Seconds (default 1). */
  advertInt: number;
  /** `version` (instance) or global `vrrp_version`. */
  version: 2 | 3;
  /** `loc`: the authentication block; `typeLoc`: its auth_type line. */
  authentication?: { type: 'PASS' | 'AH'; pass: string; loc: SourceLoc; typeLoc?: SourceLoc };
  virtualIpaddresses: VipAddress[];
  virtualIpaddressesExcluded: VipAddress[];
  /** `virtual_routes`: added on MASTER after the VIPs, removed on leaving it. */
  virtualRoutes: IpRoute[];
  /** `virtual_rules`: added on MASTER after the routes, removed first on leaving it. */
  virtualRules: IpRule[];
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  /** `track_file { NAME [weight W [reverse]] }` (weight absent: the track_file's own). */
  trackFiles: TrackRef[];
  /** `track_process { NAME [weight W [reverse]] }`. */
  trackProcesses: TrackRef[];
  trackProxy?: TrackProxy;
  nopreempt: boolean;
  /** Seconds (0..1000, default 0). */
  preemptDelay: number;
  unicastSrcIp?: string;
  /** `mcast_dst_ip`: this instance's multicast group (default vrrp_mcast_group4/6). */
  mcastDstIp?: string;
  unicastPeers: { address: string; loc: SourceLoc }[];
  mcastSrcIp?: string;
  /** Seconds; inherits global `vrrp_garp_master_delay`. */
  garpMasterDelay: number;
  garpMasterRepeat: number;
  /** `garp_master_refresh_repeat` (default: the global one). */
  garpMasterRefreshRepeat?: number;
  garpMasterRefresh: number;
  /** `garp_lower_prio_delay` / `_repeat`: GARPs when a MASTER hears a lower priority (default: global). */
  garpLowerPrioDelay?: number;
  garpLowerPrioRepeat?: number;
  /** `lower_prio_no_advert` / `higher_prio_send_advert` [BOOL] (default: global). */
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  notify: NotifyHooks;
  smtpAlert: boolean;
  dontTrackPrimary: boolean;
  /** `accept` / `no_accept` (keepalived: accept unless vrrp_strict). */
  accept: boolean;
  /** `use_vmac` was given (a macvlan with the VRRP virtual MAC). */
  /** `skip_check_adv_addr`: this instance does not re-check the VIP list of the last master's adverts. */
  skipCheckAdvAddr?: boolean;
  useVmac: boolean;
  /** `use_vmac NAME`: the macvlan's name (default `vrrp.VRID`). */
  vmacName?: string;
  /** `use_vmac MAC`: its address (5 octets: the VRID is the 6th); default 00:00:5e:00:01|02:VRID. */
  vmacAddress?: string;
  /** `vmac_xmit_base`: adverts from the base interface, VIPs on the macvlan. */
  vmacXmitBase: boolean;
  /** Sync group name when the instance belongs to one. */
  syncGroup?: string;
  loc: SourceLoc;
}

/** `vrrp_sync_group NAME { group { A B } ... }` */
export interface VrrpSyncGroup {
  name: string;
  group: string[];
  notify: NotifyHooks;
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  smtpAlert: boolean;
  /** `sync_group_tracking_weight` (or the deprecated `global_tracking`): members keep their tracking weights. */
  trackingWeight: boolean;
  loc: SourceLoc;
}

/** The whole file (and its includes). Arrays keep file order; names are unique (later duplicates warned). */
/** `track_file NAME { ... }`: a file whose number changes the priority (keepalived 2.2.7 semantics). */
export interface VrrpTrackFile {
  name: string;
  path: string;
  /** Default 1; the file's number times the weight is added (0: non-zero means FAULT). */
  weight: number;
  weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`: write VALUE at start if the file is absent (or always). */
  init?: { value: number; overwrite: boolean };
  loc: SourceLoc;
}

/** `vrrp_track_process NAME { ... }`: a process count with a quorum (keepalived 2.2.7 semantics). */
export interface VrrpTrackProcess {
  name: string;
  /** Process name (comm) or, with fullCommand, argv[0]. */
  process: string;
  /** Arguments to match after argv[0]. */
  params: string[];
  paramMatch: 'none' | 'exact' | 'initial' | 'partial';
  /** Match /proc/PID/cmdline instead of the comm name. */
  fullCommand: boolean;
  weight: number;
  weightReverse: boolean;
  quorum: number;
  /** 4294967295: unset (no upper bound). */
  quorumMax: number;
  forkDelayS: number;
  terminateDelayS: number;
  loc: SourceLoc;
}

export interface KeepalivedConf {
  /** The main file and every included file, in read order. */
  files: string[];
  globalDefs: GlobalDefs;
  scripts: VrrpScript[];
  /** `track_file` / `vrrp_track_file` blocks. */
  trackFiles: VrrpTrackFile[];
  /** `vrrp_track_process` blocks. */
  trackProcesses: VrrpTrackProcess[];
  instances: VrrpInstance[];
  syncGroups: VrrpSyncGroup[];
  /** `static_ipaddress`, `static_routes`, `static_rules`: added at start, removed at stop. */
  staticAddresses: VipAddress[];
  staticRoutes: IpRoute[];
  staticRules: IpRule[];
  /** True when LVS sections (virtual_server, virtual_server_group) were seen and skipped. */
  hadLvsSections: boolean;
}

/** Result of parsing: the model plus every diagnostic, in file order. */
export interface ParseResult {
  model: KeepalivedConf;
  diagnostics: Diagnostic[];
  /** Every notify hook as parsed, including those of instances validation refused (script security counts them). */
  notifyHooks: NotifyCommand[];
  /** vrrp_instance blocks read, before validation (keepalived checks script security only if > 0). */
  instancesParsed: number;
  /**
   * True when keepalived would not run VRRP at all with this file (unreadable, or a keyword missing
   * its parameter, which ends keepalived's reading): the sidecar must refuse to start.
   */
  fatal: boolean;
}

/** keepalived's default global_defs. */
export function defaultGlobalDefs(): GlobalDefs {
  return {
    vrrpVersion: 2,
    notificationEmail: [],
    smtpConnectTimeout: 30,
    enableScriptSecurity: false,
    garpMasterDelay: 5,
    garpMasterRepeat: 5,
    garpMasterRefresh: 0,
    garpMasterRefreshRepeat: 1,
    garpInterval: 0,
    gnaInterval: 0,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    notifyFifos: [],
    vrrpSkipCheckAdvAddr: false,
    vrrpStrict: false,
    mcastGroup4: '224.0.0.18',
    mcastGroup6: 'ff02::12',
  };
}
