import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { errnoName, UnixDgramReceiver, UnixDgramSender } from '../src/index.ts';

test('unix datagrams: sent lines arrive whole, one per datagram; a missing socket is ENOENT', () => {
  const dir = mkdtempSync(join(tmpdir(), 'unixsock-'));
  const rx = new UnixDgramReceiver(join(dir, 'log.sock'));
  const tx = new UnixDgramSender();
  try {
    assert.equal(tx.send(rx.path, Buffer.from('<134>one\n')), 0);
    assert.equal(tx.send(rx.path, Buffer.from('two')), 0);
    assert.deepEqual(
      rx.drain().map((b) => b.toString()),
      ['<134>one\n', 'two'],
    );
    assert.deepEqual(rx.drain(), []);
    assert.equal(errnoName(tx.send(join(dir, 'missing.sock'), Buffer.from('x'))), 'ENOENT');
    assert.equal(errnoName(tx.send(`/${'x'.repeat(200)}`, Buffer.from('x'))), 'ENAMETOOLONG');
  } finally {
    tx.close();
    rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
