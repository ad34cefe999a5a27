/**
 * `--workers 2` behaves as one node: health checks run once (one DOWN line, from the primary, and
 * no worker sends to the server), admin changes reach every worker, and the stats (CSV over the
 * runtime API and the stats page, Prometheus) show figures summed over the workers.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  until,
  writeFile,
} from './helpers/proxy.ts';

/** One runtime API command over the Unix socket; the reply. */
function cli(path: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      out += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.write(`${cmd}\n`);
  });
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

/** The value of CSV column `col` in the row `px,sv`. */
function csvField(csv: string, px: string, sv: string, col: string): string {
  const lines = csv.split('\n');
  const header = lines[0].replace(/^# /, '').split(',');
  const row = lines.find((l) => l.startsWith(`${px},${sv},`));
  assert.ok(row, `row ${px},${sv} in:\n${csv}`);
  return row.split(',')[header.indexOf(col)];
}

/** Worker pids: the processes that announced the frontend's listener. */
function workerPids(px: ProxyProcess): Set<string> {
  const pids = new Set<string>();
  for (const m of px.stderr().matchAll(/\((\d+)\) : frontend 'fe' listening/g)) pids.add(m[1]);
  return pids;
}

async function startNode(t: { after(fn: () => unknown): void }) {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  const sock = join(tmp.dir, 'admin.sock');
  const port = await freePort();
  const statsPort = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'n.cfg',
    `${defaults().replace('global\n', `global\n  stats socket ${sock} level admin\n`)}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
frontend monitor
  bind 127.0.0.1:${statsPort}
  http-request use-service prometheus-exporter if { path /metrics }
  stats enable
  stats uri /stats
  stats admin if TRUE
backend be
  balance roundrobin
  server a 127.0.0.1:${a.port} check inter 200 fall 2 rise 2
  server b 127.0.0.1:${b.port} check inter 200 fall 2 rise 2
`,
  );
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(async () => {
    await px.stop('SIGKILL');
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  await px.waitFor('ready with 2 workers');
  return { a, b, px, port, statsPort, sock };
}

test('--workers 2: checks once per node, admin changes reach every worker', async (t) => {
  const { a, b, px, port, sock } = await startNode(t);
  // both workers serve, both servers get traffic
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 200 /);
  assert.equal(workerPids(px).size, 2);
  assert.ok(a.requests.length > 0 && b.requests.length > 0);

  // `disable server` through the socket (one worker answers it): no worker sends to b any more
  assert.equal(await cli(sock, 'disable server be/b'), '\n');
  await until(async () => csvField(await cli(sock, 'show stat'), 'be', 'b', 'status') === 'MAINT', 10000, 'MAINT');
  // the primary logged it once; the states reach the workers right after
  await until(() => /be\/b is going DOWN for maintenance/.test(px.stderr()), 10000, 'maint line');
  await new Promise((r) => setTimeout(r, 300));
  const bBefore = b.requests.filter((r) => r.url === '/').length;
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(port, GET), /x-upstream: a/i);
  assert.equal(b.requests.filter((r) => r.url === '/').length, bBefore, 'no worker sent to the disabled server');
  assert.equal((px.stderr().match(/be\/b is going DOWN for maintenance/g) ?? []).length, 1);
  assert.equal(await cli(sock, 'enable server be/b'), '\n');
  await until(async () => /^UP/.test(csvField(await cli(sock, 'show stat'), 'be', 'b', 'status')), 10000, 'b UP');

  // b dies: exactly one DOWN line (the primary's checks) and no worker sends to it
  await b.close();
  await px.waitFor(/Server be\/b is DOWN/, 20000);
  // time for checks in the workers, if any ran, to log theirs (4 check intervals)
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((px.stderr().match(/Server be\/b is DOWN/g) ?? []).length, 1, px.stderr());
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(port, GET), /x-upstream: a/i);
  const csv = await cli(sock, 'show stat');
  assert.equal(csvField(csv, 'be', 'b', 'status'), 'DOWN');
  // two UP->DOWN transitions (maintenance, then the failed checks), counted once for the node
  assert.equal(csvField(csv, 'be', 'b', 'chkdown'), '2');
});

