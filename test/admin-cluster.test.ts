/**
 * `--workers`: the runtime API socket is shared by the workers, and a change made through one of
 * them reaches every worker (clusterControl in the workers, relayAdminChanges in the primary).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';

const root = new URL('..', import.meta.url).pathname;

describe('runtime API under node:cluster workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-cluster-'));
  const sock = join(dir, 'admin.sock');
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'packages/admin/test/fixtures/cluster-main.ts'), sock],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    err += d;
  });

  before(async () => {
    const deadline = Date.now() + 60_000;
    while (!out.includes('READY')) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`cluster did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    if (proc.exitCode === null) {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Asks until both workers answered; returns reply per pid. */
  async function fromEveryWorker(cmd: string): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await cliQuery({ path: sock }, `show info;${cmd}`);
      const pid = /^Pid: (\d+)$/m.exec(r)?.[1];
      if (pid) seen.set(pid, r);
    }
    assert.equal(seen.size, 2, 'connections reach both workers');
    return seen;
  }

  test('a MAINT set through one worker shows in both', async () => {
    assert.equal(await cliQuery({ path: sock }, 'set server app/s1 state maint'), '\n');
    const deadline = Date.now() + 15_000;
    for (;;) {
      const replies = await fromEveryWorker('show stat');
      const states = [...replies.values()].map((r) => /^app,s1,(?:[^,]*,){15}([^,]*),/m.exec(r)?.[1]);
      if (states.every((s) => s === 'MAINT')) break;
      if (Date.now() > deadline) assert.fail(`states: ${states.join(' ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('weight and VRRP state too', async () => {
    assert.equal(await cliQuery({ path: sock }, 'set weight app/s2 7;set vrrp state VI_1 BACKUP'), '\n\n');
    const deadline = Date.now() + 15_000;
    for (;;) {
      const replies = [...(await fromEveryWorker('get weight app/s2;show vrrp')).values()];
      if (replies.every((r) => r.includes('7 (initial 50)') && r.includes('VI_1 BACKUP'))) break;
      if (Date.now() > deadline) assert.fail(replies.join('\n---\n'));
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
