/** Checks that need the whole model: names, references, ids, addresses, timeouts. */
import type { Reporter } from './diagnostics.ts';
import { type ConfigModel, isBackend, isFrontend, type ProxyModel, type SourceLoc } from './model.ts';
import { checkCaptureIds } from './proxy/capture.ts';
import type { SectionState } from './state.ts';
import { didYouMean } from './suggest.ts';

const at = (l: SourceLoc): string => `${l.file}:${l.line}`;

/** Assigns ids from 1 in order, skipping explicit ones; reports duplicate explicit ids. */
function assignIds<T extends { id: number; loc: SourceLoc }>(
  items: T[],
  explicit: (x: T) => boolean,
  dup: (x: T, other: T) => void,
  reserved: number[] = [],
): void {
  const used = new Map<number, T>();
  const taken = new Set(reserved);
  for (const x of items) {
    if (!explicit(x)) continue;
    const o = used.get(x.id);
    if (o) dup(x, o);
    else used.set(x.id, x);
  }
  let next = 1;
  for (const x of items) {
    if (explicit(x)) continue;
    while (used.has(next) || taken.has(next)) next++;
    x.id = next;
    used.set(next, x);
  }
}

/** Runs every whole-config check, in a stable order. */
export function validate(config: ConfigModel, sections: SectionState[], r: Reporter): void {
  const fronts = new Map<string, ProxyModel>();
  const backs = new Map<string, ProxyModel>();
  for (const p of config.proxies) {
    for (const [map, on] of [
      [fronts, isFrontend(p)],
      [backs, isBackend(p)],
    ] as const) {
      if (!on) continue;
      const o = map.get(p.name);
      if (o)
        r.error(
          p.loc,
          'CFG_DUPLICATE_NAME',
          `${p.kind} '${p.name}' has the same name as ${o.kind} '${o.name}' declared at ${at(o.loc)}`,
        );
      else map.set(p.name, p);
    }
  }
  const stateOf = new Map(sections.map((s) => [s.model, s]));
  for (const p of backs.values()) {
    if (p.loadServerStateFromFile === 'global' && config.global.serverStateFile === undefined)
      r.warn(
        p.loc,
        'CFG_NO_EFFECT',
        `backend '${p.name}' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!`,
      );
  }
  assignIds(
    config.proxies,
    (p) => stateOf.get(p)?.explicitId === true,
    (p, o) =>
      r.error(
        p.loc,
        'CFG_DUPLICATE_ID',
        `${p.kind} '${p.name}' has the same id ${p.id} as ${o.kind} '${o.name}' declared at ${at(o.loc)}`,
      ),
    // HAProxy's hidden CLI frontend ('GLOBAL', created by `stats socket`) takes id 1; keep stats iids identical.
    config.global.statsSockets.length > 0 ? [1] : [],
  );

  for (const p of config.proxies) {
    const s = stateOf.get(p);
    if (s?.explicitId) p.idForced = true;
    for (const srv of p.servers) if (s?.explicitServerIds.has(srv.name)) srv.idForced = true;
  }
  const binds = new Map<string, { p: ProxyModel; loc: SourceLoc }>();
  const peers = new Set(config.peers.map((p) => p.name));
  for (const p of config.proxies) {
    const s = stateOf.get(p)!;
    // servers: unique names and ids
    const names = new Map<string, SourceLoc>();
    for (const srv of p.servers) {
      const o = names.get(srv.name);
      if (o)
        r.error(
          srv.loc,
          'CFG_DUPLICATE_NAME',
          `${p.kind} '${p.name}': another server named '${srv.name}' was already defined at line ${o.line}, please use distinct names`,
        );
      else names.set(srv.name, srv.loc);
    }
    assignIds(
      p.servers,
      (srv) => s.explicitServerIds.has(srv.name),
      (srv, o) =>
        r.error(
          srv.loc,
          'CFG_DUPLICATE_ID',
          `server '${p.name}/${srv.name}' has the same id ${srv.id} as server '${o.name}' at line ${o.loc.line}`,
        ),
    );
    // `ssl-server-verify none`: servers without their own CA file are not verified.
    if (config.global.sslServerVerify === 'none') for (const srv of p.servers) if (!srv.caFile) srv.verify = 'none';
    for (const srv of p.servers) {
      if ((srv.ssl || srv.checkSsl) && srv.verify === 'required' && !srv.caFile)
        r.error(
          srv.loc,
          'CFG_MISSING_ARG',
          `'server ${p.name}/${srv.name}' : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.`,
        );
    }
    // backend references
    const resolve = (name: string, loc: SourceLoc, what: string): void => {
      if (name.includes('%[')) {
        // `use_backend be_%[...]`: resolved per request (unknown names fall to default_backend)
        if (what === 'use_backend') return;
        r.error(
          loc,
          'CFG_UNSUPPORTED',
          `${what} '${name}': a dynamic backend name (log-format) is only allowed in 'use_backend'`,
        );
        return;
      }
      if (backs.has(name)) return;
      const hint = fronts.has(name) ? ` ('${name}' is a frontend, not a backend)` : didYouMean(name, backs.keys());
      r.error(loc, 'CFG_UNKNOWN_BACKEND', `${p.kind} '${p.name}': unable to find required ${what}: '${name}'${hint}`);
    };
    if (p.mode === 'tcp') httpOnlyInTcp(p, r);
    if (isFrontend(p)) {
      const modeOf = (name: string, loc: SourceLoc, what: string): void => {
        const b = backs.get(name);
        if (!b || b.mode === p.mode) return;
        // a tcp frontend may switch to an http backend (the stream is upgraded to HTTP, as HAProxy)
        if (p.mode === 'http')
          r.error(
            loc,
            'CFG_MODE_MISMATCH',
            `http ${p.kind} '${p.name}' (${at(p.loc)}) tries to use incompatible tcp backend '${b.name}' (${at(b.loc)}) as its ${what} (see 'mode')`,
          );
      };
      if (p.defaultBackend !== undefined) modeOf(p.defaultBackend, s.defaultBackendLoc ?? p.loc, 'default backend');
      for (const u of p.useBackends) modeOf(u.backend, u.loc, 'backend');
      if (p.defaultBackend !== undefined) resolve(p.defaultBackend, s.defaultBackendLoc ?? p.loc, 'default_backend');
      for (const u of p.useBackends) resolve(u.backend, u.loc, 'use_backend');
      if ((p.options.httplog || p.logFormat !== undefined) && p.logs.length === 0 && !p.disabled) {
        r.warn(
          p.loc,
          'CFG_NO_EFFECT',
          `log format ignored for ${p.kind} '${p.name}' since it has no log address (add 'log global' or a 'log' target)`,
        );
      }
      checkCaptureIds(
        p.captures,
        [
          ...p.httpRequest.map((rule) => ({ side: 'request' as const, rule })),
          ...p.httpResponse.map((rule) => ({ side: 'response' as const, rule })),
        ],
        (loc, message) => r.error(loc, 'CFG_BAD_VALUE', message),
      );
      if (p.uniqueIdHeader !== undefined && p.uniqueIdFormat === undefined)
        r.warn(
          p.loc,
          'CFG_NO_EFFECT',
          `'unique-id-header ${p.uniqueIdHeader}' of ${p.kind} '${p.name}' has no effect without a 'unique-id-format'`,
        );
      if (p.binds.length === 0)
        r.warn(
          p.loc,
          'CFG_NO_BIND',
          `${p.kind} '${p.name}' has no 'bind' directive. Please declare it as a backend if this was intended`,
        );
      const servesItself = p.httpRequest.length > 0 || p.redirects.length > 0 || p.stats?.enabled || p.monitorUri;
      if (p.kind === 'frontend' && p.defaultBackend === undefined && p.useBackends.length === 0 && !servesItself) {
        r.warn(
          p.loc,
          'CFG_NO_BACKEND',
          `frontend '${p.name}' has no 'default_backend' nor 'use_backend': every request gets 503`,
        );
      }
      for (const b of p.binds) {
        const key = b.path !== undefined ? `unix:${b.path}` : `${b.host}|${b.port}`;
        const o = binds.get(key);
        const shown = b.path ?? `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
        if (o)
          r.error(
            b.loc,
            'CFG_BAD_ADDRESS',
            `${p.kind} '${p.name}': address '${shown}' is already bound by ${o.p.kind} '${o.p.name}' at ${at(o.loc)}`,
          );
        else binds.set(key, { p, loc: b.loc });
      }
    }
    // stick tables
    const table = (name: string | undefined, loc: SourceLoc, what: string): void => {
      if (name === undefined) {
        if (!p.stickTable)
          r.error(
            loc,
            'CFG_UNKNOWN_TABLE',
            `${p.kind} '${p.name}': '${what}' needs a stick-table in this proxy or 'table NAME'`,
          );
        return;
      }
      const t = backs.get(name);
      if (!t?.stickTable) {
        r.error(
          loc,
          'CFG_UNKNOWN_TABLE',
          `${p.kind} '${p.name}': unable to find stick-table '${name}'${didYouMean(
            name,
            [...backs.values()].filter((b) => b.stickTable).map((b) => b.name),
          )}`,
        );
      }
    };
    for (const rule of p.stickRules) table(rule.table, rule.loc, `stick ${rule.kind}`);
    for (const rule of p.httpRequest)
      if (rule.action === 'track-sc') table(rule.table, rule.loc, `http-request track-sc${rule.slot}`);
    for (const [what, rules] of [
      ['tcp-request connection', p.tcpRequestConnection],
      ['tcp-request session', p.tcpRequestSession],
      ['tcp-request content', p.tcpRequestContent],
    ] as const)
      for (const rule of rules)
        if (rule.action === 'track-sc') table(rule.table, rule.loc, `${what} track-sc${rule.slot}`);
    for (const u of p.useServers)
      if (!p.servers.some((srv) => srv.name === u.server))
        r.error(
          u.loc,
          'CFG_UNKNOWN_SERVER',
          `${p.kind} '${p.name}': 'use-server' refers to unknown server '${u.server}'${didYouMean(
            u.server,
            p.servers.map((x) => x.name),
          )}`,
        );
    // `http-reuse` and `pool-purge-delay` act on HTTP/2 server connections only (datapath/h2-client.ts);
    // an HTTP/1 server keeps reusing any idle connection, so say so rather than accept it silently
    if (isBackend(p) && p.mode === 'http') {
      const h1 = p.servers.filter((srv) => srv.proto !== 'h2');
      if (p.httpReuse !== 'safe' && h1.length > 0)
        r.warn(
          p.loc,
          'CFG_NO_EFFECT',
          `${p.kind} '${p.name}': 'http-reuse ${p.httpReuse}' applies to its HTTP/2 servers only; HTTP/1 server '${h1[0].name}' reuses idle connections as 'http-reuse safe' does`,
        );
      for (const srv of h1)
        if (srv.poolPurgeDelay !== undefined)
          r.warn(
            srv.loc,
            'CFG_NO_EFFECT',
            `${p.kind} '${p.name}': server '${srv.name}': 'pool-purge-delay' applies to HTTP/2 servers ('proto h2') only`,
          );
    }
    const tcpRes = p.tcpResponseContent[0];
    if (tcpRes && p.mode === 'http')
      r.error(
        tcpRes.loc,
        'CFG_UNSUPPORTED',
        `${p.kind} '${p.name}': 'tcp-response content' rules run in 'mode tcp' backends only; in 'mode http' they are not supported yet`,
      );
    if (p.tcpRequestContent.length > 0 && p.mode === 'tcp' && !p.inspectDelay && isFrontend(p)) {
      const needsData = p.tcpRequestContent.some((x) => x.cond?.terms.some((t) => /^req[._]/.test(t)));
      if (needsData)
        r.warn(
          p.tcpRequestContent[0].loc,
          'CFG_NO_EFFECT',
          `${p.kind} '${p.name}': some 'tcp-request content' rules explicitly depend on request contents without any 'tcp-request inspect-delay' setting. This means that these rules will randomly find their contents. This can be fixed by setting the tcp-request inspect-delay.`,
        );
    }
    if (p.stickTable?.peers !== undefined && !peers.has(p.stickTable.peers)) {
      r.error(
        p.stickTable.loc,
        'CFG_UNKNOWN_PEERS',
        `${p.kind} '${p.name}': stick-table refers to unknown peers section '${p.stickTable.peers}'${didYouMean(p.stickTable.peers, peers)}`,
      );
    }
    // timeouts, as HAProxy's "missing timeouts" warning
    const missing: string[] = [];
    if (isFrontend(p) && !p.timeouts.client) missing.push('client');
    // As HAProxy: the backend side is only checked when there are servers to connect to.
    const hasServers = isBackend(p) && p.servers.length > 0;
    if (hasServers && !p.timeouts.connect) missing.push('connect');
    if (hasServers && !p.timeouts.server) missing.push('server');
    if (missing.length > 0 && !p.disabled) {
      r.warn(
        p.loc,
        'CFG_MISSING_TIMEOUT',
        `missing timeouts for ${p.kind} '${p.name}': set ${missing.map((m) => `'timeout ${m}'`).join(', ')} (HAProxy warns about this too)`,
      );
    }
  }
}

const L7_ALGOS = new Set(['uri', 'url_param', 'hdr']);

/**
 * HTTP keywords in a `mode tcp` proxy: HAProxy 2.6 warns and ignores them (same words); the
 * model drops them so that nothing downstream half-applies them.
 */
function httpOnlyInTcp(p: ProxyModel, r: Reporter): void {
  const label = `${p.kind === 'backend' ? 'backend' : p.kind === 'listen' ? 'proxy' : 'frontend'} '${p.name}'`;
  const ignored = (what: string, it: string): void =>
    r.warn(
      p.loc,
      'CFG_NO_EFFECT',
      `'${what}' ${it} ignored for ${label} as ${it === 'rules' || it === 'settings' ? 'they require' : 'it requires'} HTTP mode`,
    );
  if (p.httpRequest.length > 0) ignored('http-request', 'rules');
  if (p.httpResponse.length > 0) ignored('http-response', 'rules');
  if (p.httpAfterResponse.length > 0) ignored('http-after-response', 'rules');
  if (p.redirects.length > 0) ignored('redirect', 'rules');
  // HAProxy 2.6 accepts it silently there (its filter sees no HTTP message): said, then dropped
  if (p.compression) ignored('compression', 'settings');
  delete p.compression;
  p.httpRequest = [];
  p.httpResponse = [];
  p.httpAfterResponse = [];
  p.redirects = [];
  if (p.options.forwardfor) {
    r.warn(p.loc, 'CFG_NO_EFFECT', `'option forwardfor' ignored for ${label} as it requires HTTP mode`);
    delete p.options.forwardfor;
  }
  if (p.options.httplog && isFrontend(p)) {
    r.warn(
      p.loc,
      'CFG_NO_EFFECT',
      `'option httplog' not usable with ${label} (needs 'mode http'). Falling back to 'option tcplog'`,
    );
    p.options.httplog = false;
    p.options.httplogClf = false;
    p.options.tcplog = true;
  }
  if (p.cookie && isBackend(p)) {
    r.warn(p.cookie.loc, 'CFG_NO_EFFECT', `cookie will be ignored for ${label} (needs 'mode http')`);
    delete p.cookie;
  }
  if (L7_ALGOS.has(p.balance.algo) && isBackend(p)) {
    r.warn(
      p.loc,
      'CFG_NO_EFFECT',
      `Layer 7 hash not possible for ${label} (needs 'mode http'). Falling back to round robin`,
    );
    p.balance = { algo: 'roundrobin', options: {} };
  }
  if (p.stats?.enabled) {
    r.warn(p.loc, 'CFG_NO_EFFECT', `'stats' ignored for ${label} as it requires HTTP mode`);
    delete p.stats;
  }
  if (p.monitorUri !== undefined) {
    r.warn(p.loc, 'CFG_NO_EFFECT', `'monitor-uri' ignored for ${label} as it requires HTTP mode`);
    delete p.monitorUri;
  }
}
