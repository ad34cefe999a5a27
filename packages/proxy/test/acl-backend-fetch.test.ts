/** nbsrv, be_conn, srv_is_up, srv_conn, srv_queue over live server state (and vs HAProxy). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '@switchyard/config';
import { needs } from '../../../test/helpers/system.ts';
import { compileLogFormat, setBackendLookup } from '../src/acl/index.ts';
import { newServerState } from '../src/model/server-state.ts';
import { rawRequest, startHaproxy } from './acl-haproxy-peer.ts';
import { acl, LOC, txn } from './acl-helpers.ts';
import { serverModel } from './selection-helpers.ts';

function farm(allbackups: boolean) {
  const servers = [{ name: 'a' }, { name: 'b' }, { name: 'c', backup: true }, { name: 'd', backup: true }].map((s, i) =>
    newServerState('bk', serverModel(s, i)),
  );
  const be = { servers, model: { options: { allbackups } } };
  return { be, by: (n: string) => servers.find((s) => s.name === n)! };
}

test('nbsrv counts usable active servers, else the backups in use', (t) => {
  t.after(() => setBackendLookup(undefined));
  const { be, by } = farm(false);
  const all = farm(true);
  setBackendLookup((n) => (n === 'bk' ? be : n === 'all' ? all.be : undefined));
  const lf = (fmt: string, backend?: string) => {
    const diags: Diagnostic[] = [];
    const f = compileLogFormat(fmt, LOC, diags);
    assert.deepEqual(diags, []);
    const x = txn();
    x.backend = backend;
    return f(x);
  };
  assert.equal(lf('%[nbsrv(bk)]'), '2');
  assert.equal(lf('%[nbsrv]', 'bk'), '2');
  assert.equal(lf('%[nbsrv]'), '', 'no backend chosen yet: no sample');
  assert.equal(lf('%[nbsrv(nosuch)]'), '');
  by('a').op = 'DOWN';
  by('b').admin = 'MAINT';
  assert.equal(lf('%[nbsrv(bk)]'), '1', 'first backup only');
  all.by('a').op = 'DOWN';
  all.by('b').admin = 'DRAIN';
  assert.equal(lf('%[nbsrv(all)]'), '2', 'allbackups');
  by('c').op = 'DOWN';
  by('d').op = 'DOWN';
  assert.equal(lf('%[nbsrv(bk)]'), '0');
  const dead = acl('nbsrv(bk) lt 1');
  assert.equal(dead.test(txn()), true);

  assert.equal(lf('%[srv_is_up(bk/a)] %[srv_is_up(bk/b)] %[srv_is_up(all/b)]'), '0 0 1');
  by('a').cur = 3;
  by('b').cur = 2;
  by('b').queued = 4;
  assert.equal(lf('%[be_conn(bk)] %[srv_conn(bk/a)] %[srv_queue(bk/b)]'), '5 3 4');
  assert.equal(lf('%[srv_conn(bk/zz)]'), '');
  const bad: Diagnostic[] = [];
  compileLogFormat('%[srv_is_up(bk)]', LOC, bad);
  assert.match(bad[0].message, /expects 'backend\/server', got 'bk'/);
});

test('nbsrv and srv_is_up agree with HAProxy for disabled and backup servers', {
  skip: needs('haproxy'),
}, async (t) => {
  const hap = await startHaproxy(
    [
      'frontend fe',
      '  bind 127.0.0.1:@PORT@',
      '  http-request return status 200 content-type text/plain lf-string "%[nbsrv(b1)] %[nbsrv(b2)] %[nbsrv(b3)] %[nbsrv(b4)] %[srv_is_up(b1/a)] %[srv_is_up(b1/b)]"',
      'backend b1',
      '  server a 127.0.0.1:9 disabled',
      '  server b 127.0.0.1:9',
      'backend b2',
      '  server a 127.0.0.1:9 disabled',
      '  server c 127.0.0.1:9 backup',
      '  server d 127.0.0.1:9 backup',
      'backend b3',
      '  option allbackups',
      '  server a 127.0.0.1:9 disabled',
      '  server c 127.0.0.1:9 backup',
      '  server d 127.0.0.1:9 backup',
      'backend b4',
      '  server a 127.0.0.1:9 weight 0',
    ].join('\n'),
  );
  t.after(() => hap.stop());
  const res = await rawRequest(hap.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const mk = (
    allbackups: boolean,
    list: Array<{ name: string; backup?: boolean; disabled?: boolean; weight?: number }>,
  ) => ({
    servers: list.map((s, i) => newServerState('x', { ...serverModel(s, i), disabled: s.disabled ?? false })),
    model: { options: { allbackups } },
  });
  const bes = new Map([
    ['b1', mk(false, [{ name: 'a', disabled: true }, { name: 'b' }])],
    [
      'b2',
      mk(false, [
        { name: 'a', disabled: true },
        { name: 'c', backup: true },
        { name: 'd', backup: true },
      ]),
    ],
    [
      'b3',
      mk(true, [
        { name: 'a', disabled: true },
        { name: 'c', backup: true },
        { name: 'd', backup: true },
      ]),
    ],
    ['b4', mk(false, [{ name: 'a', weight: 0 }])],
  ]);
  setBackendLookup((n) => bes.get(n));
  t.after(() => setBackendLookup(undefined));
  const ours = compileLogFormat(
    '%[nbsrv(b1)] %[nbsrv(b2)] %[nbsrv(b3)] %[nbsrv(b4)] %[srv_is_up(b1/a)] %[srv_is_up(b1/b)]',
    LOC,
    [],
  )(txn());
  assert.equal(ours, res.body);
});
