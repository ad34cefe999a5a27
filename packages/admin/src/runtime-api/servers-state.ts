/**
 * `show servers state [BACKEND]`: HAProxy's server-state file format, version 1 (the same text
 * `server-state-file` loads), with HAProxy's numeric encodings of the states.
 */
import { isIP } from 'node:net';
import type { BackendRuntime, ServerState } from '@switchyard/proxy';

export const SERVERS_STATE_HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

/** HAProxy's `enum healthcheck_status` numbers. */
export const CHECK_STATUS_NUM: Record<string, number> = {
  UNK: 0,
  INI: 1,
  HANA: 4,
  SOCKERR: 5,
  L4OK: 6,
  L4TOUT: 7,
  L4CON: 8,
  L6OK: 9,
  L6TOUT: 10,
  L6RSP: 11,
  L7TOUT: 12,
  L7RSP: 13,
  L7OK: 15,
  L7OKC: 16,
  L7STS: 17,
  PROCERR: 18,
  PROCTOUT: 19,
  PROCOK: 20,
};

/** `CHK_RES_*`: 0 unknown, 2 failed, 3 passed, 4 conditionally passed. */
function checkResult(status: string | undefined): number {
  if (!status || status === 'UNK' || status === 'INI') return 0;
  if (status === 'L7OKC') return 4;
  return status.endsWith('OK') ? 3 : 2;
}

/**
 * srv_op_state: 0 stopped, 2 running, 3 stopping (NOLB) (HAProxy's SRV_ST_*). A server in
 * maintenance is stopped for HAProxy whatever its checks say.
 */
function opState(s: ServerState): number {
  if (s.admin === 'MAINT' || s.op === 'DOWN') return 0;
  return s.stopping ? 3 : 2;
}

/**
 * srv_admin_state bits: 0x01 forced maint, 0x04 config maint, 0x08 forced drain. As haproxy, a
 * server `disabled` in the file keeps its 0x04 once enabled at runtime.
 */
function adminState(s: ServerState): number {
  const config = s.model.disabled ? 0x04 : 0;
  if (s.admin === 'MAINT') return config | 0x01;
  if (s.admin === 'DRAIN') return config | 0x08;
  return config;
}

/**
 * srv_check_state bits: 0x02 configured, 0x04 enabled, 0x08 paused (server in maintenance). As
 * haproxy, a server without checks is paused only when `disabled` in the file (even once enabled).
 */
function checkState(s: ServerState): number {
  // `check` with the checks not running (a dynamic server, `disable health` restored): configured only
  if (!s.checked) return (s.model.check ? 0x02 : 0) | (s.model.disabled ? 0x08 : 0);
  return s.admin === 'MAINT' ? 0x02 | 0x04 | 0x08 : 0x02 | 0x04;
}

/** srv_fqdn: the name the server resolves (set by `set server fqdn`, an SRV target, a host name in the configuration). */
function fqdnField(s: ServerState): string {
  if (s.fqdn !== undefined) return s.fqdn;
  const host = s.model.host;
  return s.model.template?.fqdn.startsWith('_') || isIP(host) !== 0 ? '-' : host;
}

function serverLine(be: BackendRuntime, s: ServerState, now: number): string {
  const m = s.model;
  const lc = s.lastCheck;
  return [
    be.id,
    be.name,
    s.id,
    s.name,
    s.addressKnown === false ? '-' : s.host,
    opState(s),
    adminState(s),
    s.weight,
    s.initialWeight,
    Math.max(0, Math.floor((now - s.lastChange) / 1000)),
    lc ? (CHECK_STATUS_NUM[lc.status] ?? 0) : 1,
    checkResult(lc?.status),
    s.health,
    checkState(s),
    m.agentCheck ? 0x02 | (s.agentPaused ? 0 : 0x04) | 0x10 : 0,
    be.model.idForced ? 1 : 0,
    m.idForced ? 1 : 0,
    fqdnField(s),
    s.port,
    '-',
    m.ssl ? 1 : 0,
    s.checkPort ?? m.checkPort ?? 0,
    m.checkAddr ?? '-',
    m.agent?.addr ?? '-',
    m.agent?.port ?? 0,
  ].join(' ');
}

/** The full `show servers state` text for the given backends. */
export function renderServersState(backends: Iterable<BackendRuntime>, now = Date.now()): string {
  const lines = ['1', SERVERS_STATE_HEADER];
  for (const be of backends) for (const s of be.servers) lines.push(serverLine(be, s, now));
  return `${lines.join('\n')}\n`;
}

/** Connections of one server as the datapath holds them (packages/proxy serverConnections). */
export interface ServerConnFigures {
  used: number;
  idle: number;
}

/**
 * `show servers conn [BACKEND]` (haproxy's dump_servers_state(), show_conn): per server the
 * connection pool figures. Switchyard runs one thread per process: the idle connections are
 * all on the first of `nbthread` columns.
 */
export function renderServersConn(
  backends: Iterable<BackendRuntime>,
  nbthread: number,
  figures: (s: ServerState) => ServerConnFigures | undefined = () => undefined,
): string {
  const lines = [
    `# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[${nbthread}]`,
  ];
  for (const be of backends) {
    for (const s of be.servers) {
      const f = figures(s) ?? { used: 0, idle: 0 };
      const m = s.model;
      const lim = m.poolMaxConn ?? -1;
      const fields = [`${be.name}/${s.name}`, `${be.id}/${s.id}`, s.host, s.port, '-', m.poolPurgeDelay ?? 5000];
      // used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur: idle connections count as safe
      fields.push(f.used, f.used, f.used, 0, f.idle, lim, f.idle);
      if (lim !== 0) for (let t = 0; t < nbthread; t++) fields.push(t === 0 ? f.idle : 0);
      lines.push(fields.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}
