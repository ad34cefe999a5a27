/**
 * `bind ... ssl` options applied to the handshake (versions, ciphers, TLSv1.3 suites, curves,
 * tickets, strict-sni, client certificate verification) and checked against Debian's haproxy
 * 2.6 on the same configuration and certificates: every probe (openssl s_client, curl) must give
 * the same outcome on both.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { makePki, type Pki } from './helpers/pki.ts';
import {
  freePort,
  type ProxyProcess,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  writeFile,
} from './helpers/proxy.ts';
import { waitForPort } from './helpers/servers.ts';
import { needs } from './helpers/system.ts';

const skip = needs('openssl', 'haproxy', 'curl');
const tmp = tempDir();
let pki: Pki;
let up: Upstream;
let sy: ProxyProcess;
let ha: ChildProcess;

/** Bind options per case, after `ssl crt SERVER`. */
const CASES: Record<string, (p: Pki) => string> = {
  min13: () => 'ssl-min-ver TLSv1.3',
  max12: () => 'ssl-max-ver TLSv1.2',
  ciphers: () => 'ssl-max-ver TLSv1.2 ciphers ECDHE-ECDSA-AES256-GCM-SHA384',
  suites: () => 'ciphersuites TLS_CHACHA20_POLY1305_SHA256',
  curves: () => 'curves P-384',
  tickets: () => 'ssl-max-ver TLSv1.2 no-tls-tickets',
  strict: () => 'strict-sni',
  required: (p) => `ca-file ${p.ca} verify required`,
  optional: (p) => `ca-file ${p.ca} verify optional`,
  noTls13: () => 'no-tlsv13',
};
const ports: Record<'sy' | 'ha', Record<string, number>> = { sy: {}, ha: {} };

async function config(who: 'sy' | 'ha'): Promise<string> {
  let fe = '';
  for (const [name, opts] of Object.entries(CASES)) {
    const port = await freePort();
    ports[who][name] = port;
    fe += `frontend ${name}\n  bind 127.0.0.1:${port} ssl crt ${pki.server} ${opts(pki)}\n  default_backend be\n`;
  }
  return `global\n  ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n${fe}backend be\n  server s 127.0.0.1:${up.port}\n`;
}

before(async () => {
  if (skip) return;
  pki = makePki(tmp.dir);
  up = await startUpstream('up');
  sy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', await config('sy'))]);
  const haCfg = writeFile(tmp.dir, 'ha.cfg', await config('ha'));
  ha = spawn('haproxy', ['-db', '-dR', '-f', haCfg], { stdio: 'ignore' });
  for (const p of Object.values(ports.ha)) await waitForPort(p, 20000, ha);
});

after(async () => {
  await sy?.stop();
  if (ha && ha.exitCode === null) {
    const done = new Promise((r) => ha.once('exit', r));
    ha.kill('SIGTERM');
    await done;
  }
  await up?.close();
  tmp.cleanup();
});

/** One s_client handshake: 'fail', or the negotiated protocol and cipher (and whether a ticket came). */
function sClient(port: number, args: string[]): string {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
    input: '',
    encoding: 'utf8',
    timeout: 10000,
  });
  const proto = /Protocol\s*:\s*(\S+)/.exec(r.stdout)?.[1] ?? /New, (TLSv[\d.]+), Cipher is (\S+)/.exec(r.stdout)?.[1];
  const cipher = /Cipher is (\S+)/.exec(r.stdout)?.[1];
  if (r.status !== 0 || !cipher || cipher === '(NONE)') return 'fail';
  // TLSv1.3 tickets come after the handshake, when s_client may already be gone: TLSv1.2 only
  const ticket = proto === 'TLSv1.2' && /TLS session ticket lifetime hint/.test(r.stdout) ? ' ticket' : '';
  return `${proto} ${cipher}${ticket}`;
}

/** One HTTPS GET with curl (async: the upstream lives in this process): exit status and HTTP status. */
function curl(port: number, args: string[]): Promise<string> {
  const argv = [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    pki.ca,
    '--resolve',
    `localhost:${port}:127.0.0.1`,
  ];
  return new Promise((resolve) => {
    execFile('curl', [...argv, ...args, `https://localhost:${port}/`], { timeout: 10000 }, (e, stdout) =>
      resolve(`${e ? 'fail' : 'ok'} ${stdout}`),
    );
  });
}

const PROBES: Array<[string, string, (port: number) => string | Promise<string>, string]> = [
  ['min13', '-tls1_2 refused', (p) => sClient(p, ['-tls1_2']), 'fail'],
  ['min13', '-tls1_3 accepted', (p) => sClient(p, ['-tls1_3']), 'TLSv1.3 TLS_AES_256_GCM_SHA384'],
  ['max12', 'TLSv1.2 at most', (p) => sClient(p, []), 'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 ticket'],
  [
    'ciphers',
    'bind ciphers win over the global ones',
    (p) => sClient(p, []),
    'TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384 ticket',
  ],
  ['suites', 'TLSv1.3 suites', (p) => sClient(p, []), 'TLSv1.3 TLS_CHACHA20_POLY1305_SHA256'],
  ['curves', 'X25519 refused', (p) => sClient(p, ['-groups', 'X25519']), 'fail'],
  ['curves', 'P-384 accepted', (p) => sClient(p, ['-groups', 'P-384']), 'TLSv1.3 TLS_AES_256_GCM_SHA384'],
  ['tickets', 'no ticket', (p) => sClient(p, []), 'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['strict', 'no SNI refused', (p) => sClient(p, ['-noservername']), 'fail'],
  ['strict', 'unknown SNI refused', (p) => sClient(p, ['-servername', 'other.example']), 'fail'],
  ['strict', 'known SNI accepted', (p) => sClient(p, ['-servername', 'localhost']), 'TLSv1.3 TLS_AES_256_GCM_SHA384'],
  ['noTls13', 'no-tlsv13: TLSv1.2', (p) => sClient(p, []), 'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 ticket'],
  ['required', 'no client certificate refused', (p) => curl(p, []), 'fail 000'],
  [
    'required',
    'client certificate of the CA accepted',
    (p) => curl(p, ['--cert', pki.client.crt, '--key', pki.client.key]),
    'ok 200',
  ],
  [
    'required',
    'client certificate of another CA refused',
    (p) => curl(p, ['--cert', pki.stranger.crt, '--key', pki.stranger.key]),
    'fail 000',
  ],
  ['optional', 'no client certificate accepted', (p) => curl(p, []), 'ok 200'],
  [
    'optional',
    'client certificate of another CA refused',
    (p) => curl(p, ['--cert', pki.stranger.crt, '--key', pki.stranger.key]),
    'fail 000',
  ],
];

describe('bind ssl options as haproxy 2.6', { skip }, () => {
  for (const [name, what, probe, expected] of PROBES) {
    test(`${name}: ${what}`, async () => {
      const got = { switchyard: await probe(ports.sy[name]), haproxy: await probe(ports.ha[name]) };
      assert.deepEqual(got, { switchyard: expected, haproxy: expected });
    });
  }
});
