/**
 * Runtime API certificate commands of HAProxy 2.6 (management.txt "set ssl cert", "commit ssl
 * cert", "abort ssl cert", "new ssl cert", "show ssl cert"; src/ssl_ckch.c): one transaction at
 * a time per process, replies as haproxy prints them. A commit swaps the certificate on every
 * bind using the file without a reload.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import {
  type CaKind,
  type CertFile,
  type CertParts,
  CertStore,
  type ProxyRuntime,
  readIssuer,
  readPemParts,
  responseCertId,
} from '@switchyard/proxy';
import { inWorker } from './maps.ts';
import { applyCaFileOp, type CaFileOp } from './ssl-ca-files.ts';
import { certLines, dnOneLine } from './ssl-cert-text.ts';
import { addCrtList, delCert, delCrtList, showCrtList } from './ssl-crt-lists.ts';
import { responseText, setOcspResponse, showOcspResponses, strictBase64 } from './ssl-ocsp.ts';
import { type Command, RANK } from './types.ts';

/** Extensions `set ssl cert` takes as one part of the entry (haproxy's cert_exts). */
const SIDECARS = ['crt', 'key', 'ocsp', 'issuer', 'sctl'];

/** A runtime built without certificates (no `ssl` bind) answers as an empty store. */
const NO_CERTS = new CertStore();

export function certStoreOf(rt: ProxyRuntime): CertStore {
  return rt.certificates ?? NO_CERTS;
}

/** In a worker without a link sharing the change (an embedding): it would reach this worker only. */
function refusedUnderWorkers(cmd: string): string {
  return `'${cmd}' is not supported by Switchyard under --workers (each worker holds its own certificates): update the file and reload.\n`;
}

/** A private key from PEM text (PEM_read_bio_PrivateKey), or undefined. */
function readKey(text: string): { key: KeyObject; pem: string } | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/.exec(text);
  if (!m) return undefined;
  try {
    return { key: createPrivateKey(m[0]), pem: m[0] };
  } catch {
    return undefined;
  }
}

/**
 * The entry's parts after `set ssl cert NAME` with `payload`: the whole PEM (no extension or
 * `.crt`, which drops the OCSP response and issuer as haproxy does), or one part (`.key`,
 * `.ocsp` as base64 DER, `.issuer`); haproxy's error text when the payload does not load.
 */
function updatedParts(from: CertParts, path: string, ext: string | undefined, payload: string): CertParts | string {
  if (ext === undefined || ext === 'crt')
    return readPemParts(payload) ?? `unable to load certificate from file '${path}'.\n`;
  if (ext === 'key') {
    const k = readKey(payload);
    return k ? { ...from, key: k.key, keyPem: k.pem } : `unable to load private key from file '${path}'.\n`;
  }
  if (ext === 'ocsp') {
    const der = strictBase64(payload.replace(/[\r\n]/g, ''));
    return der ? { ...from, ocsp: der } : 'Error reading OCSP response in base64 format';
  }
  const issuer = readIssuer(payload);
  return issuer ? { ...from, issuer } : `'${path}' cannot be read or parsed'.\n`;
}

function setCert(store: CertStore, name: string, payload: string): string {
  const fail = (err: string) => `${err}Can't update ${name}!\n`;
  const t = store.transaction;
  // haproxy 2.6 strips a known extension (`.key`, `.ocsp`...) and updates that part of the entry
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 && SIDECARS.includes(name.slice(dot + 1)) ? name.slice(dot + 1) : undefined;
  const path = ext ? name.slice(0, dot) : name;
  if (ext === 'sctl')
    return fail(
      "'set ssl cert' of a .sctl part is not supported by Switchyard (Node cannot send signed certificate timestamps)\n",
    );
  if (t && t.path !== path)
    return fail(`The ongoing transaction is about '${t.path}' but you are trying to set '${path}'\n`);
  const old = t?.old ?? store.files.get(path);
  if (!old) return fail("Can't replace a certificate which is not referenced by the configuration!\n");
  const parts = updatedParts(t?.parts ?? old.parts, path, ext, payload);
  if (typeof parts === 'string') return fail(`${parts}Can't load the payload\n`);
  const created = !t;
  store.transaction = { path: old.path, old, parts };
  return created
    ? `Transaction created for certificate ${old.path}!\n`
    : `Transaction updated for certificate ${old.path}!\n`;
}

