/** Fresh model objects with HAProxy's defaults. */
import type { GlobalModel, HttpCheckModel, ProxyKind, ProxyModel, ServerModel, SourceLoc } from './model.ts';

/** Server settings that `default-server` can set and `server` lines start from. */
export type ServerParams = Omit<ServerModel, 'name' | 'host' | 'port' | 'id' | 'loc'>;

/** HAProxy's server defaults: weight 1, inter 2s, rise 2, fall 3, error-limit 10, on-error fail-check. */
export function newServerParams(): ServerParams {
  return {
    weight: 1,
    backup: false,
    disabled: false,
    check: false,
    inter: 2000,
    rise: 2,
    fall: 3,
    agentCheck: false,
    errorLimit: 10,
    onError: 'fail-check',
    ssl: false,
    verify: 'required',
  };
}

/** An empty global section. */
export function newGlobal(): GlobalModel {
  return { logs: [], statsSockets: [], tune: {} };
}

/** A proxy with nothing configured: HAProxy's built-in defaults. */
export function newProxy(kind: ProxyKind, name: string, loc: SourceLoc): ProxyModel {
  return {
    kind,
    name,
    id: 0,
    mode: 'http',
    tcpRequestConnection: [],
    tcpRequestSession: [],
    tcpRequestContent: [],
    tcpResponseContent: [],
    useServers: [],
    timeouts: {},
    logs: [],
    options: {
      httplog: false,
      httplogClf: false,
      tcplog: false,
      dontlognull: false,
      dontlogNormal: false,
      logasap: false,
      connMode: 'keep-alive',
      allbackups: false,
      abortonclose: false,
      httpBufferRequest: false,
      persist: false,
      disableH2Upgrade: false,
      logHealthChecks: false,
    },
    acls: [],
    httpRequest: [],
    httpResponse: [],
    httpAfterResponse: [],
    captures: { request: [], response: [] },
    redirects: [],
    disabled: false,
    binds: [],
    useBackends: [],
    balance: { algo: 'roundrobin', options: {} },
    hashType: { method: 'map-based', fn: 'sdbm', avalanche: false },
    httpReuse: 'safe',
    servers: [],
    retries: 3,
    retryOn: ['conn-failure'],
    stickRules: [],
    errorFiles: {},
    errorDirectives: [],
    loc,
  };
}

/** `option httpchk` with no argument: `OPTIONS / HTTP/1.0`. */
export function newHttpCheck(loc: SourceLoc): HttpCheckModel {
  return { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0', headers: [], expect: [], disableOn404: false, loc };
}
