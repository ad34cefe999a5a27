/**
 * GARP timing of a VIP set, with a stand-in `arping` that records when it ran (real processes,
 * real time; bounds are loose, the machine is shared): vrrp_garp_interval spaces the ARPs of a
 * batch, garp_lower_prio_repeat/_delay answer a lower-priority advert with a batch then another.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { VipSet } from '../src/vip/vips.ts';

function fakeArping(): { bin: string; times: () => number[]; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-garp-'));
  const bin = join(dir, 'arping');
  const out = join(dir, 'log');
  writeFileSync(bin, `#!/bin/sh\ndate +%s%N >> ${out}\n`);
  chmodSync(bin, 0o755);
  const times = () => {
    try {
      return readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => Number(BigInt(l) / 1_000_000n));
    } catch {
      return [];
    }
  };
  return { bin, times, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const vip = { address: '192.0.2.10', prefix: 32, dev: 'lo' };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('vrrp_garp_interval spaces the gratuitous ARPs of a batch', async () => {
  const a = fakeArping();
  const logs: string[] = [];
  // `true` as ip: the address commands succeed without touching the host.
  const set = new VipSet(
    'VI_1',
    [vip],
    { delayS: 0, repeat: 3, refreshS: 0, refreshRepeat: 0, garpIntervalS: 0.3 },
    (m) => logs.push(m),
    [],
    'true',
    a.bin,
  );
  try {
    await set.acquire();
    await wait(1500);
    const t = a.times();
    assert.equal(t.length, 3, logs.join('\n'));
    assert.ok(t[1] - t[0] >= 200 && t[2] - t[1] >= 200, `gaps ${t[1] - t[0]} ${t[2] - t[1]} ms`);
  } finally {
    await set.release();
    a.done();
  }
});

test('garp_lower_prio_repeat and _delay: a batch at once, another after the delay, none when released', async () => {
  const a = fakeArping();
  const set = new VipSet(
    'VI_1',
    [vip],
    { delayS: 0, repeat: 0, refreshS: 0, refreshRepeat: 0, lowerPrioRepeat: 2, lowerPrioDelayS: 0.6 },
    () => {},
    [],
    'true',
    a.bin,
  );
  try {
    set.lowerPrioGarps();
    await wait(300);
    assert.equal(a.times().length, 0, 'not MASTER: nothing sent');
    await set.acquire();
    const t0 = Date.now();
    set.lowerPrioGarps();
    await wait(300);
    assert.equal(a.times().length, 2);
    await wait(1000);
    const t = a.times();
    assert.equal(t.length, 4);
    assert.ok(t[2] - t0 >= 500, `second batch after ${t[2] - t0} ms`);
    set.lowerPrioGarps();
    await set.release();
    await wait(1000);
    assert.equal(a.times().length, 6, 'the delayed batch is cancelled by the release');
  } finally {
    await set.release();
    a.done();
  }
});
