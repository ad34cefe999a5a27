/**
 * `switchyard vrrp -t` predicts the start, over every keepalived fixture and seed: in a namespace
 * whose eth0 has an IPv4 address, a file -t refuses (exit 1 or 2) makes the start exit 1 with the
 * same refusal lines; a file -t passes runs (logs "started", still up 1 s later, SIGTERM exits 0).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { KEEPALIVED_SEEDS, seed } from './helpers/seeds.ts';
import { needsRoot } from './helpers/system.ts';
import { Lab, ROOT, waitFor } from './vrrp-lab.ts';

const dir = join(ROOT, 'packages/vrrp/test/fixtures/keepalived');
const files = [
  ...readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => join(dir, f)),
  ...KEEPALIVED_SEEDS.map(seed),
];
const CLI = join(ROOT, 'packages/cli/bin/switchyard.mjs');
const refused = (out: string) => out.split('\n').filter((l) => l.includes('Switchyard refuses to start'));

test('-t and the sidecar agree on every fixture and seed (refused by both, or run)', {
  skip: needsRoot('ip'),
  timeout: 240_000,
}, async () => {
  const lab = new Lab('agree', 177);
  try {
    const ns = lab.node('n', 2);
    let ran = 0;
    let refusedBoth = 0;
    for (const file of files) {
      const f = basename(file);
      const t = lab.spawn(ns, `t-${f}`, process.execPath, [CLI, 'vrrp', '-t', '-f', file]);
      const tCode = await t.exited;
      const s = lab.spawn(ns, `s-${f}`, process.execPath, [CLI, 'vrrp', '-f', file]);
      if (tCode === 1 || tCode === 2) {
        const sCode = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('running'), 20_000))]);
        assert.equal(sCode, 1, `${f}: -t refused (${tCode}) but the start did not exit 1:\n${s.output()}`);
        assert.deepEqual(refused(s.output()), refused(t.output()), f);
        assert.ok(refused(t.output()).length > 0, `${f}: -t exit ${tCode} without a refusal line:\n${t.output()}`);
        refusedBoth++;
      } else {
        // Running: its "started" line is out (trackers' first results come before it) and it stays up.
        const up = await waitFor(() => /: started, \d+ instance/.test(s.output()) || s.child.exitCode !== null, 20_000);
        const early = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('running'), 1000))]);
        assert.ok(up >= 0 && early === 'running', `${f}: -t passed (${tCode}) but the start exited:\n${s.output()}`);
        assert.equal(await lab.kill(s, 'SIGTERM'), 0, `${f}: ${s.output()}`);
        ran++;
      }
    }
    assert.ok(ran > 0 && refusedBoth > 0, `ran ${ran}, refused ${refusedBoth}`);
  } finally {
    await lab.cleanup();
  }
});
