/** HAProxy address forms: `HOST:PORT`, `[v6]:PORT`, `:::PORT`, `*:PORT`, `ipv4@`, `ipv6@`, `unix@`, paths. */
import { isIP } from 'node:net';

export type ParsedAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'inet'; host: string; family: 4 | 6 | 0; port?: number; portEnd?: number };

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

/**
 * Parses an address. Without brackets the port is after the LAST colon, as HAProxy does
 * (`:::80` is `::` port 80). Returns an error message string on failure.
 */
export function parseAddress(
  text: string,
  opts: { allowRange?: boolean; allowAny?: boolean } = {},
): ParsedAddress | string {
  let s = text;
  let forced: 4 | 6 | 0 = 0;
  const at = /^([a-z0-9]+)@/.exec(s);
  if (at) {
    const proto = at[1];
    s = s.slice(at[0].length);
    if (proto === 'unix') {
      if (!s) return `missing path after 'unix@' in '${text}'`;
      return { kind: 'unix', path: s };
    }
    if (proto === 'ipv4' || proto === 'tcp4') forced = 4;
    else if (proto === 'ipv6' || proto === 'tcp6') forced = 6;
    else if (proto !== 'tcp')
      return `address family '${proto}@' in '${text}' is not supported (use ipv4@, ipv6@ or unix@)`;
  } else if (s.startsWith('/')) {
    return { kind: 'unix', path: s };
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return `missing ']' in address '${text}'`;
    host = s.slice(1, end);
    const rest = s.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return `unexpected '${rest}' after ']' in address '${text}'`;
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) {
      host = s;
    } else {
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    }
  }
  if (host === '*') host = '';
  let family: 4 | 6 | 0 = 0;
  if (host === '') {
    if (!opts.allowAny) return `missing host in address '${text}'`;
    family = forced;
  } else {
    const ip = isIP(host);
    if (ip === 4 || ip === 6) family = ip;
    else if (!HOSTNAME.test(host) || /^[\d.]+$/.test(host)) return `invalid host '${host}' in address '${text}'`;
    if (forced && ip && ip !== forced) return `'${host}' is not an IPv${forced} address in '${text}'`;
  }
  if (portText === undefined || portText === '') return { kind: 'inet', host, family };
  if (/^[+-]\d+$/.test(portText)) {
    return `port offsets ('${portText}') are not supported: write the server's port explicitly`;
  }
  const m = /^(\d+)(?:-(\d+))?$/.exec(portText);
  if (!m) return `invalid port '${portText}' in address '${text}'`;
  const port = Number(m[1]);
  const portEnd = m[2] === undefined ? undefined : Number(m[2]);
  if (port < 1 || port > 65535) return `port ${port} out of range (1-65535) in '${text}'`;
  if (portEnd !== undefined) {
    if (!opts.allowRange) return `port ranges are not allowed here ('${portText}')`;
    if (portEnd < port || portEnd > 65535) return `invalid port range '${portText}' in '${text}'`;
  }
  return { kind: 'inet', host, family, port, portEnd };
}
