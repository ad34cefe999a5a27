/**
 * The certificate files of a running configuration, as HAProxy's ckch store holds them: one
 * entry per file named by a `crt` (or crt-list line), the binds using it, and the runtime API's
 * one-at-a-time transaction (`set|commit|abort ssl cert`). A commit builds new secure contexts
 * for every bind using the file and swaps them in: new handshakes get the new certificate,
 * established connections keep theirs.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import { CaStore } from './ca-store.ts';
import { SniTable } from './crt-list.ts';
import { type OcspEntry, prepareOcsp, storeOcspResponse } from './ocsp.ts';

/** One certificate of a bind (a `crt` file or a crt-list line) with its built context. */
export interface PlanCert {
  file: string;
  /** crt-list SNI filters; none: the certificate's own names. */
  filters?: string[];
  pem: string;
  x509: X509Certificate;
  ctx: SecureContext;
  /** The file's parts as loaded (with its sidecars); else read again from `pem`. */
  parts?: CertParts;
  /** Its OCSP response slot (an `.ocsp` file was loaded). */
  ocsp?: OcspEntry;
  /** The crt-list (or `crt DIR`) it comes from, and its line there. */
  list?: string;
  entry?: CrtListEntry;
}

/** What a commit changes in a bind's TLS plan (runtime/plan.ts TlsPlan has these fields). */
export interface SwappableTls {
  certs: PlanCert[];
  /** Secure-context options without key and certificate (versions, ciphers, CAs...). */
  contextOptions: TlsOptions;
  defaultContext: SecureContext;
  defaultOptions: { key: string | Buffer; cert: string | Buffer };
  serverOptions: TlsOptions;
  sni: SniTable;
  /** OCSP slots of the certificates that have one, by the certificate's DER (latin1). */
  ocsp?: Map<string, OcspEntry>;
  strictSni: boolean;
  /** The crt-lists and `crt DIR` directories the bind reads (its lines are in `certs`). */
  crtLists?: Array<{ path: string; dir: boolean; lineCount: number }>;
  /** The bind line (the runtime API names it when a certificate is its default). */
  loc?: { file: string; line: number };
  /** Set by the listener serving the plan: applies the new default certificate to its server. */
  onChange?: () => void;
}

/** A certificate's PEM parts as HAProxy's ssl_sock_load_pem_into_ckch reads them. */
export interface CertParts {
  cert?: X509Certificate;
  certPem?: string;
  chain: X509Certificate[];
  chainPem: string[];
  key?: KeyObject;
  keyPem?: string;
  /** The DER OCSP response (`.ocsp` file, `set ssl cert FILE.ocsp`). */
  ocsp?: Buffer;
  /** The OCSP issuer (`.issuer` file, `set ssl cert FILE.issuer`). */
  issuer?: X509Certificate;
}

/** A file of the store: its current parts and the binds using it (none: `new ssl cert`). */
export interface CertFile {
  path: string;
  parts: CertParts;
  plans: SwappableTls[];
}

