/**
 * `server-state-file` / `load-server-state-from-file` against Debian's haproxy 2.6: the same
 * `show servers state` after the same runtime changes, each program restarted on the file the
 * OTHER one saved (same state back), traffic after a restart, and the warnings for broken files.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { BIN, freePort, rawRequest, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const skip = needs('haproxy');
const TIMEOUTS = '  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n';

function farm(sock: string, state: string, port: number, extra = ''): string {
  return `global
  stats socket ${sock} level admin
  server-state-file ${state}
defaults
  load-server-state-from-file global
${TIMEOUTS}frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:9001
  server s2 127.0.0.1:9002 weight 10
  server s3 127.0.0.1:9003 disabled
  server s4 127.0.0.1:9004 check inter 60s disabled
  server s5 127.0.0.1:9005 check inter 60s disabled
  server s6 127.0.0.1:9006 weight 0
backend other
  id 10
  server o1 127.0.0.1:9101
  server o2 127.0.0.1:9102 id 7
${extra}`;
}

const CHANGES = [
  'disable server be/s1',
  'set weight be/s2 5',
  'enable server be/s3',
  'disable server be/s5',
  'set server other/o1 state drain',
  'set weight other/o2 50%',
];

/** Every line but srv_time_since_last_change (field 9). */
function strip(dump: string): string[] {
  return dump
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.startsWith('#') ? l : l.split(' ').toSpliced(9, 1).join(' ')));
}

async function startHaproxy(cfg: string, sock: string): Promise<{ proc: ChildProcess; stderr: () => string }> {
  let err = '';
  const proc = spawn('haproxy', ['-db', '-dR', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', (d) => {
    err += d;
  });
  await until(() => existsSync(sock) || proc.exitCode !== null, 20000, 'haproxy socket');
  if (proc.exitCode !== null) throw new Error(`haproxy exited: ${err}`);
  return { proc, stderr: () => err };
}

async function stopHaproxy(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}

test("show servers state as haproxy 2.6 after the same changes, and each restarts on the other one's file", {
  skip,
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const hs = join(tmp.dir, 'h.sock');
  const ys = join(tmp.dir, 'y.sock');
  const hFile = join(tmp.dir, 'h.state');
  const yFile = join(tmp.dir, 'y.state');
  const hCfg = writeFile(tmp.dir, 'h.cfg', farm(hs, yFile, await freePort()));
  const yCfg = writeFile(tmp.dir, 'y.cfg', farm(ys, hFile, await freePort()));
  // first start: neither file exists yet (both warn, the same words)
  let hp = await startHaproxy(hCfg, hs);
  t.after(() => stopHaproxy(hp.proc));
  let sy = await startProxy(['-f', yCfg]);
  t.after(() => sy.stop());
  {
    const warning = (s: string) => s.split('\n').find((l) => l.includes("Can't open global server state file"));
    assert.equal(
      warning(sy.stderr())
        ?.replace(/^.*?: config:/, 'config:')
        .replace(yFile.replace('y.state', ''), 'DIR/'),
      warning(hp.stderr())
        ?.replace(/^.*?: config : /, '')
        .replace(hFile.replace('h.state', ''), 'DIR/')
        .replace('y.state', 'h.state'),
    );
    for (const c of CHANGES) assert.equal(await cliQuery({ path: ys }, c), await cliQuery({ path: hs }, c), c);
    const hDump = await cliQuery({ path: hs }, 'show servers state');
    const yDump = await cliQuery({ path: ys }, 'show servers state');
    assert.deepEqual(strip(yDump), strip(hDump));
    assert.match(hDump, /\n\d+ be 1 s1 127\.0\.0\.1 0 1 1 1 /);
    assert.match(hDump, /\n10 other 7 o2 127\.0\.0\.1 .* 1 1 - 9102 /, 'forced ids');
    // as an operator's ExecReload does: `echo "show servers state" | socat ... > FILE`
    writeFileSync(hFile, hDump);
    writeFileSync(yFile, yDump);
    await stopHaproxy(hp.proc);
    await sy.stop();
    // haproxy reads Switchyard's file, Switchyard haproxy's
    hp = await startHaproxy(hCfg, hs);
    sy = await startProxy(['-f', yCfg]);
    const hAfter = await cliQuery({ path: hs }, 'show servers state');
    const yAfter = await cliQuery({ path: ys }, 'show servers state');
    assert.deepEqual(strip(yAfter), strip(hAfter));
    // the admin states, weights and drain came back (health is rise+fall-1 after a restore, as haproxy)
    assert.deepEqual(
      strip(yAfter)
        .slice(2)
        .map((l) => l.split(' ').slice(3, 8).join(' ')),
      [
        's1 127.0.0.1 0 1 1',
        's2 127.0.0.1 2 0 5',
        's3 127.0.0.1 2 4 1',
        's4 127.0.0.1 0 5 1',
        's5 127.0.0.1 0 5 1',
        's6 127.0.0.1 2 0 0',
        'o1 127.0.0.1 2 8 1',
        'o2 127.0.0.1 2 0 0',
      ],
    );
    const time = (dump: string, srv: string) =>
      Number(
        dump
          .split('\n')
          .find((l) => l.includes(` ${srv} `))
          ?.split(' ')[9],
      );
    assert.ok(time(yAfter, 's1') >= time(hDump, 's1'), 'time since the last change goes on from the file');
  }
});

