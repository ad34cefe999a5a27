// Reference peer for the benchmark: node-http-proxy with a keep-alive agent, round robin over the
// given upstream ports. Usage: node node-http-proxy.mjs LISTEN_PORT UPSTREAM_PORT[,PORT...]
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listen, ups] = process.argv.slice(2);
const targets = ups.split(',').map((p) => `http://127.0.0.1:${p}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ agent, xfwd: true });
proxy.on('error', (_e, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
let i = 0;
http
  .createServer((req, res) => {
    proxy.web(req, res, { target: targets[i++ % targets.length] });
  })
  .listen(Number(listen), '127.0.0.1');
