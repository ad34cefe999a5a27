/**
 * The tables the registered sample fetches read (`src_*(TABLE)`, `table_cnt`): fetch keywords
 * are registered once per process (registerStateFetches, before the first compile), so they look
 * up the directory of the state layer created last (one per process in production).
 */
import { TableDirectory } from './tables.ts';

let active = new TableDirectory();

/** Makes `dir` the one registered fetches read. */
export function setActiveDirectory(dir: TableDirectory): void {
  active = dir;
}

/** The directory registered fetches read. */
export function activeDirectory(): TableDirectory {
  return active;
}
