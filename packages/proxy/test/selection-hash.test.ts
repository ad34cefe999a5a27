/** source/uri/url_param/hdr hashing: map-based and consistent, hash functions, fallbacks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 as zcrc32 } from 'node:zlib';
import { crc32, djb2, fullHash, sdbm, wt6 } from '../src/selection/index.ts';
import { txn } from './acl-helpers.ts';
import { backend, tally } from './selection-helpers.ts';

const ten = Array.from({ length: 10 }, (_, i) => ({ name: `s${i}` }));

test('hash functions: reference values', () => {
  const h = (f: typeof sdbm, s: string) => f(s, 0, s.length);
  // sdbm("a") = 97; sdbm("ab") = 98 + 97*65599
  assert.equal(h(sdbm, 'a'), 97);
  assert.equal(h(sdbm, 'ab'), (98 + 97 * 65599) >>> 0);
  assert.equal(h(djb2, ''), 5381);
  assert.equal(h(djb2, 'a'), (5381 * 33 + 97) >>> 0);
  for (const s of ['', 'hello world', '/index.html?x=1', 'x'.repeat(1000)]) {
    assert.equal(h(crc32, s), zcrc32(s));
  }
  assert.notEqual(h(wt6, 'abc'), h(wt6, 'abd'));
  assert.equal(h(wt6, 'abc'), h(wt6, 'abc'));
  assert.equal(fullHash(0), fullHash(0));
  assert.notEqual(fullHash(1), fullHash(2));
  assert.ok(fullHash(0xffffffff) >= 0 && fullHash(0xffffffff) <= 0xffffffff);
});

for (const method of ['map-based', 'consistent'] as const) {
  // source hashes are raw addresses: consistent hashing needs avalanche to spread nearby ones
  const avalanche = method === 'consistent';
  test(`${method}: source hash is stable per client and spreads clients`, () => {
    const { sel } = backend({ algo: 'source' }, ten, { hashType: { method, avalanche } });
    const first = new Map<string, string>();
    for (let i = 0; i < 500; i++) {
      const src = `10.0.${i >> 8}.${i & 255}`;
      first.set(src, sel.pick(txn({ src }))!.name);
    }
    for (const [src, name] of first) assert.equal(sel.pick(txn({ src }))!.name, name);
    assert.equal(new Set(first.values()).size, 10);
    // IPv4-mapped IPv6 hashes like IPv4
    assert.equal(sel.pick(txn({ src: '::ffff:10.0.1.5' }))!.name, first.get('10.0.1.5'));
  });

  test(`${method}: uri hash ignores the query unless whole, honours len and depth`, () => {
    const { sel } = backend({ algo: 'uri' }, ten, { hashType: { method, avalanche } });
    const p = (url: string) => sel.pick(txn({ url }))!.name;
    for (let i = 0; i < 50; i++) assert.equal(p(`/f${i}?a=1`), p(`/f${i}?b=2`));
    const whole = backend({ algo: 'uri', options: { whole: true } }, ten, { hashType: { method, avalanche } });
    const differs = Array.from({ length: 50 }, (_, i) => i).filter(
      (i) => whole.sel.pick(txn({ url: `/f${i}?a=1` }))!.name !== whole.sel.pick(txn({ url: `/f${i}?b=2` }))!.name,
    );
    assert.ok(differs.length > 20, `whole uses the query (${differs.length}/50 differ)`);
    const depth = backend({ algo: 'uri', options: { depth: 2 } }, ten, { hashType: { method, avalanche } });
    for (let i = 0; i < 30; i++) {
      assert.equal(
        depth.sel.pick(txn({ url: `/a${i}/b/c/d` }))!.name,
        depth.sel.pick(txn({ url: `/a${i}/b/x` }))!.name,
      );
    }
    const len = backend({ algo: 'uri', options: { len: 4 } }, ten, { hashType: { method, avalanche } });
    for (let i = 0; i < 30; i++) {
      assert.equal(
        len.sel.pick(txn({ url: `/ab${i % 10}/long/${i}` }))!.name,
        len.sel.pick(txn({ url: `/ab${i % 10}` }))!.name,
      );
    }
  });

  test(`${method}: url_param hashes the value, round robin when absent`, () => {
    const { sel } = backend({ algo: 'url_param', param: 'user' }, ten, { hashType: { method, avalanche } });
    for (let i = 0; i < 50; i++) {
      assert.equal(sel.pick(txn({ url: `/x?a=1&user=u${i}` }))!.name, sel.pick(txn({ url: `/y?user=u${i}&z` }))!.name);
    }
    const c = tally(sel, 1000, () => txn({ url: '/x?users=1' }));
    assert.equal(c.size, 10);
    for (const n of c.values()) assert.equal(n, 100);
  });

  test(`${method}: hdr hashes the header, use_domain_only keeps the domain label`, () => {
    const { sel } = backend({ algo: 'hdr', param: 'X-User' }, ten, { hashType: { method, avalanche } });
    for (let i = 0; i < 50; i++) {
      const h = (v: string) => sel.pick(txn({ headers: [['x-user', v]] }))!.name;
      assert.equal(h(`u${i}`), h(`u${i}`));
    }
    const c = tally(sel, 100, () => txn());
    assert.equal(c.size, 10, 'absent header: round robin');
    const dom = backend({ algo: 'hdr', param: 'host', options: { useDomainOnly: true } }, ten, {
      hashType: { method, avalanche },
    });
    for (let i = 0; i < 30; i++) {
      const h = (v: string) => dom.sel.pick(txn({ headers: [['Host', v]] }))!.name;
      assert.equal(h(`www.site${i}.com`), h(`api.site${i}.org:8080`));
    }
  });

  test(`${method}: keys of a DOWN or excluded server go elsewhere; others stay`, () => {
    const { sel, by } = backend({ algo: 'source' }, ten, { hashType: { method, avalanche } });
    const key = (i: number) => txn({ src: `172.16.${i >> 8}.${i & 255}` });
    const before = Array.from({ length: 2000 }, (_, i) => sel.pick(key(i))!.name);
    const victim = by('s3');
    const owned = before.filter((n) => n === 's3').length;
    // exclude: every key of s3 moves, nothing else should be picked as s3
    for (let i = 0; i < 2000; i++) assert.notEqual(sel.pick(key(i), victim)!.name, 's3');
    victim.op = 'DOWN';
    sel.update();
    const after = Array.from({ length: 2000 }, (_, i) => sel.pick(key(i))!.name);
    let moved = 0;
    let movedOthers = 0;
    for (let i = 0; i < 2000; i++) {
      if (before[i] !== after[i]) {
        moved++;
        if (before[i] !== 's3') movedOthers++;
      }
    }
    assert.ok(!after.includes('s3'));
    assert.ok(owned > 0);
    if (method === 'consistent') {
      assert.equal(movedOthers, 0, 'consistent hashing moves only the removed server keys');
      assert.equal(moved, owned);
      assert.ok(moved / 2000 > 0.03 && moved / 2000 < 0.2, `moved ${moved / 2000}`);
    } else {
      assert.ok(moved > owned, 'map-based remaps beyond the removed server');
    }
  });
}

test('consistent without avalanche: nearby source addresses share a server, as in HAProxy', () => {
  const { sel } = backend({ algo: 'source' }, ten, { hashType: { method: 'consistent' } });
  const names = new Set(Array.from({ length: 50 }, (_, i) => sel.pick(txn({ src: `10.0.0.${i}` }))!.name));
  assert.equal(names.size, 1);
});

test('map-based: distribution over 10k keys follows weights', () => {
  const { sel } = backend({ algo: 'uri' }, [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 2 },
    { name: 'c', weight: 1 },
  ]);
  const c = tally(sel, 10000, (i) => txn({ url: `/obj/${i}` }));
  const share = (n: string) => c.get(n)! / 10000;
  assert.ok(Math.abs(share('b') - 0.5) < 0.04, `b ${share('b')}`);
  assert.ok(Math.abs(share('a') - 0.25) < 0.04, `a ${share('a')}`);
});

test('consistent: distribution over 10k keys roughly follows weights', () => {
  const { sel } = backend(
    { algo: 'uri' },
    [
      { name: 'a', weight: 10 },
      { name: 'b', weight: 20 },
      { name: 'c', weight: 10 },
    ],
    { hashType: { method: 'consistent', avalanche: true } },
  );
  const c = tally(sel, 10000, (i) => txn({ url: `/obj/${i}` }));
  const b = c.get('b')! / 10000;
  assert.ok(b > 0.4 && b < 0.6, `b ${b}`);
});

test('hash functions selectable: djb2, wt6, crc32 give stable, spread picks', () => {
  for (const fn of ['djb2', 'wt6', 'crc32'] as const) {
    const { sel } = backend({ algo: 'uri' }, ten, { hashType: { fn } });
    const c = tally(sel, 5000, (i) => txn({ url: `/p/${i}` }));
    assert.equal(c.size, 10, fn);
    for (const n of c.values()) assert.ok(n > 250 && n < 800, `${fn}: ${[...c]}`);
    assert.equal(sel.pick(txn({ url: '/same' }))!.name, sel.pick(txn({ url: '/same' }))!.name);
  }
});

test('hash: full server is still returned (caller queues on it)', () => {
  const { sel, by } = backend({ algo: 'uri' }, [
    { name: 'a', maxconn: 1 },
    { name: 'b', maxconn: 1 },
  ]);
  const s = sel.pick(txn({ url: '/k' }))!;
  by(s.name).cur = 1;
  assert.equal(sel.pick(txn({ url: '/k' }))!.name, s.name);
});

test('balance hdr without a name is reported and falls back to roundrobin', () => {
  const diags: import('@switchyard/config').Diagnostic[] = [];
  const { sel } = backend({ algo: 'hdr' }, [{ name: 'a' }, { name: 'b' }], { diags });
  assert.equal(diags[0]?.code, 'LB_MISSING_PARAM');
  assert.equal(sel.pick(txn())?.name, 'a');
  assert.equal(sel.pick(txn())?.name, 'b');
});

test('fractional effective weights are rounded for maps and rings (no runaway map sizes)', () => {
  for (const method of ['map-based', 'consistent'] as const) {
    const { sel, by } = backend({ algo: 'uri' }, [{ name: 'a' }, { name: 'b' }], { hashType: { method } });
    by('a').effectiveWeight = 2.7;
    by('b').effectiveWeight = 0.3;
    sel.update();
    const c = tally(sel, 2000, (i) => txn({ url: `/f/${i}` }));
    assert.equal(c.size, 2, method);
    assert.ok(c.get('a')! > c.get('b')!, `${method}: ${[...c]}`);
  }
  const s = backend({ algo: 'static-rr' }, [{ name: 'a' }, { name: 'b' }]);
  s.by('a').effectiveWeight = 1.5;
  s.sel.update();
  assert.equal(tally(s.sel, 10, () => txn()).size, 2);
});
