/** A private CA, a server certificate and client certificates made with Debian's openssl at test time. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/** Writes `NAME.key` and a CA certificate `NAME.crt` in `dir`. */
export function makeCa(dir: string, name: string): void {
  ssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/C=FR/O=Test/CN=${name}`,
    ]),
  );
}

/**
 * Writes `NAME.key`, `NAME.crt` signed by `ca` (the CA's `CA.crt`/`CA.key` in `dir`), and
 * `NAME.pem` (certificate then key). `req` adds options to `openssl req` (e.g. `-utf8`).
 */
export function makeLeaf(dir: string, ca: string, name: string, subj: string, ext: string, req: string[] = []): void {
  ssl(
    dir,
    ['req', ...req, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout'].concat([
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subj,
    ]),
  );
  writeFileSync(join(dir, `${name}.ext`), ext);
  ssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial'].concat([
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ]),
  );
  writeFileSync(
    join(dir, `${name}.pem`),
    readFileSync(join(dir, `${name}.crt`), 'utf8') + readFileSync(join(dir, `${name}.key`), 'utf8'),
  );
}

export interface Pki {
  /** CA certificate that signs server.pem and client.pem. */
  ca: string;
  /** Server certificate + key for `localhost` (CN and SAN). */
  server: string;
  /** Client certificate `/C=FR/O=Test/OU=Dev/CN=alice` signed by the CA: .crt and .key. */
  client: { crt: string; key: string };
  /** Client certificate signed by another CA. */
  stranger: { crt: string; key: string };
}

/** Makes the CA, the server and two client certificates in `dir`. */
export function makePki(dir: string): Pki {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'ca', 'server', '/CN=localhost', 'subjectAltName=DNS:localhost\n');
  makeLeaf(dir, 'ca', 'client', '/C=FR/O=Test/OU=Dev/CN=alice', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'other-ca', 'stranger', '/CN=mallory', 'extendedKeyUsage=clientAuth\n');
  const pair = (n: string) => ({ crt: join(dir, `${n}.crt`), key: join(dir, `${n}.key`) });
  return {
    ca: join(dir, 'ca.crt'),
    server: join(dir, 'server.pem'),
    client: pair('client'),
    stranger: pair('stranger'),
  };
}

/**
 * Writes `out` (DER): the CA `ca`'s OCSP response (`openssl ocsp`, no certificates inside) for the
 * certificate `crt`, good or revoked, valid one day.
 */
export function makeOcspResponse(dir: string, ca: string, crt: string, out: string, status: 'good' | 'revoked'): void {
  const serial = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-serial'], { cwd: dir, encoding: 'utf8' })
    .trim()
    .split('=')[1];
  const subject = `/CN=${crt}`;
  const line =
    status === 'good'
      ? `V\t301231235959Z\t\t${serial}\tunknown\t${subject}\n`
      : `R\t301231235959Z\t260101000000Z\t${serial}\tunknown\t${subject}\n`;
  writeFileSync(join(dir, 'index.txt'), line);
  ssl(
    dir,
    ['ocsp', '-index', 'index.txt', '-rsigner', `${ca}.crt`, '-rkey', `${ca}.key`, '-CA', `${ca}.crt`].concat([
      '-issuer',
      `${ca}.crt`,
      '-cert',
      crt,
      '-respout',
      out,
      '-ndays',
      '1',
      '-resp_no_certs',
    ]),
  );
}

/** Writes `out` (PEM): a CRL of the CA `ca` (in `dir`) revoking the certificates `revoked` (paths). */
export function makeCrl(dir: string, ca: string, revoked: string[], out: string): void {
  const lines = revoked.map((crt) => {
    const serial = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-serial'], { cwd: dir, encoding: 'utf8' })
      .trim()
      .split('=')[1];
    return `R\t301231235959Z\t260101000000Z\t${serial}\tunknown\t/CN=${crt}\n`;
  });
  writeFileSync(join(dir, `${ca}.index`), lines.join(''));
  writeFileSync(join(dir, `${ca}.crlnumber`), '01\n');
  writeFileSync(
    join(dir, `${ca}.crl.cnf`),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${ca}.index\ncrlnumber=${ca}.crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n`,
  );
  ssl(dir, ['ca', '-config', `${ca}.crl.cnf`, '-gencrl', '-keyfile', `${ca}.key`, '-cert', `${ca}.crt`, '-out', out]);
}
