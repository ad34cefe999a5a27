import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBackend, isFrontend, type ProxyModel } from '@switchyard/config';

test('listen is both frontend and backend', () => {
  const p = { kind: 'listen' } as ProxyModel;
  assert.equal(isFrontend(p), true);
  assert.equal(isBackend(p), true);
  assert.equal(isFrontend({ kind: 'backend' } as ProxyModel), false);
});
