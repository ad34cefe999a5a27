/** Virtual IP addresses and gratuitous ARP. */
export * from './ip-command.ts';
export * from './neighbour-advert.ts';
export * from './no-accept.ts';
export * from './vips.ts';
