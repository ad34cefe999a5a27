#!/usr/bin/env node
// Entry point of the `switchyard` command: loads the TypeScript sources through tsx's loader
// (registered once at start; no per-request cost) and hands over to src/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv.slice(2));
