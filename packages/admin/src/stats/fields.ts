/**
 * HAProxy 2.6's stats fields, in CSV column order (doc/management.txt "9.1. CSV format"), with
 * the typed-output tags (origin, nature, scope letters) and value type that `show stat typed`
 * and `show stat json` print. Taken column for column from a real haproxy 2.6 `show stat`.
 * Columns from position 103 on belong to HAProxy's stats modules (ssl, h2, h1): the CSV puts a
 * literal `-` column before them.
 */

/** [name, tags (origin, nature, scope letters as in `show stat typed`), value type]. */
export type FieldDef = readonly [name: string, tags: string, type: 'str' | 'u32' | 's32' | 'u64'];

export const FIELDS: readonly FieldDef[] = [
  ['pxname', 'KNS', 'str'],
  ['svname', 'KNS', 'str'],
  ['qcur', 'MGP', 'u32'],
  ['qmax', 'MMP', 'u32'],
  ['scur', 'MGP', 'u32'],
  ['smax', 'MMP', 'u32'],
  ['slim', 'CLP', 'u32'],
  ['stot', 'MCP', 'u64'],
  ['bin', 'MCP', 'u64'],
  ['bout', 'MCP', 'u64'],
  ['dreq', 'MCP', 'u64'],
  ['dresp', 'MCP', 'u64'],
  ['ereq', 'MCP', 'u64'],
  ['econ', 'MCP', 'u64'],
  ['eresp', 'MCP', 'u64'],
  ['wretr', 'MCP', 'u64'],
  ['wredis', 'MCP', 'u64'],
  ['status', 'SGP', 'str'],
  ['weight', 'MaP', 'u32'],
  ['act', 'SGP', 'u32'],
  ['bck', 'SGP', 'u32'],
  ['chkfail', 'MCP', 'u64'],
  ['chkdown', 'MCP', 'u64'],
  ['lastchg', 'MAP', 'u32'],
  ['downtime', 'MCP', 'u32'],
  ['qlimit', 'CLP', 'u32'],
  ['pid', 'KGP', 'u32'],
  ['iid', 'KGS', 'u32'],
  ['sid', 'KGS', 'u32'],
  ['throttle', 'MaP', 'u32'],
  ['lbtot', 'MCP', 'u64'],
  ['tracked', 'CNS', 'str'],
  ['type', 'CGS', 'u32'],
  ['rate', 'MRP', 'u32'],
  ['rate_lim', 'CLP', 'u32'],
  ['rate_max', 'MMP', 'u32'],
  ['check_status', 'MOP', 'str'],
  ['check_code', 'MOP', 'u32'],
  ['check_duration', 'MDP', 'u64'],
  ['hrsp_1xx', 'MCP', 'u64'],
  ['hrsp_2xx', 'MCP', 'u64'],
  ['hrsp_3xx', 'MCP', 'u64'],
  ['hrsp_4xx', 'MCP', 'u64'],
  ['hrsp_5xx', 'MCP', 'u64'],
  ['hrsp_other', 'MCP', 'u64'],
  ['hanafail', 'MCP', 'u64'],
  ['req_rate', 'MRP', 'u32'],
  ['req_rate_max', 'MMP', 'u32'],
  ['req_tot', 'MCP', 'u64'],
  ['cli_abrt', 'MCP', 'u64'],
  ['srv_abrt', 'MCP', 'u64'],
  ['comp_in', 'MCP', 'u64'],
  ['comp_out', 'MCP', 'u64'],
  ['comp_byp', 'MCP', 'u64'],
  ['comp_rsp', 'MCP', 'u64'],
  ['lastsess', 'MAP', 's32'],
  ['last_chk', 'MOP', 'str'],
  ['last_agt', 'MOP', 'str'],
  ['qtime', 'MaP', 'u32'],
  ['ctime', 'MaP', 'u32'],
  ['rtime', 'MaP', 'u32'],
  ['ttime', 'MaP', 'u32'],
  ['agent_status', 'MOP', 'str'],
  ['agent_code', 'MOP', 'u32'],
  ['agent_duration', 'MDP', 'u64'],
  ['check_desc', 'MOP', 'str'],
  ['agent_desc', 'MOP', 'str'],
  ['check_rise', 'CGS', 'u32'],
  ['check_fall', 'CGS', 'u32'],
  ['check_health', 'CGS', 'u32'],
  ['agent_rise', 'CGS', 'u32'],
  ['agent_fall', 'CGS', 'u32'],
  ['agent_health', 'CGS', 'u32'],
  ['addr', 'CGS', 'str'],
  ['cookie', 'CNS', 'str'],
  ['mode', 'CGS', 'str'],
  ['algo', 'CGS', 'str'],
  ['conn_rate', 'MRP', 'u32'],
  ['conn_rate_max', 'MMP', 'u32'],
  ['conn_tot', 'MCP', 'u64'],
  ['intercepted', 'MCP', 'u64'],
  ['dcon', 'MCP', 'u64'],
  ['dses', 'MCP', 'u64'],
  ['wrew', 'MCP', 'u64'],
  ['connect', 'MCP', 'u64'],
  ['reuse', 'MCP', 'u64'],
  ['cache_lookups', 'MCP', 'u64'],
  ['cache_hits', 'MCP', 'u64'],
  ['srv_icur', 'MGP', 'u32'],
  ['src_ilim', 'CLP', 'u32'],
  ['qtime_max', 'MMP', 'u32'],
  ['ctime_max', 'MMP', 'u32'],
  ['rtime_max', 'MMP', 'u32'],
  ['ttime_max', 'MMP', 'u32'],
  ['eint', 'MCP', 'u64'],
  ['idle_conn_cur', 'MGP', 'u32'],
  ['safe_conn_cur', 'MGP', 'u32'],
  ['used_conn_cur', 'MGP', 'u32'],
  ['need_conn_est', 'MGP', 'u32'],
  ['uweight', 'MaP', 'u32'],
  ['agg_server_status', 'MGP', 'u32'],
  ['agg_server_check_status', 'MGP', 'u32'],
  ['agg_check_status', 'MGP', 'u32'],
  ['ssl_sess', 'MCP', 'u64'],
  ['ssl_reused_sess', 'MCP', 'u64'],
  ['ssl_failed_handshake', 'MCP', 'u64'],
  ['h2_headers_rcvd', 'MCP', 'u64'],
  ['h2_data_rcvd', 'MCP', 'u64'],
  ['h2_settings_rcvd', 'MCP', 'u64'],
  ['h2_rst_stream_rcvd', 'MCP', 'u64'],
  ['h2_goaway_rcvd', 'MCP', 'u64'],
  ['h2_detected_conn_protocol_errors', 'MCP', 'u64'],
  ['h2_detected_strm_protocol_errors', 'MCP', 'u64'],
  ['h2_rst_stream_resp', 'MCP', 'u64'],
  ['h2_goaway_resp', 'MCP', 'u64'],
  ['h2_open_connections', 'MGP', 'u64'],
  ['h2_backend_open_streams', 'MGP', 'u64'],
  ['h2_total_connections', 'MCP', 'u64'],
  ['h2_backend_total_streams', 'MCP', 'u64'],
  ['h1_open_connections', 'MGP', 'u64'],
  ['h1_open_streams', 'MGP', 'u64'],
  ['h1_total_connections', 'MCP', 'u64'],
  ['h1_total_streams', 'MCP', 'u64'],
  ['h1_bytes_in', 'MCP', 'u64'],
  ['h1_bytes_out', 'MCP', 'u64'],
  ['h1_spliced_bytes_in', 'MCP', 'u64'],
  ['h1_spliced_bytes_out', 'MCP', 'u64'],
];

