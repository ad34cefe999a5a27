/**
 * Upstream connections read into buffers they reuse (h1-client.ts). Whoever keeps a reference to
 * bytes of a read after the read's callback returned (a socket write the kernel did not take at
 * once keeps its buffer until it is written) sets `retained`; the connection then reads into a
 * new buffer, so bytes still queued are never overwritten.
 */
export const readBuffers = { retained: false };
