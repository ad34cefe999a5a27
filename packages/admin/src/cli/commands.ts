/**
 * Runtime API commands (HAProxy's "stats socket" CLI): syntax, levels and reply texts as
 * HAProxy 2.6 prints them. A command returns its output text; the socket server adds the
 * trailing empty line and the prompt.
 */
import type { ProxyRuntime } from '@switchyard/proxy';
import { AdminError, applyMaxconn, findServer, MSG, parseWeight, type ServerControl } from '../actions.ts';
import { renderCsv } from '../stats/csv.ts';
import { renderJson, renderTyped } from '../stats/json.ts';
import { collectRows, type RowFilter } from '../stats/rows.ts';
import { renderServersState } from './servers-state.ts';
import { infoFields, type ProcessInfo, renderInfo } from './show-info.ts';
import { renderVrrp, setVrrpState } from './vrrp.ts';

export type CliLevel = 'user' | 'operator' | 'admin';
const RANK: Record<CliLevel, number> = { user: 0, operator: 1, admin: 2 };

/** Per-connection state. */
export interface CliSession {
  level: CliLevel;
  interactive: boolean;
  /** Idle timeout in ms (`set timeout cli`). */
  timeoutMs: number;
  quit: boolean;
}

/** What commands need from the running process. */
export interface CliContext {
  runtime(): ProxyRuntime;
  control: ServerControl;
  info: ProcessInfo;
}

interface Command {
  words: string[];
  usage: string;
  desc: string;
  level: CliLevel;
  run(args: string[], ctx: CliContext, sess: CliSession): string;
}

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

function needArgsServer(ctx: CliContext, arg: string | undefined) {
  return findServer(ctx.runtime(), arg);
}