/** Number of base (non-module) fields: positions 0..102. */
export const BASE_FIELDS = 103;

/** Position of each field by name. */
export const POS: Readonly<Record<string, number>> = Object.fromEntries(FIELDS.map((f, i) => [f[0], i]));

/** The CSV header line exactly as HAProxy 2.6 prints it (with the `-` module separator and trailing comma). */
export const CSV_HEADER = `# ${FIELDS.slice(0, BASE_FIELDS)
  .map((f) => f[0])
  .join(',')},-,${FIELDS.slice(BASE_FIELDS)
  .map((f) => f[0])
  .join(',')},`;

const ORIGIN: Record<string, string> = { M: 'Metric', S: 'Status', K: 'Key', C: 'Config', P: 'Product' };
const NATURE: Record<string, string> = {
  G: 'Gauge',
  L: 'Limit',
  m: 'Min',
  M: 'Max',
  R: 'Rate',
  C: 'Counter',
  D: 'Duration',
  a: 'Avg',
  A: 'Age',
  T: 'Time',
  N: 'Name',
  O: 'Output',
};
const SCOPE: Record<string, string> = { P: 'Process', S: 'Service', s: 'System', C: 'Cluster' };

/** Fields whose tags HAProxy prints differently on BACKEND rows (aggregates there). */
const BACKEND_TAGS: Record<string, string> = { act: 'MGP', bck: 'MGP', rate: 'MGP', rate_max: 'MGP' };

/** Tags of field `pos` on a row of `type` (0 frontend, 1 backend, 2 server). */
export function fieldTags(pos: number, type: number): string {
  const f = FIELDS[pos];
  return (type === 1 && BACKEND_TAGS[f[0]]) || f[1];
}

/** JSON `tags` object for a tag string like `MCP`. */
export function jsonTags(tags: string): { origin: string; nature: string; scope: string } {
  return {
    origin: ORIGIN[tags[0]] ?? 'Unknown',
    nature: NATURE[tags[1]] ?? 'Unknown',
    scope: SCOPE[tags[2]] ?? 'Unknown',
  };
}
