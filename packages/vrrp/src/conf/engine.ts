/**
 * The keyword-tree walker, after keepalived 2.2.7's process_stream(): a block's keywords are looked up
 * in its table, `{` must open a block (else "Missing '{' at beginning of configuration block"), a
 * stray `{` is "Unexpected '{' - ignoring", `}` closes the current block, unknown keywords are
 * reported and the line dropped (their braces then open/close whatever block is current: that is how
 * keepalived recovers from broken nesting, and why we do the same). Inactive keywords (LVS sections)
 * have their whole block skipped by brace counting.
 */

import type { VrrpCode } from '../codes.ts';
import type { ConfLexer, LogicalLine } from './lexer.ts';
import type { Diagnostic, Severity, SourceLoc, VrrpTrackFile, VrrpTrackProcess } from './model.ts';

/** Messages about the block structure (others come from keyword handlers). */
const STRUCTURAL = new Set(['KA_UNKNOWN_KEYWORD', 'KA_MISSING_BOB', 'KA_UNEXPECTED_BOB']);

/** One keyword of a block. */
export interface Keyword {
  /** Called with the words after the keyword. */
  handler?: (args: string[], loc: SourceLoc) => void;
  /** Nested keyword block (evaluated after `handler`, so it can close over what the handler created). */
  sub?: () => KeywordTable;
  /** Called when the nested block closes (not when it was skipped). */
  close?: () => void;
  /** Skip this keyword's block entirely (the handler still runs, for the one-time warning). */
  inactive?: boolean;
}

/** Keywords of one block level. */
export type KeywordTable = Map<string, Keyword>;

/** What the parser may ask about the host. */
export interface HostView {
  ifExists(name: string): boolean;
}

/** Parser state shared by all keyword handlers. */
/**
 * Reports a keyword keepalived acts on and the sidecar cannot yet: a note for `-t` (keepalived's
 * exit status unchanged), and a refusal to start (preflight.ts turns every `SY_NOT_RUN` into one).
 */
export function notRun(ctx: ParseContext, what: string, loc: SourceLoc): void {
  ctx.report('warning', 'SY_NOT_RUN', `${what}: the sidecar refuses to start with it`, loc);
}

export class ParseContext {
  private skipSublevel = 0;
  private kwLevel = 0;

  /** Loc of the `}` that closed the last block or value block, or undefined when input ended first. */
  closeLoc: SourceLoc | undefined;
  /** vrrp_script names defined so far (track_script may only name a script defined above it). */
  readonly definedScripts = new Set<string>();
  /** track_file blocks read so far (an instance's track_file may only name one defined above it). */
  trackFiles: readonly VrrpTrackFile[] = [];
  /** vrrp_track_process blocks read so far (same rule). */
  trackProcesses: readonly VrrpTrackProcess[] = [];
  /** keepalived's next preference for a rule given none (RULE_START_PRIORITY, counting down per family). */
  readonly nextRulePriority: Record<4 | 6, number> = { 4: 16384, 6: 16384 };
  /** The host, for keepalived's parse-time interface checks; absent: no host checks. */
  host: HostView | undefined;

  /**
   * `topLevelCode`: replaces the code of structural messages at the top level (the parent and
   * checker readings mark theirs, since the VRRP reading saw those lines differently).
   */
  constructor(
    readonly lex: ConfLexer,
    readonly diags: Diagnostic[],
    private readonly topLevelCode?: VrrpCode,
  ) {}

  /** Set by fatal(): keepalived's VRRP process exits there, so the reading stops. */
  aborted = false;

  /** keepalived's null_strvec(): a keyword missing its parameter ends the reading (exit status 2). */
  fatal(keyword: string, loc: SourceLoc): void {
    this.report(
      'error',
      'KA_FATAL_MISSING_PARAMETER',
      `*** Configuration line starting \`${keyword}\` is missing a parameter after keyword \`${keyword}\` at word position 2`,
      loc,
    );
    this.aborted = true;
  }

