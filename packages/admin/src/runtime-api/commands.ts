/**
 * Runtime API commands (HAProxy's "stats socket" CLI): syntax, levels and reply texts as
 * HAProxy 2.6 prints them. A command returns its output text; the socket server adds the
 * trailing empty line and the prompt.
 */
import { AdminError, MSG } from '../actions.ts';
import { COMMANDS } from './command-table.ts';
import { type CliContext, type CliSession, type Command, RANK } from './types.ts';

export type { CliContext, CliLevel, CliSession } from './types.ts';

const TRAILER: Array<[string, string]> = [
  ['help [<command>]', 'list matching or all commands'],
  ['prompt', 'toggle interactive mode with prompt'],
  ['quit', 'disconnect'],
];

function helpLine(usage: string, desc: string): string {
  return `  ${usage.padEnd(40)}: ${desc}\n`;
}

function listing(title: string, cmds: Command[]): string {
  let out = `${title}\n`;
  for (const c of cmds) if (c.usage) out += helpLine(c.usage, c.desc);
  for (const [u, d] of TRAILER) out += helpLine(u, d);
  return out;
}

/** Commands whose leading words match the words typed (HAProxy's "better match" list). */
function closest(words: string[]): Command[] {
  let best: Command[] = [];
  for (let n = Math.min(words.length, 3); n > 0; n--) {
    best = COMMANDS.filter((c) => words.slice(0, n).every((w, i) => c.words[i] === w));
    if (best.length > 0) return best;
  }
  // Nothing shares a word: suggest commands whose first word is closest in spelling
  const first = words[0] ?? '';
  const dist = (c: Command) => editDistance(first, c.words[0]);
  return [...COMMANDS].sort((a, b) => dist(a) - dist(b)).slice(0, 5);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** Splits one command (already cut at `;`) into words, honouring backslash escapes. */
export function splitWords(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i];
    if (ch === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      has = true;
    } else if (ch === ' ' || ch === '\t') {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Splits an input line into commands at unescaped `;`. */
export function splitCommands(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && i + 1 < line.length) {
      cur += ch + line[++i];
    } else if (ch === ';') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** True when a command ends with haproxy's payload pattern `<<`: its payload lines follow. */
export function startsPayload(cmd: string): boolean {
  return cmd.replace(/\r$/, '').endsWith('<<');
}

/**
 * Runs one command and returns its output (without the trailing empty line). `payload` is set
 * for a command that ended with `<<` (a `<<` glued to the last word is a word, as in haproxy).
 */
export function runCommand(ctx: CliContext, sess: CliSession, cmd: string, payload?: string): string {
  const words = splitWords(cmd);
  if (payload !== undefined) {
    if (words[words.length - 1] === '<<') words.pop();
    else payload = undefined;
  }
  if (words.length === 0) return listing('Unknown command. Please enter one of the following commands only:', COMMANDS);
  if (words[0] === 'quit') {
    sess.quit = true;
    return '';
  }
  if (words[0] === 'prompt') {
    sess.interactive = !sess.interactive;
    return '';
  }
  if (words[0] === 'help') {
    const rest = words.slice(1);
    const matches = rest.length === 0 ? COMMANDS : COMMANDS.filter((c) => rest.every((w, i) => c.words[i] === w));
    return listing('The following commands are valid at this level:', matches.length > 0 ? matches : COMMANDS);
  }
  let found: Command | undefined;
  for (const c of COMMANDS) {
    if (c.words.length <= words.length && c.words.every((w, i) => words[i] === w)) {
      if (!found || c.words.length > found.words.length) found = c;
    }
  }
  if (!found) return listing('Unknown command, but maybe one of the following ones is a better match:', closest(words));
  if (RANK[sess.level] < RANK[found.level]) return `${MSG.permissionDenied}\n`;
  try {
    return found.run(words.slice(found.words.length), ctx, sess, payload);
  } catch (e) {
    if (e instanceof AdminError) return e.bare ? e.message : `${e.message}\n`;
    // server-control refuses impossible values with a coded error (ServerControlError)
    if (e instanceof Error && e.name === 'ServerControlError') return `${e.message}\n`;
    throw e;
  }
}
