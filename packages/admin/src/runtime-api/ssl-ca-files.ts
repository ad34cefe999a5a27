/**
 * Runtime API CA and CRL file commands of HAProxy 2.6 (management.txt "new|set|commit|abort|del
 * ssl ca-file|crl-file", "show ssl ca-file|crl-file [<name>[:<index>]]"; src/ssl_ckch.c): one
 * transaction per kind, replies as haproxy prints them. A commit rebuilds every bind and server
 * using the file: new handshakes verify with the new CAs/CRLs without a reload.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CaFile, type CaKind, type CaStore, readCaPem } from '@switchyard/proxy';
import { crlText } from './crl-text.ts';
import { certLines } from './ssl-cert-text.ts';

/** What the replies call each kind. */
const WORD: Record<CaKind, string> = { ca: 'CA', crl: 'CRL' };

/** One transaction per kind, as haproxy's cafile_transaction and crlfile_transaction. */
const transactions = new WeakMap<CaStore, Partial<Record<CaKind, { path: string; file: CaFile }>>>();

function pending(store: CaStore): Partial<Record<CaKind, { path: string; file: CaFile }>> {
  let t = transactions.get(store);
  if (!t) {
    t = {};
    transactions.set(store, t);
  }
  return t;
}

function newFile(store: CaStore, kind: CaKind, name: string): string {
  const w = WORD[kind];
  if (store.files.has(name)) return `${w} file '${name}' already exists!\n`;
  store.files.set(name, { path: name, kind, pem: '', certs: [], crls: [] });
  return `New ${w} file created '${name}'!\n`;
}

function setFile(store: CaStore, kind: CaKind, name: string, payload: string): string {
  const w = WORD[kind];
  const fail = (why: string) => `${why}\nCan't update ${name}!\n`;
  const t = pending(store);
  const own = t[kind];
  if (own && own.path !== name)
    return fail(`The ongoing transaction is about '${own.path}' but you are trying to set '${name}'`);
  const f = store.files.get(name);
  if (!f || f.kind !== kind) return fail(`Can't replace a ${w} file which is not referenced by the configuration!`);
  const file = readCaPem(name, kind, payload);
  if (!file) return fail('Invalid payload');
  t[kind] = { path: name, file };
  return `transaction ${own ? 'updated' : 'created'} for ${w} ${name}!\n`;
}

function commitFile(store: CaStore, kind: CaKind, name: string): string {
  const t = pending(store);
  const own = t[kind];
  if (!own) return `No ongoing transaction! !\nCan't commit ${name}!\n`;
  if (own.path !== name)
    return `The ongoing transaction is about '${own.path}' but you are trying to set '${name}'\nCan't commit ${name}!\n`;
  let n: number;
  try {
    n = store.commit(own.file);
  } catch (e) {
    return `Committing ${name}\n${(e as Error).message}\nFailed!\n`;
  }
  t[kind] = undefined;
  return `Committing ${name}${'.'.repeat(n)}\nSuccess!\n`;
}

function abortFile(store: CaStore, kind: CaKind, name: string): string {
  const t = pending(store);
  const own = t[kind];
  if (!own) return 'No ongoing transaction!\n';
  if (own.path !== name)
    return `The ongoing transaction is about '${own.path}' but you are trying to abort a transaction for '${name}'\n`;
  t[kind] = undefined;
  return `Transaction aborted for certificate '${name}'!\n`;
}

function delFile(store: CaStore, kind: CaKind, name: string): string {
  const w = WORD[kind];
  const f = store.files.get(name);
  if (!f || f.kind !== kind) return `Can't remove the ${w} file: ${w} file '${name}' doesn't exist!\n\n`;
  if (store.uses(name) > 0) return `Can't remove the ${w} file: ${w} file '${name}' in use, can't be deleted!\n\n`;
  store.files.delete(name);
  return `${w} file '${name}' deleted!\n`;
}

