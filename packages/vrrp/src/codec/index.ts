/** VRRPv2/v3 (IPv4) wire format: encode, parse, validate. */
export * from './checksum.ts';
export * from './ipv4.ts';
export * from './packet.ts';
export * from './validate.ts';
