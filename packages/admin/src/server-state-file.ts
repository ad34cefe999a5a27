/**
 * `server-state-file` / `load-server-state-from-file`: at start, each backend that asks for it
 * takes back its servers' state from the file an operator saved with `show servers state`
 * (format version 1), following haproxy 2.6's src/server_state.c step by step: the same
 * validation of every field, the same precedence of the configuration over the file (a weight
 * or a `disabled` changed in the file wins), the same warnings, word for word.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  type BackendRuntime,
  MAX_WEIGHT,
  type ProxyRuntime,
  type ServerState,
  setServerAdmin,
  setServerOp,
  setServerStopping,
  setServerWeight,
} from '@switchyard/proxy';
import { CHECK_STATUS_NUM } from './runtime-api/servers-state.ts';

/** haproxy's SRV_STATE_LINE_MAXLEN: fgets() reads at most 1999 characters of a line. */
const LINE_MAX = 2000;
const MIN_FIELDS = 20;
const MAX_FIELDS = 25;
const ORIGIN = 'state-file';
const FROM_STATE = 'changed from server-state after a reload';

const STATUS_NAME = new Map(Object.entries(CHECK_STATUS_NUM).map(([k, v]) => [v, k]));

/** What strerror() says for the errors a file open meets. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

interface StateLine {
  /** be_id be_name srv_id srv_name, then the version 1 fields from srv_addr on. */
  params: string[];
}

/** fgets() over the text: chunks of at most LINE_MAX-1 characters, each ending at a newline when one fits. */
function fgetsLines(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : Math.min(nl + 1, i + LINE_MAX - 1);
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/** C's strtol(): the leading integer, or undefined when there is none. */
function strtol(s: string | undefined): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s ?? '');
  return m ? Number(m[1]) : undefined;
}

/** srv_state_get_version(): 1, or 0 for an empty, truncated or other-version first line. */
function fileVersion(first: string | undefined): number {
  if (first === undefined) return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)\n$/.exec(first);
  return m && Number(m[1]) === 1 ? 1 : 0;
}

/** srv_state_parse_line(): the fields, 'skip' for blank and comment lines, 'bad' for a corrupted line. */
function parseLine(buf: string): string[] | 'skip' | 'bad' {
  if (buf.length === 0 || !buf.endsWith('\n')) return 'bad';
  const line = buf.slice(0, -1);
  let cur = 0;
  while (line[cur] === ' ' || line[cur] === '\t') cur++;
  if (cur >= line.length || line[cur] === '#') return 'skip';
  const params: string[] = [];
  while (cur < line.length && params.length < MAX_FIELDS) {
    while (cur < line.length && (line[cur] === ' ' || line[cur] === '\t')) cur++;
    let end = cur;
    while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end++;
    params.push(line.slice(cur, end));
    cur = end + 1;
  }
  return params.length < MIN_FIELDS ? 'bad' : params;
}

type Tree = Map<string, StateLine>;

/** Reads one state file into `tree` (key "be_name srv_name"); the warnings haproxy prints on the way. */
function loadFile(
  path: string,
  tree: Tree,
  warn: (m: string) => void,
  who: { global: true } | { global: false; be: BackendRuntime },
): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why = STRERROR[code] ?? code;
    if (who.global) warn(`config: Can't open global server state file '${path}': ${why}`);
    else warn(`Proxy '${who.be.name}': Can't open server state file '${path}': ${why}.`);
    return false;
  }
  const lines = fgetsLines(text);
  if (fileVersion(lines[0]) === 0) {
    if (who.global) warn(`config: Can't get version of the global server state file '${path}'.`);
    else warn(`Proxy '${who.be.name}': Can't get version of the server state file '${path}'.`);
    return false;
  }
  // haproxy counts from 1 at the line after the version
  for (let n = 1; n < lines.length; n++) {
    const params = parseLine(lines[n]);
    if (params === 'bad') {
      if (who.global) warn(`config: corrupted global server state file '${path}' at line ${n}.`);
      else warn(`Proxy '${who.be.name}': corrupted server state file '${path}' at line ${n}.`);
      return false;
    }
    if (params === 'skip') continue;
    let beName = params[1];
    if (!who.global) {
      const be = who.be;
      const idOk = (strtol(params[0]) ?? 0) === be.id;
      const nameOk = params[1] === be.name;
      if (!idOk && !nameOk) continue;
      if (!idOk) {
        warn(
          `Proxy '${be.name}': backend ID mismatch: from server state file: '${params[0]}', from running config '${be.id}'`,
        );
      } else if (!nameOk) {
        warn(
          `Proxy '${be.name}': backend name mismatch: from server state file: '${params[1]}', from running config '${be.name}'`,
        );
        // haproxy tests the file's 0/1 against PR_O_FORCED_ID (0x80): the line is always skipped
        if (((strtol(params[15]) ?? 0) & 0x80) === 0) continue;
      }
      beName = be.name;
    }
    const key = `${beName} ${params[3]}`;
    if (!tree.has(key)) tree.set(key, { params });
  }
  return true;
}

