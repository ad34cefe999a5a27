import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDiagnostic, loadConfigFiles, parseConfig } from '@switchyard/config';
import { codes, DEFAULTS, oneError, parse, proxy } from './helpers.ts';

test('each proxy copies the last preceding defaults section; a new defaults starts fresh', () => {
  const r = parse(`defaults
  timeout connect 1s
  timeout client 1s
  timeout server 1s
  retries 5
  balance leastconn
  option forwardfor
  maxconn 100
backend a
  retries 1
defaults
  timeout connect 2s
  timeout client 2s
  timeout server 2s
backend b
`);
  assert.deepEqual(r.diagnostics, []);
  const a = proxy(r, 'a');
  assert.deepEqual(
    [a.retries, a.balance.algo, a.options.forwardfor?.header, a.maxconn, a.timeouts.connect, a.defaultsFrom],
    [1, 'leastconn', 'X-Forwarded-For', 100, 1000, ''],
  );
  const b = proxy(r, 'b');
  assert.deepEqual(
    [b.retries, b.balance.algo, b.options.forwardfor, b.maxconn, b.timeouts.connect],
    [3, 'roundrobin', undefined, undefined, 2000],
  );
  // Changing a proxy never leaks into the defaults or another proxy.
  a.options.allbackups = true;
  assert.equal(proxy(r, 'b').options.allbackups, false);
});

test('named defaults and `from`', () => {
  const r = parse(`defaults base
  mode http
  timeout connect 3s
  timeout client 3s
  timeout server 3s
defaults slow from base
  timeout server 5m
defaults
  timeout connect 1s
  timeout client 1s
  timeout server 1s
backend plain
backend api from base
backend reports from slow
`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual([proxy(r, 'plain').timeouts.server, proxy(r, 'plain').defaultsFrom], [1000, '']);
  assert.deepEqual([proxy(r, 'api').timeouts.server, proxy(r, 'api').defaultsFrom], [3000, 'base']);
  assert.deepEqual(
    [proxy(r, 'reports').timeouts.server, proxy(r, 'reports').timeouts.connect, proxy(r, 'reports').defaultsFrom],
    [300_000, 3000, 'slow'],
  );
});

test('defaults errors: unknown `from`, anonymous cannot be referenced, duplicate name warns', () => {
  const r = parse(
    `${DEFAULTS}defaults base\n  retries 2\ndefaults base\n  retries 4\nbackend a from bse\nbackend b from\n`,
  );
  assert.deepEqual(codes(r), ['8 CFG_DUPLICATE_NAME', '10 CFG_UNKNOWN_DEFAULTS', '11 CFG_MISSING_ARG']);
  assert.equal(
    r.diagnostics[1].message,
    "backend 'a': defaults section 'bse' not found (it must be named and come before); did you mean 'base'?",
  );
});

test('a named defaults used both through from and implicitly is refused, as HAProxy does', () => {
  const r = parse(`defaults base\n  timeout connect 1s\nbackend a\nbackend b from base\nbackend c\n`);
  assert.deepEqual(codes(r), ['3 CFG_AMBIGUOUS_DEFAULTS', '5 CFG_AMBIGUOUS_DEFAULTS']);
  assert.match(
    r.diagnostics[0].message,
    /^defaults section 'base' \(declared at t\.cfg:1\) is explicitly referenced by another proxy and implicitly used here/,
  );
  const ok = parse(
    `defaults base\n  timeout connect 1s\ndefaults\n  timeout connect 2s\nbackend a\nbackend b from base\n`,
  );
  assert.deepEqual(ok.diagnostics, []);
});

test('proxy ids in order from 1 skipping explicit ones; duplicates refused', () => {
  const r = parse(`${DEFAULTS}frontend f\n  bind :1\n  default_backend b\nbackend b\n  id 1\nbackend c\n`);
  assert.deepEqual(
    r.model.proxies.map((p) => [p.name, p.id]),
    [
      ['f', 2],
      ['b', 1],
      ['c', 3],
    ],
  );
  // As HAProxy 2.6 (checked with `show stat`): a stats socket creates a hidden CLI proxy with id 1.
  const withSocket = parse(
    `global\n  stats socket /run/sy.sock\n${DEFAULTS}frontend f\n  bind :1\n  default_backend b\nbackend b\n`,
  );
  assert.deepEqual(
    withSocket.model.proxies.map((p) => [p.name, p.id]),
    [
      ['f', 2],
      ['b', 3],
    ],
  );
  const d = parse(`${DEFAULTS}backend b\n  id 5\nbackend c\n  id 5\n`);
  assert.deepEqual(codes(d), ['8 CFG_DUPLICATE_ID']);
});

test('proxy names: frontend and backend may share a name, listen may not; bad names refused', () => {
  const ok = parse(`${DEFAULTS}frontend web\n  bind :1\n  default_backend web\nbackend web\n`);
  assert.deepEqual(ok.diagnostics, []);
  const r = parse(`${DEFAULTS}backend web\nlisten web\n  bind :1\nbackend web\nfrontend bad/name\nbackend\n`);
  assert.deepEqual(codes(r), ['10 CFG_BAD_NAME', '11 CFG_MISSING_ARG', '7 CFG_DUPLICATE_NAME', '9 CFG_DUPLICATE_NAME']);
  assert.equal(
    formatDiagnostic(r.diagnostics[2]),
    "[ALERT] t.cfg:7: listen 'web' has the same name as backend 'web' declared at t.cfg:6",
  );
});

test('multi-file: sources concatenated in order, FILE:LINE per file, sections end at file end', () => {
  const r = parseConfig(
    [
      { file: 'a.cfg', text: `global\n  maxconn 10\n${DEFAULTS}` },
      { file: 'b.cfg', text: '  retries 2\nbackend b\n  server s 1.1.1.1:80\n' },
    ],
    { env: {} },
  );
  assert.deepEqual(r.model.files, ['a.cfg', 'b.cfg']);
  const e = oneError(r);
  assert.equal(formatDiagnostic(e), "[ALERT] b.cfg:1: unknown keyword 'retries' out of section");
  assert.deepEqual(proxy(r, 'b').timeouts, { connect: 5000, client: 30000, server: 30000 });
  assert.deepEqual(proxy(r, 'b').servers[0].loc, { file: 'b.cfg', line: 3 });
});

test('loadConfigFiles: files and directories (*.cfg in lexical order); unreadable -> error, no throw', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'main.cfg'), DEFAULTS);
  writeFileSync(join(dir, 'conf.d', '20-b.cfg'), 'backend b\n');
  writeFileSync(join(dir, 'conf.d', '10-a.cfg'), 'backend a\n');
  writeFileSync(join(dir, 'conf.d', 'README.txt'), 'not config\n');
  writeFileSync(join(dir, 'plain.txt'), 'just text\n');
  writeFileSync(join(dir, 'page.http'), 'HTTP/1.0 503 Service Unavailable\r\n\r\nbusy\n');
  writeFileSync(
    join(dir, 'conf.d', '30-c.cfg'),
    `backend c\n  errorfile 503 ${join(dir, 'page.http')}\n  errorfile 504 ${join(dir, 'nope.http')}\n  errorfile 502 ${join(dir, 'plain.txt')}\n`,
  );
  const r = loadConfigFiles([join(dir, 'main.cfg'), join(dir, 'conf.d'), join(dir, 'missing.cfg')]);
  assert.deepEqual(r.model.files, [
    join(dir, 'main.cfg'),
    join(dir, 'conf.d', '10-a.cfg'),
    join(dir, 'conf.d', '20-b.cfg'),
    join(dir, 'conf.d', '30-c.cfg'),
  ]);
  assert.deepEqual(
    r.model.proxies.map((p) => p.name),
    ['a', 'b', 'c'],
  );
  assert.equal(proxy(r, 'a').timeouts.connect, 5000, 'defaults from the first file apply to later files');
  assert.equal(proxy(r, 'c').errorFiles[503], 'HTTP/1.0 503 Service Unavailable\r\n\r\nbusy\n');
  assert.deepEqual(
    r.diagnostics.map((d) => [d.loc.file, d.loc.line, d.code]),
    [
      [join(dir, 'missing.cfg'), 0, 'CFG_READ_FAILED'],
      [join(dir, 'conf.d', '30-c.cfg'), 3, 'CFG_FILE_NOT_FOUND'],
      [join(dir, 'conf.d', '30-c.cfg'), 4, 'CFG_BAD_VALUE'],
    ],
  );
  assert.equal(
    formatDiagnostic(r.diagnostics[0]),
    `[ALERT] ${join(dir, 'missing.cfg')}: cannot open configuration file: ENOENT`,
  );
});

