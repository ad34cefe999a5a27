/** The section driver: tokenizes lines, tracks sections and defaults inheritance, calls keyword parsers. */
import { CondStack, directive } from './conditional.ts';
import { Reporter } from './diagnostics.ts';
import { newGlobal, newProxy, newServerParams } from './factory.ts';
import { isGlobalKeyword, parseGlobalLine } from './global.ts';
import { type Env, splitLines, tokenizeLine } from './lexer.ts';
import type {
  ConfigModel,
  HttpErrorsModel,
  ParseResult,
  PeersModel,
  ResolversModel,
  SourceLoc,
  UserlistModel,
} from './model.ts';
import { parsePeersLine } from './peers.ts';
import { finishHttpCheck } from './proxy/check.ts';
import { parseHttpErrorsLine, resolveErrorReplies } from './proxy/errors.ts';
import { PROXY_KEYWORDS, parseProxyLine } from './proxy/keywords.ts';
import { finishTcpCheck } from './proxy/tcp-check.ts';
import { checkResolverRefs, newResolvers, parseResolversLine } from './resolvers.ts';
import type { LineCtx, SectionState } from './state.ts';
import { didYouMean } from './suggest.ts';
import { parseUserlistLine, resolveUserlists, userlistName } from './userlist.ts';
import { validate } from './validate.ts';

/** Options of parseConfig. */
export interface ParseOptions {
  /** Environment for `"${VAR}"` expansion (default: process.env). */
  env?: Env;
  /** Reads files the config names (`errorfile`, `http-request return file`); default: not read (empty content). */
  readFile?: (path: string) => string | Error;
}

const PROXY_SECTIONS = new Set(['defaults', 'frontend', 'backend', 'listen']);
/** HAProxy sections Switchyard does not support. */
const UNSUPPORTED_SECTIONS: Record<string, string> = {
  mailers: "'mailers' sections are not supported; alert from the logs or Prometheus metrics",
  ring: "'ring' sections are not supported; log to stdout or syslog",
  cache: "'cache' sections are not supported",
  program: "'program' sections are not supported; use systemd units",
  'fcgi-app': "'fcgi-app' sections are not supported",
  'log-forward': "'log-forward' sections are not supported",
  'dynamic-update': "'dynamic-update' sections are not supported",
};
const SECTION_NAMES = [
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'peers',
  'userlist',
  'resolvers',
  'http-errors',
];
const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

type Current =
  | { type: 'none' }
  | { type: 'global' }
  | { type: 'proxy'; s: SectionState }
  | { type: 'peers'; p: PeersModel }
  | { type: 'userlist'; ul: UserlistModel }
  | { type: 'resolvers'; rs: ResolversModel }
  | { type: 'httpErrors'; he: HttpErrorsModel }
  | { type: 'skip' };

/**
 * Parses haproxy.cfg sources, concatenated in order as HAProxy does with `-f a -f b`.
 * Pure: text in, model and diagnostics out (nothing is read unless `options.readFile` is given).
 */
