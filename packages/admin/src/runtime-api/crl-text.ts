/**
 * A CRL as haproxy 2.6's show_crl_detail writes it (`show ssl crl-file FILE`): version,
 * signature algorithm, issuer in the `/CN=...` form, updates, revoked serials and dates. Only
 * what can be printed exactly is printed: unknown algorithms or name attributes, or names with
 * characters OpenSSL would escape, give undefined.
 */
import { children, oidText, type Tlv, tlv } from '@switchyard/proxy';
import { hex, NAMES, SHORT } from './ocsp-text.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

class Unprintable extends Error {}

/** ASN1_TIME_print of a UTCTime or GeneralizedTime: `Dec  7 15:55:22 2026 GMT`. */
function time(b: Buffer, t: Tlv): string {
  const s = b.toString('latin1', t.start, t.end);
  const m =
    t.tag === UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new Unprintable('time');
  const year = t.tag === UTC_TIME ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  return `${MONTHS[Number(m[2]) - 1]} ${String(Number(m[3])).padStart(2, ' ')} ${m[4]}:${m[5]}:${m[6]} ${year} GMT`;
}

/** X509_NAME_oneline: `/C=FR/O=Test/CN=name`. */
function slashName(b: Buffer, n: Tlv): string {
  let out = '';
  for (const set of children(b, n))
    for (const atv of children(b, set)) {
      const [oid, value] = children(b, atv);
      const sn = SHORT[oidText(b.subarray(oid.start, oid.end))];
      const text = b.toString('latin1', value.start, value.end);
      if (!sn || !/^[\x20-\x7e]*$/.test(text)) throw new Unprintable('name');
      out += `/${sn}=${text}`;
    }
  return out;
}

/** The magnitude of an INTEGER, as i2a_ASN1_INTEGER prints it. */
function serial(b: Buffer, t: Tlv): string {
  let v = b.subarray(t.start, t.end);
  if (v[0] & 0x80) throw new Unprintable('negative');
  if (v.length > 1 && v[0] === 0) v = v.subarray(1);
  return hex(v);
}

function isTime(t: Tlv | undefined): t is Tlv {
  return t !== undefined && (t.tag === UTC_TIME || t.tag === GENERALIZED_TIME);
}

/** The lines show_crl_detail writes for one CRL (DER), or undefined. */
export function crlText(der: Buffer): string | undefined {
  try {
    const [tbs, sigAlg] = children(der, tlv(der, 0));
    const f = children(der, tbs);
    let i = 0;
    let version = 1;
    if (f[i]?.tag === 0x02) version = der[f[i++].end - 1] + 1;
    i++; // the inner signature algorithm: haproxy prints the outer one
    const issuer = f[i++];
    const thisUpdate = f[i++];
    const nextUpdate = isTime(f[i]) ? f[i++] : undefined;
    const revoked = f[i]?.tag === 0x30 ? children(der, f[i++]) : [];
    const algOid = children(der, sigAlg)[0];
    const alg = NAMES[oidText(der.subarray(algOid.start, algOid.end))];
    if (!alg || !issuer || !isTime(thisUpdate)) return undefined;
    let out = `Version ${version}\nSignature Algorithm: ${alg}\nIssuer: ${slashName(der, issuer)}\n`;
    out += `Last Update: ${time(der, thisUpdate)}\nNext Update: ${nextUpdate ? time(der, nextUpdate) : 'NONE'}\n`;
    if (revoked.length === 0) return `${out}No Revoked Certificates.\n`;
    out += 'Revoked Certificates:\n';
    for (const r of revoked) {
      const [sn, date] = children(der, r);
      out += `    Serial Number: ${serial(der, sn)}\n        Revocation Date: ${time(der, date)}\n`;
    }
    return out;
  } catch {
    return undefined;
  }
}
