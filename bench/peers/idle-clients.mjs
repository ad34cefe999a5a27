// Opens N keep-alive client connections to 127.0.0.1:PORT, sends one GET on each, keeps them idle,
// prints "ready OK FAILED" once all answered, then holds them until killed.
// Usage: node idle-clients.mjs PORT N
import net from 'node:net';

const [port, n] = process.argv.slice(2).map(Number);
let ok = 0;
let failed = 0;
let open = 0;
const socks = [];
function one() {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    socks.push(s);
    let got = '';
    s.setTimeout(30000, () => {
      failed++;
      s.destroy();
      resolve();
    });
    s.on('connect', () => {
      open++;
      s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
    });
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n\r\n')) {
        if (got.startsWith('HTTP/1.1 200')) ok++;
        else failed++;
        s.setTimeout(0);
        s.removeAllListeners('data');
        resolve();
      }
    });
    s.on('error', () => {
      failed++;
      resolve();
    });
  });
}
const batch = 500;
for (let i = 0; i < n; i += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, n - i) }, one));
}
console.log(`ready ${ok} ${failed} ${open}`);
setInterval(() => {}, 1 << 30);
