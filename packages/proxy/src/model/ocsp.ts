/**
 * OCSP stapling material as HAProxy 2.6 keeps it (src/ssl_sock.c, certificate_ocsp): a response
 * per OCSP certificate ID (SHA-1 CertID of the certificate and its issuer, DER-encoded: the key
 * of `show ssl ocsp-response`), checked when loaded the way ssl_sock_load_ocsp_response checks
 * it, and stapled while its nextUpdate (less 300 s) has not passed.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { children, encodeTlv, oidText, tlv } from './der.ts';

/** OCSP_MAX_RESPONSE_TIME_SKEW: the clock skew allowed on thisUpdate/nextUpdate. */
const MAX_SKEW_S = 300;
const SHA1_ALG = Buffer.from('300906052b0e03021a0500', 'hex');
const BASIC_RESPONSE = '1.3.6.1.5.5.7.48.1.1';

/** One OCSP response slot, shared by every certificate instance with the same ID. */
export interface OcspEntry {
  /** DER CertID: the tree's key. */
  key: Buffer;
  /** The DER OCSPResponse stapled; none until a valid one is loaded. */
  response?: Buffer;
  /** Unix seconds after which the response is no longer stapled (nextUpdate - 300 s). */
  expire: number;
}

/** The parts of a CertID that OCSP_id_cmp compares, and its DER. */
export interface CertId {
  der: Buffer;
  hashOid: string;
  nameHash: Buffer;
  keyHash: Buffer;
  serial: Buffer;
}

/** What a valid response says about its one certificate. */
export interface OcspSingle {
  certId: CertId;
  /** Unix seconds. */
  nextUpdate: number;
}

interface CertDer {
  serial: Buffer;
  subject: Buffer;
  /** subjectPublicKey BIT STRING content without its unused-bits byte. */
  publicKey: Buffer;
}

