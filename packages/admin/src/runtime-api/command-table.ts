/**
 * The runtime API commands Switchyard implements, with HAProxy 2.6's usage lines, levels and
 * reply texts (checked against a real haproxy over its stats socket).
 */

import { type ProxyRuntime, type ServerState, serverConnections } from '@switchyard/proxy';
import { clearTable, setTable, showPeers, showTable, TableDirectory } from '@switchyard/state';
import { applyMaxconn, findServer, MSG, parseWeight } from '../actions.ts';
import { renderCsv } from '../stats/csv.ts';
import { renderJson, renderTyped } from '../stats/json.ts';
import { collectRows, type RowFilter } from '../stats/rows.ts';
import { renderCaches } from './caches.ts';
import { addServerCommand, delServerCommand } from './dynamic-servers.ts';
import { showErrors } from './errors.ts';
import { frontendCommand } from './frontends.ts';
import { MAP_COMMANDS } from './maps.ts';
import { showResolvers } from './resolvers.ts';
import { setServerRuntime, shutdownServerSessions, toggleChecks } from './server-runtime.ts';
import { renderServersConn, renderServersState } from './servers-state.ts';
import { showSess, shutdownSession } from './sessions.ts';
import { infoFields, renderInfo } from './show-info.ts';
import { SSL_CA_COMMANDS } from './ssl-ca-commands.ts';
import { SSL_CERT_COMMANDS } from './ssl-certs.ts';
import { type CliContext, type Command, RANK } from './types.ts';
import { renderVrrp, setVrrpState } from './vrrp.ts';

const ORIGIN = 'api';

function statFilter(args: string[]): { filter: RowFilter; format: 'csv' | 'json' | 'typed' } {
  const filter: RowFilter = {};
  let format: 'csv' | 'json' | 'typed' = 'csv';
  const nums: string[] = [];
  for (const a of args) {
    if (a === 'json') format = 'json';
    else if (a === 'typed') format = 'typed';
    else if (a === 'up') filter.upOnly = true;
    else if (a === 'no-maint') filter.noMaint = true;
    else if (/^-?\d+$/.test(a)) nums.push(a);
    else if (nums.length > 0 && nums.length < 3) nums.push(a);
  }
  // `show stat IID TYPE SID`: HAProxy reads non-numbers as 0 (matching nothing) like atoi()
  if (nums.length >= 3) {
    const n = nums.map((x) => Number.parseInt(x, 10) || 0);
    filter.iid = n[0];
    filter.types = n[1];
    filter.sid = n[2];
  }
  return { filter, format };
}

/** The stick tables, or an empty directory when the state layer is not wired (no tables). */
function tablesOf(ctx: CliContext): TableDirectory {
  return ctx.tables?.() ?? NO_TABLES;
}
const NO_TABLES = new TableDirectory();

function needArgsServer(ctx: CliContext, arg: string | undefined) {
  return findServer(ctx.runtime(), arg);
}

