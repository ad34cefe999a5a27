/**
 * Fetches on the client's TLS connection (HAProxy 2.6 ssl_sample.c): `ssl_fc*` for the session,
 * `ssl_c_*` for the client certificate, `ssl_f_*` for the frontend's own certificate. They read
 * the TLSSocket the request came on (HttpTxn.tls); certificate fields are parsed once per
 * connection. Binary samples (serial, sha1, der) are latin1 strings, one char per byte.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { HttpTxn } from '../model/txn.ts';
import type { FetchDef, FetchFn } from './types.ts';
import { type CertFields, certFields, dnEntry, dnOneline, dnRfc2253 } from './x509-fields.ts';

/** OpenSSL's X509_V_ERR_* numbers by the code Node reports (`authorizationError`). */
const VERIFY_ERRORS: Record<string, number> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  ERROR_IN_CRL_LAST_UPDATE_FIELD: 15,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: 16,
  OUT_OF_MEM: 17,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
};

/** A certificate of the connection with its parsed fields, cached on the socket. */
interface CertView {
  der: Buffer;
  fields: CertFields;
}
type Which = 'peer' | 'local';
const CACHE = Symbol('switchyard.tlsCerts');
type CachedSocket = TLSSocket & { [CACHE]?: Partial<Record<Which, CertView | null>> };

function certOf(s: TLSSocket, which: Which): CertView | undefined {
  const c = ((s as CachedSocket)[CACHE] ??= {});
  let v = c[which];
  if (v === undefined) {
    let x: X509Certificate | undefined;
    try {
      x = which === 'peer' ? s.getPeerX509Certificate() : s.getX509Certificate();
    } catch {
      x = undefined;
    }
    const fields = x ? certFields(x.raw) : undefined;
    v = x && fields ? { der: x.raw, fields } : null;
    c[which] = v;
  }
  return v ?? undefined;
}

function simple(type: FetchDef['type'], fn: FetchFn): FetchDef {
  return { type, minArgs: 0, maxArgs: 0, create: () => fn };
}

/** A fetch on the TLS socket: absent on a clear connection. */
function onTls(type: FetchDef['type'], fn: (s: TLSSocket, t: HttpTxn) => ReturnType<FetchFn>): FetchDef {
  return simple(type, (t) => (t.tls ? fn(t.tls, t) : undefined));
}

/** A sample of one certificate of the connection (client's `c`, frontend's `f`). */
function certFn(which: Which, fn: (c: CertView) => ReturnType<FetchFn>): FetchFn {
  return (t) => {
    const c = t.tls ? certOf(t.tls, which) : undefined;
    return c ? fn(c) : undefined;
  };
}

function onCert(which: Which, type: FetchDef['type'], fn: (c: CertView) => ReturnType<FetchFn>): FetchDef {
  return simple(type, certFn(which, fn));
}

/** `*_s_dn` / `*_i_dn([entry[,occ[,format]]])`, validated as val_dnfmt does. */
function dnFetch(which: Which, part: 'subject' | 'issuer'): FetchDef {
  return {
    type: 'str',
    minArgs: 0,
    maxArgs: 3,
    create(args) {
      const entry = args[0] ?? '';
      let pos = 1;
      // as HAProxy's argument parser: an empty integer is only accepted as the last argument
      if (args[1] === '' && args.length > 2) return "the occurrence is empty: write one, e.g. '(,0,rfc2253)'";
      if (args[1] !== undefined && args[1] !== '') {
        if (!/^-?\d+$/.test(args[1])) return `occurrence '${args[1]}' is not an integer`;
        pos = Number(args[1]);
      }
      const format = args[2] ?? '';
      if (format !== '' && format !== 'rfc2253')
        return 'only rfc2253 or a blank value are currently supported as the format argument.';
      return certFn(which, (c) => {
        const name = c.fields[part];
        if (entry !== '') return dnEntry(name, entry, pos);
        if (format !== '') return dnRfc2253(name);
        return dnOneline(name);
      });
    },
  };
}

/** Names of the fetches one certificate has, in the order certFetches defines them. */
type CertNames = [
  der: string,
  sha1: string,
  serial: string,
  notafter: string,
  notbefore: string,
  version: string,
  sDn: string,
  iDn: string,
];