export function parseConfig(sources: Array<{ file: string; text: string }>, options: ParseOptions = {}): ParseResult {
  // A copy: `setenv`/`unsetenv` lines change it for the following lines only.
  const env: Env = { ...(options.env ?? process.env) };
  const r = new Reporter();
  const config: ConfigModel = {
    files: sources.map((s) => s.file),
    global: newGlobal(),
    proxies: [],
    peers: [],
    resolvers: [],
  };
  const sections: SectionState[] = [];
  const namedDefaults = new Map<string, SectionState>();
  let lastDefaults: SectionState | undefined;
  const defaultsUse = new Map<SectionState, { explicit: boolean; implicit: SourceLoc[] }>();
  const ruleUsers = new Map<SectionState, 'frontend' | 'backend'>();
  let cur: Current = { type: 'none' };

  const finish = (): void => {
    if (cur.type === 'proxy' && cur.s.kind !== 'defaults') {
      finishHttpCheck(cur.s, (loc, msg) => r.warn(loc, 'CFG_NO_EFFECT', msg));
      finishTcpCheck(cur.s, (loc, msg) => r.warn(loc, 'CFG_NO_EFFECT', msg));
    }
  };

  for (const src of sources) {
    finish();
    cur = { type: 'none' };
    const cond = new CondStack();
    const lines = splitLines(src.text);
    for (let n = 0; n < lines.length; n++) {
      const loc: SourceLoc = { file: src.file, line: n + 1 };
      const lx = tokenizeLine(lines[n], env);
      if (!lx.ok) {
        if (cond.active) r.error(loc, 'CFG_SYNTAX', lx.message);
        continue;
      }
      const words = lx.words;
      if (words.length === 0) continue;
      const kw = words[0];
      if (kw.startsWith('.')) {
        directive(kw, words.slice(1), loc, cond, r, env);
        continue;
      }
      if (!cond.active) continue;
      for (const v of lx.unsetEnv)
        r.warn(loc, 'CFG_UNSET_ENV', `environment variable '${v}' is not set; it expands to an empty string`);

      if (
        kw === 'global' ||
        PROXY_SECTIONS.has(kw) ||
        kw === 'peers' ||
        kw === 'userlist' ||
        kw === 'resolvers' ||
        kw === 'http-errors' ||
        UNSUPPORTED_SECTIONS[kw]
      ) {
        finish();
        cur = openSection(words, loc);
        continue;
      }
      const negated = kw === 'no' && words.length > 1;
      const ctx: LineCtx = {
        args: negated ? words.slice(1) : words,
        negated,
        loc,
        r,
        config,
        env,
        readFile: options.readFile,
      };
      switch (cur.type) {
        case 'global':
          if (negated) r.error(loc, 'CFG_BAD_VALUE', `'no' cannot prefix '${words[1]}' in the global section`);
          else if (!isGlobalKeyword(kw) && PROXY_KEYWORDS[kw]) {
            r.error(
              loc,
              'CFG_NOT_ALLOWED_HERE',
              `'${kw}' is not allowed in the 'global' section; it belongs in a defaults, frontend, backend or listen section`,
            );
          } else parseGlobalLine(ctx, config.global);
          break;
        case 'proxy':
          if (!PROXY_KEYWORDS[ctx.args[0]] && isGlobalKeyword(ctx.args[0])) {
            r.error(
              loc,
              'CFG_NOT_ALLOWED_HERE',
              `'${ctx.args[0]}' is not allowed in a '${cur.s.kind}' section; it belongs in the 'global' section`,
            );
          } else parseProxyLine(ctx, cur.s);
          break;
        case 'peers':
          parsePeersLine(ctx, cur.p);
          break;
        case 'userlist':
          if (negated) r.error(loc, 'CFG_BAD_VALUE', `'no' cannot prefix '${words[1]}' in a userlist section`);
          else parseUserlistLine(ctx, cur.ul);
          break;
        case 'resolvers':
          parseResolversLine(ctx, cur.rs);
          break;
        case 'httpErrors':
          parseHttpErrorsLine(ctx, cur.he);
          break;
        case 'skip':
          break;
        case 'none':
          r.error(loc, 'CFG_UNKNOWN_KEYWORD', `unknown keyword '${kw}' out of section${didYouMean(kw, SECTION_NAMES)}`);
          break;
      }
    }
    if (cond.depth > 0)
      r.error(
        { file: src.file, line: cond.openLine ?? 0 },
        'CFG_SYNTAX',
        "'.if' block is not closed by '.endif' at end of file",
      );
  }
  finish();
  if (config.userlists) resolveUserlists(config.userlists, r);
  resolveErrorReplies(config, r);
  validate(config, sections, r);
  checkResolverRefs(config, r);
  const zero = config.global.zeroWarning;
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning').length;
  if (zero && warnings > 0) {
    r.error(
      zero,
      'CFG_ZERO_WARNING',
      `'zero-warning' is set and ${warnings} warning(s) were emitted: the configuration is refused, as HAProxy does`,
    );
  }
  return { model: config, diagnostics: r.diagnostics };

  function openSection(words: string[], loc: SourceLoc): Current {
    const kw = words[0];
    if (UNSUPPORTED_SECTIONS[kw]) {
      r.error(loc, 'CFG_UNSUPPORTED_SECTION', UNSUPPORTED_SECTIONS[kw]);
      return { type: 'skip' };
    }
    if (kw === 'global') {
      if (words.length > 1) r.error(loc, 'CFG_EXTRA_ARGS', `'global' takes no argument, got '${words[1]}'`);
      config.global.loc ??= { ...loc };
      return { type: 'global' };
    }
    if (kw === 'userlist') {
      const name = userlistName(words);
      if (name === undefined) {
        r.error(
          loc,
          words[1] ? 'CFG_BAD_NAME' : 'CFG_MISSING_ARG',
          `'userlist' expects one name made of letters, digits, '_', '.', ':' and '-'`,
        );
        return { type: 'skip' };
      }
      config.userlists ??= [];
      if (config.userlists.some((u) => u.name === name)) {
        r.warn(loc, 'CFG_DUPLICATE_NAME', `ignoring duplicated userlist '${name}'`);
        return { type: 'skip' };
      }
      const ul: UserlistModel = { name, users: [], groups: [], loc: { ...loc } };
      config.userlists.push(ul);
      return { type: 'userlist', ul };
    }
    if (kw === 'http-errors') {
      const name = words[1];
      if (!name) {
        r.error(loc, 'CFG_MISSING_ARG', 'missing name for http-errors section.');
        return { type: 'skip' };
      }
      const bad = /[^A-Za-z0-9_.:-]/.exec(name);
      if (bad) r.error(loc, 'CFG_BAD_NAME', `character '${bad[0]}' is not permitted in 'http-errors' name '${name}'.`);
      config.httpErrors ??= [];
      const dup = config.httpErrors.find((h) => h.name === name);
      if (dup)
        r.error(
          loc,
          'CFG_DUPLICATE_NAME',
          `http-errors section '${name}' already exists (declared at ${dup.loc.file}:${dup.loc.line}).`,
        );
      const he: HttpErrorsModel = { name, files: {}, loc: { ...loc } };
      config.httpErrors.push(he);
      return { type: 'httpErrors', he };
    }
    if (kw === 'peers') {
      const name = words[1];
      if (!name || !NAME_RE.test(name) || words.length > 2) {
        r.error(
          loc,
          name ? 'CFG_BAD_NAME' : 'CFG_MISSING_ARG',
          `'peers' expects one name made of letters, digits, '_', '.', ':' and '-'`,
        );
        return { type: 'skip' };
      }
      const dup = config.peers.find((p) => p.name === name);
      if (dup)
        r.error(
          loc,
          'CFG_DUPLICATE_NAME',
          `peers section '${name}' is already defined at ${dup.loc.file}:${dup.loc.line}`,
        );
      const p: PeersModel = { name, peers: [], loc: { ...loc } };
      config.peers.push(p);
      return { type: 'peers', p };
    }
    if (kw === 'resolvers') {
      const name = words[1];
      if (!name) {
        r.error(loc, 'CFG_MISSING_ARG', 'missing name for resolvers section.');
        return { type: 'skip' };
      }
      const bad = /[^A-Za-z0-9_.:-]/.exec(name);
      if (bad) {
        r.error(loc, 'CFG_BAD_NAME', `character '${bad[0]}' is not permitted in 'resolvers' name '${name}'.`);
        return { type: 'skip' };
      }
      const all = (config.resolvers ??= []);
      const dup = all.find((x) => x.name === name);
      if (dup)
        r.error(
          loc,
          'CFG_DUPLICATE_NAME',
          `resolvers '${name}' has same name as another resolvers (declared at ${dup.loc.file}:${dup.loc.line}).`,
        );
      const rs = newResolvers(name, loc);
      all.push(rs);
      return { type: 'resolvers', rs };
    }
    const kind = kw as SectionState['kind'];
    // `defaults [NAME] [from OTHER]`, `frontend NAME [from DEFAULTS]`, legacy `listen NAME ADDR`.
    let name = '';
    let from: string | undefined;
    let legacyAddr: string | undefined;
    let i = 1;
    if (words[i] !== undefined && words[i] !== 'from') name = words[i++];
    if (words[i] === 'from') {
      from = words[i + 1];
      if (from === undefined)
        r.error(loc, 'CFG_MISSING_ARG', `'${kw} ${name}': 'from' expects the name of a defaults section`);
      i += 2;
    } else if (words[i] !== undefined && kind !== 'defaults' && kind !== 'backend') {
      legacyAddr = words[i++];
    }
    if (words[i] !== undefined) r.error(loc, 'CFG_EXTRA_ARGS', `'${kw} ${name}': unexpected argument '${words[i]}'`);
    if (kind !== 'defaults' && !name) {
      r.error(loc, 'CFG_MISSING_ARG', `'${kw}' expects a name`);
      return { type: 'skip' };
    }
    if (name && !NAME_RE.test(name)) {
      r.error(loc, 'CFG_BAD_NAME', `${kw} name '${name}' may only contain letters, digits, '_', '.', ':' and '-'`);
      return { type: 'skip' };
    }
    // A defaults section starts fresh unless it says `from`; proxies copy the last defaults.
    let base: SectionState | undefined = kind === 'defaults' ? undefined : lastDefaults;
    if (from !== undefined) {
      base = namedDefaults.get(from);
      if (!base) {
        r.error(
          loc,
          'CFG_UNKNOWN_DEFAULTS',
          `${kw} '${name}': defaults section '${from}' not found (it must be named and come before)${didYouMean(from, namedDefaults.keys())}`,
        );
      }
    }
    // HAProxy refuses a named defaults section used both through `from` and implicitly.
    if (base?.name) {
      const use = defaultsUse.get(base) ?? { explicit: false, implicit: [] };
      defaultsUse.set(base, use);
      const ambiguous = (at: SourceLoc): void =>
        r.error(
          at,
          'CFG_AMBIGUOUS_DEFAULTS',
          `defaults section '${base?.name}' (declared at ${base?.model.loc.file}:${base?.model.loc.line}) is explicitly referenced by another proxy and implicitly used here; use 'from ${base?.name}' everywhere or add a last defaults section that is never referenced`,
        );
      if (from === undefined) {
        if (use.explicit) ambiguous(loc);
        use.implicit.push({ ...loc });
      } else if (!use.explicit) {
        use.explicit = true;
        for (const at of use.implicit) ambiguous(at);
      }
    }
    if (base) checkRuleDefaults(r, kind, loc, base, ruleUsers);
    const s = inherit(kind, name, loc, base, kind === 'defaults' ? from : base ? base.name : undefined);
    if (kind === 'defaults') {
      if (name) {
        const prev = namedDefaults.get(name);
        if (prev)
          r.warn(
            loc,
            'CFG_DUPLICATE_NAME',
            `defaults section '${name}' replaces the one declared at ${prev.model.loc.file}:${prev.model.loc.line}`,
          );
        namedDefaults.set(name, s);
      }
      lastDefaults = s;
    } else {
      sections.push(s);
      config.proxies.push(s.model);
      if (legacyAddr !== undefined) {
        r.warn(
          loc,
          'CFG_LEGACY_KEYWORD',
          `an address on the '${kw}' line is deprecated (HAProxy 2.x rejects it); write 'bind ${legacyAddr}' inside the section`,
        );
        parseProxyLine(
          { args: ['bind', legacyAddr], negated: false, loc, r, config, env, readFile: options.readFile },
          s,
        );
      }
    }
    return { type: 'proxy', s };
  }
}

