/**
 * Differential test against the real haproxy 2.6: the same haproxy.cfg (cookie persistence in
 * each mode, stick tables), the same upstreams and requests; Switchyard must choose the same
 * server, send the upstream the same Cookie header and answer the same Set-Cookie/Cache-Control.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { freePort, startProxy, startUpstream, tempDir, type Upstream, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

interface Reply {
  status: number;
  upstream: string;
  /** Cookie header the upstream received. */
  sentCookie: string;
  setCookie: string[];
  cacheControl: string;
}

function get(port: number, headers: Record<string, string>, src = '127.0.0.1', method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/', method, headers, localAddress: src, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => {
          const [upstream, ...rest] = body.split('\n')[0].split(' ');
          resolve({
            status: res.statusCode ?? 0,
            upstream: upstream ?? '',
            sentCookie: rest.join(' '),
            setCookie: (res.headers['set-cookie'] ?? []).map((c) => c.replace(/\|[A-Za-z0-9+/]{5}/g, '|DATE')),
            cacheControl: String(res.headers['cache-control'] ?? ''),
          });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function cli(sock: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let out = '';
    c.on('data', (d) => {
      out += d;
    });
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.write(`${cmd}\n`);
  });
}

/** Upstreams answering "NAME COOKIE-HEADER" and setting their own SRV cookie when asked to. */
async function upstreams(): Promise<Upstream[]> {
  return Promise.all(
    ['u1', 'u2'].map((name) =>
      startUpstream(name, (req, res) => {
        req.resume();
        req.on('end', () => {
          const h: Record<string, string | string[]> = { 'content-type': 'text/plain' };
          if (req.headers['x-set'] === '1') h['set-cookie'] = ['SRV=app123; path=/', 'other=1'];
          const cache = req.headers['x-cache'];
          if (cache === 'etag') h.etag = '"v1"';
          else if (typeof cache === 'string') h['cache-control'] = cache;
          res.writeHead(200, h);
          res.end(`${name} ${req.headers.cookie ?? '-'}\n`);
        });
      }),
    ),
  );
}

const CASES: Array<{
  name: string;
  cookie: string;
  requests: Array<{ headers: Record<string, string>; method?: string; disable?: string }>;
}> = [
  {
    name: 'insert indirect nocache httponly secure',
    cookie: 'cookie SRV insert indirect nocache httponly secure',
    requests: [
      { headers: {} },
      { headers: { cookie: 'SRV=b' } },
      { headers: { cookie: 'a=1; SRV=b; c=3' } },
      { headers: { cookie: 'SRV=zz' } },
      { headers: { cookie: 'SRV=b' }, disable: 's2' },
      { headers: { 'x-set': '1' } },
    ],
  },
  {
    name: 'insert (direct cookie kept) postonly domain attr',
    cookie: 'cookie SRV insert postonly domain .example.com attr SameSite=Lax',
    requests: [
      { headers: {} },
      { headers: {}, method: 'POST' },
      { headers: { cookie: 'SRV=b' } },
      { headers: { 'x-set': '1' }, method: 'POST' },
    ],
  },
  {
    name: 'insert maxidle maxlife',
    cookie: 'cookie SRV insert maxidle 30m maxlife 8h',
    requests: [{ headers: {} }, { headers: { cookie: 'SRV=b' } }],
  },
  {
    name: 'rewrite',
    cookie: 'cookie SRV rewrite',
    requests: [{ headers: { 'x-set': '1' } }, { headers: { cookie: 'SRV=b', 'x-set': '1' } }, { headers: {} }],
  },
  {
    name: 'prefix indirect',
    cookie: 'cookie SRV prefix indirect',
    requests: [{ headers: { cookie: 'SRV=b~app123', 'x-set': '1' } }, { headers: { 'x-set': '1' } }],
  },
  {
    name: 'insert nocache on cacheable responses',
    cookie: 'cookie SRV insert nocache',
    requests: [
      { headers: { 'x-cache': 'etag' } },
      { headers: { 'x-cache': 'max-age=60' } },
      { headers: { 'x-cache': 'no-store' } },
    ],
  },
  {
    name: 'prefix',
    cookie: 'cookie SRV prefix',
    requests: [
      { headers: { 'x-set': '1' } },
      { headers: { cookie: 'x=1; SRV=b~app123' } },
      { headers: { cookie: 'SRV=b~app123', 'x-set': '1' } },
    ],
  },
  {
    name: 'passive',
    cookie: 'cookie SRV',
    requests: [{ headers: { cookie: 'SRV=b', 'x-set': '1' } }, { headers: { 'x-set': '1' } }],
  },
];

function config(port: number, sock: string, ups: Upstream[], cookieLine: string): string {
  return `
global
  stats socket ${sock} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  default_backend app
backend app
  balance first
  ${cookieLine}
  server s1 127.0.0.1:${ups[0].port} cookie a
  server s2 127.0.0.1:${ups[1].port} cookie b
`;
}

