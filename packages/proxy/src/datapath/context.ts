/** State shared by every request of one datapath instance (survives reloads). */
import type { LogTarget } from '@switchyard/config';
import type { RequestHooks, ServiceHandlers, TrafficObserver } from '../model/hooks.ts';
import type { SyslogLevel } from '../model/log-types.ts';
import type { CompiledRuntime } from '../runtime/plan.ts';
import type { InheritedSockets } from './inherited.ts';
import type { UpstreamPools } from './pools.ts';
import type { Queues } from './queue.ts';

/** Where request log lines go (the process Logger implements it). */
export interface RequestLogSink {
  send(targets: LogTarget[], level: SyslogLevel, msg: string): void;
}

export interface DatapathContext {
  runtime: CompiledRuntime;
  pools: UpstreamPools;
  queues: Queues;
  hooks: RequestHooks;
  observer?: TrafficObserver;
  services: ServiceHandlers;
  log?: RequestLogSink;
  /** Per-request latency observer (Prometheus histograms), called for requests with a backend. */
  latency?: (backend: string, server: string | undefined, seconds: number, frontend?: string) => void;
  /** `--log-format json`: request lines as JSON objects. */
  jsonLog: boolean;
  /** Current client connections of the process (actconn). */
  actconn: number;
  /** Set while stopping: keep-alive connections close after their current request. */
  stopping: boolean;
  /** Listening sockets received at start (`-x`, a master's hand-over), taken by matching binds. */
  inherited?: InheritedSockets;
  /** Soft stop after a hand-over: unix listeners close without removing their path. */
  keepUnixPaths?: boolean;
}
