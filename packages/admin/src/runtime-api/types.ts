/** Types shared by the runtime API's command table and dispatcher. */
import type { ProxyRuntime } from '@switchyard/proxy';
import type { TableDirectory } from '@switchyard/state';
import type { ServerControl } from '../actions.ts';
import type { ProcessInfo } from './show-info.ts';

export type CliLevel = 'user' | 'operator' | 'admin';
/** Levels in increasing order of rights. */
export const RANK: Record<CliLevel, number> = { user: 0, operator: 1, admin: 2 };

/** Per-connection state. */
export interface CliSession {
  level: CliLevel;
  interactive: boolean;
  /** Idle timeout in ms (`set timeout cli`). */
  timeoutMs: number;
  quit: boolean;
}

/** What commands need from the running process. */
export interface CliContext {
  runtime(): ProxyRuntime;
  control: ServerControl;
  info: ProcessInfo;
  /** Stick tables (packages/state StateLayer.tables) for `show|clear|set table`; none when unset. */
  tables?(): TableDirectory | undefined;
  /** Under --workers: the node-wide view (counters summed over workers) read commands show. */
  nodeView?(): Promise<ProxyRuntime>;
  /** Set per command line from nodeView(): what `show stat|info|servers state|sess` read. */
  readRuntime?: ProxyRuntime;
}

/** One runtime API command: its leading words, help line, level and implementation. */
export interface Command {
  words: string[];
  /** The help line's usage part; empty for a command haproxy 2.6 has but does not list in `help`. */
  usage: string;
  desc: string;
  level: CliLevel;
  /** `payload`: the lines after a command ending with `<<`, up to the empty line (joined by LF). */
  run(args: string[], ctx: CliContext, sess: CliSession, payload?: string): string;
}
