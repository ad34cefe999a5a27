/**
 * vrrp_notify_fifo (+ _script) and notify_master_rx_lower_pri, differential against Debian's
 * keepalived 2.2.7: the same file, run by keepalived and then by Switchyard in the same namespace,
 * through the same sequence (a two-instance sync group goes BACKUP then MASTER, a lower-priority
 * advert arrives, SIGTERM) writes the same lines to the FIFO, read by the FIFO script keepalived
 * starts with the FIFO's name; the rx_lower_pri script runs; a FIFO we created is removed at stop.
 * Root only.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { Lab, type LabProc, ROOT, waitFor } from './vrrp-lab.ts';

const S = 187;

test('notify_fifo lines and notify_master_rx_lower_pri: Switchyard writes what keepalived 2.2.7 writes', {
  skip: needsRoot('ip', 'keepalived', 'mkfifo'),
  timeout: 150_000,
}, async (t) => {
  const lab = new Lab('fifo', S);
  t.after(() => lab.cleanup());
  const ns = lab.node('n', 1);
  const peer = lab.node('p', 9);
  const fifo = join(lab.dir, 'notify.fifo');
  /** The FIFO reader and the rx_lower_pri script of one run (the only lines that differ). */
  const scripts = (run: string) => {
    const reader = join(lab.dir, `${run}-reader.sh`);
    const rxLower = join(lab.dir, `${run}-rx-lower.sh`);
    writeFileSync(reader, `#!/bin/sh\nexec cat "$1" >> "${lab.dir}/${run}.lines"\n`);
    writeFileSync(rxLower, `#!/bin/sh\necho rx-lower >> "${lab.dir}/${run}.rx"\n`);
    chmodSync(reader, 0o755);
    chmodSync(rxLower, 0o755);
    return { reader, rxLower };
  };
  const inst = (name: string, vrid: number, host: number, extra = '') => `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
${extra}  virtual_ipaddress {
    ${lab.addr(host)}/24
  }
}
`;
  const conf = ({ reader, rxLower }: { reader: string; rxLower: string }) => `global_defs {
  vrrp_notify_fifo ${fifo}
  vrrp_notify_fifo_script ${reader}
  vrrp_garp_master_delay 0
  vrrp_garp_master_repeat 1
}
vrrp_sync_group VG_1 {
  group {
    VI_1
    VI_2
  }
}
${inst('VI_1', 51, 100, `  notify_master_rx_lower_pri ${rxLower}\n`)}${inst('VI_2', 52, 101)}`;

  const run = async (name: string, start: () => LabProc, stop: (p: LabProc) => Promise<void>) => {
    const p = start();
    assert.ok(
      (await waitFor(() => lab.hasAddr(ns, lab.addr(100)) && lab.hasAddr(ns, lab.addr(101)), 30_000)) >= 0,
      p.output(),
    );
    await new Promise((r) => setTimeout(r, 1000));
    // A lower-priority advert for VI_1 from a node running no VRRP.
    const adv = lab.spawn(peer, 'adv', process.execPath, [
      '--import',
      'tsx',
      join(ROOT, 'test/vrrp-advert-bin.ts'),
      lab.addr(9),
      '51',
      '50',
      lab.addr(100),
    ]);
    await adv.exited;
    const rx = join(lab.dir, `${name}.rx`);
    assert.ok((await waitFor(() => existsSync(rx), 10_000)) >= 0, `no notify_master_rx_lower_pri run\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 500));
    await stop(p);
    await new Promise((r) => setTimeout(r, 1000));
    return readFileSync(join(lab.dir, `${name}.lines`), 'utf8');
  };
  const ka = await run(
    'ka',
    () => lab.keepalived(ns, 'KA', conf(scripts('ka'))),
    (p) => lab.killKeepalived(p, 'KA', 'SIGTERM'),
  );
  const sy = await run(
    'sy',
    () => lab.sidecar(ns, 'SY', conf(scripts('sy'))),
    async (p) => {
      assert.equal(await lab.kill(p, 'SIGTERM'), 0, p.output());
    },
  );
  t.diagnostic(`keepalived wrote ${ka.trim().split('\n').length} lines`);
  // Within one instance the order is keepalived's; the two instances' lines may interleave differently.
  const byName = (text: string) => {
    const m = new Map<string, string[]>();
    for (const l of text.trim().split('\n')) {
      const k = /"([^"]+)"/.exec(l)?.[1] ?? '';
      m.set(k, [...(m.get(k) ?? []), l]);
    }
    return Object.fromEntries([...m].sort());
  };
  assert.deepEqual(byName(sy), byName(ka), `switchyard:\n${sy}\nkeepalived:\n${ka}`);
  assert.match(ka, /INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100/);
  assert.equal(existsSync(fifo), false, 'the FIFO we created is removed at stop');
});
