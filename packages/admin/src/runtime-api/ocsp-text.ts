/**
 * The text of an OCSP response as OpenSSL 3's OCSP_RESPONSE_print writes it and haproxy 2.6's
 * ssl_ocsp_response_print shows it (`show ssl ocsp-response ID`, `show ssl cert FILE.ocsp`):
 * empty lines get a space. Only what can be printed exactly is printed: responses carrying
 * certificates, extensions other than the nonce, or unknown algorithms give undefined (the
 * command then refuses with its reason).
 */
import { children, oidText, type Tlv, tlv } from '@switchyard/proxy';

const STATUS = ['successful', 'malformedrequest', 'internalerror', 'trylater', '', 'sigrequired', 'unauthorized'];
const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  '',
  'removeFromCRL',
];
/** OBJ long names of the algorithms a response names. */
export const NAMES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.3.101.112': 'ED25519',
};
/** X509_NAME_print_ex's XN_FLAG_FN_SN short names. */
export const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
const NONCE = '1.3.6.1.5.5.7.48.1.2';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

class Unprintable extends Error {}

function name(oid: string, table: Record<string, string>): string {
  const n = table[oid];
  if (!n) throw new Unprintable(oid);
  return n;
}

/** i2a_ASN1_STRING / i2a_ASN1_INTEGER: upper-case hex, a backslash-newline every 35 bytes. */
export function hex(b: Buffer, empty = '0'): string {
  if (b.length === 0) return empty;
  let out = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0 && i % 35 === 0) out += '\\\n';
    out += b[i].toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** ASN1_GENERALIZEDTIME_print: `Dec  7 15:55:22 2026 GMT`. */
function time(b: Buffer, t: Tlv): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(b.toString('latin1', t.start, t.end));
  if (!m) throw new Unprintable('time');
  return `${MONTHS[Number(m[2]) - 1]} ${String(Number(m[3])).padStart(2, ' ')} ${m[4]}:${m[5]}:${m[6]} ${m[1]} GMT`;
}

