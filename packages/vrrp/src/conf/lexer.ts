/**
 * keepalived.conf line reader, after keepalived 2.2.7's lib/parser.c read_line(): comments (`!`, `#`,
 * anywhere outside quotes, `\#` and `\!` escape them), `@ID` / `@^ID` conditional lines, `$NAME=VALUE`
 * definitions and `$NAME` / `${NAME}` substitution, `include GLOB`, and the splitting of a physical line
 * at its first unquoted `{` or `}` so that braces always arrive as logical lines of their own
 * (`vrrp_instance X {` is read as `vrrp_instance X` then `{`). Brace depth is tracked as keepalived
 * does, for its "Extra '}' found" and "missing '}'" reports.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { expandGlob } from './glob.ts';
import type { Diagnostic, SourceLoc } from './model.ts';
import { decomment, tokenize } from './words.ts';

/** One logical line: its words (quotes removed) and where it came from. */
export interface LogicalLine {
  words: string[];
  loc: SourceLoc;
}

interface FileState {
  file: string;
  lines: string[];
  next: number;
}

/** Options for the reader. */
export interface LexerOptions {
  /** keepalived's `-i CONFIG_ID`: selects `@ID` lines. Absent: `@ID` lines are dropped, `@^ID` kept. */
  configId?: string;
  /** Reads an included file; defaults to fs. Throws on failure. */
  readFile?: (path: string) => string;
}

/** Pull-based reader of logical lines across a file and its includes. */
export class ConfLexer {
  readonly files: string[] = [];
  private readonly stack: FileState[] = [];
  private residue: { text: string; loc: SourceLoc } | undefined;
  private readonly defs = new Map<string, string>();
  private blockDepth = 0;
  private readonly opts: LexerOptions;
  private readonly diags: Diagnostic[];

  constructor(text: string, file: string, diags: Diagnostic[], opts: LexerOptions = {}) {
    this.opts = opts;
    this.diags = diags;
    this.push(file, text);
  }

  /** Current position, for diagnostics about the end of input. */
  get lastLoc(): SourceLoc | undefined {
    const top = this.stack[this.stack.length - 1];
    return top ? { file: top.file, line: top.next } : undefined;
  }

  /** Reports what keepalived reports once the whole input is read. */
  finish(): void {
    if (this.blockDepth > 0) {
      this.diags.push({
        severity: 'error',
        code: 'KA_MISSING_EOB',
        message: `There are ${this.blockDepth} missing '}'s or extra '{'s`,
      });
    }
  }

  /** Next logical line, or undefined at the end of all input. */
  next(): LogicalLine | undefined {
    for (;;) {
      let text: string | undefined;
      let loc: SourceLoc;
      if (this.residue) {
        ({ text, loc } = this.residue);
        this.residue = undefined;
      } else {
        const raw = this.nextPhysical();
        if (!raw) return undefined;
        loc = raw.loc;
        text = this.preprocess(raw.text, raw.loc);
        if (text === undefined) continue;
      }
      const line = this.splitBrace(text, loc);
      if (line) return line;
    }
  }

  private push(file: string, text: string): void {
    this.files.push(file);
    this.stack.push({ file, lines: text.split('\n'), next: 0 });
  }

