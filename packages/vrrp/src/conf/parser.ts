/**
 * keepalived.conf -> KeepalivedConf. Parsing mirrors keepalived 2.2.7 (same recovery from broken
 * nesting, same lines reported); the end-of-config checks mirror vrrp_complete_init()'s messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { VrrpCode } from '../codes.ts';
import { type KeywordTable, ParseContext } from './engine.ts';
import { hostChecks } from './host-checks.ts';
import { globalDefsTable } from './kw-global.ts';
import { closeInstance, instanceTable, newInstance } from './kw-instance.ts';
import { parseRoute, parseRule } from './kw-routes.ts';
import { closeScript, newScript, scriptTable } from './kw-script.ts';
import { addStatusKeywords, type Reasons } from './kw-status.ts';
import { newSyncGroup, syncGroupTable } from './kw-sync-group.ts';
import { closeTrackFile, newTrackFile, trackFileTable } from './kw-track-file.ts';
import { closeTrackProcess, newTrackProcess, trackProcessTable } from './kw-track-process.ts';
import { ConfLexer, type LexerOptions } from './lexer.ts';
import {
  type Diagnostic,
  defaultGlobalDefs,
  type KeepalivedConf,
  type NotifyCommand,
  type ParseResult,
  type SourceLoc,
} from './model.ts';
import { validateModel } from './validate.ts';
import { parseVip } from './values.ts';

/** Root keywords with no effect in Switchyard (block skipped, a warning with the reason). */
const WARNED_ROOT: Reasons = {
  net_namespace_ipvs: 'LVS (IPVS) setting: Switchyard runs no LVS',
  namespace_with_ipsets: 'Switchyard uses no ipsets',
  child_wait_time: 'the sidecar is one process: no children to wait for',
  linkbeat_use_polling: 'interface state is always polled (every 500 ms)',
  linkbeat_interfaces: 'interface state is always polled (every 500 ms)',
};

/** Root keywords keepalived acts on that Switchyard does not: block skipped, the sidecar refuses to start. */
const REFUSED_ROOT: Reasons = {
  net_namespace: 'run the sidecar inside the namespace (ip netns exec)',
  instance: 'pid files are named by -p/-r',
  use_pid_dir: 'pid files are named by -p/-r',
  track_group: 'track_group restrictions on track_script/track_interface users are not applied',
  garp_group: 'no GARP interval groups: set vrrp_garp_interval/vrrp_gna_interval in global_defs',
  bfd_instance: 'no BFD',
  interface_up_down_delays: 'interface changes are acted on at once',
};

/** Every root keyword skipped whole (block and all) by the VRRP reading's own tables. */
const UNSUPPORTED_ROOT = [...Object.keys(WARNED_ROOT), ...Object.keys(REFUSED_ROOT)];

/** Root keywords keepalived reads as value blocks (alloc_value_block), not keyword levels. */
/** Root blocks read by the VRRP pass only (keepalived's checker reads them too, for LVS). */
const TRACK_FILE_ROOT = ['track_file', 'vrrp_track_file', 'vrrp_track_process'];

/** Root value blocks read by the VRRP pass (keepalived's parent and checker skip them). */
const STATIC_ROOT = ['static_ipaddress', 'static_routes', 'static_rules'];

/** A model with nothing in it and keepalived's global defaults. */
export function emptyModel(): KeepalivedConf {
  return {
    files: [],
    globalDefs: defaultGlobalDefs(),
    scripts: [],
    instances: [],
    syncGroups: [],
    trackFiles: [],
    trackProcesses: [],
    hadLvsSections: false,
    staticAddresses: [],
    staticRoutes: [],
    staticRules: [],
  };
}

/** Options of parseKeepalivedConf. */
export interface ParseOptions extends LexerOptions {
  /** Check interfaces against this sysfs directory while parsing, as keepalived does (absent: no check). */
  netDir?: string;
}

/** Options of loadKeepalivedConf. */
export interface LoadOptions extends ParseOptions {
  /** Check interfaces and scripts against this host (default true; false for a file meant for another node). */
  hostChecks?: boolean;
}

/** LVS root keywords (keepalived's checker process): out of scope for an L7 proxy. */
const LVS_ROOT = ['virtual_server', 'virtual_server_group'];

