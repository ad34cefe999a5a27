/**
 * The Prometheus exporter (`http-request use-service prometheus-exporter`, `/metrics` on the
 * stats listener): HAProxy 2.6's metric names, labels and HELP texts, rendered by prom-client
 * from custom collectors that read the runtime's counters at scrape time (nothing is updated
 * per request, except the latency histograms).
 */

import { createRequire } from 'node:module';
import type { BackendRuntime, FrontendRuntime, ProxyRuntime, ServerState } from '@switchyard/proxy';
import { currentRate, isUsable } from '@switchyard/proxy';
import type { StoreStatus } from '@switchyard/state';
import type * as PromClient from 'prom-client';
import type { Metric, Registry } from 'prom-client';
import { VRRP_STATES } from '../runtime-api/vrrp.ts';
import { backendDowntime, backendWeights, serverDowntime } from '../stats/rows.ts';
import type { LatencyHistograms } from './latency.ts';
import {
  CHECK_STATES,
  CODES,
  type CustomMetric,
  type Labels,
  metric,
  pushHistogram,
  SEC,
  SERVER_STATES,
  type SvEntry,
  snapshot,
} from './samples.ts';
import { storeMetrics } from './store.ts';

export interface ExporterSource {
  runtime(): ProxyRuntime;
  version: string;
  latency: LatencyHistograms;
  /** The shared state store's status (packages/state), when tables are shared. */
  store?(): StoreStatus | undefined;
}

/** HAProxy's server state label: MAINT, DRAIN, DOWN, NOLB (UP with weight 0) or UP. */
export function serverStateLabel(s: ServerState): (typeof SERVER_STATES)[number] {
  if (s.admin === 'MAINT') return 'MAINT';
  if (s.op === 'DOWN') return 'DOWN';
  if (s.admin === 'DRAIN') return 'DRAIN';
  return s.stopping || s.effectiveWeight === 0 ? 'NOLB' : 'UP';
}

function avgSec(sum: number, n: number): number {
  return n > 0 ? sum / n / SEC : 0;
}

