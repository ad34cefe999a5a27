/**
 * The state layer over configurations as users write them: parsed by packages/config, built by
 * packages/proxy, rules and fetches compiled by the state layer (through the ACL registry).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import { buildRuntime, makeTxn, registerFetch } from '@switchyard/proxy';
import { checkStateConfig, createStateLayer, registerStateFetches } from '@switchyard/state';

registerStateFetches(registerFetch);

const logger = { log() {} };

function load(text: string) {
  const parsed = parseConfig([{ file: 'h.cfg', text }]);
  const built = buildRuntime(parsed.model, { logger });
  return {
    parsed,
    built,
    diags: [...parsed.diagnostics, ...built.diagnostics, ...checkStateConfig(parsed.model, built.runtime)],
  };
}

const CFG = `
global
  redis-url redis://127.0.0.1:1/0
  cluster-name edge

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend fe
  bind 127.0.0.1:18999
  http-request track-sc0 src table per_ip
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }
  default_backend app

backend per_ip
  stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cur,gpc0

backend app
  balance roundrobin
  stick-table type ip size 1m expire 30m
  stick on src
  cookie SRV insert indirect nocache
  server s1 127.0.0.1:9001 cookie a
  server s2 127.0.0.1:9002 cookie b
`;

test('a real configuration compiles without diagnostics and rate-limits through the ACL', () => {
  const { built, diags } = load(CFG);
  assert.deepEqual(
    diags.filter((d) => d.severity === 'error').map((d) => `${d.loc.line}: ${d.message}`),
    [],
  );
  const rt = built.runtime;
  // in memory: the configured redis-url is dropped, this test is about the compiled rules
  const local = createStateLayer({
    ...rt,
    config: { ...rt.config, global: { ...rt.config.global, redisUrl: undefined } },
  });
  assert.deepEqual(local.diagnostics, []);
  const fe = rt.frontends.get('fe')!;
  const denyRule = fe.requestRules.find((r: { action: string }) => r.action === 'deny') as {
    cond?: (t: unknown) => boolean;
  };
  assert.ok(denyRule?.cond, 'deny rule has a compiled condition');
  const results: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    const txn = makeTxn({
      method: 'GET',
      url: '/',
      httpVersion: '1.1',
      rawHeaders: ['Host', 'x'],
      srcIp: '::ffff:10.0.0.7',
      srcPort: 1,
      dstIp: '127.0.0.1',
      dstPort: 80,
      ssl: false,
      frontend: 'fe',
    });
    local.hooks.trackSc!(txn, 'fe', 0);
    results.push(denyRule.cond!(txn));
    local.hooks.requestEnded!(txn, fe, 200);
  }
  assert.deepEqual(results, [false, false, false, true, true]);
  assert.equal(local.tables.get('per_ip')!.count, 1);
  void local.stop();
});

test('state problems are reported with FILE:LINE', () => {
  const { diags } = load(`
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
backend app
  stick-table type ip size 10 store server_key
  stick on src table nowhere
  server s1 127.0.0.1:9001
peers mypeers
  peer a 127.0.0.1:10000
`);
  const state = diags.filter((d) => d.code.startsWith('STATE_')).map((d) => `${d.code}@${d.loc.line}`);
  assert.ok(
    diags.some((d) => d.severity === 'error' && d.loc.line === 8 && /server_key/.test(d.message)),
    diags.map((d) => `${d.loc.line}: ${d.message}`).join('\n'),
  );
  assert.ok(state.includes('STATE_UNKNOWN_TABLE@9'), state.join(' '));
  assert.ok(state.includes('STATE_PEERS_VIA_REDIS@11'), state.join(' '));
});

test('stick rules with conditions and header keys, track-sc1 on a string table, fetches in ACLs', () => {
  const { built, diags } = load(`
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:18997
  http-request track-sc1 req.hdr(x-api-key) table per_key
  http-request deny deny_status 429 if { sc1_http_req_cnt gt 2 }
  http-request deny deny_status 403 if { src_get_gpc0(per_key) gt 0 }
  default_backend app
backend per_key
  stick-table type string len 16 size 1k expire 1m store http_req_cnt,gpc0
backend app
  stick-table type string len 32 size 1k expire 30m
  stick match req.hdr(x-user) if { path_beg /app }
  stick store-request req.hdr(x-user) if { path_beg /app }
  server s1 127.0.0.1:9001
  server s2 127.0.0.1:9002
`);
  assert.deepEqual(
    diags.filter((d) => d.severity === 'error').map((d) => `${d.loc.line}: ${d.message}`),
    [],
  );
  const rt = built.runtime;
  const layer = createStateLayer(rt);
  const fe = rt.frontends.get('fe')!;
  const be = rt.backends.get('app')!;
  const rules = fe.requestRules.filter((r: { action: string }) => r.action === 'deny') as Array<{
    cond: (t: unknown) => boolean;
  }>;
  const txn = (path: string, headers: string[]) =>
    makeTxn({
      method: 'GET',
      url: path,
      httpVersion: '1.1',
      rawHeaders: headers,
      srcIp: '10.0.0.1',
      srcPort: 1,
      dstIp: '127.0.0.1',
      dstPort: 80,
      ssl: false,
      frontend: 'fe',
    });

  const denied: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    const t = txn('/', ['X-Api-Key', 'key-123']);
    layer.hooks.trackSc!(t, 'fe', 0);
    denied.push(rules[0].cond(t));
    layer.hooks.requestEnded!(t, fe, 200);
  }
  assert.deepEqual(denied, [false, false, true, true], 'sc1_http_req_cnt gt 2');
  assert.equal(layer.tables.get('per_key')!.count, 1);

  // conditions on stick rules: only /app requests stick
  const a = txn('/app/x', ['X-User', 'alice']);
  assert.equal(layer.hooks.persistentServer!(a, be), undefined);
  layer.hooks.serverChosen!(a, be, be.servers[1]);
  assert.equal(layer.hooks.persistentServer!(txn('/app/y', ['X-User', 'alice']), be), be.servers[1]);
  assert.equal(
    layer.hooks.persistentServer!(txn('/other', ['X-User', 'alice']), be),
    undefined,
    'condition false: no match',
  );
  const b = txn('/other', ['X-User', 'bob']);
  layer.hooks.persistentServer!(b, be);
  layer.hooks.serverChosen!(b, be, be.servers[0]);
  assert.equal(layer.tables.get('app')!.count, 1, 'condition false: nothing stored');
  void layer.stop();
});
