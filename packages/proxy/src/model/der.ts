/**
 * A minimal DER reader (tag, length, content offsets) for the X.509 and OCSP structures the
 * TLS code reads: certificate fields, session IDs, OCSP responses and certificate IDs.
 */

/** One DER element: its tag byte and where its header and content lie in the buffer. */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  at: number;
  /** Offset of the content. */
  start: number;
  end: number;
}

/** The element at `at` (throws on a bad or truncated length). */
export function tlv(b: Buffer, at: number): Tlv {
  const tag = b[at];
  let len = b[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('bad DER length');
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[start + k];
    start += n;
  }
  if (tag === undefined || start + len > b.length) throw new Error('truncated DER');
  return { tag, at, start, end: start + len };
}

/** The elements inside a constructed element. */
export function children(b: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end; ) {
    const t = tlv(b, p);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** An OBJECT IDENTIFIER's content as dotted text. */
export function oidText(b: Buffer): string {
  const parts: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The DER encoding of one element: `tag`, its length, `content`. */
export function encodeTlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(head), content]);
}