function certDer(cert: X509Certificate): CertDer {
  const b = cert.raw;
  const tbs = children(b, tlv(b, tlv(b, 0).start));
  const k = tbs[0].tag === 0xa0 ? 1 : 0;
  const serial = tbs[k];
  const subject = tbs[k + 4];
  const spki = children(b, tbs[k + 5]);
  const bits = spki[1];
  return {
    serial: b.subarray(serial.start, serial.end),
    subject: b.subarray(subject.at, subject.end),
    publicKey: b.subarray(bits.start + 1, bits.end),
  };
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest();

/** OCSP_cert_to_id(NULL, cert, issuer): the SHA-1 certificate ID, DER-encoded. */
export function ocspCertId(cert: X509Certificate, issuer: X509Certificate): Buffer {
  const c = certDer(cert);
  const i = certDer(issuer);
  return encodeTlv(
    0x30,
    Buffer.concat([
      SHA1_ALG,
      encodeTlv(0x04, sha1(i.subject)),
      encodeTlv(0x04, sha1(i.publicKey)),
      encodeTlv(0x02, c.serial),
    ]),
  );
}

/** The issuer used for the OCSP ID: one of the chain's certificates first, else the `.issuer` file. */
export function ocspIssuer(
  cert: X509Certificate,
  chain: X509Certificate[],
  issuerFile?: X509Certificate,
): X509Certificate | undefined {
  return chain.find((c) => cert.checkIssued(c)) ?? issuerFile;
}

/** Reads a DER CertID (throws when it is not one). */
export function readCertId(b: Buffer, at = 0): CertId {
  const t = tlv(b, at);
  const [alg, name, key, serial] = children(b, t);
  const oid = children(b, alg)[0];
  if (t.tag !== 0x30 || oid?.tag !== 0x06 || name?.tag !== 0x04 || key?.tag !== 0x04 || serial?.tag !== 0x02)
    throw new Error('not a CertID');
  return {
    der: b.subarray(t.at, t.end),
    hashOid: oidText(b.subarray(oid.start, oid.end)),
    nameHash: b.subarray(name.start, name.end),
    keyHash: b.subarray(key.start, key.end),
    serial: b.subarray(serial.start, serial.end),
  };
}

/** OCSP_id_cmp: same hash algorithm, issuer hashes and serial. */
export function sameCertId(a: CertId, b: CertId): boolean {
  return (
    a.hashOid === b.hashOid && a.nameHash.equals(b.nameHash) && a.keyHash.equals(b.keyHash) && a.serial.equals(b.serial)
  );
}

/** GeneralizedTime text (`YYYYMMDDHHMMSS[.f]Z`) as Unix seconds. */
function generalizedTime(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
  if (!m) throw new Error('bad time');
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
}

/** The BasicOCSPResponse's ResponseData elements and the buffer they are in. */
function basicResponse(der: Buffer): { b: Buffer; data: ReturnType<typeof children> } | string {
  let b: Buffer;
  let status: number;
  let bytes: ReturnType<typeof children>;
  try {
    const top = tlv(der, 0);
    if (top.tag !== 0x30 || top.end !== der.length) return 'Unable to parse OCSP response';
    const parts = children(der, top);
    if (parts[0]?.tag !== 0x0a) return 'Unable to parse OCSP response';
    status = der[parts[0].start];
    bytes = parts[1]?.tag === 0xa0 ? children(der, tlv(der, parts[1].start)) : [];
  } catch {
    return 'Unable to parse OCSP response';
  }
  if (status !== 0) return 'OCSP response status not successful';
  const [type, octets] = bytes;
  if (type?.tag !== 0x06 || octets?.tag !== 0x04 || oidText(der.subarray(type.start, type.end)) !== BASIC_RESPONSE)
    return 'Failed to get basic response from OCSP Response';
  try {
    b = der.subarray(octets.start, octets.end);
    const basic = children(b, tlv(b, 0));
    return { b, data: children(b, basic[0]) };
  } catch {
    return 'Failed to get basic response from OCSP Response';
  }
}

/**
 * Checks a DER OCSP response as ssl_sock_load_ocsp_response does: successful, basic, exactly
 * one single response, status good or revoked, a nextUpdate, valid now (300 s skew), and when
 * `want` is given, about that certificate ID. Returns HAProxy's error text when it is not.
 */
export function checkOcspResponse(der: Buffer, want?: CertId, now = Date.now() / 1000): OcspSingle | string {
  const basic = basicResponse(der);
  if (typeof basic === 'string') return basic;
  const { b, data } = basic;
  try {
    // ResponseData: [0] version?, responderID, producedAt, responses, [1] extensions?
    const k = data[0]?.tag === 0xa0 ? 1 : 0;
    const responses = children(b, data[k + 2]);
    if (responses.length > 1)
      return `OCSP response ignored because contains multiple single responses (${responses.length})`;
    const single = responses[0];
    if (!single) return 'Failed to get OCSP single response';
    const [id, status, thisUpd, ...rest] = children(b, single);
    const certId = readCertId(b, id.at);
    // CertStatus: good [0], revoked [1], unknown [2] (context-specific, implicit)
    if ((status.tag & 0x1f) === 2) return 'OCSP single response: certificate status is unknown';
    const next = rest.find((t) => t.tag === 0xa0);
    if (!next) return 'OCSP single response: missing nextupdate';
    const nextT = tlv(b, next.start);
    const thisUpdate = generalizedTime(b.toString('latin1', thisUpd.start, thisUpd.end));
    const nextUpdate = generalizedTime(b.toString('latin1', nextT.start, nextT.end));
    // OCSP_check_validity(thisupd, nextupd, 300, -1)
    if (thisUpdate > now + MAX_SKEW_S || nextUpdate < now - MAX_SKEW_S || nextUpdate < thisUpdate)
      return 'OCSP single response: no longer valid.';
    if (want && !sameCertId(certId, want))
      return 'OCSP single response: Certificate ID does not match certificate and issuer';
    return { certId, nextUpdate };
  } catch {
    return 'Unable to parse OCSP response';
  }
}

/** ckch_store_build_certid: the CertID DER of a response's first single response (none: empty). */
export function responseCertId(der: Buffer | undefined): Buffer {
  if (!der) return Buffer.alloc(0);
  const basic = basicResponse(der);
  if (typeof basic === 'string') return Buffer.alloc(0);
  try {
    const { b, data } = basic;
    const k = data[0]?.tag === 0xa0 ? 1 : 0;
    const first = children(b, data[k + 2])[0];
    return first ? readCertId(b, children(b, first)[0].at).der : Buffer.alloc(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** Stores a checked response in its slot (the expiry from its nextUpdate). */
export function storeOcspResponse(entry: OcspEntry, der: Buffer, single: OcspSingle): void {
  entry.response = der;
  entry.expire = single.nextUpdate - MAX_SKEW_S;
}

/** The response to staple for a slot now, if any. */
export function stapleOf(entry: OcspEntry | undefined): Buffer | undefined {
  return entry?.response && entry.expire >= Date.now() / 1000 ? entry.response : undefined;
}

/** A certificate's OCSP setup: its ID key, and the response when it checks out (else HAProxy's warning). */
export interface OcspSetup {
  key: Buffer;
  single?: OcspSingle;
  warning?: string;
}

/**
 * ssl_sock_load_ocsp for a certificate that has an `.ocsp` response: the issuer (chain, then
 * `.issuer`) gives the ID; a response that does not check out is ignored with a warning.
 * Returns an error message when no issuer is found.
 */
export function prepareOcsp(
  file: string,
  cert: X509Certificate,
  chain: X509Certificate[],
  issuerFile: X509Certificate | undefined,
  response: Buffer,
): OcspSetup | string {
  const issuer = ocspIssuer(cert, chain, issuerFile);
  if (!issuer)
    return `'${file}.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID (maybe the issuer could not be found)'.`;
  const key = ocspCertId(cert, issuer);
  const single = checkOcspResponse(response, readCertId(key));
  if (typeof single === 'string') return { key, warning: `Loading: ${single}. Content will be ignored.` };
  return { key, single };
}
