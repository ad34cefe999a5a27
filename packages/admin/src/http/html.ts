/**
 * The HTML stats page, in the spirit of HAProxy's: a header with process information and the
 * node's VRRP state, a legend, then one table per proxy with FRONTEND, server and BACKEND rows,
 * coloured by state with HAProxy's colours; with admin rights, checkboxes and an action form.
 */

import type { ProxyRuntime, ServerState } from '@switchyard/proxy';
import type { StoreStatus } from '@switchyard/state';
import { POS } from '../stats/fields.ts';
import type { StatRow, StatValue } from '../stats/rows.ts';
import { STATS_CSS } from './style.ts';

export interface PageOptions {
  version: string;
  pid: number;
  hideVersion: boolean;
  showLegends: boolean;
  /** Node name to show (`stats show-node`), or undefined. */
  node?: string;
  /** Global `description`, shown in the header when set. */
  description?: string;
  /** Refresh interval in seconds, undefined for none. */
  refresh?: number;
  /** Stats URI prefix (links to `;csv`, `;json`, ...). */
  uri: string;
  /** Admin rights for this request (`stats admin`). */
  admin: boolean;
  /** `;up` in effect. */
  upOnly: boolean;
  /** `;norefresh` in effect. */
  noRefresh: boolean;
  /** `;st=XXX` status to show. */
  status?: string;
  /** The shared state store (redis-url), when tables are shared. */
  store?: StoreStatus;
}

/** The header line of the shared state store: its state, where it is, the other nodes. */
function storeLine(s: StoreStatus, now: number): string {
  const active = s.peers.filter((p) => p.lastSeenMs < 5000).length;
  const sync = s.lastSync > 0 ? `last sync ${humanTime(Math.floor((now - s.lastSync) / 1000))} ago` : 'not synced yet';
  const err = s.state !== 'up' && s.lastError ? `, last error: ${s.lastError}` : '';
  return (
    `<b>shared state = </b> <span class="store store_${s.state}">Redis ${esc(s.kind)} ${esc(s.url)}: <b>${s.state.toUpperCase()}</b>` +
    `${s.endpoint ? ` at ${esc(s.endpoint)}` : ''}, cluster ${esc(s.cluster)}, ${active} other node${active === 1 ? '' : 's'}, ${sync}, ${s.outages} outage${s.outages === 1 ? '' : 's'}${esc(err)}</span><br>\n`
  );
}

const F = POS;