test('--workers 2: node-wide figures in show stat, the stats CSV and Prometheus', async (t) => {
  const { px, port, statsPort, sock } = await startNode(t);
  const n = 60;
  for (let i = 0; i < n; i++) assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 200 /);
  assert.equal(workerPids(px).size, 2, 'both workers took connections');
  const csv = await cli(sock, 'show stat');
  assert.equal(csvField(csv, 'fe', 'FRONTEND', 'stot'), String(n));
  assert.equal(csvField(csv, 'fe', 'FRONTEND', 'req_tot'), String(n));
  assert.equal(csvField(csv, 'be', 'BACKEND', 'stot'), String(n));
  assert.equal(Number(csvField(csv, 'be', 'a', 'stot')) + Number(csvField(csv, 'be', 'b', 'stot')), n);
  assert.equal(csvField(csv, 'fe', 'FRONTEND', 'hrsp_2xx'), String(n));

  const page = await rawRequest(statsPort, 'GET /stats;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(csvField(page.slice(page.indexOf('# pxname')), 'fe', 'FRONTEND', 'stot'), String(n));

  const metrics = await rawRequest(statsPort, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(metrics, new RegExp(`haproxy_frontend_http_requests_total\\{proxy="fe"\\} ${n}\\b`));
  assert.match(metrics, new RegExp(`haproxy_backend_http_requests_total\\{proxy="be"\\} ${n}\\b`));

  assert.match(await cli(sock, 'show info'), /^Nbthread: 2$/m);
  const html = await rawRequest(statsPort, 'GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(html, /workers = <\/b> 2 \(counters summed over all\)/);

  // a worker that does not answer (stopped) is left out, and the page says so
  const [stopped] = [...workerPids(px)];
  process.kill(Number(stopped), 'SIGSTOP');
  try {
    let page2 = '';
    await until(
      async () => {
        // a connection handed to the stopped worker gets no answer: try again
        page2 = await rawRequest(statsPort, 'GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 4000);
        return page2.startsWith('HTTP/1.1 200');
      },
      30000,
      'stats page from the running worker',
    );
    assert.match(page2, /1 did not answer: their counters are left out/);
  } finally {
    process.kill(Number(stopped), 'SIGCONT');
  }
  await px.waitFor(/1 worker\(s\) did not report their counters in time/);

  // `clear counters all` through one worker clears every worker's
  assert.equal(await cli(sock, 'clear counters all'), '\n');
  await until(async () => csvField(await cli(sock, 'show stat'), 'fe', 'FRONTEND', 'stot') === '0', 10000, 'cleared');
});

test('--workers 2: a killed worker is replaced and the node keeps serving', async (t) => {
  const { b, px, port, statsPort, sock } = await startNode(t);
  for (let i = 0; i < 10; i++) assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 200 /);
  const [victim] = [...workerPids(px)];
  process.kill(Number(victim), 'SIGKILL');
  await px.waitFor(`worker ${victim} exited`);
  await until(() => workerPids(px).size === 3, 30000, 'a new worker listening');
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 200 /);
  // the new worker took the node's states and answers for the figures
  const info = await cli(sock, 'show info');
  assert.match(info, /^Name: /m);
  const csv = await cli(sock, 'show stat');
  assert.ok(Number(csvField(csv, 'fe', 'FRONTEND', 'stot')) >= 20);
  assert.doesNotMatch(px.stderr(), /did not report their counters/);

  // the stats page's admin form (served by either worker) takes b out in every worker, the new one too
  const body = 's=b&action=maint&b=be';
  const post = await rawRequest(
    statsPort,
    `POST /stats HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  assert.match(post, /^HTTP\/1\.1 303 [\s\S]*location: \/stats;st=DONE/i);
  await until(async () => csvField(await cli(sock, 'show stat'), 'be', 'b', 'status') === 'MAINT', 10000, 'MAINT');
  await new Promise((r) => setTimeout(r, 300));
  const n = b.requests.length;
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(port, GET), /x-upstream: a/i);
  assert.equal(b.requests.length, n);
});

test('--workers 2: passive-check errors from every worker count together (one node, one DOWN line)', async (t) => {
  const up = await startUpstream('s', (req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 500;
    res.end('x');
  });
  const tmp = tempDir();
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'p.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  option httpchk GET /health
  server s 127.0.0.1:${up.port} check inter 30s rise 2 fall 3 observe layer7 error-limit 4 on-error mark-down
`,
  );
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(async () => {
    await px.stop('SIGKILL');
    await up.close();
    tmp.cleanup();
  });
  await px.waitFor('ready with 2 workers');
  // four 500s over four connections: node:cluster spreads them over both workers, so neither
  // alone reaches error-limit 4; the node does
  for (let i = 0; i < 4; i++) assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 500 /);
  await px.waitFor(/Server be\/s is DOWN/, 20000);
  assert.match(px.stderr(), /Detected 4 consecutive errors/);
  await until(async () => /^HTTP\/1\.1 503 /.test(await rawRequest(port, GET)), 10000, '503 once s is DOWN');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((px.stderr().match(/Server be\/s is DOWN/g) ?? []).length, 1);
});

test('--workers 2: after a reload the new servers are checked once, by the primary', async (t) => {
  const a = await startUpstream('a');
  const tmp = tempDir();
  const port = await freePort();
  const dead = await freePort(); // nothing listens there
  const config = (extra: string) =>
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server a 127.0.0.1:${a.port} check inter 200 fall 2 rise 2
${extra}`;
  const cfg = writeFile(tmp.dir, 'r.cfg', config(''));
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(async () => {
    await px.stop('SIGKILL');
    await a.close();
    tmp.cleanup();
  });
  await px.waitFor('ready with 2 workers');
  writeFile(tmp.dir, 'r.cfg', config(`  server d 127.0.0.1:${dead} check inter 200 fall 2 rise 2\n`));
  px.proc.kill('SIGHUP');
  await until(() => px.stderr().split('reload complete.').length === 3, 20000, 'both workers reloaded');
  await px.waitFor(/Server be\/d is DOWN/, 20000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((px.stderr().match(/Server be\/d is DOWN/g) ?? []).length, 1, px.stderr());
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(port, GET), /x-upstream: a/i);
});
