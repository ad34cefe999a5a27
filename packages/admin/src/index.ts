/**
 * packages/admin: the stats page (HTML, `;csv`, `;json`, admin form), the Prometheus exporter
 * and the runtime API sockets of a running Switchyard.
 *
 * Wiring (packages/cli):
 *
 *   const admin = await createAdmin(rt, {
 *     version, pid: process.pid,
 *     control: { setServerAdmin, setServerWeight },      // packages/proxy control/server-control.ts
 *     compileAdmin: (stats, proxy) => ...,               // compiles `stats admin if|unless COND`
 *     tables: stateLayer.tables,                         // `show|clear|set table`
 *   });
 *   startDatapath(rt, { services: admin.handlers, ... });
 *   await admin.startSockets();                          // global `stats socket` lines
 *   // datapath, per request:  admin.observeLatency(backend, server, seconds)
 *   // on reload:              admin.swapRuntime(newRt)  (sockets follow the new config)
 *   // on exit:                await admin.stop()
 *
 * Under --workers: the primary calls prepareStatsSocketPaths(config.global.statsSockets) and
 * relayAdminChanges() before forking; each worker passes clusterControl(control, () => rt) as
 * `control`, so a change made through one worker reaches them all.
 */
import type { ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { StatsSocketModel } from '@switchyard/config';
import type { ProxyRuntime, ServiceHandlers } from '@switchyard/proxy';
import type { TableDirectory } from '@switchyard/state';
import type { ServerControl } from './actions.ts';
import { DashboardRecorder } from './dashboard/recorder.ts';
import { type AdminConditionCompiler, createHttpService, type HttpService } from './http/service.ts';
import { createExporterRegistries, type ExporterRegistries } from './metrics/exporter.ts';
import { LatencyHistograms } from './metrics/latency.ts';
import type { CliContext } from './runtime-api/commands.ts';
import {
  cliSocketFd,
  closeCliSocket,
  listenCliSocket,
  prepareSocketPath,
  type SocketHandover,
} from './runtime-api/socket-server.ts';

export type { ServerControl } from './actions.ts';
export { AdminError, findServer, parseWeight } from './actions.ts';
export { type AdminChange, clusterControl, relayAdminChanges } from './cluster.ts';
export { clearCounters } from './runtime-api/command-table.ts';
export { runCommand, splitCommands } from './runtime-api/commands.ts';
export { parseServerLine } from './runtime-api/dynamic-servers.ts';
export { applyPatternOp, type PatternOp } from './runtime-api/maps.ts';
export { CliSocketError, type SocketHandover } from './runtime-api/socket-server.ts';
export { applySslCertOp, type SslCertOp } from './runtime-api/ssl-certs.ts';
export { applyServerStateFiles } from './server-state-file.ts';

/**
 * For the `--workers` primary, before forking: removes stale Unix `stats socket` files and
 * refuses paths a running process answers on, so the workers' shared bind succeeds.
 */
export async function prepareStatsSocketPaths(sockets: readonly StatsSocketModel[]): Promise<void> {
  for (const s of sockets) await prepareSocketPath(s);
}
export type { AdminConditionCompiler } from './http/service.ts';
export { LATENCY_BUCKETS } from './metrics/latency.ts';
export { CSV_HEADER } from './stats/fields.ts';
export { collectRows } from './stats/rows.ts';

export interface AdminOptions {
  /** Version shown by `show info`, the stats page and `haproxy_process_build_info`. */
  version: string;
  /** Release date for `show info` (`YYYY/MM/DD`); defaults to today. */
  releaseDate?: string;
  pid: number;
  /** The one place server state changes (packages/proxy control/server-control.ts). */
  control: ServerControl;
  /** Compiles `stats admin if|unless COND`; required when a proxy has `stats admin`. */
  compileAdmin?: AdminConditionCompiler;
  /** Stick tables for `show|clear|set table` (packages/state `StateLayer.tables`). */
  tables?: TableDirectory;
  /**
   * Under --workers: the node-wide view (counters summed over the workers, server states from the
   * primary) that the stats page, the exporter and the runtime API's `show` commands render.
   */
  nodeView?: () => Promise<ProxyRuntime>;
  /**
   * Hitless restarts: the frontends' listening descriptors that `_getsocks` sends (with the
   * `stats socket`s' own) on a socket with `expose-fd listeners`, and the sockets received at
   * start that a `stats socket` at the same address adopts.
   */
  handover?: SocketHandover;
  /** Runtime API sockets beyond the config's (the master-worker channel of a worker). */
  extraSockets?: StatsSocketModel[];
}

export interface Admin {
  /** For the datapath: the stats page and the Prometheus exporter. */
  readonly handlers: Required<ServiceHandlers>;
  /** Opens the global `stats socket` listeners of the current runtime's config. */
  startSockets(): Promise<void>;
  /** Closes the sockets and the HTTP app (`keepPaths`: unix socket files stay, after a hand-over). */
  stop(opts?: { keepPaths?: boolean }): Promise<void>;
  /** After a reload: serve the new runtime; re-open sockets whose config changed. */
  swapRuntime(rt: ProxyRuntime): Promise<void>;
  /** Records one request's duration for the latency histograms (cheap: call it per request). */
  observeLatency(backend: string, server: string | undefined, seconds: number, frontend?: string): void;
  /** The exporter's text, as a scrape returns it (benchmarks, tests). */
  renderMetrics(): Promise<string>;
}

/** Error for a configuration the admin side cannot honour (never silently ignored). */
export class AdminConfigError extends Error {
  readonly code = 'ADM_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'AdminConfigError';
  }
}

