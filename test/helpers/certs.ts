/** Self-signed test certificates made with Debian's openssl. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a self-signed certificate for `name` (CN and DNS SAN): both in one `dir/NAME.pem`
 * (HAProxy's `crt` format), and apart as `NAME.key` and `NAME.crt` in `parts` (default `dir`;
 * another folder keeps a `crt DIR` bind from seeing them); returns the three paths.
 */
export function makeCert(dir: string, name: string, parts = dir): { key: string; crt: string; pem: string } {
  const key = join(parts, `${name}.key`);
  const crt = join(parts, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      crt,
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  const pem = join(dir, `${name}.pem`);
  writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
  return { key, crt, pem };
}

/**
 * A side-by-side TLS configuration: the stats socket DIR/SIDE.sock at level admin, one http
 * frontend with `binds` (each `bind` line's words after the keyword) answering 200 `ok`.
 */
export function tlsFrontendConfig(dir: string, side: 'sy' | 'hx', binds: string[]): string {
  return `global
  stats socket ${dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
${binds.map((b) => `  bind ${b}\n`).join('')}  http-request return status 200 content-type text/plain string ok
`;
}
