import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import { DEFAULTS, proxy } from './helpers.ts';

const FILES: Record<string, string> = {
  '503.http': 'HTTP/1.0 503 Busy\r\n\r\nbusy',
  '502.http': 'HTTP/1.1 502 Bad\r\nContent-Length: 3\r\n\r\nbad',
  'junk.http': 'not http',
};

function parse(text: string) {
  return parseConfig([{ file: 't.cfg', text }], {
    env: {},
    readFile: (p) => FILES[p] ?? new Error('ENOENT: no such file'),
  });
}

function messages(text: string): string[] {
  return parse(text).diagnostics.map((d) => `${d.loc.line} ${d.severity} ${d.message}`);
}

test('errorfile, errorloc, errorfiles and http-error apply in order, the defaults first', () => {
  const r = parse(`http-errors site
  errorfile 502 502.http
  errorfile 503 503.http
${DEFAULTS}  errorfile 503 503.http
  errorloc 504 /late
backend a
  errorfiles site 502
  http-error status 504 content-type text/plain string "slow" hdr X-A b
backend b
  errorfiles site
  http-error status 503 default-errorfiles
  errorloc303 502 /x
`);
  assert.deepEqual(r.diagnostics, []);
  const a = proxy(r, 'a').errorFiles;
  assert.deepEqual(Object.keys(a), ['502', '503', '504']);
  assert.equal(a[503], FILES['503.http']);
  assert.equal(a[502], FILES['502.http']);
  assert.equal(a[504], 'HTTP/1.1 504 \r\nX-A: b\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\nslow');
  const b = proxy(r, 'b').errorFiles;
  assert.deepEqual(Object.keys(b), ['502', '504']);
  assert.equal(
    b[502],
    'HTTP/1.1 303 See Other\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: /x\r\n\r\n',
  );
});

test('http-error lf-string keeps the format for the proxy (a later reply for the code drops it)', () => {
  const r = parse(`${DEFAULTS}backend a
  http-error status 503 content-type text/plain lf-string "down %[src]"
  http-error status 502 content-type text/plain lf-string "x"
  errorloc 502 /late
`);
  assert.deepEqual(r.diagnostics, []);
  const a = proxy(r, 'a');
  assert.equal(a.errorFiles[503], 'HTTP/1.1 503 \r\ncontent-length: 0\r\ncontent-type: text/plain\r\n\r\n');
  assert.deepEqual(Object.keys(a.errorFormats ?? {}), ['503']);
  assert.equal(a.errorFormats?.[503].format, 'down %[src]');
});

test('return and deny take errorfile FILE and errorfiles NAME (resolved after the sections)', () => {
  const r = parse(`${DEFAULTS}frontend f
  bind :80
  http-request return status 502 errorfiles site if { path /a }
  http-request deny deny_status 503 errorfile 503.http if { path /b }
  http-request deny deny_status 403 errorfiles site
http-errors site
  errorfile 502 502.http
`);
  assert.deepEqual(r.diagnostics, []);
  const rules = proxy(r, 'f').httpRequest as Array<{ errorfile?: string }>;
  assert.deepEqual(
    rules.map((x) => x.errorfile),
    [FILES['502.http'], FILES['503.http'], undefined],
  );
});

test("bad input: haproxy's messages at FILE:LINE", () => {
  const at = DEFAULTS.split('\n').length;
  const cases: Array<[string, string]> = [
    ['backend b\n  errorfile 599 503.http', "error errorfile : status code '599' not handled."],
    ['backend b\n  errorfile 503', 'error errorfile : expects <status_code> and <file> as arguments.'],
    [
      'backend b\n  errorfile 503 nope.http',
      "error 'errorfile 503': error opening file 'nope.http': ENOENT: no such file",
    ],
    [
      'backend b\n  errorfile 503 junk.http',
      "error 'errorfile 503': 'junk.http' is not an HTTP response (expected 'HTTP/1.0 503 ...', headers, then an empty line)",
    ],
    ['backend b\n  errorloc 503', 'error errorloc : expects <status_code> and <url> as arguments.'],
    ['backend b\n  errorfiles', "error 'errorfiles' expects <name>"],
    ['backend b\n  errorfiles site 418', "error errorfiles : status code '418' not handled."],
    ['backend b\n  errorfiles nosuch', "error proxy 'b': unknown http-errors section 'nosuch'"],
    [
      'backend b\n  http-error content-type text/plain string x',
      'error http-error : expects at least a <status> as arguments.',
    ],
    ['backend b\n  http-error status 418', "error http-error: status code '418' not handled."],
    [
      'backend b\n  http-error status 503 string a file 503.http',
      "error 'http-error': unexpected 'file' argument, 'string' already defined",
    ],
    [
      'backend b\n  http-request return status 200 errorfiles nosuch',
      "error proxy 'b': unknown http-errors section 'nosuch'",
    ],
  ];
  for (const [text, message] of cases) {
    const got = messages(`${DEFAULTS}${text}\n`);
    assert.ok(got.length >= 1, text);
    assert.equal(got[0], `${at + 1} ${message}`, text);
  }
  assert.deepEqual(messages('http-errors\n'), ['1 error missing name for http-errors section.']);
  assert.deepEqual(messages('http-errors a\nhttp-errors a\n'), [
    "2 error http-errors section 'a' already exists (declared at t.cfg:1).",
  ]);
  assert.deepEqual(messages('http-errors a\n  errorloc 503 /x\n'), [
    "2 error unknown keyword 'errorloc' in 'http-errors' section",
  ]);
  assert.deepEqual(messages(`http-errors a\n  errorfile 503 503.http\n${DEFAULTS}backend b\n  errorfiles a 502\n`), [
    `${at + 3} warning config: proxy 'b' : status '502' not declared in http-errors section 'a'`,
  ]);
});
