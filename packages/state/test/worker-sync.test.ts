/** Worker processes of one node share tables and admin state without Redis (real node:cluster). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('cluster workers share pinning, counters and admin state over IPC', { timeout: 120_000 }, async () => {
  const fixture = new URL('./worker-fixture.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 0, `fixture failed: ${out}\n${err}`);
  const result = JSON.parse(out.trim().split('\n').pop() as string);
  // worker 2 started after worker 1 pinned the client, counted 5 requests and set MAINT:
  // it got all of it by hello, then 5 more requests live, plus its own
  assert.deepEqual(result, { pinned: 's2', rate: 11, s3: 'MAINT' });
});
