/**
 * Reads one `crt` file with its sidecars as HAProxy 2.6's ssl_sock_load_files_into_ckch does,
 * under `ssl-load-extra-files` (default `all`): the PEM (key, certificate, chain), then
 * `FILE.key` when present (it replaces a key in the PEM), `FILE.ocsp` (a DER OCSP response) and,
 * with a response and no issuer in the chain, `FILE.issuer`. `ssl-load-extra-del-ext` looks the
 * sidecars of `X.crt` up as `X.key`... A `FILE.sctl` is refused: Node cannot send SCTs.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { GlobalModel } from '@switchyard/config';
import { type CertParts, readPemParts } from '../model/cert-store.ts';

/** The sidecar base of a certificate path: without `.crt` under `ssl-load-extra-del-ext`. */
export function sidecarBase(path: string, global?: GlobalModel): string {
  return global?.sslLoadExtraDelExt && path.endsWith('.crt') ? path.slice(0, -4) : path;
}

/** Loads a certificate file and its sidecars; an error message (HAProxy's words) when it cannot. */
export function loadCertFile(path: string, global?: GlobalModel): CertParts | string {
  const extra = global?.sslLoadExtraFiles ?? { key: true, ocsp: true, issuer: true };
  const all = global?.sslLoadExtraFiles === undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return `unable to load SSL certificate '${path}': ${(e as Error).message}`;
  }
  const parts = readPemParts(text);
  if (!parts?.cert) return `unable to load certificate from file '${path}'.`;
  const cert = parts.cert;
  const base = sidecarBase(path, global);
  if (!parts.key && !extra.key) return `No Private Key found in '${base}'.`;
  if (extra.key && existsSync(`${base}.key`)) {
    const keyFile = `${base}.key`;
    try {
      const keyPem = readFileSync(keyFile, 'utf8');
      parts.key = createPrivateKey(keyPem);
      parts.keyPem = keyPem.trim();
    } catch {
      return `unable to load private key from file '${keyFile}'. '${keyFile}' is present but cannot be read or parsed'.`;
    }
  }
  if (!parts.key) return `No Private Key found in '${base}.key'.`;
  if (!cert.checkPrivateKey(parts.key)) return `inconsistencies between private key and certificate loaded '${path}'.`;
  if (all && existsSync(`${base}.sctl`))
    return `'${base}.sctl' is present but Switchyard cannot send signed certificate timestamps: remove it, or list the files to load in 'ssl-load-extra-files' (key ocsp issuer)`;
  if (extra.ocsp && existsSync(`${base}.ocsp`)) {
    try {
      parts.ocsp = readFileSync(`${base}.ocsp`);
    } catch {
      return 'Error opening OCSP response file';
    }
    if (extra.issuer && !parts.chain.some((c) => cert.checkIssued(c)) && existsSync(`${base}.issuer`)) {
      const file = `${base}.issuer`;
      const issuer = readIssuer(readFileSync(file, 'utf8'));
      if (!issuer) return `'${file}' cannot be read or parsed'.`;
      if (!cert.checkIssued(issuer)) return `'${file}' is not an issuer'.`;
      parts.issuer = issuer;
    }
  }
  return parts;
}

/** PEM_read_bio_X509_AUX: the first certificate of a PEM text, or undefined. */
export function readIssuer(text: string): X509Certificate | undefined {
  const m = /-----BEGIN (TRUSTED )?CERTIFICATE-----[\s\S]*?-----END \1?CERTIFICATE-----/.exec(text);
  if (!m) return undefined;
  try {
    return new X509Certificate(m[0]);
  } catch {
    return undefined;
  }
}
