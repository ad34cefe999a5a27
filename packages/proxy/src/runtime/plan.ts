/**
 * What runtime/build.ts compiles a proxy into beyond the shared FrontendRuntime/BackendRuntime
 * fields: rules with their conditions compiled, resolved backends, TLS contexts, error pages.
 * The datapath reads only these precomputed structures on the hot path.
 */
import type { BindModel, CaptureSlotModel, LogTarget, RedirectModel, StatsModel, Timeouts } from '@switchyard/config';
import type { TriCondition } from '../acl/condition.ts';
import type { CompiledCondition, FetchFn } from '../acl/types.ts';
import type { VarAction } from '../acl/vars.ts';
import type { LogLineFn } from '../log/log-format.ts';
import type { PatRef } from '../model/pattern-refs.ts';
import type { ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';
import type { BackendRuntime, FrontendRuntime, ProxyRuntime } from '../model/types.ts';
import type { TlsPlan } from '../tls/tls.ts';

export type { TlsPlan };

/** A frontend's slots, as the plan keeps them (undefined when it has none). */
export interface CapturePlan {
  request: CaptureSlotModel[];
  response: CaptureSlotModel[];
}

/** A log-format / header value compiled to a function of the transaction. */
export type ValueFn = (txn: HttpTxn) => string;

/** A canned HTTP response: error pages, `errorfile`, `http-request return|deny`. */
export interface CannedResponse {
  status: number;
  reason: string;
  /** Header pairs, in order, as sent (names as written). */
  headers: Array<[string, string]>;
  body: Buffer;
  /** An errorfile written `HTTP/1.0 ...`: sent with that version, as HAProxy does. */
  version10?: boolean;
  /** An errorfile without Content-Length: the body ends with the connection, as HAProxy sends it. */
  closeDelimited?: boolean;
  /** `http-error ... lf-string|lf-file`: the body, rendered per reply. */
  bodyFn?: ValueFn;
}

/** A compiled `redirect` (from `redirect ...` or `http-request redirect ...`). */
export interface CompiledRedirect {
  model: RedirectModel;
  code: number;
  /** Location value for `location` / `prefix`, compiled as log-format. */
  value: ValueFn;
}

/** A compiled `set-var`, `set-var-fmt` or `unset-var` rule (http and tcp rules). */
export type CompiledVarRule = { action: 'var'; var: VarAction; cond?: CompiledCondition };

/** A compiled `http-request` rule. `cond` is undefined when the rule has no condition. */
/** A compiled `replace-header` / `replace-value` rule (both directions). */
export type CompiledReplaceHeader = {
  action: 'replace-header' | 'replace-value';
  lname: string;
  re: RegExp;
  replace: ValueFn;
  cond?: CompiledCondition;
};

export type CompiledRequestRule =
  | CompiledVarRule
  | CompiledMapRule
  | CompiledReplaceHeader
  | { action: 'reject'; cond?: CompiledCondition }
  /** `disable-l7-retry`: only a failed connection is retried for this request (`retry-on` aside). */
  | { action: 'disable-l7-retry'; cond?: CompiledCondition }
  | { action: 'replace-path' | 'replace-pathq' | 'replace-uri'; re: RegExp; replace: ValueFn; cond?: CompiledCondition }
  | { action: 'allow'; cond?: CompiledCondition }
  | { action: 'deny'; response: CannedResponse; hdrFns?: Array<[string, ValueFn]>; cond?: CompiledCondition }
  | { action: 'tarpit'; response: CannedResponse; cond?: CompiledCondition }
  /** `auth`: the proxy's 401 page with its `WWW-Authenticate: Basic realm=...`. */
  | { action: 'auth'; response: CannedResponse; cond?: CompiledCondition }
  | { action: 'redirect'; redirect: CompiledRedirect; cond?: CompiledCondition }
  | { action: 'set-header' | 'add-header'; name: string; lname: string; value: ValueFn; cond?: CompiledCondition }
  | { action: 'del-header'; lname: string; cond?: CompiledCondition }
  | {
      action: 'return';
      response: CannedResponse;
      /** `lf-string` / `lf-file` body. */
      bodyFn?: ValueFn;
      /** `hdr NAME FMT` pairs, sent before content-length and content-type as haproxy does. */
      hdrFns?: Array<[string, ValueFn]>;
      cond?: CompiledCondition;
    }
  | { action: 'use-service'; service: 'prometheus-exporter'; cond?: CompiledCondition }
  | { action: 'track-sc'; index: number; cond?: CompiledCondition }
  | {
      action: 'set-path' | 'set-pathq' | 'set-query' | 'set-uri' | 'set-method';
      value: ValueFn;
      cond?: CompiledCondition;
    }
  | { action: 'set-status'; status: number; reason?: string; cond?: CompiledCondition }
  | CompiledCaptureRule;

/** `capture SAMPLE len N|id N`: the sample goes into capture slot `id` of the stream's frontend. */
export type CompiledCaptureRule = { action: 'capture'; value: FetchFn; id: number; cond?: CompiledCondition };

/** A compiled `http-response` rule. */
/** `set-map(FILE) KEY VALUE` / `del-map(FILE) KEY` (no value). */
export type CompiledMapRule = {
  action: 'map';
  /** `set-map`, `del-map`, `add-acl` or `del-acl`. */
  edit: 'set-map' | 'del-map' | 'add-acl' | 'del-acl';
  /** The file's reference once the configuration is loaded (undefined: no map or ACL loaded it). */
  ref: () => PatRef | undefined;
  key: ValueFn;
  value?: ValueFn;
  cond?: CompiledCondition;
};

export type CompiledResponseRule =
  | CompiledVarRule
  | CompiledMapRule
  | CompiledReplaceHeader
  | { action: 'set-header' | 'add-header'; name: string; lname: string; value: ValueFn; cond?: CompiledCondition }
  | { action: 'del-header'; lname: string; cond?: CompiledCondition }
  | { action: 'set-status'; status: number; reason?: string; cond?: CompiledCondition }
  | { action: 'deny'; response: CannedResponse; cond?: CompiledCondition }
  | { action: 'allow'; cond?: CompiledCondition }
  | CompiledCaptureRule;

/**
 * A compiled `tcp-request connection|content` rule. `track-sc` rules
 * reach the stick-table hooks with `index` (TCP_RULE_INDEX offsets keep them apart from the
 * http-request rule indexes).
 */
/** A compiled tcp rule; `fromDefaults` as in TcpRuleModel. */
export type CompiledTcpRule = CompiledTcpAction & { fromDefaults?: boolean };
type CompiledTcpAction =
  | { action: 'var'; var: VarAction; cond?: TriCondition }
  | { action: 'accept' | 'reject' | 'close' | 'expect-proxy'; cond?: TriCondition }
  | { action: 'track-sc'; index: number; cond?: TriCondition }
  | { action: 'set-src'; value: FetchFn; cond?: TriCondition }
  | { action: 'capture'; value: FetchFn; id: number; cond?: TriCondition };

/** Offsets of tcp rule indexes in the track-sc hook (`http-request` rules count from 0). */
export const TCP_RULE_INDEX = { connection: 100_000, content: 200_000, session: 300_000 } as const;

/** `option forwardfor` compiled: header name and the `except` network as a matcher. */
export interface CompiledForwardFor {
  header: string;
  lheader: string;
  ifNone: boolean;
  except?: (ip: string) => boolean;
}

/** Per-proxy behaviour shared by the frontend and backend side. */
export interface ProxyBehaviour {
  /** `mode http` or `mode tcp`. */
  mode: 'http' | 'tcp';
  /** `tcp-request content` rules (frontend side, then backend side after the switch). */
  tcpContent: CompiledTcpRule[];
  /** `tcp-request inspect-delay` in ms (0: content rules decide on what is there at once). */
  inspectDelay: number;
  /** `tcp-response content` rules (backends in `mode tcp`), on the server's first bytes. */
  tcpResponse: CompiledTcpRule[];
  /** `tcp-response inspect-delay` in ms (0: the rules decide at connect, on no data). */
  resInspectDelay: number;
  /** `option tcplog` (tcp proxies, and http ones whose `option httplog` fell back to it). */
  tcplog: boolean;
  timeouts: Timeouts;
  connMode: 'keep-alive' | 'server-close' | 'close';
  forwardFor?: CompiledForwardFor;
  requestRules: CompiledRequestRule[];
  responseRules: CompiledResponseRule[];
  /** `http-after-response` rules (no deny among them): every response, the server's and the proxy's. */
  afterResponseRules: CompiledResponseRule[];
  /** Error pages by status (HAProxy defaults overridden by `errorfile`, `errorfiles`, `http-error`...). */
  errorPages: Map<number, CannedResponse>;
  /** The pages this proxy itself sets (a backend's come before its frontend's, as HAProxy's http_error_message). */
  ownErrorPages: Map<number, CannedResponse>;
  /** Targets for per-request log lines (empty: no request logging). */
  logTargets: LogTarget[];
  /** `option httplog` (else HAProxy's shorter tcplog-like default line). */
  httplog: boolean;
  /** `option httplog clf`: the Common Log Format variant. */
  httplogClf: boolean;
  /** `option dontlognull`: no line for connections that sent nothing. */
  dontlognull: boolean;
  /** `option dontlog-normal`: only requests with an error, a timeout, a retry or a 5xx. */
  dontlogNormal: boolean;
  /** `log-format` compiled, when set. */
  logFormat?: LogLineFn;
}

export interface FrontendPlan extends FrontendRuntime, ProxyBehaviour {
  binds: BindModel[];
  /** SNI-less default context and per-name contexts, per bind index with `ssl`. */
  tls: Map<number, TlsPlan>;
  maxconn: number;
  redirects: CompiledRedirect[];
  redirectConds: Array<CompiledCondition | undefined>;
  /** `use_backend` rules: a named backend, or `dynamic` (a log-format name looked up per request). */
  useBackends: Array<{
    backend?: BackendPlan;
    dynamic?: (txn: HttpTxn) => BackendPlan | undefined;
    cond?: CompiledCondition;
  }>;
  defaultBackend?: BackendPlan;
  stats?: StatsModel;
  monitorUri?: string;
  /** Capture slots (`capture ... header`, `declare capture`, `capture ... len`), when any. */
  captures?: CapturePlan;
  /** `capture cookie NAME len N`. */
  captureCookie?: { name: string; len: number };
  /** `unique-id-format`, compiled (a log-format evaluated once per request). */
  uniqueIdFormat?: ValueFn;
  /** `unique-id-header NAME`: added to the request sent to the server. */
  uniqueIdHeader?: string;
  /** `tcp-request connection` rules, run on every accepted connection (both modes). */
  tcpConnection: CompiledTcpRule[];
  /** `tcp-request session` rules, after the PROXY header and TLS handshake. */
  tcpSession: CompiledTcpRule[];
  /** Current connections on this frontend (feconn). */
  conns: number;
}

export interface BackendPlan extends BackendRuntime, ProxyBehaviour {
  retries: number;
  /** `retry-on`: the failure kinds and status codes retried (default: conn-failure). */
  retryOn: ReadonlySet<string>;
  /** `retry-on` names more than conn-failure: requests are kept to be replayed (HAProxy's TX_L7_RETRY). */
  l7Retry: boolean;
  /** `option redispatch [N]`: redispatch every N retries (HAProxy default: on the last one, -1). */
  redispatch?: number;
  /** `use-server` rules, before persistence and balancing. */
  useServers: Array<{ server: ServerState; cond?: CompiledCondition }>;
  /** Current connections/requests in this backend (beconn). */
  conns: number;
}

/** The runtime as build.ts returns it: the shared interface plus the compiled plans. */
export interface CompiledRuntime extends ProxyRuntime {
  readonly frontends: Map<string, FrontendPlan>;
  readonly backends: Map<string, BackendPlan>;
  /** Global maxconn (0 = unlimited). */
  readonly maxconn: number;
  /** SETTINGS the HTTP/2 client side announces (`tune.h2.*`). */
  readonly h2: H2Tune;
  /** `tune.comp.maxlevel` (1-9, HAProxy's default 1). */
  readonly compLevel: number;
}

/** `tune.h2.*` as HAProxy 2.6 reads them (its defaults when absent). */
export interface H2Tune {
  headerTableSize: number;
  initialWindowSize: number;
  maxConcurrentStreams: number;
  maxFrameSize: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441) announced: not with `h2-workaround-bogus-websocket-clients`. */
  connectProtocol: boolean;
}
