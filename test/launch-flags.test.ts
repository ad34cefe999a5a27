/**
 * The node flags Switchyard runs with (bin/switchyard.mjs's shebang, `#!/usr/bin/env -S node FLAGS`)
 * are the ones every launcher that starts the bin through `node` passes: npm start, the systemd
 * unit, the two-node demo. The bench reads them from the shebang itself. The commands npm makes
 * (`npx switchyard` after `npm ci`, `npm install -g .`) are links to the bin, so they run with them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { shebangNodeFlags } from '../bench/lib/shebang.ts';
import { BIN, ROOT } from './helpers/proxy.ts';

const flags = shebangNodeFlags(readFileSync(BIN, 'utf8'));

describe('launch flags', () => {
  test('the shebang gives the old generation its 64 MB floor, caps the young one at 2 x 4 MB, scavenges on one thread', () => {
    assert.deepEqual(flags, ['--initial-old-space-size=64', '--max-semi-space-size=4', '--no-parallel-scavenge']);
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

  test('npm ci links the command: npx switchyard is the bin', () => {
    assert.equal(realpathSync(join(ROOT, 'node_modules/.bin/switchyard')), realpathSync(BIN));
    const r = spawnSync('npx', ['--no-install', 'switchyard', '-v'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Switchyard version/);
  });

  test('npm install -g . puts the bin on PATH (a link to this tree, shebang and all)', (t) => {
    const prefix = mkdtempSync(join(tmpdir(), 'sy-global-'));
    t.after(() => rmSync(prefix, { recursive: true, force: true }));
    // --ignore-scripts: the `prepare` build would rewrite dist/ under the tests running beside this one
    const npm = spawnSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', '.'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(npm.status, 0, npm.stderr);
    const cmd = join(prefix, 'bin/switchyard');
    assert.equal(realpathSync(cmd), realpathSync(BIN));
    const r = spawnSync('switchyard', ['-v'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Switchyard version/);
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