export interface CertTransaction {
  path: string;
  old: CertFile;
  parts: CertParts;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/**
 * Reads PEM text: the first private key, the first certificate and the chain after it. An
 * unreadable key counts as none (OpenSSL's PEM_read_bio_PrivateKey); a missing or unreadable
 * certificate is an error (undefined).
 */
export function readPemParts(text: string): CertParts | undefined {
  const parts: CertParts = { chain: [], chainPem: [] };
  for (const m of text.matchAll(BLOCK)) {
    const kind = m[1];
    if (/PRIVATE KEY$/.test(kind)) {
      if (parts.key) continue;
      try {
        parts.key = createPrivateKey(m[0]);
        parts.keyPem = m[0];
      } catch {
        // as OpenSSL: a key that does not parse is no key
      }
    } else if (kind === 'CERTIFICATE' || kind === 'TRUSTED CERTIFICATE') {
      let x: X509Certificate;
      try {
        x = new X509Certificate(m[0]);
      } catch {
        return undefined;
      }
      if (!parts.cert) {
        parts.cert = x;
        parts.certPem = m[0];
      } else {
        parts.chain.push(x);
        parts.chainPem.push(m[0]);
      }
    }
  }
  return parts.cert ? parts : undefined;
}

/** The PEM text a secure context is built from: key, certificate, chain. */
export function partsPem(p: CertParts): string {
  return [p.keyPem, p.certPem, ...p.chainPem].filter((x) => x !== undefined).join('\n');
}

/** One line of a crt-list (or one file of a `crt DIR`) as the runtime API lists it. */
export interface CrtListEntry {
  file: string;
  filters: string[];
  /** Line number in the list file (0 for a directory's files; added lines continue the count). */
  line: number;
}

/** A crt-list file or a `crt DIR` directory, the binds using it and its lines. */
export interface CrtListState {
  path: string;
  dir: boolean;
  entries: CrtListEntry[];
  lineCount: number;
  plans: SwappableTls[];
}

/** The certificate files of one runtime, by path, and the ongoing transaction. */
export class CertStore {
  readonly files = new Map<string, CertFile>();
  /** OCSP response slots by certificate ID (hex of the DER CertID), as `show ssl ocsp-response` lists them. */
  readonly ocsp = new Map<string, OcspEntry>();
  /** crt-lists and `crt DIR` directories by path (no trailing slash). */
  readonly lists = new Map<string, CrtListState>();
  transaction?: CertTransaction;
  /** The CA and CRL files of binds and servers (`set|commit ssl ca-file|crl-file`). */
  readonly cas = new CaStore();

  /** Records the certificates and crt-lists of a bind's plan (called once per plan at build). */
  register(plan: SwappableTls): void {
    for (const l of plan.crtLists ?? []) {
      let state = this.lists.get(l.path);
      if (!state) {
        state = { path: l.path, dir: l.dir, entries: [], lineCount: l.lineCount, plans: [] };
        this.lists.set(l.path, state);
      }
      if (!state.plans.includes(plan)) state.plans.push(plan);
    }
    for (const c of plan.certs) {
      let f = this.files.get(c.file);
      if (!f) {
        f = { path: c.file, parts: c.parts ?? readPemParts(c.pem) ?? { chain: [], chainPem: [] }, plans: [] };
        this.files.set(c.file, f);
      }
      if (!f.plans.includes(plan)) f.plans.push(plan);
      if (c.ocsp) {
        // one slot per certificate ID, as haproxy's tree: the last valid response loaded wins
        const slot = this.ocspSlot(c.ocsp.key);
        if (c.ocsp.response) Object.assign(slot, c.ocsp);
        c.ocsp = slot;
      }
      const list = c.entry && c.list !== undefined ? this.lists.get(c.list) : undefined;
      if (list && c.entry) {
        // a list used by several binds has one set of lines
        const same = list.entries.find((e) => e.line === c.entry?.line && e.file === c.file);
        if (same) c.entry = same;
        else list.entries.push(c.entry);
      }
    }
    applyCerts(plan);
  }

  /** The OCSP slot of a certificate ID (created empty). */
  ocspSlot(key: Buffer): OcspEntry {
    const hex = key.toString('hex');
    let slot = this.ocsp.get(hex);
    if (!slot) {
      slot = { key, expire: 0 };
      this.ocsp.set(hex, slot);
    }
    return slot;
  }

  /** The OCSP slot certificate parts use, with their response stored; throws when no issuer gives an ID. */
  private ocspOf(path: string, parts: CertParts): OcspEntry | undefined {
    if (!parts.cert || !parts.ocsp) return undefined;
    const setup = prepareOcsp(path, parts.cert, parts.chain, parts.issuer, parts.ocsp);
    if (typeof setup === 'string') throw new Error(setup);
    const slot = this.ocspSlot(setup.key);
    if (setup.single) storeOcspResponse(slot, parts.ocsp, setup.single);
    return slot;
  }