/** `server-state-base` + name, as srv_state_get_filepath(). */
function statePath(base: string | undefined, name: string): string {
  if (name.startsWith('/') || !base) return name;
  return `${base}${base.endsWith('/') ? '' : '/'}${name}`;
}

const ADMIN_VALID = new Set([0, 0x01, 0x04, 0x05, 0x0c, 0x08]);
const CHECK_BITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x10;

/** srv_state_srv_update(): validates the line's fields, then applies them to `s`. */
function applyLine(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, p: string[], warn: (m: string) => void): void {
  const f = p.slice(4);
  const bad: string[] = [];
  const num = (i: number, name: string, ok: (n: number) => boolean): number => {
    const n = strtol(f[i]);
    if (n === undefined || !ok(n)) bad.push(`, invalid ${name} value '${f[i]}'`);
    return n ?? 0;
  };
  const op = num(1, 'srv_op_state', (n) => n >= 0 && n <= 3);
  const rawAdmin = strtol(f[2]);
  // inherited and resolution states are recomputed, not restored
  const admin = (rawAdmin ?? 0) & ~(0x10 | 0x02 | 0x40 | 0x20);
  if (rawAdmin === undefined || !ADMIN_VALID.has(admin)) bad.push(`, invalid srv_admin_state value '${f[2]}'`);
  const uweight = num(3, 'srv_uweight', (n) => n >= 0 && n <= MAX_WEIGHT);
  const iweight = num(4, 'srv_iweight', (n) => n >= 0 && n <= MAX_WEIGHT);
  const since = num(5, 'srv_last_time_change', () => true);
  const status = num(6, 'srv_check_status', (n) => n < 21);
  num(7, 'srv_check_result', (n) => n >= 0 && n <= 4);
  num(8, 'srv_check_health', () => true);
  const checkState = num(9, 'srv_check_state', (n) => (n & ~CHECK_BITS) === 0);
  num(10, 'srv_agent_state', (n) => (n & ~CHECK_BITS) === 0);
  num(11, 'bk_f_forced_id', (n) => n === 0 || n === 1);
  num(12, 'srv_f_forced_id', (n) => n === 0 || n === 1);
  const fqdn = f[13];
  if (fqdn !== undefined && !fqdn.startsWith('-') && (fqdn.length > 255 || !/^[A-Za-z0-9._-]*$/.test(fqdn)))
    bad.push(`, invalid srv_fqdn value '${fqdn}'`);
  const port = f[14] !== undefined ? Number.parseInt(f[14], 10) : undefined;
  if (port !== undefined && port > 65535) bad.push(`, invalid srv_port value '${f[14]}'`);
  if (bad.length > 0) {
    warn(`server-state application failed for server '${be.name}/${s.name}'${bad.join('')}`);
    return;
  }
  const m = s.model;
  const now = Date.now();
  // the address is only kept for servers named by a host name, when `init-addr` tries `last` first
  const addr = f[0];
  if (addr !== '-' && isIP(addr) !== 0 && isIP(m.host) === 0 && (m.initAddr ?? 'last,libc').split(',')[0] === 'last') {
    s.host = addr;
    if (s.addressKnown === false && s.dnsMaint === '') {
      // it was waiting for the DNS (`init-addr last,none`): it has an address now
      s.addressKnown = true;
      s.dnsMaint = undefined;
      s.admin = s.maintBeforeDns ?? s.admin;
      s.maintBeforeDns = undefined;
    }
  }
  // operational state (haproxy's SRV_ST_STOPPED 0, STARTING 1, RUNNING 2, STOPPING 3)
  if (op === 0 || (op === 3 && m.fall === 1)) {
    s.health = 0;
    setServerOp(rt, be, s, 'DOWN', ORIGIN, FROM_STATE, now);
  } else if (op === 3) {
    s.health = Math.min(Math.max(s.health, m.rise), m.rise + m.fall - 2);
    setServerOp(rt, be, s, 'UP', ORIGIN, FROM_STATE, now);
    setServerStopping(rt, be, s, true, ORIGIN, FROM_STATE, now);
  } else {
    s.health = m.rise + m.fall - 1;
    setServerOp(rt, be, s, 'UP', ORIGIN, undefined, now);
  }
  // the configuration wins when its `disabled` changed; else the runtime's maintenance comes back
  const fileConfigMaint = (admin & 0x04) !== 0;
  if (fileConfigMaint !== m.disabled) {
    // the server already starts as its line in the file says
  } else if (admin & 0x01 && !m.disabled) setServerAdmin(rt, be, s, 'MAINT', ORIGIN, { now });
  else if (!(admin & 0x01) && m.disabled) setServerAdmin(rt, be, s, 'READY', ORIGIN, { now });
  // drain comes back unless it only came from a weight 0 that the file has changed since
  if (s.admin !== 'MAINT' && admin & 0x08 && (iweight > 0 || m.weight === 0))
    setServerAdmin(rt, be, s, 'DRAIN', ORIGIN, { now });
  s.lastChange = now - since * 1000;
  const statusName = STATUS_NAME.get(status);
  if (statusName && statusName !== 'INI' && statusName !== 'UNK' && s.checked) s.lastCheck = { status: statusName };
  // `disable health` is the one check change that comes back
  if (s.checked && checkState & 0x02 && !(checkState & 0x04)) s.checked = false;
  // the runtime weight comes back when the configured weight did not change
  if (iweight === m.weight) setServerWeight(rt, be, s, uweight, ORIGIN, now);
  if (port !== undefined && !Number.isNaN(port)) s.port = port;
}

