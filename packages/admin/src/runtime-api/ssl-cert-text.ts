/**
 * A certificate as haproxy 2.6's show_cert_detail writes it (`show ssl cert FILE`, `show ssl
 * ca-file FILE`).
 */
import type { X509Certificate } from 'node:crypto';

/** An X.509 name as ssl_sock_get_dn_oneline writes it: `/C=FR/O=Test/CN=name`. */
export function dnOneLine(dn: string): string {
  return dn === '' ? '' : `/${dn.split('\n').join('/')}`;
}

function algorithm(cert: X509Certificate): string {
  const k = cert.publicKey;
  const type = k.asymmetricKeyType;
  const d = k.asymmetricKeyDetails;
  if (type === 'rsa' || type === 'rsa-pss') return `RSA${d?.modulusLength ?? 0}`;
  if (type === 'ec') return `EC${curveBits(d?.namedCurve)}`;
  if (type === 'dsa') return `DSA${d?.modulusLength ?? 0}`;
  return type ?? '';
}

function curveBits(curve: string | undefined): number {
  const m = /(\d{3})/.exec(curve ?? '');
  return m ? Number(m[1]) : 0;
}

/** The Serial ... Issuer lines of show_cert_detail. */
export function certLines(cert: X509Certificate): string {
  let out = '';
  out += `Serial: ${cert.serialNumber.toUpperCase()}\n`;
  out += `notBefore: ${cert.validFrom}\n`;
  out += `notAfter: ${cert.validTo}\n`;
  // ssl_sock_get_san_oneline: every entry is separated, only DNS names are written
  const san = cert.subjectAltName;
  const dns = san
    ? san
        .split(', ')
        .map((s) => (s.startsWith('DNS:') ? s : ''))
        .join(', ')
    : '';
  out += `Subject Alternative Name: ${dns}\n`;
  out += `Algorithm: ${algorithm(cert)}\n`;
  out += `SHA1 FingerPrint: ${cert.fingerprint.replace(/:/g, '')}\n`;
  out += `Subject: ${dnOneLine(cert.subject)}\n`;
  out += `Issuer: ${dnOneLine(cert.issuer)}\n`;
  return out;
}
