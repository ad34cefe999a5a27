/**
 * Agent checks and passive checks end to end with the real `switchyard` process: an agent that
 * answers `drain`, `down #reason`, `up`, `ready` and a weight; `observe layer7` with
 * `error-limit 3 on-error mark-down` taking a server that answers 500 to real traffic DOWN while
 * its health check still passes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { defaults, freePort, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';

/** An agent answering `reply.line` to every connection. */
async function agent(first: string): Promise<{ port: number; reply: { line: string }; close(): Promise<void> }> {
  const reply = { line: first };
  const srv: Server = createServer((s) => {
    s.on('error', () => {});
    s.end(`${reply.line}\n`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    reply,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

test('agent-check replies drive drain, down, up and ready', async (t) => {
  const tmp = tempDir();
  const web1 = await startUpstream('web1');
  const web2 = await startUpstream('web2');
  const ag = await agent('up 100%');
  t.after(async () => {
    await web1.close();
    await web2.close();
    await ag.close();
    tmp.cleanup();
  });
  const fe = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'agent.cfg',
    `${defaults('  timeout check 5s')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  server web1 127.0.0.1:${web1.port} check inter 300 agent-check agent-port ${ag.port} agent-inter 200
  server web2 127.0.0.1:${web2.port} check inter 300
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(async () => {
    await proxy.stop();
  });
  ag.reply.line = 'drain';
  await proxy.waitFor(
    'Server app/web1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
  const before = web1.requests.length;
  for (let i = 0; i < 6; i++) await (await fetch(`http://127.0.0.1:${fe}/d${i}`)).text();
  assert.equal(web1.requests.filter((r) => r.url.startsWith('/d')).length, 0, 'a draining server gets no new traffic');
  assert.ok(web1.requests.length >= before);
  ag.reply.line = 'ready';
  await proxy.waitFor('Server app/web1 is UP (leaving forced drain).');
  ag.reply.line = 'down #disk full';
  await proxy.waitFor(
    /Server app\/web1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down \(disk full\)", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\./,
  );
  ag.reply.line = 'up';
  await proxy.waitFor(
    /Server app\/web1 is UP, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: \d+ms\. 2 active and 0 backup servers online\./,
  );
  ag.reply.line = 'maint';
  await proxy.waitFor('Server app/web1 is going DOWN for maintenance. 1 active and 0 backup servers left.');
  ag.reply.line = 'ready';
  await proxy.waitFor('Server app/web1 is UP/READY (leaving forced maintenance).');
});

test('observe layer7: 3 consecutive 5xx to real traffic mark a server DOWN (mark-down)', async (t) => {
  const tmp = tempDir();
  let broken = false;
  const bad = await startUpstream('bad', (req, res) => {
    req.resume();
    if (req.url === '/health' || !broken) res.writeHead(200).end('bad\n');
    else res.writeHead(500).end('oops\n');
  });
  const good = await startUpstream('good');
  t.after(async () => {
    await bad.close();
    await good.close();
    tmp.cleanup();
  });
  const fe = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'observe.cfg',
    `${defaults('  timeout check 5s')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  balance roundrobin
  option httpchk GET /health
  server bad 127.0.0.1:${bad.port} check inter 10s observe layer7 error-limit 3 on-error mark-down
  server good 127.0.0.1:${good.port} check inter 10s
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(async () => {
    await proxy.stop();
  });
  broken = true;
  let fivexx = 0;
  await until(
    async () => {
      const r = await fetch(`http://127.0.0.1:${fe}/`);
      await r.text();
      if (r.status === 500) fivexx++;
      return /Server app\/bad is DOWN/.test(proxy.stderr());
    },
    20000,
    'bad DOWN',
  );
  assert.equal(fivexx, 3, 'DOWN on the 3rd consecutive error');
  assert.match(
    proxy.stderr(),
    /Server app\/bad is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: Wrong http response"\. 1 active and 0 backup servers left\./,
  );
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`http://127.0.0.1:${fe}/after${i}`);
    assert.equal((await r.text()).trim().startsWith('good'), true);
  }
});
