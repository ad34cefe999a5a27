/**
 * test/helpers/system.ts's needs(): a missing program skips with the Debian package to install, and
 * under CI=true it is a failure node:test counts as "fail" (inside a describe too, where a throw
 * from the suite's callback would be counted as "cancelled").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/proxy.ts';
import { debianPackage, needs } from './helpers/system.ts';

/** Runs a test file that needs `bin` (missing from an empty PATH) in a describe and at top level. */
function runNeeding(bin: string, ci: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'sy-needs-'));
  try {
    const helper = pathToFileURL(join(ROOT, 'test/helpers/system.ts')).href;
    const file = join(dir, 'needs.test.ts');
    writeFileSync(
      file,
      `import { describe, test } from 'node:test';
import { needs } from ${JSON.stringify(helper)};
describe('suite', () => {
  test('runs', () => {});
  test('inside', { skip: needs(${JSON.stringify(bin)}) }, () => {});
  test('again', { skip: needs(${JSON.stringify(bin)}) }, () => {});
});
test('top', { skip: needs(${JSON.stringify(bin)}) }, () => {});
`,
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SWITCHYARD_TEST_PATH_ONLY: '1',
      PATH: dir,
      CI: ci ? 'true' : 'false',
    };
    // the child would otherwise report to this runner in its binary protocol, not as TAP text
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const count = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(r.stdout)?.[1]);
    return {
      status: r.status,
      out: r.stdout,
      fail: count('fail'),
      cancelled: count('cancelled'),
      skipped: count('skipped'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('Debian package names: promtool is in prometheus, ip in iproute2, arping in iputils-arping', () => {
  assert.equal(debianPackage('promtool'), 'prometheus');
  assert.equal(debianPackage('ip'), 'iproute2');
  assert.equal(debianPackage('arping'), 'iputils-arping');
  assert.throws(() => debianPackage('no-such-program'), /no Debian package known for 'no-such-program'/);
  assert.equal(needs('node'), false);
});

test('without CI a missing program skips, naming the package to install', () => {
  const r = runNeeding('promtool', false);
  assert.equal(r.status, 0, r.out);
  assert.equal(r.skipped, 3, r.out);
  assert.equal(r.fail, 0, r.out);
  assert.match(r.out, /# SKIP needs promtool \(apt-get install prometheus\)/);
});

test('under CI=true a missing program fails the run and is counted as fail, not cancelled', () => {
  const r = runNeeding('promtool', true);
  assert.notEqual(r.status, 0, r.out);
  assert.equal(r.cancelled, 0, r.out);
  // one failing test where the requirement was first met (inside the describe), once per file
  assert.equal(r.fail, 1, r.out);
  assert.match(r.out, /not ok \d+ - CI=true and this file needs promtool \(apt-get install prometheus\)/);
});
