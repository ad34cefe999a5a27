/**
 * Run by worker-sync.test.ts: a primary forking two real node:cluster workers, each with its own
 * state layer and no Redis. Worker 1 pins a client, counts requests and puts a server in MAINT
 * (runtime API origin); worker 2 reports what it sees. Prints one JSON line, exits 0 (or 1).
 */
import cluster from 'node:cluster';
import { type HttpTxn, setServerAdmin } from '@switchyard/proxy';
import { createStateLayer } from '../src/layer.ts';
import { relayStateMessages } from '../src/worker-sync.ts';
import { config, proxy, request, runtime, server, stick, table } from './fixtures.ts';

if (cluster.isPrimary) {
  relayStateMessages();
  const deadline = setTimeout(() => {
    console.log(JSON.stringify({ error: 'timeout' }));
    process.exit(1);
  }, 80_000);
  cluster.fork();
  cluster.on('message', (w, msg: { ready?: boolean; result?: unknown }) => {
    // the second worker starts after the first made its changes: it must get them by hello
    if (msg.ready && w.id === 1) cluster.fork();
    if (msg.result) {
      clearTimeout(deadline);
      console.log(JSON.stringify(msg.result));
      for (const x of Object.values(cluster.workers ?? {})) x?.kill();
      process.exit(0);
    }
  });
} else {
  const fe = proxy('frontend', 'fe', 10, {
    httpRequest: [{ action: 'track-sc', slot: 0, key: 'src', table: 'be', loc: { file: 'test.cfg', line: 11 } }],
  });
  const be = proxy('backend', 'be', 1, {
    stickTable: table([{ name: 'http_req_rate', period: 60_000 }], { expire: 60_000 }),
    stickRules: [stick('on', 'src')],
    servers: [server('s1', 1), server('s2', 2), server('s3', 3)],
  });
  const rt = runtime(config([fe, be]));
  const layer = createStateLayer(rt);
  const backend = rt.backends.get('be')!;
  const id = cluster.worker!.id;
  const send = (src: string, pick: number) => {
    const txn: HttpTxn = request(src);
    layer.hooks.trackSc!(txn, 'fe', 0);
    const s = layer.hooks.persistentServer!(txn, backend) ?? backend.servers[pick];
    layer.hooks.serverChosen!(txn, backend, s);
    layer.hooks.requestEnded!(txn, { name: 'fe' } as never, 200);
    return s.name;
  };
  if (id === 1) {
    send('10.9.0.1', 1); // pinned to s2
    for (let i = 0; i < 4; i++) send('10.9.0.1', 0);
    setServerAdmin(rt, backend, backend.servers[2], 'MAINT', 'api');
    process.send!({ ready: true });
    // later changes reach the second worker as live changes (after its hello)
    setTimeout(() => {
      for (let i = 0; i < 5; i++) send('10.9.0.1', 0);
    }, 1500);
  } else {
    const t = layer.tables.get('be')!;
    const rate = t.slot('http_req_rate')!;
    const poll = setInterval(() => {
      const idx = t.lookup('10.9.0.1', Date.now());
      if (idx < 0 || t.read(idx, rate, Date.now()) < 10) return;
      clearInterval(poll);
      process.send!({
        result: {
          pinned: send('10.9.0.1', 0),
          rate: t.read(t.lookup('10.9.0.1', Date.now()), rate, Date.now()),
          s3: backend.servers[2].admin,
        },
      });
    }, 20);
  }
}
