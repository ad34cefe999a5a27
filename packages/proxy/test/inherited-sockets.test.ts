import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InheritedSocket, InheritedSockets, wantedKey } from '../src/index.ts';

const sock = (fd: number, o: Partial<InheritedSocket>): InheritedSocket => ({
  fd,
  family: 'inet',
  stream: true,
  listening: true,
  ...o,
});

test('received sockets are matched to binds by address, as haproxy sock_find_compatible_fd', () => {
  const closed: number[] = [];
  const pool = new InheritedSockets(
    [
      sock(10, { address: '0.0.0.0', port: 80 }),
      sock(11, { family: 'inet6', address: '::1', port: 8443, v6only: false }),
      sock(12, { family: 'inet6', address: '::', port: 80, v6only: true }),
      sock(13, { family: 'unix', path: '/run/admin.sock.4242.tmp' }),
      sock(14, { address: '127.0.0.1', port: 9000, listening: false }),
      sock(15, { address: '127.0.0.1', port: 9001, stream: false }),
      sock(16, { address: '127.0.0.1', port: 81 }),
    ],
    (fd) => closed.push(fd),
  );
  // `*:80` and `:80` bind 0.0.0.0
  assert.equal(pool.take({ host: '*', port: 80 }), 10);
  assert.equal(pool.take({ host: '', port: 80 }), undefined, 'taken once');
  // IPv6 in any spelling; v6only must agree
  assert.equal(pool.take({ host: '0:0::1', port: 8443 }), 11);
  assert.equal(pool.take({ host: '::', port: 80 }), undefined);
  assert.equal(pool.take({ host: '::', port: 80, v6only: true }), 12);
  // haproxy's unix sockets are bound as PATH.PID.tmp
  assert.equal(pool.take({ host: '', port: 0, path: '/run/admin.sock' }), 13);
  // host names never match (they are bound as before); a non-listening or datagram socket neither
  assert.equal(wantedKey({ host: 'localhost', port: 81 }), undefined);
  assert.equal(pool.take({ host: '127.0.0.1', port: 9000 }), undefined);
  assert.equal(pool.take({ host: '127.0.0.1', port: 9001 }), undefined);
  assert.equal(pool.remaining, 3);
  assert.equal(pool.closeRest(), 3);
  assert.deepEqual(closed.sort(), [14, 15, 16]);
  assert.equal(pool.remaining, 0);
});
