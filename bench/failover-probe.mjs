// Waits (up to 20 s) until URL answers 200 (with body EXPECTED, if given), then exits 0; exits 1
// otherwise. Runs in the client namespace. Usage: node failover-probe.mjs URL [EXPECTED]
import { request } from 'node:http';

const url = process.argv[2];
const expected = process.argv[3];
const t0 = Date.now();
function attempt() {
  const req = request(url, { agent: false, timeout: 1000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      body += d;
    });
    res.on('end', () => {
      if (res.statusCode === 200 && (expected === undefined || body.trim() === expected)) process.exit(0);
      retry();
    });
  });
  req.on('timeout', () => req.destroy());
  req.on('error', retry);
  req.end();
}
function retry() {
  if (Date.now() - t0 > 20000) {
    console.error(`no 200${expected ? ` from node ${expected}` : ''} at ${url} within 20 s`);
    process.exit(1);
  }
  setTimeout(attempt, 100);
}
attempt();