test('a server in MAINT before a restart takes no traffic after it (--workers too); local state file under server-state-base', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  const sock = join(tmp.dir, 'y.sock');
  const port = await freePort();
  t.after(async () => {
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  const cfg = writeFile(
    tmp.dir,
    'y.cfg',
    `global
  stats socket ${sock} level admin
  server-state-base ${tmp.dir}
defaults
${TIMEOUTS}frontend fe
  bind 127.0.0.1:${port}
  default_backend app
backend app
  load-server-state-from-file local
  server-state-file-name app.state
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
`,
  );
  const who = async () => {
    const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    return /x-upstream: (\w+)/i.exec(r)?.[1] ?? r.slice(0, 40);
  };
  let sy = await startProxy(['-f', cfg]);
  t.after(() => sy.stop());
  {
    assert.match(sy.stderr(), /Proxy 'app': Can't open server state file '.*app\.state': No such file or directory\./);
    assert.equal(await cliQuery({ path: sock }, 'disable server app/a'), '\n');
    writeFileSync(join(tmp.dir, 'app.state'), await cliQuery({ path: sock }, 'show servers state app'));
    await sy.stop();
    // restarted with --workers: the primary reads the file, every worker gets the states
    sy = await startProxy(['--workers', '2', '-f', cfg]);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await who());
    assert.deepEqual([...seen], ['b']);
    assert.match(await cliQuery({ path: sock }, 'show servers state app'), /\n\d+ app 1 a 127\.0\.0\.1 0 1 /);
    assert.equal(await cliQuery({ path: sock }, 'enable server app/a'), '\n');
    for (let i = 0; i < 6; i++) seen.add(await who());
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  }
});

const HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const line = (be: string, id: number, srv: string, rest = '2 0 1 1 5 1 0 2 0 0 0 0 - 9001 - 0 0 - - 0') =>
  `${be === 'be' ? 2 : 3} ${be} ${id} ${srv} 127.0.0.1 ${rest}`;

const BAD_FILES: Record<string, string> = {
  empty: '',
  version2: `2\n${HEADER}\n${line('be', 1, 's1')}\n`,
  'no newline at the end': `1\n${HEADER}\n${line('be', 1, 's1')}`,
  'too few fields': `1\n${HEADER}\n2 be 1 s1 127.0.0.1 0 1 1 1\n`,
  'bad values': `1\n${HEADER}\n${line('be', 1, 's1', '7 3 300 1 x 99 9 2 64 0 2 0 bad/name 70000 - 0 0 - - 0')}\n`,
  'one bad line among good ones': `1\n${HEADER}\n${line('be', 2, 's2', '0 1 1 1 5 1 0 2 0 0 0 0 - 9002 - 0 0 - - 0')}\n${line('be', 1, 's1', 'up 0 1 1 5 1 0 2 0 0 0 0 - 9001 - 0 0 - - 0')}\n`,
  'comments, blanks, 25+ fields, duplicate': `1\n\n   # x\n${line('be', 2, 's2', '0 1 1 1 5 1 0 2 0 0 0 0 - 9002 - 0 0 - - 0 extra')}\n${line('be', 2, 's2')}\n`,
};

test("broken state files: haproxy -c's warnings, word for word", { skip }, (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const warnings = (out: string) =>
    out
      .split('\n')
      .filter((l) => /server state file|server-state (application|partially)|Proxy '|\/s\d is /.test(l))
      .map((l) => l.replace(/^\[WARNING\]\s+(\(\d+\) : )?(config : )?/, '').replace(/^<\d+>/, ''))
      .filter((l) => !l.startsWith('[NOTICE]'));
  for (const [name, text] of Object.entries(BAD_FILES)) {
    const state = writeFile(tmp.dir, 'state', text);
    // `other` reads its own file (local): names and ids checked, unknown servers reported
    const local = writeFile(tmp.dir, 'other', text.replaceAll(' be ', ' other ').replace(/\n2 other/g, '\n3 other'));
    const cfg = writeFile(
      tmp.dir,
      'c.cfg',
      `global
  server-state-file ${state}
  server-state-base ${tmp.dir}
defaults
  load-server-state-from-file global
${TIMEOUTS}backend be
  server s1 127.0.0.1:9001
  server s2 127.0.0.1:9002
backend other
  load-server-state-from-file local
  server s1 127.0.0.1:9001
`,
    );
    assert.ok(local);
    const h = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
    const y = spawnSync(process.execPath, [BIN, '-c', '-f', cfg], { encoding: 'utf8' });
    assert.equal(y.status, 0, y.stderr);
    assert.ok(warnings(h.stderr).length > 0, `${name}: haproxy said nothing: ${h.stderr}`);
    assert.deepEqual(warnings(y.stderr), warnings(h.stderr), name);
  }
});

test('a server named by a host name starts on the address saved in the file (init-addr last,libc)', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const sock = join(tmp.dir, 'y.sock');
  const port = await freePort();
  writeFileSync(
    join(tmp.dir, 'named'),
    `1\n${HEADER}\n3 named 1 n 127.0.0.2 2 0 1 1 5 1 0 2 0 0 0 0 - 8080 - 0 0 - - 0\n`,
  );
  const cfg = `global
  stats socket ${sock} level admin
  server-state-base ${tmp.dir}
defaults
${TIMEOUTS}frontend fe
  bind 127.0.0.1:${port}
  default_backend named
backend named
  load-server-state-from-file local
  server n localhost:8080
  server m localhost:8081 init-addr libc,last
`;
  const sy = await startProxy(['-f', writeFile(tmp.dir, 'y.cfg', cfg)]);
  t.after(() => sy.stop());
  const dump = await cliQuery({ path: sock }, 'show servers state named');
  assert.match(dump, /\n\d+ named 1 n 127\.0\.0\.2 2 0 /);
  // the file has no line for m: haproxy warns nothing for it (local files only warn for unknown servers)
  assert.doesNotMatch(sy.stderr(), /can't find server/);
});
