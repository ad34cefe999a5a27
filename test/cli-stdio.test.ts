/**
 * The process's own stdout/stderr closed by their reader (`switchyard -f cfg 2>&1 | head -1`, a log
 * collector that died): later writes fail with EPIPE. The proxy must keep serving, write no
 * error loop, and stop on SIGTERM as usual (it used to spin at 100% CPU and ignore SIGTERM: the
 * uncaught EPIPE's ALERT went to the same closed stderr).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  writeFile,
} from './helpers/proxy.ts';

/** user + system CPU of a live process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // after "PID (comm) ": field 3 (state) is f[0], utime (14) f[11], stime (15) f[12]
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined; // gone
  }
}

/**
 * SIGTERM, then polls until the process exited (deadline 20 s); returns its exit code and the CPU
 * ticks it used from `since` to the last sample taken while it was alive.
 */
async function termAndWatch(px: ProxyProcess, since: number): Promise<{ code: number | null; ticks: number }> {
  const pid = px.proc.pid as number;
  let last = since;
  const exit: { code?: number | null } = {};
  void px.exited.then((c) => {
    exit.code = c;
  });
  px.proc.kill('SIGTERM');
  const deadline = Date.now() + 20000;
  while (!('code' in exit) && Date.now() < deadline) {
    last = cpuTicks(pid) ?? last;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!('code' in exit)) {
    const ticks = (cpuTicks(pid) ?? last) - since;
    px.proc.kill('SIGKILL');
    assert.fail(`still running 20 s after SIGTERM, ${ticks} CPU ticks used since its stdio closed`);
  }
  return { code: exit.code ?? null, ticks: last - since };
}

async function setup(t: { after(fn: () => unknown): void }) {
  const up = await startUpstream('a');
  const tmp = tempDir();
  const port = await freePort();
  // every request logs a line to stdout; reloads and the stop write notices to stderr
  const cfg = writeFile(
    tmp.dir,
    'stdio.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(async () => {
    px.proc.kill('SIGKILL');
    await up.close();
    tmp.cleanup();
  });
  const get = async () => {
    const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(r, /^HTTP\/1\.1 200/, 'the proxy still serves');
  };
  return { px, get };
}

test('stdout and stderr on one closed pipe (2>&1 | head -1): keeps serving, SIGTERM stops it, no CPU spin', async (t) => {
  const { px, get } = await setup(t);
  px.proc.stdout?.destroy();
  px.proc.stderr?.destroy();
  const since = cpuTicks(px.proc.pid as number) as number;
  await get(); // a log line to the closed stdout
  px.proc.kill('SIGHUP'); // notices to the closed stderr
  await get();
  await get();
  const { code, ticks } = await termAndWatch(px, since);
  assert.equal(code, 0);
  // a few requests, a reload and a stop take well under a second of CPU (100 ticks)
  assert.ok(ticks < 200, `${ticks} CPU ticks from the close to the exit`);
});

test('stderr closed: request logs still reach stdout; SIGTERM stops it, no CPU spin', async (t) => {
  const { px, get } = await setup(t);
  px.proc.stderr?.destroy();
  const since = cpuTicks(px.proc.pid as number) as number;
  px.proc.kill('SIGHUP'); // the reload notice fails with EPIPE
  const lines = () => px.stdout().split('\n').filter(Boolean).length;
  const before = lines();
  await get();
  await get();
  const deadline = Date.now() + 10000;
  while (lines() < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.equal(lines(), before + 2, 'one stdout log line per request after stderr closed');
  const { code, ticks } = await termAndWatch(px, since);
  assert.equal(code, 0);
  assert.ok(ticks < 200, `${ticks} CPU ticks from the close to the exit`);
});

test('stdout closed: one warning on stderr, no internal-error alerts, SIGTERM stops it', async (t) => {
  const { px, get } = await setup(t);
  px.proc.stdout?.destroy();
  const since = cpuTicks(px.proc.pid as number) as number;
  for (let i = 0; i < 5; i++) await get(); // each request's log line goes to the closed stdout
  const { code, ticks } = await termAndWatch(px, since);
  assert.equal(code, 0);
  assert.ok(ticks < 200, `${ticks} CPU ticks from the close to the exit`);
  const err = px.stderr();
  assert.doesNotMatch(err, /internal error/);
  assert.equal(err.match(/stdout is closed \(EPIPE\): its output is dropped/g)?.length, 1, err);
  assert.match(err, /stopped\./);
});
