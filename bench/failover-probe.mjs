// Waits (up to 20 s) until URL answers 200, then exits 0; exits 1 otherwise. Runs in the client namespace.
import { request } from 'node:http';

const url = process.argv[2];
const t0 = Date.now();
function attempt() {
  const req = request(url, { agent: false, timeout: 1000 }, (res) => {
    res.resume();
    if (res.statusCode === 200) process.exit(0);
    retry();
  });
  req.on('timeout', () => req.destroy());
  req.on('error', retry);
  req.end();
}
function retry() {
  if (Date.now() - t0 > 20000) {
    console.error(`no 200 from ${url} within 20 s`);
    process.exit(1);
  }
  setTimeout(attempt, 100);
}
attempt();
