/**
 * The netprobe addon for a test, or a skip saying it is not built. Under CI=true the addon is
 * part of the build (npm ci runs the package's install script), so a missing one fails the test.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { loadNetProbe, type NetProbe } from '../src/index.ts';

export function requireAddon(t: TestContext): NetProbe | undefined {
  try {
    return loadNetProbe();
  } catch (err) {
    const why = (err as Error).message;
    assert.notEqual(process.env.CI, 'true', `CI=true and the netprobe addon is unavailable: ${why}`);
    t.skip(`netprobe addon unavailable: ${why}`);
    return undefined;
  }
}