test('sections: out-of-section keywords, unsupported sections skipped with one error, section typos', () => {
  const r = parse(`maxconn 10
mailers m
  mailer smtp1 127.0.0.1:25
ring r
  size 1000
${DEFAULTS}frontnd f
global extra
`);
  assert.deepEqual(codes(r), [
    '1 CFG_UNKNOWN_KEYWORD',
    '2 CFG_UNSUPPORTED_SECTION',
    '4 CFG_UNSUPPORTED_SECTION',
    '11 CFG_UNKNOWN_KEYWORD',
    '12 CFG_EXTRA_ARGS',
  ]);
  assert.equal(
    r.diagnostics[1].message,
    "'mailers' sections are not supported; alert from the logs or Prometheus metrics",
  );
  assert.equal(r.diagnostics[3].message, "unknown keyword 'frontnd' in 'defaults' section; did you mean 'frontend'?");
});

test('a keyword in the wrong kind of section says where it belongs', () => {
  const r = parse(
    `global\n  server s 1.1.1.1:80\n  balance roundrobin\n${DEFAULTS}  pidfile /run/x.pid\nbackend b\n  nbthread 2\n  tune.bufsize 10\n`,
  );
  assert.deepEqual(codes(r), [
    '2 CFG_NOT_ALLOWED_HERE',
    '3 CFG_NOT_ALLOWED_HERE',
    '9 CFG_NOT_ALLOWED_HERE',
    '11 CFG_NOT_ALLOWED_HERE',
    '12 CFG_NOT_ALLOWED_HERE',
  ]);
  assert.equal(
    r.diagnostics[0].message,
    "'server' is not allowed in the 'global' section; it belongs in a defaults, frontend, backend or listen section",
  );
  assert.equal(
    r.diagnostics[3].message,
    "'nbthread' is not allowed in a 'backend' section; it belongs in the 'global' section",
  );
});

