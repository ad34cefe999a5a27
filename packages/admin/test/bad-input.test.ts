/** Arbitrary input to the runtime API and the admin form: clear replies, never a throw. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { applyAdminPost } from '../src/http/admin-post.ts';
import { renderPage } from '../src/http/html.ts';
import { type CliContext, type CliSession, runCommand, splitCommands } from '../src/runtime-api/commands.ts';
import { collectRows } from '../src/stats/rows.ts';
import { buildRuntime, proxyModel, sampleRuntime, serverModel, testControl } from './helpers/runtime.ts';

const words = [
  'show',
  'stat',
  'set',
  'server',
  'weight',
  'state',
  'app/s1',
  'app/',
  '/s1',
  'app/nope',
  'nope/s1',
  'maint',
  'ready',
  'drain',
  'get',
  'disable',
  'enable',
  'maxconn',
  'vrrp',
  'json',
  'typed',
  '-1',
  '4',
  '%',
  '300',
  '-5',
  '50%',
  'x\\;y',
  ';',
  '',
  '\t',
  'servers',
  'info',
  'help',
  'clear',
  'counters',
  'all',
  'timeout',
  'cli',
];

describe('bad input never crashes', () => {
  test('runtime API: arbitrary command lines at user level reply with text and change nothing', () => {
    const rt = sampleRuntime();
    const ctx: CliContext = {
      runtime: () => rt,
      control: testControl,
      info: { version: 'x', releaseDate: 'y', pid: 1 },
    };
    const snapshot = () =>
      rt.backends
        .get('app')
        ?.servers.map((s) => `${s.admin}/${s.weight}/${s.maxconn}`)
        .join(' ');
    const before = snapshot();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 8 }), fc.string({ maxLength: 30 }), (ws, junk) => {
        const sess: CliSession = { level: 'user', interactive: false, timeoutMs: 1000, quit: false };
        for (const cmd of splitCommands(`${ws.join(' ')} ${junk}`)) {
          const out = runCommand(ctx, sess, cmd);
          assert.equal(typeof out, 'string');
        }
      }),
      { numRuns: 2000 },
    );
    assert.equal(snapshot(), before);
  });

  test('runtime API: arbitrary command lines at admin level never throw', () => {
    const rt = sampleRuntime();
    const ctx: CliContext = {
      runtime: () => rt,
      control: testControl,
      info: { version: 'x', releaseDate: 'y', pid: 1 },
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 8 }), (ws) => {
        const sess: CliSession = { level: 'admin', interactive: false, timeoutMs: 1000, quit: false };
        for (const cmd of splitCommands(ws.join(' '))) assert.equal(typeof runCommand(ctx, sess, cmd), 'string');
        for (const s of rt.backends.get('app')?.servers ?? []) {
          assert.ok(s.weight >= 0 && s.weight <= 256, `weight ${s.weight}`);
          assert.ok(['READY', 'DRAIN', 'MAINT'].includes(s.admin));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('admin form: arbitrary bodies give a status, never a throw', () => {
    const rt = sampleRuntime();
    const statuses = new Set(['DONE', 'PART', 'NONE', 'ERRP', 'EXCD', 'DENY']);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc
            .array(
              fc.tuple(
                fc.constantFrom('s', 'b', 'action', 'w', 'x', ''),
                fc.constantFrom(
                  's1',
                  's2',
                  'nope',
                  'app',
                  '#3',
                  '#',
                  '#x',
                  'ready',
                  'drain',
                  'maint',
                  'weight',
                  '300',
                  '-1',
                  '50%',
                  '%',
                  '',
                ),
              ),
              { maxLength: 6 },
            )
            .map((kv) => kv.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
        ),
        (body) => {
          assert.ok(statuses.has(applyAdminPost(rt, testControl, body)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('names with HTML in them are escaped on the page', () => {
    const app = proxyModel('backend', '<b>app</b>', 3, { servers: [serverModel('<script>x</script>', 1)] });
    const rt = buildRuntime([app]);
    const html = renderPage(rt, collectRows(rt), {
      version: '1',
      pid: 1,
      hideVersion: false,
      showLegends: true,
      uri: '/s"><script>',
      admin: true,
      upOnly: false,
      noRefresh: false,
      status: 'DONE',
    });
    assert.doesNotMatch(html, /<script>x/);
    assert.doesNotMatch(html, /<b>app<\/b>/);
    assert.doesNotMatch(html, /"><script>/);
  });
});
