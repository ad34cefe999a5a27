/** `--workers N`: N processes serve the same listeners; signals reach all of them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaults,
  freePort,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  until,
  writeFile,
} from './helpers/proxy.ts';

test('--workers 2: both workers serve, SIGHUP reloads both, SIGTERM stops all with exit 0', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  t.after(async () => {
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const config = (p: number) =>
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${p}\n`;
  const cfg = writeFile(tmp.dir, 'w.cfg', config(a.port));
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(() => px.stop('SIGKILL'));
  await px.waitFor('ready with 2 workers');
  const pids = new Set<string>();
  for (let i = 0; i < 40 && pids.size < 2; i++) {
    assert.match(await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  }
  await until(() => (px.stdout().match(/"GET \/ HTTP\/1\.1"/g) ?? []).length >= 2, 10000, 'log lines');
  for (const m of px.stderr().matchAll(/\[NOTICE\] +\((\d+)\) : frontend 'fe' listening/g)) pids.add(m[1]);
  assert.equal(pids.size, 2, 'two worker processes bound the frontend');

  writeFile(tmp.dir, 'w.cfg', config(b.port));
  px.proc.kill('SIGHUP');
  await until(() => px.stderr().split('reload complete.').length === 3, 20000, 'both workers reloaded');
  for (let i = 0; i < 4; i++)
    assert.match(await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /x-upstream: b/i);
  assert.equal(await px.stop('SIGTERM'), 0);
  assert.match(px.stderr(), /all workers stopped/);
});

test('--workers with a bad configuration: errors once, no worker started, exit 1', async () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'bad.cfg',
      `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${await freePort()}\n  default_backend nowhere\n`,
    );
    const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
    assert.equal(await px.exited, 1);
    assert.equal((px.stderr().match(/nowhere/g) ?? []).length, 1);
    assert.doesNotMatch(px.stderr(), /listening on/);
  } finally {
    tmp.cleanup();
  }
});
