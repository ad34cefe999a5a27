/**
 * keepalived.conf -> KeepalivedConf. Parsing mirrors keepalived 2.2.7 (same recovery from broken
 * nesting, same lines reported); the end-of-config checks mirror vrrp_complete_init()'s messages.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type KeywordTable, ParseContext } from './engine.ts';
import { hostChecks } from './host-checks.ts';
import { globalDefsTable } from './kw-global.ts';
import { instanceTable, newInstance } from './kw-instance.ts';
import { closeScript, newScript, scriptTable } from './kw-script.ts';
import { newSyncGroup, syncGroupTable } from './kw-sync-group.ts';
import { ConfLexer, type LexerOptions } from './lexer.ts';
import { type Diagnostic, defaultGlobalDefs, type KeepalivedConf, type ParseResult } from './model.ts';
import { validateModel } from './validate.ts';

/** keepalived root keywords Switchyard skips (block and all), with one warning each. */
const UNSUPPORTED_ROOT = [
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'vrrp_track_process',
  'vrrp_track_file',
  'track_file',
  'garp_group',
  'bfd_instance',
  'net_namespace',
  'net_namespace_ipvs',
  'namespace_with_ipsets',
  'linkbeat_use_polling',
  'instance',
  'use_pid_dir',
  'child_wait_time',
];

/** Options of loadKeepalivedConf. */
export interface LoadOptions extends LexerOptions {
  /** Check interfaces and scripts against this host (default true; false for a file meant for another node). */
  hostChecks?: boolean;
}

/** LVS root keywords (keepalived's checker process): out of scope for an L7 proxy. */
const LVS_ROOT = ['virtual_server', 'virtual_server_group'];

/** Parses keepalived.conf text; `file` names it in diagnostics and anchors relative includes. */
export function parseKeepalivedConf(text: string, file: string, opts: LexerOptions = {}): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lex = new ConfLexer(text, file, diagnostics, opts);
  const ctx = new ParseContext(lex, diagnostics);
  const model: KeepalivedConf = {
    files: lex.files,
    globalDefs: defaultGlobalDefs(),
    scripts: [],
    instances: [],
    syncGroups: [],
    hadLvsSections: false,
  };
  const root: KeywordTable = new Map();
  root.set('global_defs', {
    handler: (_a, loc) => {
      model.globalDefs.loc ??= loc;
    },
    sub: () => globalDefsTable(ctx, model.globalDefs),
  });
  root.set('vrrp_script', rootBlock(ctx, 'vrrp_script', model.scripts, newScript, scriptTable, closeScript));
  root.set(
    'vrrp_instance',
    rootBlock(
      ctx,
      'vrrp_instance',
      model.instances,
      (name, loc) => newInstance(name, model.globalDefs, loc),
      instanceTable,
      () => true,
    ),
  );
  root.set('vrrp_sync_group', rootBlock(ctx, 'vrrp_sync_group', model.syncGroups, newSyncGroup, syncGroupTable));
  for (const kw of LVS_ROOT) {
    root.set(kw, {
      inactive: true,
      handler: (_a, loc) => {
        if (!model.hadLvsSections) {
          ctx.report(
            'warning',
            'SY_LVS_IGNORED',
            'LVS virtual_server sections are not supported by Switchyard (an L7 proxy): ignored',
            loc,
          );
        }
        model.hadLvsSections = true;
      },
    });
  }
  for (const kw of UNSUPPORTED_ROOT) {
    root.set(kw, {
      inactive: true,
      handler: (_a, loc) =>
        ctx.report('warning', 'SY_UNSUPPORTED', `${kw} is not supported by Switchyard: block ignored`, loc),
    });
  }
  ctx.process(root, false);
  lex.finish();
  validateModel(model, ctx);
  diagnostics.push(...parentView(text, file, opts, diagnostics));
  // Strip the parse-time helper flags from the public objects.
  for (const s of model.scripts) delete (s as { timeoutSet?: boolean }).timeoutSet;
  for (const i of model.instances) delete (i as { versionSet?: boolean }).versionSet;
  return { model, diagnostics };
}

