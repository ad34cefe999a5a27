#!/usr/bin/env node
// Refuses test code that reads a path outside the repository: a user's clone has nothing beside it
// (no ../shared, no /work), so such a test passes on a developer's machine and fails for everyone
// else. Run by scripts/test.mjs before the tests; exit 1 with FILE:LINE for each offending path.
// Checked in every .ts/.mjs/.cjs/.js file under test/ and packages/*/test/:
//   - a string literal starting with ./ or ../ must name something that exists inside the
//     repository, resolved from the file's folder (catches new URL('../../shared/...',
//     import.meta.url), join(import.meta.dirname, '../..'), and join(root, '../shared/...'),
//     which resolves from test/ to a missing test/../shared);
//   - no string literal names a developer machine's folder (/work/, /home/, /root/, /Users/).
// Usage: node scripts/check-test-paths.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { filesUnder } from './files-under.mjs';

const root = resolve(import.meta.dirname, '..');
const MACHINE = /^\/(work|home|root|Users)\//;
const LITERAL = /(['"`])((?:\.\.?\/|\/)[^'"`$\n]*)\1/g;

/** The problems in one file, as "FILE:LINE: message". */
function problems(file, text) {
  const out = [];
  const where = (index) => `${relative(root, file)}:${text.slice(0, index).split('\n').length}`;
  for (const m of text.matchAll(LITERAL)) {
    const path = m[2];
    if (MACHINE.test(path)) {
      out.push(`${where(m.index)}: '${path}' is a folder of one machine, absent from a user's clone`);
    } else if (path.startsWith('.')) {
      const abs = resolve(dirname(file), path);
      const rel = relative(root, abs);
      if (rel === '..' || rel.startsWith(`..${sep}`)) {
        out.push(`${where(m.index)}: '${path}' leaves the repository (${abs}); copy the file into test/fixtures/`);
      } else if (!existsSync(abs)) {
        out.push(`${where(m.index)}: '${path}' resolves to ${rel || '.'}, which does not exist in the repository`);
      }
    }
  }
  return out;
}

const isSource = (name) => /\.(ts|mts|cts|mjs|cjs|js)$/.test(name);
const files = filesUnder(join(root, 'test'), isSource);
for (const pkg of readdirSync(join(root, 'packages'))) filesUnder(join(root, 'packages', pkg, 'test'), isSource, files);
const found = files.flatMap((f) => problems(f, readFileSync(f, 'utf8')));
if (found.length > 0) {
  console.error(`${found.join('\n')}\n${found.length} path(s) in test code outside the repository`);
  process.exit(1);
}
