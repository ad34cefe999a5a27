/** Unit tests of the keepalived.conf parser: values, defaults, syntax corners, includes, robustness. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { KEEPALIVED_SEEDS, seed } from '../../../test/helpers/seeds.ts';
import { checkConfig, loadKeepalivedConf, parseKeepalivedConf } from '../src/conf/index.ts';

const fixtures = join(import.meta.dirname, 'fixtures', 'keepalived');

test('every seed loads', () => {
  for (const f of KEEPALIVED_SEEDS) {
    const r = loadKeepalivedConf(seed(f));
    assert.ok(r.model.instances.length >= 1, f);
    assert.ok(!r.diagnostics.some((d) => d.code === 'KA_FILE_NOT_FOUND'), f);
  }
});

test('keepalived defaults are applied', () => {
  const { model, diagnostics } = parseKeepalivedConf(
    'vrrp_instance V {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n',
    '/x.conf',
  );
  assert.deepEqual(diagnostics, []);
  const v = model.instances[0];
  assert.equal(v.state, 'BACKUP');
  assert.equal(v.priority, 100);
  assert.equal(v.advertInt, 1);
  assert.equal(v.version, 2);
  assert.equal(v.nopreempt, false);
  assert.equal(v.preemptDelay, 0);
  assert.equal(v.garpMasterDelay, 5);
  assert.equal(v.garpMasterRepeat, 5);
  assert.equal(v.accept, true);
  assert.deepEqual(v.virtualIpaddresses[0], {
    address: '10.0.0.1',
    family: 4,
    prefix: 32,
    loc: { file: '/x.conf', line: 5 },
  });
  assert.equal(model.globalDefs.mcastGroup4, '224.0.0.18');
  assert.deepEqual(v.loc, { file: '/x.conf', line: 1 });
});

test('syntax corners: next-line braces, comments, quotes, $defs, @conditionals, include', () => {
  const file = join(fixtures, 'ka-syntax.conf');
  const { model } = loadKeepalivedConf(file);
  assert.equal(model.globalDefs.routerId, 'node one');
  assert.deepEqual(model.globalDefs.notificationEmail, ['ops@example.com', 'admin@example.com']);
  assert.equal(model.globalDefs.garpMasterDelay, 2);
  const s = model.scripts[0];
  assert.equal(s.script, "/bin/sh -c 'exit 0 # not a comment'");
  assert.deepEqual(s.argv, ['/bin/sh', '-c', 'exit 0 # not a comment']);
  assert.equal(s.interval, 2);
  assert.equal(s.timeout, 2, 'an invalid timeout falls back to the interval');
  assert.equal(s.weight, -20);
  assert.equal(s.fall, 3);
  assert.equal(s.rise, 2);
  // @nodeA lines are dropped without -i nodeA.
  assert.deepEqual(
    model.instances.map((i) => i.name),
    ['VI_1'],
  );
  const v = model.instances[0];
  assert.equal(v.interface, 'eth0', '$IFACE substituted');
  assert.equal(v.state, 'MASTER');
  assert.equal(v.advertInt, 1, 'v2 advert_int 0.5 rounded like keepalived');
  assert.deepEqual(v.authentication && [v.authentication.type, v.authentication.pass], ['PASS', 'pa#ss']);
  assert.deepEqual(
    v.virtualIpaddresses.map((x) => [x.address, x.prefix, x.dev, x.label, x.loc.line]),
    [
      ['10.9.0.10', 24, 'eth0', 'eth0:vip', 35],
      ['10.9.0.11', 32, undefined, undefined, 36],
    ],
  );
  assert.deepEqual(
    v.trackScripts.map((t) => [t.name, t.weight]),
    [['chk', 10]],
  );
  assert.equal(v.unicastSrcIp, '10.9.0.1');
  assert.deepEqual(
    v.unicastPeers.map((p) => p.address),
    ['10.9.0.2'],
  );
  assert.equal(v.notify.any?.command, '/bin/true');
  assert.equal(v.preemptDelay, 0, 'preempt_delay cleared for state MASTER like keepalived');
  assert.equal(v.garpMasterRepeat, 3, 'from the included file');
  assert.deepEqual(model.files, [file, join(fixtures, 'ka-syntax-include.inc')]);
});

test('@ID lines are kept with the matching config id', () => {
  const text =
    '@a vrrp_instance A {\n@a interface eth0\n@a virtual_router_id 1\n@a }\n@^a vrrp_instance B {\n@^a interface eth0\n@^a virtual_router_id 2\n@^a }\n';
  const names = (id?: string) =>
    parseKeepalivedConf(text, '/x.conf', id ? { configId: id } : {}).model.instances.map((i) => i.name);
  assert.deepEqual(names('a'), ['A']);
  assert.deepEqual(names('b'), ['B']);
  assert.deepEqual(names(), ['B']);
});

test('include with a glob reads matches in order, relative to the including file', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-conf-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(
    join(d, 'main.conf'),
    'global_defs {\n router_id R\n}\ninclude conf.d/*.conf\ninclude nothing/*.conf\n',
  );
  const sub = join(d, 'conf.d');
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'b.conf'), 'vrrp_instance B {\n interface eth0\n virtual_router_id 2\n bogus\n}\n');
  writeFileSync(join(sub, 'a.conf'), 'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n');
  writeFileSync(join(sub, 'x.conf.bak'), 'garbage {\n');
  const r = loadKeepalivedConf(join(d, 'main.conf'));
  assert.deepEqual(
    r.model.instances.map((i) => i.name),
    ['A', 'B'],
  );
  const unknown = r.diagnostics.find((x) => x.code === 'KA_UNKNOWN_KEYWORD');
  assert.deepEqual(unknown?.loc, { file: join(sub, 'b.conf'), line: 4 });
  assert.ok(r.diagnostics.some((x) => x.code === 'KA_INCLUDE_NO_MATCH' && x.loc?.line === 5));
});

test('an include loop is reported, not followed forever', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-conf-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'a.conf'), 'include b.conf\n');
  writeFileSync(join(d, 'b.conf'), 'include a.conf\n');
  const r = loadKeepalivedConf(join(d, 'a.conf'));
  assert.ok(r.diagnostics.some((x) => x.code === 'KA_INCLUDE_LOOP'));
});

test('LVS sections: one warning, then skipped with their nested braces', () => {
  const text =
    'virtual_server 1.2.3.4 80 {\n real_server 1.1.1.1 80 {\n TCP_CHECK {\n x 1\n }\n }\n}\n' +
    'virtual_server_group G {\n 1.2.3.4 80\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 3\n}\n';
  const r = parseKeepalivedConf(text, '/x.conf');
  const lvs = r.diagnostics.filter((d) => d.code === 'SY_LVS_IGNORED');
  assert.equal(lvs.length, 1);
  assert.equal(lvs[0].message, 'LVS virtual_server sections are not supported by Switchyard (an L7 proxy): ignored');
  assert.equal(r.model.hadLvsSections, true);
  assert.equal(r.model.instances[0].virtualRouterId, 3);
  assert.ok(!r.diagnostics.some((d) => d.code === 'KA_UNKNOWN_KEYWORD'));
});

test('use_vmac NAME MAC is read as keepalived; vrrp_iptables is refused and smtp_alert gets a clear Switchyard note', () => {
  const r = parseKeepalivedConf(
    'global_defs {\n vrrp_iptables\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 3\n use_vmac vm3 02:11:22:33:44\n smtp_alert\n}\n',
    '/x.conf',
  );
  const codes = r.diagnostics.map((d) => [d.code, d.loc?.line]);
  assert.deepEqual(codes, [
    ['SY_NOT_RUN', 2],
    ['SY_NO_SMTP', 8],
    ['KA_NO_VIP', 4],
  ]);
  const v = r.model.instances[0];
  assert.equal(v.useVmac, true);
  assert.equal(v.vmacName, 'vm3');
  assert.equal(v.vmacAddress, '02:11:22:33:44');
  const bad = parseKeepalivedConf(
    'vrrp_instance V {\n interface eth0\n virtual_router_id 3\n use_vmac 00:00:5e:00:01:03 01:00:00:00:00:01\n}\n',
    '/x.conf',
  );
  assert.deepEqual(
    bad.diagnostics.filter((d) => d.code === 'KA_VMAC').map((d) => d.message),
    [
      'VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:03) - ignoring',
      'VMAC MAC address is multicast 01:00:00:00:00:01 - ignoring',
    ],
  );
});

test('track_proxy: block values, the global socket default, and a missing socket', () => {
  const ok = parseKeepalivedConf(
    'global_defs {\n switchyard_socket /run/sy.sock\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 3\n' +
      ' track_proxy {\n  interval 0.5\n  fall 3\n  weight -50\n  frontend fe1 fe2\n  backend be\n }\n}\n',
    '/x.conf',
  );
  const p = ok.model.instances[0].trackProxy!;
  assert.equal(p.socket, '/run/sy.sock');
  assert.equal(p.interval, 0.5);
  assert.equal(p.fall, 3);
  assert.equal(p.rise, 1);
  assert.equal(p.weight, -50);
  assert.deepEqual(p.frontends, ['fe1', 'fe2']);
  assert.deepEqual(p.backends, ['be']);
  const own = parseKeepalivedConf(
    'vrrp_instance V {\n interface eth0\n virtual_router_id 3\n track_proxy { socket 127.0.0.1:9999 }\n}\n',
    '/x.conf',
  );
  assert.equal(own.model.instances[0].trackProxy?.socket, '127.0.0.1:9999');
  const bad = parseKeepalivedConf(
    'vrrp_instance V {\n interface eth0\n virtual_router_id 3\n track_proxy {\n }\n}\n',
    '/x.conf',
  );
  assert.equal(bad.model.instances[0].trackProxy, undefined);
  assert.ok(bad.diagnostics.some((d) => d.code === 'SY_TRACK_PROXY_NO_SOCKET' && d.severity === 'error'));
});

test('duplicates, VRID clashes and sync groups are checked like keepalived', () => {
  const r = parseKeepalivedConf(
    'vrrp_instance A {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n' +
      'vrrp_instance A {\n interface eth0\n virtual_router_id 6\n}\n' +
      'vrrp_instance B {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n' +
      'vrrp_sync_group G {\n group {\n A X\n }\n notify_master "/bin/echo m"\n}\n',
    '/x.conf',
  );
  const msgs = r.diagnostics.map((d) => d.message);
  assert.ok(msgs.includes('vrrp instance A already defined'));
  assert.ok(msgs.includes('A and B both use VRID 5 with IPv4 on interface eth0'));
  assert.ok(msgs.includes("Virtual router X specified in sync group G doesn't exist - ignoring"));
  assert.deepEqual(
    r.model.instances.map((i) => [i.name, i.virtualRouterId, i.syncGroup]),
    [['A', 5, 'G']],
  );
  assert.deepEqual(r.model.syncGroups[0].group, ['A']);
  assert.equal(r.model.syncGroups[0].notify.master?.command, '/bin/echo m');
});

test('checkConfig: status 0 for a clean file, 6 for scripts without script security', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-conf-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const clean = join(d, 'clean.conf');
  writeFileSync(
    clean,
    'vrrp_instance V {\n interface eth0\n virtual_router_id 3\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n',
  );
  const netOk = checkConfig(clean);
  // eth0 may be missing on the host: then keepalived (and we) warn about it.
  if (netOk.diagnostics.every((x) => x.code !== 'KA_NO_SUCH_INTERFACE')) {
    assert.deepEqual(netOk.lines, []);
    assert.equal(netOk.exitCode, 0);
  }
  const script = join(d, 'chk.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  const withScript = join(d, 'script.conf');
  writeFileSync(
    withScript,
    `vrrp_script c {\n script ${script}\n}\nvrrp_instance V {\n interface lo0x\n virtual_router_id 3\n}\n`,
  );
  // A missing interface stops keepalived before its script checks (status 5, no violation).
  assert.equal(checkConfig(withScript).exitCode, 5);
  const iface = readdirSync('/sys/class/net').find((n) => n !== 'lo');
  if (!iface) return;
  writeFileSync(
    withScript,
    `vrrp_script c {\n script ${script}\n}\nvrrp_instance V {\n interface ${iface}\n virtual_router_id 3\n` +
      ' virtual_ipaddress {\n  10.0.0.1\n }\n}\n',
  );
  const r = checkConfig(withScript);
  assert.equal(r.exitCode, 6);
  assert.ok(r.lines.includes('SECURITY VIOLATION - scripts are being executed but script_security not enabled.'));
  const missing = checkConfig(join(d, 'nope.conf'));
  assert.equal(missing.exitCode, 5);
  assert.match(missing.lines[0], /Unable to read configuration file .*nope\.conf: ENOENT/);
});

test('no input crashes the parser (fuzz)', () => {
  const alphabet = fc.constantFrom(
    '{',
    '}',
    ' ',
    '\n',
    '"',
    '#',
    '!',
    '\\',
    '$',
    '@',
    '=',
    'vrrp_instance ',
    'vrrp_script ',
    'global_defs ',
    'virtual_server ',
    'virtual_ipaddress ',
    'authentication ',
    'track_script ',
    'track_proxy ',
    'include ',
    'x',
    '1',
    '10.0.0.1/24',
    'weight ',
    '-',
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 200 }), (parts) => {
      const r = parseKeepalivedConf(parts.join(''), '/nonexistent-dir/fuzz.conf');
      assert.ok(Array.isArray(r.diagnostics));
    }),
    { numRuns: 2000 },
  );
});

test('sync group members ignore tracker weights, as keepalived 2.2.7', () => {
  const r = parseKeepalivedConf(
    'vrrp_script s {\n script /bin/true\n weight -20\n}\nvrrp_script f {\n script /bin/true\n}\n' +
      'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n s\n f\n }\n' +
      ' track_interface {\n eth1 weight -10\n }\n}\n' +
      'vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n' +
      'vrrp_sync_group G {\n group {\n A B\n }\n}\n',
    '/x.conf',
  );
  const a = r.model.instances[0];
  assert.deepEqual(
    a.trackScripts.map((t) => t.name),
    ['f'],
  );
  assert.equal(a.trackInterfaces[0].weight, 0);
  const msgs = r.diagnostics.map((d) => d.message);
  assert.ok(msgs.includes('(A) ignoring tracked script s with weights due to SYNC group'));
  assert.ok(msgs.includes('(A) ignoring eth1 tracked interface weight due to SYNC group'));
});

test('enable_script_security: scripts writable by others are disabled, as keepalived', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-conf-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const unsafe = join(d, 'unsafe.sh');
  writeFileSync(unsafe, '#!/bin/sh\nexit 0\n');
  chmodSync(unsafe, 0o777);
  const file = join(d, 'k.conf');
  writeFileSync(
    file,
    `global_defs {\n enable_script_security\n}\nvrrp_script s {\n script "${unsafe}"\n}\n` +
      `vrrp_instance V {\n interface eth0\n virtual_router_id 5\n track_script {\n s\n }\n notify_master ${unsafe}\n}\n`,
  );
  const r = checkConfig(file);
  assert.ok(
    r.lines.some((l) => l.includes('Disabling track script s due to insecure')),
    r.lines.join('\n'),
  );
  assert.equal(r.model.scripts[0].disabled, true);
  assert.deepEqual(r.model.instances[0].trackScripts, []);
  assert.equal(r.model.instances[0].notify.master, undefined);
  assert.equal(r.exitCode, 5);
});

test('a keyword missing its parameter is fatal, as in keepalived (status 2, reading stops)', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-conf-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const file = join(d, 'k.conf');
  writeFileSync(
    file,
    'vrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority\n}\nvrrp_instance W {\n interface eth0\n virtual_router_id 6\n}\n',
  );
  const r = checkConfig(file);
  assert.equal(r.exitCode, 2);
  assert.ok(
    r.lines.some((l) =>
      l.endsWith(
        '*** Configuration line starting `priority` is missing a parameter after keyword `priority` at word position 2',
      ),
    ),
    r.lines.join('\n'),
  );
  assert.equal(loadKeepalivedConf(file).fatal, true);
  assert.equal(loadKeepalivedConf(join(d, 'missing.conf')).fatal, true);
  assert.equal(loadKeepalivedConf(seed('keepalived-two-vips.conf')).fatal, false);
});

test('Switchyard extensions behind @switchyard lines: keepalived skips them, configId "switchyard" reads them', () => {
  const file = join(fixtures, 'ka-extension-conditional.conf');
  const plain = loadKeepalivedConf(file, { hostChecks: false });
  assert.deepEqual(plain.diagnostics, []);
  assert.equal(plain.model.instances[0].trackProxy, undefined);
  const sy = loadKeepalivedConf(file, { hostChecks: false, configId: 'switchyard' });
  assert.deepEqual(sy.diagnostics, []);
  const p = sy.model.instances[0].trackProxy!;
  assert.equal(p.socket, '/run/switchyard/admin.sock');
  assert.equal(p.fall, 2);
  assert.deepEqual(p.backends, ['app']);
});

test('no input crashes the parser (arbitrary text)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
      const r = parseKeepalivedConf(text, '/nonexistent-dir/fuzz.conf');
      assert.ok(Array.isArray(r.diagnostics));
    }),
    { numRuns: 1000 },
  );
});