/** The fetches one certificate (`ssl_c_*` or `ssl_f_*`) has. */
function certFetches(names: CertNames, which: Which): Array<[string[], FetchDef]> {
  const [der, sha1, serial, notafter, notbefore, version, sDn, iDn] = names;
  return [
    [[der], onCert(which, 'str', (c) => c.der.toString('latin1'))],
    [[sha1], onCert(which, 'str', (c) => createHash('sha1').update(c.der).digest().toString('latin1'))],
    [[serial], onCert(which, 'str', (c) => c.fields.serial)],
    [[notafter], onCert(which, 'str', (c) => c.fields.notAfter)],
    [[notbefore], onCert(which, 'str', (c) => c.fields.notBefore)],
    [[version], onCert(which, 'int', (c) => c.fields.version)],
    [[sDn], dnFetch(which, 'subject')],
    [[iDn], dnFetch(which, 'issuer')],
  ];
}

/** The SNI of the connection (for a session resumed by ID, the one it was made with: tls-session-cache.ts). */
function sniOf(s: TLSSocket): string | undefined {
  return typeof s.servername === 'string' && s.servername !== '' ? s.servername : undefined;
}

/** True when the client sent its certificate in this handshake (not from a resumed session). */
function certSentNow(s: TLSSocket): boolean {
  return certOf(s, 'peer') !== undefined && !s.isSessionReused();
}

/** The TLS fetches, registered by fetches.ts with the other builtins. */
export const SSL_FETCHES: Array<[string[], FetchDef]> = [
  [['ssl_fc'], simple('bool', (t) => t.ssl)],
  // these two answer false on a clear connection (ssl_sample.c sets them without an SSL object)
  [['ssl_fc_has_sni'], simple('bool', (t) => t.tls !== undefined && sniOf(t.tls) !== undefined)],
  [['ssl_fc_sni'], onTls('str', sniOf)],
  [['ssl_fc_alpn'], onTls('str', (s) => s.alpnProtocol || undefined)],
  [['ssl_fc_protocol'], onTls('str', (s) => s.getProtocol() ?? undefined)],
  [['ssl_fc_cipher'], onTls('str', (s) => s.getCipher()?.name)],
  [['ssl_fc_is_resumed'], simple('bool', (t) => t.tls?.isSessionReused() === true)],
  [['ssl_fc_has_crt'], onTls('bool', certSentNow)],
  [['ssl_c_used'], onTls('bool', (s) => certOf(s, 'peer') !== undefined)],
  // X509_V_OK without a certificate, as SSL_get_verify_result
  [
    ['ssl_c_verify'],
    onTls('int', (s) =>
      certOf(s, 'peer') === undefined || s.authorized ? 0 : (VERIFY_ERRORS[String(s.authorizationError)] ?? 1),
    ),
  ],
  // errors ignored by crt-ignore-err / ca-ignore-err (not supported: a failing certificate ends the handshake)
  [['ssl_c_err'], onTls('int', () => 0)],
  [['ssl_c_ca_err'], onTls('int', () => 0)],
  [['ssl_c_ca_err_depth'], onTls('int', () => 0)],
  ...certFetches(
    [
      'ssl_c_der',
      'ssl_c_sha1',
      'ssl_c_serial',
      'ssl_c_notafter',
      'ssl_c_notbefore',
      'ssl_c_version',
      'ssl_c_s_dn',
      'ssl_c_i_dn',
    ],
    'peer',
  ),
  ...certFetches(
    [
      'ssl_f_der',
      'ssl_f_sha1',
      'ssl_f_serial',
      'ssl_f_notafter',
      'ssl_f_notbefore',
      'ssl_f_version',
      'ssl_f_s_dn',
      'ssl_f_i_dn',
    ],
    'local',
  ),
];

/** `%sslc`: the client connection's cipher (OpenSSL name), '' on a clear connection. */
export function sslCipher(t: HttpTxn): string {
  return t.tls?.getCipher()?.name ?? '';
}

/** `%sslv`: the client connection's protocol version (`TLSv1.3`), '' on a clear connection. */
export function sslVersion(t: HttpTxn): string {
  return t.tls?.getProtocol() ?? '';
}
