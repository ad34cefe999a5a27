/**
 * The state layer: stick tables, stick/track rules, cookie persistence and (with `redis-url`)
 * sharing with other nodes. One per process; the CLI creates it after building the runtime,
 * awaits ready() before binding, passes `hooks` to the datapath and calls swapRuntime on reload.
 */
import cluster from 'node:cluster';
import type { ConfigModel, Diagnostic } from '@switchyard/config';
import {
  type ProxyLogger,
  type ProxyRuntime,
  type RequestHooks,
  setServerAdmin,
  setServerWeight,
} from '@switchyard/proxy';
import { aclCompiler } from './acl-bridge.ts';
import { setActiveDirectory } from './active.ts';
import { compilePlan, type StateCompiler, type StatePlan } from './plan.ts';
import { checkRedisUrl } from './redis-keys.ts';
import { RedisSync, type ServerControl } from './redis-sync.ts';
import { createRequestHooks } from './request-hooks.ts';
import { TableDirectory } from './tables.ts';
import { WorkerSync } from './worker-sync.ts';

export interface StateLayerOptions {
  /** Overrides `global redis-url`; unset (and no redis-url) = in-memory only. */
  redisUrl?: string;
  /** Overrides `global cluster-name` (default `default`). */
  clusterName?: string;
  /** Defaults to the runtime's logger. */
  logger?: ProxyLogger;
  /** Compilers for keys and conditions (default: the ACL package's). */
  compiler?: StateCompiler;
  /** Applies admin changes made on other nodes (default: packages/proxy's setServerAdmin/setServerWeight). */
  serverControl?: ServerControl;
  /** Replication flush interval, ms (default 50). */
  flushMs?: number;
  /** Longest ready() waits for Redis, ms (default 5000). */
  readyTimeoutMs?: number;
  /** Node id in the cluster (default host:pid:random). */
  nodeId?: string;
}

export interface StateLayer {
  /** Hooks for the datapath (createDatapath / server options). */
  readonly hooks: RequestHooks;
  /** The tables by name (runtime API `show table`, `clear table`). */
  readonly tables: TableDirectory;
  /** Problems found compiling the state parts of the configuration (errors refuse the config). */
  readonly diagnostics: Diagnostic[];
  /** Resolves when shared state is loaded (immediately without Redis; bounded wait with it). */
  ready(): Promise<void>;
  /** Recompiles rules for a new runtime (reload); unchanged tables keep their entries. */
  swapRuntime(rt: ProxyRuntime): Diagnostic[];
  /** Shared-state status for the stats page / logs. */
  status(): {
    shared: boolean;
    connected: boolean;
    nodeId?: string;
    /** Replication counters: flushes, messages published, changes applied, entries loaded, errors, resyncs. */
    sync?: RedisSync['stats'];
    tables: Array<{ name: string; used: number; size: number }>;
  };
  /** Stops timers, flushes to Redis (bounded) and disconnects. */
  stop(): Promise<void>;
}

/**
 * Diagnostics of the state-related configuration, without connecting anything (for `-c`): table
 * definitions, redis-url, peers; with the built runtime also the stick/track rules (unknown
 * tables, bad keys, conditions).
 */
export function checkStateConfig(config: ConfigModel, rt?: ProxyRuntime): Diagnostic[] {
  const dir = new TableDirectory();
  const diags = dir.load(config);
  if (rt) compilePlan(rt, dir, aclCompiler(), diags);
  const url = config.global.redisUrl;
  if (url) {
    const bad = checkRedisUrl(url);
    if (bad)
      diags.push({
        severity: 'error',
        code: 'STATE_BAD_REDIS_URL',
        message: bad,
        loc: config.global.loc ?? { file: config.files[0] ?? '', line: 0 },
      });
  }
  for (const p of config.proxies) {
    // HAProxy refuses this pair at parse time (cfgparse-listen.c)
    if (p.cookie?.mode === 'rewrite' && p.cookie.indirect) {
      diags.push({
        severity: 'error',
        code: 'STATE_COOKIE_INCOMPATIBLE',
        message: "cookie 'rewrite' and 'indirect' modes are incompatible.",
        loc: p.cookie.loc,
      });
    }
  }
  for (const p of config.peers) {
    diags.push({
      severity: 'warning',
      code: 'STATE_PEERS_VIA_REDIS',
      message:
        `peers section '${p.name}' is parsed but not used: Switchyard shares stick tables through Redis ` +
        `(global 'redis-url' and 'cluster-name'), not HAProxy's peers protocol`,
      loc: p.loc,
    });
  }
  return diags;
}

