/** bytes_in_cnt / bytes_out_cnt in a stick table count real traffic through the process. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { defaults, freePort, rawRequest, startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';

function cli(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`${command}\n`));
    let out = '';
    s.on('data', (d) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('track-sc0 with bytes_in_cnt/bytes_out_cnt counts the bytes of each request and response', async (t) => {
  const up = await startUpstream('up', (req, res) => {
    req.resume();
    req.on('end', () => res.end('x'.repeat(1000)));
  });
  const tmp = tempDir();
  const port = await freePort();
  const sock = await freePort();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const cfg = writeFile(
    tmp.dir,
    'bytes.cfg',
    `global
  stats socket ipv4@127.0.0.1:${sock} level admin
${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  http-request track-sc0 src table counts
  default_backend be
backend counts
  stick-table type ip size 1k expire 1m store bytes_in_cnt,bytes_out_cnt,http_req_cnt
backend be
  server s 127.0.0.1:${up.port}
`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  for (let i = 0; i < 3; i++) {
    const r = await rawRequest(
      port,
      `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\nConnection: close\r\n\r\n${'y'.repeat(500)}`,
    );
    assert.match(r, /^HTTP\/1\.1 200 /);
  }
  const table = await cli(sock, 'show table counts');
  const m = /http_req_cnt=(\d+) bytes_in_cnt=(\d+) bytes_out_cnt=(\d+)/.exec(table);
  assert.ok(m, table);
  assert.equal(Number(m[1]), 3);
  assert.ok(Number(m[2]) >= 3 * 500, `bytes in ${m[2]}`);
  assert.ok(Number(m[3]) >= 3 * 1000, `bytes out ${m[3]}`);
});
