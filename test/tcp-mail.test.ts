/**
 * The mail balancer of the classic haproxy+keepalived write-up: a `mode tcp` listen on an SMTP
 * port with `send-proxy` to a real Postfix (Debian's postfix, a private instance with its own
 * configuration, queue and port, `smtpd_upstream_proxy_protocol = haproxy`), and curl as the
 * SMTP client. Postfix refuses connections without a valid PROXY header, and a client access map
 * on the announced address shows that the original client reached it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, type ProxyProcess, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { startPostfix } from './helpers/servers.ts';
import { needsRoot } from './helpers/system.ts';

const exec = promisify(execFile);
const skip = needsRoot('postfix', 'curl');
const tmp = tempDir();
let px: ProxyProcess;
let postfix: Awaited<ReturnType<typeof startPostfix>> | undefined;
let smtpPort = 0;
let proxyPort = 0;

/** Sends one message with curl through `port` from `from` (a loopback source address). */
async function send(port: number, from: string): Promise<{ ok: boolean; out: string }> {
  const mail = join(tmp.dir, 'mail.txt');
  writeFileSync(mail, 'Subject: through the balancer\r\n\r\nhello\r\n');
  return exec(
    'curl',
    [
      '-sS',
      '-v',
      '--max-time',
      '10',
      '--interface',
      from,
      `smtp://127.0.0.1:${port}`,
      '--mail-from',
      'a@example.com',
      '--mail-rcpt',
      'b@example.org',
      '-T',
      mail,
    ],
    { timeout: 15000 },
  ).then(
    (r) => ({ ok: true, out: r.stderr }),
    (e: { stderr?: string }) => ({ ok: false, out: e.stderr ?? '' }),
  );
}

before(async () => {
  if (skip) return;
  proxyPort = await freePort();
  postfix = await startPostfix({
    proxyProtocol: true,
    mainCf: `smtpd_client_restrictions = check_client_access inline:{{127.0.0.5 = 554 5.7.1 seen-127.0.0.5}}
smtpd_relay_restrictions = permit_mynetworks, reject
`,
  });
  smtpPort = postfix.port;
  const cfg = writeFile(
    tmp.dir,
    'mail.cfg',
    `global
  log stdout format raw local0
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 2s
  timeout client 30s
  timeout server 30s
listen smtp
  bind 127.0.0.1:${proxyPort}
  balance roundrobin
  server mx1 127.0.0.1:${smtpPort} send-proxy check
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await postfix?.stop();
  tmp.cleanup();
});

describe('SMTP through mode tcp with send-proxy to Postfix', { skip }, () => {
  test('Postfix takes the PROXY header: a message goes through; a direct connection without it is refused', async () => {
    const r = await send(proxyPort, '127.0.0.1');
    assert.ok(r.ok, r.out);
    assert.match(r.out, /< 220 mx\.test ESMTP/);
    assert.match(r.out, /< 250 2\.0\.0 Ok: queued/);
    const direct = await send(smtpPort, '127.0.0.1');
    assert.equal(direct.ok, false, direct.out);
    await px.waitFor(/smtp smtp\/mx1 \d+\/\d+\/\d+ \d+ -- /, 5000, 'stdout');
  });

  test("Postfix sees the original client's address from the header", async () => {
    const r = await send(proxyPort, '127.0.0.5');
    assert.equal(r.ok, false);
    assert.match(r.out, /554 5\.7\.1 <unknown\[127\.0\.0\.5\]>: Client host rejected: seen-127\.0\.0\.5/);
  });
});
