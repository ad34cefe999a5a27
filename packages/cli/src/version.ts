/** `switchyard -v` / `-vv`. */
import { readFileSync } from 'node:fs';

/** Defined (true) by scripts/build.mjs in dist/main.js; undeclared when running the sources. */
declare const SWITCHYARD_BUNDLE: boolean | undefined;

/** What this process runs: the bundle or the TypeScript sources (through tsx). */
export function codeOrigin(): string {
  return typeof SWITCHYARD_BUNDLE !== 'undefined'
    ? 'dist/main.js (built by scripts/build.mjs)'
    : 'TypeScript sources through tsx';
}

/** The package version from the repository's package.json. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Text printed by -v (and -vv with build details). */
export function versionText(verbose: boolean): string {
  let out = `Switchyard version ${version()} - HAProxy 2.6 configuration compatible\n`;
  if (verbose) {
    out += `Running on: Node.js ${process.version} ${process.platform}/${process.arch}\n`;
    out += `OpenSSL: ${process.versions.openssl}\n`;
    out += `Upstream HTTP/1 client: built in (llhttp ${process.versions.llhttp}); HTTP/2: node:http2 (nghttp2 ${process.versions.nghttp2})\n`;
    out += 'Syslog over UDP and unix datagram sockets (@switchyard/unixsock); TLS via node:tls\n';
    out += `Code: ${codeOrigin()}\n`;
  }
  return out;
}
