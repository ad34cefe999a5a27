/** HAProxy's CSV export (`show stat`, `;csv`): header line, then one line per row, trailing comma. */
import { BASE_FIELDS, CSV_HEADER } from './fields.ts';
import type { StatRow, StatValue } from './rows.ts';

/** Quotes a CSV field the way HAProxy's csv_enc() does (only when needed). */
export function csvField(v: StatValue): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : v;
  if (/[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One CSV line for a row (without the newline). */
export function csvLine(row: StatRow): string {
  const v = row.values;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (i === BASE_FIELDS) out += '-,';
    out += `${csvField(v[i])},`;
  }
  return out;
}

/** The full CSV text: header and rows, each line ending in a newline. */
export function renderCsv(rows: readonly StatRow[]): string {
  const lines = [CSV_HEADER];
  for (const r of rows) lines.push(csvLine(r));
  return `${lines.join('\n')}\n`;
}