function commitCert(store: CertStore, name: string): string {
  const fail = (err: string) => `${err}Can't commit ${name}!\n`;
  const t = store.transaction;
  if (!t) return fail('No ongoing transaction! !\n');
  if (t.path !== name)
    return fail(`The ongoing transaction is about '${t.path}' but you are trying to set '${name}'\n`);
  const { cert, key } = t.parts;
  if (cert && !key) return fail('The transaction must contain at least a certificate and a private key!\n');
  if (!cert || !key || !cert.checkPrivateKey(key))
    return fail(`inconsistencies between private key and certificate loaded '${t.path}'.\n`);
  let n: number;
  try {
    n = store.commit();
  } catch (e) {
    return `Committing ${t.path}\n${(e as Error).message}\nFailed!\n`;
  }
  return `Committing ${t.path}${'.'.repeat(n)}\nSuccess!\n`;
}

function abortCert(store: CertStore, name: string): string {
  const t = store.transaction;
  if (!t) return 'No ongoing transaction!\n';
  if (t.path !== name)
    return `The ongoing transaction is about '${t.path}' but you are trying to abort a transaction for '${name}'\n`;
  store.transaction = undefined;
  return `Transaction aborted for certificate '${name}'!\n`;
}

function newCert(store: CertStore, name: string): string {
  if (store.files.has(name)) return `Certificate '${name}' already exists!\n`;
  store.files.set(name, { path: name, parts: { chain: [], chainPem: [] }, plans: [] });
  return `New empty certificate store '${name}'!\n`;
}

/** `show ssl cert`: the transaction, then every file in haproxy's (byte) order. */
function listCerts(store: CertStore): string {
  let out = '';
  if (store.transaction) out += `# transaction\n*${store.transaction.path}\n`;
  out += '# filename\n';
  const paths = [...store.files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const p of paths) out += `${p}\n`;
  return out;
}

/** `show ssl cert FILE` / `*FILE`: the details show_cert_detail prints. */
function certDetail(f: CertFile, inTransaction: boolean, used: boolean): string {
  const { cert, chain } = f.parts;
  let out = `Filename: ${inTransaction ? '*' : ''}${f.path}\n`;
  out += `Status: ${!cert ? 'Empty' : used ? 'Used' : 'Unused'}\n`;
  // ckch_store_show_ocsp_certid: the ID in the entry's own OCSP response, empty without one
  const ocspKey = `OCSP Response Key: ${responseCertId(f.parts.ocsp).toString('hex')}\n`;
  if (!cert) return `${out}${ocspKey}`;
  out += certLines(cert);
  for (const ca of chain) out += `Chain Subject: ${dnOneLine(ca.subject)}\nChain Issuer: ${dnOneLine(ca.issuer)}\n`;
  return `${out}${ocspKey}`;
}
const NOT_FOUND = "Can't display the certificate: Not found or the certificate is a bundle!\n";

/** `show ssl cert [*]FILE.ocsp`: the transaction's own response, else the one stapled for the entry's ID. */
function showCertOcsp(store: CertStore, name: string): string {
  const t = store.transaction;
  let parts: CertParts;
  if (name.startsWith('*')) {
    if (!t || t.path !== name.slice(1)) return NOT_FOUND;
    if (t.parts.ocsp) return responseText(t.parts.ocsp);
    parts = t.parts;
  } else {
    const f = store.files.get(name);
    if (!f) return NOT_FOUND;
    parts = f.parts;
  }
  return responseText(store.ocsp.get(responseCertId(parts.ocsp).toString('hex'))?.response);
}

function showCert(store: CertStore, name: string | undefined): string {
  if (name === undefined || name === '') return listCerts(store);
  if (name.endsWith('.ocsp')) return showCertOcsp(store, name.slice(0, -5));
  if (name.startsWith('*')) {
    const t = store.transaction;
    if (!t || t.path !== name.slice(1)) return NOT_FOUND;
    // the transaction's copy has no bind instances until the commit builds them
    return certDetail({ path: t.path, parts: t.parts, plans: [] }, true, false);
  }
  const f = store.files.get(name);
  if (!f) return NOT_FOUND;
  return certDetail(f, false, f.plans.length > 0);
}

/** A certificate change as the runtime API received it (what --workers sends to the other workers). */
export interface SslCertOp {
  cmd: 'abort' | 'commit' | 'new' | 'set' | 'del' | 'add crt-list' | 'del crt-list' | 'set ocsp-response';
  name: string;
  /** The words after the name (`del ssl crt-list LIST CERT`: CERT). */
  more?: string[];
  payload?: string;
  /** A CA or CRL file command (`set ssl ca-file`...). */
  kind?: CaKind;
}

