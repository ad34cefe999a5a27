export * from './agent-reply.ts';
export * from './check-status.ts';
export * from './engine.ts';
export * from './health-counter.ts';
export * from './http-check.ts';
export * from './passive.ts';
export * from './probe.ts';
export * from './validate.ts';
