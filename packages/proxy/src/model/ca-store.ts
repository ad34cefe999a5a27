/**
 * The CA and CRL files of a running configuration, as HAProxy 2.6's cafile tree holds them
 * (src/ssl_ckch.c): one entry per `ca-file`, `ca-verify-file` or `crl-file` path, the binds and
 * servers using it, and the runtime API's one-at-a-time transaction (`set|commit|abort ssl
 * ca-file|crl-file`). A commit rebuilds the secure contexts of every user: new handshakes
 * verify with the new CAs/CRLs, established connections keep theirs.
 */

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type CaKind = 'ca' | 'crl';

/** One CA or CRL file: its PEM text and what it holds. */
export interface CaFile {
  path: string;
  kind: CaKind;
  /** The PEM blocks given to OpenSSL (certificates or CRLs), joined. */
  pem: string;
  certs: X509Certificate[];
  /** DER of each CRL. */
  crls: Buffer[];
}

/** Something whose secure contexts are built from CA/CRL files (a bind, a server). */
export interface CaUser {
  paths: string[];
  /** Rebuilds with the store's current contents; throws (nothing changed) when it cannot. */
  rebuild(): () => void;
}

const CERT_BLOCK = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----\r?\n[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/g;
const CRL_BLOCK = /-----BEGIN X509 CRL-----\r?\n([\s\S]*?)-----END X509 CRL-----/g;

/**
 * The certificates (ca) or CRLs (crl) of PEM text; undefined when it holds none or one does not
 * parse (haproxy's "Invalid payload").
 */
export function readCaPem(path: string, kind: CaKind, text: string): CaFile | undefined {
  const file: CaFile = { path, kind, pem: '', certs: [], crls: [] };
  const blocks: string[] = [];
  if (kind === 'ca') {
    for (const m of text.matchAll(CERT_BLOCK)) {
      try {
        file.certs.push(new X509Certificate(m[0]));
      } catch {
        return undefined;
      }
      blocks.push(m[0]);
    }
  } else {
    for (const m of text.matchAll(CRL_BLOCK)) {
      const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
      // a CRL is a SEQUENCE; OpenSSL judges the rest when the context is built
      if (der.length < 2 || der[0] !== 0x30) return undefined;
      file.crls.push(der);
      blocks.push(m[0]);
    }
  }
  if (blocks.length === 0) return undefined;
  file.pem = `${blocks.join('\n')}\n`;
  return file;
}

/** The CA/CRL files of one runtime and their users (the runtime API keeps the transactions). */
export class CaStore {
  readonly files = new Map<string, CaFile>();
  readonly users: CaUser[] = [];

  /** The PEM of a file named by the configuration (read once; throws when unreadable or empty). */
  load(path: string, kind: CaKind): string {
    const known = this.files.get(path);
    if (known && known.kind === kind) return known.pem;
    const text = readFileSync(path, 'utf8');
    const file = readCaPem(path, kind, text);
    if (!file) throw new Error(`unable to load ${kind === 'ca' ? 'CA' : 'CRL'} file '${path}': no valid PEM block`);
    this.files.set(path, file);
    return file.pem;
  }

  /** The current PEM of a file (undefined: not in the store). */
  pem(path: string | undefined, kind: CaKind): string | undefined {
    if (!path) return undefined;
    const f = this.files.get(path);
    return f && f.kind === kind ? f.pem : undefined;
  }

  /** Number of users (binds, servers) built from `path`. */
  uses(path: string): number {
    return this.users.filter((u) => u.paths.includes(path)).length;
  }

  /**
   * Swaps `t` in for its path and rebuilds every user of it; returns the number of users.
   * Throws (nothing changed) when a user cannot be rebuilt with the new contents.
   */
  commit(t: CaFile): number {
    const old = this.files.get(t.path);
    this.files.set(t.path, t);
    const users = this.users.filter((u) => u.paths.includes(t.path));
    let swaps: Array<() => void>;
    try {
      swaps = users.map((u) => u.rebuild());
    } catch (e) {
      if (old) this.files.set(t.path, old);
      throw e;
    }
    for (const swap of swaps) swap();
    return users.length;
  }
}

/** The CA and CRL files TLS settings name. */
export function caPaths(o: { caFile?: string; caVerifyFile?: string; crlFile?: string }): string[] {
  return [o.caFile, o.caVerifyFile, o.crlFile].filter((x): x is string => x !== undefined);
}
