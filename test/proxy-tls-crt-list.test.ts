/**
 * Certificate selection by SNI, compared with Debian's haproxy 2.6 on the same files: a
 * `crt-list` with SNI filters (wildcards, a negative filter, a line without filters using the
 * certificate's own names), a `crt DIR`, and `strict-sni`; each probe is the subject of the
 * certificate openssl s_client is served (or a failed handshake).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeLeaf, makePki } from './helpers/pki.ts';
import {
  BIN,
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

const skip = needs('openssl', 'haproxy');
const tmp = tempDir();
let up: Upstream;
let sy: ProxyProcess;
let ha: ChildProcess;
const BINDS = ['list', 'dir', 'strict'] as const;
const ports: Record<'sy' | 'ha', Record<string, number>> = { sy: {}, ha: {} };

function leaf(name: string, cn: string, sans: string[]): string {
  makeLeaf(
    tmp.dir,
    'ca',
    name,
    `/CN=${cn}`,
    sans.length ? `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}\n` : '',
  );
  return join(tmp.dir, `${name}.pem`);
}

async function config(who: 'sy' | 'ha'): Promise<string> {
  for (const b of BINDS) ports[who][b] = await freePort();
  const list = join(tmp.dir, 'certs.list');
  const fe = (b: string, opts: string) =>
    `frontend ${b}\n  bind 127.0.0.1:${ports[who][b]} ssl ${opts}\n  default_backend be\n`;
  return `defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n${fe('list', `crt-list ${list}`)}${fe('dir', `crt ${join(tmp.dir, 'dir')}`)}${fe('strict', `strict-sni crt-list ${list}`)}backend be\n  server s 127.0.0.1:${up.port}\n`;
}

before(async () => {
  if (skip) return;
  makePki(tmp.dir);
  const def = leaf('default', 'default.test', []);
  const wild = leaf('wild', 'wild', ['*.example.com']);
  const a = leaf('a', 'a.example.com', ['a.example.com']);
  const other = leaf('other', 'other', ['ignored.test']);
  writeFileSync(
    join(tmp.dir, 'certs.list'),
    `# the first line is the default certificate\n${def}\n\n${wild} *.example.com !secret.example.com\n${a}\n${other} [] other.test *.other.test\n`,
  );
  mkdirSync(join(tmp.dir, 'dir'));
  for (const [n, f] of [
    ['1-default.pem', def],
    ['2-wild.pem', wild],
    ['3-a.pem', a],
  ])
    writeFileSync(join(tmp.dir, 'dir', n), readFileSync(f));
  up = await startUpstream('up');
  sy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', await config('sy'))]);
  ha = spawn('haproxy', ['-db', '-dR', '-f', writeFile(tmp.dir, 'ha.cfg', await config('ha'))], { stdio: 'ignore' });
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

/** The CN of the certificate served for `sni` (undefined: none sent), or 'fail'. */
function served(port: number, sni: string | undefined): string {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(sni ? ['-servername', sni] : ['-noservername'])];
  const r = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 10000 });
  const cn = /subject=.*CN\s*=\s*([^,\n]+)/.exec(r.stdout)?.[1];
  return r.status === 0 && cn ? cn.trim() : 'fail';
}

const PROBES: Array<[(typeof BINDS)[number], string | undefined, string]> = [
  ['list', 'a.example.com', 'a.example.com'],
  ['list', 'b.example.com', 'wild'],
  ['list', 'B.Example.COM', 'wild'],
  ['list', 'secret.example.com', 'default.test'],
  ['list', 'deep.b.example.com', 'default.test'],
  ['list', 'other.test', 'other'],
  ['list', 'x.other.test', 'other'],
  ['list', 'ignored.test', 'default.test'],
  ['list', 'nothing.test', 'default.test'],
  ['list', undefined, 'default.test'],
  ['dir', 'a.example.com', 'a.example.com'],
  ['dir', 'z.example.com', 'wild'],
  ['dir', 'nothing.test', 'default.test'],
  ['dir', undefined, 'default.test'],
  ['strict', 'b.example.com', 'wild'],
  ['strict', 'nothing.test', 'fail'],
  ['strict', undefined, 'fail'],
];

describe('certificate selection by SNI as haproxy 2.6', { skip }, () => {
  test('per-line SSL options are refused with the crt-list FILE:LINE', () => {
    const list = writeFile(
      tmp.dir,
      'bad.list',
      `${join(tmp.dir, 'a.pem')}\n${join(tmp.dir, 'a.pem')} [ciphers HIGH] x.test\n`,
    );
    const cfg = writeFile(tmp.dir, 'bad.cfg', `frontend f\n  bind 127.0.0.1:1 ssl crt-list ${list}\n`);
    const r = spawnSync(process.execPath, [BIN, '-c', '-f', cfg], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.list:2: crt-list: per-certificate SSL options '\[ciphers HIGH\]' are not supported/);
  });

  for (const [bind, sni, expected] of PROBES) {
    test(`${bind}: ${sni ?? 'no SNI'}`, () => {
      const got = { switchyard: served(ports.sy[bind], sni), haproxy: served(ports.ha[bind], sni) };
      assert.deepEqual(got, { switchyard: expected, haproxy: expected });
    });
  }
});
