/**
 * Differential test against the real haproxy 2.6: the same haproxy.cfg, the same misbehaving
 * servers (500, close mid-response, hang, refuse, 404 under disable-on-404, backup takeover),
 * then all healed: the server state lines both log must be the same words (check durations aside).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { freePort, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

interface Raw {
  port: number;
  /** What the server answers from now on (null = accept and never answer). */
  reply: string | null;
  close(): Promise<void>;
}

/** Reply that resets the connection (RST) instead of answering. */
const RESET = '<reset>';

/** A raw TCP server answering `reply` to every request; null = accept and never answer. */
async function raw(reply: string | null, port = 0): Promise<Raw> {
  const socks = new Set<Socket>();
  const srv: Server = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    const answer = r.reply;
    if (answer === null) return;
    let req = '';
    s.on('data', (d) => {
      req += d.toString('latin1');
      if (!req.includes('\r\n\r\n')) return;
      if (answer === RESET) s.resetAndDestroy();
      else s.end(answer);
    });
  });
  await new Promise<void>((res) => srv.listen(port, '127.0.0.1', res));
  const r: Raw = {
    reply,
    port: (srv.address() as { port: number }).port,
    close: () =>
      new Promise<void>((res) => {
        for (const s of socks) s.destroy();
        srv.close(() => res());
      }),
  };
  return r;
}

/** The server/backend state lines of a log, normalised: durations and duplicates removed. */
function stateLines(text: string): string[] {
  const out = new Set<string>();
  for (let line of text.split('\n')) {
    line = line.replace(/^\[[A-Z]+\]\s+\(\d+\) : /, '');
    line = line.replace(/backend '([^']+)' has no server available!/, 'backend $1 has no server available!');
    if (!/^(Backup )?Server \S+\/\S+ |^backend \S+ has no server|^(Health|Agent) check for /.test(line)) continue;
    out.add(line.replace(/check duration: \d+ms/, 'check duration: Nms'));
  }
  return [...out].sort();
}

