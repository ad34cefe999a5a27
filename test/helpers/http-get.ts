/** One HTTP/1.1 request on a new connection (Connection: close); the whole response, body as bytes. */
import { type IncomingHttpHeaders, request } from 'node:http';

export interface HttpGot {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** `v10`: sent as HTTP/1.0 would be framed (no chunked body by default). */
export function httpGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  v10 = false,
): Promise<HttpGot> {
  return new Promise((resolve, reject) => {
    const r = request({
      host: '127.0.0.1',
      port,
      path,
      method,
      headers: { ...headers, connection: 'close' },
      agent: false,
    });
    if (v10) (r as unknown as { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = false;
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
}
