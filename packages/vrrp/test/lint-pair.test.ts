/** `switchyard vrrp lint` on the seeds and crafted pairs. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KEEPALIVED_SEEDS, seed } from '../../../test/helpers/seeds.ts';
import { parseKeepalivedConf } from '../src/conf/index.ts';
import { lintCommand, lintPair } from '../src/lint/index.ts';

const dir = join(import.meta.dirname, 'fixtures', 'keepalived');
/** A seed (test/fixtures/seeds) by its name, else one of this package's crafted fixtures. */
const f = (name: string) => ((KEEPALIVED_SEEDS as readonly string[]).includes(name) ? seed(name) : join(dir, name));
const codes = (out: { code: string; severity: string }[]) =>
  out.filter((x) => x.severity !== 'info').map((x) => `${x.severity}:${x.code}`);

test('the nginx seed pair: VRID 51 vs 61 is an error naming both lines', () => {
  const r = lintCommand([f('keepalived-nginx-master.conf'), f('keepalived-nginx-backup.conf'), '--json']);
  assert.equal(r.exitCode, 1, r.output);
  const findings = JSON.parse(r.output);
  const vrid = findings.find((x: { code: string }) => x.code === 'LINT_VRID_MISMATCH');
  assert.ok(vrid, r.output);
  assert.match(vrid.message, /VIP 192\.168\.1\.100 uses virtual_router_id 51 on A but 61 on B/);
  assert.equal(vrid.a.line, 10);
  assert.equal(vrid.b.line, 5);
  const text = lintCommand([f('keepalived-nginx-master.conf'), f('keepalived-nginx-backup.conf')]);
  assert.match(text.output, /^error LINT_VRID_MISMATCH: /);
  assert.match(text.output, /1 error\(s\), 0 warning\(s\)$/);
});

test('the track-haproxy seed with its documented peer: weight 2 can never move the VIP (150 vs 120)', () => {
  const r = lintCommand([f('keepalived-track-haproxy.conf'), f('lint-track-haproxy-backup.conf'), '--json']);
  const findings = JSON.parse(r.output);
  assert.equal(r.exitCode, 1, r.output);
  const w = findings.find((x: { code: string }) => x.code === 'LINT_TRACK_WEIGHT_TOO_SMALL');
  assert.ok(w, r.output);
  assert.match(w.message, /drops to 150, still >= 122 on the other node/);
});

test('the two-VIP active/active seed with a mirrored peer is clean', () => {
  const r = lintCommand([
    f('keepalived-two-vips.conf'),
    f('lint-two-vips-peer.conf'),
    '--iface-addr',
    'eth0=192.168.10.130/26',
  ]);
  assert.equal(r.exitCode, 0, r.output);
  assert.match(r.output, /0 error\(s\), 0 warning\(s\)$/);
});

