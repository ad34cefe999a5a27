/**
 * The state layer over configurations as users write them: parsed by packages/config, built by
 * packages/proxy, rules and fetches compiled by the state layer (through the ACL registry).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import { buildRuntime, makeTxn } from '@switchyard/proxy';
import { checkStateConfig, createStateLayer } from '@switchyard/state';

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
  stick-table type ip size 10 store bytes_out_rate(1s)
  stick on src table nowhere
  server s1 127.0.0.1:9001
peers mypeers
  peer a 127.0.0.1:10000
`);
  const state = diags.filter((d) => d.code.startsWith('STATE_')).map((d) => `${d.code}@${d.loc.line}`);
  assert.ok(state.includes('STATE_BAD_STORE_TYPE@8'), state.join(' '));
  assert.ok(state.includes('STATE_UNKNOWN_TABLE@9'), state.join(' '));
  assert.ok(state.includes('STATE_PEERS_VIA_REDIS@11'), state.join(' '));
});
