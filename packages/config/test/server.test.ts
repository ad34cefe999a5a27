import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, DEFAULTS, parse, proxy } from './helpers.ts';

test('server defaults are HAProxy defaults', () => {
  const r = parse(`${DEFAULTS}backend b\n  server s1 10.0.0.1:80\n`);
  assert.deepEqual(r.diagnostics, []);
  const { loc, ...s } = proxy(r, 'b').servers[0];
  assert.deepEqual(s, {
    name: 's1',
    host: '10.0.0.1',
    port: 80,
    weight: 1,
    backup: false,
    disabled: false,
    check: false,
    inter: 2000,
    rise: 2,
    fall: 3,
    agentCheck: false,
    errorLimit: 10,
    onError: 'fail-check',
    ssl: false,
    verify: 'required',
    id: 1,
  });
  assert.deepEqual(loc, { file: 't.cfg', line: 7 });
});

test('every server parameter', () => {
  const r = parse(`${DEFAULTS}backend b
  server s1 [::1]:8080 weight 0 backup maxconn 100 maxqueue 10 disabled check inter 3s fastinter 500 downinter 10s rise 5 fall 4 port 8081 addr 127.0.0.2 slowstart 30s agent-check agent-port 9999 agent-inter 5s agent-addr 127.0.0.3 agent-send "ping\\n" observe layer7 error-limit 5 on-error mark-down on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions cookie s1c ssl verify none sni req.hdr(host) ca-file /etc/ca.pem check-ssl check-sni example.com init-addr last,libc,none id 9
  server s2 app.internal:80 enabled no-check
`);
  assert.deepEqual(r.diagnostics, []);
  const [s1, s2] = proxy(r, 'b').servers;
  const { loc, ...x } = s1;
  assert.deepEqual(x, {
    name: 's1',
    host: '::1',
    port: 8080,
    weight: 0,
    backup: true,
    maxconn: 100,
    maxqueue: 10,
    disabled: true,
    check: true,
    inter: 3000,
    fastinter: 500,
    downinter: 10000,
    rise: 5,
    fall: 4,
    checkPort: 8081,
    checkAddr: '127.0.0.2',
    slowstart: 30000,
    agentCheck: true,
    agent: { port: 9999, inter: 5000, addr: '127.0.0.3', send: 'ping\n' },
    observe: 'layer7',
    errorLimit: 5,
    onError: 'mark-down',
    onMarkedDown: 'shutdown-sessions',
    onMarkedUp: 'shutdown-backup-sessions',
    cookie: 's1c',
    ssl: true,
    verify: 'none',
    sni: 'req.hdr(host)',
    caFile: '/etc/ca.pem',
    checkSsl: true,
    checkSni: 'example.com',
    initAddr: 'last,libc,none',
    id: 9,
    idForced: true,
  });
  assert.deepEqual([s2.host, s2.port, s2.disabled, s2.check, s2.id], ['app.internal', 80, false, false, 1]);
});

test('default-server applies to later servers and is inherited from defaults', () => {
  const r = parse(`defaults
  timeout connect 1s
  timeout server 1s
  default-server inter 1s fall 2
backend b
  server early 10.0.0.1:80
  default-server rise 7 check
  server late 10.0.0.2:80 fall 9
backend c
  server c1 10.0.0.3:80
`);
  assert.deepEqual(r.diagnostics, []);
  const [early, late] = proxy(r, 'b').servers;
  assert.deepEqual([early.inter, early.fall, early.rise, early.check], [1000, 2, 2, false]);
  assert.deepEqual([late.inter, late.fall, late.rise, late.check], [1000, 9, 7, true]);
  const [c1] = proxy(r, 'c').servers;
  assert.deepEqual([c1.inter, c1.fall, c1.rise, c1.check], [1000, 2, 2, false]);
});

test('server ids: in order from 1, skipping explicit ones; duplicates refused', () => {
  const r = parse(`${DEFAULTS}backend b\n  server a 1.1.1.1:80\n  server b 1.1.1.2:80 id 1\n  server c 1.1.1.3:80\n`);
  assert.deepEqual(
    proxy(r, 'b').servers.map((s) => [s.name, s.id]),
    [
      ['a', 2],
      ['b', 1],
      ['c', 3],
    ],
  );
  const d = parse(`${DEFAULTS}backend b\n  server a 1.1.1.1:80 id 4\n  server b 1.1.1.2:80 id 4\n`);
  assert.deepEqual(codes(d), ['8 CFG_DUPLICATE_ID']);
});

