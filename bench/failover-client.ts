/**
 * Failover client (runs in the client namespace): sends one HTTP GET to URL every INTERVAL ms
 * (open loop: a slow or failed request never delays the next), each on a fresh connection with a
 * TIMEOUT, for DURATION ms, then prints one JSON line: every request's send offset, outcome, and
 * which node answered. Usage: node --import tsx bench/failover-client.ts URL INTERVAL DURATION TIMEOUT
 */
import { request } from 'node:http';

export interface Sample {
  /** ms since the client started */
  at: number;
  ok: boolean;
  /** Response body (the node name) or the error code. */
  what: string;
}

const [url, intervalS, durationS, timeoutS] = process.argv.slice(2);
const interval = Number(intervalS);
const duration = Number(durationS);
const timeout = Number(timeoutS);
const t0 = performance.now();
const samples: Sample[] = [];
let pending = 0;

function one(): void {
  const s: Sample = { at: performance.now() - t0, ok: false, what: '' };
  samples.push(s);
  pending++;
  let done = false;
  const finish = (ok: boolean, what: string) => {
    if (done) return;
    done = true;
    s.ok = ok;
    s.what = what;
    pending--;
  };
  const req = request(url, { agent: false, timeout }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      body += d;
    });
    res.on('end', () =>
      finish(res.statusCode === 200, res.statusCode === 200 ? body.trim() : `HTTP ${res.statusCode}`),
    );
    res.on('error', (e) => finish(false, (e as NodeJS.ErrnoException).code ?? e.message));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (e) => finish(false, (e as NodeJS.ErrnoException).code ?? e.message));
  req.end();
}

const timer = setInterval(() => {
  if (performance.now() - t0 >= duration) {
    clearInterval(timer);
    const wait = setInterval(() => {
      if (pending === 0 || performance.now() - t0 > duration + timeout + 2000) {
        clearInterval(wait);
        process.stdout.write(`${JSON.stringify({ samples })}\n`);
      }
    }, 50);
    return;
  }
  one();
}, interval);
