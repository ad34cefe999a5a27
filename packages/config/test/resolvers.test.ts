/**
 * `resolvers` sections, server DNS parameters and `server-template`: the model, FILE:LINE errors,
 * and a line-by-line differential against `haproxy -c` (same accept/refuse, same line reported).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseConfig } from '@switchyard/config';
import { findBinary, needs } from '../../../test/helpers/system.ts';

const run = promisify(execFile);

const cfg = (resolvers: string, server: string) => `global
  log stdout format raw local0
defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
resolvers dns
  nameserver ns1 127.0.0.1:53
  ${resolvers}
backend b
  ${server}
frontend f
  bind 127.0.0.1:18501
  default_backend b
`;
const RES_LINE = 10;
const SRV_LINE = 12;

test('resolvers model: defaults, every keyword, server parameters, template slots', () => {
  const r = parseConfig(
    [
      {
        file: 'r.cfg',
        text: `resolvers dns
  nameserver ns1 127.0.0.1:5353
  nameserver ns2 udp@[::1]:53
  accepted_payload_size 8192
  resolve_retries 5
  timeout resolve 2s
  timeout retry 300ms
  hold valid 20s
  hold nx 5s
  hold obsolete 1s
resolvers other
backend b
  server s1 www.example.com:80 resolvers dns resolve-prefer ipv4 resolve-net 10.0.0.0/8,fd00::/8 resolve-opts allow-dup-ip,ignore-weight init-addr last,none
  server-template web 2-4 _http._tcp.svc.local resolvers dns
`,
      },
    ],
    { env: {} },
  );
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.code === 'CFG_NO_EFFECT').map((d) => d.loc.line),
    [11],
    'a resolvers section with no nameserver warns',
  );
  const [dns, other] = r.model.resolvers ?? [];
  assert.deepEqual(
    dns.nameservers.map((n) => [n.id, n.host, n.port]),
    [
      ['ns1', '127.0.0.1', 5353],
      ['ns2', '::1', 53],
    ],
  );
  assert.equal(dns.acceptedPayloadSize, 8192);
  assert.equal(dns.resolveRetries, 5);
  assert.equal(dns.timeoutResolve, 2000);
  assert.equal(dns.timeoutRetry, 300);
  assert.deepEqual(dns.hold, {
    valid: 20_000,
    nx: 5000,
    timeout: 30_000,
    refused: 30_000,
    other: 30_000,
    obsolete: 1000,
  });
  assert.deepEqual(
    { p: other.acceptedPayloadSize, r: other.resolveRetries, t: other.timeoutResolve, h: other.hold.valid },
    { p: 512, r: 3, t: 1000, h: 10_000 },
    "haproxy's defaults",
  );
  const [s1, ...slots] = r.model.proxies[0].servers;
  assert.equal(s1.resolvers, 'dns');
  assert.equal(s1.resolvePrefer, 'ipv4');
  assert.deepEqual(s1.resolveNet, ['10.0.0.0/8', 'fd00::/8']);
  assert.deepEqual(s1.resolveOpts, ['allow-dup-ip', 'ignore-weight']);
  assert.deepEqual(
    slots.map((s) => [s.name, s.host, s.port, s.template?.index, s.template?.count]),
    [
      ['web2', '_http._tcp.svc.local', 0, 0, 3],
      ['web3', '_http._tcp.svc.local', 0, 1, 3],
      ['web4', '_http._tcp.svc.local', 0, 2, 3],
    ],
  );
});

test('resolvers errors carry FILE:LINE and haproxy words', () => {
  const r = parseConfig(
    [
      {
        file: 'e.cfg',
        text: `resolvers dns
  nameserver ns1
  nameserver ns1 127.0.0.1
  nameserver ns1 127.0.0.1:53
  nameserver ns1 127.0.0.2:53
  accepted_payload_size 11
  accepted_payload_size 70000
  hold sometimes 1s
  hold nx
  hold nx 1x
  timeout query 1s
  timeout retry
  resolution_pool_size 10
  bogus 1
resolvers dns
backend b
  server s1 a.example:80 resolvers nope
  server s2 a.example:80 resolve-prefer ipv5
  server s3 a.example:80 resolve-net 10.0.0.0/33
  server s4 a.example:80 resolve-opts keep-it
  server-template web 0 a.example:80
  server-template w\\/x 3 a.example:80
  server-template web 3 _http._tcp.a.example
`,
      },
    ],
    { env: {} },
  );
  const errs = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.loc.line} ${d.message}`);
  assert.deepEqual(errs, [
    "2 'nameserver' expects <name> and <addr>[:<port>] as arguments",
    "3 'nameserver ns1' : missing port number: '127.0.0.1'",
    "5 nameserver 'ns1' has same name as another nameserver (declared at e.cfg:4)",
    "6 'accepted_payload_size' must be between 12 and 65535 inclusive (was 11)",
    "7 'accepted_payload_size' must be between 12 and 65535 inclusive (was 70000)",
    "8 'hold' unknown <event>: 'sometimes', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'",
    "9 'hold' expects an <event> and a <time> as arguments; <event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'",
    errs[7],
    "11 'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'query'",
    "12 'timeout retry' expects <time> as argument",
    "13 'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release)",
    "14 unknown keyword 'bogus' in 'resolvers' section",
    "15 resolvers 'dns' has same name as another resolvers (declared at e.cfg:1).",
    "18 server 'b/s2': 'resolve-prefer' expects either ipv4 or ipv6 as argument.",
    "19 server 'b/s3': 'resolve-net' invalid network '10.0.0.0/33'.",
    "20 server 'b/s4': 'resolve-opts' : unknown resolve-opts option 'keep-it', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'.",
    "21 Wrong server-template number or range arg '0'.",
    "22 character '\\' is not permitted in server-template prefix 'w\\/x'.",
    "23 server-template 'b/web': SRV record '_http._tcp.a.example' needs a 'resolvers' section ('resolvers NAME')",
    "17 backend 'b', server 's1': unable to find required resolvers 'nope'",
  ]);
  assert.match(errs[7], /^10 'hold nx': invalid time/);
});

/** Lines in the resolvers section (first) or the backend (second) and whether haproxy -c takes them. */
const LINES: Array<[string, string]> = [
  ['accepted_payload_size 8192', 'server s1 127.0.0.1:80'],
  ['accepted_payload_size 11', 'server s1 127.0.0.1:80'],
  ['accepted_payload_size 65536', 'server s1 127.0.0.1:80'],
  ['resolve_retries 3', 'server s1 127.0.0.1:80'],
  ['resolve_retries', 'server s1 127.0.0.1:80'],
  ['timeout resolve 1s', 'server s1 127.0.0.1:80'],
  ['timeout retry 500ms', 'server s1 127.0.0.1:80'],
  ['timeout retry 0', 'server s1 127.0.0.1:80'],
  ['timeout query 1s', 'server s1 127.0.0.1:80'],
  ['timeout retry', 'server s1 127.0.0.1:80'],
  ['hold valid 10s', 'server s1 127.0.0.1:80'],
  ['hold obsolete 0s', 'server s1 127.0.0.1:80'],
  ['hold refused 1s', 'server s1 127.0.0.1:80'],
  ['hold sometimes 1s', 'server s1 127.0.0.1:80'],
  ['hold nx', 'server s1 127.0.0.1:80'],
  ['hold nx 1x', 'server s1 127.0.0.1:80'],
  ['nameserver ns2 127.0.0.2:53', 'server s1 127.0.0.1:80'],
  ['nameserver ns1 127.0.0.2:53', 'server s1 127.0.0.1:80'],
  ['nameserver ns2 127.0.0.2', 'server s1 127.0.0.1:80'],
  ['nameserver ns2', 'server s1 127.0.0.1:80'],
  ['resolution_pool_size 10', 'server s1 127.0.0.1:80'],
  ['bogus', 'server s1 127.0.0.1:80'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns resolve-prefer ipv4'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns resolve-prefer ipv5'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers nope'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns resolve-net 10.0.0.0/8'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns resolve-net 10.0.0.0/40'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns resolve-opts allow-dup-ip'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns resolve-opts nope'],
  ['hold valid 1s', 'server s1 localhost:80 resolvers dns init-addr none'],
  ['hold valid 1s', 'server-template web 3 localhost:80 resolvers dns'],
  ['hold valid 1s', 'server-template web 1-3 localhost:80 resolvers dns init-addr none'],
  ['hold valid 1s', 'server-template web 0 localhost:80 resolvers dns'],
  ['hold valid 1s', 'server-template web 3 _http._tcp.svc.local resolvers dns init-addr none'],
  ['hold valid 1s', 'server-template web 3-1 localhost:80 resolvers dns'],
];

test('line by line, resolvers and DNS server lines: haproxy 2.6 -c agrees, on the same line', {
  skip: needs('haproxy'),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-res-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const haproxy = findBinary('haproxy') as string;
  const mismatches: string[] = [];
  await Promise.all(
    LINES.map(async ([res, srv], i) => {
      const file = join(dir, `r${i}.cfg`);
      const text = cfg(res, srv);
      writeFileSync(file, text);
      const theirs = await run(haproxy, ['-c', '-f', file], { timeout: 60_000 }).then(
        () => ({ ok: true, out: '' }),
        (e: { stderr?: string }) => ({ ok: false, out: e.stderr ?? '' }),
      );
      const errs = parseConfig([{ file, text }], { env: {} }).diagnostics.filter((d) => d.severity === 'error');
      const ours = errs.length === 0;
      if (ours !== theirs.ok) {
        mismatches.push(
          `${res} | ${srv}: haproxy ${theirs.ok ? 'accepts' : 'refuses'}, switchyard ${ours ? 'accepts' : 'refuses'}`,
        );
        return;
      }
      if (ours) return;
      // the line haproxy names, when it names one, is ours
      const m = /\[[^\]]*:(\d+)\]/.exec(theirs.out);
      const line = m ? Number(m[1]) : undefined;
      if (line !== undefined && !errs.some((e) => e.loc.line === line))
        mismatches.push(
          `${res} | ${srv}: haproxy reports line ${line}, switchyard ${errs.map((e) => e.loc.line).join(',')}`,
        );
      if (line === undefined && !errs.some((e) => e.loc.line === RES_LINE || e.loc.line === SRV_LINE))
        mismatches.push(`${res} | ${srv}: switchyard reports line ${errs.map((e) => e.loc.line).join(',')}`);
    }),
  );
  assert.deepEqual(mismatches, []);
});
