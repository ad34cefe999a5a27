/**
 * gRPC through the proxy with @grpc/grpc-js on both ends: a client on `bind ... proto h2` (h2c)
 * and on `bind ... ssl crt ... alpn h2` (TLS), two grpc-js servers behind `server ... proto h2`
 * balanced per call. Unary, server streaming, client streaming and bidirectional calls, and an
 * error status with its grpc-message (carried in the response trailers). The same calls through
 * Debian's haproxy 2.6 on the same configuration give the same answers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { makeCert } from './helpers/certs.ts';
import { defaults, freePort, type ProxyProcess, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { needs, startHaproxyProcess } from './helpers/system.ts';

type Msg = Record<string, unknown>;
const ser = (m: Msg): Buffer => Buffer.from(JSON.stringify(m));
const de = (b: Buffer): Msg => JSON.parse(b.toString()) as Msg;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Svc/${name}`,
  requestStream,
  responseStream,
  requestSerialize: ser,
  requestDeserialize: de,
  responseSerialize: ser,
  responseDeserialize: de,
});
const SERVICE = {
  echo: method('Echo', false, false),
  count: method('Count', false, true),
  sum: method('Sum', true, false),
  chat: method('Chat', true, true),
  fail: method('Fail', false, false),
} satisfies grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Svc');
type AnyClient = InstanceType<typeof Client> & Record<string, (...a: unknown[]) => unknown>;

function implementation(who: string): grpc.UntypedServiceImplementation {
  return {
    echo: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) =>
      cb(null, { who, text: call.request.text, authority: call.metadata.get(':authority')[0] ?? null }),
    count: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      for (let i = 0; i < Number(call.request.n); i++) call.write({ i, who });
      call.end();
    },
    sum: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      let total = 0;
      call.on('data', (m: Msg) => (total += Number(m.v)));
      call.on('end', () => cb(null, { total, who }));
    },
    chat: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ echo: m.say, who }));
      call.on('end', () => call.end());
    },
    fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) =>
      cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
  };
}

const servers: grpc.Server[] = [];
const tmp = tempDir();
let cfg: string;
let h2cPort: number;
let tlsPort: number;
let rootCert: Buffer;

before(async () => {
  const ports: number[] = [];
  for (const who of ['g1', 'g2']) {
    const s = new grpc.Server();
    s.addService(SERVICE, implementation(who));
    ports.push(
      await new Promise<number>((resolve, reject) =>
        s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
      ),
    );
    servers.push(s);
  }
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  const c = makeCert(certs, 'grpc.example', tmp.dir);
  rootCert = readFileSync(c.crt);
  h2cPort = await freePort();
  tlsPort = await freePort();
  cfg = writeFile(
    tmp.dir,
    'grpc.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${h2cPort} proto h2
  bind 127.0.0.1:${tlsPort} ssl crt ${c.pem} alpn h2
  default_backend be
backend be
  balance roundrobin
  server g1 127.0.0.1:${ports[0]} proto h2
  server g2 127.0.0.1:${ports[1]} proto h2
`,
  );
});

after(() => {
  for (const s of servers) s.forceShutdown();
  tmp.cleanup();
});

function clients(): AnyClient[] {
  return [
    new Client(`127.0.0.1:${h2cPort}`, grpc.credentials.createInsecure()) as AnyClient,
    new Client(`127.0.0.1:${tlsPort}`, grpc.credentials.createSsl(rootCert), {
      'grpc.ssl_target_name_override': 'grpc.example',
      'grpc.default_authority': 'grpc.example',
    }) as AnyClient,
  ];
}

const unary = (c: AnyClient, name: string, req: Msg) =>
  new Promise<Msg>((resolve, reject) => c[name](req, (e: Error | null, r: Msg) => (e ? reject(e) : resolve(r))));

function collect(stream: NodeJS.EventEmitter): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const out: Msg[] = [];
    stream.on('data', (m: Msg) => out.push(m));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

/** Every kind of call on `c`, with what each must give. */
async function exercise(c: AnyClient, label: string): Promise<void> {
  const whos = new Set<unknown>();
  for (let i = 0; i < 4; i++) {
    const r = await unary(c, 'echo', { text: `hi ${i}` });
    assert.equal(r.text, `hi ${i}`, label);
    whos.add(r.who);
  }
  assert.deepEqual([...whos].sort(), ['g1', 'g2'], `${label}: calls balanced over both servers`);

  const streamed = await collect(c.count({ n: 5 }) as NodeJS.EventEmitter);
  assert.deepEqual(
    streamed.map((m) => m.i),
    [0, 1, 2, 3, 4],
    `${label}: server streaming`,
  );

  const sum = await new Promise<Msg>((resolve, reject) => {
    const call = c.sum((e: Error | null, r: Msg) => (e ? reject(e) : resolve(r))) as grpc.ClientWritableStream<Msg>;
    for (const v of [1, 2, 3, 4]) call.write({ v });
    call.end();
  });
  assert.equal(sum.total, 10, `${label}: client streaming`);

  const chat = c.chat() as grpc.ClientDuplexStream<Msg, Msg>;
  const answers = collect(chat);
  for (const say of ['a', 'b', 'c']) chat.write({ say });
  chat.end();
  assert.deepEqual(
    (await answers).map((m) => m.echo),
    ['a', 'b', 'c'],
    `${label}: bidirectional streaming`,
  );

  await assert.rejects(unary(c, 'fail', {}), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.NOT_FOUND, `${label}: status from the trailers`);
    assert.equal(e.details, 'no such thing', `${label}: grpc-message`);
    return true;
  });
}

describe('gRPC through Switchyard', () => {
  let px: ProxyProcess;
  before(async () => {
    px = await startProxy(['-f', cfg]);
  });
  after(async () => {
    await px?.stop();
  });

  test('h2c and TLS clients: unary, server/client/bidi streaming, error status; per-call balancing', async () => {
    const [h2c, tls] = clients();
    try {
      await exercise(h2c, 'h2c');
      await exercise(tls, 'tls');
    } finally {
      h2c.close();
      tls.close();
    }
    await px.waitFor(/"POST https:\/\/grpc\.example\/test\.Svc\/Fail HTTP\/2\.0"/, 5000, 'stdout');
    assert.match(px.stdout(), /be\/g[12] .* 200 .*"POST http:\/\/127\.0\.0\.1:\d+\/test\.Svc\/Echo HTTP\/2\.0"/);
  });
});

describe('gRPC through haproxy 2.6 (same configuration)', { skip: needs('haproxy') }, () => {
  test('the same calls give the same answers', async () => {
    const hx = await startHaproxyProcess(
      cfg,
      () =>
        new Promise<boolean>((resolve) => {
          const s = connect(h2cPort, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve(true);
          });
          s.once('error', () => resolve(false));
        }),
    );
    const [h2c, tls] = clients();
    try {
      await exercise(h2c, 'haproxy h2c');
      await exercise(tls, 'haproxy tls');
    } finally {
      h2c.close();
      tls.close();
      await hx.stop();
    }
  });
});
