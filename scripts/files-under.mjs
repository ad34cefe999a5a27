// The files under a folder whose name passes `keep`, node_modules and dot folders left out.
// Shared by scripts/test.mjs (which test files to run) and scripts/check-test-paths.mjs.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Appends to `out` the path of every file under `dir` whose name passes `keep`; a missing dir adds none. */
export function filesUnder(dir, keep, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) filesUnder(p, keep, out);
    else if (keep(name)) out.push(p);
  }
  return out;
}
