/**
 * Runtime API OCSP commands of HAProxy 2.6 (management.txt "set ssl ocsp-response", "show ssl
 * ocsp-response"; src/ssl_sock.c): a new response for a certificate already stapling one, found
 * by the certificate ID inside the response; the list of IDs. Replies as haproxy prints them.
 */
import { type CertStore, checkOcspResponse, readCertId, storeOcspResponse } from '@switchyard/proxy';
import { hex, ocspResponseText } from './ocsp-text.ts';

/** base64dec: standard alphabet, padded, a length that is a multiple of 4; else undefined. */
export function strictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** `set ssl ocsp-response <base64>` (or its `<<` payload): checked as haproxy, then stapled at once. */
export function setOcspResponse(store: CertStore, arg: string | undefined, payload: string | undefined): string {
  const text = (payload ?? arg ?? '').replace(/[\r\n]/g, '');
  if (text === '') return "'set ssl ocsp-response' expects response in base64 encoding.\n";
  const der = strictBase64(text);
  if (!der) return "'set ssl ocsp-response' received invalid base64 encoded response.\n";
  const single = checkOcspResponse(der);
  if (typeof single === 'string') return `${single}.\n`;
  const slot = store.ocsp.get(single.certId.der.toString('hex'));
  if (!slot) return 'OCSP single response: Certificate ID does not match any certificate or issuer.\n';
  storeOcspResponse(slot, der, single);
  return 'OCSP Response updated!\n';
}

/**
 * ssl_ocsp_response_print's text of a stored response (nothing for an empty slot, as haproxy),
 * or the refusal when it holds parts not printed here.
 */
export function responseText(der: Buffer | undefined): string {
  if (!der) return '';
  return (
    ocspResponseText(der) ??
    "This OCSP response holds certificates or extensions Switchyard does not print: 'openssl ocsp -respin FILE -resp_text -noverify' prints it.\n"
  );
}

/** The ID's fields as ocsp_certid_print writes them (indent 1). */
function certIdText(key: Buffer): string {
  const id = readCertId(key);
  // an INTEGER's magnitude: DER's sign padding byte is not printed
  const serial = id.serial.length > 1 && id.serial[0] === 0 && id.serial[1] & 0x80 ? id.serial.subarray(1) : id.serial;
  return ` Certificate ID:\n   Issuer Name Hash: ${hex(id.nameHash)}\n   Issuer Key Hash: ${hex(id.keyHash)}\n   Serial Number: ${hex(serial, '00')}`;
}

/** The tree's order: keys compared as 128 zero-padded bytes. */
const padded = (hex: string) => hex.padEnd(256, '0');

/** `show ssl ocsp-response`: every certificate ID with a response slot, in key order. */
export function showOcspResponses(store: CertStore, id: string | undefined): string {
  if (id !== undefined && id !== '') {
    if (id.length > 256) return "'show ssl ocsp-response' received a too big key.\n";
    const want = /^(?:[0-9a-fA-F]{2})*$/.test(id) ? padded(id.toLowerCase()) : undefined;
    const slot = [...store.ocsp.values()].find((s) => padded(s.key.toString('hex')) === want);
    if (!slot) return 'Certificate ID does not match any certificate.\n';
    return responseText(slot.response);
  }
  let out = '# Certificate IDs\n';
  const keys = [...store.ocsp.keys()].sort((a, b) => (padded(a) < padded(b) ? -1 : padded(a) > padded(b) ? 1 : 0));
  for (const hex of keys) out += `Certificate ID key : ${hex}\n${certIdText(Buffer.from(hex, 'hex'))}\n`;
  return out;
}