test('server errors, each with its line', () => {
  const r = parse(`${DEFAULTS}backend b
  server s1 10.0.0.1
  server s2 10.0.0.1:80 wieght 3
  server s3 10.0.0.1:80 weight 300
  server s4 10.0.0.1:80 send-proxy-v2-ssl
  server s5 10.0.0.1:80 resolve-prefer ipv5
  server s6 10.0.0.1:80 inter
  server s7 10.0.0.1:80 inter soon
  server s8
  server s9 10.0.0.1:80 observe layer9
  server s10 10.0.0.1:+1
  server s11 /run/app.sock
  server bad/name 10.0.0.1:80
  server s12 10.0.0.1:80 rise 0
  server s13 10.0.0.1:80 on-error explode
  server s14 10.0.0.1:80 addr 10.0.0.2:80
  server s15 10.0.0.1:80 inter 0
  default-server id 3
`);
  assert.deepEqual(codes(r), [
    '7 CFG_BAD_PORT',
    '8 CFG_UNKNOWN_KEYWORD',
    '9 CFG_BAD_VALUE',
    '10 CFG_UNSUPPORTED',
    '11 CFG_BAD_VALUE',
    '12 CFG_MISSING_ARG',
    '13 CFG_BAD_VALUE',
    '14 CFG_MISSING_ARG',
    '15 CFG_BAD_VALUE',
    '16 CFG_BAD_ADDRESS',
    '17 CFG_UNSUPPORTED',
    '18 CFG_BAD_NAME',
    '19 CFG_BAD_VALUE',
    '20 CFG_BAD_VALUE',
    '21 CFG_BAD_VALUE',
    '22 CFG_BAD_VALUE',
    '23 CFG_NOT_ALLOWED_HERE',
  ]);
  const m = r.diagnostics.map((d) => d.message);
  assert.equal(
    m[0],
    "server 'b/s1': missing port in '10.0.0.1' (Switchyard needs HOST:PORT; HAProxy would reuse the client's destination port)",
  );
  assert.equal(m[1], "server 'b/s2': unknown keyword 'wieght'; did you mean 'weight'?");
  assert.equal(m[2], "server 'b/s3': 'weight' must be between 0 and 256, got 300");
  assert.equal(m[5], "server 'b/s6': 'inter' expects a value");
  assert.equal(
    m[6],
    "server 'b/s7': 'inter' invalid time 'soon': expected a number with an optional unit (us, ms, s, m, h, d)",
  );
  assert.equal(m[3], "server 'b/s4': 'send-proxy-v2-ssl' is not supported");
  assert.equal(m[9], "server 'b/s10': port offsets ('+1') are not supported: write the server's port explicitly");
  // Nothing half-parsed is kept.
  assert.equal(proxy(r, 'b').servers.length, 0);
});

test('duplicate server names are refused with the first line', () => {
  const r = parse(`${DEFAULTS}backend b\n  server s1 1.1.1.1:80\n  server s1 1.1.1.2:80\n`);
  assert.deepEqual(codes(r), ['8 CFG_DUPLICATE_NAME']);
  assert.equal(
    r.diagnostics[0].message,
    "backend 'b': another server named 's1' was already defined at line 7, please use distinct names",
  );
});

test('transport tuning parameters warn and are otherwise accepted', () => {
  const r = parse(`${DEFAULTS}backend b\n  server s1 1.1.1.1:80 pool-max-conn 10 tfo minconn 5\n`);
  assert.deepEqual(codes(r), ['7 CFG_IGNORED_KEYWORD', '7 CFG_IGNORED_KEYWORD']);
  assert.equal(proxy(r, 'b').servers[0].poolMaxConn, 10);
});

test('proto h2, max-reuse, pool-max-conn, pool-purge-delay and http-reuse are parsed; ssl alpn h2 alone is accepted', () => {
  const r = parse(
    `${DEFAULTS}backend b\n  http-reuse always\n  server s 1.1.1.1:80 proto h2 max-reuse 3 pool-max-conn -1 pool-purge-delay 2s\n`,
  );
  assert.deepEqual(codes(r), []);
  const s = proxy(r, 'b').servers[0];
  assert.equal(s.proto, 'h2');
  assert.equal(s.maxReuse, 3);
  assert.equal(s.poolMaxConn, -1);
  assert.equal(s.poolPurgeDelay, 2000);
  assert.equal(proxy(r, 'b').httpReuse, 'always');
  const bad = parse(
    `${DEFAULTS}backend b\n  server t 1.1.1.1:443 ssl verify none alpn h2,http/1.1\n  http-reuse sometimes\n`,
  );
  assert.deepEqual(codes(bad), ['8 CFG_BAD_VALUE']);
});

test('check-proto and check-alpn: parsed, bad values refused with their line, check-alpn without TLS warns', () => {
  const r = parse(
    `${DEFAULTS}backend b\n  server a 1.1.1.1:80 check check-proto h2\n  server c 1.1.1.1:443 ssl verify none check check-alpn h2,http/1.1 check-proto h1\n`,
  );
  assert.deepEqual(codes(r), []);
  const [a, c] = proxy(r, 'b').servers;
  assert.equal(a.checkProto, 'h2');
  assert.deepEqual(c.checkAlpn, ['h2', 'http/1.1']);
  assert.equal(c.checkProto, 'h1');
  const bad = parse(
    `${DEFAULTS}backend b\n  server a 1.1.1.1:80 check check-proto fcgi\n  server c 1.1.1.1:443 ssl check check-alpn h3\n  server d 1.1.1.1:80 check check-alpn h2\n`,
  );
  assert.deepEqual(codes(bad), ['7 CFG_BAD_VALUE', '8 CFG_BAD_VALUE', '9 CFG_NO_EFFECT']);
});

test('ssl-server-verify none turns off verification of servers without a CA file', () => {
  const r = parse(
    `global\n  ssl-server-verify none\n${DEFAULTS}backend b\n  server a 1.1.1.1:443 ssl\n  server b 1.1.1.2:443 ssl ca-file /ca.pem\n`,
  );
  assert.deepEqual(
    proxy(r, 'b').servers.map((s) => s.verify),
    ['none', 'required'],
  );
});
