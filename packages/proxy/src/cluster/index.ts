export * from './counter-snapshot.ts';
export * from './ipc.ts';
export * from './node-view.ts';
export * from './server-mirror.ts';