/** X509_NAME_print_ex(XN_FLAG_ONELINE) for plain names: `C = FR, O = Test, CN = ca`. */
function oneLine(b: Buffer, n: Tlv): string {
  const rdns = children(b, n).map((set) =>
    children(b, set)
      .map((atv) => {
        const [oid, value] = children(b, atv);
        const text = b.toString('latin1', value.start, value.end);
        if (!/^[A-Za-z0-9 ._@'()/:=?-]*$/.test(text) || text.startsWith(' ') || text.endsWith(' '))
          throw new Unprintable('name');
        return `${name(oidText(b.subarray(oid.start, oid.end)), SHORT)} = ${text}`;
      })
      .join(' + '),
  );
  return rdns.join(', ');
}

/** The magnitude of an INTEGER (i2a_ASN1_INTEGER drops DER's sign padding). */
function integer(b: Buffer, t: Tlv): Buffer {
  const v = b.subarray(t.start, t.end);
  if (v[0] & 0x80) throw new Unprintable('negative');
  return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
}

function extensions(b: Buffer, list: Tlv, title: string, indent: number): string {
  const exts = children(b, list);
  if (exts.length === 0) return '';
  let out = `${' '.repeat(indent)}${title}:\n`;
  for (const ext of exts) {
    const parts = children(b, ext);
    const oid = oidText(b.subarray(parts[0].start, parts[0].end));
    if (oid !== NONCE) throw new Unprintable(oid);
    const critical = parts.length === 3 && b[parts[1].start] !== 0;
    const value = parts[parts.length - 1];
    out += `${' '.repeat(indent + 4)}OCSP Nonce: ${critical ? 'critical' : ''}\n`;
    out += `${' '.repeat(indent + 8)}${hex(b.subarray(value.start, value.end))}\n`;
  }
  return out;
}

function single(b: Buffer, s: Tlv): string {
  const [id, status, thisUpd, ...rest] = children(b, s);
  const [alg, nameHash, keyHash, serial] = children(b, id);
  const algOid = children(b, alg)[0];
  let out = '    Certificate ID:\n';
  out += `      Hash Algorithm: ${name(oidText(b.subarray(algOid.start, algOid.end)), NAMES)}\n`;
  out += `      Issuer Name Hash: ${hex(b.subarray(nameHash.start, nameHash.end))}\n`;
  out += `      Issuer Key Hash: ${hex(b.subarray(keyHash.start, keyHash.end))}\n`;
  out += `      Serial Number: ${hex(integer(b, serial), '00')}\n`;
  const kind = status.tag & 0x1f;
  out += `    Cert Status: ${['good', 'revoked', 'unknown'][kind] ?? ''}`;
  if (kind === 1) {
    const [when, reason] = children(b, status);
    out += `\n    Revocation Time: ${time(b, when)}`;
    if (reason) {
      const r = b[tlv(b, reason.start).start];
      out += `\n    Revocation Reason: ${REASONS[r] || '(UNKNOWN)'} (0x${r.toString(16)})`;
    }
  }
  out += `\n    This Update: ${time(b, thisUpd)}`;
  const next = rest.find((t) => t.tag === 0xa0);
  if (next) out += `\n    Next Update: ${time(b, tlv(b, next.start))}`;
  out += '\n';
  const exts = rest.find((t) => t.tag === 0xa1);
  if (exts) out += extensions(b, tlv(b, exts.start), 'Response Single Extensions', 8);
  return `${out}\n`;
}

function basic(b: Buffer): string {
  const [data, sigAlg, sig, certs] = children(b, tlv(b, 0));
  if (certs) throw new Unprintable('certificates');
  const rd = children(b, data);
  let k = 0;
  let version = 0;
  if (rd[0].tag === 0xa0) {
    const v = tlv(b, rd[0].start);
    version = b.readUIntBE(v.start, v.end - v.start);
    k = 1;
  }
  const responder = rd[k];
  let out = `\n    Version: ${version + 1} (0x${version.toString(16)})\n    Responder Id: `;
  const inner = tlv(b, responder.start);
  // byName [1] Name, byKey [2] KeyHash (OCTET STRING)
  out += responder.tag === 0xa1 ? oneLine(b, inner) : hex(b.subarray(inner.start, inner.end));
  out += `\n    Produced At: ${time(b, rd[k + 1])}\n    Responses:\n`;
  for (const s of children(b, rd[k + 2])) out += single(b, s);
  const exts = rd.slice(k + 3).find((t) => t.tag === 0xa1);
  if (exts) out += extensions(b, tlv(b, exts.start), 'Response Extensions', 4);
  const alg = children(b, sigAlg)[0];
  out += `    Signature Algorithm: ${name(oidText(b.subarray(alg.start, alg.end)), NAMES)}\n    Signature Value:`;
  // X509_signature_dump: 18 bytes a line, indent 8, the BIT STRING's unused-bits byte left out
  const bytes = b.subarray(sig.start + 1, sig.end);
  for (let i = 0; i < bytes.length; i++) {
    if (i % 18 === 0) out += `\n${' '.repeat(8)}`;
    out += `${bytes[i].toString(16).padStart(2, '0')}${i + 1 === bytes.length ? '' : ':'}`;
  }
  return `${out}\n`;
}

/** The printed response (haproxy's text), or undefined when it holds what is not printed here. */
export function ocspResponseText(der: Buffer): string | undefined {
  try {
    const top = children(der, tlv(der, 0));
    const status = der[top[0].start];
    let out = `OCSP Response Data:\n    OCSP Response Status: ${STATUS[status] || '(UNKNOWN)'} (0x${status.toString(16)})\n`;
    if (top[1]) {
      const [type, octets] = children(der, tlv(der, top[1].start));
      if (oidText(der.subarray(type.start, type.end)) !== '1.3.6.1.5.5.7.48.1.1') return undefined;
      out = `${out}    Response Type: Basic OCSP Response${basic(der.subarray(octets.start, octets.end))}`;
    }
    // ssl_ocsp_response_print: a space on every empty line
    return out.replace(/\n(?=\n)/g, '\n ');
  } catch {
    return undefined;
  }
}
