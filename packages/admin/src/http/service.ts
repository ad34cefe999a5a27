/**
 * The HTTP side of the admin package, on fastify: the datapath hands a request for a `stats uri`
 * or `use-service prometheus-exporter` over (node req/res) and fastify routes it
 * (`serverFactory` captures fastify's request handler; no port of its own is opened).
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { ProxyModel, StatsModel } from '@switchyard/config';
import type { CompiledCondition, FrontendRuntime, HttpTxn, ProxyRuntime } from '@switchyard/proxy';
import { originForm } from '@switchyard/proxy';
import type { StoreStatus } from '@switchyard/state';
import type * as FastifyModule from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { ServerControl } from '../actions.ts';
import { renderDashboardPage } from '../dashboard/page.ts';
import type { DashboardRecorder } from '../dashboard/recorder.ts';
import { type ExporterRegistries, mergeRegistries } from '../metrics/exporter.ts';
import { renderCsv } from '../stats/csv.ts';
import { renderJson } from '../stats/json.ts';
import { collectRows } from '../stats/rows.ts';
import { applyAdminPost, MAX_POST_BYTES } from './admin-post.ts';
import { authorized, sendUnauthorized } from './auth.ts';
import { renderPage } from './html.ts';

/** Compiles a `stats admin if|unless COND` of `proxy` (packages/proxy acl compileCondition). */
export type AdminConditionCompiler = (stats: StatsModel, proxy: ProxyModel) => CompiledCondition;

export interface HttpServiceDeps {
  runtime(): ProxyRuntime;
  control: ServerControl;
  /** The exporter's registries, created at the first scrape (prom-client is loaded then). */
  registries(): ExporterRegistries;
  version: string;
  pid: number;
  compileAdmin?: AdminConditionCompiler;
  /** Under --workers: the node-wide view the stats page shows (else runtime()). */
  nodeView?(): Promise<ProxyRuntime>;
  /** Called before a scrape renders (the exporter's view is refreshed there). */
  beforeMetrics?(): Promise<void>;
  /** What `;dashboard` shows (recorded once a second). */
  dashboard: DashboardRecorder;
  /** The shared state store's status (packages/state), shown in the page header. */
  store?(): StoreStatus | undefined;
}

interface StatsCtx {
  kind: 'stats';
  fe: FrontendRuntime;
  stats: StatsModel;
  txn: HttpTxn;
  /** What follows the stats URI prefix in the request target (`;csv;norefresh`, ...). */
  rest: string;
}
interface PromCtx {
  kind: 'prometheus';
  txn: HttpTxn;
}

const ROUTE_STATS = '/.switchyard/stats';
const ROUTE_METRICS = '/.switchyard/metrics';
const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/**
 * A browser POST from another site (its `Origin` names another host than the request's `Host`):
 * refused, so a page elsewhere cannot drive the admin form with the operator's credentials.
 * Scripts (curl, no `Origin`) are not affected.
 */
export function crossSite(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host.toLowerCase() !== (req.headers.host ?? '').toLowerCase();
  } catch {
    return true;
  }
}

/** Parsed `;opt` suffixes of a stats URI. */
export interface StatsOptions {
  csv: boolean;
  json: boolean;
  up: boolean;
  norefresh: boolean;
  st?: string;
  /** `;dashboard` (the live dashboard), `;dashboard;data` (its JSON), `;since=MS` (samples after MS). */
  dashboard: boolean;
  data: boolean;
  since: number;
}

/**
 * Parses what follows the stats URI (`;csv`, `;json`, `;up`, `;norefresh`, `;st=XXX`, and
 * Switchyard's `;dashboard`, `;data`, `;since=MS`).
 */
export function parseStatsSuffix(rest: string): StatsOptions {
  const o: StatsOptions = {
    csv: false,
    json: false,
    up: false,
    norefresh: false,
    dashboard: false,
    data: false,
    since: 0,
  };
  for (const part of rest.split(';')) {
    if (part === 'dashboard') o.dashboard = true;
    else if (part === 'data') o.data = true;
    else if (part.startsWith('since=')) {
      const n = Number(part.slice(6));
      o.since = Number.isFinite(n) && n > 0 ? n : 0;
    } else if (part === 'csv') o.csv = true;
    else if (part === 'json') o.json = true;
    else if (part === 'up') o.up = true;
    else if (part === 'norefresh') o.norefresh = true;
    else if (part.startsWith('st='))
      o.st = part
        .slice(3)
        .replace(/[^A-Z]/g, '')
        .slice(0, 8);
  }
  return o;
}

