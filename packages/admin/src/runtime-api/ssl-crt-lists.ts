/**
 * Runtime API crt-list commands of HAProxy 2.6 (management.txt "show ssl crt-list", "add ssl
 * crt-list", "del ssl crt-list", "del ssl cert"; src/ssl_crtlist.c, src/ssl_ckch.c), replies as
 * haproxy prints them. A `crt DIR` directory is a crt-list of its files. An added line is built
 * on every bind using the list at once (new handshakes can get it), with no reload.
 */
import type { CertStore, CrtListEntry, CrtListState } from '@switchyard/proxy';

/** Strips trailing slashes, as haproxy does with list names (including a lone `/`). */
function listName(arg: string): string {
  return arg.replace(/\/+$/, '');
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `show ssl crt-list [-n] [LIST]`: the list names, or one list's lines (`-n`: with line numbers). */
export function showCrtList(store: CertStore, args: string[]): string {
  const numbered = args[0] === '-n';
  const name = numbered ? args[1] : args[0];
  if (numbered && !name) return "'show ssl crt-list -n' expects a filename or a directory\n";
  if (!name)
    return [...store.lists.keys()]
      .sort(byteOrder)
      .map((p) => `${p}\n`)
      .join('');
  const list = store.lists.get(listName(name));
  if (!list) return "didn't find the specified filename\n";
  let out = `# ${list.path}\n`;
  for (const e of list.entries) {
    out += `${e.file}${numbered ? `:${e.line}` : ''}`;
    for (const f of e.filters) out += ` ${f}`;
    out += '\n';
  }
  return out;
}

/** One crt-list line as `add ssl crt-list LIST <<` takes it: `CERT [[options]] [filters...]`. */
function parseLine(line: string): { cert?: string; filters: string[] } | string {
  const m = /^\s*(\S*)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(line);
  if (!m) return `parsing [CLI:1]: cannot read the line '${line}'`;
  if (line.includes('[') && m[2] === undefined) return "parsing [CLI:1]: '[' without its closing ']'";
  if ((m[2] ?? '').trim() !== '')
    return `per-certificate SSL options '[${m[2].trim()}]' are not supported by Switchyard (Node applies versions, ciphers and verification per listener): put them on the 'bind' line`;
  return { cert: m[1] || undefined, filters: m[3].split(/\s+/).filter((f) => f !== '') };
}

/**
 * `add ssl crt-list LIST CERT` or `add ssl crt-list LIST <<` + one line: checks as
 * cli_parse_add_crtlist, then builds the certificate on every bind using the list.
 */
export function addCrtList(store: CertStore, args: string[], payload: string | undefined, crtBase?: string): string {
  const fail = (err: string) => `Can't edit the crt-list: ${err}\n`;
  if (!args[0] || (payload === undefined && !args[1]))
    return "'add ssl crtlist' expects a filename and a certificate name\n";
  const name = listName(args[0]);
  const list = store.lists.get(name);
  if (!list) return fail(`crt-list '${name}' does not exist!`);
  let cert: string | undefined = args[1];
  let filters: string[] = [];
  if (payload !== undefined) {
    if (payload.includes('\n')) return fail('only one line of payload is supported!');
    const line = parseLine(payload);
    if (typeof line === 'string') return fail(line);
    cert = line.cert;
    filters = line.filters;
  }
  if (!cert) return fail("'add ssl crtlist' should contain the certificate name in the payload");
  if (list.dir && cert.slice(0, cert.lastIndexOf('/')) !== list.path)
    return fail(`'${list.path}' is a directory, certificate path '${cert}' must contain the directory path`);
  if (!cert.startsWith('/') && crtBase) cert = `${crtBase}/${cert}`;
  const file = store.files.get(cert);
  if (!file) return fail(`certificate '${cert}' does not exist!`);
  if (!file.parts.cert) return fail(`certificate '${cert}' is empty!`);
  if (list.dir && list.entries.some((e) => e.file === cert)) return fail('file already exists in this directory!');
  if (list.dir && filters.length) return fail('this is a directory, SSL configuration and filters are not allowed');
  const head = `Inserting certificate '${cert}' in crt-list '${list.path}'`;
  let n: number;
  try {
    n = store.addToList(list, file, filters);
  } catch (e) {
    return `${head}\n${(e as Error).message}\nFailed!\n`;
  }
  return `${head}${'.'.repeat(n)}\nSuccess!\n`;
}

/** The line `del ssl crt-list` names (CERT or CERT:LINE), or haproxy's reason. */
function pickEntry(list: CrtListState, cert: string, line: number): CrtListEntry | string {
  const same = list.entries.filter((e) => e.file === cert);
  if (same.length === 0) return `certificate '${cert}' can't be found in crt-list '${list.path}'!`;
  const lines = same.map((e) => e.line).join(', ');
  const entry = same.find((e) => line === 0 || e.line === line);
  if (!entry)
    return `found a certificate '${cert}' but the line number is incorrect, please specify a correct line number preceded by colons (${lines})!`;
  if (line === 0 && same.length > 1)
    return `found the certificate '${cert}' in several entries, please specify a line number preceded by colons (${lines})!`;
  return entry;
}

/** `del ssl crt-list LIST CERT[:LINE]`: refused while the line is a bind's default certificate. */
export function delCrtList(store: CertStore, args: string[]): string {
  const fail = (err: string) => `Can't delete the entry: ${err}\n`;
  if (!args[0] || !args[1]) return "'del ssl crtlist' expects a filename and a certificate name\n";
  let cert = args[1];
  let line = 0;
  const colon = cert.indexOf(':');
  if (colon >= 0) {
    const num = cert.slice(colon + 1);
    const m = /^[+-]?\d+/.exec(num);
    if (!m || m[0] !== num) return fail(`wrong line number after colons in '${cert}'!`);
    line = Number(num);
    cert = cert.slice(0, colon);
  }
  const name = listName(args[0]);
  const list = store.lists.get(name);
  if (!list) return fail(`crt-list '${name}' does not exist!`);
  const file = store.files.get(cert);
  if (!file) return fail(`certificate '${cert}' does not exist!`);
  if (!file.parts.cert) return fail(`certificate '${cert}' is empty!`);
  const entry = pickEntry(list, cert, line);
  if (typeof entry === 'string') return fail(entry);
  const defaults = list.plans.filter((p) => !p.strictSni && p.certs[0]?.entry === entry);
  if (defaults.length) {
    let err = `certificate '${cert}' cannot be deleted, it is used as default certificate by the following frontends:\n`;
    for (const p of defaults) err += `\t- ${p.loc?.file ?? ''}:${p.loc?.line ?? 0}\n`;
    return fail(err);
  }
  store.removeFromList(list, entry);
  return `Entry '${cert}' deleted in crtlist '${name}'!\n`;
}

/** `del ssl cert FILE`: only a file no bind uses (a `new ssl cert` one, or one taken off its lists). */
export function delCert(store: CertStore, name: string): string {
  const fail = (err: string) => `Can't remove the certificate: ${err}\n`;
  const f = store.files.get(name);
  if (!f) return fail(`certificate '${name}' doesn't exist!\n`);
  if (f.plans.length > 0) return fail(`certificate '${name}' in use, can't be deleted!\n`);
  store.files.delete(name);
  return `Certificate '${name}' deleted!\n`;
}