test('peers section errors', () => {
  const r = parse(`peers p
  peer a 10.0.0.1:1000
  peer a 10.0.0.2:1000
  peer b 10.0.0.3
  peer c
  bind :1000
  peeer d 10.0.0.4:1000
peers p
peers
`);
  assert.deepEqual(codes(r), [
    '3 CFG_DUPLICATE_NAME',
    '4 CFG_BAD_PORT',
    '5 CFG_MISSING_ARG',
    '6 CFG_IGNORED_KEYWORD',
    '7 CFG_UNKNOWN_KEYWORD',
    '8 CFG_DUPLICATE_NAME',
    '9 CFG_MISSING_ARG',
  ]);
  assert.match(r.diagnostics[4].message, /did you mean 'peer'\?/);
});

test('CRLF line endings and a UTF-8 BOM are accepted', () => {
  const r = parse(`\ufeff${DEFAULTS.replaceAll('\n', '\r\n')}backend b\r\n  server s 1.1.1.1:80 check\r\n`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    proxy(r, 'b').servers.map((s) => [s.name, s.check, s.loc.line]),
    [['s', true, 7]],
  );
});

test('tokenizer errors carry FILE:LINE and the line is skipped', () => {
  const r = parse(`${DEFAULTS}backend b\n  description "unterminated\n  retries 9\n`);
  assert.deepEqual(codes(r), ['7 CFG_SYNTAX']);
  assert.equal(formatDiagnostic(r.diagnostics[0]), '[ALERT] t.cfg:7: unmatched double quote');
  assert.equal(proxy(r, 'b').retries, 9);
});

test('environment variables: expanded in double quotes, unset ones warn', () => {
  const r = parse(
    `${DEFAULTS}listen l\n  bind "\${ADDR}:\${PORT}"\n  server s "$BACKEND:80"\n  description "x$UNSET_VAR"\n`,
    {
      ADDR: '127.0.0.1',
      PORT: '8080',
      BACKEND: '10.0.0.9',
    },
  );
  assert.deepEqual(codes(r), ['9 CFG_UNSET_ENV']);
  assert.deepEqual(
    proxy(r, 'l').binds.map((b) => [b.host, b.port]),
    [['127.0.0.1', 8080]],
  );
  assert.equal(proxy(r, 'l').servers[0].host, '10.0.0.9');
});

test('conditional blocks: .if/.elif/.else/.endif, nesting, .warning/.alert', () => {
  const r = parse(
    `${DEFAULTS}backend b
.if defined(PROD)
  retries 9
.elif streq("$ENV",staging)
  retries 7
.else
  retries 1
.endif
.if version_atleast(2.4) && !version_before(2.6) && feature(OPENSSL)
  .if !feature(QUIC)
  option allbackups
  .endif
.endif
.if defined(PROD) || (streq("$ENV",staging) && !defined(NOPE))
  option redispatch
.endif
.if 0
  this is not parsed
  .alert never
.endif
.warning check this
`,
    { ENV: 'staging' },
  );
  assert.deepEqual(codes(r), ['26 CFG_NO_EFFECT']);
  assert.deepEqual(
    [proxy(r, 'b').retries, proxy(r, 'b').options.allbackups, proxy(r, 'b').options.redispatch],
    [7, true, { interval: -1 }],
  );
  const bad = parse(
    `${DEFAULTS}.endif\n.else\n.if frob(1)\n.endif\n.if (1 && 0\n.endif\n.if 1 1\n.endif\n.if 1\n.alert stop here\n.iff\n`,
  );
  assert.deepEqual(codes(bad), [
    '6 CFG_SYNTAX',
    '7 CFG_SYNTAX',
    '8 CFG_SYNTAX',
    '10 CFG_SYNTAX',
    '12 CFG_SYNTAX',
    '15 CFG_SYNTAX',
    '16 CFG_UNKNOWN_KEYWORD',
    '14 CFG_SYNTAX',
  ]);
  assert.equal(bad.diagnostics[7].message, "'.if' block is not closed by '.endif' at end of file");
  assert.equal(bad.diagnostics[3].message, "'.if': missing ')'");
});

test('a frontend with no way to answer warns; one with stats, return or monitor-uri does not', () => {
  const r = parse(
    `${DEFAULTS}frontend a\n  bind :1\nfrontend b\n  bind :2\n  http-request return status 200\nfrontend c\n  bind :3\n  monitor-uri /up\n`,
  );
  assert.deepEqual(codes(r), ['6 CFG_NO_BACKEND']);
  assert.equal(
    r.diagnostics[0].message,
    "frontend 'a' has no 'default_backend' nor 'use_backend': every request gets 503",
  );
});
