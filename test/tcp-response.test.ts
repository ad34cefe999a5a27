/**
 * `tcp-response content` and `tcp-response inspect-delay` in `mode tcp` backends, Switchyard and
 * Debian's haproxy 2.6 on the same config side by side: the server's first bytes are held until a
 * rule decides; `accept` passes them on, `reject` cuts both sides (PD, counted as denied
 * responses), `close` cuts the server and gives the client what came; without an inspect-delay
 * the rules run once at connect, on no data; a rule wanting more data waits for the delay;
 * `res.payload_lv`, `res.ssl_hello_type`, set-var on the response. The client's outcome (bytes,
 * FIN), the tcplog line (timers aside) and the dresp counters must agree.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort, type ProxyProcess, tempDir, until } from './helpers/proxy.ts';
import { type SideBySide, startSideBySide } from './helpers/side-by-side.ts';
import { type HaproxyProcess, needs } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
const servers: Server[] = [];
const port: Record<string, number> = {};
const LISTENS = ['nodelay', 'reject', 'close', 'wait', 'accept', 'lv', 'hello', 'var', 'defaults'] as const;
type Name = (typeof LISTENS)[number];
const fe: Record<'sy' | 'hx', Record<string, number>> = { sy: {}, hx: {} };
let sy: ProxyProcess;
let hx: HaproxyProcess | undefined;
let pair: SideBySide | undefined;

/**
 * A server that sends `banner` on connect and echoes what it gets as `echo:DATA` (unless
 * `quiet`: then what a proxy held when a rule rejected or closed does not depend on timing).
 */
async function banner(text: string | Buffer, quiet = false): Promise<number> {
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.write(text);
    s.on('data', (d) => {
      if (!quiet) s.write(`echo:${d}`);
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return (srv.address() as { port: number }).port;
}

/** A TLS ServerHello record start (handshake type 2), enough for res.ssl_hello_type. */
const SERVER_HELLO = Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]);

function config(side: 'sy' | 'hx'): string {
  const p = fe[side];
  const body: Record<Name, string> = {
    nodelay: `  tcp-response content reject if { res.payload(0,3) -m str BAD }
  server s 127.0.0.1:${port.bad}`,
    reject: `  tcp-response inspect-delay 2s
  tcp-response content reject if { res.payload(0,3) -m str BAD }
  server s 127.0.0.1:${port.badQuiet}`,
    close: `  tcp-response inspect-delay 2s
  tcp-response content close if { res.payload(0,2) -m str OK }
  server s 127.0.0.1:${port.okQuiet}`,
    wait: `  tcp-response inspect-delay 600ms
  tcp-response content accept if { res.len gt 100 }
  tcp-response content reject
  server s 127.0.0.1:${port.ok}`,
    accept: `  tcp-response inspect-delay 2s
  tcp-response content accept if { res.len ge 4 }
  tcp-response content reject
  server s 127.0.0.1:${port.ok}`,
    lv: `  tcp-response inspect-delay 2s
  tcp-response content accept if { res.payload_lv(0,1) -m str hello }
  tcp-response content reject
  server s 127.0.0.1:${port.lv}`,
    hello: `  tcp-response inspect-delay 2s
  tcp-response content accept if { res.ssl_hello_type 2 }
  tcp-response content reject
  server s 127.0.0.1:${port.tls}`,
    var: `  tcp-response inspect-delay 2s
  tcp-response content set-var(txn.first) res.payload(0,2)
  tcp-response content reject if { var(txn.first) -m str OK }
  server s 127.0.0.1:${port.ok}`,
    defaults: `  server s 127.0.0.1:${port.bad}`,
  };
  // rules from a named defaults section reach a backend (a listen may not inherit them)
  const listens = LISTENS.filter((n) => n !== 'defaults')
    .map((n) => `listen ${n} from base\n  bind 127.0.0.1:${p[n]}\n${body[n]}`)
    .join('\n');
  const strict = `frontend defaults from base\n  bind 127.0.0.1:${p.defaults}\n  default_backend strict_be\nbackend strict_be from strict\n${body.defaults}`;
  return `global
  log stdout format raw local0
  stats socket ${tmp.dir}/${side}.sock level admin
defaults base
  mode tcp
  log global
  option tcplog
  timeout connect 1s
  timeout client 5s
  timeout server 5s
defaults strict from base
  tcp-response inspect-delay 1s
  tcp-response content reject if { res.payload(0,3) -m str BAD }
${listens}
${strict}
`;
}

interface Outcome {
  got: string;
  end: 'fin' | 'reset' | 'open';
}

/** Connects, sends `hi`, and reports what came back and how the connection ended (within 3 s). */
function probe(p: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s: Socket = connect(p, '127.0.0.1', () => s.write('hi'));
    let got = '';
    let end: Outcome['end'] = 'open';
    const t = setTimeout(() => {
      s.destroy();
      resolve({ got, end });
    }, 3000);
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('end', () => {
      end = 'fin';
    });
    s.on('error', () => {
      end = 'reset';
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve({ got, end });
    });
  });
}

