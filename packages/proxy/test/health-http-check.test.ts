/** HTTP check requests byte for byte (as captured from haproxy 2.6), expect rules, agent replies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigModel } from '@switchyard/config';
import { agentInfo, parseAgentReply } from '../src/health/agent-reply.ts';
import {
  buildCheckRequest,
  compileHttpCheck,
  dechunk,
  evaluateResponse,
  HealthConfigError,
  parseResponseHead,
  parseStatusPattern,
  type ResponseHead,
} from '../src/health/http-check.ts';
import { validateHealthChecks } from '../src/health/validate.ts';
import { formatCheckReason } from '../src/model/check-status.ts';
import { backendModel, httpchk, serverModel } from './health-helpers.ts';

const loc = { file: 'h.cfg', line: 7 };

test('option httpchk forms produce the bytes haproxy 2.6 sends', () => {
  assert.equal(buildCheckRequest(httpchk()).toString(), 'OPTIONS / HTTP/1.0\r\n\r\n');
  assert.equal(buildCheckRequest(httpchk('GET', '/x')).toString(), 'GET /x HTTP/1.0\r\n\r\n');
  // Legacy: headers hidden in the version string (the seed config), literal or real CRLF.
  const legacy = 'HEAD /haproxy.txt HTTP/1.1\r\nhost: test.domain.com\r\nconnection: close\r\n\r\n';
  assert.equal(
    buildCheckRequest(httpchk('HEAD', '/haproxy.txt', 'HTTP/1.1\\r\\nHost:test.domain.com')).toString(),
    legacy,
  );
  assert.equal(
    buildCheckRequest(httpchk('HEAD', '/haproxy.txt', 'HTTP/1.1\r\nHost:test.domain.com')).toString(),
    legacy,
  );
  // http-check send hdr: lower-cased names; HTTP/1.0 gets no connection header.
  assert.equal(
    buildCheckRequest(httpchk('GET', '/x', 'HTTP/1.0', { headers: [['Host', 'foo.com']] })).toString(),
    'GET /x HTTP/1.0\r\nhost: foo.com\r\n\r\n',
  );
  assert.equal(
    buildCheckRequest(httpchk('POST', '/h', 'HTTP/1.1', { headers: [['Host', 'a']], body: 'ping' })).toString(),
    'POST /h HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\nconnection: close\r\n\r\nping',
  );
});

test('expect status patterns: codes, ranges, lists; bad ones are refused with their line', () => {
  assert.deepEqual(parseStatusPattern('200'), [[200, 200]]);
  assert.deepEqual(parseStatusPattern('200-399,404'), [
    [200, 399],
    [404, 404],
  ]);
  assert.equal(parseStatusPattern('2xx'), undefined);
  assert.equal(parseStatusPattern('399-200'), undefined);
  assert.throws(
    () =>
      compileHttpCheck(
        httpchk('GET', '/', 'HTTP/1.0', { expect: [{ negate: false, kind: 'status', pattern: 'abc', loc }] }),
      ),
    (e: unknown) => e instanceof HealthConfigError && e.code === 'CHK_BAD_STATUS_PATTERN' && e.loc.line === 7,
  );
  assert.throws(
    () =>
      compileHttpCheck(
        httpchk('GET', '/', 'HTTP/1.0', { expect: [{ negate: false, kind: 'rstring', pattern: '(', loc }] }),
      ),
    (e: unknown) => e instanceof HealthConfigError && e.code === 'CHK_BAD_REGEX',
  );
});

function head(code: number, reason = ''): ResponseHead {
  return { code, reason, bodyStart: 0, chunked: false };
}

test('verdicts: default 2xx/3xx, ordered expect rules with negation, disable-on-404', () => {
  const plain = compileHttpCheck(httpchk());
  assert.deepEqual(evaluateResponse(plain, head(200, 'OK'), ''), { status: 'L7OK', code: 200 });
  assert.deepEqual(evaluateResponse(plain, head(302), ''), { status: 'L7OK', code: 302 });
  assert.deepEqual(evaluateResponse(plain, head(500, 'Internal Server Error'), ''), {
    status: 'L7STS',
    code: 500,
    info: 'Internal Server Error',
  });
  assert.equal(evaluateResponse(plain, head(404), '').status, 'L7STS');
  const on404 = compileHttpCheck(httpchk('GET', '/', 'HTTP/1.0', { disableOn404: true }));
  assert.deepEqual(evaluateResponse(on404, head(404), ''), { status: 'L7OKC', code: 404 });
  assert.deepEqual(evaluateResponse(on404, head(404, 'Not Found'), '', true), {
    status: 'L7STS',
    code: 404,
    info: 'Not Found',
  });
  const rules = compileHttpCheck(
    httpchk('GET', '/', 'HTTP/1.0', {
      expect: [
        { negate: false, kind: 'status', pattern: '200-299', loc },
        { negate: true, kind: 'string', pattern: 'maintenance', loc },
        { negate: false, kind: 'rstring', pattern: '^ok', loc },
      ],
    }),
  );
  assert.equal(rules.needsBody, true);
  assert.equal(evaluateResponse(rules, head(200), 'ok fine').status, 'L7OK');
  assert.equal(evaluateResponse(rules, head(503, 'Service Unavailable'), 'ok').status, 'L7STS');
  const content = evaluateResponse(rules, head(200), 'ok but maintenance');
  assert.equal(content.status, 'L7RSP');
  assert.equal(content.info, 'HTTP content check did not match');
  assert.equal(evaluateResponse(rules, head(200), 'nope').status, 'L7RSP');
  const rstatus = compileHttpCheck(
    httpchk('GET', '/', 'HTTP/1.0', { expect: [{ negate: true, kind: 'rstatus', pattern: '^5', loc }] }),
  );
  assert.equal(evaluateResponse(rstatus, head(404), '').status, 'L7OK');
  assert.equal(evaluateResponse(rstatus, head(502), '').status, 'L7STS');
});

test('response heads: complete, incomplete, invalid; chunked bodies', () => {
  assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le')), 'incomplete');
  assert.equal(parseResponseHead(Buffer.from('SSH-2.0-OpenSSH\r\n')), 'invalid');
  assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 abc\r\n\r\n')), 'invalid');
  const h = parseResponseHead(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\n\r\nabc'));
  assert.deepEqual(h, { code: 503, reason: 'Service Unavailable', bodyStart: 55, contentLength: 3, chunked: false });
  assert.equal(dechunk(Buffer.from('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')).toString(), 'abcde');
});

test('log reason fragments in haproxy words', () => {
  assert.equal(
    formatCheckReason({ status: 'L7STS', code: 500, info: 'Internal Server Error', durationMs: 3 }),
    'reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 3ms',
  );
  assert.equal(
    formatCheckReason({ status: 'L7TOUT', durationMs: 1000 }),
    'reason: Layer7 timeout, check duration: 1000ms',
  );
  assert.equal(
    formatCheckReason({ status: 'L4CON', info: 'Connection refused', durationMs: 0 }),
    'reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms',
  );
  assert.equal(
    formatCheckReason({ status: 'L7RSP', durationMs: 3 }),
    'reason: Layer7 invalid response, check duration: 3ms',
  );
});

test('agent replies parse as haproxy reads them', () => {
  assert.deepEqual(parseAgentReply('up 75% maxconn:30'), {
    ok: true,
    reply: { state: 'up', weightPct: 75, maxconn: 30 },
  });
  assert.deepEqual(parseAgentReply('DRAIN,50%'), { ok: true, reply: { admin: 'drain', weightPct: 50 } });
  const down = parseAgentReply('down #maint window');
  assert.deepEqual(down, { ok: true, reply: { state: 'down', comment: 'maint window' } });
  assert.equal(down.ok && agentInfo(down.reply), 'via agent : down (maint window)');
  assert.deepEqual(parseAgentReply('stopped\tready'), { ok: true, reply: { state: 'stopped', admin: 'ready' } });
  const bad = parseAgentReply('garbage here');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /bad agent response 'garbage here'/);
});

test('validateHealthChecks reports bad patterns, agent-check without port, observe without check', () => {
  const be = backendModel(
    'b',
    [
      serverModel('a', 1, { agentCheck: true, loc: { file: 'h.cfg', line: 3 } }),
      serverModel('o', 2, { check: false, observe: 'layer7', loc: { file: 'h.cfg', line: 4 } }),
      serverModel('m', 3, { onMarkedDown: 'shutdown-sessions', loc: { file: 'h.cfg', line: 5 } }),
    ],
    {
      options: {
        ...backendModel('x', []).options,
        httpchk: httpchk('GET', '/', 'HTTP/1.0', { expect: [{ negate: false, kind: 'rstatus', pattern: '[', loc }] }),
      },
    },
  );
  const model: ConfigModel = { files: [], global: { logs: [], statsSockets: [], tune: {} }, proxies: [be], peers: [] };
  const d = validateHealthChecks(model);
  assert.deepEqual(
    d.map((x) => `${x.severity} ${x.code} ${x.loc.line}`),
    ['error CHK_BAD_REGEX 7', 'error CHK_AGENT_NO_PORT 3', 'warning CHK_OBSERVE_NO_CHECK 4'],
    'on-marked-down is performed, so it is not warned about',
  );
});

test('agent info names the state word only, as haproxy', () => {
  const r = parseAgentReply('up 100% maxconn:5');
  assert.equal(r.ok && agentInfo(r.reply), 'via agent : up');
  const d = parseAgentReply('drain 0%');
  assert.equal(d.ok && agentInfo(d.reply), 'via agent : drain');
});