/** Builds the metric list over whatever runtime `src.runtime()` returns at scrape time. */
function buildMetrics(src: ExporterSource, noMaint: boolean): CustomMetric[] {
  const snap = () => snapshot(src.runtime());
  // `?no-maint`: servers in maintenance left out, as HAProxy's exporter does
  const svs = (): SvEntry[] => (noMaint ? snap().svs.filter((e) => e.s.admin !== 'MAINT') : snap().svs);
  const fes = (): FrontendRuntime[] => snap().fes.map((e) => e.f);
  const m: CustomMetric[] = [];
  const proc = (name: string, value: () => number, labels: Labels = {}) =>
    m.push(metric(name, (o) => o.add(value(), labels)));
  // as HAProxy's exporter: the `_http_` metrics only for `mode http` proxies
  const fe = (name: string, value: (f: FrontendRuntime) => number) => {
    const http = name.includes('_http_');
    m.push(
      metric(name, (o) => {
        for (const e of snap().fes) if (!http || e.f.model.mode === 'http') o.add(value(e.f), e.base);
      }),
    );
  };
  const be = (name: string, value: (b: BackendRuntime) => number) => {
    const http = name.includes('_http_');
    m.push(
      metric(name, (o) => {
        for (const e of snap().bes) if (!http || e.b.model.mode === 'http') o.add(value(e.b), e.base);
      }),
    );
  };
  const sv = (name: string, value: (s: ServerState, b: BackendRuntime) => number) => {
    const http = name.includes('_http_');
    m.push(
      metric(name, (o) => {
        for (const e of svs()) if (!http || e.b.model.mode === 'http') o.add(value(e.s, e.b), e.base);
      }),
    );
  };
  const now = () => Date.now();
  const rt = () => src.runtime();
  const sum = (f: (x: FrontendRuntime) => number) => fes().reduce((a, x) => a + f(x), 0);

  // process
  proc('haproxy_process_nbthread', () => rt().workers?.asked ?? 1);
  proc('haproxy_process_nbproc', () => 1);
  proc('haproxy_process_relative_process_id', () => 1);
  proc('haproxy_process_uptime_seconds', () => Math.floor((now() - rt().startedAt) / SEC));
  proc('haproxy_process_start_time_seconds', () => Math.floor(rt().startedAt / SEC));
  proc('haproxy_process_pool_allocated_bytes', () => process.memoryUsage().heapTotal);
  proc('haproxy_process_pool_used_bytes', () => process.memoryUsage().heapUsed);
  proc('haproxy_process_max_connections', () => rt().config.global.maxconn ?? 0);
  proc('haproxy_process_current_connections', () => sum((f) => f.counters.scur));
  proc('haproxy_process_connections_total', () => sum((f) => f.counters.connTot));
  proc('haproxy_process_requests_total', () => sum((f) => f.counters.reqTot));
  proc('haproxy_process_current_session_rate', () => sum((f) => currentRate(f.counters)));
  proc('haproxy_process_bytes_out_total', () => sum((f) => f.counters.bout));
  proc('haproxy_process_listeners', () => fes().reduce((a, f) => a + (f.listening ? f.model.binds.length : 0), 0));
  proc('haproxy_process_stopping', () => 0);
  const buildInfo = { version: src.version };
  m.push(metric('haproxy_process_build_info', (o) => o.add(1, buildInfo)));

  // frontends
  m.push(
    metric('haproxy_frontend_status', (o) => {
      for (const e of snap().fes) {
        o.add(e.f.listening ? 0 : 1, e.state[0]);
        o.add(e.f.listening ? 1 : 0, e.state[1]);
      }
    }),
  );
  fe('haproxy_frontend_current_sessions', (f) => f.counters.scur);
  fe('haproxy_frontend_max_sessions', (f) => f.counters.smax);
  fe('haproxy_frontend_limit_sessions', (f) => f.model.maxconn ?? rt().config.global.maxconn ?? Number.NaN);
  fe('haproxy_frontend_sessions_total', (f) => f.counters.stot);
  fe('haproxy_frontend_max_session_rate', (f) => f.counters.rateMax);
  fe('haproxy_frontend_limit_session_rate', () => 0);
  fe('haproxy_frontend_connections_rate_max', (f) => f.counters.rateMax);
  fe('haproxy_frontend_connections_total', (f) => f.counters.connTot);
  fe('haproxy_frontend_bytes_in_total', (f) => f.counters.bin);
  fe('haproxy_frontend_bytes_out_total', (f) => f.counters.bout);
  fe('haproxy_frontend_requests_denied_total', (f) => f.counters.dreq);
  fe('haproxy_frontend_denied_connections_total', (f) => f.counters.dcon);
  fe('haproxy_frontend_responses_denied_total', (f) => f.counters.dresp);
  fe('haproxy_frontend_request_errors_total', (f) => f.counters.ereq);
  fe('haproxy_frontend_http_requests_rate_max', (f) => f.counters.rateMax);
  fe('haproxy_frontend_http_requests_total', (f) => f.counters.reqTot);
  fe('haproxy_frontend_intercepted_requests_total', (f) => f.counters.intercepted);
  fe('haproxy_frontend_http_comp_bytes_in_total', (f) => f.counters.compIn);
  fe('haproxy_frontend_http_comp_bytes_out_total', (f) => f.counters.compOut);
  fe('haproxy_frontend_http_comp_bytes_bypassed_total', (f) => f.counters.compByp);
  fe('haproxy_frontend_http_comp_responses_total', (f) => f.counters.compRsp);
  m.push(
    metric('haproxy_frontend_http_responses_total', (o) => {
      for (let i = 0; i < CODES.length; i++) {
        for (const e of snap().fes) if (e.f.model.mode === 'http') o.add(e.f.counters.hrsp[i], e.codes[i]);
      }
    }),
  );

  // backends
  m.push(
    metric('haproxy_backend_status', (o) => {
      for (const e of snap().bes) {
        const up = e.b.servers.length === 0 || backendWeights(e.b).weight > 0 ? 1 : 0;
        o.add(1 - up, e.state[0]);
        o.add(up, e.state[1]);
      }
    }),
  );
  be('haproxy_backend_current_sessions', (b) => b.counters.scur);
  be('haproxy_backend_max_sessions', (b) => b.counters.smax);
  be('haproxy_backend_sessions_total', (b) => b.counters.stot);
  be('haproxy_backend_max_session_rate', (b) => b.counters.rateMax);
  be('haproxy_backend_last_session_seconds', (b) =>
    b.counters.lastSess > 0 ? Math.floor((now() - b.counters.lastSess) / SEC) : -1,
  );
  be('haproxy_backend_current_queue', (b) => b.counters.qcur);
  be('haproxy_backend_max_queue', (b) => b.counters.qmax);
  be('haproxy_backend_bytes_in_total', (b) => b.counters.bin);
  be('haproxy_backend_bytes_out_total', (b) => b.counters.bout);
  be('haproxy_backend_requests_denied_total', (b) => b.counters.dreq);
  be('haproxy_backend_responses_denied_total', (b) => b.counters.dresp);
  be('haproxy_backend_connection_attempts_total', (b) => b.counters.connect);
  be('haproxy_backend_connection_reuses_total', (b) => b.counters.reuse);
  be('haproxy_backend_connection_errors_total', (b) => b.counters.econ);
  be('haproxy_backend_response_errors_total', (b) => b.counters.eresp);
  be('haproxy_backend_retry_warnings_total', (b) => b.counters.wretr);
  be('haproxy_backend_redispatch_warnings_total', (b) => b.counters.wredis);
  be('haproxy_backend_client_aborts_total', (b) => b.counters.cliAbrt);
  be('haproxy_backend_server_aborts_total', (b) => b.counters.srvAbrt);
  be('haproxy_backend_weight', (b) => backendWeights(b).weight);
  be('haproxy_backend_uweight', (b) => backendWeights(b).uweight);
  be('haproxy_backend_active_servers', (b) => backendWeights(b).act);
  be('haproxy_backend_backup_servers', (b) => backendWeights(b).bck);
  be('haproxy_backend_check_up_down_total', (b) => b.counters.chkdown);
  be('haproxy_backend_check_last_change_seconds', (b) => Math.floor((now() - b.lastChange) / SEC));
  be('haproxy_backend_downtime_seconds_total', (b) => backendDowntime(b, now()));
  be('haproxy_backend_loadbalanced_total', (b) => b.counters.lbtot);
  be('haproxy_backend_http_requests_total', (b) => b.counters.reqTot);
  be('haproxy_backend_http_comp_bytes_in_total', (b) => b.counters.compIn);
  be('haproxy_backend_http_comp_bytes_out_total', (b) => b.counters.compOut);
  be('haproxy_backend_http_comp_bytes_bypassed_total', (b) => b.counters.compByp);
  be('haproxy_backend_http_comp_responses_total', (b) => b.counters.compRsp);
  be('haproxy_backend_queue_time_average_seconds', (b) => avgSec(b.counters.qtimeSum, b.counters.timeSamples));
  be('haproxy_backend_connect_time_average_seconds', (b) => avgSec(b.counters.ctimeSum, b.counters.timeSamples));
  be('haproxy_backend_response_time_average_seconds', (b) => avgSec(b.counters.rtimeSum, b.counters.timeSamples));
  be('haproxy_backend_total_time_average_seconds', (b) => avgSec(b.counters.ttimeSum, b.counters.timeSamples));
  m.push(
    metric('haproxy_backend_http_responses_total', (o) => {
      for (let i = 0; i < CODES.length; i++) {
        for (const e of snap().bes) if (e.b.model.mode === 'http') o.add(e.b.counters.hrsp[i], e.codes[i]);
      }
    }),
  );

  // servers
  m.push(
    metric('haproxy_server_status', (o) => {
      for (const e of svs()) {
        const st = serverStateLabel(e.s);
        for (let i = 0; i < SERVER_STATES.length; i++) o.add(SERVER_STATES[i] === st ? 1 : 0, e.state[i]);
      }
    }),
  );
  sv('haproxy_server_current_sessions', (s) => s.counters.scur);
  sv('haproxy_server_max_sessions', (s) => s.counters.smax);
  // HAProxy reports NaN for limits that are not set (empty CSV fields)
  sv('haproxy_server_limit_sessions', (s) => s.maxconn ?? Number.NaN);
  sv('haproxy_server_sessions_total', (s) => s.counters.stot);
  sv('haproxy_server_max_session_rate', (s) => s.counters.rateMax);
  sv('haproxy_server_last_session_seconds', (s) =>
    s.counters.lastSess > 0 ? Math.floor((now() - s.counters.lastSess) / SEC) : -1,
  );
  sv('haproxy_server_current_queue', (s) => s.queued);
  sv('haproxy_server_max_queue', (s) => s.counters.qmax);
  sv('haproxy_server_queue_limit', (s) => s.model.maxqueue ?? Number.NaN);
  sv('haproxy_server_bytes_in_total', (s) => s.counters.bin);
  sv('haproxy_server_bytes_out_total', (s) => s.counters.bout);
  sv('haproxy_server_responses_denied_total', (s) => s.counters.dresp);
  sv('haproxy_server_connection_attempts_total', (s) => s.counters.connect);
  sv('haproxy_server_connection_reuses_total', (s) => s.counters.reuse);
  sv('haproxy_server_connection_errors_total', (s) => s.counters.econ);
  sv('haproxy_server_response_errors_total', (s) => s.counters.eresp);
  sv('haproxy_server_retry_warnings_total', (s) => s.counters.wretr);
  sv('haproxy_server_redispatch_warnings_total', (s) => s.counters.wredis);
  sv('haproxy_server_client_aborts_total', (s) => s.counters.cliAbrt);
  sv('haproxy_server_server_aborts_total', (s) => s.counters.srvAbrt);
  sv('haproxy_server_weight', (s) => s.effectiveWeight);
  sv('haproxy_server_uweight', (s) => s.weight);
  sv('haproxy_server_current_throttle', (s) =>
    s.model.slowstart && s.weight > 0 && s.effectiveWeight < s.weight
      ? Math.floor((s.effectiveWeight * 100) / s.weight)
      : Number.NaN,
  );
  // HAProxy reports NaN for check counters of servers without checks
  sv('haproxy_server_check_failures_total', (s) => (s.checked ? s.counters.chkfail : Number.NaN));
  sv('haproxy_server_check_up_down_total', (s) => (s.checked ? s.counters.chkdown : Number.NaN));
  sv('haproxy_server_check_last_change_seconds', (s) => Math.floor((now() - s.lastChange) / SEC));
  sv('haproxy_server_downtime_seconds_total', (s) => (s.checked ? serverDowntime(s, now()) : Number.NaN));
  sv('haproxy_server_check_code', (s) => s.lastCheck?.code ?? 0);
  sv('haproxy_server_check_duration_seconds', (s) => (s.lastCheck?.durationMs ?? 0) / SEC);
  m.push(
    metric('haproxy_server_check_status', (o) => {
      for (const e of svs()) {
        if (!e.s.checked) continue;
        const st = e.s.lastCheck?.status;
        for (let i = 0; i < CHECK_STATES.length; i++) o.add(CHECK_STATES[i] === st ? 1 : 0, e.chk[i]);
      }
    }),
  );
  sv('haproxy_server_loadbalanced_total', (s) => s.counters.lbtot);
  sv('haproxy_server_queue_time_average_seconds', (s) => avgSec(s.counters.qtimeSum, s.counters.timeSamples));
  sv('haproxy_server_connect_time_average_seconds', (s) => avgSec(s.counters.ctimeSum, s.counters.timeSamples));
  sv('haproxy_server_response_time_average_seconds', (s) => avgSec(s.counters.rtimeSum, s.counters.timeSamples));
  sv('haproxy_server_total_time_average_seconds', (s) => avgSec(s.counters.ttimeSum, s.counters.timeSamples));
  m.push(
    metric('haproxy_server_http_responses_total', (o) => {
      for (let i = 0; i < CODES.length; i++) {
        for (const e of svs()) if (e.b.model.mode === 'http') o.add(e.s.counters.hrsp[i], e.codes[i]);
      }
    }),
  );

  // Switchyard extensions
  m.push(
    metric(
      'haproxy_backend_http_request_duration_seconds',
      (o) => {
        for (const e of snap().bes) {
          const h = src.latency.backends.get(e.b.name)?.all;
          if (h) pushHistogram(o, 'haproxy_backend_http_request_duration_seconds', h, e);
        }
      },
      {
        type: 'histogram',
        help: 'Switchyard: distribution of HTTP request durations (first byte received to last byte sent), per backend',
      },
    ),
  );
  m.push(
    metric(
      'haproxy_server_http_request_duration_seconds',
      (o) => {
        for (const e of svs()) {
          const h = src.latency.backends.get(e.b.name)?.servers.get(e.s.name);
          if (h) pushHistogram(o, 'haproxy_server_http_request_duration_seconds', h, e);
        }
      },
      {
        type: 'histogram',
        help: 'Switchyard: distribution of HTTP request durations (first byte received to last byte sent), per server',
      },
    ),
  );
  m.push(
    metric(
      'switchyard_vrrp_state',
      (o) => {
        for (const [instance, state] of rt().vrrp) {
          for (const x of VRRP_STATES) o.add(x === state ? 1 : 0, { instance, state: x });
        }
      },
      {
        type: 'gauge',
        help: 'Switchyard: VRRP state of this node per instance, as reported by the sidecar (1 for the current state)',
      },
    ),
  );
  m.push(
    metric(
      'switchyard_server_usable',
      (o) => {
        for (const e of svs()) o.add(isUsable(e.s) ? 1 : 0, e.base);
      },
      { type: 'gauge', help: 'Switchyard: 1 when the server takes new non-persistent traffic (UP, READY, weight > 0)' },
    ),
  );
  if (src.store) m.push(...storeMetrics(src.store));
  return m;
}

