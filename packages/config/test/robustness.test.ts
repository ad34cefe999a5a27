/** Bad input never crashes the parser: random configs built from real keywords and junk. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import fc from 'fast-check';

const WORDS = [
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'peers',
  'peer',
  'bind',
  'server',
  'default-server',
  'option',
  'no',
  'log',
  'global',
  'timeout',
  'client',
  'connect',
  'http-request',
  'http-response',
  'deny',
  'return',
  'redirect',
  'use_backend',
  'default_backend',
  'acl',
  'if',
  'unless',
  '{',
  '}',
  'stats',
  'socket',
  'uri',
  'auth',
  'stick-table',
  'stick',
  'on',
  'type',
  'size',
  'store',
  'cookie',
  'insert',
  'balance',
  'hdr(host)',
  'random(2)',
  'httpchk',
  'http-check',
  'send',
  'expect',
  'status',
  'weight',
  'check',
  'inter',
  'from',
  'id',
  '1',
  '0',
  '65536',
  '5s',
  '10x',
  ':80',
  '[::1]:80',
  '127.0.0.1:8080',
  'a,b',
  '"q q"',
  "'s'",
  '\\x4',
  '"unterminated',
  '#c',
  '.if',
  '.endif',
  '.else',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: haproxy.cfg text, not a template
  '"${X}"',
  'crt',
  'ssl',
  'local0',
  'stdout',
  '-i',
  'table',
  'track-sc0',
  'src',
  '',
  'mode',
  'tcp',
  'http',
];

test('random configs never throw and every diagnostic has a real location', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { maxLength: 8 }), {
        maxLength: 40,
      }),
      (lines) => {
        const text = lines.map((w) => `  ${w.join(' ')}`).join('\n');
        const r = parseConfig([{ file: 'f.cfg', text }], { env: { X: 'x' } });
        const n = lines.length;
        for (const d of r.diagnostics) {
          assert.equal(d.loc.file, 'f.cfg');
          assert.ok(d.loc.line >= 1 && d.loc.line <= Math.max(1, n), `line ${d.loc.line} of ${n}`);
          assert.ok(d.message.length > 0 && /^CFG_[A-Z_]+$/.test(d.code));
        }
        assert.ok(Array.isArray(r.model.proxies));
      },
    ),
    { numRuns: 3000, seed: 42 },
  );
});

test('binary junk and very long lines are reported, not thrown', () => {
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1');
  const r = parseConfig([{ file: 'j.cfg', text: `${junk}\n${'x'.repeat(100_000)}\n` }], { env: {} });
  assert.ok(r.diagnostics.some((d) => d.severity === 'error'));
});
