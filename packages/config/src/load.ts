/** Reading configuration files from disk (the only impure entry point). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Reporter } from './diagnostics.ts';
import type { ParseResult } from './model.ts';
import { type ParseOptions, parseConfig } from './parser.ts';

/** Expands a path: a directory gives its `*.cfg` files in lexical order, as HAProxy does. */
function expand(path: string, r: Reporter): string[] {
  try {
    if (!statSync(path).isDirectory()) return [path];
    return readdirSync(path)
      .filter((f) => f.endsWith('.cfg'))
      .sort()
      .map((f) => join(path, f))
      .filter((f) => {
        try {
          return statSync(f).isFile();
        } catch {
          return false;
        }
      });
  } catch (e) {
    r.error(
      { file: path, line: 0 },
      'CFG_READ_FAILED',
      `cannot open configuration file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
    return [];
  }
}

/** Reads a file referenced by the configuration, relative to the current directory as HAProxy does. */
export function readReferencedFile(path: string): string | Error {
  try {
    return readFileSync(isAbsolute(path) ? path : resolve(path), 'utf8');
  } catch (e) {
    return new Error((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}

/**
 * Reads and parses configuration files in order (`-f a -f b`); a directory contributes its *.cfg
 * files in lexical order. An unreadable file is an error diagnostic, never a throw.
 */
export function loadConfigFiles(paths: string[], options: ParseOptions = {}): ParseResult {
  const r = new Reporter();
  const sources: Array<{ file: string; text: string }> = [];
  for (const p of paths) {
    for (const f of expand(p, r)) {
      try {
        sources.push({ file: f, text: readFileSync(f, 'utf8') });
      } catch (e) {
        r.error(
          { file: f, line: 0 },
          'CFG_READ_FAILED',
          `cannot open configuration file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    }
  }
  const result = parseConfig(sources, { readFile: readReferencedFile, ...options });
  if (r.diagnostics.length) result.diagnostics.unshift(...r.diagnostics);
  return result;
}