/** Every command, in HAProxy's help order (by words). */
const ALL_COMMANDS: Command[] = [
  ...MAP_COMMANDS,
  ...SSL_CERT_COMMANDS,
  ...SSL_CA_COMMANDS,
  {
    words: ['add', 'server'],
    usage: 'add server <bk>/<srv>',
    desc: 'create a new server',
    level: 'admin',
    run: addServerCommand,
  },
  {
    words: ['clear', 'counters'],
    usage: 'clear counters [all]',
    desc: 'clear max statistics counters (or all counters)',
    level: 'operator',
    run(args, ctx, sess) {
      const all = args[0] === 'all';
      if (all && RANK[sess.level] < RANK.admin) return `${MSG.permissionDenied}\n`;
      if (ctx.control.clearCounters) ctx.control.clearCounters(ctx.runtime(), all);
      else clearCounters(ctx.runtime(), all);
      return '';
    },
  },
  {
    words: ['clear', 'table'],
    usage: 'clear table <table> [<filter>]*',
    desc: 'remove an entry from a table (filter: data/key)',
    level: 'operator',
    run(args, ctx) {
      return clearTable(tablesOf(ctx), args);
    },
  },
  {
    words: ['del', 'server'],
    usage: 'del server <bk>/<srv>',
    desc: 'remove a dynamically added server',
    level: 'admin',
    run: delServerCommand,
  },
  {
    words: ['disable', 'agent'],
    usage: 'disable agent',
    desc: 'disable agent checks',
    level: 'admin',
    run: (args, ctx) => toggleChecks(ctx, args, 'agent', false),
  },
  {
    words: ['disable', 'frontend'],
    usage: 'disable frontend <frontend>',
    desc: 'temporarily disable specific frontend',
    level: 'admin',
    run: (args, ctx) => frontendCommand(ctx, args, 'paused'),
  },
  {
    words: ['disable', 'health'],
    usage: 'disable health',
    desc: 'disable health checks',
    level: 'admin',
    run: (args, ctx) => toggleChecks(ctx, args, 'health', false),
  },
  {
    words: ['enable', 'agent'],
    usage: 'enable agent',
    desc: 'enable agent checks',
    level: 'admin',
    run: (args, ctx) => toggleChecks(ctx, args, 'agent', true),
  },
  {
    words: ['enable', 'frontend'],
    usage: 'enable frontend <frontend>',
    desc: 're-enable specific frontend',
    level: 'admin',
    run: (args, ctx) => frontendCommand(ctx, args, 'ready'),
  },
  {
    words: ['enable', 'health'],
    usage: 'enable health',
    desc: 'enable health checks',
    level: 'admin',
    run: (args, ctx) => toggleChecks(ctx, args, 'health', true),
  },
  {
    words: ['shutdown', 'frontend'],
    usage: 'shutdown frontend <frontend>',
    desc: 'stop a specific frontend',
    level: 'admin',
    run: (args, ctx) => frontendCommand(ctx, args, 'stopped'),
  },
  {
    words: ['shutdown', 'session'],
    usage: 'shutdown session [id]',
    desc: 'kill a specific session',
    level: 'admin',
    run: (args) => shutdownSession(args),
  },
  {
    words: ['shutdown', 'sessions', 'server'],
    usage: 'shutdown sessions server <bk>/<srv>',
    desc: 'kill sessions on a server',
    level: 'admin',
    run: (args, ctx) => shutdownServerSessions(ctx, args),
  },
  {
    words: ['disable', 'server'],
    usage: 'disable server (DEPRECATED)',
    desc: "disable a server for maintenance (use 'set server' instead)",
    level: 'admin',
    run(args, ctx) {
      const { be, s } = needArgsServer(ctx, args[0]);
      ctx.control.setServerAdmin(ctx.runtime(), be, s, 'MAINT', ORIGIN);
      return '';
    },
  },
  {
    words: ['enable', 'server'],
    usage: 'enable server  (DEPRECATED)',
    desc: "enable a disabled server (use 'set server' instead)",
    level: 'admin',
    run(args, ctx) {
      const { be, s } = needArgsServer(ctx, args[0]);
      if (s.admin === 'MAINT') ctx.control.setServerAdmin(ctx.runtime(), be, s, 'READY', ORIGIN);
      return '';
    },
  },
  {
    words: ['get', 'weight'],
    usage: 'get weight <bk>/<srv>',
    desc: "report a server's current weight",
    level: 'user',
    run(args, ctx) {
      const { s } = needArgsServer(ctx, args[0]);
      return `${s.weight} (initial ${s.initialWeight})\n`;
    },
  },
  {
    words: ['operator'],
    usage: 'operator',
    desc: 'lower the level of the current CLI session to operator',
    level: 'operator',
    run(_a, _c, sess) {
      sess.level = 'operator';
      return '';
    },
  },
  {
    words: ['set', 'maxconn', 'server'],
    usage: 'set maxconn server <bk>/<srv>',
    desc: "change a server's maxconn setting",
    level: 'admin',
    run(args, ctx) {
      const { be, s } = needArgsServer(ctx, args[0]);
      const v = args[1];
      if (v === undefined || v === '') return 'Require <maxconn>.\n';
      // HAProxy's replies, without the final newline as it prints them
      if (!/^\d/.test(v)) return 'maxconn string empty or preceded by garbage';
      if (!/^\d+$/.test(v)) return 'Trailing garbage in maxconn string';
      applyMaxconn(ctx.control, ctx.runtime(), be, s, Number(v), ORIGIN);
      return '';
    },
  },
  {
    words: ['set', 'server'],
    usage: 'set server <bk>/<srv> [opts]',
    desc: "change a server's state, weight, address or ssl",
    level: 'admin',
    run(args, ctx) {
      const { be, s } = needArgsServer(ctx, args[0]);
      const rt = ctx.runtime();
      const what = args[1];
      if (what === 'state') {
        const st = args[2];
        const admin = st === 'ready' ? 'READY' : st === 'drain' ? 'DRAIN' : st === 'maint' ? 'MAINT' : undefined;
        if (!admin) return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
        ctx.control.setServerAdmin(rt, be, s, admin, ORIGIN);
        return '';
      }
      if (what === 'weight') {
        ctx.control.setServerWeight(rt, be, s, parseWeight(be, s, args[2]), ORIGIN);
        return '';
      }
      const done = what === undefined ? undefined : setServerRuntime(ctx, be, s, what, args.slice(2));
      if (done !== undefined) return done;
      const known = ['agent-addr', 'agent-port', 'agent-send', 'check-addr', 'ssl'];
      if (what && known.includes(what)) {
        return `'set server <srv> ${what}' is not supported by Switchyard (supported: addr, agent, check-port, fqdn, health, state, weight).\n`;
      }
      return 'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n';
    },
  },
  {
    words: ['set', 'table'],
    usage: 'set table <table> key <k> [data.* <v>]*',
    desc: "update or create a table entry's data",
    level: 'operator',
    run(args, ctx) {
      return setTable(tablesOf(ctx), args);
    },
  },
  {
    words: ['set', 'timeout'],
    usage: 'set timeout [cli] <delay>',
    desc: 'change a timeout setting',
    level: 'user',
    run(args, _c, sess) {
      if (args[0] !== 'cli') return "'set timeout' only supports 'cli'.\n";
      const n = args[1] !== undefined && /^\d+$/.test(args[1]) ? Number(args[1]) : Number.NaN;
      if (!(n > 0)) return 'Invalid timeout value.\n';
      sess.timeoutMs = n * 1000;
      return '';
    },
  },
  {
    words: ['set', 'vrrp', 'state'],
    usage: 'set vrrp state <inst> <state>',
    desc: "record a VRRP instance's state (Switchyard extension, for the sidecar)",
    level: 'admin',
    run(args, ctx) {
      return setVrrpState(ctx.runtime(), args[0], args[1], ctx.control);
    },
  },
  {
    words: ['set', 'weight'],
    usage: 'set weight <bk>/<srv>  (DEPRECATED)',
    desc: "change a server's weight (use 'set server' instead)",
    level: 'admin',
    run(args, ctx) {
      const { be, s } = needArgsServer(ctx, args[0]);
      ctx.control.setServerWeight(ctx.runtime(), be, s, parseWeight(be, s, args[1]), ORIGIN);
      return '';
    },
  },
  {
    words: ['show', 'backend'],
    usage: 'show backend',
    desc: 'list backends in the current running config',
    level: 'user',
    run(_a, ctx) {
      return `# name\n${[...ctx.runtime().backends.keys()].map((n) => `${n}\n`).join('')}`;
    },
  },
  {
    words: ['show', 'cli', 'level'],
    usage: 'show cli level',
    desc: 'display the level of the current CLI session',
    level: 'user',
    run(_a, _c, sess) {
      return `${sess.level}\n`;
    },
  },
  {
    words: ['show', 'errors'],
    usage: 'show errors [<px>] [request|response]',
    desc: 'report last request and/or response errors for each proxy',
    level: 'operator',
    // the process answering's captures (under --workers: that worker's)
    run: (args, ctx) => showErrors(ctx.runtime(), args),
  },
  {
    words: ['show', 'info'],
    usage: 'show info [desc|json|typed|float]*',
    desc: 'report information about the running process',
    level: 'user',
    run(args, ctx) {
      const format = args.includes('json') ? 'json' : args.includes('typed') ? 'typed' : 'text';
      return renderInfo(infoFields(ctx.readRuntime ?? ctx.runtime(), ctx.info), format);
    },
  },
  {
    words: ['show', 'peers'],
    usage: 'show peers [dict|-] [section]',
    desc: 'dump some information about all the peers or this peers section',
    level: 'user',
    run(args, ctx) {
      // Switchyard's peers are the shared store and the nodes using it (packages/state store-status.ts)
      const rest = args.filter((a) => a !== 'dict' && a !== '-');
      return showPeers(tablesOf(ctx), rest);
    },
  },
  {
    words: ['show', 'resolvers'],
    usage: 'show resolvers [id]',
    desc: 'dumps counters from all resolvers section and associated name servers',
    level: 'user',
    // under --workers: the primary's counters (it resolves for the node)
    run: (args, ctx) => showResolvers(ctx.readRuntime ?? ctx.runtime(), args),
  },
  {
    words: ['show', 'servers', 'conn'],
    usage: 'show servers conn [<backend>]',
    desc: 'dump server connections status (all or for a single backend)',
    level: 'user',
    run(args, ctx) {
      const rt = ctx.readRuntime ?? ctx.runtime();
      const nbthread = rt.config.global.nbthread ?? 1;
      // pools are per process: under --workers, those of the worker answering
      const local = ctx.runtime();
      const conns = (s: ServerState) =>
        serverConnections(local.backends.get(s.backendName)?.serversByName.get(s.name) ?? s);
      if (args[0] !== undefined) {
        const be = rt.backends.get(args[0]);
        if (!be) return "Can't find backend.\n";
        return renderServersConn([be], nbthread, conns);
      }
      return renderServersConn(rt.backends.values(), nbthread, conns);
    },
  },
  {
    words: ['show', 'servers', 'state'],
    usage: 'show servers state [<backend>]',
    desc: 'dump volatile server information (all or for a single backend)',
    level: 'user',
    run(args, ctx) {
      const rt = ctx.readRuntime ?? ctx.runtime();
      if (args[0] !== undefined) {
        const be = rt.backends.get(args[0]);
        if (!be) return "Can't find backend.\n";
        return renderServersState([be]);
      }
      return renderServersState(rt.backends.values());
    },
  },
  {
    words: ['show', 'sess'],
    usage: 'show sess [id]',
    desc: 'report the list of current sessions or dump this exact session',
    level: 'operator',
    // the streams of the process answering (under --workers: that worker's)
    run: (args) => showSess(args),
  },
  {
    words: ['show', 'stat'],
    usage: 'show stat [desc|json|no-maint|typed|up]*',
    desc: 'report counters for each proxy and server',
    level: 'user',
    run(args, ctx) {
      const { filter, format } = statFilter(args);
      const rows = collectRows(ctx.readRuntime ?? ctx.runtime(), filter);
      return format === 'json' ? renderJson(rows) : format === 'typed' ? renderTyped(rows) : renderCsv(rows);
    },
  },
  {
    words: ['show', 'cache'],
    usage: 'show cache',
    desc: 'show cache status',
    level: 'admin',
    run(_a, ctx) {
      return renderCaches(ctx.runtime());
    },
  },
  {
    words: ['show', 'table'],
    usage: 'show table <table> [<filter>]*',
    desc: "report table usage stats or dump this table's contents (filter: data/key)",
    level: 'user',
    run(args, ctx, sess) {
      const out = showTable(tablesOf(ctx), args);
      // at level user HAProxy shows a table's header but not its entries
      if (args.length > 0 && RANK[sess.level] < RANK.operator && out.startsWith('# table:')) {
        return `${out.slice(0, out.indexOf('\n') + 1)}# contents not dumped due to insufficient privileges\n`;
      }
      return out;
    },
  },
  {
    words: ['show', 'version'],
    usage: 'show version',
    desc: 'show version of the current process',
    level: 'user',
    run(_a, ctx) {
      return `${ctx.info.version}\n`;
    },
  },
  {
    words: ['show', 'vrrp'],
    usage: 'show vrrp',
    desc: "show the VRRP instances' states reported by the sidecar (Switchyard extension)",
    level: 'user',
    run(_a, ctx) {
      return renderVrrp(ctx.runtime());
    },
  },
  {
    words: ['user'],
    usage: 'user',
    desc: 'lower the level of the current CLI session to user',
    level: 'user',
    run(_a, _c, sess) {
      sess.level = 'user';
      return '';
    },
  },
];