/** HAProxy's exporter `scope` values and the metric name prefixes they select. */
const SCOPES: Record<string, string[]> = {
  global: ['haproxy_process_', 'switchyard_vrrp_', 'switchyard_store_'],
  frontend: ['haproxy_frontend_'],
  backend: ['haproxy_backend_'],
  server: ['haproxy_server_', 'switchyard_server_'],
};

export interface ExporterRegistries {
  /** Every metric. */
  all: Registry;
  /** Per HAProxy exporter scope (`/metrics?scope=backend`). */
  byScope: Record<string, Registry>;
  /** The same without servers in maintenance (`/metrics?no-maint`). */
  noMaint: { all: Registry; byScope: Record<string, Registry> };
}

const requireDep = createRequire(import.meta.url);

/** prom-client, loaded on first use: a process that serves no /metrics never loads it. */
function promClient(): typeof PromClient {
  return requireDep('prom-client') as typeof PromClient;
}

/** One registry over the metrics of several (`/metrics?scope=a&scope=b`). */
export function mergeRegistries(regs: Registry[]): Registry {
  return promClient().Registry.merge(regs);
}

function registries(metrics: CustomMetric[]): { all: Registry; byScope: Record<string, Registry> } {
  const { Registry } = promClient();
  const all = new Registry();
  const byScope: Record<string, Registry> = {};
  for (const k of Object.keys(SCOPES)) byScope[k] = new Registry();
  for (const m of metrics) {
    // prom-client's registerMetric is typed for its own classes; it only calls get() on our objects.
    all.registerMetric(m as unknown as Metric);
    for (const [k, prefixes] of Object.entries(SCOPES)) {
      if (prefixes.some((p) => m.name.startsWith(p))) byScope[k].registerMetric(m as unknown as Metric);
    }
  }
  return { all, byScope };
}

/** prom-client registries holding the exporter's collectors. */
export function createExporterRegistries(src: ExporterSource): ExporterRegistries {
  return { ...registries(buildMetrics(src, false)), noMaint: registries(buildMetrics(src, true)) };
}
