/**
 * Switchyard's `track_proxy { ... }` block inside a vrrp_instance:
 *   socket /run/switchyard.sock | 127.0.0.1:9999   (default: global_defs switchyard_socket)
 *   interval 1   timeout 2   rise 1   fall 1        (seconds / counts, like vrrp_script)
 *   weight 0 [reverse]                              (0: unhealthy -> FAULT; else keepalived weight rules)
 *   frontend NAME...   backend NAME...             (restrict which rows count; default all)
 */
import type { KeywordTable, ParseContext } from './engine.ts';
import type { SourceLoc, TrackProxy } from './model.ts';
import { need1, readDouble, readInt } from './values.ts';

/** Builds the track_proxy table writing into `p`. */
export function trackProxyTable(ctx: ParseContext, p: TrackProxy): KeywordTable {
  const t: KeywordTable = new Map();
  t.set('socket', {
    handler: (args, loc) => {
      const s = need1(ctx, 'socket', args, loc);
      if (s !== undefined) p.socket = s;
    },
  });
  const secs = (kw: 'interval' | 'timeout') => ({
    handler: (args: string[], loc: SourceLoc) => {
      const v = readDouble(ctx, args[0], 0.01, 3600, loc);
      if (v === undefined) ctx.report('warning', 'SY_TRACK_PROXY', `track_proxy ${kw} invalid - keeping ${p[kw]}`, loc);
      else p[kw] = v;
    },
  });
  t.set('interval', secs('interval'));
  t.set('timeout', secs('timeout'));
  const count = (kw: 'rise' | 'fall') => ({
    handler: (args: string[], loc: SourceLoc) => {
      const v = readInt(ctx, args[0], 1, 2147483647, loc);
      if (v === undefined) ctx.report('warning', 'SY_TRACK_PROXY', `track_proxy ${kw} invalid - keeping ${p[kw]}`, loc);
      else p[kw] = v;
    },
  });
  t.set('rise', count('rise'));
  t.set('fall', count('fall'));
  t.set('weight', {
    handler: (args, loc) => {
      const v = readInt(ctx, args[0], -253, 253, loc);
      if (v === undefined) {
        ctx.report('warning', 'SY_TRACK_PROXY', 'track_proxy weight must be in [-253, 253] - keeping 0', loc);
        return;
      }
      p.weight = v;
      p.weightReverse = args[1] === 'reverse';
    },
  });
  t.set('frontend', { handler: (args) => p.frontends.push(...args) });
  t.set('backend', { handler: (args) => p.backends.push(...args) });
  return t;
}