/**
 * Parses keepalived.conf text; `file` names it in diagnostics and anchors relative includes.
 * keepalived 2.2.7 reads the file three times, in three processes, each with other blocks active:
 * the parent reads only `global_defs` (everything else skipped by brace counting), the VRRP child
 * reads the vrrp_* blocks (global_defs skipped the same way), the checker child the LVS blocks.
 * With broken nesting the three disagree, and `keepalived -t` prints all three. We replay the same
 * readings: global settings from the parent's, VRRP from the VRRP child's, and the union of their
 * messages (the checker's reading is replayed with LVS skipped, since we do not parse LVS).
 */
export function parseKeepalivedConf(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const model = emptyModel();
  const skipped = [...LVS_ROOT, ...UNSUPPORTED_ROOT, ...STATIC_ROOT];

  // Parent: global_defs only.
  const parent = pass(text, file, opts, 'KA_PARENT_VIEW', (ctx, root) => {
    root.set('global_defs', {
      handler: (_a, loc) => {
        model.globalDefs.loc ??= loc;
      },
      sub: () => globalDefsTable(ctx, model.globalDefs),
    });
    for (const kw of ['vrrp_script', 'vrrp_instance', 'vrrp_sync_group', ...TRACK_FILE_ROOT, ...skipped])
      root.set(kw, { inactive: true });
  });

  if (parent.aborted) {
    // keepalived's parent exits there: no child process ever reads the file.
    return { model, diagnostics: parent.diags, notifyHooks: [], instancesParsed: 0, fatal: true };
  }

  // VRRP child: the model.
  const notifyHooks: NotifyCommand[] = [];
  const vrrp = pass(text, file, opts, undefined, (ctx, root) => vrrpRoot(ctx, root, model));
  model.files = vrrp.files;
  // Notify hooks as parsed, before validation drops instances: keepalived's script-security check
  // counts them even on an instance it later refuses.
  for (const o of [...model.instances, ...model.syncGroups]) notifyHooks.push(...Object.values(o.notify));
  const instancesParsed = model.instances.length;

  // Checker child: VRRP and global_defs skipped (its LVS blocks are skipped here too).
  const checker = pass(text, file, opts, 'KA_PARENT_VIEW', (_ctx, root) => {
    for (const kw of [
      'global_defs',
      'vrrp_script',
      'vrrp_instance',
      'vrrp_sync_group',
      ...TRACK_FILE_ROOT,
      ...skipped,
    ]) {
      root.set(kw, { inactive: true });
    }
  });

  // Union in file order; a message several readings print is kept once (the VRRP reading's code).
  const seen = new Set<string>();
  const key = (d: Diagnostic) => `${d.loc?.file}\0${d.loc?.line}\0${d.message}`;
  const merged: Diagnostic[] = [];
  for (const d of [...vrrp.diags, ...parent.diags, ...checker.diags]) {
    if (seen.has(key(d))) continue;
    seen.add(key(d));
    merged.push(d);
  }
  const fileIndex = (f: string | undefined) => (f === undefined ? 1e9 : model.files.indexOf(f));
  const lined = merged.filter((d) => d.loc);
  const unlined = merged.filter((d) => !d.loc);
  lined.sort((a, b) => fileIndex(a.loc!.file) - fileIndex(b.loc!.file) || a.loc!.line - b.loc!.line);
  const diagnostics = [...lined, ...unlined];

  const vctx = new ParseContext(new ConfLexer('', file, [], opts), diagnostics);
  validateModel(model, vctx);
  // Strip the parse-time helper flags from the public objects.
  for (const s of model.scripts) delete (s as { timeoutSet?: boolean }).timeoutSet;
  for (const i of model.instances) delete (i as { versionSet?: boolean }).versionSet;
  const fatal = diagnostics.some((d) => d.code === 'KA_FATAL_MISSING_PARAMETER');
  return { model, diagnostics, notifyHooks, instancesParsed, fatal };
}

