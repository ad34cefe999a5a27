/**
 * TLS termination material for `bind ... ssl crt FILE|DIR`: every PEM (certificate + key in one
 * file) becomes a secure context; names come from the certificate's CN and DNS SANs. The first
 * certificate loaded is the default (no SNI or no match), as HAProxy does.
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { BindModel, Diagnostic } from '@switchyard/config';
import type { TlsPlan } from './plan.ts';

/** Names a certificate serves: its DNS SANs, else its CN (lower-cased). */
export function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  const san = cert.subjectAltName;
  if (san) {
    for (const part of san.split(/,\s*/)) {
      if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
    }
  }
  if (names.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
    if (cn) names.push(cn[1].trim().toLowerCase());
  }
  return names;
}

function pemFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => !n.startsWith('.') && !n.endsWith('.key') && !n.endsWith('.ocsp') && !n.endsWith('.issuer'))
    .sort()
    .map((n) => join(path, n))
    .filter((p) => statSync(p).isFile());
}

/** Loads the certificates of an `ssl` bind; problems go to `diags` and yield undefined. */
export function loadTls(bind: BindModel, diags: Diagnostic[]): TlsPlan | undefined {
  const ssl = bind.ssl;
  if (!ssl) return undefined;
  const err = (code: string, message: string) => diags.push({ severity: 'error', code, message, loc: bind.loc });
  if (ssl.crt.length === 0) {
    err('CFG_SSL_NO_CRT', `bind '${bind.host}:${bind.port}' has 'ssl' but no 'crt' certificate`);
    return undefined;
  }
  let plan: TlsPlan | undefined;
  const byName = new Map<string, SecureContext>();
  const wildcards = new Map<string, SecureContext>();
  for (const crt of ssl.crt) {
    let files: string[];
    try {
      files = pemFiles(crt);
    } catch (e) {
      err('CFG_SSL_CRT_UNREADABLE', `unable to load SSL certificate '${crt}': ${(e as Error).message}`);
      continue;
    }
    if (files.length === 0) err('CFG_SSL_CRT_EMPTY', `certificate directory '${crt}' holds no PEM file`);
    for (const file of files) {
      try {
        const pem = readFileSync(file, 'utf8');
        if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
          err(
            'CFG_SSL_NO_KEY',
            `certificate file '${file}' has no private key (put the certificate and its key in one PEM)`,
          );
          continue;
        }
        const x509 = new X509Certificate(pem);
        const ctx = createSecureContext({ key: pem, cert: pem });
        if (!plan)
          plan = { defaultContext: ctx, byName, wildcards, defaultOptions: { key: pem, cert: pem }, alpn: ssl.alpn };
        for (const name of certificateNames(x509)) {
          if (name.startsWith('*.')) {
            if (!wildcards.has(name.slice(2))) wildcards.set(name.slice(2), ctx);
          } else if (!byName.has(name)) byName.set(name, ctx);
        }
      } catch (e) {
        err('CFG_SSL_CRT_INVALID', `unable to load SSL certificate '${file}': ${(e as Error).message}`);
      }
    }
  }
  return plan;
}

/** Context for an SNI name: exact name, then `*.parent` wildcard, else the default. */
export function contextForName(plan: TlsPlan, servername: string): SecureContext {
  const name = servername.toLowerCase();
  const exact = plan.byName.get(name);
  if (exact) return exact;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const w = plan.wildcards.get(name.slice(dot + 1));
    if (w) return w;
  }
  return plan.defaultContext;
}
