/**
 * The README keyword table against the parser: every row's example, put in a whole file, gets the
 * row's status from the parser (works / warned / refused); every keyword in the parser's tables is
 * in the table; every keyword keepalived 2.2.7's parser knows is in the table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parserKeywords } from '../src/conf/keywords.ts';
import { parserStatus, readKeywordTable } from './keyword-table.ts';

const rows = readKeywordTable();
/** Blocks refused whole: their own keywords are covered by the block's row. */
const REFUSED_BLOCKS = new Set(rows.filter((r) => r.block === 'root' && r.status === 'refused').map((r) => r.keyword));
const inTable = new Set(rows.map((r) => `${r.block} ${r.keyword}`));

test('the keyword table has rows of every status', () => {
  for (const s of ['works', 'warned', 'refused'])
    assert.ok(
      rows.some((r) => r.status === s),
      s,
    );
  assert.ok(rows.length > 250, `${rows.length} rows`);
});

test('each example gets the status of its row from the parser', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-kwtable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const wrong: string[] = [];
  for (const row of rows) {
    const got = parserStatus(row, dir);
    if (got.status !== row.status)
      wrong.push(`${row.block} \`${row.example}\`: table says ${row.status}, parser ${got.status}\n${got.detail}`);
    else if (row.status !== 'works' && !row.note) wrong.push(`${row.block} \`${row.example}\`: no reason in the note`);
  }
  assert.deepEqual(wrong, []);
});

test('every keyword of the parser is in the table', () => {
  const hints = new Set(['global_defs lvs_id', 'global_defs smtp_connection_timeout']);
  const missing = Object.entries(parserKeywords())
    .flatMap(([block, kws]) => kws.map((k) => `${block} ${k}`))
    .filter((k) => !inTable.has(k) && !hints.has(k));
  assert.deepEqual(missing, []);
});

test("every keyword of keepalived 2.2.7's parser is in the table", () => {
  const list = readFileSync(join(import.meta.dirname, 'fixtures', 'keepalived-2.2.7-keywords.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.ok(list.length > 250);
  const missing = list.filter((l) => !inTable.has(l) && !REFUSED_BLOCKS.has(l.split(' ')[0]));
  assert.deepEqual(missing, []);
});
