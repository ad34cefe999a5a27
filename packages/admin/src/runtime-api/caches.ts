/**
 * `show cache` in HAProxy 2.6's words: a line per cache (its free 1 KiB blocks), then a line per
 * live entry by hash order (the first 4 bytes of the URL's sha1, as HAProxy's read_u32), with its
 * size, blocks, refcount and seconds to expiry. The `0x...` values are ids, not addresses, and the
 * vary key is zero (`process-vary on` is refused). Under `--workers` this is the caches of the
 * worker that answers (each worker has its own).
 */
import type { ProxyRuntime } from '@switchyard/proxy';

const VARY = '0'.repeat(16);

const id = (n: number): string => `0x${(0x7f0000000000 + n * 0x1000).toString(16)}`;

export function renderCaches(rt: ProxyRuntime): string {
  let out = '';
  let n = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const c of rt.caches?.values() ?? []) {
    const cid = ++n;
    out += `${id(cid)}: ${c.name} (shctx:${id(cid + 0x100)}, available blocks:${c.available})\n`;
    let k = 0;
    for (const e of c.list(now)) {
      const blocks = Math.ceil(e.size / 1024);
      out += `${id(cid * 0x10000 + ++k)} hash:${e.hash} vary:0x${VARY} size:${e.size} (${blocks} blocks), refcount:0, expire:${e.expire - now}\n`;
    }
  }
  return out;
}
