/**
 * Compares Switchyard's runtime API and stats exports with the real haproxy 2.6 running the same
 * farm: CSV header and per-row empty fields, JSON field tags/types, help lines, error replies.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createStateLayer } from '@switchyard/state';
import { createAdmin } from '../packages/admin/src/index.ts';
import type { CliContext } from '../packages/admin/src/runtime-api/commands.ts';
import { closeCliSocket, listenCliSocket } from '../packages/admin/src/runtime-api/socket-server.ts';
import { type RefHaproxy, startRefHaproxy } from '../packages/admin/test/helpers/haproxy-ref.ts';
import { type Front, startFront } from '../packages/admin/test/helpers/http.ts';
import {
  buildRuntime,
  proxyModel,
  sampleRuntime,
  socketModel,
  testControl,
} from '../packages/admin/test/helpers/runtime.ts';
import { cliQuery, cliSession } from '../packages/admin/test/helpers/socket.ts';
import { needs } from './helpers/system.ts';

const skip = needs('haproxy');

describe('runtime API and stats exports match haproxy 2.6', { skip }, () => {
  let ref: RefHaproxy;
  let server: Server;
  let front: Front;
  const dir = mkdtempSync(join(tmpdir(), 'sy-compat-'));
  const sock = socketModel({ path: join(dir, 'sy.sock'), level: 'admin' });
  const rt = sampleRuntime({ admin: { polarity: 'if', terms: ['TRUE'], loc: { file: 'test.cfg', line: 1 } } });
  // Same situation as the reference: s1's check to a closed port was refused.
  const s1 = rt.backends.get('app')?.serversByName.get('s1');
  if (s1) {
    s1.lastCheck = { status: 'L4CON', durationMs: 0, info: 'Connection refused' };
    s1.op = 'DOWN';
    s1.health = 0;
  }
  const ctx: CliContext = {
    runtime: () => rt,
    control: testControl,
    info: { version: '0.1.0', releaseDate: '2026/11/21', pid: process.pid },
  };
  const ours = (c: string) => cliQuery({ path: sock.path as string }, c);

  before(async () => {
    ref = await startRefHaproxy('  stats admin if TRUE\n');
    front = await startFront(rt);
    server = await listenCliSocket(sock, ctx);
    // wait for haproxy's first check of s1 to complete (L4CON against port 1)
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const line = (await ref.query('show stat')).split('\n').find((l) => l.startsWith('app,s1,'));
      if (line?.includes('L4CON') && !line.includes('* L4CON')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await ref?.stop();
    await front?.close();
    if (server) await closeCliSocket(server, sock);
    rmSync(dir, { recursive: true, force: true });
  });

  test('CSV header line is identical', async () => {
    const a = (await ref.query('show stat')).split('\n')[0];
    const b = (await ours('show stat')).split('\n')[0];
    assert.equal(b, a);
  });

  test('each row leaves exactly the same fields empty, with the same keys and status words', async () => {
    const rows = (txt: string) =>
      new Map(
        txt
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => {
            const f = l.split(',');
            return [`${f[0]},${f[1]}`, f] as const;
          }),
      );
    const a = rows(await ref.query('show stat'));
    const b = rows(await ours('show stat'));
    assert.deepEqual([...b.keys()], [...a.keys()]);
    const header = (await ref.query('show stat')).split('\n')[0].slice(2).split(',');
    for (const [key, fa] of a) {
      const fb = b.get(key) as readonly string[];
      assert.equal(fb.length, fa.length, `${key}: field count`);
      const emptyA = header.filter((_, i) => fa[i] === '');
      const emptyB = header.filter((_, i) => fb[i] === '');
      assert.deepEqual(emptyB, emptyA, `${key}: empty fields`);
      for (const col of [
        'pxname',
        'svname',
        'status',
        'weight',
        'act',
        'bck',
        'iid',
        'sid',
        'type',
        'check_status',
        'check_desc',
        'addr',
        'mode',
        'algo',
        'uweight',
        'slim',
      ]) {
        const i = header.indexOf(col);
        assert.equal(fb[i], fa[i], `${key}: ${col}`);
      }
    }
  });

  test("CSV values equal haproxy's except clocks and traffic-dependent columns", async () => {
    const varying = new Set([
      'lastchg',
      'downtime',
      'check_duration',
      'lastsess',
      'last_chk',
      'rate',
      'rate_max',
      'smax',
      'stot',
      'bin',
      'bout',
      'req_rate',
      'req_rate_max',
      'req_tot',
      'conn_rate',
      'conn_rate_max',
      'conn_tot',
      'intercepted',
      'hrsp_2xx',
      'hrsp_4xx',
      'hrsp_3xx',
      'cli_abrt',
      'ttime',
      'ttime_max',
      'h1_open_connections',
      'h1_open_streams',
      'h1_total_connections',
      'h1_total_streams',
      'h1_bytes_in',
      'h1_bytes_out',
      'check_status',
      'check_code',
      'check_health',
      'chkfail',
      'chkdown',
      'need_conn_est',
    ]);
    // need_conn_est is HAProxy's estimate of idle connections to keep (its connection reuse); Switchyard reports 0
    const a = (await ref.query('show stat')).split('\n');
    const b = (await ours('show stat')).split('\n');
    const header = a[0].slice(2).split(',');
    const diffs: string[] = [];
    for (let r = 1; r < a.length; r++) {
      if (!a[r]) continue;
      const fa = a[r].split(',');
      const fb = (b[r] ?? '').split(',');
      for (let i = 0; i < header.length; i++) {
        if (varying.has(header[i]) || header[i] === '-') continue;
        if (fa[i] !== fb[i]) diffs.push(`${fa[0]},${fa[1]} ${header[i]}: haproxy '${fa[i]}' switchyard '${fb[i]}'`);
      }
    }
    assert.deepEqual(diffs, []);
  });

  test('show stat json: same fields, tags and value types per row', async () => {
    type Item = {
      objType: string;
      proxyId: number;
      id: number;
      field: { pos: number; name: string };
      tags: unknown;
      value: { type: string };
    };
    const a = JSON.parse(await ref.query('show stat json')) as Item[][];
    const b = JSON.parse(await ours('show stat json')) as Item[][];
    assert.equal(b.length, a.length);
    for (let r = 0; r < a.length; r++) {
      const strip = (row: Item[]) =>
        row.map((x) => ({ o: x.objType, p: x.proxyId, id: x.id, f: x.field, t: x.tags, ty: x.value.type }));
      assert.deepEqual(strip(b[r]), strip(a[r]), `row ${r}`);
    }
  });

  test("help lines of the commands Switchyard implements are HAProxy's own", async () => {
    const refLines = new Set((await ref.query('help')).split('\n'));
    const mine = (await ours('help')).split('\n').filter((l) => l.startsWith('  '));
    const extensions = ['show vrrp', 'set vrrp state'];
    for (const l of mine) {
      if (extensions.some((e) => l.startsWith(`  ${e}`))) continue;
      assert.ok(refLines.has(l), `not in haproxy's help: ${l}`);
    }
  });

  for (const cmd of [
    'disable server app/nope',
    'disable server nope/s1',
    'disable server app',
    'enable server',
    'get weight app/nope',
    'get weight app/s2',
    'set weight app/s2 300',
    'set weight app/s2 -5',
    'set weight app/s2 abc',
    'set weight app/s2',
    'set server app/s1 state bogus',
    'set server app/s1',
    'set server app/nope state ready',
    'set server app/s1 weight',
    'set maxconn server app/s1',
    'set maxconn server app/s1 abc',
    'set maxconn server app',
    'set weight app/s2 12abc',
    'set weight app/s2 5%x',
    'set weight app/s2 99999%',
    'get weight app/s2',
    'set weight app/s2 50',
    'set server app/s1 weight -1',
    'set maxconn server app/s1 5x',
    'set timeout cli 0',
    'set timeout cli abc',
    'set timeout foo 3',
    'get weight app/s2 extra',
    'show servers state nope',
    'show backend',
  ]) {
    test(`same reply as haproxy: ${cmd}`, async () => {
      assert.equal(await ours(cmd), await ref.query(cmd));
    });
  }

  test('same first line for unknown commands', async () => {
    for (const cmd of ['foo bar', 'show servers', '']) {
      assert.equal((await ours(cmd)).split('\n')[0], (await ref.query(cmd)).split('\n')[0], cmd);
    }
  });

  test('show info typed: same positions, names, tags and types', async () => {
    const strip = (t: string) =>
      t
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':').slice(0, 3).join(':'));
    assert.deepEqual(strip(await ours('show info typed')), strip(await ref.query('show info typed')));
  });

  test('show stat typed: same lines except values', async () => {
    const strip = (t: string) =>
      t
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':').slice(0, 3).join(':'));
    assert.deepEqual(strip(await ours('show stat typed')), strip(await ref.query('show stat typed')));
  });

  test('interactive session: byte-identical prompts and replies', async () => {
    const run = async (path: string) => {
      const sess = await cliSession({ path });
      let out = '';
      try {
        for (const c of [
          'prompt',
          'show backend',
          'get weight app/s2',
          'disable server app/nope;show cli level',
          'set timeout cli 30',
          'operator',
          'show cli level',
        ]) {
          out += await sess.send(c);
        }
      } finally {
        sess.close();
      }
      return out;
    };
    assert.equal(await run(sock.path as string), await run(ref.sock));
  });

  test('show servers state: same lines except the seconds since the last change', async () => {
    const strip = (t: string) =>
      t
        .split('\n')
        .filter(Boolean)
        .map((l) =>
          l
            .split(' ')
            .filter((_, i) => i !== 9 || l.startsWith('#'))
            .join(' '),
        );
    assert.deepEqual(strip(await ours('show servers state')), strip(await ref.query('show servers state')));
  });

  test('show servers state header is identical', async () => {
    const a = (await ref.query('show servers state')).split('\n').slice(0, 2);
    const b = (await ours('show servers state')).split('\n').slice(0, 2);
    assert.deepEqual(b, a);
  });
  test('admin form POSTs: same 303 and status as haproxy, state changed alike', async () => {
    const bodies = [
      's=nope&action=drain&b=app',
      'action=drain&b=app',
      's=s2&action=bogus&b=app',
      's=s2&action=drain&b=nope',
      's=s2&action=maint&b=%23',
      'garbage',
      's=s2&action=drain&b=app',
      's=s2&s=nope&action=maint&b=app',
      's=s2&s=s1&action=ready&b=%233',
    ];
    const post = async (base: string, body: string) => {
      const r = await fetch(`${base}/;up`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        redirect: 'manual',
      });
      return `${r.status} ${r.headers.get('location')}`;
    };
    const state = async (q: (c: string) => Promise<string>) =>
      (await q('show stat'))
        .split('\n')
        .filter((l) => l.startsWith('app,s'))
        .map((l) => l.split(',').slice(0, 2).concat(l.split(',')[17]).join(','));
    for (const body of bodies) {
      const theirs = await post(`http://127.0.0.1:${ref.ports.stats}`, body);
      const mine = await post(front.url('stats'), body);
      assert.equal(mine, theirs, body);
      assert.deepEqual(await state(ours), await state(ref.query), `state after ${body}`);
    }
  });
});

describe('stick table commands match haproxy 2.6', { skip }, () => {
  let ref: RefHaproxy;
  const dir = mkdtempSync(join(tmpdir(), 'sy-compat-t-'));
  const socks = {
    admin: socketModel({ path: join(dir, 'a.sock'), level: 'admin' }),
    user: socketModel({ path: join(dir, 'u.sock'), level: 'user' }),
  };
  const table = {
    type: 'ip' as const,
    size: 10,
    expire: 60_000,
    nopurge: false,
    store: [{ name: 'http_req_cnt' }],
    loc: { file: 'test.cfg', line: 20 },
  };
  const rt = buildRuntime([...sampleRuntime().config.proxies, proxyModel('backend', 't', 5, { stickTable: table })]);
  const state = createStateLayer(rt);
  const admin = createAdmin(rt, { version: '0.1.0', pid: process.pid, control: testControl, tables: state.tables });
  const q = (s: keyof typeof socks, c: string) => cliQuery({ path: socks[s].path as string }, c);

  before(async () => {
    assert.deepEqual(
      state.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    ref = await startRefHaproxy('backend t\n  stick-table type ip size 10 expire 1m store http_req_cnt\n', {
      extraSockets: `  stats socket ${join(dir, 'ref-u.sock')} level user\n`,
    });
    rt.config.global.statsSockets.push(socks.admin, socks.user);
    await (await admin).startSockets();
  });
  after(async () => {
    await ref?.stop();
    await (await admin).stop();
    await state.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('same replies for show/set/clear table at levels admin and user', async () => {
    const refUser = (c: string) => cliQuery({ path: join(dir, 'ref-u.sock') }, c);
    const steps: Array<['admin' | 'user', string]> = [
      ['admin', 'show table'],
      ['admin', 'show table t'],
      ['admin', 'show table nope'],
      ['user', 'show table t'],
      ['user', 'set table t key 1.2.3.4 data.http_req_cnt 3'],
      ['admin', 'set table t key 1.2.3.4 data.http_req_cnt 3'],
      ['admin', 'show table'],
      ['user', 'show table t'],
      ['user', 'clear table t key 1.2.3.4'],
      ['admin', 'clear table t key 1.2.3.4'],
      ['admin', 'show table t'],
    ];
    for (const [lvl, c] of steps) {
      const theirs = lvl === 'admin' ? await ref.query(c) : await refUser(c);
      assert.equal(await q(lvl, c), theirs, `${lvl}: ${c}`);
    }
  });
});
