/**
 * The classic MySQL read pool in `mode tcp`: two real MariaDB servers (Debian's mariadb-server,
 * started here on loopback ports with their own data directories) behind `listen mysql_read`
 * with `balance leastconn`, queried with the real `mariadb` client through Switchyard. One
 * server is stopped under query load: it goes DOWN by its health check and queries go on on
 * the other.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, type ProxyProcess, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const exec = promisify(execFile);
const skip = needs('mariadbd', 'mariadb-install-db', 'mariadb');
const tmp = tempDir();
const dbs: Array<{ port: number; proc: ChildProcess; dir: string }> = [];
let px: ProxyProcess;
let proxyPort = 0;

async function startMariadb(name: string): Promise<{ port: number; proc: ChildProcess; dir: string }> {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  const port = await freePort();
  const common = ['--no-defaults', `--datadir=${dir}/data`, '--user=root'];
  await exec('mariadb-install-db', [...common, '--auth-root-authentication-method=normal', '--skip-test-db'], {
    timeout: 60000,
  });
  const proc = spawn(
    'mariadbd',
    [
      ...common,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${dir}/sock`,
      `--pid-file=${dir}/pid`,
      '--skip-grant-tables',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=16M',
      `--log-error=${dir}/err.log`,
    ],
    { stdio: 'ignore' },
  );
  await until(
    async () =>
      await query(port, 'select 1').then(
        () => true,
        () => false,
      ),
    30000,
    `mariadbd ${name} on port ${port}`,
  );
  return { port, proc, dir };
}

/** `select @@port` (the server's own port) with the real client. */
async function query(port: number, sql = 'select @@port'): Promise<string> {
  const { stdout } = await exec('mariadb', ['-h127.0.0.1', `-P${port}`, '-uroot', '-N', '-B', '-e', sql], {
    timeout: 5000,
  });
  return stdout.trim();
}

before(async () => {
  if (skip) return;
  dbs.push(await startMariadb('db1'), await startMariadb('db2'));
  proxyPort = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'mysql.cfg',
    `global
  log stdout format raw local0
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 1s
  timeout client 30s
  timeout server 30s
listen mysql_read
  bind 127.0.0.1:${proxyPort}
  balance leastconn
  retries 2
  option redispatch
  server db1 127.0.0.1:${dbs[0].port} check inter 300 fall 2 rise 1
  server db2 127.0.0.1:${dbs[1].port} check inter 300 fall 2 rise 1
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  for (const d of dbs) {
    d.proc.kill('SIGKILL');
    await new Promise((r) => (d.proc.exitCode !== null ? r(undefined) : d.proc.once('exit', r)));
  }
  tmp.cleanup();
});

describe('MariaDB read pool through mode tcp', { skip }, () => {
  test('queries reach both servers (leastconn over short connections)', async () => {
    const seen = new Set<string>();
    // concurrent clients: leastconn spreads them over both servers
    for (let round = 0; round < 4; round++) {
      const got = await Promise.all([query(proxyPort), query(proxyPort), query(proxyPort), query(proxyPort)]);
      for (const g of got) seen.add(g);
    }
    assert.deepEqual([...seen].sort(), [String(dbs[0].port), String(dbs[1].port)].sort());
    await px.waitFor(/mysql_read mysql_read\/db[12] \d+\/\d+\/\d+ \d+ -- /, 3000, 'stdout');
  });

  test('a server stopped under query load goes DOWN and queries fail over to the other', async () => {
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const load = (async () => {
      while (!stop) {
        await query(proxyPort).then(
          () => ok++,
          (e: Error) => failures.push(e.message.split('\n')[0]),
        );
      }
    })();
    await until(() => ok > 10, 20000, 'queries running');
    const victim = dbs[0];
    victim.proc.kill('SIGTERM');
    await new Promise((r) => victim.proc.once('exit', r));
    await px.waitFor(/Server mysql_read\/db1 is DOWN/, 10000);
    const before = failures.length;
    const okAtDown = ok;
    await until(() => ok > okAtDown + 20, 20000, 'queries after DOWN');
    stop = true;
    await load;
    // only queries in flight around the stop may fail; none once db1 is DOWN
    assert.equal(failures.length, before, `failures after DOWN: ${failures.slice(before).join('; ')}`);
    assert.ok(before <= 5, `${before} failures around the stop: ${failures.join('; ')}`);
    assert.equal(await query(proxyPort), String(dbs[1].port));
  });
});