function checkConfig(rt: ProxyRuntime, opts: AdminOptions): void {
  for (const p of rt.config.proxies) {
    if (p.stats?.admin && !opts.compileAdmin) {
      throw new AdminConfigError(
        `${p.stats.admin.loc.file}:${p.stats.admin.loc.line}: 'stats admin' in '${p.name}' needs a condition compiler (createAdmin option compileAdmin)`,
      );
    }
  }
}

function socketKey(s: StatsSocketModel): string {
  return JSON.stringify([s.kind, s.path, s.host, s.port, s.mode, s.level, s.exposeFdListeners]);
}

/**
 * True when `rt` serves anything over HTTP from here: a `stats` page (`/metrics` included) or
 * `http-request use-service prometheus-exporter`. Only then are fastify and prom-client loaded.
 */
export function servesHttp(rt: ProxyRuntime): boolean {
  return rt.config.proxies.some((p) => p.stats?.enabled || p.httpRequest.some((r) => r.action === 'use-service'));
}

/** True when some proxy has `stats enable` (its `;dashboard` is then recorded from now on). */
function hasStatsPage(rt: ProxyRuntime): boolean {
  return rt.config.proxies.some((p) => p.stats?.enabled);
}

/** Creates the admin side over `rt`. */
export async function createAdmin(rt: ProxyRuntime, opts: AdminOptions): Promise<Admin> {
  checkConfig(rt, opts);
  let current = rt;
  const latency = new LatencyHistograms();
  const dashboard = new DashboardRecorder({ runtime: () => current, nodeView: opts.nodeView, latency });
  if (hasStatsPage(rt)) dashboard.start();
  // the exporter reads a node-wide view refreshed before each scrape (--workers), else the runtime
  let scraped: ProxyRuntime | undefined;
  const refreshScrape = async () => {
    if (opts.nodeView) scraped = await opts.nodeView().catch(() => undefined);
  };
  let registries: ExporterRegistries | undefined;
  const exporter = () =>
    (registries ??= createExporterRegistries({
      runtime: () => scraped ?? current,
      version: opts.version,
      latency,
      store: () => opts.tables?.store?.(),
    }));
  // The HTTP side is built when a configuration needs it (at start, on reload), so a process
  // without stats or exporter never loads fastify; a request arriving before (a reload adds a
  // stats listener: the datapath swaps first) waits for it.
  let http: HttpService | undefined;
  let building: Promise<HttpService> | undefined;
  const ensureHttp = (): Promise<HttpService> =>
    (building ??= createHttpService({
      runtime: () => current,
      control: opts.control,
      registries: exporter,
      version: opts.version,
      pid: opts.pid,
      compileAdmin: opts.compileAdmin,
      nodeView: opts.nodeView,
      beforeMetrics: refreshScrape,
      dashboard,
      store: () => opts.tables?.store?.(),
    }).then((h) => (http = h)));
  if (servesHttp(rt)) await ensureHttp();
  const later = (res: ServerResponse, serve: (h: HttpService) => void) => {
    ensureHttp().then(serve, (e: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${e.message}\n`);
    });
  };
  const handlers: Required<ServiceHandlers> = {
    stats: (req, res, fe, stats, txn) =>
      http ? http.stats(req, res, fe, stats, txn) : later(res, (h) => h.stats(req, res, fe, stats, txn)),
    prometheus: (req, res, txn) =>
      http ? http.prometheus(req, res, txn) : later(res, (h) => h.prometheus(req, res, txn)),
  };
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const cli: CliContext = {
    runtime: () => current,
    control: opts.control,
    info: { version: opts.version, releaseDate: opts.releaseDate ?? today, pid: opts.pid },
    tables: () => opts.tables,
    nodeView: opts.nodeView,
  };
  const sockets = new Map<string, { server: Server; model: StatsSocketModel }>();
  const handover: SocketHandover | undefined = opts.handover && {
    inherited: opts.handover.inherited,
    listeningFds: () => {
      const own = [...sockets.values()].map((s) => cliSocketFd(s.server));
      return [...(opts.handover?.listeningFds() ?? []), ...own.filter((fd) => fd !== undefined)];
    },
  };

  const openSockets = async (configured: StatsSocketModel[]) => {
    const models = [...configured, ...(opts.extraSockets ?? [])];
    const wanted = new Map(models.map((m) => [socketKey(m), m]));
    for (const [k, s] of sockets) {
      if (!wanted.has(k)) {
        await closeCliSocket(s.server, s.model);
        sockets.delete(k);
      }
    }
    for (const [k, m] of wanted) {
      if (!sockets.has(k)) sockets.set(k, { server: await listenCliSocket(m, cli, handover), model: m });
    }
  };

  return {
    handlers,
    startSockets: () => openSockets(current.config.global.statsSockets),
    async stop(stopOpts) {
      dashboard.stop();
      for (const s of sockets.values()) await closeCliSocket(s.server, s.model, stopOpts?.keepPaths);
      sockets.clear();
      if (building) await (await building).close();
    },
    async swapRuntime(next) {
      checkConfig(next, opts);
      current = next;
      if (servesHttp(next)) await ensureHttp();
      if (hasStatsPage(next)) dashboard.start();
      scraped = undefined;
      latency.prune(
        (b, s) => {
          const be = next.backends.get(b);
          return !!be && (s === undefined || be.serversByName.has(s));
        },
        (f) => next.frontends.has(f),
      );
      if (sockets.size > 0) await openSockets(next.config.global.statsSockets);
    },
    observeLatency: (b, s, sec, f) => latency.observe(b, s, sec, f),
    renderMetrics: () => refreshScrape().then(() => exporter().all.metrics()),
  };
}
