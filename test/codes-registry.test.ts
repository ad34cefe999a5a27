/**
 * One codes module per package: every stable code a package's sources emit is registered in its
 * codes module (or in a dependency's: packages/proxy emits CFG_* codes of @switchyard/config),
 * and every registered code is emitted somewhere. Error classes that carry a single fixed code
 * (`readonly code = 'X'`, one class per code as fastify's createError makes them) register it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { AdminCode } from '../packages/admin/src/codes.ts';
import { Codes } from '../packages/config/src/codes.ts';
import {
  AclCode,
  BalanceCode,
  CheckCode,
  DatapathCode,
  ServerCode,
  UpstreamCode,
} from '../packages/proxy/src/model/codes.ts';
import { StateCode } from '../packages/state/src/errors.ts';
import { VrrpCodes } from '../packages/vrrp/src/codes.ts';
import { ROOT } from './helpers/proxy.ts';

/** The registry files, and the codes each holds. */
const REGISTRIES: Record<string, readonly string[]> = {
  'packages/config/src/codes.ts': Object.values(Codes),
  'packages/proxy/src/model/codes.ts': [
    AclCode,
    CheckCode,
    BalanceCode,
    ServerCode,
    DatapathCode,
    UpstreamCode,
  ].flatMap((t) => Object.values(t) as string[]),
  'packages/state/src/errors.ts': Object.values(StateCode),
  'packages/admin/src/codes.ts': Object.values(AdminCode),
  'packages/vrrp/src/codes.ts': VrrpCodes,
};

/** Which registries a package may emit codes of (its own, then its dependencies'). */
const MAY_USE: Record<string, string[]> = {
  config: ['packages/config/src/codes.ts'],
  proxy: ['packages/proxy/src/model/codes.ts', 'packages/config/src/codes.ts'],
  state: ['packages/state/src/errors.ts', 'packages/config/src/codes.ts'],
  admin: ['packages/admin/src/codes.ts', 'packages/proxy/src/model/codes.ts', 'packages/config/src/codes.ts'],
  cli: ['packages/config/src/codes.ts', 'packages/admin/src/codes.ts', 'packages/state/src/errors.ts'],
  vrrp: ['packages/vrrp/src/codes.ts'],
  netprobe: [],
  unixsock: [],
};

/** What a project code looks like (llhttp's HPE_*, Node's ERR_* and errno names are not ours). */
const CODE =
  /'((?:CFG|ACL|CHK|LB|SRV|DP|STATE|ADM|CLI|KA|SY|LINT|VRRP|NETPROBE|UNIXSOCK)_[A-Z0-9_]+|UND_ERR_[A-Z_]+|ERR_H2_[A-Z]+|ERR_HTTP_REQUEST_TIMEOUT)'/g;
/** A fixed-code error class: the class is that code's registration. */
const CLASS_CODE = /readonly code = '([A-Z0-9_]+)'/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Site {
  code: string;
  file: string;
  line: number;
}

function scan(): { emitted: Map<string, Site[]>; classCodes: Set<string> } {
  const emitted = new Map<string, Site[]>();
  const classCodes = new Set<string>();
  for (const pkg of Object.keys(MAY_USE)) {
    const sites: Site[] = [];
    for (const file of sources(join(ROOT, 'packages', pkg, 'src'))) {
      const rel = relative(ROOT, file);
      if (rel in REGISTRIES) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(CLASS_CODE)) classCodes.add(m[1] as string);
      for (const m of text.matchAll(CODE)) {
        const line = text.slice(0, m.index).split('\n').length;
        sites.push({ code: m[1] as string, file: rel, line });
      }
    }
    emitted.set(pkg, sites);
  }
  return { emitted, classCodes };
}

test('every code a package emits is registered in its codes module or a dependency’s', () => {
  const { emitted, classCodes } = scan();
  const missing: string[] = [];
  for (const [pkg, sites] of emitted) {
    const allowed = new Set((MAY_USE[pkg] ?? []).flatMap((r) => REGISTRIES[r] ?? []));
    for (const s of sites) {
      if (!allowed.has(s.code) && !classCodes.has(s.code)) missing.push(`${s.file}:${s.line} ${s.code}`);
    }
  }
  assert.deepEqual(missing, [], 'register these codes (packages/*/src/codes.ts) or use a registered one');
});

test('every registered code is emitted somewhere (no dead entries)', () => {
  const { emitted } = scan();
  const used = new Set([...emitted.values()].flat().map((s) => s.code));
  // Registry entries used through their key (Codes.BAD_VALUE, AclCode.BAD_ARGS) count as used.
  const all = Object.keys(MAY_USE)
    .flatMap((pkg) => sources(join(ROOT, 'packages', pkg, 'src')))
    .filter((f) => !(relative(ROOT, f) in REGISTRIES))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const tables: Record<string, Record<string, string>> = {
    Codes,
    AclCode,
    CheckCode,
    BalanceCode,
    ServerCode,
    DatapathCode,
    UpstreamCode,
    StateCode,
    AdminCode,
  };
  for (const [name, table] of Object.entries(tables)) {
    for (const [key, code] of Object.entries(table)) if (all.includes(`${name}.${key}`)) used.add(code);
  }
  const dead = Object.entries(REGISTRIES).flatMap(([file, codes]) =>
    codes.filter((c) => !used.has(c)).map((c) => `${file}: ${c}`),
  );
  assert.deepEqual(dead, [], 'remove these entries or emit them');
});
