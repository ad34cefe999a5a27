/**
 * `ssl_c_*`, `ssl_f_*`, `ssl_fc_*` fetches and `%sslv`/`%sslc`, in headers set by
 * `http-request set-header` and in log lines, compared byte for byte with Debian's haproxy 2.6
 * on the same configuration: curl with and without a client certificate (one with a
 * multi-valued RDN, an escaped comma and UTF-8), a resumed TLS session, and a clear bind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeLeaf, makePki, type Pki } from './helpers/pki.ts';
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
let haOut = '';
const ports = { sy: { tls: 0, clear: 0 }, ha: { tls: 0, clear: 0 } };

/** Header name -> log-format value: what the upstream echoes back. */
const HEADERS: Array<[string, string]> = [
  ['X-SSL-Client-DN', '%{+Q}[ssl_c_s_dn]'],
  ['X-SSL-Client-Serial', '%[ssl_c_serial,hex]'],
  ['X-Issuer', '%[ssl_c_i_dn]'],
  ['X-CN', '%[ssl_c_s_dn(cn)]'],
  ['X-OU-Last', '%[ssl_c_s_dn(OU,-1)]'],
  ['X-OU-2', '%[ssl_c_s_dn(OU,2)]'],
  ['X-RFC2253', '%[ssl_c_s_dn(,0,rfc2253)]'],
  ['X-Issuer-RFC2253', '%[ssl_c_i_dn(,0,rfc2253)]'],
  ['X-Not-After', '%[ssl_c_notafter]'],
  ['X-Not-Before', '%[ssl_c_notbefore]'],
  ['X-SHA1', '%[ssl_c_sha1,hex]'],
  ['X-DER', '%[ssl_c_der,base64]'],
  ['X-Version', '%[ssl_c_version]'],
  ['X-Verify', '%[ssl_c_verify]'],
  ['X-Used', '%[ssl_c_used]'],
  ['X-Errs', '%[ssl_c_err]/%[ssl_c_ca_err]'],
  ['X-FC', '%[ssl_fc]'],
  ['X-Proto', '%[ssl_fc_protocol]'],
  ['X-Cipher', '%[ssl_fc_cipher]'],
  ['X-ALPN', '%[ssl_fc_alpn]'],
  ['X-SNI', '%[ssl_fc_sni]'],
  ['X-Has-SNI', '%[ssl_fc_has_sni]'],
  ['X-Resumed', '%[ssl_fc_is_resumed]'],
  ['X-Has-Crt', '%[ssl_fc_has_crt]'],
  ['X-F-DN', '%[ssl_f_s_dn]'],
  ['X-F-Issuer', '%[ssl_f_i_dn(CN)]'],
  ['X-F-Serial', '%[ssl_f_serial,hex]'],
  ['X-LF', '%sslv/%sslc/%{+Q}sslv'],
];

async function config(who: 'sy' | 'ha'): Promise<string> {
  ports[who].tls = await freePort();
  ports[who].clear = await freePort();
  const set = HEADERS.map(([h, v]) => `  http-request set-header ${h} ${v}\n`).join('');
  return `global
  log stdout format raw local0
defaults
  mode http
  log global
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${ports[who].tls} ssl crt ${pki.server} ca-file ${pki.ca} verify optional alpn http/1.1
  bind 127.0.0.1:${ports[who].clear}
  log-format "LOG %sslv %sslc %{+Q}sslc %{+Q}[ssl_c_s_dn(O)] %[ssl_fc_sni]"
${set}  http-request set-header X-ACL alice if { ssl_c_s_dn(cn) -m beg ali } { ssl_c_used }
  default_backend be
backend be
  server s 127.0.0.1:${up.port}
`;
}

before(async () => {
  if (skip) return;
  pki = makePki(tmp.dir);
  // a subject with a multi-valued RDN, an escaped comma, a leading space and UTF-8
  makeLeaf(
    tmp.dir,
    'ca',
    'fancy',
    '/C=FR/O=Test\\, Inc./OU=Dev+OU=Ops/OU=#hash/CN=\u00e9lodie <e@x>',
    'extendedKeyUsage=clientAuth\n',
    ['-utf8'],
  );
  up = await startUpstream('up', (req, res) => {
    req.resume();
    const raw = req.rawHeaders;
    const x: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (/^x-/i.test(raw[i])) x.push(`${raw[i].toLowerCase()}: ${raw[i + 1]}`);
    res.end(x.sort().join('\n'));
  });
  sy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', await config('sy'))]);
  ha = spawn('haproxy', ['-db', '-dR', '-f', writeFile(tmp.dir, 'ha.cfg', await config('ha'))], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  ha.stdout?.on('data', (d) => {
    haOut += d;
  });
  await waitForPort(ports.ha.tls, 20000, ha);
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

/** curl to the TLS bind (by name, by address: no SNI) or the clear one: the echoed X- headers of each response. */
function curl(port: number, args: string[], urls = 1, to: 'name' | 'address' | 'clear' = 'name'): Promise<string> {
  const base =
    to === 'clear' ? `http://127.0.0.1:${port}/` : `https://${to === 'name' ? 'localhost' : '127.0.0.1'}:${port}/`;
  const argv = ['-s', '--cacert', pki.ca, '--resolve', `localhost:${port}:127.0.0.1`, ...args];
  for (let i = 0; i < urls; i++) argv.push(`${base}r${i}`);
  return new Promise((resolve) => {
    execFile('curl', argv, { timeout: 10000, encoding: 'latin1' }, (e, stdout) =>
      resolve(e ? `curl failed: ${e.message}` : stdout),
    );
  });
}

const cert = (n: string) => ['--cert', join(tmp.dir, `${n}.crt`), '--key', join(tmp.dir, `${n}.key`)];

const PROBES: Array<[string, (p: { tls: number; clear: number }) => Promise<string>]> = [
  ['client certificate', (p) => curl(p.tls, cert('client'))],
  ['no client certificate', (p) => curl(p.tls, [])],
  ['multi-valued, escaped and UTF-8 subject', (p) => curl(p.tls, cert('fancy'))],
  ['TLSv1.2 without SNI', (p) => curl(p.tls, ['--tls-max', '1.2', '-k'], 1, 'address')],
  // a new connection per URL: the second resumes the first's session (no certificate sent again)
  ['resumed session', (p) => curl(p.tls, [...cert('client'), '-H', 'connection: close', '--tls-max', '1.2'], 2)],
  ['clear connection', (p) => curl(p.clear, [], 1, 'clear')],
];

describe('ssl fetches as haproxy 2.6', { skip }, () => {
  for (const [what, probe] of PROBES) {
    test(what, async () => {
      const ha = await probe(ports.ha);
      const mine = await probe(ports.sy);
      assert.match(ha, /x-fc: /);
      if (what.includes('without SNI')) assert.match(ha, /x-has-sni: 0\n.*x-proto: TLSv1\.2/s);
      assert.equal(mine, ha);
    });
  }

  test('log lines: %sslv %sslc and ssl fetches', async () => {
    const lines = (s: string) => s.split('\n').filter((l) => l.startsWith('LOG '));
    const deadline = Date.now() + 5000;
    while (lines(sy.stdout()).length < lines(haOut).length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(lines(haOut).length >= PROBES.length);
    assert.deepEqual(lines(sy.stdout()).sort(), lines(haOut).sort());
  });
});