export const COMMANDS: Command[] = ALL_COMMANDS.sort((a, b) => (a.words.join(' ') < b.words.join(' ') ? -1 : 1));

/** `clear counters [all]` on this process's counters. */
export function clearCounters(rt: ProxyRuntime, all: boolean): void {
  const maxOnly = (c: { smax: number; rateMax: number; scur: number }) => {
    c.smax = c.scur;
    c.rateMax = 0;
  };
  for (const fe of rt.frontends.values()) {
    if (all) {
      const c = fe.counters;
      c.stot = c.bin = c.bout = c.dreq = c.dresp = c.ereq = c.eresp = c.reqTot = c.connTot = c.intercepted = 0;
      c.compIn = c.compOut = c.compByp = c.compRsp = c.cacheLookups = c.cacheHits = 0;
      c.hrsp.fill(0);
      c.hrspByCode.clear();
    }
    maxOnly(fe.counters);
  }
  for (const be of rt.backends.values()) {
    for (const c of [be.counters, ...be.servers.map((s) => s.counters)]) {
      if (all) {
        c.stot = c.bin = c.bout = c.dreq = c.dresp = c.eresp = c.reqTot = c.econ = c.wretr = c.wredis = c.lbtot = 0;
        c.cliAbrt = c.srvAbrt = c.ttimeSum = c.rtimeSum = c.ctimeSum = c.qtimeSum = c.timeSamples = 0;
        c.compIn = c.compOut = c.compByp = c.compRsp = c.cacheLookups = c.cacheHits = 0;
        c.hrsp.fill(0);
        c.hrspByCode.clear();
      }
      maxOnly(c);
      c.qmax = c.qcur;
    }
  }
}
