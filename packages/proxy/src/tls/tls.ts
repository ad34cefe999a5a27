/**
 * TLS termination material for `bind ... ssl crt FILE|DIR`: every PEM (certificate + key in one
 * file) becomes a secure context; names come from the certificate's DNS SANs and CN, as
 * HAProxy's ckch_inst_new_load_store. The first certificate loaded is the default (no SNI or
 * no match) unless `strict-sni`. The bind's versions, ciphers, curves, tickets, cipher order
 * and client verification (merged over the global `ssl-default-bind-*`) go into every context
 * and into the server's options (OpenSSL takes versions and ciphers from the first context).
 */
import { constants as cryptoConstants, type X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  type SecureContext,
  type SecureContextOptions,
  type TlsOptions,
} from 'node:tls';
import type {
  BindModel,
  Code,
  Diagnostic,
  GlobalModel,
  ServerModel,
  SourceLoc,
  TlsOptionsModel,
} from '@switchyard/config';
import { tlsVersionRange } from '@switchyard/config';
import { compileSample } from '../acl/sample.ts';
import type { FetchFn } from '../acl/types.ts';
import { type CaKind, type CaStore, caPaths } from '../model/ca-store.ts';
import { applyCerts, type PlanCert, partsPem, type SwappableTls } from '../model/cert-store.ts';
import { readCrtList, SniTable } from '../model/crt-list.ts';
import { type OcspEntry, prepareOcsp, storeOcspResponse } from '../model/ocsp.ts';
import type { HttpTxn } from '../model/txn.ts';
import { loadCertFile } from './cert-files.ts';

/** OpenSSL 3's default TLSv1.3 suites: kept when only `ciphers` is set (Node would drop TLSv1.3). */
const DEFAULT_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
/**
 * OpenSSL's own default TLSv1.2 list, which HAProxy uses when no `ciphers` is set (Node's
 * default list would order the suites differently: AES128 before AES256).
 */
const DEFAULT_TLS12 = 'DEFAULT';
/**
 * Session ID context of every bind context: with client verification OpenSSL resumes only
 * sessions whose context matches, and the SNI callback swaps the context in mid-handshake.
 */
const SESSION_ID_CONTEXT = 'switchyard';

/** Files a `crt DIR` skips: sidecars of the certificates in it (ssl_sock_load_cert's list). */
const SIDECAR_EXTS = ['.key', '.ocsp', '.issuer', '.sctl'];

function pemFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => !n.startsWith('.') && !SIDECAR_EXTS.some((x) => n.endsWith(x)))
    .sort()
    .map((n) => join(path, n))
    .filter((p) => statSync(p).isFile());
}

/** A bind's TLS: its certificates (swappable by `commit ssl cert`, see cert-store.ts) and settings. */
export interface TlsPlan extends SwappableTls {
  alpn?: string[];
  /** `verify none|optional|required` (client certificates). */
  verify: 'none' | 'optional' | 'required';
}

