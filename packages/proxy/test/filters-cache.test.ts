/** The cache store (model/http-cache.ts): 1 KiB blocks, the least recently used given up first. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CacheEntry, HttpCache } from '../src/model/http-cache.ts';

function entry(key: string): CacheEntry {
  return {
    key,
    hash: 0,
    status: 200,
    reason: '',
    headers: [],
    body: [],
    size: 0,
    expire: 100,
    latestValidation: 0,
    age: 0,
    lastModified: 0,
    complete: false,
  };
}

function store(c: HttpCache, key: string, bytes: number): boolean {
  const e = entry(key);
  c.begin(e);
  if (!c.grow(e, bytes)) return false;
  e.complete = true;
  return true;
}

test('eviction by size: the least recently used entry goes first; over max-object-size is refused', () => {
  const c = new HttpCache({ name: 'c', totalMaxSize: 4096, maxObjectSize: 2048, maxAge: 60 });
  assert.equal(c.available, 4);
  assert.ok(store(c, 'a', 1500));
  assert.ok(store(c, 'b', 1500));
  assert.equal(c.list(0).length, 2);
  // a is served: b is now the least recently used
  c.touch(c.lookup('a', 0) as CacheEntry);
  assert.ok(store(c, 'c', 1500));
  assert.deepEqual(
    c.list(0).map((e) => e.key),
    ['a', 'c'],
  );
  assert.equal(store(c, 'd', 3000), false);
  assert.equal(c.lookup('d', 0), undefined);
  // expired entries are gone on lookup and from the list
  assert.equal(c.lookup('a', 100), undefined);
  assert.deepEqual(c.list(100), []);
  assert.equal(c.available, 4);
});
