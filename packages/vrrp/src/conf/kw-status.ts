/**
 * The two answers for a keepalived keyword Switchyard does not act on: `warned` (it has no effect
 * because what it tunes does not exist in Switchyard, said with the reason) and `refused` (keepalived
 * would act on it: the sidecar refuses to start, `-t` says so with the line). The lists of both live
 * beside each block's table; packages/vrrp/README.md's keyword table is checked against them.
 */
import { type Keyword, type KeywordTable, notRun, type ParseContext } from './engine.ts';

/** keyword -> the reason, as printed. */
export type Reasons = Readonly<Record<string, string>>;

/** Where the keyword sits, for the message: `global_defs`, `(VI_1)`, ... */
function owner(where: string, kw: string): string {
  return `${where} '${kw}'`;
}

/** A keyword with no effect in Switchyard: accepted with a warning naming the reason. */
export function warnedKeyword(ctx: ParseContext, where: string, kw: string, reason: string): Keyword {
  return {
    handler: (_args, loc) =>
      ctx.report('warning', 'SY_NO_EFFECT', `${owner(where, kw)} has no effect in Switchyard: ${reason}`, loc),
  };
}

/**
 * A keyword keepalived acts on and Switchyard does not: refused at start and by `-t`. `block`:
 * the keyword opens a `{ ... }` value block (read and dropped with it).
 */
export function refusedKeyword(ctx: ParseContext, where: string, kw: string, reason: string, block = false): Keyword {
  return {
    handler: (args, loc) => {
      notRun(ctx, `${owner(where, kw)} is not supported by Switchyard (${reason})`, loc);
      if (block) ctx.readValueBlock(kw, args, loc, () => {});
    },
  };
}

/** Adds the warned and refused keywords of one block to its table. */
export function addStatusKeywords(
  ctx: ParseContext,
  t: KeywordTable,
  where: string,
  warned: Reasons,
  refused: Reasons,
  blocks: readonly string[] = [],
): void {
  for (const [kw, why] of Object.entries(warned)) t.set(kw, warnedKeyword(ctx, where, kw, why));
  for (const [kw, why] of Object.entries(refused)) t.set(kw, refusedKeyword(ctx, where, kw, why, blocks.includes(kw)));
}
