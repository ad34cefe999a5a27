#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with node:test through tsx.
// Node 20's `node --test` takes no globs, so the file list is built here.
// Test code that reads a path outside the repository is refused first (scripts/check-test-paths.mjs).
// Usage: node scripts/test.mjs [--unit] [substring ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { filesUnder } from './files-under.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

const isTest = (name) => name.endsWith('.test.ts');
const walk = (dir, out) => {
  for (const p of filesUnder(dir, isTest)) out.push(relative(root, p));
};

const paths = spawnSync(process.execPath, [join(root, 'scripts/check-test-paths.mjs')], { stdio: 'inherit' });
if (paths.status !== 0) process.exit(1);

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) walk(join(root, 'packages', pkg, 'test'), files);
if (!unitOnly) walk(join(root, 'test'), files);
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=240000', ...selected],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