/**
 * apply_server_state(): loads the global state file and the backends' own ones, applies each
 * server's line. `warn` gets haproxy's warnings (without the `[WARNING]` prefix) as they come,
 * between the state change lines the runtime logs.
 */
export function applyServerStateFiles(rt: ProxyRuntime, warn: (m: string) => void): void {
  const g = rt.config.global;
  const backends = [...rt.backends.values()].filter(
    (be) => be.servers.length > 0 && !be.model.disabled && (be.model.loadServerStateFromFile ?? 'none') !== 'none',
  );
  if (backends.length === 0) return;
  const global: Tree = new Map();
  let globalOk = false;
  if (g.serverStateFile !== undefined)
    globalOk = loadFile(statePath(g.serverStateBase, g.serverStateFile), global, warn, { global: true });
  for (const be of backends) {
    const local = be.model.loadServerStateFromFile === 'local';
    let tree = global;
    if (local) {
      tree = new Map();
      const name = be.model.serverStateFileName ?? be.name;
      if (!loadFile(statePath(g.serverStateBase, name), tree, warn, { global: false, be })) continue;
    } else if (!globalOk) continue;
    for (const s of be.servers) {
      const key = `${be.name} ${s.name}`;
      const line = tree.get(key);
      if (!line) continue;
      applyLine(rt, be, s, line.params, warn);
      tree.delete(key);
    }
    if (local)
      for (const l of tree.values())
        warn(`Proxy '${be.name}': can't find server '${l.params[3]}' in backend '${be.name}'`);
  }
}
