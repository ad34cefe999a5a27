/** Runtime API table commands: outputs and messages as HAProxy 2.6 prints them (captured from haproxy 2.6). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clearTable, setTable, showTable } from '../src/table-commands.ts';
import { TableDirectory } from '../src/tables.ts';
import { config, proxy, server, stick, table } from './fixtures.ts';

function dir() {
  const d = new TableDirectory();
  const cfg = config([
    proxy('backend', 'per_ip', 1, {
      stickTable: table(
        [{ name: 'http_req_rate', period: 10_000 }, { name: 'conn_cur' }, { name: 'gpc0' }, { name: 'http_err_cnt' }],
        { size: 102400, expire: 30_000 },
      ),
    }),
    proxy('backend', 'app', 10, {
      stickTable: table([], { size: 1048576, expire: 1_800_000 }),
      stickRules: [stick('on', 'src')],
      servers: [server('s1', 1), server('s2', 2)],
    }),
    proxy('backend', 'str', 20, {
      stickTable: table([{ name: 'gpc0' }, { name: 'server_id' }], { type: 'string', len: 8, size: 10 }),
    }),
  ]);
  assert.deepEqual(d.load(cfg), []);
  return d;
}

/** HAProxy's line without the (process-specific) address and remaining expiry. */
const norm = (s: string) => s.replace(/0x[0-9a-f]+:/g, 'ADDR:').replace(/exp=\d+/g, 'exp=N');

test('show table: headers, entries in HAProxy data order, server_key for stick tables', () => {
  const d = dir();
  const now = 1_000_000;
  assert.equal(
    showTable(d, [], now),
    '# table: per_ip, type: ip, size:102400, used:0\n# table: app, type: ip, size:1048576, used:0\n# table: str, type: string, size:10, used:0\n',
  );
  assert.equal(setTable(d, ['per_ip', 'key', '127.0.0.50', 'data.gpc0', '5', 'data.http_req_rate', '5'], now), '');
  assert.equal(
    norm(showTable(d, ['per_ip'], now)),
    '# table: per_ip, type: ip, size:102400, used:1\nADDR: key=127.0.0.50 use=0 exp=N gpc0=5 conn_cur=0 http_req_rate(10000)=5 http_err_cnt=0\n',
  );
  setTable(d, ['app', 'key', '127.0.0.33', 'data.server_id', '1'], now);
  setTable(d, ['app', 'key', '127.0.0.40', 'data.server_id', '9'], now);
  assert.equal(
    norm(showTable(d, ['app'], now)),
    '# table: app, type: ip, size:1048576, used:2\n' +
      'ADDR: key=127.0.0.33 use=0 exp=N server_id=1 server_key=s1\n' +
      'ADDR: key=127.0.0.40 use=0 exp=N server_id=9 server_key=-\n',
  );
  setTable(d, ['str', 'key', 'abcdefghijkl', 'data.gpc0', '1'], now);
  assert.equal(
    norm(showTable(d, ['str'], now)),
    '# table: str, type: string, size:10, used:1\nADDR: key=abcdefgh use=0 exp=N server_id=0 gpc0=1\n',
  );
  assert.match(showTable(d, ['str'], now), / exp=0 /, 'no expire: exp=0');
  assert.match(showTable(d, ['per_ip'], now + 10_000), /exp=20000 /);
});

test('show/clear table filters and keys', () => {
  const d = dir();
  const now = 2_000_000;
  setTable(d, ['per_ip', 'key', '10.0.0.1', 'data.gpc0', '3'], now);
  setTable(d, ['per_ip', 'key', '10.0.0.2', 'data.gpc0', '0'], now);
  assert.equal((showTable(d, ['per_ip', 'data.gpc0', 'gt', '1'], now).match(/key=/g) ?? []).length, 1);
  assert.match(showTable(d, ['per_ip', 'key', '10.0.0.2'], now), /key=10\.0\.0\.2 /);
  assert.equal(showTable(d, ['per_ip', 'key', 'bad'], now), '# table: per_ip, type: ip, size:102400, used:2\n');
  assert.equal(clearTable(d, ['per_ip', 'data.gpc0', 'gt', '1'], now), '');
  assert.match(showTable(d, ['per_ip'], now), /used:1\n.*key=10\.0\.0\.2 /);
  assert.equal(clearTable(d, ['per_ip', 'key', '10.0.0.2'], now), '');
  assert.equal(clearTable(d, ['per_ip', 'key', 'bad'], now), '');
  assert.match(showTable(d, ['per_ip'], now), /used:0\n$/);
  setTable(d, ['per_ip', 'key', '10.0.0.3'], now);
  assert.equal(clearTable(d, ['per_ip'], now), '');
  assert.match(showTable(d, ['per_ip'], now), /used:0\n$/);
});

test('table commands: HAProxy messages for bad input', () => {
  const d = dir();
  assert.equal(showTable(d, ['nope']), 'No such table\n');
  assert.equal(clearTable(d, ['nope']), 'No such table\n');
  assert.equal(setTable(d, ['nope', 'key', 'x']), 'No such table\n');
  assert.equal(
    showTable(d, ['per_ip', 'data.gpc0', 'xx', '1']),
    'Filter entry #1: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n',
  );
  assert.equal(
    showTable(d, ['per_ip', 'data.gpc0']),
    'Filter entry #1: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n',
  );
  assert.equal(
    showTable(d, ['per_ip', 'data.gpc0', 'eq', 'x']),
    'Filter entry #1: Require a valid integer value to compare against\n',
  );
  assert.equal(
    showTable(d, ['per_ip', 'data.server_id', 'eq', '1']),
    'Filter entry #1: Data type not stored in this table\n',
  );
  assert.equal(showTable(d, ['per_ip', 'data.bogus', 'eq', '1']), 'Filter entry #1: Unknown data type\n');
  assert.equal(
    showTable(d, ['per_ip', 'foo', 'bar']),
    'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n',
  );
  assert.equal(
    clearTable(d, []),
    'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n',
  );
  assert.equal(setTable(d, ['per_ip', 'key', '1.2.3.6', 'data.gpc0']), 'Require a valid integer value to store\n');
  assert.equal(setTable(d, ['per_ip', 'key', '1.2.3.6', 'data.gpc0', 'x']), 'Require a valid integer value to store\n');
  assert.equal(setTable(d, ['per_ip', 'key', '1.2.3.6', 'data.bogus', '1']), 'Unknown data type\n');
  assert.equal(
    setTable(d, ['per_ip', 'key', '1.2.3.6', 'data.server_id', '1']),
    'Data type not stored in this table\n',
  );
  assert.equal(
    setTable(d, ['per_ip', 'key', 'not-an-ip', 'data.gpc0', '1']),
    "Unable to parse key 'not-an-ip' for a table of type ip.\n",
  );
});
