import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFiles } from '@switchyard/config';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('setenv, presetenv, unsetenv, resetenv change "$VAR" expansion of the following lines', () => {
  const env = { KEEP: 'k', PORT: '1000', DROP: 'd' };
  const r = parse(
    `global
  setenv PORT 8080
  presetenv PORT 9090
  presetenv HOST 127.0.0.1
  unsetenv DROP
  description "$HOST:$PORT $DROP"
  resetenv KEEP HOST
  node "n$KEEP$PORT"
`,
    env,
  );
  assert.equal(r.model.global.description, '127.0.0.1:8080 ');
  assert.equal(r.model.global.node, 'nk');
  assert.deepEqual(codes(r), ['6 CFG_UNSET_ENV', '8 CFG_UNSET_ENV']);
  assert.deepEqual(env, { KEEP: 'k', PORT: '1000', DROP: 'd' }, "the caller's environment is not changed");
});

test('more process-level global keywords warn; module keywords are refused', () => {
  const r = parse(`global
  strict-limits
  maxsslconn 100
  nosplice
  lua-load /etc/haproxy/x.lua
  wurfl-data-file /x
  httpclient.ssl.verify none
  setenv
`);
  assert.deepEqual(codes(r), [
    '2 CFG_IGNORED_KEYWORD',
    '3 CFG_IGNORED_KEYWORD',
    '4 CFG_IGNORED_KEYWORD',
    '5 CFG_UNSUPPORTED',
    '6 CFG_UNSUPPORTED',
    '7 CFG_UNSUPPORTED',
    '8 CFG_MISSING_ARG',
  ]);
  assert.equal(r.diagnostics[3].message, "'lua-load': Lua is not supported");
});

test('zero-warning refuses a configuration with warnings, as HAProxy', () => {
  const r = parse(`global\n  zero-warning\n  daemon\n${DEFAULTS}backend b\n`);
  assert.deepEqual(codes(r), ['3 CFG_IGNORED_KEYWORD', '2 CFG_ZERO_WARNING']);
  assert.equal(
    r.diagnostics[1].message,
    "'zero-warning' is set and 1 warning(s) were emitted: the configuration is refused, as HAProxy does",
  );
  assert.deepEqual(parse(`global\n  zero-warning\n${DEFAULTS}backend b\n`).diagnostics, []);
});

test('default-path config|parent|origin resolves relative errorfile paths', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-dp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'etc', 'errors'), { recursive: true });
  mkdirSync(join(dir, 'other'));
  const page = 'HTTP/1.0 503 Busy\r\n\r\nbusy\n';
  writeFileSync(join(dir, 'etc', 'errors', '503.http'), page);
  writeFileSync(join(dir, 'errors.http'), page);
  writeFileSync(join(dir, 'other', 'o.http'), page);
  const cfg = (dp: string, file: string) => {
    writeFileSync(
      join(dir, 'etc', 'h.cfg'),
      `global\n  default-path ${dp}\n${DEFAULTS}backend b\n  errorfile 503 ${file}\n`,
    );
    const r = loadConfigFiles([join(dir, 'etc', 'h.cfg')]);
    return { r, body: proxy(r, 'b').errorFiles[503] };
  };
  assert.equal(cfg('config', 'errors/503.http').body, page);
  assert.equal(cfg('parent', 'errors.http').body, page);
  assert.equal(cfg(`origin ${join(dir, 'other')}`, 'o.http').body, page);
  const miss = cfg('config', 'errors.http');
  assert.deepEqual(codes(miss.r), ['9 CFG_FILE_NOT_FOUND']);
  assert.match(miss.r.diagnostics[0].message, /error opening file 'errors.http'/);
  assert.deepEqual(codes(parse('global\n  default-path here\n')), ['2 CFG_BAD_VALUE']);
});