/**
 * HAProxy's checks on a defaults section that defines tcp rules (cfgparse-listen.c): its
 * proxies keep a reference to its rules, so no defaults or listen may inherit it, frontends and
 * backends may not share it, backends may not take its `tcp-request connection|session` rules
 * nor frontends its `tcp-response content` rules. `ruleUsers` remembers who used each first.
 */
function checkRuleDefaults(
  r: Reporter,
  kind: SectionState['kind'],
  loc: SourceLoc,
  base: SectionState,
  ruleUsers: Map<SectionState, 'frontend' | 'backend'>,
): void {
  const m = base.model;
  const l4l5 = m.tcpRequestConnection.length > 0 || m.tcpRequestSession.length > 0;
  if (!l4l5 && m.tcpRequestContent.length === 0 && m.tcpResponseContent.length === 0) return;
  const at = `(defaults section at ${m.loc.file}:${m.loc.line}).`;
  const used = ruleUsers.get(base);
  let msg: string | undefined;
  if (kind === 'defaults')
    msg = `a defaults section cannot inherit from a defaults section defining TCP/HTTP rules ${at}`;
  else if (kind === 'listen') msg = 'a listen section cannot inherit from a defaults section defining TCP/HTTP rules.';
  else if (used && used !== kind)
    msg = `frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules ${at}`;
  else if (kind === 'backend' && l4l5)
    msg = `a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules ${at}`;
  else if (kind === 'frontend' && m.tcpResponseContent.length > 0)
    msg = `a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules ${at}`;
  if (msg) r.error(loc, 'CFG_NOT_ALLOWED_HERE', msg);
  else if (kind === 'frontend' || kind === 'backend') ruleUsers.set(base, kind);
}

