// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are haproxy.cfg text with ${VAR} on purpose
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenizeLine } from '@switchyard/config';

const words = (line: string, env: Record<string, string> = {}): string[] => {
  const r = tokenizeLine(line, env);
  if (!r.ok) throw new Error(r.message);
  return r.words;
};
const failure = (line: string): string => {
  const r = tokenizeLine(line, {});
  assert.equal(r.ok, false, `expected '${line}' to fail`);
  return r.ok ? '' : r.message;
};

test('words are split on blanks; leading/trailing blanks and tabs ignored', () => {
  assert.deepEqual(words('  server\ts1   127.0.0.1:80  check  '), ['server', 's1', '127.0.0.1:80', 'check']);
  assert.deepEqual(words(''), []);
  assert.deepEqual(words('   \t '), []);
});

test('# starts a comment anywhere outside quotes, unless escaped', () => {
  assert.deepEqual(words('maxconn 100 # comment'), ['maxconn', '100']);
  assert.deepEqual(words('# whole line'), []);
  assert.deepEqual(words('acl a path /x#frag'), ['acl', 'a', 'path', '/x']);
  assert.deepEqual(words('acl a path /x\\#frag'), ['acl', 'a', 'path', '/x#frag']);
  assert.deepEqual(words('acl a path "/x#frag"'), ['acl', 'a', 'path', '/x#frag']);
  assert.deepEqual(words("acl a path '/x#frag'"), ['acl', 'a', 'path', '/x#frag']);
});

test('quotes group words, join with adjacent text, and may be empty', () => {
  assert.deepEqual(words('description "my farm" here'), ['description', 'my farm', 'here']);
  assert.deepEqual(words('x \'a b\'c"d e"'), ['x', 'a bcd e']);
  assert.deepEqual(words('x "" y'), ['x', '', 'y']);
  assert.deepEqual(words(`x "it's" 'say "hi"'`), ['x', "it's", 'say "hi"']);
});

test('backslash escapes as HAProxy: space, backslash, quotes, #, \\t \\n \\r, \\xHH; others kept', () => {
  assert.deepEqual(words('x a\\ b'), ['x', 'a b']);
  assert.deepEqual(words('x a\\\\b'), ['x', 'a\\b']);
  assert.deepEqual(words('x \\"q\\"'), ['x', '"q"']);
  assert.deepEqual(words("x \\'q"), ['x', "'q"]);
  assert.deepEqual(words('x a\\tb\\nc\\rd'), ['x', 'a\tb\nc\rd']);
  assert.deepEqual(words('x \\x41\\x7a'), ['x', 'Az']);
  assert.deepEqual(words('acl a path_reg ^/img\\.png$ \\d+'), ['acl', 'a', 'path_reg', '^/img\\.png$', '\\d+']);
  // The seed's legacy httpchk: \r\n inside an unquoted word becomes CR LF.
  assert.deepEqual(words('option httpchk HEAD / HTTP/1.1\\r\\nHost:a.b'), [
    'option',
    'httpchk',
    'HEAD',
    '/',
    'HTTP/1.1\r\nHost:a.b',
  ]);
  // Inside double quotes escapes still apply; inside single quotes nothing is special.
  assert.deepEqual(words('x "a\\"b\\tc"'), ['x', 'a"b\tc']);
  assert.deepEqual(words("x 'a\\tb'"), ['x', 'a\\tb']);
});

test('a trailing backslash is not a line continuation', () => {
  assert.deepEqual(words('maxconn 100 \\'), ['maxconn', '100', '\\']);
});

test('environment variables expand inside double quotes only, with ${VAR-default}', () => {
  const env = { PORT: '8080', NAME: 'web farm' };
  assert.deepEqual(words('bind ":$PORT"', env), ['bind', ':8080']);
  assert.deepEqual(words('bind ":${PORT}0"', env), ['bind', ':80800']);
  assert.deepEqual(words('x "${MISSING-dflt}" "${PORT-1}"', env), ['x', 'dflt', '8080']);
  assert.deepEqual(words('x "$NAME"', env), ['x', 'web farm']);
  assert.deepEqual(words("x '$PORT' $PORT", env), ['x', '$PORT', '$PORT']);
  assert.deepEqual(words('x "\\$PORT"', env), ['x', '$PORT']);
  const r = tokenizeLine('x "$NOPE"', {});
  assert.deepEqual(r, { ok: true, words: ['x', ''], unsetEnv: ['NOPE'] });
});

test('tokenizer errors: unmatched quotes, bad hex, bad variable, too many words', () => {
  assert.equal(failure('x "abc'), 'unmatched double quote');
  assert.equal(failure("x 'abc"), 'unmatched single quote');
  assert.match(failure('x \\x4'), /invalid hex escape/);
  assert.match(failure('x "${1A}"'), /invalid environment variable name/);
  assert.match(failure('x "${A"'), /unmatched brace/);
  assert.match(failure(`x ${'a '.repeat(64)}`), /too many words on one line \(maximum is 64\)/);
  assert.deepEqual(words(`x ${'a '.repeat(63)}`).length, 64);
});