const COMMANDS: Command[] = [
  {
    words: ['clear', 'counters'],
    usage: 'clear counters [all]',
    desc: 'clear max statistics counters (or all counters)',
    level: 'operator',
    run(args, ctx, sess) {
      const all = args[0] === 'all';
      if (all && RANK[sess.level] < RANK.admin) return `${MSG.permissionDenied}\n`;
      clearCounters(ctx.runtime(), all);
      return '';
    },
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
      const known = ['addr', 'agent', 'agent-addr', 'agent-port', 'agent-send', 'check-addr', 'check-port', 'fqdn'];
      if (what && (known.includes(what) || what === 'health' || what === 'ssl')) {
        return `'set server <srv> ${what}' is not supported by Switchyard (supported: state, weight).\n`;
      }
      return 'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n';
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
      return setVrrpState(ctx.runtime(), args[0], args[1]);
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
    words: ['show', 'info'],
    usage: 'show info [desc|json|typed|float]*',
    desc: 'report information about the running process',
    level: 'user',
    run(args, ctx) {
      const format = args.includes('json') ? 'json' : args.includes('typed') ? 'typed' : 'text';
      return renderInfo(infoFields(ctx.runtime(), ctx.info), format);
    },
  },
  {
    words: ['show', 'servers', 'state'],
    usage: 'show servers state [<backend>]',
    desc: 'dump volatile server information (all or for a single backend)',
    level: 'user',
    run(args, ctx) {
      const rt = ctx.runtime();
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
    usage: 'show sess',
    desc: 'report a summary of current sessions per frontend and server',
    level: 'operator',
    run(_a, ctx) {
      return renderSessSummary(ctx.runtime());
    },
  },
  {
    words: ['show', 'stat'],
    usage: 'show stat [desc|json|no-maint|typed|up]*',
    desc: 'report counters for each proxy and server',
    level: 'user',
    run(args, ctx) {
      const { filter, format } = statFilter(args);
      const rows = collectRows(ctx.runtime(), filter);
      return format === 'json' ? renderJson(rows) : format === 'typed' ? renderTyped(rows) : renderCsv(rows);
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

const TRAILER: Array<[string, string]> = [
  ['help [<command>]', 'list matching or all commands'],
  ['prompt', 'toggle interactive mode with prompt'],
  ['quit', 'disconnect'],
];

function helpLine(usage: string, desc: string): string {
  return `  ${usage.padEnd(40)}: ${desc}\n`;
}

function listing(title: string, cmds: Command[]): string {
  let out = `${title}\n`;
  for (const c of cmds) out += helpLine(c.usage, c.desc);
  for (const [u, d] of TRAILER) out += helpLine(u, d);
  return out;
}

/** Commands whose leading words match the words typed (HAProxy's "better match" list). */
function closest(words: string[]): Command[] {
  let best: Command[] = [];
  for (let n = Math.min(words.length, 3); n > 0; n--) {
    best = COMMANDS.filter((c) => words.slice(0, n).every((w, i) => c.words[i] === w));
    if (best.length > 0) return best;
  }
  // Nothing shares a word: suggest commands whose first word is closest in spelling
  const first = words[0] ?? '';
  const dist = (c: Command) => editDistance(first, c.words[0]);
  return [...COMMANDS].sort((a, b) => dist(a) - dist(b)).slice(0, 5);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** Splits one command (already cut at `;`) into words, honouring backslash escapes. */
export function splitWords(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i];
    if (ch === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      has = true;
    } else if (ch === ' ' || ch === '\t') {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Splits an input line into commands at unescaped `;`. */
export function splitCommands(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && i + 1 < line.length) {
      cur += ch + line[++i];
    } else if (ch === ';') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Runs one command and returns its output (without the trailing empty line). */
export function runCommand(ctx: CliContext, sess: CliSession, cmd: string): string {
  const words = splitWords(cmd);
  if (words.length === 0) return listing('Unknown command. Please enter one of the following commands only:', COMMANDS);
  if (words[0] === 'quit') {
    sess.quit = true;
    return '';
  }
  if (words[0] === 'prompt') {
    sess.interactive = !sess.interactive;
    return '';
  }
  if (words[0] === 'help') {
    const rest = words.slice(1);
    const matches = rest.length === 0 ? COMMANDS : COMMANDS.filter((c) => rest.every((w, i) => c.words[i] === w));
    return listing('The following commands are valid at this level:', matches.length > 0 ? matches : COMMANDS);
  }
  let found: Command | undefined;
  for (const c of COMMANDS) {
    if (c.words.length <= words.length && c.words.every((w, i) => words[i] === w)) {
      if (!found || c.words.length > found.words.length) found = c;
    }
  }
  if (!found) return listing('Unknown command, but maybe one of the following ones is a better match:', closest(words));
  if (RANK[sess.level] < RANK[found.level]) return `${MSG.permissionDenied}\n`;
  try {
    return found.run(words.slice(found.words.length), ctx, sess);
  } catch (e) {
    if (e instanceof AdminError) return e.bare ? e.message : `${e.message}\n`;
    // server-control refuses impossible values with a coded error (ServerControlError)
    if (e instanceof Error && e.name === 'ServerControlError') return `${e.message}\n`;
    throw e;
  }
}

function clearCounters(rt: ProxyRuntime, all: boolean): void {
  const maxOnly = (c: { smax: number; rateMax: number; scur: number }) => {
    c.smax = c.scur;
    c.rateMax = 0;
  };
  for (const fe of rt.frontends.values()) {
    if (all) {
      const c = fe.counters;
      c.stot = c.bin = c.bout = c.dreq = c.dresp = c.ereq = c.eresp = c.reqTot = c.connTot = c.intercepted = 0;
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
        c.hrsp.fill(0);
        c.hrspByCode.clear();
      }
      maxOnly(c);
      c.qmax = c.qcur;
    }
  }
}

function renderSessSummary(rt: ProxyRuntime): string {
  const lines: string[] = [];
  for (const fe of rt.frontends.values()) lines.push(`fe=${fe.name} cur=${fe.counters.scur} tot=${fe.counters.stot}`);
  for (const be of rt.backends.values()) {
    for (const s of be.servers) {
      lines.push(`be=${be.name} srv=${s.name} cur=${s.cur} queued=${s.queued} tot=${s.counters.stot}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
