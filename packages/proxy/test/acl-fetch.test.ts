/** ACL matching: a table of cases per fetch and per match method / flag. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cases } from './acl-cases.ts';
import { acl, txn } from './acl-helpers.ts';

for (const [line, req, expected] of cases) {
  test(`acl ${line} on ${JSON.stringify(req)} -> ${expected}`, () => {
    const { test: t, diags } = acl(line);
    assert.deepEqual(
      diags.filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(t(txn(req)), expected);
  });
}