/** The root keywords keepalived's VRRP process reads, writing into `model`. */
export function vrrpRoot(ctx: ParseContext, root: KeywordTable, model: KeepalivedConf): void {
  root.set('global_defs', { inactive: true });
  root.set('vrrp_script', rootBlock(ctx, 'vrrp_script', model.scripts, newScript, scriptTable, closeScript));
  ctx.trackFiles = model.trackFiles;
  ctx.trackProcesses = model.trackProcesses;
  root.set(
    'vrrp_track_process',
    rootBlock(ctx, 'vrrp_track_process', model.trackProcesses, newTrackProcess, trackProcessTable, closeTrackProcess),
  );
  const trackFile = (kw: string) => rootBlock(ctx, kw, model.trackFiles, newTrackFile, trackFileTable, closeTrackFile);
  root.set('track_file', trackFile('track_file'));
  const deprecated = trackFile('vrrp_track_file');
  root.set('vrrp_track_file', {
    ...deprecated,
    handler: (args, loc) => {
      ctx.report('warning', 'SY_DEPRECATED', '"vrrp_track_file" is deprecated, please use "track_file"', loc);
      deprecated.handler(args, loc);
    },
  });
  root.set(
    'vrrp_instance',
    rootBlock(
      ctx,
      'vrrp_instance',
      model.instances,
      (name, loc) => newInstance(name, model.globalDefs, loc),
      instanceTable,
      closeInstance,
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
  // keepalived's VRRP process reads these as value blocks (ending at the first '}').
  const staticBlock = (kw: string, fn: (words: string[], l: SourceLoc) => void) =>
    root.set(kw, { handler: (args, loc) => ctx.readValueBlock(kw, args, loc, fn) });
  staticBlock('static_ipaddress', (words, l) => {
    const a = parseVip(ctx, words, l, 'static_ipaddress');
    if (a) model.staticAddresses.push(a);
  });
  staticBlock('static_routes', (words, l) => {
    const r = parseRoute(ctx, words, l, 'static_routes', true);
    if (r) model.staticRoutes.push(r);
  });
  staticBlock('static_rules', (words, l) => {
    const r = parseRule(ctx, words, l, 'static_rules', true);
    if (r) model.staticRules.push(r);
  });
  const status: KeywordTable = new Map();
  addStatusKeywords(ctx, status, 'root keyword', WARNED_ROOT, REFUSED_ROOT);
  for (const [kw, entry] of status) root.set(kw, { ...entry, inactive: true });
}

/** One reading of the text with a given root table; returns its diagnostics and files. */
function pass(
  text: string,
  file: string,
  opts: ParseOptions,
  topLevelCode: VrrpCode | undefined,
  build: (ctx: ParseContext, root: KeywordTable) => void,
): { diags: Diagnostic[]; files: string[]; aborted: boolean } {
  const diags: Diagnostic[] = [];
  const lex = new ConfLexer(text, file, diags, opts);
  const ctx = new ParseContext(lex, diags, topLevelCode);
  const netDir = opts.netDir;
  if (netDir !== undefined) ctx.host = { ifExists: (name) => existsSync(`${netDir}/${name}`) };
  const root: KeywordTable = new Map();
  build(ctx, root);
  ctx.process(root, false);
  // A fatal error ends keepalived's process before its end-of-file brace count.
  if (!ctx.aborted) lex.finish();
  return { diags, files: lex.files, aborted: ctx.aborted };
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
    const model = emptyModel();
    return {
      model,
      notifyHooks: [],
      instancesParsed: 0,
      fatal: true,
      diagnostics: [
        {
          severity: 'error',
          code: 'KA_FILE_NOT_FOUND',
          message: `Unable to read configuration file ${path}: ${err.code ?? err.message}`,
        },
      ],
    };
  }
  const host = opts.hostChecks !== false;
  const result = parseKeepalivedConf(text, file, host ? { netDir: '/sys/class/net', ...opts } : opts);
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
  let duplicate = false;
  return {
    handler: (args: string[], loc: import('./model.ts').SourceLoc) => {
      current = undefined;
      duplicate = false;
      const name = args[0];
      if (name === undefined) {
        if (kw === 'vrrp_script') {
          ctx.fatal(kw, loc);
          return;
        }
        const msg = kw === 'vrrp_instance' ? 'vrrp_instance must have a name' : `${kw} must have a name - skipping`;
        ctx.report('error', 'KA_MISSING_NAME', msg, loc);
        ctx.skipBlock(true);
        return;
      }
      if (args.length > 1) ctx.report('warning', 'KA_EXTRA_PARAMS', `${kw} ${name}: extra parameters - ignoring`, loc);
      if (kw === 'vrrp_script') ctx.definedScripts.add(name);
      if (kw === 'vrrp_script' && list.some((x) => x.name === name)) {
        // keepalived reads the block again without a word and its lookups find the first definition.
        ctx.report(
          'warning',
          'SY_DUP_SCRIPT',
          `vrrp_script ${name} is defined twice: the first definition is used (keepalived does the same, silently)`,
          loc,
        );
        current = create(name, loc);
        duplicate = true;
        return;
      }
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
      if (current && close(ctx, current) && !duplicate) list.push(current);
      else if (current && kw === 'vrrp_script') ctx.definedScripts.delete(current.name);
      current = undefined;
    },
  };
}
