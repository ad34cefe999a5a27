/**
 * The certificate files of a running configuration, as HAProxy's ckch store holds them: one
 * entry per file named by a `crt` (or crt-list line), the binds using it, and the runtime API's
 * one-at-a-time transaction (`set|commit|abort ssl cert`). A commit builds new secure contexts
 * for every bind using the file and swaps them in: new handshakes get the new certificate,
 * established connections keep theirs.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import { SniTable } from './crt-list.ts';

/** One certificate of a bind (a `crt` file or a crt-list line) with its built context. */
export interface PlanCert {
  file: string;
  /** crt-list SNI filters; none: the certificate's own names. */
  filters?: string[];
  pem: string;
  x509: X509Certificate;
  ctx: SecureContext;
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
  strictSni: boolean;
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

/** The certificate files of one runtime, by path, and the ongoing transaction. */
export class CertStore {
  readonly files = new Map<string, CertFile>();
  transaction?: CertTransaction;

  /** Records the certificates of a bind's plan (called once per plan at build). */
  register(plan: SwappableTls): void {
    for (const c of plan.certs) {
      let f = this.files.get(c.file);
      if (!f) {
        f = { path: c.file, parts: readPemParts(c.pem) ?? { chain: [], chainPem: [] }, plans: [] };
        this.files.set(c.file, f);
      }
      if (!f.plans.includes(plan)) f.plans.push(plan);
    }
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
    let n = 0;
    for (const { plan, ctxs } of built) {
      plan.certs.forEach((c, i) => {
        if (c.file !== t.path || !cert) return;
        c.pem = pem;
        c.x509 = cert;
        c.ctx = ctxs[i];
        n++;
      });
      applyCerts(plan);
    }
    t.old.parts = t.parts;
    this.transaction = undefined;
    return n;
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
  const first = plan.certs[0];
  if (!first) return;
  plan.defaultContext = first.ctx;
  plan.defaultOptions = { key: first.pem, cert: first.pem };
  // strict-sni: no default certificate on the server itself
  if (!plan.strictSni) plan.serverOptions = { ...plan.serverOptions, key: first.pem, cert: first.pem };
  plan.onChange?.();
}
