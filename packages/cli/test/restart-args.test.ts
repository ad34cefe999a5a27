import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../src/args.ts';
import { workerArgv } from '../src/master.ts';
import { parseMasterSocket } from '../src/master-cli.ts';

test('-x, -sf/-st pid lists, -W/-Ws, -S as haproxy parses them', () => {
  const a = parseArgs(['-f', 'h.cfg', '-x', '/run/admin.sock', '-sf', '12', '34', '-p', '/run/p']);
  assert.equal(a.takeSocketsFrom, '/run/admin.sock');
  assert.deepEqual(a.stopOld, { signal: 'SIGUSR1', pids: [12, 34] });
  assert.equal(a.pidfile, '/run/p');
  // an empty pid list (a pid file that was empty) is accepted
  assert.deepEqual(parseArgs(['-f', 'h.cfg', '-st']).stopOld, { signal: 'SIGTERM', pids: [] });
  const w = parseArgs(['-Ws', '-S', '/run/m.sock,mode,600', '-f', 'h.cfg']);
  assert.equal(w.masterWorker, 'Ws');
  assert.deepEqual(w.masterSockets, ['/run/m.sock,mode,600']);
  assert.throws(() => parseArgs(['-f', 'h.cfg', '-x']), /option '-x' needs a value/);
  assert.throws(() => parseArgs(['-f', 'h.cfg', '-sf', 'abc']), /unknown option 'abc'/);
});

test("a master's worker gets the arguments without the master's own", () => {
  assert.deepEqual(
    workerArgv(['-Ws', '-f', 'a.cfg', '-S', '/m.sock', '-p', '/p', '-x', '/old.sock', '-sf', '1', '2', '-f', 'b.cfg']),
    ['-f', 'a.cfg', '-f', 'b.cfg'],
  );
});

test('-S BIND[,mode,OCTAL]', () => {
  assert.deepEqual(parseMasterSocket('/run/m.sock,mode,660'), { path: '/run/m.sock', mode: 0o660 });
  assert.deepEqual(parseMasterSocket('ipv4@127.0.0.1:9999'), { host: '127.0.0.1', port: 9999 });
  assert.throws(() => parseMasterSocket('/run/m.sock,user,haproxy'), /unsupported option 'user'/);
  assert.throws(() => parseMasterSocket('127.0.0.1'), /missing port/);
});
