/**
 * `cache NAME` sections as HAProxy 2.6's cfg_parse_cache: `total-max-size` (MB, required),
 * `max-object-size` (bytes, default a 256th of the total, at most half of it), `max-age`
 * (seconds, default 60), `max-secondary-entries` (default 10) and `process-vary`. Rules name a
 * cache with `http-request cache-use NAME` and `http-response cache-store NAME`.
 */

import type { Reporter } from './diagnostics.ts';
import type { CacheModel, ConfigModel, SourceLoc } from './model.ts';
import { err, type LineCtx, warn } from './state.ts';

/** HAProxy's cache blocks (CACHE_BLOCKSIZE). */
export const CACHE_BLOCK = 1024;

/** A new cache section, HAProxy's defaults; undefined (and an error) for a bad header line. */
export function openCache(ctx: LineCtx, config: ConfigModel): CacheModel | undefined {
  const name = ctx.args[1];
  if (!name) return void err(ctx, 'CFG_MISSING_ARG', "'cache' expects a <name> argument");
  if (ctx.args.length > 2)
    return void err(ctx, 'CFG_EXTRA_ARGS', `'cache' cannot handle unexpected argument '${ctx.args[2]}'.`);
  const all = (config.caches ??= []);
  if (all.some((c) => c.name === name)) return void err(ctx, 'CFG_DUPLICATE_NAME', `Duplicate cache name '${name}'.`);
  const c: CacheModel = {
    name,
    totalMaxSize: 0,
    maxObjectSize: 0,
    maxAge: 60,
    maxSecondaryEntries: 10,
    loc: { ...ctx.loc },
  };
  all.push(c);
  return c;
}

/** An unsigned integer written whole, else undefined. */
function uint(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** One line of a cache section. */
export function parseCacheLine(ctx: LineCtx, c: CacheModel): void {
  const [kw, v, extra] = ctx.args;
  if (extra !== undefined)
    return void err(ctx, 'CFG_EXTRA_ARGS', `'${kw}' cannot handle unexpected argument '${extra}'.`);
  switch (kw) {
    case 'total-max-size': {
      const n = uint(v);
      if (n === undefined) return void err(ctx, 'CFG_BAD_VALUE', `total-max-size wrong value '${v ?? ''}'`);
      if (n > 4095) return void err(ctx, 'CFG_BAD_VALUE', `"total-max-size" (${v}) must not be greater than 4095`);
      c.totalMaxSize = n * 1024 * 1024;
      return;
    }
    case 'max-object-size': {
      const n = uint(v);
      if (n === undefined) return void err(ctx, 'CFG_BAD_VALUE', `max-object-size wrong value '${v ?? ''}'`);
      c.maxObjectSize = n;
      return;
    }
    case 'max-age': {
      // HAProxy reads it with atoi(): leading digits, else 0
      if (v === undefined) warn(ctx, 'CFG_MISSING_ARG', "'max-age' expects an age parameter in seconds.");
      c.maxAge = Number(/^-?\d*/.exec(v ?? '')?.[0] || 0);
      return;
    }
    case 'max-secondary-entries': {
      const n = uint(v);
      if (n === undefined || n === 0)
        return void err(ctx, 'CFG_BAD_VALUE', `max-secondary-entries wrong value '${v ?? ''}'`);
      c.maxSecondaryEntries = n;
      return;
    }
    case 'process-vary':
      if (v === 'off') return;
      if (v === 'on')
        return void err(
          ctx,
          'CFG_UNSUPPORTED',
          "'process-vary on' is not supported yet: with 'off' (HAProxy's default) a response carrying a Vary header is not stored",
        );
      return void warn(
        ctx,
        'CFG_BAD_VALUE',
        `'process-vary' expects "on" or "off" (enable or disable vary processing).`,
      );
    default:
      return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown keyword '${kw}' in 'cache' section`);
  }
}

/** Once a cache section is read (HAProxy's cfg_post_parse_section_cache): its size, its object size. */
export function checkCache(c: CacheModel, r: Reporter): void {
  if (c.totalMaxSize <= 0) return void r.error(c.loc, 'CFG_MISSING_ARG', `Size not specified for cache '${c.name}'`);
  if (c.maxObjectSize === 0) c.maxObjectSize = c.totalMaxSize >> 8;
  else if (c.maxObjectSize > c.totalMaxSize / 2)
    r.error(
      c.loc,
      'CFG_BAD_VALUE',
      `"max-object-size" is limited to an half of "total-max-size" => ${c.totalMaxSize / 2}`,
    );
}

/** `cache-use` / `cache-store` rules must name a cache section. */
export function checkCacheRefs(config: ConfigModel, r: Reporter): void {
  const names = new Set((config.caches ?? []).map((c) => c.name));
  for (const p of config.proxies) {
    for (const rule of [...p.httpRequest, ...p.httpResponse]) {
      if ((rule.action === 'cache-use' || rule.action === 'cache-store') && !names.has(rule.cache))
        r.error(
          rule.loc as SourceLoc,
          'CFG_UNKNOWN_CACHE',
          `${p.kind === 'backend' ? 'backend' : p.kind === 'listen' ? 'proxy' : 'frontend'} '${p.name}': unable to find the cache '${rule.cache}' referenced by the filter 'cache'.`,
        );
    }
  }
}
