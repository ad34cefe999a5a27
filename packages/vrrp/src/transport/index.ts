/** Raw-socket transport for VRRP. */

export * from './drop-log.ts';
export * from './native.ts';
export * from './proxy-report.ts';
export * from './raw-socket.ts';
