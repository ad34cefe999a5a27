import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRedisUrl } from '../src/redis-connect.ts';

test('redis-url forms: single, unix, sentinel, cluster', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/2'), { kind: 'single', url: 'redis://127.0.0.1:6379/2' });
  assert.deepEqual(parseRedisUrl('unix:///run/redis.sock'), { kind: 'unix', path: '/run/redis.sock' });
  assert.deepEqual(parseRedisUrl('redis+sentinel://:s%40cret@10.0.0.1:26379,[::1]:26380/mymaster/3'), {
    kind: 'sentinel',
    tls: false,
    sentinels: [
      { host: '10.0.0.1', port: 26379 },
      { host: '::1', port: 26380 },
    ],
    name: 'mymaster',
    db: 3,
    username: undefined,
    password: 's@cret',
  });
  assert.deepEqual(parseRedisUrl('rediss+cluster://u:p@h1:7000,h2:7001'), {
    kind: 'cluster',
    tls: true,
    nodes: [
      { host: 'h1', port: 7000 },
      { host: 'h2', port: 7001 },
    ],
    username: 'u',
    password: 'p',
  });
});

test('redis-url errors say what is expected', () => {
  const bad: Array<[string, RegExp]> = [
    ['http://x', /unknown scheme 'http:\/\/'/],
    ['redis+sentinel://h:1,h:2', /missing the master name/],
    ['redis+sentinel://h:1/m/x', /only a database number/],
    ['redis+sentinel://h/m', /expected HOST:PORT in the host list, got 'h'/],
    ['redis+cluster://h:1/0', /no database/],
    ['redis+cluster://h:99999', /expected HOST:PORT/],
    ['redis://h/x', /database must be a number/],
    ['redis+sentinel://%zz:p@h:1/m', /percent-encoding/],
  ];
  for (const [url, re] of bad) {
    const r = parseRedisUrl(url);
    assert.equal(typeof r, 'string', url);
    assert.match(r as string, re);
  }
});
