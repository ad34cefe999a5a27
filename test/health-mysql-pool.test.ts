/**
 * The MySQL read pool of the classic haproxy+keepalived write-up, with real MariaDB: a `listen
 * mysql_read` in mode tcp, `balance leastconn`, `option mysql-check user haproxy`, two servers.
 * The real `mariadb` client runs queries through the proxy; one instance is stopped under that
 * load: mysql-check takes it DOWN within inter x fall and the queries go on on the other one.
 * (Queries that reached the stopping instance are moved to the other one by retries and
 * redispatch; how fast is the data path's business, not asserted here.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { startMariadb } from './helpers/servers.ts';
import { needs } from './helpers/system.ts';

const exec = promisify(execFile);
const USERS = "CREATE USER 'haproxy'@'localhost'; CREATE USER 'haproxy'@'127.0.0.1';";

/** One query through the proxy with the real client: the answering server's port, or the error. */
async function query(port: number): Promise<{ ok: true; port: number } | { ok: false; error: string }> {
  try {
    const r = await exec(
      'mariadb',
      ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', 'haproxy', '-N', '-B', '-e', 'SELECT @@port'],
      { timeout: 10000 },
    );
    return { ok: true, port: Number(r.stdout.trim()) };
  } catch (e) {
    return { ok: false, error: String((e as { stderr?: string }).stderr ?? e).trim() };
  }
}

test('mysql read pool: a stopped MariaDB goes DOWN by mysql-check within inter x fall while queries go on', {
  skip: needs('mariadbd', 'mariadb-install-db', 'mariadb'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const [db1, db2] = await Promise.all([startMariadb(USERS), startMariadb(USERS)]);
  t.after(() => Promise.all([db1.stop(), db2.stop()]));
  const fe = await freePort();
  const INTER = 300;
  const FALL = 3;
  const cfg = writeFile(
    tmp.dir,
    'mysql.cfg',
    `global
  log stderr format raw local0 info
defaults
  mode tcp
  log global
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  retries 3
  option redispatch
listen mysql_read
  bind 127.0.0.1:${fe}
  balance leastconn
  option mysql-check user haproxy
  server db1 127.0.0.1:${db1.port} check inter ${INTER} fall ${FALL} rise 2
  server db2 127.0.0.1:${db2.port} check inter ${INTER} fall ${FALL} rise 2
`,
  );
  const sy = await startProxy(['-f', cfg]);
  t.after(() => sy.stop());
  const log = () => sy.stderr() + sy.stdout();

  // Both instances answer through the proxy.
  const seen = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const r = await query(fe);
    assert.ok(r.ok, `query ${i}: ${r.ok ? '' : r.error}`);
    seen.add(r.port);
  }
  assert.deepEqual([...seen].sort(), [db1.port, db2.port].sort(), 'leastconn spreads over both');

  // Query load: 3 clients in a loop until told to stop.
  const results: Array<{ at: number; r: Awaited<ReturnType<typeof query>> }> = [];
  let running = true;
  const client = async () => {
    while (running) results.push({ at: Date.now(), r: await query(fe) });
  };
  const clients = [client(), client(), client()];
  await new Promise((r) => setTimeout(r, 500));
  const stoppedAt = Date.now();
  await db1.stop();
  await until(() => /Server mysql_read\/db1 is DOWN/.test(log()), 5000, 'db1 DOWN').catch((e: Error) => {
    throw new Error(`${e.message}; switchyard said:\n${log()}`);
  });
  const downAt = Date.now();
  running = false;
  await Promise.all(clients);

  // DOWN within inter x fall, plus the check that was running when it stopped and some slack.
  assert.ok(downAt - stoppedAt <= INTER * FALL + INTER + 500, `DOWN ${downAt - stoppedAt}ms after the stop`);
  assert.match(log(), /Server mysql_read\/db1 is DOWN, reason: Layer4 connection problem, info: "Connection refused"/);
  // Under the load, only queries caught by the shutdown itself may fail: at most one per client.
  const failed = results.filter((x) => !x.r.ok);
  assert.ok(failed.length <= 3, `failed queries: ${JSON.stringify(failed)}`);
  assert.ok(results.length > failed.length, 'queries ran during the stop');
  // Once DOWN, every query goes to db2 at once.
  for (let i = 0; i < 6; i++) assert.deepEqual(await query(fe), { ok: true, port: db2.port });
});
