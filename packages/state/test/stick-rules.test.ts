import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpTxn, ServerState } from '@switchyard/proxy';
import { stateFetchDefs } from '../src/fetches.ts';
import { createStateLayer } from '../src/layer.ts';
import { config, proxy, request, runtime, server, stick, table } from './fixtures.ts';

/** A backend `be` with three servers, a stick table and the given rules. */
function setup(rules = [stick('on', 'src')], extra: Parameters<typeof proxy>[3] = {}) {
  const be = proxy('backend', 'be', 1, {
    stickTable: table([{ name: 'http_req_rate', period: 10_000 }], { expire: 60_000 }),
    stickRules: rules,
    servers: [server('s1', 1), server('s2', 2), server('s3', 3)],
    ...extra,
  });
  const rt = runtime(config([be]));
  const layer = createStateLayer(rt);
  const backend = rt.backends.get('be')!;
  let rr = 0;
  /** Like the datapath: persistence first, else round robin over usable servers. */
  const send = (txn: HttpTxn): { server: ServerState; persistent: boolean } => {
    const p = layer.hooks.persistentServer!(txn, backend);
    let s = p;
    if (!s) {
      const usable = backend.servers.filter((x) => x.op === 'UP' && x.admin === 'READY');
      s = usable[rr++ % usable.length];
    }
    layer.hooks.serverChosen!(txn, backend, s);
    return { server: s, persistent: p !== undefined };
  };
  return { layer, backend, send };
}

test('stick on src: a client sticks to the server it was first balanced to', async (t) => {
  const { layer, send } = setup();
  t.after(() => layer.stop());
  assert.deepEqual(layer.diagnostics, []);
  const a = send(request('10.0.0.1'));
  assert.equal(a.persistent, false);
  const b = send(request('10.0.0.2'));
  assert.notEqual(b.server, a.server);
  for (let i = 0; i < 5; i++) {
    const again = send(request('10.0.0.1'));
    assert.equal(again.server, a.server);
    assert.equal(again.persistent, true);
  }
  assert.equal(layer.tables.get('be')!.count, 2);
  assert.ok(layer.tables.get('be')!.slot('server_id'), 'server_id stored implicitly');
});

test('stick on src: DOWN/MAINT server is not used, request rebalanced and entry updated; DRAIN sticks', async (t) => {
  const { layer, backend, send } = setup();
  t.after(() => layer.stop());
  const first = send(request('10.0.0.9')).server;
  first.admin = 'DRAIN';
  assert.equal(send(request('10.0.0.9')).server, first, 'DRAIN still receives persistent traffic');
  first.admin = 'READY';
  first.op = 'DOWN';
  const moved = send(request('10.0.0.9'));
  assert.equal(moved.persistent, false);
  assert.notEqual(moved.server, first);
  first.op = 'UP';
  assert.equal(send(request('10.0.0.9')).server, moved.server, 'entry now points at the new server');
  moved.server.admin = 'MAINT';
  assert.notEqual(send(request('10.0.0.9')).server, moved.server);
  assert.ok(backend);
});

test('option persist: a DOWN stuck server is still used (never a MAINT one)', async (t) => {
  const be = proxy('backend', 'be', 1, {
    stickTable: table([], { expire: 60_000 }),
    stickRules: [stick('on', 'src')],
    servers: [server('s1', 1), server('s2', 2)],
  });
  be.options.persist = true;
  const rt = runtime(config([be]));
  const layer = createStateLayer(rt);
  t.after(() => layer.stop());
  const backend = rt.backends.get('be')!;
  const txn = request('10.1.1.1');
  assert.equal(layer.hooks.persistentServer!(txn, backend), undefined);
  layer.hooks.serverChosen!(txn, backend, backend.servers[1]);
  backend.servers[1].op = 'DOWN';
  assert.equal(layer.hooks.persistentServer!(request('10.1.1.1'), backend), backend.servers[1]);
  backend.servers[1].admin = 'MAINT';
  assert.equal(layer.hooks.persistentServer!(request('10.1.1.1'), backend), undefined);
});

