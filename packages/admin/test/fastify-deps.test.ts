/**
 * package.json pins light-my-request's `cookie` to 1.1.1 (`overrides`): cookie 2.x needs Node >= 22
 * (npm ci warned EBADENGINE on the Node 20 the README promises) and is ESM-only, which Node 20.18
 * cannot require(). fastify loads light-my-request when it loads; its inject() encodes cookies with
 * it. This checks that path still works with the pinned version.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import Fastify from 'fastify';

test("fastify's inject() sends cookies through light-my-request with the pinned cookie 1.1.1", async (t) => {
  const fromLightMyRequest = createRequire(lightMyRequestFile());
  assert.equal((fromLightMyRequest('cookie/package.json') as { version: string }).version, '1.1.1');
  const app = Fastify();
  t.after(() => app.close());
  app.get('/echo', async (req) => ({ cookie: req.headers.cookie ?? null }));
  const r = await app.inject({ url: '/echo', cookies: { a: 'b c', sid: 'x=1' } });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), { cookie: 'a=b%20c; sid=x%3D1' });
});

/** The file light-my-request is loaded from (resolved from fastify, as fastify loads it). */
function lightMyRequestFile(): string {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  return fromFastify.resolve('light-my-request');
}
