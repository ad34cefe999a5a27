/** `vrrp_script NAME { ... }` keywords, with keepalived 2.2.7's checks and messages. */
import type { KeywordTable, ParseContext } from './engine.ts';
import { fatalWithoutParam } from './kw-shared.ts';
import { splitCommand } from './lexer.ts';
import type { SourceLoc, VrrpScript } from './model.ts';
import { need1, readInt } from './values.ts';

/** A fresh script with keepalived's defaults (interval 1 s, weight 0, rise 1, fall 1). */
export function newScript(name: string, loc: SourceLoc): VrrpScript & { timeoutSet: boolean } {
  return {
    name,
    script: '',
    argv: [],
    interval: 1,
    timeout: 1,
    timeoutSet: false,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    initFail: false,
    loc,
  };
}

/** Builds the vrrp_script table writing into `s`. */
export function scriptTable(ctx: ParseContext, s: VrrpScript & { timeoutSet: boolean }): KeywordTable {
  const t: KeywordTable = new Map();
  t.set('script', {
    handler: (args, loc) => {
      // keepalived says nothing here; the block's end reports "No script set".
      const v = args[0];
      if (v === undefined) return;
      // keepalived takes a single quoted command line, or the remaining words.
      s.script = args.length === 1 ? v : args.join(' ');
      const argv = splitCommand(s.script);
      if (typeof argv === 'string') {
        ctx.report('error', 'KA_UNMATCHED_QUOTE', argv, loc);
        s.script = '';
        return;
      }
      s.argv = argv;
    },
  });
  // keepalived 2.2.7 reads both as whole seconds.
  t.set('interval', {
    handler: (args, loc) => {
      const v = readInt(ctx, args[0], 0, 2147483, loc);
      if (v === undefined || v === 0) {
        ctx.report(
          'warning',
          'KA_SCRIPT_INTERVAL',
          `(${s.name}): vrrp script interval must be greater than 0, setting to 1`,
          loc,
        );
        s.interval = 1;
      } else s.interval = v;
    },
  });
  t.set('timeout', {
    handler: (args, loc) => {
      const v = readInt(ctx, args[0], 0, 2147483, loc);
      if (v === undefined || v === 0) {
        ctx.report(
          'warning',
          'KA_SCRIPT_TIMEOUT',
          `(${s.name}): vrrp script timeout '${args[0] ?? ''}' invalid - ignoring`,
          loc,
        );
      } else {
        s.timeout = v;
        s.timeoutSet = true;
      }
    },
  });
  t.set('weight', {
    handler: (args, loc) => {
      const v = readInt(ctx, args[0], -253, 253, loc);
      if (v === undefined) {
        ctx.report(
          'warning',
          'KA_SCRIPT_WEIGHT',
          `vrrp_script ${s.name} weight ${args[0] ?? ''} must be in [-253, 253]`,
          loc,
        );
        return;
      }
      s.weight = v;
      if (args[1] === 'reverse') s.weightReverse = true;
      else if (args[1] !== undefined)
        ctx.report('warning', 'KA_SCRIPT_WEIGHT', `(${s.name}) unknown weight option '${args[1]}'`, loc);
    },
  });
  const count = (kw: 'rise' | 'fall') => ({
    handler: (args: string[], loc: SourceLoc) => {
      const v = readInt(ctx, args[0], 1, 2147483647, loc);
      if (v === undefined) {
        ctx.report(
          'warning',
          'KA_SCRIPT_COUNT',
          `(${s.name}): vrrp script ${kw} value '${args[0] ?? ''}' invalid, defaulting to 1`,
          loc,
        );
        s[kw] = 1;
      } else s[kw] = v;
    },
  });
  t.set('rise', count('rise'));
  t.set('fall', count('fall'));
  t.set('user', {
    handler: (args, loc) => {
      const u = need1(ctx, 'user', args, loc);
      if (u !== undefined) s.user = args[1] ? { user: u, group: args[1] } : { user: u };
    },
  });
  t.set('init_fail', { handler: () => (s.initFail = true) });
  return fatalWithoutParam(ctx, t);
}

/** keepalived's end-of-block checks for a script. */
export function closeScript(ctx: ParseContext, s: VrrpScript & { timeoutSet: boolean }): boolean {
  if (!s.script) {
    // keepalived reports it on the closing '}' line (without a line when the file ended first).
    ctx.report('error', 'KA_SCRIPT_MISSING', `No script set for vrrp_script ${s.name} - removing`, ctx.closeLoc);
    return false;
  }
  if (!s.timeoutSet) s.timeout = s.interval;
  return true;
}
