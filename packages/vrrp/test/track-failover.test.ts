/**
 * Trackers driving real sidecars, in network namespaces made by the test (test/vrrp-lab.ts): two
 * nodes, the MASTER's tracked check fails -> it goes to FAULT (notify script says so) and the BACKUP
 * takes the VIP; the check recovers -> the MASTER preempts back. Once with a vrrp_script, once with
 * track_proxy on a real HAProxy killed under it. The sidecar is wired as the entry point should
 * wire it: Sidecar + attachTracking().
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot } from '../../../test/helpers/system.ts';
import { Lab, type LabProc, waitFor } from '../../../test/vrrp-lab.ts';

const SRC = join(import.meta.dirname, '..', 'src');

const CHILD = `
import { formatDiagnostic, loadKeepalivedConf } from ${JSON.stringify(join(SRC, 'conf/index.ts'))};
import { Sidecar } from ${JSON.stringify(join(SRC, 'sidecar.ts'))};
import { attachTracking } from ${JSON.stringify(join(SRC, 'track/index.ts'))};
const { model, diagnostics } = loadKeepalivedConf(process.argv[2]);
for (const d of diagnostics) console.error(formatDiagnostic(d));
const log = (m) => console.error(new Date().toISOString() + ' ' + m);
const sidecar = new Sidecar(model, { log });
const attached = await attachTracking(model, sidecar, { log });
sidecar.start();
log('child ready');
process.on('SIGTERM', async () => {
  await sidecar.stop();
  await attached.stop();
  process.exit(0);
});
`;

function conf(o: { name: string; prio: number; state: string; vip: string; track: string; extra?: string }): string {
  return `global_defs {
  router_id ${o.name}
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 1
}
${o.extra ?? ''}
vrrp_instance VI_1 {
  state ${o.state}
  interface eth0
  virtual_router_id 77
  priority ${o.prio}
  advert_int 1
  virtual_ipaddress {
    ${o.vip}/32
  }
${o.track}
}
`;
}

function recorder(lab: Lab, name: string): { script: string; out: string } {
  const out = join(lab.dir, `${name}.notify`);
  const script = lab.file(`${name}-notify.sh`, `#!/bin/sh\necho "$*" >> '${out}'\n`);
  chmodSync(script, 0o755);
  return { script, out };
}

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');

async function expectOk(cond: () => boolean, what: string, procs: LabProc[]): Promise<void> {
  if ((await waitFor(cond, 30_000)) < 0) {
    throw new Error(`timed out: ${what}\n${procs.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`);
  }
}

test('vrrp_script failing on the MASTER moves the VIP; recovery preempts back', {
  skip: needsRoot('ip'),
}, async (t) => {
  const lab = new Lab('trk', 77);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const b = lab.node('b', 2);
  const vip = lab.addr(100);
  const child = lab.file('child.mts', CHILD);
  const procs: LabProc[] = [];
  const flags: Record<string, string> = {};
  const notes: Record<string, string> = {};
  for (const [ns, name, prio, state] of [
    [a, 'a', 150, 'MASTER'],
    [b, 'b', 100, 'BACKUP'],
  ] as const) {
    flags[name] = join(lab.dir, `${name}.ok`);
    writeFileSync(flags[name], '');
    const n = recorder(lab, name);
    notes[name] = n.out;
    const text = conf({
      name,
      prio,
      state,
      vip,
      extra: `vrrp_script chk_proxy {\n  script "/bin/sh -c 'test -e ${flags[name]}'"\n  interval 1\n  fall 1\n  rise 1\n}`,
      track: `  track_script {\n    chk_proxy\n  }\n  notify "${n.script}"`,
    });
    procs.push(lab.spawn(ns, name, process.execPath, ['--import', 'tsx', child, lab.file(`${name}.conf`, text)]));
  }
  await expectOk(() => lab.hasAddr(a, vip) && !lab.hasAddr(b, vip), 'a MASTER with the VIP', procs);
  await expectOk(() => read(notes.a).includes('INSTANCE VI_1 MASTER 150'), 'a notified MASTER', procs);
  unlinkSync(flags.a);
  await expectOk(() => lab.hasAddr(b, vip) && !lab.hasAddr(a, vip), 'b takes the VIP', procs);
  await expectOk(() => read(notes.a).includes('INSTANCE VI_1 FAULT'), 'a notified FAULT', procs);
  await expectOk(() => read(notes.b).includes('INSTANCE VI_1 MASTER 100'), 'b notified MASTER', procs);
  writeFileSync(flags.a, '');
  await expectOk(() => lab.hasAddr(a, vip) && !lab.hasAddr(b, vip), 'a preempts back', procs);
  await expectOk(() => read(notes.b).includes('INSTANCE VI_1 BACKUP'), 'b notified BACKUP', procs);
  for (const p of procs) await lab.kill(p, 'SIGTERM');
  assert.ok(read(notes.a).includes('INSTANCE VI_1 STOP'), read(notes.a));
});

test("track_proxy: killing the MASTER node's HAProxy moves the VIP", {
  skip: needsRoot('ip', 'haproxy'),
}, async (t) => {
  const lab = new Lab('trp', 78);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1);
  const b = lab.node('b', 2);
  const vip = lab.addr(100);
  const child = lab.file('child.mts', CHILD);
  const procs: LabProc[] = [];
  const haproxy: Record<string, LabProc> = {};
  for (const [ns, name, prio, state] of [
    [a, 'a', 150, 'MASTER'],
    [b, 'b', 100, 'BACKUP'],
  ] as const) {
    const sock = join(lab.dir, `${name}.sock`);
    // Fixed ports are fine here: each node has its own network namespace.
    const cfg = lab.file(
      `${name}-haproxy.cfg`,
      `global
  stats socket ${sock} mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend www
  bind 127.0.0.1:8080
  default_backend app
backend app
  server web 127.0.0.1:8081 check inter 300 fall 1 rise 1
frontend webserver
  bind 127.0.0.1:8081
  http-request return status 200 content-type text/plain string ok
`,
    );
    haproxy[name] = lab.spawn(ns, `haproxy-${name}`, 'haproxy', ['-f', cfg, '-db']);
    procs.push(haproxy[name]);
    const text = conf({
      name,
      prio,
      state,
      vip,
      track: `  track_proxy {\n    socket ${sock}\n    interval 0.5\n    frontend www\n    backend app\n  }`,
    });
    procs.push(lab.spawn(ns, name, process.execPath, ['--import', 'tsx', child, lab.file(`${name}.conf`, text)]));
  }
  await expectOk(() => lab.hasAddr(a, vip) && !lab.hasAddr(b, vip), 'a MASTER with the VIP', procs);
  await lab.kill(haproxy.a, 'SIGKILL');
  await expectOk(() => lab.hasAddr(b, vip) && !lab.hasAddr(a, vip), 'b takes the VIP', procs);
  const aOut = procs.find((p) => p.name === 'a')!.output();
  assert.match(aOut, /track_proxy .*a\.sock: unhealthy \(.*(ENOENT|ECONNREFUSED)/);
});