test('a broken unicast pair: every failover breaker is reported', () => {
  const r = lintCommand([f('lint-unicast-a.conf'), f('lint-unicast-b.conf'), '--json']);
  assert.equal(r.exitCode, 1, r.output);
  const got = codes(JSON.parse(r.output));
  for (const c of [
    'error:LINT_ADVERT_MISMATCH',
    'error:LINT_AUTH_MISMATCH',
    'error:LINT_VIP_SET_MISMATCH',
    'error:LINT_UNICAST_PEER',
    'warning:LINT_EQUAL_PRIORITY',
    'warning:LINT_BOTH_MASTER',
    'warning:LINT_SAME_ROUTER_ID',
    'warning:LINT_VIP_OUTSIDE_SUBNET',
  ]) {
    assert.ok(got.includes(c), `${c} missing from ${got.join(' ')}`);
  }
  // B's peers include A's source; A's peers miss B's (10.0.0.3 vs 10.0.0.2): one direction only.
  assert.equal(got.filter((c) => c === 'error:LINT_UNICAST_PEER').length, 1);
  // 10.0.9.100/24 does not contain A's unicast_src_ip 10.0.0.1.
  const sub = JSON.parse(r.output).find((x: { code: string }) => x.code === 'LINT_VIP_OUTSIDE_SUBNET');
  assert.match(sub.message, /10\.0\.9\.100\/24 does not contain A's source address 10\.0\.0\.1/);
});

test('--iface-addr checks each VIP against the interface subnet exactly', () => {
  const r = lintCommand([
    f('keepalived-nginx-master.conf'),
    f('keepalived-nginx-backup.conf'),
    '--iface-addr',
    'a:eth0=10.1.0.5/16',
    '--iface-addr=b:eth0=192.168.1.20/24',
    '--json',
  ]);
  const out = JSON.parse(r.output) as { code: string; message: string; a?: unknown; b?: unknown }[];
  const sub = out.filter((x) => x.code === 'LINT_VIP_OUTSIDE_SUBNET');
  assert.equal(sub.length, 1);
  assert.ok(sub[0].a && !sub[0].b);
  assert.match(sub[0].message, /VIP 192\.168\.1\.100 is outside eth0's subnet 10\.1\.0\.5\/16 on A/);
});

test('version, mixed unicast/multicast, nopreempt on one side, v3 advert difference', () => {
  const base = (extra: string, prio: number) =>
    parseKeepalivedConf(
      `vrrp_instance V {\n interface eth0\n virtual_router_id 9\n priority ${prio}\n${extra}\n virtual_ipaddress {\n 10.0.0.9\n }\n}\n`,
      '/n.conf',
    ).model;
  let out = lintPair(base(' version 3', 100), base(' version 2', 90));
  assert.ok(codes(out).includes('error:LINT_VERSION_MISMATCH'));
  out = lintPair(base(' unicast_peer {\n 10.0.0.2\n }', 100), base('', 90));
  assert.ok(codes(out).includes('error:LINT_UNICAST_MIXED'));
  out = lintPair(base(' nopreempt', 100), base('', 90));
  assert.deepEqual(codes(out), ['warning:LINT_NOPREEMPT_ONE_SIDED']);
  out = lintPair(base(' version 3\n advert_int 0.5', 100), base(' version 3', 90));
  assert.deepEqual(codes(out), ['warning:LINT_ADVERT_MISMATCH']);
  out = lintPair(base(' state MASTER', 90), base('', 100));
  assert.deepEqual(codes(out), ['warning:LINT_STATE_PRIORITY']);
});

test('usage errors exit 2', () => {
  assert.equal(lintCommand([f('keepalived-nginx-master.conf')]).exitCode, 2);
  assert.equal(lintCommand(['a', 'b', '--iface-addr', 'eth0=nonsense']).exitCode, 2);
  assert.equal(lintCommand(['/nonexistent/a.conf', f('keepalived-nginx-master.conf')]).exitCode, 2);
  assert.equal(lintCommand(['--bogus', 'a', 'b']).exitCode, 2);
});

test('every pair of seeds lints without throwing, with a stable exit status', () => {
  for (const a of KEEPALIVED_SEEDS) {
    for (const b of KEEPALIVED_SEEDS) {
      const r = lintCommand([f(a), f(b)]);
      assert.ok(r.exitCode === 0 || r.exitCode === 1, `${a} ${b}: ${r.output}`);
      assert.match(r.output, /\d+ error\(s\), \d+ warning\(s\)$/);
    }
  }
});

test('nopreempt with state MASTER is reported: keepalived clears it, so the node preempts anyway', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-lint-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const conf = (state: string, prio: number) =>
    `vrrp_instance V {\n state ${state}\n interface eth0\n virtual_router_id 9\n priority ${prio}\n nopreempt\n virtual_ipaddress {\n 10.0.0.9\n }\n}\n`;
  writeFileSync(join(d, 'a.conf'), conf('MASTER', 150));
  writeFileSync(join(d, 'b.conf'), conf('BACKUP', 100));
  const r = lintCommand([join(d, 'a.conf'), join(d, 'b.conf'), '--json']);
  const got = JSON.parse(r.output) as { code: string; message: string; a?: { line: number } }[];
  const w = got.find((x) => x.code === 'LINT_NOPREEMPT_MASTER');
  assert.ok(w, r.output);
  assert.match(w.message, /nopreempt will not work with initial state MASTER/);
  assert.equal(w.a?.line, 1);
});