/**
 * Reads and parses a keepalived.conf file (relative includes resolve from its directory), then runs
 * the host checks (missing track scripts are disabled, as keepalived does).
 */
export function loadKeepalivedConf(path: string, opts: LoadOptions = {}): ParseResult {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const model: KeepalivedConf = {
      files: [],
      globalDefs: defaultGlobalDefs(),
      scripts: [],
      instances: [],
      syncGroups: [],
      hadLvsSections: false,
    };
    return {
      model,
      diagnostics: [
        {
          severity: 'error',
          code: 'KA_FILE_NOT_FOUND',
          message: `Unable to read configuration file ${path}: ${err.code ?? err.message}`,
        },
      ],
    };
  }
  const result = parseKeepalivedConf(text, file, opts);
  if (opts.hostChecks !== false) hostChecks(result.model, result.diagnostics);
  return result;
}

interface Named {
  name: string;
}

/** A `KEYWORD NAME { ... }` root block, with keepalived's checks on the name. */
function rootBlock<T extends Named>(
  ctx: ParseContext,
  kw: string,
  // The public list holds the item type without the parse-time flags T may add.
  list: Named[],
  create: (name: string, loc: import('./model.ts').SourceLoc) => T,
  table: (ctx: ParseContext, item: T) => KeywordTable,
  close: (ctx: ParseContext, item: T) => boolean = () => true,
) {
  let current: T | undefined;
  return {
    handler: (args: string[], loc: import('./model.ts').SourceLoc) => {
      current = undefined;
      const name = args[0];
      if (name === undefined) {
        ctx.report('error', 'KA_MISSING_NAME', `${kw} block has no name - skipping`, loc);
        ctx.skipBlock(true);
        return;
      }
      if (args.length > 1) ctx.report('warning', 'KA_EXTRA_PARAMS', `${kw} ${name}: extra parameters - ignoring`, loc);
      if (list.some((x) => x.name === name)) {
        const what = kw === 'vrrp_instance' ? 'vrrp instance' : kw.replace('_', ' ');
        ctx.report('error', 'KA_DUPLICATE', `${what} ${name} already defined`, loc);
        ctx.skipBlock(true);
        return;
      }
      current = create(name, loc);
    },
    sub: () => (current ? table(ctx, current) : new Map()),
    close: () => {
      if (current && close(ctx, current)) list.push(current);
      current = undefined;
    },
  };
}

/** Structural messages only keepalived's other processes print. */
const PARENT_CODES = new Set(['KA_UNKNOWN_KEYWORD', 'KA_MISSING_BOB', 'KA_UNEXPECTED_BOB']);

/**
 * keepalived -t also prints what its parent and checker processes report: they read the same file with
 * the VRRP blocks inactive (skipped by brace counting), so broken nesting shows up there as different
 * "Unknown keyword" lines. We replay that reading and keep the lines the VRRP reading did not report.
 */
function parentView(text: string, file: string, opts: LexerOptions, seen: Diagnostic[]): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const lex = new ConfLexer(text, file, diags, opts);
  const ctx = new ParseContext(lex, diags);
  const root: KeywordTable = new Map();
  root.set('global_defs', { sub: () => globalDefsTable(ctx, defaultGlobalDefs()) });
  for (const kw of ['vrrp_script', 'vrrp_instance', 'vrrp_sync_group', ...LVS_ROOT, ...UNSUPPORTED_ROOT]) {
    root.set(kw, { inactive: true });
  }
  ctx.process(root, false);
  const key = (d: Diagnostic) => `${d.loc?.file}:${d.loc?.line}:${d.message}`;
  const known = new Set(seen.map(key));
  const out: Diagnostic[] = [];
  for (const d of diags) {
    if (!d.loc || !PARENT_CODES.has(d.code) || known.has(key(d))) continue;
    known.add(key(d));
    out.push({ ...d, code: 'KA_PARENT_VIEW' });
  }
  return out;
}
