/** `switchyard vrrp` command line: options, -t, and clear errors for configs the sidecar cannot run. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseVrrpArgs, vrrpMain } from '@switchyard/vrrp';
import { seed } from './helpers/seeds.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await vrrpMain(
    argv,
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  return { code, out, err };
}

/** What the command printed, for an assertion's message: an exit status alone says nothing. */
function said(r: { out: string; err: string }): string {
  return `stdout:\n${r.out}\nstderr:\n${r.err}`;
}

function conf(body: string): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-vrrp-main-'));
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, body);
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('options: keepalived spellings, pid files, unknown options refused', () => {
  assert.deepEqual(parseVrrpArgs(['-f', 'a.conf', '-D', '-l', '-n', '-p', '/run/a.pid', '--vrrp_pid=/run/b.pid']), {
    file: 'a.conf',
    test: false,
    detail: true,
    pidFiles: ['/run/a.pid', '/run/b.pid'],
  });
  assert.equal((parseVrrpArgs([]) as { file: string }).file, '/etc/keepalived/keepalived.conf');
  assert.match(String(parseVrrpArgs(['-x'])), /unknown option '-x'/);
  assert.match(String(parseVrrpArgs(['-f'])), /-f needs a file name/);
});

test('usage errors exit 1 with the usage text; -h exits 0', async () => {
  const bad = await run(['--bogus']);
  assert.equal(bad.code, 1, said(bad));
  assert.match(bad.err, /unknown option '--bogus'[\s\S]*usage: switchyard vrrp/);
  const help = await run(['-h']);
  assert.equal(help.code, 0, said(help));
  assert.match(help.out, /switchyard vrrp lint A\.conf B\.conf/);
  const lint = await run(['lint', 'only-one.conf']);
  assert.equal(lint.code, 2, said(lint));
  assert.match(lint.err, /usage: switchyard vrrp lint A\.conf B\.conf/);
});

test('lint is dispatched: the nginx seed pair is flagged for its different virtual_router_id', async () => {
  const r = await run(['lint', seed('keepalived-nginx-master.conf'), seed('keepalived-nginx-backup.conf')]);
  assert.equal(r.code, 1, said(r));
  assert.match(r.out, /LINT_VRID_MISMATCH/);
});

test('-t checks the seed configs like keepalived -t (exit status and FILE:LINE diagnostics)', async () => {
  const clean = await run(['-t', '-f', seed('keepalived-two-vips.conf')]);
  assert.equal(clean.code, 0, said(clean));
  const broken = await run(['-t', '-f', seed('keepalived-track-haproxy.conf')]);
  assert.notEqual(broken.code, 0, said(broken));
  assert.match(broken.err, /keepalived-track-haproxy\.conf: Line \d+\)/);
});

test('a missing file, no instances, AH auth or an unknown interface: exit 1 with the reason', async () => {
  const missing = await run(['-f', '/nonexistent/keepalived.conf']);
  assert.equal(missing.code, 1, said(missing));
  assert.match(missing.err, /Unable to read configuration file/);

  const empty = conf('global_defs {\n  router_id x\n}\n');
  try {
    const r = await run(['-f', empty.file]);
    assert.equal(r.code, 1, said(r));
    assert.match(r.err, /defines no vrrp_instance/);
  } finally {
    empty.done();
  }

  const inst = (extra: string, iface = 'nosuchif0') =>
    `vrrp_instance VI_1 {\n  interface ${iface}\n  virtual_router_id 51\n  priority 100\n${extra}  virtual_ipaddress {\n    192.168.99.100\n  }\n}\n`;
  const ah = conf(inst('  authentication {\n    auth_type AH\n    auth_pass x\n  }\n'));
  try {
    const r = await run(['-f', ah.file]);
    assert.equal(r.code, 1, said(r));
    assert.match(r.err, /\(VI_1\) auth_type AH \(IPsec-AH\) is not supported/);
  } finally {
    ah.done();
  }

  const noIf = conf(inst(''));
  try {
    const r = await run(['-f', noIf.file]);
    assert.equal(r.code, 1, said(r));
    assert.match(r.err, /nosuchif0/);
  } finally {
    noIf.done();
  }
});

test('a fatal error (keyword missing its parameter) refuses to start, as keepalived runs no VRRP then', async () => {
  const c = conf(
    'vrrp_instance VI_1 {\n  state MASTER\n  interface lo\n  virtual_router_id\n  priority 100\n  virtual_ipaddress {\n    10.9.9.9/32\n  }\n}\n',
  );
  try {
    const r = await run(['-f', c.file]);
    assert.equal(r.code, 1, said(r));
    assert.match(r.err, /missing a parameter after keyword `virtual_router_id`/);
    assert.match(r.err, /Switchyard refuses to start: the file has a fatal error \(see above\)/);
  } finally {
    c.done();
  }
});

test("-i ID reads @ID lines and skips the other nodes' lines", () => {
  const args = parseVrrpArgs(['-i', 'node_a', '-f', 'x.conf']);
  assert.equal(typeof args === 'object' && args.configId, 'node_a');
  assert.match(String(parseVrrpArgs(['-i'])), /-i needs an id/);
});

test('-t refuses what the start refuses, with the same lines: VRRPv2 over IPv6 with auth, AH, track_bfd, a route option, no address', async () => {
  const inst = (extra: string, vip = '192.168.99.100') =>
    `vrrp_instance VI_1 {\n  interface nosuchif0\n  virtual_router_id 51\n${extra}  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
  const cases: [string, string, RegExp][] = [
    [
      'ipv6 v2 auth',
      inst('  version 2\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }\n', 'fd00:99::100'),
      /Line 6\) Switchyard refuses to start: \(VI_1\) authentication with VRRP version 2 over IPv6/,
    ],
    ['ipv6 no link-local', inst('', 'fd00:99::100'), /Line 2\) .*interface nosuchif0 has no IPv6 link-local address/],
    ['ah', inst('  authentication {\n    auth_type AH\n    auth_pass x\n  }\n'), /Line 5\) .*auth_type AH/],
    [
      'track_bfd',
      inst('  track_bfd {\n    bfd1\n  }\n'),
      /Line 4\) Switchyard refuses to start: \(VI_1\) 'track_bfd' is not supported/,
    ],
    [
      'virtual_routes vrf',
      inst('  virtual_routes {\n    10.0.0.0/8 dev lo vrf blue\n  }\n'),
      /Line 5\) Switchyard refuses to start: \(VI_1\) route option 'vrf' is not supported/,
    ],
    ['no address', inst(''), /Line 2\) .*interface nosuchif0 has no IPv4 address/],
  ];
  for (const [name, body, re] of cases) {
    const c = conf(body);
    try {
      const t = await run(['-t', '-f', c.file]);
      const s = await run(['-f', c.file]);
      assert.equal(t.code, 1, `${name}: ${said(t)}`);
      assert.equal(s.code, 1, `${name}: ${said(s)}`);
      assert.match(t.err, re, name);
      const refused = (e: string) => e.split('\n').filter((l) => l.includes('refuses to start'));
      assert.deepEqual(refused(s.err), refused(t.err), name);
    } finally {
      c.done();
    }
  }
});