/** `@system-ca`: OpenSSL's default certificate directory, as haproxy 2.6 loads it to list it. */
let systemCa: number | undefined;
function systemCaCount(): number {
  if (systemCa !== undefined) return systemCa;
  const dir = process.env.SSL_CERT_DIR ?? '/usr/lib/ssl/certs';
  const seen = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // no directory: an empty store
  }
  for (const n of names) {
    let text: string;
    try {
      text = readFileSync(join(dir, n), 'utf8');
    } catch {
      continue;
    }
    for (const c of readCaPem(n, 'ca', text)?.certs ?? []) seen.add(c.fingerprint256);
  }
  systemCa = seen.size;
  return systemCa;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `show ssl ca-file|crl-file`: the transaction, then every file of the kind in haproxy's (byte) order. */
function listFiles(store: CaStore, kind: CaKind): string {
  const count = (f: CaFile) => (kind === 'ca' ? ` - ${f.certs.length} certificate(s)` : '');
  const own = pending(store)[kind];
  let out = own ? `# transaction\n*${own.path}${count(own.file)}\n` : '';
  out += '# filename\n';
  const files = [...store.files.values()].filter((f) => f.kind === kind).sort((a, b) => byteOrder(a.path, b.path));
  for (const f of files) out += `${f.path}${count(f)}\n`;
  if (kind === 'ca') out += `@system-ca - ${systemCaCount()} certificate(s)\n`;
  return out;
}

export function showFile(store: CaStore, kind: CaKind, arg: string | undefined): string {
  if (!arg) return listFiles(store, kind);
  const w = WORD[kind];
  let name = arg;
  let index: number | undefined;
  const colon = arg.lastIndexOf(':');
  if (colon >= 0) {
    const n = arg.slice(colon + 1);
    if (!/^\d+$/.test(n) || Number(n) === 0) return `wrong ${w} index after colons in '${arg}'!`;
    index = Number(n);
    name = arg.slice(0, colon);
  }
  const notFound = `Can't display the ${w} file : Not found!\n`;
  let file: CaFile | undefined;
  let used = false;
  if (name.startsWith('*')) {
    const own = pending(store)[kind];
    if (own?.path === name.slice(1)) file = own.file;
  } else {
    const f = store.files.get(name);
    if (f?.kind === kind) {
      file = f;
      used = store.uses(name) > 0;
    }
  }
  if (!file) return notFound;
  const items = kind === 'ca' ? file.certs.length : file.crls.length;
  if (index !== undefined && index > items) return '';
  let out = `Filename: ${name}\nStatus: ${used ? 'Used' : 'Unused'}\n`;
  for (let i = 1; i <= items; i++) {
    if (index !== undefined && i !== index) continue;
    if (kind === 'ca') out += ` \nCertificate #${i}:\n${certLines(file.certs[i - 1])}`;
    else {
      const text = crlText(file.crls[i - 1]);
      if (text === undefined) return `${out}Can't display CRL #${i}: it uses a form Switchyard cannot print\n`;
      out += ` \nCertificate Revocation List #${i}:\n${text}`;
    }
  }
  return out;
}

/** A CA/CRL change as the runtime API received it (what --workers sends to the other workers). */
export interface CaFileOp {
  cmd: 'abort' | 'commit' | 'new' | 'set' | 'del';
  kind: CaKind;
  name: string;
  payload?: string;
}

/** Runs a CA/CRL change on `store`; returns haproxy's reply. */
export function applyCaFileOp(store: CaStore, op: CaFileOp): string {
  switch (op.cmd) {
    case 'new':
      return newFile(store, op.kind, op.name);
    case 'set':
      return setFile(store, op.kind, op.name, op.payload ?? '');
    case 'commit':
      return commitFile(store, op.kind, op.name);
    case 'abort':
      return abortFile(store, op.kind, op.name);
    default:
      return delFile(store, op.kind, op.name);
  }
}
