/** buildRuntime: diagnostics with FILE:LINE, backend resolution, state kept across reloads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import { Logger } from '../src/log/logger.ts';
import { buildRuntime } from '../src/runtime/build.ts';

const logger = new Logger({ globalTargets: [] });

function build(text: string, previous?: ReturnType<typeof buildRuntime>['runtime']) {
  const parsed = parseConfig([{ file: 'b.cfg', text }], { readFile: () => 'HTTP/1.0 503 Down\r\n\r\nbody' });
  assert.deepEqual(
    parsed.diagnostics.filter((d) => d.severity === 'error'),
    [],
    'the parser accepts the text',
  );
  return buildRuntime(parsed.model, { logger, previous });
}

const BASE = `defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
`;

test('use_backend / default_backend resolve to the compiled backends', () => {
  const { runtime, diagnostics } = build(`${BASE}frontend fe
  bind 127.0.0.1:8001
  use_backend api if { path_beg /api }
  default_backend web
backend web
  server w 127.0.0.1:9001
backend api
  server a 127.0.0.1:9002
`);
  assert.deepEqual(diagnostics, []);
  const fe = runtime.frontends.get('fe');
  assert.equal(fe?.useBackends[0].backend, runtime.backends.get('api'));
  assert.equal(fe?.defaultBackend, runtime.backends.get('web'));
  assert.equal(runtime.backends.get('web')?.servers[0].name, 'w');
});

test('a listen section is its own default backend', () => {
  const { runtime } = build(`${BASE}listen both\n  bind 127.0.0.1:8001\n  server s 127.0.0.1:9001\n`);
  assert.equal(runtime.frontends.get('both')?.defaultBackend, runtime.backends.get('both'));
});

test('every build problem is reported with its line', () => {
  const parsed = parseConfig(
    [
      {
        file: 'b.cfg',
        text: `${BASE}frontend fe
  bind 127.0.0.1:8001
  default_backend be
frontend fe2
  bind 127.0.0.1:8001
  default_backend be
backend be
  server s 127.0.0.1:9001
`,
      },
    ],
    {},
  );
  const { diagnostics } = buildRuntime(parsed.model, { logger });
  const dup = diagnostics.find((d) => d.code === 'CFG_DUPLICATE_BIND');
  assert.equal(dup?.loc.line, 10);
  assert.match(dup?.message ?? '', /already bound at b\.cfg:7/);
});

test('an errorfile that is not an HTTP response is an error (models built without the parser too)', () => {
  const parsed = parseConfig([{ file: 'b.cfg', text: `${BASE}backend be\n  server s 127.0.0.1:9001\n` }], {});
  parsed.model.proxies[0].errorFiles[503] = '<html>sorry</html>';
  const { diagnostics } = buildRuntime(parsed.model, { logger });
  assert.ok(diagnostics.some((d) => d.code === 'CFG_BAD_ERRORFILE' && d.severity === 'error'));
});

test('log to a unix socket: no warning once the unixsock addon is built', () => {
  const { diagnostics } = build(
    `global\n  log /dev/log local0\n${BASE}  log global\nfrontend fe\n  bind 127.0.0.1:8001\n`,
  );
  assert.deepEqual(
    diagnostics.filter((d) => d.code.startsWith('CFG_LOG_UNIX')),
    [],
  );
});

test('reload keeps the state of same-named servers at the same address', () => {
  const cfg = (port: number) => `${BASE}backend be\n  server keep 127.0.0.1:9001\n  server moved 127.0.0.1:${port}\n`;
  const first = build(cfg(9002)).runtime;
  const keep = first.backends.get('be')?.serversByName.get('keep');
  assert.ok(keep);
  keep.admin = 'DRAIN';
  keep.counters.stot = 42;
  const second = build(cfg(9003), first).runtime;
  assert.equal(second.backends.get('be')?.serversByName.get('keep'), keep);
  assert.equal(second.backends.get('be')?.serversByName.get('keep')?.admin, 'DRAIN');
  assert.notEqual(
    second.backends.get('be')?.serversByName.get('moved'),
    first.backends.get('be')?.serversByName.get('moved'),
  );
  assert.equal(second.events, first.events, 'listeners on runtime events survive reloads');
});

test('a server kept across a reload takes the new settings of its line (checks, weight, backup)', () => {
  const first = build(`${BASE}backend be\n  server s 127.0.0.1:9001 check inter 2s weight 10\n`).runtime;
  const s = first.backends.get('be')?.serversByName.get('s');
  assert.ok(s);
  s.op = 'DOWN';
  s.health = 0;
  s.cur = 3;
  const second = build(
    `${BASE}backend be\n  server s 127.0.0.1:9001 check inter 500 rise 3 fall 4 weight 20 backup\n`,
    first,
  ).runtime;
  const t = second.backends.get('be')?.serversByName.get('s');
  assert.equal(t, s, 'same object: in-flight requests still count on it');
  assert.equal(t?.model.inter, 500);
  assert.equal(t?.model.rise, 3);
  assert.equal(t?.weight, 20);
  assert.equal(t?.backup, true);
  assert.equal(t?.op, 'DOWN', 'the check verdict is kept');
  assert.equal(t?.cur, 3);
});
