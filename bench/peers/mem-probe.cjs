// Preloaded into a Switchyard process by bench/idle-memory.ts (`node --require THIS bin ...`).
// SIGPWR: writes process.memoryUsage(), the V8 heap spaces and the count of live handles to
// $MEM_PROBE_OUT-N.json (N counts up); SIGXCPU: a heap snapshot to $MEM_PROBE_OUT.heapsnapshot;
// SIGTTIN: V8's memory-reducing full collection (what a low-memory notification does), then a
// report as for SIGPWR: the RSS of what is live, without the garbage V8 had not collected yet.
// Signals the proxy does not use, so the proxy's own handlers are left alone.
const fs = require('node:fs');
const v8 = require('node:v8');

const out = process.env.MEM_PROBE_OUT ?? `/tmp/mem-probe-${process.pid}`;
let n = 0;
function report() {
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    spaces[s.space_name] = { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size };
  }
  const r = {
    memoryUsage: process.memoryUsage(),
    spaces,
    heap: v8.getHeapStatistics(),
    handles: process._getActiveHandles().length,
    gcMs,
  };
  // written whole, then renamed: the harness polls for the file
  const f = `${out}-${n++}.json`;
  fs.writeFileSync(`${f}.tmp`, JSON.stringify(r));
  fs.renameSync(`${f}.tmp`, f);
}
process.on('SIGPWR', report);
let gc;
let gcMs = 0;
process.on('SIGTTIN', () => {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = require('node:vm').runInNewContext('gc');
  }
  const t0 = performance.now();
  const how = process.env.MEM_PROBE_GC ?? 'last-resort';
  if (how === 'compact') v8.setFlagsFromString('--compact-on-every-full-gc');
  if (how !== 'last-resort') gc();
  if (how === 'compact') v8.setFlagsFromString('--no-compact-on-every-full-gc');
  if (how === 'last-resort' || how === 'both') gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  gcMs = performance.now() - t0;
  setTimeout(report, 1000);
});
process.on('SIGXCPU', () => {
  v8.writeHeapSnapshot(`${out}.heapsnapshot.tmp`);
  fs.renameSync(`${out}.heapsnapshot.tmp`, `${out}.heapsnapshot`);
});
