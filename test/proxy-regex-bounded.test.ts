/**
 * Regexes with catastrophic backtracking (`^/(a+)+$` and the like) in `-m reg`, `map_reg`
 * and `replace-path`, fed hostile inputs: the answers are haproxy 2.6's on the same config
 * (its PCRE match limit), and while they are computed the proxy keeps serving another client. A
 * pattern Node could only run by backtracking with that shape (a lookahead plus a nested
 * repetition) is refused at load with its FILE:LINE.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { rawRequest as peerRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { startPair } from './helpers/peer-pair.ts';
import { BIN, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const BODY = `frontend fe
  bind 127.0.0.1:@PORT@
  http-request set-var(txn.m) path,map_reg(@DIR@/re.map,none)
  http-request deny deny_status 403 if { path -m reg ^/(a+)+$ }
  http-request deny deny_status 429 if { hdr(x-h) -m reg -i ^(B|BB)+$ }
  http-request replace-path ^/r/(c+)+d$ /replaced
  http-request return status 200 content-type text/plain lf-string "%[path] %[var(txn.m)]" if { path_beg /ret }
  default_backend be
backend be
  server s 127.0.0.1:@UP@
`;

const HOSTILE = 'a'.repeat(60);

test('catastrophic regexes answer as haproxy 2.6 without stalling other clients', {
  skip: needs('haproxy'),
}, async (t) => {
  const up = await startUpstream('o', (req, res) => {
    req.resume();
    res.end(`origin ${req.url}`);
  });
  t.after(() => up.close());
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  writeFile(tmp.dir, 're.map', '^/ret/(e+)+f$ evil\n^/ret/ok$ fine\n');
  const body = BODY.replaceAll('@UP@', String(up.port)).replaceAll('@DIR@', tmp.dir);
  const { theirs, ours } = await startPair(t, body);
  const req = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;
  const view = (r: { status: number; body: string }) =>
    `${r.status} ${r.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, '')}`;
  const cases: Array<[string, string]> = [
    [`/${HOSTILE}b`, ''],
    [`/${HOSTILE}`, ''],
    ['/x', `X-H: ${'b'.repeat(40)}B!\r\n`],
    ['/x', 'X-H: bBb\r\n'],
    [`/r/${'c'.repeat(60)}`, ''],
    [`/r/${'c'.repeat(6)}d`, ''],
    [`/ret/${'e'.repeat(60)}g`, ''],
    ['/ret/ok', ''],
    [`/ret/${'x'.repeat(60)}`, ''],
  ];
  for (const [path, extra] of cases) {
    const expected = view(await peerRequest(theirs, req(path, extra)));
    // while the hostile request is matched, another client is served
    const hostile = peerRequest(ours, req(path, extra));
    const other = await peerRequest(ours, req('/ret/ok'));
    assert.equal(view(other), '200 /ret/ok fine', 'served beside a hostile request');
    assert.equal(view(await hostile), expected, path);
  }
});

test('a nested repetition with a lookahead is refused at load with FILE:LINE', () => {
  const tmp = tempDir();
  try {
    const cfg = writeFile(
      tmp.dir,
      'bad.cfg',
      'defaults\n  mode http\nfrontend fe\n  bind 127.0.0.1:0\n  http-request deny if { path -m reg ^(?!/ok)(a+)+$ }\n',
    );
    const r = spawnSync(process.execPath, [BIN, '-c', '-f', cfg], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(
      r.stdout + r.stderr,
      /bad\.cfg:5: .*regex '\^\(\?!\/ok\)\(a\+\)\+\$' repeats a group that contains a repetition/,
    );
  } finally {
    tmp.cleanup();
  }
});
