/**
 * `compression algo|type|offload` of defaults, frontend, backend and listen, as HAProxy 2.6's
 * parse_compression_options: each `algo` and `type` word goes at the head of its list (a later
 * word is tried first), and a proxy's own words go before those it inherited from its defaults
 * section. `offload` is not inherited (HAProxy warns and ignores it in a defaults section).
 */
import type { CompressionAlgo } from '../model.ts';
import { err, type LineCtx, type SectionState, warn } from '../state.ts';
import { ALL, type ProxyKeyword } from './types.ts';

/** HAProxy 2.6's algorithms, plus `br` (brotli), a Switchyard addition. */
const ALGOS = new Set<string>(['identity', 'gzip', 'deflate', 'raw-deflate', 'br']);

function parseCompression(ctx: LineCtx, s: SectionState): void {
  const [, what, ...words] = ctx.args;
  const comp = s.model.compression ?? { algos: [], types: [], offload: false };
  if (what === 'algo') {
    if (words.length === 0) return void err(ctx, 'CFG_MISSING_ARG', "'compression' expects <algorithm>.");
    for (const w of words) {
      if (!ALGOS.has(w)) return void err(ctx, 'CFG_BAD_VALUE', `'compression' : '${w}' is not a supported algorithm.`);
      comp.algos.unshift(w as CompressionAlgo);
    }
  } else if (what === 'type') {
    if (words.length === 0) return void err(ctx, 'CFG_MISSING_ARG', "'compression' expects <type>.");
    for (const w of words) comp.types.unshift(w);
  } else if (what === 'offload') {
    if (s.kind === 'defaults') warn(ctx, 'CFG_NO_EFFECT', "'compression' : 'offload' ignored in 'defaults' section.");
    else comp.offload = true;
  } else {
    return void err(ctx, 'CFG_BAD_VALUE', "'compression' expects 'algo', 'type' or 'offload'");
  }
  s.model.compression = comp;
}

export const COMPRESSION_KEYWORDS: Record<string, ProxyKeyword> = {
  /** `compression algo ALGO... | type MIME... | offload`: HTTP response compression. */
  compression: { caps: ALL, fn: parseCompression },
};
