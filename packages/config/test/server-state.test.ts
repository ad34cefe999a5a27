/** server-state-file, server-state-base, load-server-state-from-file, server-state-file-name (HAProxy 2.6). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('global server-state-file and server-state-base; the first one is kept, as haproxy', () => {
  const r = parse(`global
  server-state-file /var/lib/haproxy/state
  server-state-base /var/lib/haproxy
  server-state-file /other
  server-state-base
${DEFAULTS}`);
  assert.equal(r.model.global.serverStateFile, '/var/lib/haproxy/state');
  assert.equal(r.model.global.serverStateBase, '/var/lib/haproxy');
  // haproxy checks 'already specified' first, then the argument
  assert.deepEqual(codes(r), ['4 CFG_NO_EFFECT', '5 CFG_NO_EFFECT']);
  assert.match(r.diagnostics[0].message, /'server-state-file' already specified/);
  assert.deepEqual(codes(parse('global\n  server-state-base\n')), ['2 CFG_MISSING_ARG']);
});

test('load-server-state-from-file is inherited from defaults, server-state-file-name is not', () => {
  const r = parse(`global
  server-state-file s
defaults d
  load-server-state-from-file local
  server-state-file-name use-backend-name
  timeout connect 1s
  timeout client 1s
  timeout server 1s
backend a
  server s 127.0.0.1:1
backend b
  load-server-state-from-file global
  server-state-file-name
backend c
  server-state-file-name c.state
  load-server-state-from-file none
`);
  assert.deepEqual(codes(r), []);
  const p = (n: string) => proxy(r, n);
  assert.equal(p('a').loadServerStateFromFile, 'local');
  assert.equal(p('a').serverStateFileName, undefined);
  assert.equal(p('b').loadServerStateFromFile, 'global');
  assert.equal(p('b').serverStateFileName, 'b');
  assert.equal(p('c').serverStateFileName, 'c.state');
  assert.equal(p('c').loadServerStateFromFile, 'none');
});

test("bad values get haproxy's message; 'global' without a global file warns as haproxy", () => {
  const r = parse(`${DEFAULTS}backend a
  load-server-state-from-file globl
  load-server-state-from-file
  server-state-file-name a b
backend b
  load-server-state-from-file global
frontend f
  bind 127.0.0.1:1
  load-server-state-from-file local
`);
  assert.deepEqual(codes(r), [
    '7 CFG_BAD_VALUE',
    '8 CFG_BAD_VALUE',
    '9 CFG_EXTRA_ARGS',
    '14 CFG_NO_EFFECT',
    '10 CFG_NO_EFFECT',
    '12 CFG_NO_BACKEND',
  ]);
  assert.match(r.diagnostics[3].message, /load-server-state-from-file/);
  assert.equal(
    r.diagnostics[0].message,
    "'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'globl'; did you mean 'global'?",
  );
  assert.equal(
    r.diagnostics[4].message,
    "backend 'b' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!",
  );
});