test('server state log lines match haproxy 2.6 word for word', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  const ok = await raw('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  const e500 = await raw('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n');
  const half = await raw('HTTP/1.1 200 OK\r\nContent-Le');
  const hang = await raw(null);
  const empty = await raw('');
  const reset = await raw(RESET);
  const junk = await raw('SSH-2.0-OpenSSH_9.2\r\n');
  const nf = await raw('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  const refused = await freePort();
  t.after(async () => {
    for (const s of [ok, e500, half, hang, nf, empty, reset, junk]) await s.close();
    tmp.cleanup();
  });
  const cfg = (fe: number) => `global
  log stderr format raw local0 info
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout check 500ms
frontend f
  bind 127.0.0.1:${fe}
  default_backend b500
backend b500
  option httpchk GET /
  server bad 127.0.0.1:${e500.port} check inter 300 fall 2
  server good 127.0.0.1:${ok.port} check inter 1000
backend bhalf
  option httpchk GET /
  server bad 127.0.0.1:${half.port} check inter 300 fall 2
  server good 127.0.0.1:${ok.port} check inter 1000
backend bhang
  option httpchk GET /
  server bad 127.0.0.1:${hang.port} check inter 300 fall 2
  server good 127.0.0.1:${ok.port} check inter 1000
backend brefused
  server bad 127.0.0.1:${refused} check inter 300 fall 2
  server good 127.0.0.1:${ok.port} check inter 1000
backend b404
  option httpchk
  http-check disable-on-404
  server bad 127.0.0.1:${nf.port} check inter 300
  server good 127.0.0.1:${ok.port} check inter 1000
backend bbackup
  server a1 127.0.0.1:${refused} check inter 300 fall 1
  server bk 127.0.0.1:${ok.port} check inter 1000 backup
backend bempty
  option httpchk GET /
  server bad 127.0.0.1:${empty.port} check inter 300 fall 1
  server good 127.0.0.1:${ok.port} check inter 1000
backend breset
  option httpchk GET /
  server bad 127.0.0.1:${reset.port} check inter 300 fall 1
  server good 127.0.0.1:${ok.port} check inter 1000
backend bjunk
  option httpchk GET /
  server bad 127.0.0.1:${junk.port} check inter 300 fall 1
  server good 127.0.0.1:${ok.port} check inter 1000
backend bnone
  server only 127.0.0.1:${refused} check inter 300 fall 1
`;
  const expected = [
    /^Server b500\/bad is DOWN/,
    /^Server bhalf\/bad is DOWN/,
    /^Server bhang\/bad is DOWN/,
    /^Server brefused\/bad is DOWN/,
    /^Server b404\/bad is stopping/,
    /^Server bbackup\/a1 is DOWN/,
    /^backend bnone has no server/,
    /^Server bempty\/bad is DOWN/,
    /^Server breset\/bad is DOWN/,
    /^Server bjunk\/bad is DOWN/,
  ];
  const recovered = [
    /^Server b500\/bad is UP/,
    /^Server bhalf\/bad is UP/,
    /^Server bhang\/bad is UP/,
    /^Server brefused\/bad is UP/,
    /^Server b404\/bad is UP/,
    /^Server bbackup\/a1 is UP/,
    /^Server bnone\/only is UP/,
    /^Server bempty\/bad is UP/,
    /^Server breset\/bad is UP/,
    /^Server bjunk\/bad is UP/,
  ];
  const complete = (lines: string[], res = expected) => res.every((re) => lines.some((l) => re.test(l)));
  const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  const bad = () => {
    e500.reply = 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n';
    half.reply = 'HTTP/1.1 200 OK\r\nContent-Le';
    hang.reply = null;
    empty.reply = '';
    reset.reply = RESET;
    junk.reply = 'SSH-2.0-OpenSSH_9.2\r\n';
    nf.reply = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
  };
  /** Every server healthy again, including a listener on the refused port. */
  const heal = async () => {
    for (const s of [e500, half, hang, nf, empty, reset, junk]) s.reply = OK;
    return raw(OK, refused);
  };

  // The real haproxy, in the foreground.
  const hfe = await freePort();
  const hcfg = writeFile(tmp.dir, 'haproxy.cfg', cfg(hfe));
  const hp = spawn('haproxy', ['-db', '-dR', '-f', hcfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let hout = '';
  hp.stdout?.on('data', (d) => {
    hout += d;
  });
  hp.stderr?.on('data', (d) => {
    hout += d;
  });
  t.after(() => {
    if (hp.exitCode === null) hp.kill('SIGKILL');
  });
  await until(() => complete(stateLines(hout)), 20000, `haproxy lines; got:\n${hout}`);
  let back = await heal();
  await until(() => complete(stateLines(hout), recovered), 20000, `haproxy recovery lines; got:\n${hout}`);
  hp.kill('SIGTERM');
  await back.close();
  bad();

  // Switchyard, same configuration.
  const sfe = await freePort();
  const scfg = writeFile(tmp.dir, 'switchyard.cfg', cfg(sfe));
  const sy = await startProxy(['-f', scfg]);
  t.after(async () => {
    await sy.stop();
  });
  await until(() => complete(stateLines(sy.stderr() + sy.stdout())), 20000, 'switchyard lines');
  back = await heal();
  t.after(() => back.close());
  await until(() => complete(stateLines(sy.stderr() + sy.stdout()), recovered), 20000, 'switchyard recovery lines');

  const theirs = stateLines(hout);
  const ours = stateLines(sy.stderr() + sy.stdout());
  t.diagnostic(`haproxy:\n${theirs.join('\n')}`);
  assert.deepEqual(ours, theirs);
});

/** Runs `cfg(port)` in haproxy then in switchyard until `done(lines)`; returns both sets of lines. */
async function both(
  t: { after(fn: () => unknown): void },
  dir: string,
  cfg: (fe: number) => string,
  done: (lines: string[]) => boolean,
): Promise<{ theirs: string[]; ours: string[] }> {
  const hcfg = writeFile(dir, 'haproxy.cfg', cfg(await freePort()));
  const hp = spawn('haproxy', ['-db', '-dR', '-f', hcfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let hout = '';
  hp.stdout?.on('data', (d) => {
    hout += d;
  });
  hp.stderr?.on('data', (d) => {
    hout += d;
  });
  t.after(() => {
    if (hp.exitCode === null) hp.kill('SIGKILL');
  });
  await until(() => done(stateLines(hout)), 20000, `haproxy lines; got:\n${hout}`);
  hp.kill('SIGTERM');
  const sy = await startProxy(['-f', writeFile(dir, 'switchyard.cfg', cfg(await freePort()))]);
  t.after(async () => {
    await sy.stop();
  });
  await until(() => done(stateLines(sy.stderr() + sy.stdout())), 20000, `switchyard lines; got:\n${sy.stderr()}`);
  await sy.stop();
  return { theirs: stateLines(hout), ours: stateLines(sy.stderr() + sy.stdout()) };
}

test('http-check expect verdicts and log-health-checks lines match haproxy 2.6', {
  skip: needs('haproxy'),
}, async (t) => {
  const tmp = tempDir();
  const ans = (status: string, body: string) =>
    raw(`HTTP/1.1 ${status}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const s302 = await ans('302 Found', '');
  const nope = await ans('200 OK', 'nope');
  const s503 = await ans('503 Service Unavailable', 'x');
  const bad = await ans('200 OK', 'status: bad');
  const good = await ans('200 OK', 'all good');
  t.after(async () => {
    for (const s of [s302, nope, s503, bad, good]) await s.close();
    tmp.cleanup();
  });
  const cfg = (fe: number) => `global
  log stderr format raw local0 info
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  option log-health-checks
frontend f
  bind 127.0.0.1:${fe}
  default_backend b1
backend b1
  option httpchk GET /
  http-check expect status 200
  server s 127.0.0.1:${s302.port} check inter 300 fall 1
backend b2
  option httpchk GET /
  http-check expect string ok
  server s 127.0.0.1:${nope.port} check inter 300 fall 1
backend b3
  option httpchk GET /
  http-check expect ! rstatus ^5
  server s 127.0.0.1:${s503.port} check inter 300 fall 1
backend b4
  option httpchk GET /
  http-check expect rstring "^status: ok"
  server s 127.0.0.1:${bad.port} check inter 300 fall 1
backend b5
  option httpchk GET /
  http-check expect status 200-299
  http-check expect ! string bad
  server s 127.0.0.1:${good.port} check inter 300 fall 1
`;
  const want = [
    /^backend b1 has/,
    /^backend b2 has/,
    /^backend b3 has/,
    /^backend b4 has/,
    /^Health check for server b5\/s succeeded/,
  ];
  const { theirs, ours } = await both(t, tmp.dir, cfg, (lines) => want.every((re) => lines.some((l) => re.test(l))));
  t.diagnostic(`haproxy:\n${theirs.join('\n')}`);
  assert.deepEqual(ours, theirs);
});

test('agent-check replies give the same state lines as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  const web = await raw('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  const replies = [
    '75%',
    'down #maint window',
    'up',
    'drain',
    'ready',
    'maint',
    'ready',
    'stopped',
    'drain',
    'ready',
    'up 100%',
  ];
  let i = 0;
  const agent: Server = createServer((s) => {
    s.on('error', () => {});
    s.end(`${replies[Math.min(i++, replies.length - 1)]}\n`);
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const agentPort = (agent.address() as { port: number }).port;
  t.after(async () => {
    await web.close();
    await new Promise<void>((r) => agent.close(() => r()));
    tmp.cleanup();
  });
  const cfg = (fe: number) => {
    i = 0; // each proxy hears the same sequence from the start
    return `global
  log stderr format raw local0 info
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend f
  bind 127.0.0.1:${fe}
  default_backend b
backend b
  server s1 127.0.0.1:${web.port} check inter 5s weight 20 agent-check agent-port ${agentPort} agent-inter 150
  server s2 127.0.0.1:${web.port} check inter 5s
`;
  };
  const done = () => i >= replies.length + 2;
  const { theirs, ours } = await both(t, tmp.dir, cfg, done);
  t.diagnostic(`haproxy:\n${theirs.join('\n')}`);
  // haproxy repeats "remains in forced drain mode." on every agent "drain"; Switchyard does not (README).
  assert.deepEqual(
    ours,
    theirs.filter((l) => !l.endsWith('remains in forced drain mode.')),
  );
});

test('slowstart: UP line, then the end-of-warm-up line, as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  const FAIL = 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n';
  const sw = await raw(FAIL);
  const other = await raw('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  t.after(async () => {
    await sw.close();
    await other.close();
    tmp.cleanup();
  });
  const cfg = (fe: number) => {
    sw.reply = FAIL; // each proxy sees the server fail first
    return `global
  log stderr format raw local0 info
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
backend b
  option httpchk GET /
  server s1 127.0.0.1:${sw.port} check inter 200 fall 1 rise 1 slowstart 1500 weight 10
  server s2 127.0.0.1:${other.port} check inter 1000
frontend f
  bind 127.0.0.1:${fe}
  default_backend b
`;
  };
  const done = (lines: string[]) => {
    // Once it is DOWN, the server recovers: UP with a reason, then the warm-up's end.
    if (lines.some((l) => l.startsWith('Server b/s1 is DOWN')))
      sw.reply = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    return lines.includes(
      'Server b/s1 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    );
  };
  const { theirs, ours } = await both(t, tmp.dir, cfg, done);
  t.diagnostic(`haproxy:\n${theirs.join('\n')}`);
  assert.deepEqual(ours, theirs);
});