  /**
   * Swaps the transaction's certificate in on every bind using its file; returns the number
   * of certificate instances rebuilt. Throws (nothing changed) when a context cannot be built.
   */
  commit(): number {
    const t = this.transaction;
    if (!t) return 0;
    const pem = partsPem(t.parts);
    const cert = t.parts.cert;
    // build everything first: a failure leaves every bind as it was
    const built = t.old.plans.map((plan) => ({
      plan,
      ctxs: plan.certs.map((c) =>
        c.file === t.path ? createSecureContext({ ...plan.contextOptions, key: pem, cert: pem }) : c.ctx,
      ),
    }));
    const slot = this.ocspOf(t.path, t.parts);
    let n = 0;
    for (const { plan, ctxs } of built) {
      plan.certs.forEach((c, i) => {
        if (c.file !== t.path || !cert) return;
        c.pem = pem;
        c.x509 = cert;
        c.ctx = ctxs[i];
        c.parts = t.parts;
        c.ocsp = slot;
        n++;
      });
      applyCerts(plan);
    }
    t.old.parts = t.parts;
    this.transaction = undefined;
    return n;
  }

  /**
   * `add ssl crt-list`: a new line for `file` at the end of `list`, instantiated on every bind
   * using the list; returns the number of binds. Throws (nothing changed) when a context cannot be built.
   */
  addToList(list: CrtListState, file: CertFile, filters: string[]): number {
    const cert = file.parts.cert;
    if (!cert) return 0;
    const pem = partsPem(file.parts);
    const ctxs = list.plans.map((plan) => createSecureContext({ ...plan.contextOptions, key: pem, cert: pem }));
    const ocsp = this.ocspOf(file.path, file.parts);
    const entry: CrtListEntry = { file: file.path, filters, line: ++list.lineCount };
    list.entries.push(entry);
    list.plans.forEach((plan, i) => {
      const c: PlanCert = { file: file.path, filters, pem, x509: cert, ctx: ctxs[i], parts: file.parts, ocsp };
      c.list = list.path;
      c.entry = entry;
      // after the list's other lines: earlier lines keep precedence for the same names
      let at = plan.certs.length;
      for (let k = plan.certs.length - 1; k >= 0; k--)
        if (plan.certs[k].list === list.path) {
          at = k + 1;
          break;
        }
      plan.certs.splice(at, 0, c);
      if (!file.plans.includes(plan)) file.plans.push(plan);
      applyCerts(plan);
    });
    return list.plans.length;
  }

  /** `del ssl crt-list`: removes a line from the list and its certificate from every bind using it. */
  removeFromList(list: CrtListState, entry: CrtListEntry): void {
    list.entries = list.entries.filter((e) => e !== entry);
    const file = this.files.get(entry.file);
    for (const plan of list.plans) {
      plan.certs = plan.certs.filter((c) => c.entry !== entry);
      if (file && !plan.certs.some((c) => c.file === file.path)) file.plans = file.plans.filter((p) => p !== plan);
      applyCerts(plan);
    }
  }
}

/** Names a certificate serves: its DNS SANs and its CNs (lower-cased), as HAProxy indexes them. */
export function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  const san = cert.subjectAltName;
  if (san) {
    for (const part of san.split(/,\s*/)) {
      if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
    }
  }
  for (const m of cert.subject.matchAll(/(?:^|\n)CN=([^\n]+)/g)) {
    const cn = m[1].trim().toLowerCase();
    if (!names.includes(cn)) names.push(cn);
  }
  return names;
}

/** (Re)builds a plan's SNI table and default certificate from its certificates. */
export function applyCerts(plan: SwappableTls): void {
  const sni = new SniTable();
  for (const c of plan.certs) {
    sni.add(c.ctx, c.x509.publicKey.asymmetricKeyType ?? '', c.filters?.length ? c.filters : certificateNames(c.x509));
  }
  plan.sni = sni;
  const ocsp = new Map<string, OcspEntry>();
  for (const c of plan.certs) if (c.ocsp) ocsp.set(c.x509.raw.toString('latin1'), c.ocsp);
  plan.ocsp = ocsp;
  const first = plan.certs[0];
  if (!first) return;
  plan.defaultContext = first.ctx;
  plan.defaultOptions = { key: first.pem, cert: first.pem };
  // strict-sni: no default certificate on the server itself
  if (!plan.strictSni) plan.serverOptions = { ...plan.serverOptions, key: first.pem, cert: first.pem };
  plan.onChange?.();
}
