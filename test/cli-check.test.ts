/** `switchyard -c`, `-v`, argv errors and refusing to start on a bad configuration. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { BIN, defaults, freePort, ROOT, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { seed } from './helpers/seeds.ts';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SEED = seed('haproxy-1.4-seed.cfg');

test('-c on a valid configuration: exit 0 and "Configuration file is valid"', () => {
  const r = run(['-c', '-f', 'deploy/example/haproxy.cfg']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Configuration file is valid\n');
  // -q (the systemd unit's ExecReload check): nothing printed, as haproxy -c -q
  const q = run(['-Ws', '-c', '-q', '-f', 'deploy/example/haproxy.cfg']);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stdout, '');
});

test('-c on the HAProxy 1.4 seed: valid, with warnings as FILE:LINE', () => {
  const r = run(['-c', '-f', SEED]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Configuration file is valid\n');
  assert.match(r.stderr, /haproxy-1\.4-seed\.cfg:12: .*contimeout.*timeout connect/);
  assert.match(r.stderr, /haproxy-1\.4-seed\.cfg:7: .*nbproc/);
});

test('-c reports every error with FILE:LINE and exits 1', () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'bad.cfg',
      `${defaults()}
frontend fe
  bind 127.0.0.1:8
  use_backend nowhere if { path_beg /x }
  default_backend be
  bogus_keyword 1
backend be
  server s 127.0.0.1:80
  errorfile 503 ${tmp.dir}/does-not-exist.http
`,
    );
    const r = run(['-c', '-f', cfg]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bad\.cfg:14: .*nowhere/);
    assert.match(r.stderr, /bad\.cfg:16: .*bogus_keyword/);
    assert.match(r.stderr, /Fatal errors found in configuration/);
  } finally {
    tmp.cleanup();
  }
});

test('-c on a missing file: exit 1 with the file name', () => {
  const r = run(['-c', '-f', '/nonexistent/haproxy.cfg']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /\/nonexistent\/haproxy\.cfg: .*ENOENT/);
});

test('-v and --version print the version; -vv adds build details', () => {
  for (const flag of ['-v', '--version']) {
    const r = run([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Switchyard version \d+\.\d+\.\d+/);
  }
  assert.match(run(['-vv']).stdout, /Running on: Node\.js v\d+/);
});

test('bad argv: usage on stderr and exit 1', () => {
  for (const args of [['--nope'], [], ['-f'], ['--log-format', 'xml', '-f', 'x.cfg']]) {
    const r = run(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /Usage: switchyard -f FILE/);
  }
});

test('a configuration with errors never half-starts: nothing is bound, exit 1', async () => {
  const tmp = tempDir();
  try {
    const good = await freePort();
    const cfg = writeFile(
      tmp.dir,
      'half.cfg',
      `${defaults()}
frontend ok
  bind 127.0.0.1:${good}
  default_backend be
frontend broken
  bind 127.0.0.1:${await freePort()}
  default_backend missing
backend be
  server s 127.0.0.1:80
`,
    );
    const p = await startProxy(['-f', cfg], { waitReady: false });
    assert.equal(await p.exited, 1);
    assert.match(p.stderr(), /half\.cfg:17: .*missing/);
    assert.doesNotMatch(p.stderr(), /listening on/);
  } finally {
    tmp.cleanup();
  }
});

test('an address already in use: exit 1 naming the bind line, nothing left bound', async () => {
  const tmp = tempDir();
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  try {
    const busyPort = (busy.address() as { port: number }).port;
    const other = await freePort();
    const cfg = writeFile(
      tmp.dir,
      'busy.cfg',
      `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${other}\n  bind 127.0.0.1:${busyPort}\n  default_backend be\nbackend be\n  server s 127.0.0.1:80\n`,
    );
    const p = await startProxy(['-f', cfg], { waitReady: false });
    assert.equal(await p.exited, 1);
    assert.match(p.stderr(), /busy\.cfg:14: .*cannot bind socket \(EADDRINUSE\)/);
    // the other address was released again
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(other, '127.0.0.1', () => resolve());
    });
    probe.close();
  } finally {
    busy.close();
    tmp.cleanup();
  }
});

test('switchyard vrrp ... hands over to the VRRP sidecar command', () => {
  const r = run(['vrrp', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /usage: switchyard vrrp/i);
  const t = run(['vrrp', '-t', '-f', seed('keepalived-two-vips.conf')]);
  assert.equal(t.code, 0, t.stderr);
});

test('-c refuses health-check settings that cannot work, with FILE:LINE', () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'checks.cfg',
      `${defaults()}
frontend f
  bind 127.0.0.1:1
  default_backend b
backend b
  http-check expect rstatus ^(2
  server s 127.0.0.1:80 check agent-check
`,
    );
    const r = run(['-c', '-f', cfg]);
    assert.equal(r.code, 1, r.stderr);
    const lines = defaults().split('\n').length;
    assert.match(r.stderr, new RegExp(`checks\\.cfg:${lines + 5}: .*invalid regular expression`));
    assert.match(r.stderr, new RegExp(`checks\\.cfg:${lines + 6}: .*'agent-check' needs 'agent-port N'`));
  } finally {
    tmp.cleanup();
  }
});
