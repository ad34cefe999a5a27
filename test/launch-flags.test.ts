/**
 * The node flags Switchyard runs with (bin/switchyard.mjs's shebang, `#!/usr/bin/env -S node FLAGS`)
 * are the ones every launcher that starts the bin through `node` passes: npm start, the systemd
 * unit, the two-node demo. The bench reads them from the shebang itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { shebangNodeFlags } from '../bench/lib/shebang.ts';
import { BIN, ROOT } from './helpers/proxy.ts';

const flags = shebangNodeFlags(readFileSync(BIN, 'utf8'));

describe('launch flags', () => {
  test('the shebang gives the old generation its 64 MB floor, caps the young one at 2 x 8 MB, scavenges on one thread', () => {
    assert.deepEqual(flags, ['--initial-old-space-size=64', '--max-semi-space-size=8', '--no-parallel-scavenge']);
  });

  test('the shebang parser takes flag lists and refuses what is not a node shebang', () => {
    assert.deepEqual(shebangNodeFlags('#!/usr/bin/env node\n'), []);
    assert.deepEqual(shebangNodeFlags('#!/usr/bin/env -S node --a=1 --b\n'), ['--a=1', '--b']);
    assert.throws(() => shebangNodeFlags('#!/bin/sh\n'), /not a node shebang/);
  });

  test('the bin runs through its shebang (env -S node FLAGS)', () => {
    const r = spawnSync(BIN, ['-v'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Switchyard version/);
  });

  const launchers: Array<[string, string, RegExp]> = [
    ['npm start', 'package.json', /"start": "node ([^"]*)packages\/cli\/bin\/switchyard\.mjs/],
    ['systemd ExecStart', 'deploy/switchyard.service', /^ExecStart=\/usr\/bin\/node (.*)\/opt\/switchyard/m],
    [
      'two-node demo proxy',
      'deploy/two-node/up.sh',
      /"proxy-\$n" node (.*)"\$ROOT\/packages\/cli\/bin\/switchyard\.mjs"/,
    ],
  ];
  for (const [name, file, re] of launchers) {
    test(`${name} passes the shebang's flags`, () => {
      const m = re.exec(readFileSync(join(ROOT, file), 'utf8'));
      assert.ok(m, `${file}: launcher line not found`);
      assert.deepEqual(m[1].split(' ').filter(Boolean), flags);
    });
  }
});
