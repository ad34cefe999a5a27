/**
 * Interface tracking on real links, in a network namespace created by the test: the namespace's `lo`
 * (operstate "unknown" with carrier when up) set administratively down/up, and a veth whose peer goes
 * down (carrier lost), then is deleted. The tracker runs in
 * a child process inside the namespace (`ip netns exec` gives it that namespace's /sys/class/net).
 * Also the sysfs reading rules on a fake /sys/class/net.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { findBinary, needsRoot } from '../../../test/helpers/system.ts';
import { InterfaceTracker, interfaceUp } from '../src/track/index.ts';

test('interfaceUp: operstate up, unknown with carrier, down, missing', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-sysnet-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const dev = (name: string, operstate: string, carrier?: string) => {
    mkdirSync(join(d, name));
    writeFileSync(join(d, name, 'operstate'), `${operstate}\n`);
    if (carrier !== undefined) writeFileSync(join(d, name, 'carrier'), `${carrier}\n`);
  };
  dev('eth0', 'up', '1');
  dev('dummy0', 'unknown', '1');
  dev('tun0', 'unknown', '0');
  dev('eth1', 'down');
  dev('eth2', 'lowerlayerdown', '0');
  assert.equal((await interfaceUp('eth0', d)).up, true);
  assert.equal((await interfaceUp('dummy0', d)).up, true);
  assert.equal((await interfaceUp('tun0', d)).up, false);
  assert.deepEqual(await interfaceUp('eth1', d), { up: false, why: 'interface eth1 is down' });
  assert.deepEqual(await interfaceUp('eth2', d), { up: false, why: 'interface eth2 is lowerlayerdown' });
  assert.deepEqual(await interfaceUp('nope', d), { up: false, why: 'interface nope does not exist' });
  const tr = new InterfaceTracker('eth1', { netDir: d });
  assert.equal(await tr.poll(), false);
  assert.equal(tr.ok, false);
});

const CHILD = `
import { InterfaceTracker } from ${JSON.stringify(join(import.meta.dirname, '../src/track/interface.ts'))};
for (const name of process.argv.slice(2)) {
  const t = new InterfaceTracker(name, { pollMs: 100 });
  t.on('change', (ok, why) => console.log(JSON.stringify({ name, ok, why })));
  await t.poll();
  console.log(JSON.stringify({ name, ok: t.ok, why: 'initial' }));
  t.start();
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

test('InterfaceTracker follows real links in a network namespace', { skip: needsRoot('ip') }, async (t) => {
  const ip = findBinary('ip')!;
  const ns = `sy-trk-${process.pid}`;
  const d = mkdtempSync(join(tmpdir(), 'sy-trk-'));
  const childFile = join(d, 'child.mts');
  writeFileSync(childFile, CHILD);
  execFileSync(ip, ['netns', 'add', ns]);
  let child: ChildProcess | undefined;
  t.after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    for (let i = 0; i < 5; i++) {
      try {
        execFileSync(ip, ['netns', 'del', ns], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    rmSync(d, { recursive: true, force: true });
  });
  const ipn = (...args: string[]) => execFileSync(ip, ['-n', ns, ...args]);
  ipn('link', 'set', 'lo', 'up');
  ipn('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ipn('link', 'set', 'v0', 'up');
  ipn('link', 'set', 'v1', 'up');
  child = spawn(ip, ['netns', 'exec', ns, process.execPath, '--import', 'tsx', childFile, 'lo', 'v0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const events: { name: string; ok: boolean; why: string }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => events.push(JSON.parse(l)));
  const until = async (cond: () => boolean, what: string) => {
    const end = Date.now() + 30_000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const last = (name: string) => events.filter((e) => e.name === name).at(-1);
  await until(() => last('lo')?.why === 'initial' && last('v0') !== undefined, 'initial readings');
  // veth carrier comes up asynchronously after both ends are up.
  await until(() => last('v0')?.ok === true, 'v0 up');
  assert.equal(last('lo')?.ok, true);
  ipn('link', 'set', 'lo', 'down');
  await until(() => last('lo')?.ok === false, 'lo down');
  assert.equal(last('lo')?.why, 'interface lo is down');
  ipn('link', 'set', 'v1', 'down');
  await until(() => last('v0')?.ok === false, 'v0 carrier lost');
  assert.match(last('v0')!.why, /interface v0 is (lowerlayerdown|down)/);
  ipn('link', 'set', 'lo', 'up');
  ipn('link', 'set', 'v1', 'up');
  await until(() => last('lo')?.ok === true && last('v0')?.ok === true, 'both up again');
  assert.equal(last('lo')?.why, 'interface lo has carrier');
  ipn('link', 'del', 'v0');
  await until(() => last('v0')?.ok === false, 'v0 deleted');
  assert.equal(last('v0')?.why, 'interface v0 does not exist');
  child.stdin!.end();
});