/** A new section state: a copy of its defaults section (HAProxy copies every inheritable setting). */
function inherit(
  kind: SectionState['kind'],
  name: string,
  loc: SourceLoc,
  base: SectionState | undefined,
  from: string | undefined,
): SectionState {
  const modelKind = kind === 'defaults' ? 'listen' : kind;
  if (!base) {
    return {
      kind,
      name,
      model: newProxy(modelKind, name, { ...loc }),
      serverDefaults: newServerParams(),
      checkRules: { expect: [], disableOn404: false },
      checkRulesOwn: false,
      tcpRules: [],
      tcpRulesOwn: false,
      explicitId: false,
      explicitServerIds: new Set(),
      timeoutLocs: {},
    };
  }
  const s = structuredClone(base);
  s.kind = kind;
  s.name = name;
  s.model.kind = modelKind;
  s.model.name = name;
  s.model.loc = { ...loc };
  s.model.id = 0;
  s.explicitId = false;
  s.checkRulesOwn = false;
  s.tcpRulesOwn = false;
  // rules copied from the defaults section: HAProxy evaluates them as a list of their own
  for (const r of [...s.model.tcpRequestContent, ...s.model.tcpResponseContent]) r.fromDefaults = true;
  // HAProxy copies the defaults' compression algorithms and types, not `offload`
  if (s.model.compression) s.model.compression.offload = false;
  if (kind === 'defaults') delete s.model.defaultsFrom;
  // HAProxy copies the mode, not the name (a defaults' use-backend-name was its own name)
  delete s.model.serverStateFileName;
  if (from !== undefined) s.model.defaultsFrom = from;
  return s;
}