test('stick match + stick store-request on a cookie key, and store-response on res.cook', async (t) => {
  const { layer, backend, send } = setup([stick('match', 'req.cook(sid)'), stick('store-request', 'req.cook(sid)')], {
    stickTable: table([], { type: 'string', len: 16 }),
  });
  t.after(() => layer.stop());
  const s = send(request('1.1.1.1', ['Cookie', 'sid=abc'])).server;
  const again = send(request('2.2.2.2', ['Cookie', 'x=1; sid=abc']));
  assert.equal(again.server, s);
  assert.equal(again.persistent, true);
  assert.ok(backend);
  const r = setup([stick('match', 'req.cook(JSESSIONID)'), stick('store-response', 'res.cook(JSESSIONID)')], {
    stickTable: table([], { type: 'string' }),
  });
  t.after(() => r.layer.stop());
  const txn = request('3.3.3.3');
  const chosen = r.send(txn).server;
  r.layer.hooks.responseHeaders!(txn, r.backend, chosen, 200, { 'set-cookie': ['JSESSIONID=xyz; path=/'] });
  const back = r.send(request('4.4.4.4', ['Cookie', 'JSESSIONID=xyz']));
  assert.equal(back.server, chosen);
  assert.equal(back.persistent, true);
});

test('track-sc0 counts requests; sc_http_req_rate(0) / sc0_conn_cur / src_http_req_rate read them', async (t) => {
  const fe = proxy('frontend', 'fe', 10, {
    httpRequest: [{ action: 'track-sc', slot: 0, key: 'src', table: 'be', loc: { file: 'test.cfg', line: 11 } }],
  });
  const be = proxy('backend', 'be', 1, {
    stickTable: table([
      { name: 'http_req_rate', period: 10_000 },
      { name: 'conn_cur' },
      { name: 'http_err_cnt' },
      { name: 'gpc0' },
    ]),
    servers: [server('s1', 1)],
  });
  const rt = runtime(config([fe, be]));
  const layer = createStateLayer(rt);
  t.after(() => layer.stop());
  assert.deepEqual(layer.diagnostics, []);
  const defs = stateFetchDefs(() => layer.tables);
  const ctx = { multi: false, loc: { file: 'test.cfg', line: 12 } };
  const rate = defs.get('sc_http_req_rate')!.create(['0'], ctx);
  const cur = defs.get('sc0_conn_cur')!.create([], ctx);
  const errs = defs.get('sc0_http_err_cnt')!.create([], ctx);
  const src = defs.get('src_http_req_rate')!.create(['be'], ctx);
  const inc = defs.get('sc_inc_gpc0')!.create(['0'], ctx);
  const tracked = defs.get('sc_tracked')!.create(['0'], ctx);
  assert.equal(typeof defs.get('sc_http_req_rate')!.create(['7'], ctx), 'string', 'bad counter number is an error');
  assert.ok(typeof rate === 'function' && typeof cur === 'function' && typeof src === 'function');
  assert.ok(typeof errs === 'function' && typeof inc === 'function' && typeof tracked === 'function');

  const untracked = request('10.9.9.9');
  assert.equal(rate(untracked), undefined, 'not tracked: no sample');
  assert.equal(tracked(untracked), false);
  assert.equal(src(untracked), 0, 'src_* with no entry: 0');

  const open: HttpTxn[] = [];
  for (let i = 0; i < 5; i++) {
    const txn = request('10.9.9.9');
    layer.hooks.trackSc!(txn, 'fe', 0);
    layer.hooks.trackSc!(txn, 'fe', 0); // same slot twice: ignored
    open.push(txn);
  }
  assert.equal(rate(open[4]), 5);
  assert.equal(cur(open[4]), 5, 'five requests in flight');
  assert.equal(tracked(open[4]), true);
  assert.equal(src(request('10.9.9.9')), 5);
  assert.equal(inc(open[0]), 1);
  assert.equal(inc(open[0]), 2);
  for (const [i, txn] of open.entries()) layer.hooks.requestEnded!(txn, rt.frontends.get('fe')!, i < 2 ? 404 : 200);
  const later = request('10.9.9.9');
  layer.hooks.trackSc!(later, 'fe', 0);
  assert.equal(cur(later), 1);
  assert.equal(errs(later), 2, 'two 4xx responses counted');
  assert.equal(rate(later), 6);
});

test('configuration errors are reported with their location', () => {
  const be = proxy('backend', 'be', 1, {
    stickTable: table([{ name: 'server_key' }]),
    stickRules: [stick('on', 'src', { table: 'nope' }), stick('match', 'weird(')],
    servers: [server('s1', 1)],
  });
  const fe = proxy('frontend', 'fe', 10, {
    httpRequest: [{ action: 'track-sc', slot: 0, key: 'src', loc: { file: 'test.cfg', line: 11 } }],
  });
  const layer = createStateLayer(runtime(config([fe, be], { redisUrl: 'http://x' })));
  const codes = layer.diagnostics.map((d) => `${d.code}@${d.loc.line}`).sort();
  assert.deepEqual(codes, [
    'STATE_BAD_REDIS_URL@0',
    'STATE_BAD_STORE_TYPE@2',
    'STATE_UNKNOWN_TABLE@11',
    'STATE_UNKNOWN_TABLE@3',
    'STATE_UNKNOWN_TABLE@3',
  ]);
  void layer.stop();
});