  /** Records a diagnostic. */
  report(severity: Severity, code: VrrpCode, message: string, loc?: SourceLoc): void {
    if (this.topLevelCode && this.kwLevel === 0 && STRUCTURAL.has(code)) code = this.topLevelCode;
    this.diags.push(loc ? { severity, code, message, loc } : { severity, code, message });
  }

  /** keepalived's skip_block(): ignore the rest of the block being opened. */
  skipBlock(needBlockStart: boolean): void {
    this.skipSublevel = needBlockStart ? -1 : 1;
  }

  /**
   * keepalived's alloc_value_block(): reads `{ ... }` and hands each inner line's words to `fn`.
   * `args` are the words after the keyword on its own line (extra ones are reported).
   */
  readValueBlock(keyword: string, args: string[], loc: SourceLoc, fn: (words: string[], loc: SourceLoc) => void): void {
    if (args.length > 0) {
      this.report('warning', 'KA_BLOCK_EXTRA_PARAMS', `Block ${keyword} has extra parameters ${args[0]} ...`, loc);
    }
    let needBob = true;
    for (let line = this.lex.next(); line; line = this.lex.next()) {
      let words = line.words;
      if (needBob) {
        needBob = false;
        if (words[0] === '{') {
          if (words.length === 1) continue;
          words = words.slice(1);
        } else {
          this.report('warning', 'KA_MISSING_BOB', `'{' missing from beginning of block ${keyword}`, line.loc);
        }
      }
      if (words[words.length - 1] === '}') {
        this.closeLoc = line.loc;
        if (words.length === 1) return;
        fn(words.slice(0, -1), line.loc);
        return;
      }
      fn(words, line.loc);
    }
    this.closeLoc = undefined;
  }

  /** Walks one block level; returns true when it ended because a skipped block closed. */
  process(table: KeywordTable, needBob: boolean): boolean {
    for (let line = this.aborted ? undefined : this.lex.next(); line; line = this.lex.next()) {
      const r = this.step(table, line, needBob);
      if (this.aborted) return true;
      needBob = false;
      if (r === 'close') {
        this.closeLoc = line.loc;
        return false;
      }
      if (r === 'skip-close') return true;
    }
    this.closeLoc = undefined;
    return false;
  }

  private step(table: KeywordTable, line: LogicalLine, needBob: boolean): 'next' | 'close' | 'skip-close' {
    const { words, loc } = line;
    let str = words[0];
    if (this.skipSublevel === -1) {
      if (str === '{') {
        this.skipSublevel = 1;
        return 'next';
      }
      this.skipSublevel = 0;
    }
    if (this.skipSublevel) {
      for (const w of words) {
        if (w === '{') this.skipSublevel++;
        else if (w === '}' && --this.skipSublevel === 0) break;
      }
      if (str === '}' && this.skipSublevel === 0 && this.kwLevel > 0) return 'skip-close';
      return 'next';
    }
    if (needBob) {
      if (str === '{' && this.kwLevel > 0) return 'next';
      this.report('warning', 'KA_MISSING_BOB', "Missing '{' at beginning of configuration block", loc);
    } else if (str === '{') {
      this.report('warning', 'KA_UNEXPECTED_BOB', "Unexpected '{' - ignoring", loc);
      return 'next';
    }
    if (str === '}' && this.kwLevel > 0) return 'close';
    const kw = table.get(str);
    if (!kw) {
      this.report('warning', 'KA_UNKNOWN_KEYWORD', `Unknown keyword '${str}'`, loc);
      return 'next';
    }
    if (kw.inactive) this.skipSublevel = -1;
    str = '';
    kw.handler?.(words.slice(1), loc);
    if (kw.sub) {
      this.kwLevel++;
      const skipped = this.process(kw.sub(), true);
      this.kwLevel--;
      if (!skipped && !kw.inactive) kw.close?.();
    }
    return 'next';
  }
}
