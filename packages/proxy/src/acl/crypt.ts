/**
 * crypt(3) verification for `userlist` passwords, as glibc/libxcrypt computes them: MD5-crypt
 * (`$1$`, Kamp's algorithm), SHA-256/SHA-512-crypt (`$5$`/`$6$`, Drepper's specification, with
 * `rounds=N`) over node:crypto, and bcrypt (`$2a$`/`$2b$`/`$2y$`) through bcryptjs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(v: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return s;
}

/** Encodes digest bytes in the order crypt lists them: triples (b2, b1, b0), then the tail. */
function encode(d: Buffer, triples: number[][], tail: string): string {
  let s = '';
  for (const [a, b, c] of triples) s += to64((d[a] << 16) | (d[b] << 8) | d[c], 4);
  return s + tail;
}

/** MD5-crypt (`$1$salt$...`), salt up to 8 characters. */
export function md5Crypt(pw: Buffer, setting: string): string {
  const rest = setting.slice(3);
  const end = rest.indexOf('$');
  const salt = Buffer.from((end < 0 ? rest : rest.slice(0, end)).slice(0, 8), 'latin1');
  const magic = Buffer.from('$1$');
  let fin = createHash('md5').update(pw).update(salt).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(magic).update(salt);
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(pl, 16)));
  const zero = Buffer.alloc(1);
  for (let i = pw.length; i; i >>>= 1) ctx.update(i & 1 ? zero : pw.subarray(0, 1));
  fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(salt);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  const tail = to64(fin[11], 2);
  const triples = [
    [0, 6, 12],
    [1, 7, 13],
    [2, 8, 14],
    [3, 9, 15],
    [4, 10, 5],
  ];
  return `$1$${salt.toString('latin1')}$${encode(fin, triples, tail)}`;
}

const SHA256_ORDER = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
];
const SHA512_ORDER = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

/** `len` bytes of `block` repeated. */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

/** SHA-256-crypt (`$5$`) and SHA-512-crypt (`$6$`), `[rounds=N$]salt` (salt up to 16 characters). */
export function shaCrypt(pw: Buffer, setting: string): string {
  const id = setting[1];
  const alg = id === '5' ? 'sha256' : 'sha512';
  const hlen = id === '5' ? 32 : 64;
  let rest = setting.slice(3);
  let rounds = 5000;
  let custom = false;
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    rounds = Math.min(999999999, Math.max(1000, Number(m[1])));
    custom = true;
    rest = rest.slice(m[0].length);
  }
  const end = rest.indexOf('$');
  const salt = Buffer.from((end < 0 ? rest : rest.slice(0, end)).slice(0, 16), 'latin1');
  const h = () => createHash(alg);
  const b = h().update(pw).update(salt).update(pw).digest();
  const actx = h().update(pw).update(salt);
  let i = pw.length;
  for (; i > hlen; i -= hlen) actx.update(b);
  actx.update(b.subarray(0, i));
  for (let n = pw.length; n > 0; n >>>= 1) actx.update(n & 1 ? b : pw);
  let c = actx.digest();
  const dp = h();
  for (let n = 0; n < pw.length; n++) dp.update(pw);
  const p = repeatTo(dp.digest(), pw.length);
  const ds = h();
  for (let n = 0; n < 16 + c[0]; n++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);
  for (let r = 0; r < rounds; r++) {
    const x = h();
    x.update(r & 1 ? p : c);
    if (r % 3) x.update(s);
    if (r % 7) x.update(p);
    x.update(r & 1 ? c : p);
    c = x.digest();
  }
  const tail = id === '5' ? to64((c[31] << 8) | c[30], 3) : to64(c[63], 2);
  const out = encode(c, id === '5' ? SHA256_ORDER : SHA512_ORDER, tail);
  return `$${id}$${custom ? `rounds=${rounds}$` : ''}${salt.toString('latin1')}$${out}`;
}

/** crypt(pw, hash) === hash for the supported methods; false for any other hash. */
export function verifyCrypt(pw: Buffer, hash: string): boolean {
  let computed: string;
  if (hash.startsWith('$1$')) computed = md5Crypt(pw, hash);
  else if (hash.startsWith('$5$') || hash.startsWith('$6$')) computed = shaCrypt(pw, hash);
  else if (/^\$2[aby]\$\d\d\$/.test(hash)) {
    try {
      return bcrypt.compareSync(pw.toString('utf8'), hash);
    } catch {
      return false;
    }
  } else return false;
  const a = Buffer.from(computed, 'latin1');
  const b = Buffer.from(hash, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
