/**
 * Differential fuzz against Debian's keepalived 2.2.7: random files built from valid, invalid and
 * misplaced lines (unbalanced braces included) must give the same warned line numbers and the same
 * `-t` exit status from `keepalived -t` and from checkConfig(). Fixed seed, bounded run count
 * (SY_FUZZ_RUNS raises it, SY_FUZZ_SEED changes it); a failure prints the shrunk file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { findBinary, needs } from '../../../test/helpers/system.ts';
import { checkConfig } from '../src/conf/index.ts';

const LINES = [
  'vrrp_instance VI_1 {',
  'vrrp_instance VI_2 {',
  'vrrp_script chk {',
  'global_defs {',
  '}',
  '{',
  'virtual_ipaddress {',
  'authentication {',
  'track_script {',
  'unicast_peer {',
  'notification_email {',
  'vrrp_sync_group G {',
  'group {',
  'track_interface {',
  'state MASTER',
  'state FOO',
  'priority 100',
  'priority 300',
  'interface eth0',
  'interface lo',
  'virtual_router_id 51',
  'virtual_router_id 52',
  'advert_int 1',
  'advert_int 0',
  'auth_type PASS',
  'auth_type XX',
  'auth_pass 123456789',
  'router_id R',
  'script "/bin/true"',
  'script "/nonexistent/check.sh"',
  'interval 2',
  'weight -2',
  'weight 999',
  'rise 2',
  'fall 0',
  '10.0.0.1',
  '10.0.0.2/24 dev eth0',
  '10.0.0.3/40',
  'bogus',
  'nopreempt',
  'preempt_delay 5',
  'chk',
  'VI_1',
  'VI_2',
  'eth0',
  'notify_master /bin/true',
  'notify "/bin/echo x"',
  'vrrp_version 3',
  'vrrp_version 7',
  'version 3',
  'smtp_server 1.2.3.4',
  'smtp_connect_timeout 5',
  'ops@example.com',
  'enable_script_security',
  'use_vmac',
  'garp_master_delay 2',
  'mcast_src_ip 10.0.0.9',
  'unicast_src_ip 10.0.0.1',
  '! a comment',
  'priority 50 # trailing comment',
  'chk weight 254',
  'chk weight 10 reverse',
  'eth0 weight -20',
  'notanaddress',
  '10.0.0.4 dev eth0 label eth0:1 scope global',
  'fe80::1/64',
  'vrrp_instance VI_1 {',
  'notify_backup /bin/true',
  'notify_backup /bin/true',
  'smtp_alert',
  'dont_track_primary',
  'timeout 3',
  'user root',
  'init_fail',
  'vrrp_garp_master_repeat 3',
  'vrrp_strict',
  'lvs_id X',
  'vrrp_mcast_group4 224.0.0.19',
  'vrrp_mcast_group4 10.0.0.1',
  'vrrp_garp_master_refresh 10',
  'vrrp_skip_check_adv_addr',
  'script_user root',
  'notification_email_from a@b.c',
  'smtp_connect_timeout 0',
  'smtp_connection_timeout 30',
  'router_id',
  'interface',
  'priority',
  'advert_int 2.5',
  'virtual_router_id 0',
  'garp_master_repeat x',
  'preempt_delay 2000',
  'accept',
  'no_accept',
  'global_tracking',
  'notify_fault "/bin/echo f"',
  'virtual_ipaddress_excluded {',
  'static_ipaddress {',
  'interval',
  'weight',
  'smtp_server',
  'vrrp_script {',
  'vrrp_instance {',
  'vrrp_sync_group {',
  'notification_email_from',
  'script_user',
  'notify_master',
  'advert_int 0.015',
  'advert_int 41',
  'advert_int 1.5',
  'fe80::2',
  'state BACKUP',
  'priority 255',
];

function keepalivedView(file: string): { lines: number[]; status: number } {
  const r = spawnSync(findBinary('keepalived')!, ['-t', '-f', file, '-l', '-D', '-n'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = new Set<number>();
  for (const l of `${r.stdout}\n${r.stderr}`.split('\n')) {
    const m = /^\((?:[^)]*: )?Line (\d+)\)/.exec(l);
    if (m) lines.add(Number(m[1]));
  }
  return { lines: [...lines].sort((a, b) => a - b), status: r.status ?? -1 };
}

test('random files: same lines and status as keepalived -t', { skip: needs('keepalived') }, (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-kafuzz-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const file = join(d, 'k.conf');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...LINES), { minLength: 3, maxLength: 40 }), (lines) => {
      writeFileSync(file, `${lines.join('\n')}\n`);
      const ka = keepalivedView(file);
      const ours = checkConfig(file);
      const mine = [
        ...new Set(
          ours.diagnostics
            .filter((x) => x.loc && !x.unlined && !x.code.startsWith('SY_') && x.loc.file === file)
            .map((x) => x.loc!.line),
        ),
      ].sort((a, b) => a - b);
      assert.deepEqual(mine, ka.lines, `lines differ\n${ours.lines.join('\n')}`);
      assert.equal(ours.exitCode, ka.status, `status differs\n${ours.lines.join('\n')}`);
    }),
    { seed: Number(process.env.SY_FUZZ_SEED ?? 20261121), numRuns: Number(process.env.SY_FUZZ_RUNS ?? 100) },
  );
});
