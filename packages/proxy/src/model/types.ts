/**
 * The compiled runtime: what a loaded configuration becomes. Built whole from a ConfigModel by
 * runtime/build.ts and swapped in whole on reload; only ServerState and counters mutate.
 */
import type { EventEmitter } from 'node:events';
import type { ConfigModel, ProxyModel } from '@switchyard/config';
import type { CertStore } from './cert-store.ts';
import type { BackendCounters, FrontendCounters, ResolversCounters } from './counters.ts';
import type { ProxyLogger } from './log-types.ts';
import type { PatRefs } from './pattern-refs.ts';
import type { Selector } from './selector.ts';
import type { AdminState, OpState, ServerState } from './server-state.ts';

export interface FrontendRuntime {
  readonly name: string;
  readonly id: number;
  readonly model: ProxyModel;
  readonly counters: FrontendCounters;
  /** True while at least one bind of this frontend is listening. */
  listening: boolean;
  /** `disable frontend` (paused: binds closed until `enable frontend`) or `shutdown frontend` (stopped for good). */
  adminState?: 'paused' | 'stopped';
}

/** Emitted on ProxyRuntime.events as 'frontend-state' when the runtime API pauses, resumes or stops a frontend. */
export interface FrontendStateEvent {
  frontend: FrontendRuntime;
  state: 'ready' | 'paused' | 'stopped';
}

export interface BackendRuntime {
  readonly name: string;
  readonly id: number;
  readonly model: ProxyModel;
  readonly servers: ServerState[];
  readonly serversByName: Map<string, ServerState>;
  readonly counters: BackendCounters;
  /** Balancer over `servers`; rebuilt/updated when the usable set or weights change. */
  readonly selector: Selector;
  /** Epoch ms of the last "no server available" transition, and accumulated downtime (ms). */
  lastChange: number;
  downtimeMs: number;
  downSince?: number;
}

/** Emitted on ProxyRuntime.events as 'server-state'. */
export interface ServerStateEvent {
  server: ServerState;
  backend: BackendRuntime;
  fromOp: OpState;
  toOp: OpState;
  fromAdmin: AdminState;
  toAdmin: AdminState;
  /** Who caused it: 'check', 'agent', 'api' (runtime socket), 'stats' (stats page), 'shared' (another node via the store), 'config'. */
  origin: string;
  reason?: string;
}

/** Emitted on ProxyRuntime.events as 'server-weight'. */
export interface ServerWeightEvent {
  server: ServerState;
  backend: BackendRuntime;
  from: number;
  to: number;
  origin: string;
}

export interface ProxyRuntime {
  readonly config: ConfigModel;
  /** ACL and map pattern references of this configuration (runtime API `show|add|del|... map|acl`). */
  readonly patterns?: PatRefs;
  /** Certificate files of the `ssl` binds (runtime API `show|set|commit|abort|new ssl cert`). */
  readonly certificates?: CertStore;
  readonly frontends: Map<string, FrontendRuntime>;
  readonly backends: Map<string, BackendRuntime>;
  /** 'server-state' (ServerStateEvent), 'server-weight' (ServerWeightEvent), 'frontend-state' (FrontendStateEvent), 'vrrp-state' ({instance, state}). */
  readonly events: EventEmitter;
  /** Epoch ms when this process started. */
  readonly startedAt: number;
  /** VRRP state of this node per instance, reported by the sidecar (stats column). */
  vrrp: Map<string, string>;
  /** Event and request logging (see log-types.ts). */
  readonly logger: ProxyLogger;
  /**
   * Set only on a node-wide view under `--workers` (cluster/node-view.ts): the workers whose
   * counters it sums, out of those asked.
   */
  readonly workers?: { answered: number; asked: number };
  /**
   * The DNS clients' counters (`show resolvers`): set by the service discovery of this runtime
   * (dns/discovery.ts), or from the primary's figures on a node-wide view under `--workers`.
   */
  resolverCounters?: () => ResolversCounters;
}
