/** VRRPv2/v3 wire format (IPv4, and VRRPv3 over IPv6): encode, parse, validate. */
export * from './checksum.ts';
export * from './ipv4.ts';
export * from './ipv6.ts';
export * from './packet.ts';
export * from './validate.ts';
