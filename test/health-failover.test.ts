/**
 * Issue 4, end to end with the real `switchyard` process: kill one of three backends (SIGKILL)
 * while a client sends a steady stream of GETs. No client-visible error (retries + redispatch),
 * the dead server marked DOWN after `fall` failed checks, traffic back on it after `rise` passes.
 * Elapsed times are reported as diagnostics, never asserted (benchmarks are for bench/).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { defaults, freePort, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';

const BACKEND = `
const http = require('node:http');
const name = process.argv[1];
const srv = http.createServer((req, res) => { req.resume(); res.end(name + '\\n'); });
srv.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
`;

/** A backend in its own process, so that it can really die (SIGKILL) mid-traffic. */
async function startBackend(name: string, port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', BACKEND, name, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    p.once('error', reject);
    p.once('exit', (code) => reject(new Error(`backend ${name} exited (${code})`)));
    p.stdout?.once('data', () => resolve());
  });
  p.removeAllListeners('exit');
  return p;
}

async function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

test('kill one of three backends under steady GETs: zero errors, DOWN after fall, back after rise', async (t) => {
  const tmp = tempDir();
  const ports = [await freePort(), await freePort(), await freePort()];
  const fe = await freePort();
  const backends = new Map<string, ChildProcess>();
  t.after(async () => {
    for (const b of backends.values()) await kill(b);
    tmp.cleanup();
  });
  for (const [i, port] of ports.entries()) backends.set(`web${i + 1}`, await startBackend(`web${i + 1}`, port));
  const inter = 400;
  const cfg = writeFile(
    tmp.dir,
    'failover.cfg',
    `${defaults('  retries 3\n  option redispatch\n  timeout check 5s')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  balance roundrobin
  option httpchk GET /health
  default-server check inter ${inter} fall 3 rise 2
${ports.map((p, i) => `  server web${i + 1} 127.0.0.1:${p}`).join('\n')}
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(async () => {
    await proxy.stop();
  });

  // The client: one GET after another, counting every answer by backend and every failure.
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let sent = 0;
  let running = true;
  const client = (async () => {
    while (running && sent < 20000) {
      sent++;
      try {
        const r = await fetch(`http://127.0.0.1:${fe}/item/${sent}`);
        const body = (await r.text()).trim();
        if (r.status !== 200) failures.push(`#${sent}: HTTP ${r.status} ${body.slice(0, 80)}`);
        else seen.set(body, (seen.get(body) ?? 0) + 1);
      } catch (e) {
        failures.push(`#${sent}: ${(e as Error).message} ${String((e as { cause?: unknown }).cause ?? '')}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  t.after(async () => {
    running = false;
    await client;
  });

  await until(() => (seen.get('web2') ?? 0) >= 5, 20000, 'traffic on web2');
  const killedAt = Date.now();
  await kill(backends.get('web2') as ChildProcess);
  await proxy.waitFor(/Server app\/web2 is DOWN, reason: Layer4 connection problem, info: "Connection refused"/, 30000);
  const downAfter = Date.now() - killedAt;
  assert.match(proxy.stderr(), /Server app\/web2 is DOWN, .*\. 2 active and 0 backup servers left\./);
  const web2Before = seen.get('web2') ?? 0;
  // While web2 is down every request lands on web1/web3.
  const mark = sent;
  await until(() => sent >= mark + 50, 20000, '50 more requests while web2 is down');
  assert.equal(seen.get('web2') ?? 0, web2Before, 'no answer from a dead server');

  const restartAt = Date.now();
  backends.set('web2', await startBackend('web2', ports[1] as number));
  await proxy.waitFor(/Server app\/web2 is UP, reason: Layer7 check passed, code: 200/, 30000);
  const upAfter = Date.now() - restartAt;
  await until(() => (seen.get('web2') ?? 0) > web2Before, 20000, 'traffic back on web2');
  running = false;
  await client;

  t.diagnostic(`requests: ${sent}, by backend: ${JSON.stringify(Object.fromEntries(seen))}`);
  t.diagnostic(`DOWN ${downAfter} ms after the kill (inter x fall = ${inter * 3} ms + check time)`);
  t.diagnostic(`UP ${upAfter} ms after the restart (inter x rise = ${inter * 2} ms + start-up)`);
  assert.deepEqual(failures, [], 'no client-visible error');
  assert.ok((seen.get('web1') ?? 0) > 0 && (seen.get('web3') ?? 0) > 0);
});
