/**
 * The keyword table of packages/vrrp/README.md, read back for the tests: each row is a block, an
 * example line, a status (works / warned / refused) and a note; `rowConfig()` turns a row into a
 * whole keepalived.conf with the example in its block, and says on which line the example sits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, parseKeepalivedConf } from '../src/conf/index.ts';
import { formatRefusal, startRefusals } from '../src/preflight.ts';

export type KeywordStatus = 'works' | 'warned' | 'refused';

export interface KeywordRow {
  block: string;
  /** The example line as written in the table (`{ ... }` on one line for value blocks). */
  example: string;
  keyword: string;
  status: KeywordStatus;
  note: string;
}

const README = join(import.meta.dirname, '..', 'README.md');

/** The rows between the `<!-- keyword-table -->` markers of the package README. */
export function readKeywordTable(text = readFileSync(README, 'utf8')): KeywordRow[] {
  const start = text.indexOf('<!-- keyword-table:start -->');
  const end = text.indexOf('<!-- keyword-table:end -->');
  if (start < 0 || end < start) throw new Error('keyword table markers not found in README.md');
  const rows: KeywordRow[] = [];
  for (const line of text.slice(start, end).split('\n')) {
    const m = /^\| (\S+) \| `([^`]+)` \| (works|warned|refused) \| (.*) \|$/.exec(line);
    if (!m) continue;
    const [, block, example, status, note] = m;
    rows.push({ block, example, keyword: example.split(/\s+/)[0], status: status as KeywordStatus, note });
  }
  return rows;
}

/** Blocks every generated file has; a root row naming one of them is checked on its opening line. */
const BASE_BLOCKS = [
  'global_defs',
  'vrrp_script',
  'track_file',
  'vrrp_track_file',
  'vrrp_track_process',
  'vrrp_instance',
  'vrrp_sync_group',
];

/**
 * A whole file for `row`: global_defs (script security on, scripts run as root), one vrrp_script,
 * track_file and vrrp_track_process (the names `chk`, `tf`, `tp` the track_* examples use), VI_1 on
 * eth0 with 10.0.0.100, and the example in its block. `dir` holds the
 * track file. VI_2 and the group `G` only for sync group rows. Returns the text and the example's line.
 */
export function rowConfig(row: KeywordRow, dir: string): { text: string; line: number } {
  const weightFile = join(dir, 'weight');
  const example = row.example.replaceAll('/tmp/sy-kw-weight', weightFile);
  const lines: string[] = [];
  let line = 0;
  const put = (s: string, mark = false) => {
    lines.push(s);
    if (mark) line = lines.length;
  };
  const section = row.block === 'root' && BASE_BLOCKS.includes(row.keyword) ? row.keyword : row.block;
  const opener = (block: string, text: string) => put(text, row.block === 'root' && section === block);
  const here = (block: string) => {
    if (row.block === block) put(`  ${example}`, true);
  };

  opener('global_defs', 'global_defs {');
  put('  enable_script_security');
  put('  script_user root');
  here('global_defs');
  put('}');
  opener('vrrp_script', 'vrrp_script chk {');
  if (!(row.block === 'vrrp_script' && row.keyword === 'script')) put('  script "/bin/true"');
  here('vrrp_script');
  put('}');
  const trackFile = row.block === 'vrrp_track_file' || section === 'vrrp_track_file' ? 'vrrp_track_file' : 'track_file';
  opener(trackFile, `${trackFile} tf {`);
  if (!(row.block === trackFile && row.keyword === 'file')) put(`  file ${weightFile}`);
  here(trackFile);
  put('}');
  opener('vrrp_track_process', 'vrrp_track_process tp {');
  if (!(row.block === 'vrrp_track_process' && row.keyword === 'process')) put('  process sshd');
  here('vrrp_track_process');
  put('}');
  const withGroup = section === 'vrrp_sync_group';
  const instances = [['VI_1', 51, '10.0.0.100'] as const, ...(withGroup ? [['VI_2', 52, '10.0.0.200'] as const] : [])];
  for (const [name, vrid, vip] of instances) {
    opener('vrrp_instance', `vrrp_instance ${name} {`);
    put('  interface eth0');
    put(`  virtual_router_id ${vrid}`);
    put('  priority 100');
    put('  advert_int 1');
    put(`  virtual_ipaddress { ${vip} }`);
    if (name === 'VI_1') {
      here('vrrp_instance');
      if (row.block === 'authentication') {
        put('  authentication {');
        put(`    ${example}`);
        line = lines.length;
        if (row.keyword === 'auth_type') put('    auth_pass secret');
        put('  }');
      }
      if (row.block === 'track_proxy') {
        put('  track_proxy {');
        put(`    ${example}`);
        line = lines.length;
        put('  }');
      }
    }
    put('}');
  }
  if (withGroup) {
    opener('vrrp_sync_group', 'vrrp_sync_group G {');
    if (!(row.block === 'vrrp_sync_group' && row.keyword === 'group')) put('  group { VI_1 VI_2 }');
    here('vrrp_sync_group');
    put('}');
  }
  if (row.block === 'root' && section === 'root') put(example, true);
  return { text: `${lines.join('\n')}\n`, line };
}

/** Codes that mean "accepted, no effect in Switchyard" (the warned status). */
const WARNED_CODES = new Set(['SY_NO_EFFECT', 'SY_NO_SMTP', 'SY_LVS_IGNORED']);

/** What the parser makes of a row's file: its status as the table would write it, and why. */
export function parserStatus(row: KeywordRow, dir: string): { status: KeywordStatus | 'unknown'; detail: string } {
  const { text, line } = rowConfig(row, dir);
  const file = join(dir, 'keepalived.conf');
  const r = parseKeepalivedConf(text, file);
  const refusals = startRefusals(r.model, r.diagnostics, { host: false });
  const at = r.diagnostics.filter((d) => d.loc?.line === line);
  const detail = [...r.diagnostics.map(formatDiagnostic), ...refusals.map(formatRefusal)].join('\n');
  if (at.some((d) => d.code === 'KA_UNKNOWN_KEYWORD')) return { status: 'unknown', detail };
  if (refusals.length > 0)
    return { status: refusals.some((d) => d.loc?.line === line) ? 'refused' : 'unknown', detail };
  if (at.some((d) => WARNED_CODES.has(d.code))) return { status: 'warned', detail };
  return { status: 'works', detail };
}