  private nextPhysical(): { text: string; loc: SourceLoc } | undefined {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return undefined;
      if (top.next >= top.lines.length) {
        this.stack.pop();
        continue;
      }
      const i = top.next++;
      let text = top.lines[i];
      // A final empty string after the last '\n' is not a line.
      if (i === top.lines.length - 1 && text === '') continue;
      text = text.replace(/[\r\n]+$/, '');
      return { text, loc: { file: top.file, line: i + 1 } };
    }
  }

  /** decomment(), @conditionals, $definitions, include. Returns the cleaned text or undefined to skip. */
  private preprocess(text: string, loc: SourceLoc): string | undefined {
    let s = decomment(text, loc, this.diags);
    if (s === '') return undefined;
    if (s[0] === '@') {
      const rev = s[1] === '^';
      const ofs = rev ? 2 : 1;
      const m = /[ \t]/.exec(s.slice(ofs));
      if (!m) return undefined;
      const id = s.slice(ofs, ofs + m.index);
      const matches = this.opts.configId !== undefined && id === this.opts.configId;
      if (matches === rev) return undefined;
      s = s.slice(ofs + m.index).trimStart();
    }
    if (s[0] === '$') {
      const def = /^\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/.exec(s);
      if (def) {
        if (def[2].endsWith('\\')) {
          this.diags.push({
            severity: 'warning',
            code: 'KA_UNSUPPORTED_MULTILINE_DEF',
            message: `Multiline definition $${def[1]} is not supported by Switchyard: using its first line only`,
            loc,
          });
          def[2] = def[2].slice(0, -1).trimEnd();
        }
        this.defs.set(def[1], def[2]);
        return undefined;
      }
    }
    if (s.startsWith('~SEQ')) {
      this.diags.push({
        severity: 'warning',
        code: 'KA_UNSUPPORTED_SEQ',
        message: `~SEQ line generation is not supported by Switchyard: line ignored`,
        loc,
      });
      return undefined;
    }
    if (this.defs.size > 0 && s.includes('$')) s = this.substitute(s);
    const words = tokenize(s, loc, this.diags);
    if (words.length === 2 && words[0] === 'include') {
      this.include(words[1], loc);
      return undefined;
    }
    return s;
  }

  private substitute(s: string): string {
    return s.replace(/\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, _x, braced, bare) => {
      const v = this.defs.get(braced ?? bare);
      return v === undefined ? all : v;
    });
  }

  private include(pattern: string, loc: SourceLoc): void {
    const base = dirname(loc.file);
    const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
    const matches = expandGlob(abs);
    if (matches.length === 0) {
      this.diags.push({
        severity: 'warning',
        code: 'KA_INCLUDE_NO_MATCH',
        message: `No config files matched '${pattern}'.`,
        loc,
      });
      return;
    }
    // Included files are read in sorted order, each fully before the next (keepalived: glob order).
    const texts: { file: string; text: string }[] = [];
    for (const f of matches) {
      try {
        const st = statSync(f);
        if (!st.isFile() || (st.mode & 0o111) !== 0) {
          this.diags.push({
            severity: 'warning',
            code: 'KA_INCLUDE_NOT_REGULAR',
            message: `Configuration file '${f}' is not a regular non-executable file - skipping`,
            loc,
          });
          continue;
        }
        if (this.files.includes(f) || this.stack.some((s) => s.file === f)) {
          this.diags.push({
            severity: 'error',
            code: 'KA_INCLUDE_LOOP',
            message: `Configuration file '${f}' includes itself (directly or indirectly) - skipping`,
            loc,
          });
          continue;
        }
        texts.push({ file: f, text: (this.opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(f) });
      } catch (e) {
        this.diags.push({
          severity: 'warning',
          code: 'KA_INCLUDE_OPEN',
          message: `Configuration file '${f}' open problem (${(e as Error).message}) - skipping`,
          loc,
        });
      }
    }
    // The stack is LIFO: push in reverse so the first match is read first.
    for (let i = texts.length - 1; i >= 0; i--) this.push(texts[i].file, texts[i].text);
  }

  /** Splits at the first unquoted brace (keepalived's line_residue); undefined when nothing is left. */
  private splitBrace(text: string, loc: SourceLoc): LogicalLine | undefined {
    let p = -1;
    if (text[0] === '{' || text[0] === '}') p = 0;
    else {
      let inQuote = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '"') inQuote = !inQuote;
        else if (!inQuote && (c === '{' || c === '}')) {
          p = i;
          break;
        }
      }
    }
    let head = text;
    if (p === 0) {
      const rest = text.slice(1).trim();
      head = text[0];
      if (rest) this.residue = { text: rest, loc };
    } else if (p > 0) {
      head = text.slice(0, p).trimEnd();
      this.residue = { text: text.slice(p).trim(), loc };
    }
    if (head === '{') this.blockDepth++;
    else if (head === '}') {
      if (this.blockDepth-- < 1) {
        this.diags.push({ severity: 'error', code: 'KA_EXTRA_EOB', message: "Extra '}' found", loc });
        this.blockDepth = 0;
      }
    }
    const words = tokenize(head, loc, this.diags, false);
    if (words.length === 0) return undefined;
    return { words, loc };
  }
}

export { decomment, splitCommand, tokenize } from './words.ts';
