/**
 * Request checks beyond node's llhttp (which already rejects obs-fold, bad chunk sizes, invalid
 * header characters, and Content-Length together with Transfer-Encoding in strict mode): the
 * shapes a backend could read as two requests, answered 400 and never forwarded.
 */

/** Why a request is refused, or undefined when it may be forwarded. */
export function invalidRequestReason(raw: string[], httpVersion: string): string | undefined {
  let length: string | undefined;
  let te: string | undefined;
  let hosts = 0;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    const len = n.length;
    if (len !== 4 && len !== 14 && len !== 17) continue;
    const l = n.toLowerCase();
    const v = raw[i + 1];
    if (l === 'content-length') {
      // One field may carry a list ("5, 5"): all members must be equal digits.
      for (const part of v.split(',')) {
        const p = part.trim();
        if (!/^\d+$/.test(p)) return 'invalid Content-Length';
        if (length !== undefined && length !== p.replace(/^0+(?=\d)/, '')) return 'conflicting Content-Length values';
        length = p.replace(/^0+(?=\d)/, '');
      }
    } else if (l === 'transfer-encoding') {
      te = te === undefined ? v : `${te},${v}`;
    } else if (l === 'host') {
      if (hosts > 0 && v.toLowerCase() !== host) return 'several different Host headers';
      hosts++;
      host = v.toLowerCase();
    }
  }
  if (te !== undefined) {
    if (httpVersion === '1.0') return 'Transfer-Encoding in an HTTP/1.0 request';
    if (length !== undefined) return 'both Content-Length and Transfer-Encoding';
    const codings = te.split(',').map((s) => s.trim().toLowerCase());
    if (codings[codings.length - 1] !== 'chunked') return 'Transfer-Encoding does not end with chunked';
    if (codings.indexOf('chunked') !== codings.length - 1) return 'chunked applied more than once';
  }
  return undefined;
}
