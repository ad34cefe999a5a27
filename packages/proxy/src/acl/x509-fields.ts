/**
 * The certificate fields the `ssl_c_*` / `ssl_f_*` fetches return, read from the DER as
 * HAProxy 2.6's ssl_utils.c reads them from OpenSSL: the serial's magnitude bytes, validity
 * times as UTCTime text, and distinguished names in HAProxy's `/C=../CN=..` one-line form, by
 * entry (`ssl_c_s_dn(CN)`) or as OpenSSL's RFC 2253 text (`ssl_c_s_dn(,,rfc2253)`).
 * Binary values are latin1 strings (one char per byte), as the other binary samples.
 */
import { children, oidText, type Tlv, tlv } from '../model/der.ts';

/** One attribute of a name: its OID, the string's ASN.1 tag and content bytes, its RDN's index. */
interface NameEntry {
  oid: string;
  tag: number;
  value: Buffer;
  /** The whole value TLV (for RFC 2253's `#hex` dump of unknown fields). */
  der: Buffer;
  set: number;
}

/** The parsed fields of one certificate. */
export interface CertFields {
  version: number;
  serial: string;
  notBefore?: string;
  notAfter?: string;
  issuer: NameEntry[];
  subject: NameEntry[];
}

/** OpenSSL's short names (OBJ_nid2sn) for the attributes found in names. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.18': 'postOfficeBox',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.9.2': 'unstructuredName',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

function parseName(b: Buffer, name: Tlv): NameEntry[] {
  const out: NameEntry[] = [];
  children(b, name).forEach((set, i) => {
    for (const atv of children(b, set)) {
      const [oid, value] = children(b, atv);
      out.push({
        oid: oidText(b.subarray(oid.start, oid.end)),
        tag: value.tag,
        value: b.subarray(value.start, value.end),
        der: b.subarray(value.at, value.end),
        set: i,
      });
    }
  });
  return out;
}

/** ssl_sock_get_time: UTCTime as is (not before 1950..2049 dates), GeneralizedTime 20xx without the century. */
function timeText(b: Buffer, t: Tlv): string | undefined {
  const s = b.toString('latin1', t.start, t.end);
  if (t.tag === 0x18) return s.length >= 12 && s.startsWith('20') ? s.slice(2) : undefined;
  if (t.tag === 0x17) return s.length >= 10 && s.charCodeAt(0) < 0x35 ? s : undefined;
  return undefined;
}

/** The session ID of an SSL_SESSION (i2d_SSL_SESSION, `TLSSocket#getSession()`): its fourth field. */
export function sessionId(der: Buffer): string | undefined {
  try {
    const f = children(der, tlv(der, 0))[3];
    return f?.tag === 0x04 ? der.toString('hex', f.start, f.end) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the fields of a DER certificate; undefined when it is not one. */
export function certFields(der: Buffer): CertFields | undefined {
  try {
    const cert = tlv(der, 0);
    const tbs = children(der, tlv(der, cert.start));
    let k = 0;
    let version = 1;
    if (tbs[0].tag === 0xa0) {
      const v = tlv(der, tbs[0].start);
      version = 1 + der.readUIntBE(v.start, Math.min(6, v.end - v.start));
      k = 1;
    }
    const serialTlv = tbs[k];
    let serial = der.subarray(serialTlv.start, serialTlv.end);
    // OpenSSL keeps the magnitude: DER's sign padding byte is not part of it
    if (serial.length > 1 && serial[0] === 0 && serial[1] & 0x80) serial = serial.subarray(1);
    const [notBefore, notAfter] = children(der, tbs[k + 3]);
    return {
      version,
      serial: serial.toString('latin1'),
      notBefore: timeText(der, notBefore),
      notAfter: timeText(der, notAfter),
      issuer: parseName(der, tbs[k + 2]),
      subject: parseName(der, tbs[k + 4]),
    };
  } catch {
    return undefined;
  }
}

function shortName(e: NameEntry): string {
  return SHORT_NAMES[e.oid] ?? e.oid;
}

/** ssl_sock_get_dn_oneline: `/SN=value` for every entry, values as their raw bytes. */
export function dnOneline(entries: NameEntry[]): string | undefined {
  if (entries.length === 0) return undefined;
  let out = '';
  for (const e of entries) out += `/${shortName(e)}=${e.value.toString('latin1')}`;
  return out;
}

/** ssl_sock_get_dn_entry: occurrence `pos` (1-based, negative from the end) of entry `name`. */
export function dnEntry(entries: NameEntry[], name: string, pos: number): string | undefined {
  const want = name.toLowerCase();
  let cur = 0;
  const n = entries.length;
  for (let i = 0; i < n; i++) {
    const e = entries[pos < 0 ? n - 1 - i : i];
    if (shortName(e).toLowerCase() !== want) continue;
    cur += pos < 0 ? -1 : 1;
    if (cur === pos) return e.value.toString('latin1');
  }
  return undefined;
}

/** The characters of an ASN.1 string as OpenSSL's UTF8_CONVERT reads them, or undefined for a non-string type. */
function stringChars(e: NameEntry): number[] | undefined {
  const v = e.value;
  switch (e.tag) {
    case 0x0c:
      return Array.from(v.toString('utf8'), (c) => c.codePointAt(0) as number);
    case 0x1e: {
      const out: number[] = [];
      for (let i = 0; i + 1 < v.length; i += 2) out.push(v.readUInt16BE(i));
      return out;
    }
    case 0x1c: {
      const out: number[] = [];
      for (let i = 0; i + 3 < v.length; i += 4) out.push(v.readUInt32BE(i));
      return out;
    }
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x15:
    case 0x16:
    case 0x1a:
    case 0x1b:
      return Array.from(v);
    default:
      return undefined;
  }
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** One value escaped as X509_NAME_print_ex's ASN1_STRFLGS_RFC2253 does. */
function rfc2253Value(e: NameEntry): string {
  const chars = SHORT_NAMES[e.oid] ? stringChars(e) : undefined;
  // unknown fields and non-string values: `#` and the DER in hex
  if (!chars) return `#${Array.from(e.der, hex2).join('')}`;
  const bytes = Buffer.from(String.fromCodePoint(...chars), 'utf8');
  let out = '';
  bytes.forEach((c, i) => {
    const first = i === 0;
    const last = i === bytes.length - 1;
    if (c > 0x7f || c < 0x20 || c === 0x7f) out += `\\${hex2(c)}`;
    else if (',+"\\<>;'.includes(String.fromCharCode(c)) || (c === 0x23 && first) || (c === 0x20 && (first || last)))
      out += `\\${String.fromCharCode(c)}`;
    else out += String.fromCharCode(c);
  });
  return out;
}

/** The name as OpenSSL's XN_FLAG_RFC2253 text: last RDN first, `,` between RDNs, `+` inside one. */
export function dnRfc2253(entries: NameEntry[]): string | undefined {
  if (entries.length === 0) return undefined;
  let out = '';
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (i < entries.length - 1) out += entries[i + 1].set === e.set ? '+' : ',';
    out += `${shortName(e)}=${rfc2253Value(e)}`;
  }
  return out;
}
