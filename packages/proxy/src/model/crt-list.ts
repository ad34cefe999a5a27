/**
 * `bind ... crt-list FILE` (HAProxy 2.6 configuration.txt 5.1): one certificate per line,
 * `<crtfile> [[ssl options]] [[!]sni filter ...]`, `#` lines and empty lines skipped, and
 * the SNI table that the handshake consults the way ssl_sock_switchctx_cbk does: exact names
 * first, then `*.parent` wildcards (unless the same line excludes the name with `!name`),
 * ECDSA certificates before RSA ones for the same name, else the default certificate.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { SecureContext } from 'node:tls';
import type { Diagnostic, SourceLoc } from '@switchyard/config';

/** One line of a crt-list file. */
export interface CrtListLine {
  cert: string;
  /** SNI filters as written (`*.example.com`, `!www.example.com`); empty: the certificate's names. */
  filters: string[];
  loc: SourceLoc;
}

/** Reads a crt-list file and counts its lines; bad lines are reported with the list's FILE:LINE and skipped. */
export function readCrtList(
  path: string,
  crtBase: string | undefined,
  diags: Diagnostic[],
  at: SourceLoc,
): { lines: CrtListLine[]; lineCount: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    diags.push({
      severity: 'error',
      code: 'CFG_SSL_CRT_UNREADABLE',
      message: `unable to load crt-list '${path}': ${(e as Error).message}`,
      loc: at,
    });
    return { lines: [], lineCount: 0 };
  }
  const out: CrtListLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const loc = { file: path, line: i + 1 };
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const bad = (message: string) => diags.push({ severity: 'error', code: 'CFG_SSL_CRT_LIST', message, loc });
    const m = /^\s*(\S+)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(line);
    if (!m) {
      bad(`crt-list: cannot read the line '${line}'`);
      continue;
    }
    if (line.includes('[') && m[2] === undefined) {
      bad("crt-list: '[' without its closing ']'");
      continue;
    }
    const opts = (m[2] ?? '').trim();
    if (opts !== '') {
      bad(
        `crt-list: per-certificate SSL options '[${opts}]' are not supported (Node applies versions, ciphers and verification per listener): put them on the 'bind' line`,
      );
      continue;
    }
    const cert = m[1];
    out.push({
      cert: crtBase && !isAbsolute(cert) ? join(crtBase, cert) : cert,
      filters: m[3].split(/\s+/).filter((f) => f !== ''),
      loc,
    });
  }
  // as fgets counts them: a last line without LF is a line, the empty text after a final LF is not
  return { lines: out, lineCount: lines.length - (text.endsWith('\n') || text === '' ? 1 : 0) };
}

/** A name a certificate answers for (HAProxy's sni_ctx). */
interface SniEntry {
  ctx: SecureContext;
  /** `ec`, `rsa` or another key type: ECDSA is preferred, then RSA. */
  key: string;
  /** Names the same certificate line excludes (`!name`), checked before a wildcard is used. */
  excluded: Set<string>;
}

/** The names of a bind's certificates: exact ones, and wildcards keyed `.parent`. */
export class SniTable {
  private readonly exact = new Map<string, SniEntry[]>();
  private readonly wild = new Map<string, SniEntry[]>();

  /**
   * Adds one certificate under `names` (filters or the certificate's own names, as
   * ckch_inst_add_cert_sni reads them: `!` excludes, a leading `*` makes a wildcard, `!*` is nothing).
   */
  add(ctx: SecureContext, key: string, names: string[]): void {
    const excluded = new Set<string>();
    const entry: SniEntry = { ctx, key, excluded };
    for (const raw of names) {
      let name = raw.toLowerCase();
      const neg = name.startsWith('!');
      if (neg) name = name.slice(1);
      const wild = name.startsWith('*');
      if (wild) name = name.slice(1);
      if (name === '' || (neg && wild)) continue;
      if (neg) {
        excluded.add(name);
        continue;
      }
      const map = wild ? this.wild : this.exact;
      const list = map.get(name);
      if (!list) map.set(name, [entry]);
      else if (!list.includes(entry)) list.push(entry);
    }
  }

  /** The context for an SNI name, or undefined (then the default certificate, or a refusal under strict-sni). */
  lookup(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase();
    let ec: SniEntry | undefined;
    let rsa: SniEntry | undefined;
    let other: SniEntry | undefined;
    const consider = (list: SniEntry[] | undefined, wildcard: boolean) => {
      for (const e of list ?? []) {
        if (wildcard && e.excluded.has(name)) continue;
        if (e.key === 'ec') ec ??= e;
        else if (e.key === 'rsa') rsa ??= e;
        else other ??= e;
      }
    };
    consider(this.exact.get(name), false);
    const dot = name.indexOf('.');
    if (dot >= 0) consider(this.wild.get(name.slice(dot)), true);
    // clients offer ECDSA and RSA signatures alike: ECDSA first, as HAProxy with such a client
    return (ec ?? rsa ?? other)?.ctx;
  }
}
