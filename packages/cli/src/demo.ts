/**
 * `--demo-backends`: three small web servers on loopback for deploy/example/haproxy.cfg to front,
 * so `npm start` shows a working proxy without any other setup.
 */
import { createServer, type Server } from 'node:http';

/** Addresses the example configuration points at. */
export const DEMO_PORTS = [18081, 18082, 18083];

/** Starts the demo servers; resolves with a function that stops them. */
export async function startDemoBackends(host = '127.0.0.1', ports = DEMO_PORTS): Promise<() => Promise<void>> {
  const servers: Server[] = [];
  for (const [i, port] of ports.entries()) {
    const name = `demo${i + 1}`;
    const srv = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('OK\n');
        return;
      }
      const body = `Hello from ${name} (${host}:${port})\n${req.method} ${req.url}\nHost: ${req.headers.host ?? ''}\nX-Forwarded-For: ${req.headers['x-forwarded-for'] ?? ''}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': name });
      res.end(body);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve());
    });
    servers.push(srv);
  }
  return async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
}