const requireDep = createRequire(import.meta.url);

/** Builds the fastify app and returns the two service entry points for the datapath. */
export async function createHttpService(deps: HttpServiceDeps) {
  // loaded here, not at import: a configuration without stats or exporter never loads fastify
  const Fastify = requireDep('fastify') as typeof FastifyModule.default;
  const ctxOf = new WeakMap<IncomingMessage, StatsCtx | PromCtx>();
  const adminConds = new WeakMap<StatsModel, CompiledCondition>();
  let route: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    serverFactory: (handler) => {
      route = handler;
      // fastify wants a server object; it is never listened on
      return createServer();
    },
  });
  // The admin form body: keep it raw, applyAdminPost parses it (any content type, as HAProxy)
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const ownerOf = (stats: StatsModel, fe: FrontendRuntime): ProxyModel => {
    for (const p of deps.runtime().config.proxies) if (p.stats === stats) return p;
    return fe.model;
  };

  const isAdmin = (c: StatsCtx): boolean => {
    const cond = c.stats.admin;
    if (!cond) return false;
    let f = adminConds.get(c.stats);
    if (!f) {
      if (!deps.compileAdmin) return false; // createAdmin refuses configs that need it without it
      f = deps.compileAdmin(c.stats, ownerOf(c.stats, c.fe));
      adminConds.set(c.stats, f);
    }
    return f(c.txn);
  };

  const sendMetrics = async (request: FastifyRequest, reply: FastifyReply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const scopes = q.scope === undefined ? [] : Array.isArray(q.scope) ? q.scope : [q.scope];
    const all = deps.registries();
    const regs = q['no-maint'] !== undefined ? all.noMaint : all;
    let selected: Registry[] | undefined = [];
    for (const sc of scopes) {
      if (sc === '*' || sc === 'all') {
        selected = undefined;
        break;
      }
      const r = regs.byScope[sc];
      if (!r) return reply.code(400).type('text/plain').send(`Unsupported scope '${sc}'.\n`);
      selected.push(r);
    }
    const reg = !selected || selected.length === 0 ? regs.all : mergeRegistries(selected);
    await deps.beforeMetrics?.();
    const text = await reg.metrics();
    return reply.code(200).header('cache-control', 'no-cache').type(PROM_CONTENT_TYPE).send(text);
  };

  const sendDashboard = (c: StatsCtx, o: StatsOptions, reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
    if (o.data) {
      deps.dashboard.watched();
      return deps.dashboard.json(o.since, c.stats.scope).then((text) => reply.type('application/json').send(text));
    }
    const g = deps.runtime().config.global;
    const page = renderDashboardPage({
      uri: c.stats.uri,
      node: c.stats.showNode !== undefined ? c.stats.showNode || g.node || hostname() : g.node,
      version: c.stats.hideVersion ? undefined : deps.version,
    });
    return reply.type('text/html; charset=utf-8').send(page);
  };

  app.route({
    method: ['GET', 'POST'],
    url: ROUTE_STATS,
    handler: async (request, reply) => {
      const c = ctxOf.get(request.raw) as StatsCtx;
      const o = parseStatsSuffix(c.rest);
      const uri = c.stats.uri;
      const tail = `${o.up ? ';up' : ''}${o.norefresh ? ';norefresh' : ''}`;
      if (request.method === 'POST') {
        const st =
          !isAdmin(c) || crossSite(request.raw)
            ? 'DENY'
            : applyAdminPost(
                deps.runtime(),
                deps.control,
                typeof request.body === 'string' ? request.body : '',
                c.stats.scope,
              );
        return reply
          .code(303)
          .header('cache-control', 'no-cache')
          .header('location', `${uri};st=${st}${tail}`)
          .type('text/plain')
          .send('');
      }
      if (o.dashboard) return sendDashboard(c, o, reply);
      // under --workers the node-wide figures; this process's own if they cannot be had
      const rt = deps.nodeView ? await deps.nodeView().catch(() => deps.runtime()) : deps.runtime();
      const rows = collectRows(rt, { scope: c.stats.scope, upOnly: o.up });
      if (c.stats.refresh && !o.norefresh)
        reply.header('refresh', String(Math.max(1, Math.round(c.stats.refresh / 1000))));
      reply.header('cache-control', 'no-cache');
      if (o.csv) return reply.type('text/plain').send(renderCsv(rows));
      if (o.json) return reply.type('application/json').send(renderJson(rows));
      const g = rt.config.global;
      const html = renderPage(rt, rows, {
        version: deps.version,
        pid: deps.pid,
        hideVersion: c.stats.hideVersion,
        showLegends: c.stats.showLegends,
        node: c.stats.showNode !== undefined ? c.stats.showNode || g.node || hostname() : undefined,
        description: g.description,
        refresh: c.stats.refresh ? Math.max(1, Math.round(c.stats.refresh / 1000)) : undefined,
        uri,
        admin: isAdmin(c),
        upOnly: o.up,
        noRefresh: o.norefresh,
        status: o.st,
        store: deps.store?.(),
      });
      return reply.type('text/html; charset=utf-8').send(html);
    },
  });
  app.route({ method: 'GET', url: ROUTE_METRICS, handler: sendMetrics });
  app.setNotFoundHandler((request, reply) => {
    // Only the two internal routes exist; another method on them lands here
    const c = ctxOf.get(request.raw);
    if (c?.kind === 'stats') {
      return reply.code(303).header('location', `${c.stats.uri};st=IVAL`).type('text/plain').send('');
    }
    return reply.code(405).header('allow', 'GET, HEAD').type('text/plain').send('Method not allowed.\n');
  });
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    const c = ctxOf.get(request.raw);
    if (c?.kind === 'stats' && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(303).header('location', `${c.stats.uri};st=EXCD`).type('text/plain').send('');
    }
    const status = err.statusCode ?? 500;
    return reply
      .code(status >= 400 && status < 600 ? status : 500)
      .type('text/plain')
      .send(`${err.message}\n`);
  });
  await app.ready();
  const dispatch = route;
  if (!dispatch) throw new Error('fastify did not provide a request handler');

  return {
    /** ServiceHandlers.stats: the stats page, `;csv`, `;json`, admin POSTs (and `/metrics` on a stats listener). */
    stats(req: IncomingMessage, res: ServerResponse, fe: FrontendRuntime, stats: StatsModel, txn: HttpTxn): void {
      // The stats credentials protect everything this listener serves, /metrics included
      if (!authorized(req, stats)) {
        sendUnauthorized(res, stats);
        return;
      }
      if (stats.uri !== '/metrics' && txn.path === '/metrics' && '/metrics'.startsWith(stats.uri)) {
        ctxOf.set(req, { kind: 'prometheus', txn });
        req.url = `${ROUTE_METRICS}${txn.query ? `?${txn.query}` : ''}`;
      } else {
        const url = originForm(txn);
        ctxOf.set(req, {
          kind: 'stats',
          fe,
          stats,
          txn,
          rest: url.startsWith(stats.uri) ? url.slice(stats.uri.length) : '',
        });
        req.url = ROUTE_STATS;
      }
      dispatch(req, res);
    },
    /** ServiceHandlers.prometheus: `http-request use-service prometheus-exporter`. */
    prometheus(req: IncomingMessage, res: ServerResponse, txn: HttpTxn): void {
      ctxOf.set(req, { kind: 'prometheus', txn });
      req.url = `${ROUTE_METRICS}${txn.query ? `?${txn.query}` : ''}`;
      dispatch(req, res);
    },
    close: () => app.close(),
  };
}

/** The stats and exporter entry points for the datapath (createHttpService). */
export type HttpService = Awaited<ReturnType<typeof createHttpService>>;

export { MAX_POST_BYTES };