test('cookie rewrite + indirect is refused like haproxy 2.6 does', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const ups = [{ port: 1 }, { port: 2 }] as Upstream[];
  const file = writeFile(tmp.dir, 'bad.cfg', config(18999, `${tmp.dir}/s.sock`, ups, 'cookie SRV rewrite indirect'));
  const run = (cmd: string, args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.stderr.on('data', (d) => {
        out += d;
      });
      p.on('exit', (code) => resolve({ code, out }));
    });
  const h = await run('haproxy', ['-c', '-f', file]);
  const s = await run(process.execPath, [
    `${import.meta.dirname}/../packages/cli/bin/switchyard.mjs`,
    '-c',
    '-f',
    file,
  ]);
  assert.notEqual(h.code, 0);
  assert.notEqual(s.code, 0);
  assert.match(h.out, /cookie 'rewrite' and 'indirect' modes are incompatible/);
  assert.match(s.out, /bad\.cfg:\d+: .*cookie 'rewrite' and 'indirect' modes are incompatible/);
});

test('cookie persistence answers like haproxy 2.6 in every mode', {
  skip: needs('haproxy'),
  timeout: 180_000,
}, async (t) => {
  const ups = await upstreams();
  t.after(() => Promise.all(ups.map((u) => u.close())));
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  for (const c of CASES) {
    const results: Record<'haproxy' | 'switchyard', Reply[]> = { haproxy: [], switchyard: [] };
    for (const who of ['haproxy', 'switchyard'] as const) {
      const port = await freePort();
      const sock = `${tmp.dir}/${who}.sock`;
      const file = writeFile(tmp.dir, `${who}.cfg`, config(port, sock, ups, c.cookie));
      let stop: () => Promise<unknown>;
      if (who === 'haproxy') {
        const hp = spawn('haproxy', ['-db', '-dR', '-f', file], { stdio: 'ignore' });
        const exited = new Promise((r) => hp.once('exit', r));
        stop = async () => {
          hp.kill('SIGKILL');
          await exited;
        };
        const deadline = Date.now() + 10_000;
        for (;;) {
          try {
            await get(port, {});
            break;
          } catch (e) {
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      } else {
        const p = await startProxy(['-f', file]);
        stop = () => p.stop();
      }
      try {
        for (const r of c.requests) {
          if (r.disable) await cli(sock, `disable server app/${r.disable}`);
          results[who].push(await get(port, r.headers, '127.0.0.1', r.method));
          if (r.disable) await cli(sock, `enable server app/${r.disable}`);
        }
      } finally {
        await stop();
      }
    }
    assert.deepEqual(results.switchyard, results.haproxy, `cookie mode '${c.cookie}'`);
    t.diagnostic(
      `${c.name}: ${results.haproxy.map((r) => `${r.upstream} [${r.setCookie.join(' | ')}] <${r.sentCookie}>`).join('; ')}`,
    );
  }
});

const STICK_CFG = (port: number, sock: string, ups: Upstream[]) => `
global
  stats socket ${sock} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  http-request track-sc0 src table per_ip
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }
  default_backend app
backend per_ip
  stick-table type ip size 1k expire 60s store http_req_rate(10s),http_err_cnt
backend app
  balance roundrobin
  stick-table type ip size 1k expire 30m
  stick on src
  server s1 127.0.0.1:${ups[0].port}
  server s2 127.0.0.1:${ups[1].port}
`;

test('stick on src and a track-sc rate limit behave like haproxy 2.6', {
  skip: needs('haproxy'),
  timeout: 120_000,
}, async (t) => {
  const ups = await upstreams();
  t.after(() => Promise.all(ups.map((u) => u.close())));
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const results: Record<string, string[]> = { haproxy: [], switchyard: [] };
  for (const who of ['haproxy', 'switchyard'] as const) {
    const port = await freePort();
    const sock = `${tmp.dir}/${who}-stick.sock`;
    const file = writeFile(tmp.dir, `${who}-stick.cfg`, STICK_CFG(port, sock, ups));
    let stop: () => Promise<unknown>;
    if (who === 'haproxy') {
      const hp = spawn('haproxy', ['-db', '-dR', '-f', file], { stdio: 'ignore' });
      const exited = new Promise((r) => hp.once('exit', r));
      stop = async () => {
        hp.kill('SIGKILL');
        await exited;
      };
      const deadline = Date.now() + 10_000;
      // readiness probed from a source address the scenario does not use
      for (;;) {
        try {
          await get(port, {}, '127.0.0.99');
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } else {
      const p = await startProxy(['-f', file]);
      stop = () => p.stop();
      await get(port, {}, '127.0.0.99');
    }
    const out = results[who];
    const hit = async (src: string) => {
      const r = await get(port, {}, src);
      out.push(`${src}:${r.status}:${r.status === 200 ? r.upstream : '-'}`);
    };
    try {
      for (const src of ['127.0.0.41', '127.0.0.42', '127.0.0.43']) await hit(src);
      for (const src of ['127.0.0.41', '127.0.0.42', '127.0.0.43']) await hit(src);
      // the server of .41 goes to maintenance: .41 is rebalanced, and stays on its new server after
      const first = out[0].split(':')[2] === 'u1' ? 's1' : 's2';
      await cli(sock, `disable server app/${first}`);
      await hit('127.0.0.41');
      await cli(sock, `enable server app/${first}`);
      await hit('127.0.0.41');
      // rate limit: more than 5 requests in 10 s from one source are denied
      for (let i = 0; i < 8; i++) await hit('127.0.0.50');
    } finally {
      await stop();
    }
  }
  assert.deepEqual(results.switchyard, results.haproxy);
  t.diagnostic(results.haproxy.join(' '));
});