/** HTML-escapes text. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** HAProxy's human_time(): `3d4h`, `2h5m`, `1m2s`, `7s`. */
export function humanTime(sec: number): string {
  if (sec < 0) return '<NEVER>';
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The CSS class HAProxy gives a server row for its state (colour). */
export function serverRowClass(s: ServerState): string {
  const side = s.backup ? 'backup' : 'active';
  if (s.admin === 'MAINT') return 'maintain';
  if (s.op === 'UP' && s.admin === 'DRAIN') return `${side}_draining`;
  if (!s.checked) return s.op === 'UP' ? `${side}_no_check` : `${side}_down`;
  if (s.op === 'UP') {
    if (s.stopping) return `${side}_nolb`;
    return s.health < s.model.rise + s.model.fall - 1 ? `${side}_going_down` : `${side}_up`;
  }
  return s.health > 0 ? `${side}_going_up` : `${side}_down`;
}

const STATUS_TEXT: Record<string, [string, string]> = {
  DONE: ['active_up', 'Action processed successfully.'],
  PART: [
    'active_going_down',
    'Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).',
  ],
  NONE: ['active_going_down', 'Nothing has changed.'],
  ERRP: [
    'active_down',
    'Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>',
  ],
  EXCD: [
    'active_down',
    "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
  ],
  DENY: ['active_down', '<b>Action denied.</b>'],
  IVAL: ['active_down', '<b>Invalid requests (unsupported method or chunked encoded request).</b>'],
};

function cell(v: StatValue): string {
  return v === undefined ? '' : esc(v);
}

function num(row: StatRow, name: string): string {
  return cell(row.values[F[name]]);
}

function lastCheck(row: StatRow): string {
  const st = row.values[F.check_status];
  if (st === undefined) return '';
  const code = row.values[F.check_code];
  const dur = row.values[F.check_duration];
  let out = `${st}${code !== undefined ? `/${code}` : ''}`;
  if (dur !== undefined) out += ` in ${dur}ms`;
  return esc(out);
}

function statusCell(row: StatRow): string {
  const st = String(row.values[F.status] ?? '');
  if (row.type === 0) return esc(st);
  const chg = row.values[F.lastchg];
  return `${typeof chg === 'number' ? `${humanTime(chg)} ` : ''}${esc(st)}`;
}

function lastSess(row: StatRow): string {
  const v = row.values[F.lastsess];
  return typeof v === 'number' ? esc(humanTime(v)) : '';
}

function dataCells(row: StatRow): string {
  const fe = row.type === 0;
  const sv = row.type === 2;
  const c: string[] = [];
  // Queue
  c.push(num(row, 'qcur'), num(row, 'qmax'), sv ? num(row, 'qlimit') || '-' : '');
  // Session rate
  c.push(num(row, 'rate'), num(row, 'rate_max'), fe ? num(row, 'rate_lim') : '');
  // Sessions
  c.push(
    num(row, 'scur'),
    num(row, 'smax'),
    num(row, 'slim') || (sv ? '-' : ''),
    num(row, 'stot'),
    fe ? '' : num(row, 'lbtot'),
    fe ? '' : lastSess(row),
  );
  // Bytes
  c.push(num(row, 'bin'), num(row, 'bout'));
  // Denied
  c.push(num(row, 'dreq'), num(row, 'dresp'));
  // Errors
  c.push(num(row, 'ereq'), num(row, 'econ'), num(row, 'eresp'));
  // Warnings
  c.push(num(row, 'wretr'), num(row, 'wredis'));
  // Server
  const dt = row.values[F.downtime];
  c.push(
    statusCell(row),
    sv ? lastCheck(row) : '',
    fe ? '' : `${num(row, 'weight')}/${num(row, 'uweight')}`,
    fe ? '' : sv ? (row.values[F.act] ? 'Y' : '-') : num(row, 'act'),
    fe ? '' : sv ? (row.values[F.bck] ? 'Y' : '-') : num(row, 'bck'),
    sv ? num(row, 'chkfail') : '',
    fe ? '' : num(row, 'chkdown'),
    typeof dt === 'number' ? esc(humanTime(dt)) : '',
    sv ? (row.values[F.throttle] !== undefined ? `${num(row, 'throttle')} %` : '-') : '',
  );
  return c.map((x, i) => `<td${i === 18 || i === 19 ? ' class=ac' : ''}>${x}</td>`).join('');
}

const HEAD1 =
  '<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th>' +
  '<th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th>';
const HEAD2 =
  '<th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>' +
  '<th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th>' +
  '<th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th>' +
  '<th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>';

function nameCell(row: StatRow, legends: boolean): string {
  const label = row.type === 0 ? 'Frontend' : row.type === 1 ? 'Backend' : esc(row.svname);
  if (!legends || row.type !== 2 || !row.server) return `<td class=ac>${label}</td>`;
  const s = row.server;
  const tip = [`addr: ${s.host}:${s.port}`, `id: ${s.id}`, s.model.cookie ? `cookie: ${s.model.cookie}` : '']
    .filter(Boolean)
    .map(esc)
    .join('<br>');
  return `<td class=ac><u>${label}<div class=tips>${tip}</div></u></td>`;
}

function rowClass(row: StatRow): string {
  if (row.type === 0) return 'frontend';
  if (row.type === 1) return 'backend';
  return row.server ? serverRowClass(row.server) : 'active_no_check';
}

function proxyTable(name: string, iid: number, rows: StatRow[], o: PageOptions): string {
  const hasServers = rows.some((r) => r.type === 2);
  const admin = o.admin && hasServers;
  let t = `<table class="tbl" width="100%"><tr class="titre"><th class="pxname" width="10%"><a name="${esc(name)}"></a><a class=px href="#${esc(name)}">${esc(name)}</a></th><th class="empty" width="90%"></th></tr></table>\n`;
  if (admin) t += `<form method="post">`;
  t += `<table class="tbl" width="100%" data-proxy="${esc(name)}">\n<tr class="titre">`;
  if (admin) t += '<th rowspan=2 width=1><input type="checkbox" class="toggle-all"></th>';
  t += `<th rowspan=2></th>${HEAD1}</tr>\n<tr class="titre">${HEAD2}</tr>\n`;
  for (const r of rows) {
    const attrs = `class="${rowClass(r)}" data-row="${r.type === 0 ? 'FRONTEND' : r.type === 1 ? 'BACKEND' : esc(r.svname)}"`;
    t += `<tr ${attrs}>`;
    if (admin) {
      t += r.type === 2 ? `<td class=ac><input type="checkbox" name="s" value="${esc(r.svname)}"></td>` : '<td></td>';
    }
    t += `${nameCell(r, o.showLegends)}${dataCells(r)}</tr>\n`;
  }
  t += '</table>\n';
  if (admin) {
    t +=
      `Choose the action to perform on the checked servers : <select name=action>` +
      '<option value="">Choose an action</option><option value="ready">Set state to READY</option>' +
      '<option value="drain">Set state to DRAIN</option><option value="maint">Set state to MAINT</option>' +
      '<option value="weight">Set weight to (Switchyard)</option></select> ' +
      '<input type="text" name="w" size="4" maxlength="4" placeholder="weight"> ' +
      `<input type="hidden" name="b" value="#${iid}"><input type="submit" value="Apply"></form>\n`;
  }
  return `${t}<p>\n`;
}

const LEGEND = `<table class="lgd"><tr>
<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>
<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>
<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>
<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>
<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>
<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr><tr>
<td class="active_nolb"></td><td class="noborder" colspan="3">active UP, not taking new traffic (NOLB) &nbsp;</td></tr></table>
Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.`;

function suffix(o: PageOptions, extra = ''): string {
  return `${esc(o.uri)}${extra}${o.upOnly ? ';up' : ''}${o.noRefresh ? ';norefresh' : ''}`;
}

/** The whole page. */
export function renderPage(rt: ProxyRuntime, rows: StatRow[], o: PageOptions): string {
  const now = Date.now();
  const up = Math.floor((now - rt.startedAt) / 1000);
  let cur = 0;
  for (const fe of rt.frontends.values()) cur += fe.counters.scur;
  const title = o.hideVersion ? 'Statistics Report' : `Statistics Report for Switchyard`;
  const refresh = o.refresh && !o.noRefresh ? `<meta http-equiv="refresh" content="${o.refresh}">\n` : '';
  const vrrp =
    rt.vrrp.size === 0
      ? '<span class="vrrp">VRRP: not reported</span>'
      : [...rt.vrrp]
          .map(
            ([i, s]) =>
              `<span class="vrrp vrrp_${esc(s.toLowerCase())}" data-instance="${esc(i)}">VRRP ${esc(i)}: <b>${esc(s)}</b></span>`,
          )
          .join(' ');
  let h = `<!DOCTYPE html>\n<html><head><title>${esc(title)}${o.node ? ` on ${esc(o.node)}` : ''}</title>\n<meta charset="utf-8">\n${refresh}<style>${STATS_CSS}</style></head>\n<body>\n`;
  h += o.hideVersion ? '<h1>Switchyard</h1>\n' : `<h1>Switchyard version ${esc(o.version)}</h1>\n`;
  h += `<h2>Statistics Report for pid ${o.pid}${o.node ? ` on ${esc(o.node)}` : ''}</h2>\n<hr width="100%" class="hr">\n`;
  h += `<h3>&gt; General process information</h3>\n<table border=0><tr><td align="left" nowrap width="1%"><p>`;
  h += `<b>pid = </b> ${o.pid}<br>\n<b>uptime = </b> ${esc(humanTime(up))}<br>\n`;
  h += `<b>maxconn = </b> ${rt.config.global.maxconn ?? '-'}<br>\n<b>current conns = </b> ${cur}<br>\n`;
  if (o.node) h += `<b>node = </b> ${esc(o.node)}<br>\n`;
  if (o.description) h += `<b>description = </b> ${esc(o.description)}<br>\n`;
  if (rt.workers) {
    const w = rt.workers;
    h += `<b>workers = </b> ${w.asked}${w.answered < w.asked ? ` <span class="workers_missing">(${w.asked - w.answered} did not answer: their counters are left out)</span>` : ' (counters summed over all)'}<br>\n`;
  }
  if (o.store) h += storeLine(o.store, now);
  h += `<b>vrrp = </b> ${vrrp}<br>\n</td><td align="center" nowrap>${LEGEND}</td>`;
  h += `<td align="left" valign="top" nowrap width="1%"><b>Display option:</b><ul style="margin-top: 0.25em;">`;
  h += o.upOnly
    ? `<li><a href="${esc(o.uri)}${o.noRefresh ? ';norefresh' : ''}">Show all servers</a><br>\n`
    : `<li><a href="${esc(o.uri)};up${o.noRefresh ? ';norefresh' : ''}">Hide 'DOWN' servers</a><br>\n`;
  if (o.refresh) {
    h += o.noRefresh
      ? `<li><a href="${esc(o.uri)}${o.upOnly ? ';up' : ''}">Enable refresh</a><br>\n`
      : `<li><a href="${esc(o.uri)}${o.upOnly ? ';up' : ''};norefresh">Disable refresh</a><br>\n`;
  }
  h += `<li><a href="${suffix(o)}">Refresh now</a><br>\n<li><a href="${esc(o.uri)};csv">CSV export</a><br>\n`;
  h += `<li><a href="${esc(o.uri)};json">JSON export</a><br>\n</ul></td></tr></table>\n`;
  if (o.status) {
    const [cls, text] = STATUS_TEXT[o.status] ?? ['active_no_check', 'Unexpected result.'];
    h += `<p><div class=${cls} id="status-msg"><a class=lfsb href="${suffix(o)}" title="Remove this message">[X]</a> ${text}</div>\n`;
  }
  // group rows per proxy, keeping order
  const groups = new Map<string, { iid: number; rows: StatRow[] }>();
  for (const r of rows) {
    let g = groups.get(r.pxname);
    if (!g) groups.set(r.pxname, (g = { iid: r.iid, rows: [] }));
    g.rows.push(r);
  }
  h += '<p>\n';
  for (const [name, g] of groups) h += proxyTable(name, g.iid, g.rows, o);
  h +=
    '<script>for (const t of document.querySelectorAll("input.toggle-all")) t.addEventListener("click", () => { for (const c of t.closest("table").querySelectorAll("input[name=s]")) c.checked = t.checked; });</script>\n';
  return `${h}</body></html>\n`;
}
