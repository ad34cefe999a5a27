#!/usr/bin/env node
// Entry point of the `switchyard` command: loads the TypeScript sources through tsx's loader
// (registered once at start; no per-request cost) and hands over to src/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
try {
  await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`[ALERT]  (${process.pid}) : ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
// Once main is done nothing should keep the process alive; if a stray handle does, exit anyway
// (after stdout/stderr had a moment to drain).
setTimeout(() => process.exit(), 500).unref();