/** Creates the state layer for `rt` (see StateLayer). Never connects synchronously; call ready(). */
export function createStateLayer(rt: ProxyRuntime, opts: StateLayerOptions = {}): StateLayer {
  const logger = opts.logger ?? rt.logger;
  const compiler = opts.compiler ?? aclCompiler();
  const dir = new TableDirectory();
  setActiveDirectory(dir);
  const diagnostics = checkStateConfig(rt.config);
  dir.load(rt.config);
  let plan: StatePlan = compilePlan(rt, dir, compiler, diagnostics);
  const hooks = createRequestHooks(
    () => plan,
    Date.now,
    () =>
      logger.log(
        undefined,
        'warning',
        'stick tables store bytes_* counters but the datapath does not report bytes per request: they stay at 0',
        { stderr: true },
      ),
  );

  const url = opts.redisUrl ?? rt.config.global.redisUrl;
  let sync: RedisSync | undefined;
  if (url && !checkRedisUrl(url)) {
    const cluster = opts.clusterName ?? rt.config.global.clusterName ?? 'default';
    sync = new RedisSync(dir, rt, {
      url,
      cluster,
      logger,
      serverControl: opts.serverControl ?? { setServerAdmin, setServerWeight },
      flushMs: opts.flushMs,
      readyTimeoutMs: opts.readyTimeoutMs,
      nodeId: opts.nodeId,
    });
    dir.onTable = (t) => sync?.attach(t);
    const s = sync;
    dir.store = () => s.status();
    dir.onClear = (t, keys) => s.clear(t, keys);
    sync.start();
  }

  // node:cluster workers (`--workers N`, `nbthread N`) share their tables over IPC when there is
  // no Redis (with Redis every worker is a node of the cluster), as HAProxy's threads share them
  let workers: WorkerSync | undefined;
  if (!sync && cluster.isWorker) {
    workers = new WorkerSync(dir, rt, {
      logger,
      serverControl: opts.serverControl ?? { setServerAdmin, setServerWeight },
    });
    dir.onTable = (t) => workers?.attach(t);
    dir.onClear = (t, keys) => workers?.clear(t, keys);
    workers.start();
  }

  const purge = setInterval(() => {
    const now = Date.now();
    for (const t of dir.all()) t.purgeExpired(now);
  }, 1000);
  purge.unref();

  return {
    hooks,
    tables: dir,
    diagnostics,
    ready: () => (sync ? sync.ready() : Promise.resolve()),
    swapRuntime(next: ProxyRuntime): Diagnostic[] {
      // checked on a scratch directory first: a configuration with errors changes nothing
      const diags = checkStateConfig(next.config, next);
      if (diags.some((d) => d.severity === 'error')) return diags;
      dir.load(next.config);
      plan = compilePlan(next, dir, compiler, []);
      sync?.swapRuntime(next);
      workers?.swapRuntime(next);
      return diags;
    },
    status() {
      return {
        shared: sync !== undefined,
        connected: sync?.isConnected ?? false,
        nodeId: sync?.nodeId,
        sync: sync ? { ...sync.stats } : undefined,
        tables: [...dir.all()].map((t) => ({ name: t.name, used: t.count, size: t.spec.size })),
      };
    },
    async stop() {
      clearInterval(purge);
      workers?.stop();
      await sync?.stop();
    },
  };
}
