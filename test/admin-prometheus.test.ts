/**
 * The Prometheus exporter against the real tools: `promtool check metrics`, the real haproxy
 * 2.6's exporter (names, labels), and a real Prometheus server scraping it and answering PromQL.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setServerOp } from '@switchyard/proxy';
import { createAdmin } from '../packages/admin/src/index.ts';
import { freePort, startRefHaproxy } from '../packages/admin/test/helpers/haproxy-ref.ts';
import { type Front, startFront } from '../packages/admin/test/helpers/http.ts';
import { sampleRuntime, testControl } from '../packages/admin/test/helpers/runtime.ts';
import { needs } from './helpers/system.ts';

/** Metric name -> set of label names, from exposition text. */
function shape(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!m) continue;
    const labels = new Set([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="/g)].map((x) => x[1]));
    out.set(m[1], labels);
  }
  return out;
}

describe('Prometheus exporter', () => {
  const rt = sampleRuntime();
  let f: Front;
  before(async () => {
    f = await startFront(rt);
    f.admin.observeLatency('app', 's1', 0.012);
    f.admin.observeLatency('app', 's1', 0.3);
    f.admin.observeLatency('app', 's2', 1.7);
    f.admin.observeLatency('app', undefined, 0.001);
    const s1 = rt.backends.get('app')?.serversByName.get('s1');
    if (s1) {
      s1.counters.hrsp[1] = 42;
      s1.lastCheck = { status: 'L7OK', code: 200, durationMs: 3 };
    }
  });
  after(() => f?.close());

  test('histograms: cumulative buckets, sum and count', async () => {
    const text = await f.admin.renderMetrics();
    assert.match(text, /^haproxy_backend_http_request_duration_seconds_bucket\{proxy="app",le="0\.005"\} 1$/m);
    assert.match(text, /^haproxy_backend_http_request_duration_seconds_bucket\{proxy="app",le="0\.5"\} 3$/m);
    assert.match(text, /^haproxy_backend_http_request_duration_seconds_bucket\{proxy="app",le="\+Inf"\} 4$/m);
    assert.match(text, /^haproxy_backend_http_request_duration_seconds_count\{proxy="app"\} 4$/m);
    assert.match(text, /^haproxy_server_http_request_duration_seconds_count\{proxy="app",server="s1"\} 2$/m);
    assert.match(text, /^haproxy_server_http_request_duration_seconds_sum\{proxy="app",server="s2"\} 1\.7$/m);
    assert.match(text, /^haproxy_server_http_responses_total\{proxy="app",server="s1",code="2xx"\} 42$/m);
    assert.match(text, /^haproxy_server_check_status\{proxy="app",server="s1",state="L7OK"\} 1$/m);
  });

  test('passes promtool check metrics', { skip: needs('promtool') }, async () => {
    const text = await (await fetch(`${f.url('web')}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no lint warnings');
  });

  test("names and labels are the real haproxy 2.6 exporter's", { skip: needs('haproxy') }, async () => {
    const port = await freePort();
    const ref = await startRefHaproxy(
      `frontend prom\n  bind 127.0.0.1:${port}\n  http-request use-service prometheus-exporter if { path /metrics }\n`,
    );
    try {
      let theirs = '';
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        try {
          theirs = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          if (theirs.includes('haproxy_server_status')) break;
        } catch {}
        await new Promise((r) => setTimeout(r, 100));
      }
      const ref = shape(theirs);
      const ours = shape(await f.admin.renderMetrics());
      const extensions = /^(switchyard_|haproxy_(backend|server)_http_request_duration_seconds_)/;
      for (const [name, labels] of ours) {
        if (extensions.test(name)) continue;
        assert.ok(ref.has(name), `haproxy 2.6 has no metric ${name}`);
        assert.deepEqual([...labels].sort(), [...(ref.get(name) as Set<string>)].sort(), `labels of ${name}`);
      }
      // same values for the same farm, except clocks, memory and traffic
      const values = (t: string) =>
        new Map(
          t
            .split('\n')
            .filter((l) => l && !l.startsWith('#'))
            .map((l) => {
              const i = l.lastIndexOf(' ');
              // prom-client prints NaN as `Nan`; Prometheus parses both (Go ParseFloat)
              const v = l.slice(i + 1);
              return [l.slice(0, i), v.toLowerCase() === 'nan' ? 'NaN' : v] as const;
            }),
        );
      // the same situation as the reference: s1's check to a closed port failed
      const rt2 = sampleRuntime();
      const be2 = rt2.backends.get('app');
      const s1 = be2?.serversByName.get('s1');
      if (!be2 || !s1) throw new Error('no app/s1');
      const failed = { status: 'L4CON', durationMs: 0, info: 'Connection refused' };
      s1.lastCheck = failed;
      setServerOp(rt2, be2, s1, 'DOWN', 'check', failed);
      const admin2 = await createAdmin(rt2, { version: 'x', pid: 1, control: testControl });
      const va = values(theirs);
      const vb = values(await admin2.renderMetrics());
      await admin2.stop();
      const varying = /^haproxy_process_|_seconds|_total\{|_rate|max_sessions|check_status|check_code|current_sessions/;
      const diffs: string[] = [];
      for (const [k, v] of vb) {
        if (varying.test(k) || !va.has(k) || /proxy="prom"/.test(k)) continue;
        if (va.get(k) !== v) diffs.push(`${k}: haproxy ${va.get(k)} switchyard ${v}`);
      }
      assert.deepEqual(diffs, []);
      // the ones dashboards rely on are all there
      for (const n of [
        'haproxy_server_status',
        'haproxy_server_weight',
        'haproxy_server_current_sessions',
        'haproxy_server_current_queue',
        'haproxy_server_http_responses_total',
        'haproxy_server_check_status',
        'haproxy_server_check_failures_total',
        'haproxy_server_check_up_down_total',
        'haproxy_server_downtime_seconds_total',
        'haproxy_backend_bytes_in_total',
        'haproxy_backend_bytes_out_total',
        'haproxy_backend_connection_errors_total',
        'haproxy_backend_retry_warnings_total',
        'haproxy_backend_redispatch_warnings_total',
        'haproxy_frontend_http_requests_total',
        'haproxy_process_build_info',
      ]) {
        assert.ok(ours.has(n), `missing ${n}`);
      }
    } finally {
      await ref.stop();
    }
  });

  test('a real Prometheus server scrapes it and answers PromQL', { skip: needs('prometheus') }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-prom-'));
    const port = await freePort();
    const target = new URL(f.url('web')).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: switchyard\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    const p = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    p.stderr.on('data', (d) => {
      log += d;
    });
    t.after(async () => {
      if (p.exitCode === null) {
        const done = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    });
    const query = async (q: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      return (await r.json()) as {
        status: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
    };
    const deadline = Date.now() + 60_000;
    let result: Awaited<ReturnType<typeof query>> | undefined;
    while (Date.now() < deadline) {
      try {
        result = await query('haproxy_server_status{proxy="app",state="UP"}');
        if (result.data.result.length >= 2) break;
      } catch {}
      if (p.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(result?.status, 'success');
    const byServer = Object.fromEntries((result?.data.result ?? []).map((x) => [x.metric.server, x.value[1]]));
    assert.deepEqual(byServer, { s1: '1', s2: '1', s3: '0' });
    const count = await query('sum(haproxy_server_http_request_duration_seconds_count{proxy="app"})');
    assert.equal(count.data.result[0]?.value[1], '3');
    const up = await query('up{job="switchyard"}');
    assert.equal(up.data.result[0]?.value[1], '1');
  });
});
