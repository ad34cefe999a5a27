/**
 * The keywords this parser knows, per block, read from the keyword tables themselves (so the
 * README's keyword table can be checked against the parser, not against a list kept by hand).
 */
import { type KeywordTable, ParseContext } from './engine.ts';
import { globalDefsTable } from './kw-global.ts';
import { ConfLexer } from './lexer.ts';
import type { SourceLoc } from './model.ts';
import { emptyModel, vrrpRoot } from './parser.ts';

/** Block name (`root` for the top level, else the keyword that opens it) -> its keywords, sorted. */
export type KeywordInventory = Record<string, string[]>;

/**
 * Every keyword of every block the VRRP reading knows. A block keyword's sub-table is reached by
 * running its handler once on a throwaway context (nothing to read: value blocks end at once).
 */
export function parserKeywords(): KeywordInventory {
  const diags: never[] = [];
  const ctx = new ParseContext(new ConfLexer('', 'keywords', diags, {}), diags);
  const root: KeywordTable = new Map();
  const model = emptyModel();
  vrrpRoot(ctx, root, model);
  const out: KeywordInventory = {};
  const loc: SourceLoc = { file: 'keywords', line: 1 };
  const walk = (name: string, table: KeywordTable) => {
    out[name] = [...table.keys()].sort();
    for (const [kw, entry] of table) {
      if (!entry.sub || entry.inactive) continue;
      entry.handler?.(['x'], loc);
      walk(kw, entry.sub());
      entry.close?.();
    }
  };
  walk('root', root);
  // global_defs is read by keepalived's parent process only (inactive in the VRRP reading).
  out.global_defs = [...globalDefsTable(ctx, model.globalDefs).keys()].sort();
  return out;
}
