#!/usr/bin/env -S node --initial-old-space-size=64 --max-semi-space-size=4 --no-parallel-scavenge
// --initial-old-space-size=64: the old generation may reach 64 MB before V8 collects it. The
// proxy's live heap is about 8 MB; with V8's default limits (about 23 MB for it) a heap that size
// under load ran one mark-compact after another, 5 to 9 a second with 1 MB bodies, each a pause
// of about 4 ms on the proxy's core (--trace-gc); with the flag none in the same runs, and the p99
// of 1 MB uploads went from 14.6-19.3 to 8.9-9.1 ms. The price: a busy process holds up to 64 MB
// of old generation before collecting it (RSS about 30 MB higher under load). Node accepts this
// flag on its command line only (not in NODE_OPTIONS; v8.setFlagsFromString at run time has no
// effect): whoever starts the bin with `node` passes it too (npm start, deploy/switchyard.service,
// the bench; test/launch-flags.test.ts checks they agree).
// --max-semi-space-size=4: the young generation's two halves stay at 4 MB at most (V8's default for
// this heap grows them to 16 MB). Its pages stay resident once grown: with 16 MB the process held
// 128-142 MiB RSS after the bench's load scenarios and 163-165 MiB 1 s after 9,900 idle connections
// arrived; with 8 MB 113-120 and 137 MiB. From 8 to 4 MB (2026-12-07, loaded machine, same run
// with the previous checkout as baseline): small GETs 76 instead of 82 MiB, 1 MB responses 86
// instead of 115 MiB, 9,900 idle clients 121.4 instead of 126.6 MiB (quick harness), with req/s (0.80 against
// 0.76 x HAProxy) and the CPU of 20k small GETs (730-880 against 630-980 ms) within the noise; at
// 2 MB the RSS fell further (70-74 MiB) but 20k small GETs took 860-920 ms of CPU.
// --no-parallel-scavenge: the young generation is collected by the event-loop thread alone. V8's
// helper threads share the proxy's core when it is pinned (taskset, one worker per core), and a
// scavenge waited for them: pauses (--trace-gc, 8 s of small GETs) averaged 0.34-0.38 ms with
// helpers and 0.27-0.30 ms without; with 1 MB responses 1.5-2.7 ms with and 0.44-0.48 ms without.
// Marking and sweeping of the old generation stay concurrent.
// Entry point of the `switchyard` command. Runs dist/main.js (the bundle scripts/build.mjs makes
// from packages/*/src; `npm ci` builds it) when it is newer than every source file; otherwise, or
// with SWITCHYARD_FROM_SOURCE=1, the TypeScript sources through tsx's loader, so an edited source
// is never run stale. Both end in src/main.ts's main().
import cluster from 'node:cluster';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// A reload signal that arrives while the code loads must not kill the process (the default
// action): remember it; the proxy reloads once it is serving.
let reloadRequested = false;
const early = () => {
  reloadRequested = true;
};
process.on('SIGHUP', early);
process.on('SIGUSR2', early);
// SIGUSR1 (HAProxy's soft stop, `-sf`) would start Node's inspector while no listener is set:
// remembered too, the proxy soft-stops once its handlers are in place.
let softStopRequested = false;
const earlySoftStop = () => {
  softStopRequested = true;
};
process.on('SIGUSR1', earlySoftStop);
const startSignals = {
  takeReload() {
    process.off('SIGHUP', early);
    process.off('SIGUSR2', early);
    return reloadRequested;
  },
  takeSoftStop() {
    process.off('SIGUSR1', earlySoftStop);
    return softStopRequested;
  },
};

const root = join(import.meta.dirname, '../../..');
const bundle = join(root, 'dist/main.js');

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** True when some file under `dir` was modified after `than` (ms). */
function newerUnder(dir, than) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory() ? newerUnder(p, than) : mtimeMs(p) > than) return true;
  }
  return false;
}

/** dist/main.js exists and no file under packages/<name>/src is newer. */
function bundleIsFresh() {
  const built = mtimeMs(bundle);
  if (built < 0) return false;
  const packages = join(root, 'packages');
  return !readdirSync(packages).some((name) => newerUnder(join(packages, name, 'src'), built));
}

// A --workers worker runs what its primary runs (same code on both ends of the IPC), even if a
// source changed since the primary started.
const inherited = cluster.isWorker ? process.env.SWITCHYARD_CODE_PATH : undefined;
const useBundle =
  process.env.SWITCHYARD_FROM_SOURCE !== '1' &&
  (inherited ? inherited === 'dist' && mtimeMs(bundle) >= 0 : bundleIsFresh());
process.env.SWITCHYARD_CODE_PATH = useBundle ? 'dist' : 'source';

// Loaded only now, so the handlers above are in place while it loads.
let main;
if (useBundle) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
try {
  await main(process.argv.slice(2), startSignals);
} catch (e) {
  process.stderr.write(`[ALERT]  (${process.pid}) : ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
// Once main is done nothing should keep the process alive; if a stray handle does, exit anyway
// (after stdout/stderr had a moment to drain).
setTimeout(() => process.exit(), 500).unref();