/** Runs a certificate change on this process's runtime; returns haproxy's reply. */
export function applySslCertOp(rt: ProxyRuntime, op: SslCertOp): string {
  const store = certStoreOf(rt);
  if (op.kind) return applyCaFileOp(store.cas, { ...op, kind: op.kind } as CaFileOp);
  const args = [op.name, ...(op.more ?? [])];
  switch (op.cmd) {
    case 'abort':
      return abortCert(store, op.name);
    case 'commit':
      return commitCert(store, op.name);
    case 'new':
      return newCert(store, op.name);
    case 'del':
      return delCert(store, op.name);
    case 'add crt-list':
      return addCrtList(store, args, op.payload, rt.config.global.crtBase);
    case 'del crt-list':
      return delCrtList(store, args);
    case 'set ocsp-response':
      return setOcspResponse(store, op.name, op.payload);
    default:
      return setCert(store, op.name, op.payload ?? '');
  }
}

/**
 * A command changing certificates: `needs` when its arguments are missing; under --workers the
 * change is sent to every other worker (the link's control shares it).
 */
function modifying(
  cmd: SslCertOp['cmd'],
  usage: string,
  desc: string,
  needs: (args: string[], payload?: string) => string | undefined,
  level: Command['level'] = 'admin',
): Command {
  const [verb, ...rest] = cmd.split(' ');
  return {
    words: [verb, 'ssl', rest.length ? rest.join(' ') : 'cert'],
    usage,
    desc,
    level,
    run(args, ctx, _sess, payload) {
      const missing = needs(args, payload);
      if (missing !== undefined) return missing;
      const share = ctx.control.shareSslCert;
      if (inWorker() && !share) return refusedUnderWorkers(usage.split(' <')[0]);
      const op: SslCertOp = { cmd, name: args[0] ?? '', more: args.slice(1), payload };
      const reply = applySslCertOp(ctx.runtime(), op);
      share?.(op);
      return reply;
    },
  };
}

const nameNeeded = (msg: string) => (args: string[]) => (args[0] ? undefined : msg);

export const SSL_CERT_COMMANDS: Command[] = [
  modifying(
    'abort',
    'abort ssl cert <certfile>',
    'abort a transaction for a certificate file',
    nameNeeded("'abort ssl cert' expects a filename\n"),
  ),
  modifying(
    'commit',
    'commit ssl cert <certfile>',
    'commit a certificate file',
    nameNeeded("'commit ssl cert expects a filename\n"),
  ),
  modifying(
    'new',
    'new ssl cert <certfile>',
    'create a new certificate file to be used in a crt-list or a directory',
    nameNeeded("'new ssl cert' expects a filename\n"),
  ),
  modifying('set', 'set ssl cert <certfile> <payload>', 'replace a certificate file', (args, payload) =>
    args[0] && payload !== undefined ? undefined : "'set ssl cert expects a filename and a certificate as a payload\n",
  ),
  modifying(
    'del',
    'del ssl cert <certfile>',
    'delete an unused certificate file',
    nameNeeded("'del ssl cert' expects a certificate name\n"),
  ),
  modifying(
    'add crt-list',
    'add ssl crt-list <list> <cert> [opts]*',
    'add to crt-list file <list> a line <cert> or a payload',
    () => undefined,
  ),
  modifying(
    'del crt-list',
    'del ssl crt-list <list> <cert[:line]>',
    'delete a line <cert> from crt-list file <list>',
    () => undefined,
  ),
  // haproxy 2.6 checks no level for this one
  modifying(
    'set ocsp-response',
    'set ssl ocsp-response <resp|payload>',
    "update a certificate's OCSP Response from a base64-encode DER",
    () => undefined,
    'user',
  ),
  {
    words: ['show', 'ssl', 'crt-list'],
    usage: 'show ssl crt-list [-n] [<list>]',
    desc: 'show the list of crt-lists or the content of a crt-list file <list>',
    level: 'admin',
    run: (args, ctx) => showCrtList(certStoreOf(ctx.runtime()), args),
  },
  {
    words: ['show', 'ssl', 'ocsp-response'],
    usage: 'show ssl ocsp-response [id]',
    desc: 'display the IDs of the OCSP responses used in memory, or the details of a single OCSP response',
    level: 'user',
    run: (args, ctx) => showOcspResponses(certStoreOf(ctx.runtime()), args[0]),
  },
  {
    words: ['show', 'ssl', 'cert'],
    usage: 'show ssl cert [<certfile>]',
    desc: 'display the SSL certificates used in memory, or the details of a file',
    level: 'user',
    run(args, ctx, sess) {
      // haproxy 2.6 answers a user-level session with this (its cli_has_level message is overwritten)
      if (RANK[sess.level] < RANK.operator) return "Can't allocate memory!\n";
      return showCert(certStoreOf(ctx.runtime()), args[0]);
    },
  },
];
