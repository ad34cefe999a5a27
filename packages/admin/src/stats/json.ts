/**
 * HAProxy's typed stats export: `show stat json` / `;json` (an array per row of typed fields,
 * empty fields omitted) and `show stat typed` (one `F.iid.sid.pos.name.1:TAGS:type:value` line
 * per field).
 */
import { FIELDS, fieldTags, jsonTags } from './fields.ts';
import type { StatRow } from './rows.ts';

const OBJ_TYPE = ['Frontend', 'Backend', 'Server'] as const;
const OBJ_LETTER = ['F', 'B', 'S'] as const;

/** JSON value object for field `pos` of a row. */
function typedValue(pos: number, v: string | number): { type: string; value: string | number } {
  const type = FIELDS[pos][2];
  if (type === 'str') return { type, value: String(v) };
  return { type, value: typeof v === 'number' ? v : Number(v) };
}

/** `show stat json` output: an array of rows, each an array of field objects. */
export function statsJson(rows: readonly StatRow[]): unknown[] {
  return rows.map((r) => {
    const out: unknown[] = [];
    const v = r.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x === undefined) continue;
      out.push({
        objType: OBJ_TYPE[r.type],
        proxyId: r.iid,
        id: r.sid,
        field: { pos: i, name: FIELDS[i][0] },
        processNum: 1,
        tags: jsonTags(fieldTags(i, r.type)),
        value: typedValue(i, x),
      });
    }
    return out;
  });
}

/** The JSON text HAProxy prints for `show stat json`. */
export function renderJson(rows: readonly StatRow[]): string {
  return `${JSON.stringify(statsJson(rows))}\n`;
}

/** `show stat typed` text. */
export function renderTyped(rows: readonly StatRow[]): string {
  const lines: string[] = [];
  for (const r of rows) {
    const v = r.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x === undefined) continue;
      const f = FIELDS[i];
      lines.push(`${OBJ_LETTER[r.type]}.${r.iid}.${r.sid}.${i}.${f[0]}.1:${fieldTags(i, r.type)}:${f[2]}:${x}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
