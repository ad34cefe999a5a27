/**
 * Master-worker mode (issue 22): `-W -S SOCKET` master CLI `show proc` in haproxy 2.6's layout
 * (compared with a real haproxy -W), `reload` and SIGUSR2 start a new worker on the same
 * sockets while a load loop counts every request, a bad configuration keeps the worker and
 * counts a failed reload, `-Ws` notifies systemd through $NOTIFY_SOCKET (a datagram socket this
 * test binds), global `master-worker` is -W.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { UnixDgramReceiver } from '@switchyard/unixsock';
import {
  freePort,
  type ProxyProcess,
  ROOT,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { restartConfig, startLoad } from './helpers/restart-load.ts';
import { findBinary, needs } from './helpers/system.ts';

const tmp = tempDir();
let up: Upstream;
before(async () => {
  up = await startUpstream('web');
});
after(async () => {
  await up.close();
  tmp.cleanup();
});

function config(port: number, extraGlobal = ''): string {
  return restartConfig(port, up.port, extraGlobal);
}

/** One master CLI command (non-interactive: the connection closes after the answer). */
function cli(path: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path);
    let out = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      out += d;
    });
    c.on('close', () => resolve(out));
    c.on('error', reject);
    c.end(`${cmd}\n`);
  });
}

/** `show proc` rows: [pid, type, reloads] of the master and the current workers. */
function rows(text: string, section: '# workers' | '# old workers' = '# workers'): string[][] {
  const lines = text.split('\n');
  const start = lines.indexOf(section);
  const out: string[][] = [];
  for (let i = start + 1; start >= 0 && i < lines.length && !lines[i].startsWith('#') && lines[i] !== ''; i++)
    out.push(lines[i].trim().split(/\s+/));
  return out;
}

const SHOW_PROC_SHAPE =
  /^#<PID> {10}<type> {10}<reloads> {7}<uptime> {8}<version> {6}\n\d+ +master {10}\d+ \[failed: \d+\] +\d+d\d\dh\d\dm\d\ds +\S+ *\n# workers\n(\d+ +worker +\d+ +\d+d\d\dh\d\dm\d\ds +\S+ *\n)+(# old workers\n(\d+ +worker +\d+ +\S+ +\S+ *\n)+)?# programs\n\n$/;

test('show proc: the layout of haproxy 2.6 -W, byte for byte but for pids, times and versions', {
  skip: needs('haproxy'),
}, async () => {
  const port = await freePort();
  const cfg = writeFile(tmp.dir, 'hx.cfg', config(port));
  const msock = join(tmp.dir, 'hx-master.sock');
  const hx = spawn(findBinary('haproxy') as string, ['-W', '-S', msock, '-db', '-dR', '-f', cfg], { stdio: 'ignore' });
  try {
    await until(
      () =>
        cli(msock, 'show proc').then(
          (t) => rows(t).length === 1,
          () => false,
        ),
      10000,
      'haproxy -W',
    );
    const theirs = await cli(msock, 'show proc');
    assert.match(theirs, SHOW_PROC_SHAPE);
    const port2 = await freePort();
    const cfg2 = writeFile(tmp.dir, 'sy-shape.cfg', config(port2));
    const msock2 = join(tmp.dir, 'sy-shape-master.sock');
    const sy = await startProxy(['-W', '-S', msock2, '-f', cfg2]);
    try {
      const ours = await cli(msock2, 'show proc');
      assert.match(ours, SHOW_PROC_SHAPE);
      const header = (t: string) => t.split('\n')[0];
      assert.equal(header(ours), header(theirs));
      assert.equal(rows(ours)[0][0], String((await workerPids(msock2))[0]));
      // `reload` answers nothing, as haproxy's (whose master re-executes)
      assert.equal(await cli(msock, 'reload'), '');
      assert.equal(await cli(msock2, 'reload'), '');
    } finally {
      await sy.stop();
    }
  } finally {
    hx.kill('SIGTERM');
    await new Promise((r) => hx.once('exit', r));
  }
});

async function workerPids(msock: string): Promise<number[]> {
  return rows(await cli(msock, 'show proc')).map((r) => Number(r[0]));
}

test('-W: reloads through the master CLI and SIGUSR2 replace the worker with no failed request', async () => {
  const port = await freePort();
  const cfg = writeFile(tmp.dir, 'mw.cfg', config(port, '  hard-stop-after 5s'));
  const msock = join(tmp.dir, 'mw-master.sock');
  const master: ProxyProcess = await startProxy(['-W', '-S', msock, '-f', cfg]);
  const load = startLoad({ port, keepAlive: 3, fresh: 2 });
  try {
    let pids = await workerPids(msock);
    assert.equal(pids.length, 1);
    for (let i = 0; i < 4; i++) {
      const before = load.counts.sent;
      await until(() => load.counts.sent > before + 50, 20000, 'requests before the reload');
      if (i % 2 === 0) assert.equal(await cli(msock, 'reload'), '');
      else master.proc.kill('SIGUSR2');
      const old = pids[0];
      await until(
        async () => {
          const t = await cli(msock, 'show proc');
          const now = rows(t).map((r) => Number(r[0]));
          return now.length === 1 && now[0] !== old && !t.includes('# old workers');
        },
        30000,
        'the new worker alone',
      );
      pids = await workerPids(msock);
    }
    const proc = await cli(msock, 'show proc');
    assert.match(proc, /master +4 \[failed: 0\]/);
    // `@1` runs a runtime API command in the current worker
    assert.match(await cli(msock, '@1 show info'), new RegExp(`\\nPid: ${pids[0]}\\n`));
    assert.match(await cli(msock, `@!${pids[0]} show info`), /^Name: Switchyard\n/);
    assert.match(await cli(msock, '@7 show info'), /Can't find the target CLI!/);
    // a configuration with an error: the worker stays, the reload is counted as failed
    writeFile(tmp.dir, 'mw.cfg', `${config(port, '  hard-stop-after 5s')}  bogus-keyword\n`);
    master.proc.kill('SIGUSR2');
    await master.waitFor('reload failed');
    assert.deepEqual(await workerPids(msock), pids);
    assert.match(await cli(msock, 'show proc'), /master +5 \[failed: 1\]/);
    assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200/);
  } finally {
    const counts = await load.stop();
    assert.equal(await master.stop(), 0);
    assert.ok(counts.sent > 250, `sent ${counts.sent}`);
    assert.deepEqual({ failed: counts.failed, reasons: counts.reasons }, { failed: 0, reasons: {} });
  }
  assert.match(master.stderr(), /All workers exited\. Exiting\.\.\. \(0\)/);
});

