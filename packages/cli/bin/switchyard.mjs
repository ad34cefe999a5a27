#!/usr/bin/env node
// Entry point of the `switchyard` command: loads the TypeScript sources through tsx's loader
// (registered once at start; no per-request cost) and hands over to src/main.ts.
// A reload signal that arrives while the sources load must not kill the process (the default
// action): remember it; the proxy reloads once it is serving.
let reloadRequested = false;
const early = () => {
  reloadRequested = true;
};
process.on('SIGHUP', early);
process.on('SIGUSR2', early);
const startSignals = {
  takeReload() {
    process.off('SIGHUP', early);
    process.off('SIGUSR2', early);
    return reloadRequested;
  },
};

// Loaded only now, so the handlers above are in place while it loads.
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/main.ts');
try {
  await main(process.argv.slice(2), startSignals);
} catch (e) {
  process.stderr.write(`[ALERT]  (${process.pid}) : ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
// Once main is done nothing should keep the process alive; if a stray handle does, exit anyway
// (after stdout/stderr had a moment to drain).
setTimeout(() => process.exit(), 500).unref();