/** The tcplog line of listen `name` (timers and client port aside). */
function logLine(log: string, name: string): string | undefined {
  const line = log.split('\n').findLast((l) => l.includes(`] ${name} ${name === 'defaults' ? 'strict_be' : name}/`));
  return line
    ?.replace(/^127\.0\.0\.1:\d+ \[[^\]]+\] /, 'CLIENT [DATE] ')
    .replace(/ -?\d+\/-?\d+\/\d+ /, ' Tw/Tc/Tt ')
    .trim();
}

/** `show stat` bout and dresp of `name`'s FRONTEND, server and BACKEND rows. */
async function dresp(side: 'sy' | 'hx', name: string): Promise<string> {
  const out = await new Promise<string>((resolve) => {
    const s = connect(`${tmp.dir}/${side}.sock`);
    let b = '';
    s.on('data', (d) => {
      b += d;
    });
    s.on('close', () => resolve(b));
    s.on('error', () => resolve(b));
    s.write('show stat\n');
  });
  return out
    .split('\n')
    .filter((l) => l.startsWith(`${name},`))
    .map((l) => {
      const f = l.split(',');
      return `${f[1]}:bout=${f[9]},dresp=${f[11]}`;
    })
    .join(' ');
}

before(async () => {
  if (skip) return;
  port.bad = await banner('BAD banner\r\n');
  port.badQuiet = await banner('BAD banner\r\n', true);
  port.okQuiet = await banner('OK banner\r\n', true);
  port.ok = await banner('OK banner\r\n');
  port.lv = await banner(Buffer.concat([Buffer.from([5]), Buffer.from('hello world')]));
  port.tls = await banner(SERVER_HELLO);
  for (const side of ['sy', 'hx'] as const) for (const n of LISTENS) fe[side][n] = await freePort();
  pair = await startSideBySide(tmp.dir, config);
  sy = pair.sy;
  hx = pair.hx;
});

after(async () => {
  await pair?.stop();
  for (const s of servers) s.close();
  tmp.cleanup();
});

describe('tcp-response content (differential with haproxy 2.6)', { skip }, () => {
  const expected: Record<Name, { got: RegExp; end: Outcome['end']; flags: string }> = {
    // no inspect-delay: the rules ran at connect on no data, the banner passes
    nodelay: { got: /^BAD banner\r\necho:hi$/, end: 'open', flags: '--' },
    reject: { got: /^$/, end: 'fin', flags: 'PD' },
    close: { got: /^OK banner\r\n$/, end: 'fin', flags: '--' },
    // res.len never reaches 100: the delay expires, the next rule rejects
    wait: { got: /^$/, end: 'fin', flags: 'PD' },
    accept: { got: /^OK banner\r\necho:hi$/, end: 'open', flags: '--' },
    lv: { got: /^\x05hello world/, end: 'open', flags: '--' },
    hello: { got: /^\x16\x03\x03/, end: 'open', flags: '--' },
    // at connect set-var finds no bytes (the variable stays unset) and nothing waits: accepted
    var: { got: /^OK banner\r\necho:hi$/, end: 'open', flags: '--' },
    // a named defaults section's rules run first; as HAProxy's tcp_inspect_response, once they
    // waited (at connect, on no data) the next evaluation runs the backend's own rules only
    defaults: { got: /^BAD banner\r\necho:hi$/, end: 'open', flags: '--' },
  };

  for (const n of LISTENS) {
    test(`${n}: client outcome and tcplog line as haproxy's`, async () => {
      const [ours, theirs] = await Promise.all([probe(fe.sy[n]), probe(fe.hx[n])]);
      assert.equal(ours.end, theirs.end, `${n}: how the connection ended`);
      assert.equal(ours.got, theirs.got, `${n}: bytes the client got`);
      assert.match(ours.got, expected[n].got);
      assert.equal(ours.end, expected[n].end);
      await until(
        () => logLine(sy.stdout(), n) !== undefined && logLine(hx?.log() ?? '', n) !== undefined,
        5000,
        `${n} log lines`,
      );
      const line = logLine(sy.stdout(), n) as string;
      assert.equal(line, logLine(hx?.log() ?? '', n));
      assert.ok(line.includes(` ${expected[n].flags} `), line);
    });
  }

  test('rejected responses are counted in dresp on the backend and server rows, as haproxy', async () => {
    for (const n of ['reject', 'wait', 'var', 'close', 'strict_be'])
      assert.equal(await dresp('sy', n), await dresp('hx', n), `${n} dresp`);
    assert.match(await dresp('sy', 'reject'), /BACKEND:bout=\d+,dresp=1/);
  });
});