test('-Ws: READY=1 with MAINPID, RELOADING=1 then READY=1 on a reload, through $NOTIFY_SOCKET', async () => {
  const port = await freePort();
  const cfg = writeFile(tmp.dir, 'ws.cfg', config(port));
  const rx = new UnixDgramReceiver(join(tmp.dir, 'notify.sock'));
  const got: string[] = [];
  const poll = (n: number) =>
    until(
      () => {
        got.push(...rx.drain().map((b) => b.toString()));
        return got.length >= n;
      },
      30000,
      `${n} notifications (got ${JSON.stringify(got)})`,
    );
  const master = await startProxy(['-Ws', '-f', cfg], { env: { NOTIFY_SOCKET: rx.path } });
  try {
    await poll(1);
    assert.equal(got[0], `READY=1\nMAINPID=${master.proc.pid}\n`);
    master.proc.kill('SIGUSR2');
    await poll(3);
    assert.deepEqual(got.slice(1), ['RELOADING=1\n', `READY=1\nMAINPID=${master.proc.pid}\n`]);
  } finally {
    await master.stop();
    rx.close();
  }
});

test("global 'master-worker' runs a master as -W does", async () => {
  const port = await freePort();
  const cfg = writeFile(tmp.dir, 'gmw.cfg', config(port, '  master-worker'));
  const master = await startProxy(['-f', cfg]);
  try {
    await master.waitFor(/New worker \(\d+\) forked/);
    assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200/);
  } finally {
    assert.equal(await master.stop(), 0);
  }
});

test('deploy/switchyard.service: its ExecStart and ExecReload lines run as systemd runs them (Type=notify)', async () => {
  const unit = readFileSync(join(ROOT, 'deploy/switchyard.service'), 'utf8');
  assert.match(unit, /^Type=notify$/m);
  const port = await freePort();
  const cfg = writeFile(tmp.dir, 'unit.cfg', config(port));
  const vars: Record<string, string> = {
    CONFIG: cfg,
    PIDFILE: join(tmp.dir, 'unit.pid'),
    EXTRAOPTS: `-S ${join(tmp.dir, 'unit-master.sock')}`,
  };
  const command = (line: string) =>
    line
      .replaceAll('/opt/switchyard', ROOT.replace(/\/$/, ''))
      .replace(/\$([A-Z]+)/g, (_m, v: string) => vars[v] ?? `$${v}`)
      .split(/\s+/);
  const [start] = [...unit.matchAll(/^ExecStart=(.*)$/gm)].map((m) => command(m[1]));
  const reloads = [...unit.matchAll(/^ExecReload=(.*)$/gm)].map((m) => m[1]);
  const rx = new UnixDgramReceiver(join(tmp.dir, 'unit-notify.sock'));
  const got: string[] = [];
  const poll = (n: number) =>
    until(
      () => {
        got.push(...rx.drain().map((b) => b.toString()));
        return got.length >= n;
      },
      30000,
      `${n} notifications`,
    );
  const main = spawn(start[0], start.slice(1), { env: { ...process.env, NOTIFY_SOCKET: rx.path }, stdio: 'ignore' });
  const exited = new Promise((r) => main.once('exit', r));
  try {
    await poll(1);
    assert.equal(got[0], `READY=1\nMAINPID=${main.pid}\n`);
    assert.equal(readFileSync(vars.PIDFILE, 'utf8'), `${main.pid}\n`);
    const msock = join(tmp.dir, 'unit-master.sock');
    const first = await workerPids(msock);
    vars.MAINPID = String(main.pid);
    for (const line of reloads) {
      const [cmd, ...rest] = command(line);
      const r = spawnSync(cmd, rest, { encoding: 'utf8' });
      assert.equal(r.status, 0, `${line}: ${r.stderr}`);
    }
    await poll(3);
    assert.deepEqual(got.slice(1), ['RELOADING=1\n', `READY=1\nMAINPID=${main.pid}\n`]);
    await until(async () => (await workerPids(msock))[0] !== first[0], 30000, 'a new worker');
    assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200/);
  } finally {
    main.kill('SIGTERM');
    await exited;
    rx.close();
  }
});

test('a worker whose master is killed stops (it does not linger orphaned)', async () => {
  const port = await freePort();
  const cfg = writeFile(tmp.dir, 'orphan.cfg', config(port));
  const msock = join(tmp.dir, 'orphan-master.sock');
  const master = await startProxy(['-W', '-S', msock, '-f', cfg]);
  const [worker] = await workerPids(msock);
  master.proc.kill('SIGKILL');
  await master.exited;
  const alive = () => {
    try {
      process.kill(worker, 0);
      return true;
    } catch {
      return false;
    }
  };
  await until(() => !alive(), 30000, `worker ${worker} gone`);
});
