/**
 * The addon on its own, against real loopback sockets: each mode's stop rule, errors, cancel, and
 * that its thread never keeps a process (or a worker) from ending.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ADDON_PATH, type NetProbe, ProbeEvent, ProbeMode, type ProbeRequest } from '../src/index.ts';
import { listen, runWithAddon } from './helpers.ts';
import { requireAddon } from './require-addon.ts';

interface Report {
  event: number;
  errno: number;
  data?: string;
}

function probe(np: NetProbe, req: Partial<ProbeRequest> & { port: number }): Promise<Report[]> {
  const reports: Report[] = [];
  return new Promise((resolve) => {
    const cancel = np.start(
      { host: '127.0.0.1', mode: ProbeMode.connect, connectMs: 1000, readMs: 1000, maxBytes: 16384, ...req },
      (event, errno, _ms, data) => {
        reports.push({ event, errno, data: data?.toString('latin1') });
        if (event !== ProbeEvent.partial) resolve(reports);
        else if (reports.length >= 3) {
          cancel?.();
          resolve(reports);
        }
      },
    );
    assert.ok(cancel, 'started');
  });
}

test('connect mode: connected and closed before the handshake completes (the server accepts nothing, as with haproxy 2.6)', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  let accepted = 0;
  const { server, port } = await listen(() => {
    accepted++;
  });
  t.after(() => server.close());
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await probe(np, { port }), [{ event: ProbeEvent.connected, errno: 0, data: undefined }]);
  }
  await new Promise((r) => setTimeout(r, 100));
  // The last ACK is delayed (TCP_QUICKACK 0) and the reset goes first; only a thread stalled for
  // the whole delayed-ACK time (200 ms) would let one through.
  assert.ok(accepted < 5, `${accepted} of 5 check connections accepted`);
});

test('connect errors carry the errno; names are not IP literals', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen(() => {});
  await new Promise((r) => server.close(r));
  const [r] = await probe(np, { port });
  assert.equal(r?.event, ProbeEvent.connectError);
  assert.equal(r?.errno, 111); // ECONNREFUSED on Linux
  assert.equal(
    np.start({ host: 'localhost', port, mode: 0, connectMs: 1, readMs: 1, maxBytes: 1 }, () => {}),
    undefined,
  );
});

test('http mode stops at the end of the head, even on a connection kept open', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen((s) => s.once('data', () => s.write('HTTP/1.1 200 OK\r\n\r\nbody')));
  t.after(() => server.close());
  const reports = await probe(np, { port, mode: ProbeMode.http, send: Buffer.from('GET / HTTP/1.1\r\n\r\n') });
  assert.deepEqual(reports, [{ event: ProbeEvent.done, errno: 0, data: 'HTTP/1.1 200 OK\r\n\r\nbody' }]);
});

test('httpBody mode reports each read after the head until cancelled', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen((s) =>
    s.once('data', async () => {
      for (const part of ['HTTP/1.1 200 OK\r\n\r\n', 'a', 'b']) {
        s.write(part);
        await new Promise((r) => setTimeout(r, 30));
      }
    }),
  );
  t.after(() => server.close());
  const reports = await probe(np, { port, mode: ProbeMode.httpBody, send: Buffer.from('GET /\r\n\r\n') });
  assert.deepEqual(
    reports.map((r) => [r.event, r.data]),
    [
      [ProbeEvent.partial, 'HTTP/1.1 200 OK\r\n\r\n'],
      [ProbeEvent.partial, 'HTTP/1.1 200 OK\r\n\r\na'],
      [ProbeEvent.partial, 'HTTP/1.1 200 OK\r\n\r\nab'],
    ],
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(np.nativeActive(), 0);
});

test('line mode stops at the first newline; the read timeout runs from the connect', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen((s) => s.write('up 50%\nmore\n'));
  const quiet = await listen(() => {});
  t.after(() => {
    server.close();
    quiet.server.close();
  });
  assert.deepEqual(await probe(np, { port, mode: ProbeMode.line, maxBytes: 1024 }), [
    { event: ProbeEvent.done, errno: 0, data: 'up 50%\nmore\n' },
  ]);
  const t0 = performance.now();
  const [r] = await probe(np, { port: quiet.port, mode: ProbeMode.line, connectMs: 50, readMs: 250 });
  assert.equal(r?.event, ProbeEvent.readTimeout);
  assert.ok(performance.now() - t0 >= 240);
});

test('a process with a probe in flight waits for it, then exits; cancel lets it exit at once', () => {
  const out = runWithAddon(`
    const server = createServer(() => {}).listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      server.unref();
      const req = { host: '127.0.0.1', port, mode: ProbeMode.line, connectMs: 1000, readMs: 300, maxBytes: 10 };
      np.start(req, (ev) => console.log('report', ev));
      const cancel = np.start(req, () => console.log('cancelled probe reported'));
      cancel();
    });
  `);
  if (out !== undefined) assert.equal(out, `report ${ProbeEvent.readTimeout}`);
});

test('a worker using the addon terminates cleanly with probes in flight', async (t) => {
  const np = requireAddon(t);
  if (!np) return;
  const { server, port } = await listen(() => {});
  t.after(() => server.close());
  // The raw addon (a worker does not get tsx's loader): init, then ten probes that would hang.
  const w = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    const addon = require(${JSON.stringify(ADDON_PATH)});
    addon.init(() => {});
    addon.ref();
    for (let i = 1; i <= 10; i++) addon.submit(i, '127.0.0.1', ${port}, 3, 1000, 60000, 10);
    setTimeout(() => parentPort.postMessage(addon.active()), 100);
  `,
    { eval: true },
  );
  const inFlight = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.equal(inFlight, 10);
  assert.equal(await w.terminate(), 1);
});