/** The bind's settings over the global defaults: the bind's own values win, flags add up. */
export function mergeTlsOptions(own: TlsOptionsModel, defaults: TlsOptionsModel | undefined): TlsOptionsModel {
  if (!defaults) return own;
  const out: TlsOptionsModel = { ...defaults, ...stripUndefined(own) };
  if (own.minVer || own.maxVer || own.force) {
    // versions set on the line replace the global ones as a whole
    if (!own.minVer) delete out.minVer;
    if (!own.maxVer) delete out.maxVer;
    if (!own.force) delete out.force;
    out.disabled = own.disabled;
  } else if (defaults.disabled || own.disabled) out.disabled = [...(defaults.disabled ?? []), ...(own.disabled ?? [])];
  out.noTlsTickets = own.noTlsTickets || defaults.noTlsTickets;
  out.preferClientCiphers = own.preferClientCiphers || defaults.preferClientCiphers;
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Cipher string for Node's single `ciphers` option from HAProxy's two lists. */
function cipherString(o: TlsOptionsModel): string {
  return `${o.ciphersuites ?? DEFAULT_SUITES}:${o.ciphers ?? DEFAULT_TLS12}`;
}

/**
 * Node secure-context options (without key/cert) for merged TLS settings, or an error message
 * naming the setting that is wrong. `side` picks HAProxy's defaults: binds prefer the server's
 * cipher order; files are read here.
 */
export function secureOptions(o: TlsOptionsModel, side: 'bind' | 'server', cas?: CaStore): TlsOptions | string {
  const range = tlsVersionRange(o);
  if (typeof range === 'string') return range;
  const opts: TlsOptions = { minVersion: range.min, maxVersion: range.max };
  opts.ciphers = cipherString(o);
  const curves = o.curves ?? o.ecdhe;
  if (curves) opts.ecdhCurve = curves;
  if (side === 'bind') {
    opts.honorCipherOrder = !o.preferClientCiphers;
    opts.sessionIdContext = SESSION_ID_CONTEXT;
  }
  if (o.noTlsTickets) opts.secureOptions = cryptoConstants.SSL_OP_NO_TICKET;
  // through the store, files are read once and `commit ssl ca-file|crl-file` can replace them
  const read = (f: string | undefined, kind: CaKind): string | undefined =>
    f ? (cas ? cas.load(f, kind) : readFileSync(f, 'utf8')) : undefined;
  try {
    const ca = [read(o.caFile, 'ca'), read(o.caVerifyFile, 'ca')].filter((x) => x !== undefined);
    // arrays: a commit replaces their contents, seen by every copy of the options
    if (ca.length) opts.ca = ca;
    const crl = read(o.crlFile, 'crl');
    if (crl) opts.crl = [crl];
  } catch (e) {
    return `unable to read ${(e as NodeJS.ErrnoException).path ?? 'a CA/CRL file'}: ${(e as Error).message}`;
  }
  // let OpenSSL judge cipher names, curve names, CA and CRL PEMs now rather than at the first handshake
  try {
    createSecureContext(opts);
  } catch (e) {
    return describeContextError(o, e as Error);
  }
  return opts;
}

function describeContextError(o: TlsOptionsModel, e: Error): string {
  const m = e.message;
  if (/cipher/i.test(m)) return `bad 'ciphers'/'ciphersuites' list (${o.ciphers ?? ''} ${o.ciphersuites ?? ''}): ${m}`;
  if (/curve|group|ECDH/i.test(m)) return `bad 'curves'/'ecdhe' '${o.curves ?? o.ecdhe}': ${m}`;
  if (/crl/i.test(m)) return `bad 'crl-file' '${o.crlFile}': ${m}`;
  return `bad TLS settings (ca-file '${o.caFile ?? ''}'): ${m}`;
}

/** Loads the certificates of an `ssl` bind; problems go to `diags` and yield undefined. */
export function loadTls(
  bind: BindModel,
  diags: Diagnostic[],
  global?: GlobalModel,
  cas?: CaStore,
): TlsPlan | undefined {
  const ssl = bind.ssl;
  if (!ssl) return undefined;
  const err = (code: Code, message: string) => diags.push({ severity: 'error', code, message, loc: bind.loc });
  if (ssl.crt.length === 0) {
    err('CFG_SSL_NO_CRT', `bind '${bind.host}:${bind.port}' has 'ssl' but no 'crt' certificate`);
    return undefined;
  }
  const merged = mergeTlsOptions(ssl.tls ?? {}, global?.sslDefaultBind);
  const base = secureOptions(merged, 'bind', cas);
  if (typeof base === 'string') {
    err('CFG_SSL_OPTIONS', `bind: ${base}`);
    return undefined;
  }
  const verify = merged.verify ?? 'none';
  const strictSni = bind.options['strict-sni'] === true;
  const certs: PlanCert[] = [];
  const crtLists: NonNullable<TlsPlan['crtLists']> = [];
  for (const one of certificateSources(bind, diags, global, crtLists)) {
    const { file, filters, list, line } = one;
    const loc = one.loc ?? bind.loc;
    const bad = (code: Code, message: string) => diags.push({ severity: 'error', code, message, loc });
    const parts = loadCertFile(file, global);
    if (typeof parts === 'string') {
      bad(parts.startsWith('No Private Key') ? 'CFG_SSL_NO_KEY' : 'CFG_SSL_CRT_INVALID', parts);
      continue;
    }
    const x509 = parts.cert as X509Certificate;
    let ocsp: OcspEntry | undefined;
    if (parts.ocsp) {
      const setup = prepareOcsp(file, x509, parts.chain, parts.issuer, parts.ocsp);
      if (typeof setup === 'string') {
        bad('CFG_SSL_OCSP', setup);
        continue;
      }
      if (setup.warning)
        diags.push({ severity: 'warning', code: 'CFG_SSL_OCSP', message: `${file}.ocsp: ${setup.warning}`, loc });
      ocsp = { key: setup.key, expire: 0 };
      if (setup.single) storeOcspResponse(ocsp, parts.ocsp, setup.single);
    }
    const pem = partsPem(parts);
    try {
      const ctx = createSecureContext({ ...base, key: pem, cert: pem });
      const c: PlanCert = { file, filters, pem, x509, ctx, parts, ocsp };
      if (list !== undefined) {
        c.list = list;
        c.entry = { file, filters: filters ?? [], line: line ?? 0 };
      }
      certs.push(c);
    } catch (e) {
      bad('CFG_SSL_CRT_INVALID', `unable to load SSL certificate '${file}': ${(e as Error).message}`);
    }
  }
  const first = certs[0];
  if (!first) return undefined;
  const plan: TlsPlan = {
    certs,
    contextOptions: base,
    defaultContext: first.ctx,
    sni: new SniTable(),
    defaultOptions: { key: first.pem, cert: first.pem },
    alpn: ssl.alpn,
    serverOptions: {
      ...base,
      requestCert: verify !== 'none',
      rejectUnauthorized: verify === 'required',
    },
    verify,
    strictSni,
    crtLists,
    loc: bind.loc,
  };
  applyCerts(plan);
  if (cas) watchCaFiles(plan, merged, cas);
  return plan;
}

/** The CA/CRL options of `o` with the store's current contents. */
function caOptions(o: TlsOptionsModel, cas: CaStore): { ca?: string[]; crl?: string[] } {
  const ca = [cas.pem(o.caFile, 'ca'), cas.pem(o.caVerifyFile, 'ca')].filter((x) => x !== undefined);
  const crl = cas.pem(o.crlFile, 'crl');
  return { ca: ca.length ? ca : undefined, crl: crl ? [crl] : undefined };
}

/** A bind is rebuilt (every certificate's context, the default one) when one of its CA/CRL files is committed. */
function watchCaFiles(plan: TlsPlan, o: TlsOptionsModel, cas: CaStore): void {
  const paths = caPaths(o);
  if (paths.length === 0) return;
  cas.users.push({
    paths,
    rebuild() {
      const contextOptions = { ...plan.contextOptions, ...caOptions(o, cas) };
      const ctxs = plan.certs.map((c) => createSecureContext({ ...contextOptions, key: c.pem, cert: c.pem }));
      return () => {
        plan.contextOptions = contextOptions;
        plan.serverOptions = { ...plan.serverOptions, ...caOptions(o, cas) };
        plan.certs.forEach((c, i) => {
          c.ctx = ctxs[i];
        });
        applyCerts(plan);
      };
    },
  });
}

/** One certificate file of a bind, with its crt-list line's SNI filters and FILE:LINE. */
interface CertificateSource {
  file: string;
  filters?: string[];
  loc?: SourceLoc;
  /** The crt-list or directory it comes from, and its line number there (0 in a directory). */
  list?: string;
  line?: number;
}

/** The certificate files of a bind in load order: `crt` files, directories (sorted), crt-list lines. */
function certificateSources(
  bind: BindModel,
  diags: Diagnostic[],
  global: GlobalModel | undefined,
  lists: NonNullable<TlsPlan['crtLists']>,
): CertificateSource[] {
  const ssl = bind.ssl;
  const out: CertificateSource[] = [];
  const err = (code: Code, message: string) => diags.push({ severity: 'error', code, message, loc: bind.loc });
  for (const crt of ssl?.crt ?? []) {
    if (ssl?.crtLists?.includes(crt)) {
      const read = readCrtList(crt, global?.crtBase, diags, bind.loc);
      const list = listPath(crt);
      lists.push({ path: list, dir: false, lineCount: read.lineCount });
      for (const l of read.lines) out.push({ file: l.cert, filters: l.filters, loc: l.loc, list, line: l.loc.line });
      continue;
    }
    let files: string[];
    try {
      files = pemFiles(crt);
    } catch (e) {
      err('CFG_SSL_CRT_UNREADABLE', `unable to load SSL certificate '${crt}': ${(e as Error).message}`);
      continue;
    }
    if (files.length === 0) err('CFG_SSL_CRT_EMPTY', `certificate directory '${crt}' holds no PEM file`);
    const dir = files.length !== 1 || files[0] !== crt;
    // a directory is a crt-list of its files (haproxy's crtlist_load_cert_dir), lines numbered 0
    if (dir) lists.push({ path: listPath(crt), dir: true, lineCount: 0 });
    for (const file of files) out.push(dir ? { file, list: listPath(crt), line: 0 } : { file });
  }
  return out;
}

/** A crt-list's name as the runtime API takes it: without trailing slashes. */
export function listPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Context for an SNI name: exact name, then `*.parent` wildcard, else the default (none under strict-sni). */
export function contextForName(plan: TlsPlan, servername: string): SecureContext | undefined {
  return plan.sni.lookup(servername) ?? (plan.strictSni ? undefined : plan.defaultContext);
}

const serverTls = new WeakMap<ServerModel, ConnectionOptions>();
const serverSniFns = new WeakMap<ServerModel, FetchFn>();

/** The SNI a request sends to a server with `sni EXPR` (undefined: none; '' when the server has no `sni`). */
export function serverSni(m: ServerModel, txn: HttpTxn): string | undefined {
  const fn = serverSniFns.get(m);
  if (!fn) return '';
  let v = fn(txn);
  if (Array.isArray(v)) v = v[v.length - 1];
  return v === undefined || v === '' || typeof v === 'boolean' ? undefined : String(v);
}

/**
 * Prepares the TLS options of an `ssl` (or `check-ssl`) server at load: its versions, cipher
 * lists and tickets over the global `ssl-default-server-*`, `ca-file`, `verify`, the `crt`
 * client certificate. Problems are reported with the server's FILE:LINE.
 */
export function prepareServerTls(m: ServerModel, diags: Diagnostic[], global?: GlobalModel, cas?: CaStore): void {
  if (m.sni !== undefined) {
    // `sni EXPR` is a sample expression (`sni req.hdr(host)`, `sni str(www.example.com)`)
    const sample = compileSample(m.sni, m.loc, diags, 'request');
    if (sample) serverSniFns.set(m, sample.fn);
  }
  if (!m.ssl && !m.checkSsl) return;
  const err = (message: string) => diags.push({ severity: 'error', code: 'CFG_SSL_OPTIONS', message, loc: m.loc });
  const merged = { ...mergeTlsOptions(m.tls ?? {}, global?.sslDefaultServer), caFile: m.caFile };
  const base = secureOptions(merged, 'server', cas);
  if (typeof base === 'string') return void err(`server '${m.name}': ${base}`);
  // only secure-context fields: versions, ciphers, tickets, CAs
  const opts: ConnectionOptions = { ...(base as SecureContextOptions), rejectUnauthorized: m.verify === 'required' };
  if (m.crt) {
    try {
      const pem = readFileSync(m.crt, 'utf8');
      if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem))
        return void err(
          `server '${m.name}': no private key found in '${m.crt}' (put the certificate and its key in one PEM)`,
        );
      createSecureContext({ ...base, key: pem, cert: pem });
      opts.key = pem;
      opts.cert = pem;
    } catch (e) {
      return void err(`server '${m.name}': unable to load the certificate '${m.crt}': ${(e as Error).message}`);
    }
  }
  serverTls.set(m, opts);
  const paths = caPaths(merged);
  if (cas && paths.length) {
    cas.users.push({
      paths,
      rebuild() {
        const now = caOptions(merged, cas);
        createSecureContext({ ...base, ...now });
        // in place: pools and health checks hold copies of `opts` sharing these arrays
        return () => {
          if (Array.isArray(opts.ca)) opts.ca.splice(0, opts.ca.length, ...(now.ca ?? []));
          if (Array.isArray(opts.crl)) opts.crl.splice(0, opts.crl.length, ...(now.crl ?? []));
        };
      },
    });
  }
}

/**
 * The TLS options for connections to a server sending `servername` (prepared at load;
 * verification only if it was not). As HAProxy 2.6: the certificate must name the SNI sent,
 * else the `verifyhost` name; with neither only the chain is verified.
 */
export function serverTlsOptions(m: ServerModel, servername?: string): ConnectionOptions {
  const o = serverTls.get(m) ?? { rejectUnauthorized: m.verify === 'required' };
  // ssl_sock_srv_verifycbk: the SNI sent, else `verifyhost`, else no name check
  const host = m.verifyhost;
  if (host && !servername)
    return { ...o, servername: undefined, checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) };
  return servername ? { ...o, servername } : { ...o, servername: undefined, checkServerIdentity: noNameCheck };
}

const noNameCheck = (): undefined => undefined;
