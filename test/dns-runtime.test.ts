/**
 * Runtime API over service discovery against a real dnsmasq: `show resolvers [ID]` and `set server
 * B/S fqdn NAME` answer as Debian's haproxy 2.6 (replies byte for byte, `show resolvers` line for
 * line with the counter values blanked), a new FQDN moves the traffic without a reload, and a
 * nameserver answering for another name (poisoning) is ignored with a log line. The same runs in
 * one process and under `--workers 2`, where the primary resolves and every worker follows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SERVERS_STATE_HEADER } from '../packages/admin/src/runtime-api/servers-state.ts';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { type Dnsmasq, servePair, startDnsmasq } from './helpers/dnsmasq.ts';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  tempDir,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { findBinary, needs } from './helpers/system.ts';

/**
 * A hostile nameserver, by the first label asked: `evil` gets an A record for another name (a
 * poisoning attempt), `trunc` a truncated (TC) answer, `junk` 8 bytes that are no DNS message.
 * HAProxy and Switchyard must both ignore them.
 */
function poisoner(port: number): Promise<UdpSocket> {
  const sock = createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    if (q.length < 12) return;
    const end = q.indexOf(0, 12) + 5; // question: name, type, class
    const label = q.toString('latin1', 13, 13 + q[12]);
    if (label === 'junk')
      return void sock.send(
        Buffer.concat([q.subarray(0, 2), Buffer.from('\x81\x80junk', 'latin1')]),
        rinfo.port,
        rinfo.address,
      );
    const name =
      label === 'evil'
        ? Buffer.from([5, ...Buffer.from('other'), 3, ...Buffer.from('com'), 0])
        : Buffer.from([0xc0, 12]);
    const rr = Buffer.concat([name, Buffer.from([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 66])]);
    const head = Buffer.from(q.subarray(0, 12));
    head.writeUInt16BE(label === 'trunc' ? 0x8380 : 0x8180, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(1, 6);
    head.writeUInt16BE(0, 8);
    head.writeUInt16BE(0, 10);
    sock.send(Buffer.concat([head, q.subarray(12, end), rr]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => sock.bind(port, '127.0.0.1', () => resolve(sock)));
}

const config = (sock: string, fe: number, dns: number, evil: number, app: number) => `global
  stats socket ${sock} level admin
resolvers dns
  nameserver ns1 127.0.0.1:${dns}
  timeout resolve 200ms
  timeout retry 200ms
  hold valid 1s
  hold nx 600ms
  hold other 600ms
resolvers evil
  nameserver bad 127.0.0.1:${evil}
  timeout resolve 300ms
  timeout retry 300ms
resolvers trunc
  nameserver bad 127.0.0.1:${evil}
  timeout resolve 300ms
  timeout retry 300ms
resolvers junk
  nameserver bad 127.0.0.1:${evil}
  timeout resolve 300ms
  timeout retry 300ms
resolvers spare
  nameserver one 127.0.0.1:${dns}
  nameserver two 127.0.0.1:${dns}
${defaults()}frontend fe
  bind 127.0.0.1:${fe}
  use_backend ev if { path_beg /evil }
  use_backend t if { path_beg /t }
  default_backend b
backend b
  server s1 app.svc.local:${app} resolvers dns resolve-prefer ipv4 init-addr none
  server s2 127.0.0.1:9 disabled
  server s3 app.svc.local:${app} init-addr none disabled
  server s4 127.0.0.1:${app} resolvers dns disabled
backend t
  server-template web 2 _http._tcp.svc.local resolvers dns init-addr none
backend ev
  server e1 evil.svc.local:${app} resolvers evil resolve-prefer ipv4 init-addr none
  server e2 trunc.svc.local:${app} resolvers trunc resolve-prefer ipv4 init-addr none
  server e3 junk.svc.local:${app} resolvers junk resolve-prefer ipv4 init-addr none
`;

/** The reply commands compared byte for byte with haproxy's. */
const FQDN_COMMANDS = [
  'show resolvers nope',
  'set server b/s1 fqdn',
  'set server b/s2 fqdn other.svc.local',
  'set server b/s3 fqdn other.svc.local',
  'set server t/web1 fqdn other.svc.local',
  'set server b/s1 fqdn bad_name!',
  'set server b/s1 fqdn a..b',
  'set server b/s1 fqdn .a',
  `set server b/s1 fqdn ${'a'.repeat(256)}`,
  'set server b/s1 fqdn app.svc.local',
  'set server b/s4 fqdn other.svc.local',
  'set server b/s1 fqdn other.svc.local',
  'set server b/s1 fqdn other.svc.local',
];

/** `show resolvers` with the counter values blanked (they depend on timing). */
const shape = (t: string) => t.replace(/^( {2}[a-z_]+: +)\d+$/gm, '$1N');

/** haproxy 2.6 adds a `default` section read from /etc/resolv.conf; Switchyard has none (README). */
const withoutDefault = (t: string) => t.replace(/Resolvers section default\n(?: .*\n)*/, '');

describe('runtime API over service discovery (dnsmasq)', { skip: needs('dnsmasq') }, () => {
  const tmp = tempDir();
  let dns: Dnsmasq;
  let evil: UdpSocket;
  let evilPort = 0;
  let app = 0;
  const servers: Server[] = [];
  /** The SRV record filling the template's first slot. */
  const srv = () => [`_http._tcp.svc.local,app.svc.local,${app},0,100`];

  before(async () => {
    const pair = await servePair();
    app = pair.port;
    servers.push(...pair.servers);
    const hosts = '127.0.0.11 app.svc.local\n127.0.0.12 other.svc.local\n';
    dns = await startDnsmasq(tmp.dir, await freePort(), 'svc.local', hosts, srv());
    evilPort = await freePort();
    evil = await poisoner(evilPort);
  });

  after(async () => {
    await dns?.stop();
    evil?.close();
    for (const s of servers) s.close();
    tmp.cleanup();
  });

  const who = async (fe: number, path = '/') => {
    const r = await rawRequest(fe, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    return /x-upstream: (\w+)/i.exec(r)?.[1] ?? r.split('\r\n')[0];
  };

  for (const workers of [1, 2]) {
    test(`show resolvers and set server fqdn (${workers === 1 ? 'one process' : '--workers 2'})`, async (t) => {
      const sock = join(tmp.dir, `y${workers}.sock`);
      const fe = await freePort();
      const args = ['-f', writeFile(tmp.dir, `y${workers}.cfg`, config(sock, fe, dns.port, evilPort, app))];
      if (workers > 1) args.push('--workers', String(workers));
      const sy: ProxyProcess = await startProxy(args);
      t.after(() => sy.stop());
      const q = (c: string) => cliQuery({ path: sock }, c);

      // every worker serves app.svc.local's address (new connections spread over the workers)
      await until(async () => (await who(fe)) === 'A', 10_000, 'traffic to A');
      for (let i = 0; i < 6; i++) assert.equal(await who(fe), 'A');

      const shown = await q('show resolvers');
      assert.match(shown, /^Resolvers section dns\n nameserver ns1:\n {2}sent: {8}\d+\n/);
      assert.ok(Number(/ nameserver ns1:\n {2}sent: +(\d+)/.exec(shown)?.[1]) > 0, shown);
      assert.ok(Number(/ nameserver ns1:\n(?:.*\n){2} {2}valid: +(\d+)/.exec(shown)?.[1]) > 0, shown);
      assert.match(shown, /Resolvers section spare\n nameserver one:\n {2}sent: {8}0\n/);
      // the last section: its block is the end of the full dump, and its counters stay at 0
      assert.equal(
        await q('show resolvers spare'),
        `Resolvers section spare${shown.split('Resolvers section spare')[1]}`,
      );

      // the poisoned answer is ignored and logged; the server stays without an address
      await until(() => /answer for 'evil\.svc\.local' ignored: /.test(sy.stderr()), 10_000, 'poison log line');
      assert.match(
        sy.stderr(),
        /resolvers 'evil': nameserver 'bad': answer for 'evil\.svc\.local' ignored: answer record for 'other\.com', not 'evil\.svc\.local'/,
      );
      await until(
        () => /answer for 'trunc\.svc\.local' ignored: truncated answer \(TC bit set\)/.test(sy.stderr()),
        10_000,
        'truncated log line',
      );
      await until(
        () => /answer for 'junk\.svc\.local' ignored: answer of 8 bytes is shorter than a DNS header/.test(sy.stderr()),
        10_000,
        'junk log line',
      );
      assert.match(await q('show resolvers trunc'), /\n {2}truncated: +[1-9]\d*\n/);
      assert.match(await q('show resolvers junk'), /\n {2}invalid: +[1-9]\d*\n/);
      assert.match(await who(fe, '/evil'), /503/);
      assert.match(await q('show resolvers evil'), /\n {2}invalid: +[1-9]\d*\n/);

      // a server-template slot appears from the SRV record, and leaves with it, in every worker
      const all = async (path: string, want: RegExp) =>
        (await Promise.all([who(fe, path), who(fe, path), who(fe, path), who(fe, path)])).every((x) => want.test(x));
      await until(() => all('/t', /^A$/), 10_000, 'every worker sends /t to the SRV slot');
      assert.match(
        await q('show servers state t'),
        new RegExp(`\\n\\d+ t 1 web1 127\\.0\\.0\\.11 2 0 1 1 .* app\\.svc\\.local ${app} `),
      );
      assert.match(await q('show servers state t'), /\n\d+ t 2 web2 - 0 /);
      await dns.restart([]);
      await until(() => all('/t', /503/), 10_000, 'the slot leaves in every worker');
      await dns.restart(srv());
      await until(() => all('/t', /^A$/), 10_000, 'and comes back');

      for (const c of FQDN_COMMANDS.slice(0, -2)) await q(c);
      assert.equal(
        await q('set server b/s1 fqdn other.svc.local'),
        "b/s1 changed its FQDN from app.svc.local to other.svc.local by 'stats socket command'\n\n",
      );
      await until(async () => (await who(fe)) === 'B', 10_000, 'traffic to B after set server fqdn');
      for (let i = 0; i < 6; i++) assert.equal(await who(fe), 'B', 'every worker follows');
      assert.match(sy.stderr(), /b\/s1 changed its IP from 127\.0\.0\.11 to 127\.0\.0\.12 by dns\/ns1\./);
      assert.equal(
        await q('set server b/s1 fqdn other.svc.local'),
        "no need to change the FDQN by 'stats socket command'\n\n",
      );

      // a reload reads the configuration's name again (as haproxy's new process would)
      sy.proc.kill('SIGHUP');
      await until(async () => (await who(fe)) === 'A', 20_000, 'traffic back to A after the reload');
      await until(
        async () => (await Promise.all([who(fe), who(fe), who(fe), who(fe)])).every((x) => x === 'A'),
        20_000,
        'every worker back to A',
      );
      assert.match(
        await q('show servers state b'),
        /\n\d+ b 1 s1 127\.0\.0\.11 2 0 1 1 \d+ \d+ \d+ \d+ \d+ \d+ \d+ \d+ app\.svc\.local /,
      );
    });
  }

  for (const workers of [1, 2]) {
    test(`init-addr last,none: the address of the server-state-file first, then the DNS's (${workers === 1 ? 'one process' : '--workers 2'})`, async (t) => {
      const fe = await freePort();
      writeFile(
        tmp.dir,
        `state${workers}`,
        `1\n${SERVERS_STATE_HEADER}\n3 b 1 s1 127.0.0.12 2 0 1 1 5 1 0 2 0 0 0 0 app.svc.local ${app} - 0 0 - - 0\n`,
      );
      const cfg = `global
  server-state-file ${join(tmp.dir, `state${workers}`)}
${defaults()}resolvers dns
  nameserver ns1 127.0.0.1:${dns.port}
  timeout resolve 200ms
frontend fe
  bind 127.0.0.1:${fe}
  default_backend b
backend b
  load-server-state-from-file global
  server s1 app.svc.local:${app} resolvers dns resolve-prefer ipv4 init-addr last,none
`;
      const args = ['-f', writeFile(tmp.dir, `last${workers}.cfg`, cfg)];
      if (workers > 1) args.push('--workers', String(workers));
      const sy = await startProxy(args);
      t.after(() => sy.stop());
      // it started on the saved address (not in MAINT waiting for the DNS), then followed the DNS
      await sy.waitFor('b/s1 changed its IP from 127.0.0.12 to 127.0.0.11 by dns/ns1.', 10_000);
      assert.doesNotMatch(sy.stderr(), /changed its IP from \(none\)/);
      await until(async () => (await who(fe)) === 'A', 10_000, 'traffic to A');
      for (let i = 0; i < 4; i++) assert.equal(await who(fe), 'A');
    });
  }

  test("the replies and the show resolvers format are haproxy 2.6's", { skip: needs('haproxy') }, async (t) => {
    const hs = join(tmp.dir, 'h.sock');
    const ys = join(tmp.dir, 'c.sock');
    const hp = spawn(
      findBinary('haproxy') ?? 'haproxy',
      ['-db', '-dR', '-f', writeFile(tmp.dir, 'h.cfg', config(hs, await freePort(), dns.port, evilPort, app))],
      {
        stdio: 'ignore',
      },
    );
    t.after(() => hp.kill('SIGKILL'));
    const sy = await startProxy([
      '-f',
      writeFile(tmp.dir, 'c.cfg', config(ys, await freePort(), dns.port, evilPort, app)),
    ]);
    t.after(() => sy.stop());
    await until(() => existsSync(hs), 20_000, 'haproxy socket');
    for (const c of FQDN_COMMANDS) assert.equal(await cliQuery({ path: ys }, c), await cliQuery({ path: hs }, c), c);
    for (const c of ['show resolvers', 'show resolvers dns', 'show resolvers spare'])
      assert.equal(shape(await cliQuery({ path: ys }, c)), withoutDefault(shape(await cliQuery({ path: hs }, c))), c);
    // the hostile answers land in the same counters (values aside): once both asked twice
    const counted = async (sock: string, section: string) => {
      const out = await cliQuery({ path: sock }, `show resolvers ${section}`);
      return [...out.matchAll(/^ {2}([a-z_]+): +([1-9]\d*)$/gm)].map((m) => m[1]).filter((n) => n !== 'sent');
    };
    const asked = async (sock: string, section: string) =>
      Number(/sent: +(\d+)/.exec(await cliQuery({ path: sock }, `show resolvers ${section}`))?.[1]) >= 2;
    for (const section of ['evil', 'trunc', 'junk']) {
      await until(async () => (await asked(hs, section)) && (await asked(ys, section)), 10_000, `${section} asked`);
      const theirs = await counted(hs, section);
      assert.ok(theirs.length > 0, section);
      assert.deepEqual(await counted(ys, section), theirs, section);
    }
  });
});