test('reload: unchanged tables keep their entries, changed ones start empty, a bad config changes nothing', async (t) => {
  const mkBe = (size: number, table2 = 'be') =>
    proxy('backend', 'be', 1, {
      stickTable: table([], { size, expire: 60_000 }),
      stickRules: [stick('on', 'src', { table: table2 === 'be' ? undefined : table2 })],
      servers: [server('s1', 1), server('s2', 2)],
    });
  const rt1 = runtime(config([mkBe(100)]));
  const layer = createStateLayer(rt1);
  t.after(() => layer.stop());
  const be1 = rt1.backends.get('be')!;
  const txn = request('10.5.0.1');
  layer.hooks.persistentServer!(txn, be1);
  layer.hooks.serverChosen!(txn, be1, be1.servers[1]);

  const rt2 = runtime(config([mkBe(100)]));
  assert.deepEqual(layer.swapRuntime(rt2), []);
  const be2 = rt2.backends.get('be')!;
  assert.equal(layer.hooks.persistentServer!(request('10.5.0.1'), be2), be2.servers[1], 'entry kept across reload');

  const bad = runtime(config([mkBe(100, 'nowhere')]));
  const diags = layer.swapRuntime(bad);
  assert.deepEqual(
    diags.map((d) => d.code),
    ['STATE_UNKNOWN_TABLE'],
  );
  assert.equal(
    layer.hooks.persistentServer!(request('10.5.0.1'), be2),
    be2.servers[1],
    'refused reload changed nothing',
  );

  const rt3 = runtime(config([mkBe(200)]));
  assert.deepEqual(layer.swapRuntime(rt3), []);
  assert.equal(layer.tables.get('be')!.count, 0, 'size changed: a new table');
});

test('bytes_in/out counters count what requestEnded reports; without it a warning, once', async (t) => {
  const fe = proxy('frontend', 'fe', 10, {
    httpRequest: [{ action: 'track-sc', slot: 0, key: 'src', table: 'be', loc: { file: 'test.cfg', line: 11 } }],
  });
  const be = proxy('backend', 'be', 1, {
    stickTable: table([
      { name: 'bytes_in_cnt' },
      { name: 'bytes_out_cnt' },
      { name: 'bytes_in_rate', period: 10_000 },
      { name: 'bytes_out_rate', period: 10_000 },
    ]),
    servers: [server('s1', 1)],
  });
  const rt = runtime(config([fe, be]));
  const warnings: string[] = [];
  rt.logger.log = (_p, level, msg) => void warnings.push(`${level}: ${msg}`);
  const layer = createStateLayer(rt);
  t.after(() => layer.stop());
  assert.deepEqual(layer.diagnostics, []);
  const defs = stateFetchDefs(() => layer.tables);
  const ctx = { multi: false, loc: { file: 'test.cfg', line: 12 } };
  const kout = defs.get('sc0_kbytes_out')!.create([], ctx);
  const inRate = defs.get('sc_bytes_in_rate')!.create(['0'], ctx);
  const srcKin = defs.get('src_kbytes_in')!.create(['be'], ctx);
  assert.ok(typeof kout === 'function' && typeof inRate === 'function' && typeof srcKin === 'function');
  for (let i = 0; i < 3; i++) {
    const txn = request('10.3.3.3');
    layer.hooks.trackSc!(txn, 'fe', 0);
    layer.hooks.requestEnded!(txn, { name: 'fe' } as never, 200, 1000, 2048);
  }
  const txn = request('10.3.3.3');
  layer.hooks.trackSc!(txn, 'fe', 0);
  assert.equal(kout(txn), 6, '3 x 2048 bytes out = 6 kB');
  assert.equal(inRate(txn), 3000);
  assert.equal(srcKin(request('10.3.3.3')), 2, '3000 bytes in = 2 kB (floored)');
  layer.hooks.requestEnded!(txn, { name: 'fe' } as never, 200);
  layer.hooks.requestEnded!(txn, { name: 'fe' } as never, 200);
  assert.equal(warnings.filter((w) => w.includes('bytes_*')).length, 1, warnings.join('\n'));
});
