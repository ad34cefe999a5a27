/**
 * The typed model of a haproxy.cfg, as the parser produces it.
 *
 * Data flows one way: config text -> this model -> compiled runtime (packages/proxy).
 * The model is plain data (no functions, no sockets) so it can be compared, printed and
 * sent to worker processes. Times are milliseconds. Every element that an operator wrote
 * carries `loc` so later stages (ACL compilation, runtime build) can report FILE:LINE.
 */

/** Where a thing was written: file path and 1-based line. */
export interface SourceLoc {
  file: string;
  line: number;
}

export type Severity = 'error' | 'warning';

/** One problem found in the configuration. Printed as `FILE:LINE: message`. */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `CFG_UNKNOWN_KEYWORD`, `CFG_BAD_TIME`, `CFG_LEGACY_KEYWORD` (registered in the codes module of the package that emits it; see test/codes-registry.test.ts). */
  code: string;
  message: string;
  loc: SourceLoc;
}

/** A syslog / stdout log target (`log ADDR FACILITY [LEVEL [MINLEVEL]]`). */
export interface LogTarget {
  /** `udp` for host[:port] (default port 514), `stdout`/`stderr` for `log stdout ...`, `unix` for a path. */
  kind: 'udp' | 'stdout' | 'stderr' | 'unix';
  host?: string;
  port?: number;
  path?: string;
  facility: string;
  /** Maximum level sent (syslog name), default `debug` (everything). */
  level: string;
  minLevel?: string;
  /** `format F` (HAProxy 2.6's eight), default rfc3164 for sockets, raw for stdout. */
  format: 'raw' | 'rfc3164' | 'rfc5424' | 'short' | 'priority' | 'timed' | 'iso' | 'local';
  /** `format` was written: haproxy 2.6 then always puts a host in rfc3164 headers (`localhost` by default). */
  formatGiven?: boolean;
  /** `sample RANGES:SIZE`: message numbers (from 1) sent out of each run of `size`. */
  sample?: { ranges: Array<[number, number]>; size: number };
  /** `len N`: maximum line length sent (80-65535); HAProxy's default is 1024. */
  maxLen?: number;
  loc: SourceLoc;
}

export interface Timeouts {
  connect?: number;
  client?: number;
  server?: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  queue?: number;
  check?: number;
  tunnel?: number;
  clientFin?: number;
  serverFin?: number;
}

/** A condition as written after `if` / `unless`: raw tokens, compiled by packages/proxy/src/acl. */
export interface ConditionModel {
  polarity: 'if' | 'unless';
  /** Tokens after the keyword, e.g. `['!', '{', 'ssl_fc', '}']` or `['host_a', 'or', 'host_b']`. */
  terms: string[];
  loc: SourceLoc;
}

/** `acl NAME FETCH[(args)] [flags] [operator] [patterns...]` as written, one line. */
export interface AclModel {
  name: string;
  /** The criterion token as written, e.g. `hdr_dom(host)`, `path_beg`, `src`. */
  criterion: string;
  /** Everything after the criterion: flags (`-i`, `-m beg`, `-f FILE`, `--`), operators, patterns. */
  args: string[];
  loc: SourceLoc;
}

/** OpenSSL protocol names as Node's `minVersion`/`maxVersion` take them. */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** TLS settings of a bind, a server, or the global `ssl-default-*` lines, as written. */
export interface TlsOptionsModel {
  minVer?: TlsVersion;
  maxVer?: TlsVersion;
  /** `no-tlsv1x` flags. */
  disabled?: TlsVersion[];
  /** `force-tlsv1x`. */
  force?: TlsVersion;
  /** TLSv1.2 and below cipher list (OpenSSL format). */
  ciphers?: string;
  /** TLSv1.3 cipher suites. */
  ciphersuites?: string;
  curves?: string;
  ecdhe?: string;
  noTlsTickets?: boolean;
  preferClientCiphers?: boolean;
  caFile?: string;
  crlFile?: string;
  caVerifyFile?: string;
  verify?: 'none' | 'optional' | 'required';
}

export interface BindModel {
  /** Host part; '' or '*' means all IPv4 addresses, '::' all IPv6 (and v4 where the OS maps it). */
  host: string;
  port: number;
  /** Unix socket path instead of host:port (`bind /run/x.sock`, `bind unix@/run/x.sock`). */
  path?: string;
  /** `bind fd@N`: a socket inherited already listening, descriptor N. */
  fd?: number;
  ssl?: {
    /** PEM files or directories of PEMs (certificate and key in one PEM), in `crt` order. */
    crt: string[];
    /** Entries of `crt` given by `crt-list FILE` (a list of certificates with SNI filters). */
    crtLists?: string[];
    alpn?: string[];
    /** Versions, ciphers, curves, tickets and client verification set on this bind line. */
    tls: TlsOptionsModel;
  };
  /** Bind options kept for reference (name, maxconn, v4v6, v6only, accept-proxy, ...). */
  options: Record<string, string | true>;
  loc: SourceLoc;
}

export type RedirectType = 'location' | 'prefix' | 'scheme';

export interface RedirectModel {
  type: RedirectType;
  value: string;
  /** 301, 302 (default), 303, 307, 308. */
  code: number;
  dropQuery: boolean;
  appendSlash: boolean;
  setCookie?: string;
  clearCookie?: string;
  /** `ignore-empty`: no redirect when a log-format value evaluates to an empty string. */
  ignoreEmpty?: boolean;
  cond?: ConditionModel;
  loc: SourceLoc;
}

/** `http-request` / `http-response` rules, in declaration order. */
/** `set-var(NAME[,COND...]) EXPR`, `set-var-fmt(NAME) FMT`, `unset-var(NAME)` (http and tcp rules). */
export interface VarRuleModel {
  action: 'set-var' | 'set-var-fmt' | 'unset-var';
  /** `scope.name`, checked at parse time. */
  name: string;
  /** `ifexists`, `ifnotempty`, ... (HAProxy 2.6 set-var conditions). */
  conds: string[];
  /** Sample expression (set-var) or log-format string (set-var-fmt). */
  expr?: string;
  cond?: ConditionModel;
  loc: SourceLoc;
}

export type HttpRuleModel =
  | VarRuleModel
  | { action: 'allow' | 'reject' | 'disable-l7-retry'; cond?: ConditionModel; loc: SourceLoc }
  /** `http-request cache-use NAME`, `http-response cache-store NAME`. */
  | { action: 'cache-use' | 'cache-store'; cache: string; cond?: ConditionModel; loc: SourceLoc }
  | {
      /** The whole value (`replace-header`) or each comma-separated value (`replace-value`) matching `match` becomes `replace` (log-format, `\1` back-references). */
      action: 'replace-header' | 'replace-value';
      name: string;
      match: string;
      replace: string;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | {
      action: 'replace-path' | 'replace-pathq' | 'replace-uri';
      match: string;
      replace: string;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | {
      action: 'deny';
      status: number;
      contentType?: string;
      body?: string;
      /** `errorfile FILE` (its content) or what `errorfiles NAME` resolved to: a complete HTTP response. */
      errorfile?: string;
      /** `errorfiles NAME`: the http-errors section (resolved into `errorfile` after parsing). */
      errorfiles?: string;
      /** `hdr NAME FMT`: added to the response (log-format values). */
      headers: Array<[string, string]>;
      /** A status with no body and no error file: an empty reply (haproxy's HTTP_REPLY_EMPTY). */
      empty?: true;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | { action: 'tarpit'; status: number; empty?: true; cond?: ConditionModel; loc: SourceLoc }
  /**
   * `set-map(FILE) KEY VALUE` / `del-map(FILE) KEY` / `add-acl(FILE) KEY` / `del-acl(FILE) KEY`
   * (log-format key and value): edit the map or ACL file's patterns at run time.
   */
  | {
      action: 'set-map' | 'del-map' | 'add-acl' | 'del-acl';
      file: string;
      key: string;
      value?: string;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  /** `http-request auth [realm R]`: 401 with `WWW-Authenticate: Basic realm="R"` (default: the proxy's name). */
  | { action: 'auth'; realm?: string; cond?: ConditionModel; loc: SourceLoc }
  | { action: 'redirect'; redirect: RedirectModel; cond?: ConditionModel; loc: SourceLoc }
  | {
      action: 'set-header' | 'add-header';
      name: string;
      /** Log-format string as written, e.g. `%[src]` or plain text. */
      value: string;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | { action: 'del-header'; name: string; cond?: ConditionModel; loc: SourceLoc }
  | {
      action: 'return';
      status: number;
      contentType?: string;
      /** `string TEXT`, `lf-string FMT` or `file PATH` (content loaded at parse time). */
      body?: string;
      /** `errorfile FILE` (its content) or what `errorfiles NAME` resolved to: a complete HTTP response. */
      errorfile?: string;
      /** `errorfiles NAME`: the http-errors section (resolved into `errorfile` after parsing). */
      errorfiles?: string;
      /** True for `lf-string` / `lf-file`: `body` is a log-format string evaluated per request. */
      lf?: boolean;
      headers: Array<[string, string]>;
      /** No body and no error file: an empty reply (haproxy's HTTP_REPLY_EMPTY). */
      empty?: true;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | { action: 'use-service'; service: 'prometheus-exporter'; cond?: ConditionModel; loc: SourceLoc }
  | {
      action: 'track-sc';
      /** 0, 1 or 2. */
      slot: number;
      /** Fetch expression for the key, e.g. `src`, `req.hdr(x-api-key)`. */
      key: string;
      table?: string;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | {
      action: 'set-path' | 'set-pathq' | 'set-query' | 'set-uri' | 'set-method';
      value: string;
      cond?: ConditionModel;
      loc: SourceLoc;
    }
  | { action: 'set-status'; status: number; reason?: string; cond?: ConditionModel; loc: SourceLoc }
  | CaptureRuleModel;

/** `http-request|http-response|tcp-request content capture SAMPLE len N|id N`: writes capture slot `id`. */
export interface CaptureRuleModel {
  action: 'capture';
  sample: string;
  id: number;
  cond?: ConditionModel;
  loc: SourceLoc;
}

/** One capture slot of a frontend: a header's value (`capture ... header`) or a rule's sample. */
export interface CaptureSlotModel {
  /** Lower-case header name for `capture request|response header`; unset for rule slots. */
  header?: string;
  /** At most this many characters are kept. */
  len: number;
  loc: SourceLoc;
}

export interface ForwardForModel {
  header: string;
  /** CIDR networks whose clients get no header (`except NET`). */
  except?: string;
  ifNone: boolean;
}

export interface StatsModel {
  enabled: boolean;
  uri: string;
  realm?: string;
  /** user -> password (plain; `insecure-password` too). */
  auth: Array<{ user: string; password: string }>;
  refresh?: number;
  hideVersion: boolean;
  showLegends: boolean;
  showNode?: string;
  scope: string[];
  admin?: ConditionModel;
  loc: SourceLoc;
}

export type BalanceAlgo =
  | 'roundrobin'
  | 'static-rr'
  | 'leastconn'
  | 'first'
  | 'source'
  | 'uri'
  | 'url_param'
  | 'hdr'
  | 'hash'
  | 'rdp-cookie'
  | 'random';

export interface BalanceModel {
  algo: BalanceAlgo;
  /** url_param name or hdr name. */
  param?: string;
  /**
   * `balance uri [whole] [len N] [depth N] [path-only]`, `balance hdr(name) [use_domain_only]`,
   * `random(N)` draws. `pathOnly`: hash only the path of an absolute-form target (HAProxy 2.6).
   */
  options: {
    whole?: boolean;
    len?: number;
    depth?: number;
    useDomainOnly?: boolean;
    draws?: number;
    pathOnly?: boolean;
  };
  loc?: SourceLoc;
}

export interface HashTypeModel {
  method: 'map-based' | 'consistent';
  fn: 'sdbm' | 'djb2' | 'wt6' | 'crc32';
  /** `avalanche`; HAProxy 2.6 also implies it for a bare `hash-type consistent` (no function given). */
  avalanche: boolean;
}

export interface AgentCheckModel {
  port?: number;
  addr?: string;
  inter?: number;
  send?: string;
}

/** One `server` line, with `default-server` settings of its section already applied. */
export interface ServerModel {
  name: string;
  host: string;
  port: number;
  weight: number;
  backup: boolean;
  maxconn?: number;
  maxqueue?: number;
  disabled: boolean;
  /** `check` present. */
  check: boolean;
  inter: number;
  fastinter?: number;
  downinter?: number;
  rise: number;
  fall: number;
  checkPort?: number;
  checkAddr?: string;
  slowstart?: number;
  agent?: AgentCheckModel;
  /** `agent-check` present. */
  agentCheck: boolean;
  observe?: 'layer4' | 'layer7';
  errorLimit: number;
  onError: 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';
  onMarkedDown?: 'shutdown-sessions';
  onMarkedUp?: 'shutdown-backup-sessions';
  /** Cookie value for `cookie` persistence. */
  cookie?: string;
  /** `ssl` to the server (HTTPS upstream), with `verify none|required`. */
  ssl: boolean;
  verify: 'none' | 'required';
  sni?: string;
  /** `ca-file FILE`: CAs to verify the server's certificate (required with `verify required`, as HAProxy). */
  caFile?: string;
  /** `verifyhost NAME`: the name the server certificate must carry (else the SNI sent, if any). */
  verifyhost?: string;
  /** `crt FILE`: client certificate (and key, one PEM) presented to the server. */
  crt?: string;
  /** `ssl-min-ver`, `ssl-max-ver`, `ciphers`, `ciphersuites`, `no-tls-tickets`, `no-/force-tlsv1x`. */
  tls?: TlsOptionsModel;
  /** `check-ssl`: health checks over TLS even when traffic is not (`ssl` implies it). */
  checkSsl?: boolean;
  /** `check-sni NAME`: SNI sent by TLS health checks. */
  checkSni?: string;
  /** `check-send-proxy`: checks start with a PROXY header even with their own port/addr (`no-check-send-proxy` clears it). */
  checkSendProxy?: boolean;
  /** `send-proxy` (1) / `send-proxy-v2` (2): a PROXY protocol header opens every connection. */
  sendProxy?: 1 | 2;
  /** `init-addr last,libc,none,IP` as written (resolution order at start). */
  initAddr?: string;
  /** `resolvers NAME`: the address is kept up to date from this resolvers section's answers. */
  resolvers?: string;
  /** `resolve-prefer ipv4|ipv6` (HAProxy's default: ipv6, falling back to the other family). */
  resolvePrefer?: 'ipv4' | 'ipv6';
  /** `resolve-net NET[,NET...]`: addresses in these networks are preferred. */
  resolveNet?: string[];
  /** `resolve-opts allow-dup-ip,ignore-weight,prevent-dup-ip`. */
  resolveOpts?: string[];
  /** Set on the servers a `server-template` line made: slot `index` of `count`, filled from `fqdn`. */
  template?: { prefix: string; index: number; count: number; fqdn: string };
  /** `proto h2`: HTTP/2 to this server without negotiation (h2c, or h2 over `ssl`). */
  proto?: 'h2';
  /** `alpn h2,http/1.1`: protocols offered over `ssl`; HTTP/2 when the server picks `h2`. */
  alpn?: string[];
  /** `check-proto h2|h1`: protocol of HTTP health checks (unset: HTTP/2 for a `proto h2` server). */
  checkProto?: 'h1' | 'h2';
  /** `check-alpn LIST`: ALPN offered by TLS health checks; an HTTP check speaks HTTP/2 if `h2` is chosen. */
  checkAlpn?: string[];
  /** `max-reuse N`: a connection carries at most N+1 requests (-1, the default: no limit). */
  maxReuse?: number;
  /** `pool-max-conn N`: idle connections kept to this server (-1, the default: no limit; 0: none). */
  poolMaxConn?: number;
  /** `pool-purge-delay T` (ms, default 5s): each period, half of the idle connections are closed. */
  poolPurgeDelay?: number;
  /** Numeric id (`id N`), else assigned in order from 1. */
  id: number;
  /** The id was set with `id N` (haproxy's bk_f_forced_id / srv_f_forced_id in `show servers state`). */
  idForced?: boolean;
  loc: SourceLoc;
}

/** `option httpchk` and `http-check ...` of a backend. */
export interface HttpCheckModel {
  /** Request sent: from `option httpchk` and/or `http-check send`. */
  method: string;
  uri: string;
  version: string;
  headers: Array<[string, string]>;
  body?: string;
  expect: Array<{
    negate: boolean;
    kind: 'status' | 'rstatus' | 'string' | 'rstring';
    pattern: string;
    loc: SourceLoc;
  }>;
  disableOn404: boolean;
  loc: SourceLoc;
}

/** One `tcp-check` line (as written; the health package compiles it). */
export type TcpCheckRuleModel =
  | {
      action: 'connect';
      port?: number;
      addr?: string;
      ssl: boolean;
      sni?: string;
      alpn?: string;
      sendProxy: boolean;
      linger: boolean;
      /** `default`: the server's check settings (port, addr, check-ssl, check-sni) apply. */
      useDefault: boolean;
      comment?: string;
      loc: SourceLoc;
    }
  | {
      action: 'send';
      /** `send` and literal `send-lf`: text; `send-binary` and literal `send-binary-lf`: hex digits. */
      kind: 'string' | 'binary';
      data: string;
      comment?: string;
      loc: SourceLoc;
    }
  | {
      action: 'expect';
      negate: boolean;
      kind: 'string' | 'rstring' | 'binary' | 'rbinary';
      pattern: string;
      /** -1 (default): wait for more data on a mismatch until the end or a full buffer. */
      minRecv: number;
      okStatus?: 'L7OK' | 'L7OKC' | 'L6OK' | 'L4OK';
      errorStatus?: 'L7RSP' | 'L7STS' | 'L7OKC' | 'L6RSP' | 'L4CON';
      toutStatus?: 'L7TOUT' | 'L6TOUT' | 'L4TOUT';
      /** `on-success` / `on-error` text (literal: log-format expressions are refused). */
      onSuccess?: string;
      onError?: string;
      /** `status-code res.payload(OFFSET,LENGTH)`: the check code read from the reply. */
      statusCode?: { offset: number; length: number };
      comment?: string;
      loc: SourceLoc;
    }
  | { action: 'comment'; comment: string; loc: SourceLoc };

/** The check a backend runs when it is not `option httpchk`: `option tcp-check` or a protocol check. */
export type TcpCheckModel = { loc: SourceLoc } & (
  | { kind: 'tcp-check'; rules: TcpCheckRuleModel[] }
  | { kind: 'mysql-check'; user?: string; post41: boolean }
  | { kind: 'pgsql-check'; user: string }
  | { kind: 'redis-check' }
  | { kind: 'smtpchk'; command: string }
  | { kind: 'ldap-check' }
  | { kind: 'ssl-hello-chk' }
);

export type StickTableType = 'ip' | 'ipv6' | 'integer' | 'string' | 'binary';

/** `stick-table type T [len N] size N [expire T] [nopurge] [peers P] [store ...]`. */
export interface StickTableModel {
  type: StickTableType;
  len?: number;
  size: number;
  expire?: number;
  nopurge: boolean;
  peers?: string;
  /** Data types stored: `server_id`, `conn_cur`, `conn_rate` with `period`, `http_req_rate`, `gpc0`, ... */
  store: Array<{ name: string; period?: number }>;
  loc: SourceLoc;
}

export interface StickRuleModel {
  kind: 'on' | 'match' | 'store-request' | 'store-response';
  /** Fetch expression for the key, e.g. `src`, `req.cook(sid)`. */
  key: string;
  table?: string;
  cond?: ConditionModel;
  loc: SourceLoc;
}

export interface CookieModel {
  name: string;
  /** `passive` (no keyword, HAProxy's default): the server sets the cookie, the proxy only reads it. */
  mode: 'insert' | 'rewrite' | 'prefix' | 'passive';
  indirect: boolean;
  nocache: boolean;
  httponly: boolean;
  secure: boolean;
  postonly: boolean;
  preserve: boolean;
  domain: string[];
  maxidle?: number;
  maxlife?: number;
  attr: string[];
  loc: SourceLoc;
}

export interface UseBackendModel {
  /** Backend name (may be a log-format expression; only plain names are supported). */
  backend: string;
  cond?: ConditionModel;
  loc: SourceLoc;
}

/** Proxy options (`option NAME`, `no option NAME`). */
export interface ProxyOptions {
  httplog: boolean;
  /** `option httplog clf`. */
  httplogClf: boolean;
  /** `option tcplog`: HAProxy's tcp log line (tcp proxies; http ones fall back to it). */
  tcplog: boolean;
  dontlognull: boolean;
  dontlogNormal: boolean;
  logasap: boolean;
  forwardfor?: ForwardForModel;
  /** Connection mode: http-keep-alive (default), http-server-close, httpclose. */
  connMode: 'keep-alive' | 'server-close' | 'close';
  redispatch?: { interval: number };
  allbackups: boolean;
  httpchk?: HttpCheckModel;
  /** `option tcp-check`, `mysql-check`, `pgsql-check`, `redis-check`, `smtpchk`, `ldap-check`, `ssl-hello-chk` (the last check option wins, as `httpchk`). */
  tcpCheck?: TcpCheckModel;
  abortonclose: boolean;
  httpBufferRequest: boolean;
  persist: boolean;
  logHealthChecks: boolean;
  /** `option disable-h2-upgrade`: no switch to HTTP/2 on a plain bind whose client opens with the h2 preface. */
  disableH2Upgrade: boolean;
}

/** A tcp rule; `fromDefaults`: copied from the defaults section (evaluated first, see tcp-rules.ts in proxy). */
export type TcpRuleModel = TcpRuleAction & { fromDefaults?: boolean };
type TcpRuleAction =
  | VarRuleModel
  | { action: 'accept' | 'reject' | 'close'; cond?: ConditionModel; loc: SourceLoc }
  | { action: 'expect-proxy'; cond?: ConditionModel; loc: SourceLoc }
  | { action: 'track-sc'; slot: number; key: string; table?: string; cond?: ConditionModel; loc: SourceLoc }
  | { action: 'set-src'; expr: string; cond?: ConditionModel; loc: SourceLoc }
  | CaptureRuleModel;

/** `use-server NAME if COND`. */
export interface UseServerModel {
  server: string;
  cond?: ConditionModel;
  loc: SourceLoc;
}

export type ProxyKind = 'frontend' | 'backend' | 'listen';

/**
 * A proxy: frontend, backend or listen (both). Mirrors HAProxy's single proxy structure so
 * the stats page can show a `listen` as one table with FRONTEND and BACKEND rows.
 */
/** One error reply line of a proxy: a reply for a code (null: the built-in page) or an http-errors import. */
export type ErrorDirective =
  /** `lf`: an `http-error ... lf-string|lf-file` body, a log-format evaluated per reply (raw has an empty body). */
  | { kind: 'reply'; status: number; raw: string | null; lf?: string; loc: SourceLoc }
  | { kind: 'errorfiles'; name: string; codes?: number[]; loc: SourceLoc };

/** An `http-errors NAME` section: `errorfile CODE FILE` contents by status code. */
export interface HttpErrorsModel {
  name: string;
  files: Record<number, string>;
  loc: SourceLoc;
}

/** A `retry-on` event: a failure kind or a status code. */
export type RetryOnKeyword =
  | 'conn-failure'
  | 'empty-response'
  | 'junk-response'
  | 'response-timeout'
  | '0rtt-rejected'
  | '401'
  | '403'
  | '404'
  | '408'
  | '425'
  | '500'
  | '501'
  | '502'
  | '503'
  | '504';

/** An algorithm of `compression algo` (`br` is Switchyard's addition to HAProxy 2.6's). */
export type CompressionAlgo = 'identity' | 'gzip' | 'deflate' | 'raw-deflate' | 'br';

/** A proxy's `compression` settings, lists in HAProxy's order (the last word written first). */
export interface CompressionModel {
  algos: CompressionAlgo[];
  /** Content-type prefixes (compared without case); empty: every type but multipart. */
  types: string[];
  /** `compression offload`: Accept-Encoding is removed before the request goes to the server. */
  offload: boolean;
}

export interface ProxyModel {
  kind: ProxyKind;
  name: string;
  /** Numeric id (`id N`), else assigned in order from 1 (HAProxy's iid). */
  id: number;
  /** The id was set with `id N` (haproxy's bk_f_forced_id / srv_f_forced_id in `show servers state`). */
  idForced?: boolean;
  /** `mode http` (default) or `mode tcp` (layer-4 relay). */
  mode: 'http' | 'tcp';
  /** `tcp-request connection` rules, evaluated as a connection is accepted. */
  tcpRequestConnection: TcpRuleModel[];
  /** `tcp-request session` rules: after the PROXY header and the TLS handshake, once per connection. */
  tcpRequestSession: TcpRuleModel[];
  /** `tcp-request content` rules, evaluated on the buffered request data (within `inspect-delay`). */
  tcpRequestContent: TcpRuleModel[];
  /** `tcp-request inspect-delay T` (ms): how long content rules may wait for data. */
  inspectDelay?: number;
  /** `persist rdp-cookie[(NAME)]`: the RDP cookie (default `msts`) naming the server to go to. */
  persistRdpCookie?: string;
  /** `tcp-response content` rules of a backend, evaluated on the server's first bytes (within `resInspectDelay`). */
  tcpResponseContent: TcpRuleModel[];
  /** `tcp-response inspect-delay T` (ms). */
  resInspectDelay?: number;
  /** `use-server NAME [if|unless COND]` rules of a backend. */
  useServers: UseServerModel[];
  /** Name of the defaults section it inherited from ('' for the anonymous one, undefined for none). */
  defaultsFrom?: string;
  maxconn?: number;
  fullconn?: number;
  /** `load-server-state-from-file global|local|none` (unset: none, as HAProxy). */
  loadServerStateFromFile?: 'global' | 'local' | 'none';
  /** `server-state-file-name [NAME|use-backend-name]` (not inherited from defaults, as HAProxy). */
  serverStateFileName?: string;
  timeouts: Timeouts;
  /** Log targets in effect (`log global` expanded to the global targets). */
  logs: LogTarget[];
  logFormat?: string;
  /** `unique-id-format FMT` (log-format) and where it was written. */
  uniqueIdFormat?: { format: string; loc: SourceLoc };
  /** Capture slots by id (frontend side): `%hr`/`%hs`, `capture.req.hdr(N)`/`capture.res.hdr(N)`. */
  captures: { request: CaptureSlotModel[]; response: CaptureSlotModel[] };
  /** `capture cookie NAME len N`: the first request cookie / response Set-Cookie starting with NAME (`%CC`, `%CS`). */
  captureCookie?: { name: string; len: number };
  /** `unique-id-header NAME`: header carrying the unique id to the server. */
  uniqueIdHeader?: string;
  /** `compression` lines (absent: no compression filter). */
  compression?: CompressionModel;
  options: ProxyOptions;
  acls: AclModel[];
  httpRequest: HttpRuleModel[];
  httpResponse: HttpRuleModel[];
  /** `http-after-response` rules: on every response, the server's and the proxy's own. */
  httpAfterResponse: HttpRuleModel[];
  redirects: RedirectModel[];
  stats?: StatsModel;
  disabled: boolean;
  /** `description TEXT` (stats page). */
  description?: string;
  // frontend side
  binds: BindModel[];
  useBackends: UseBackendModel[];
  defaultBackend?: string;
  monitorUri?: string;
  // backend side
  balance: BalanceModel;
  hashType: HashTypeModel;
  servers: ServerModel[];
  retries: number;
  /**
   * `retry-on KEYWORD...` (HAProxy's default: conn-failure): what is retried, the keywords as
   * written with `all-retryable-errors` expanded; empty for `none`.
   */
  retryOn: RetryOnKeyword[];
  /** `http-reuse never|safe|aggressive|always` (HAProxy's default: safe). */
  httpReuse: 'never' | 'safe' | 'aggressive' | 'always';
  stickTable?: StickTableModel;
  stickRules: StickRuleModel[];
  cookie?: CookieModel;
  /**
   * The proxy's own error replies, by status code: each a complete HTTP response (`errorfile`
   * content, an `errorloc` redirect, an `http-error` reply), resolved from errorDirectives.
   */
  errorFiles: Record<number, string>;
  /** The codes of errorFiles whose body is a log-format (`http-error ... lf-string|lf-file`), with where. */
  errorFormats?: Record<number, { format: string; loc: SourceLoc }>;
  /**
   * `errorfile`, `errorloc*`, `errorfiles`, `http-error` lines in order, the defaults' first
   * (HAProxy's conf.errors): applied in this order once every http-errors section is known.
   */
  errorDirectives: ErrorDirective[];
  loc: SourceLoc;
}

export interface StatsSocketModel {
  /** Unix path, or `ipv4@HOST:PORT` / `ipv6@...` as TCP. */
  kind: 'unix' | 'tcp';
  path?: string;
  host?: string;
  port?: number;
  mode?: number;
  /** Default `operator`, as HAProxy. */
  level: 'user' | 'operator' | 'admin';
  exposeFdListeners: boolean;
  loc: SourceLoc;
}

export interface GlobalModel {
  maxconn?: number;
  pidfile?: string;
  /** `server-state-file FILE`: the state file `load-server-state-from-file global` backends read at start. */
  serverStateFile?: string;
  /** `server-state-base DIR`: directory of relative state file names. */
  serverStateBase?: string;
  logs: LogTarget[];
  nbthread?: number;
  statsSockets: StatsSocketModel[];
  /** `redis-url redis://...` (Switchyard): shared state store; unset = in-memory. */
  redisUrl?: string;
  /** `cluster-name NAME` (Switchyard): namespace of shared keys in Redis. */
  clusterName?: string;
  hardStopAfter?: number;
  /**
   * `master-worker`: run as a master and its worker (as `-W`); `exitOnFailure` false with
   * `no-exit-on-failure` (the master stays when a current worker dies).
   */
  masterWorker?: { exitOnFailure: boolean };
  /** Node name shown on the stats page (`node`). */
  node?: string;
  description?: string;
  /** `tune.*` and other settings kept for reference. */
  tune: Record<string, string>;
  /** `stats timeout T`: idle timeout of runtime API connections (HAProxy default 10s). */
  statsTimeout?: number;
  /** `spread-checks N`: +/- N percent random spread of check intervals (0-50). */
  spreadChecks?: number;
  /** `log-tag TAG`: syslog tag (default: program name). */
  logTag?: string;
  /** `log-send-hostname [NAME]`: host field of syslog headers (NAME; '' for the system host name). */
  logSendHostname?: string;
  /** `crt-base DIR`: already applied to relative `bind ... crt` paths by the parser. */
  crtBase?: string;
  /** `ca-base DIR`. */
  caBase?: string;
  /** `zero-warning`: where it was set; the parser then turns any warning into a refusal, as HAProxy. */
  zeroWarning?: SourceLoc;
  /** `default-path`: base of relative file paths; already applied by the parser. */
  defaultPath?: { mode: 'current' | 'config' | 'parent' | 'origin'; path?: string };
  /** `ssl-load-extra-files`: the sidecar files read beside a `crt` (undefined: `all`, HAProxy's default). */
  sslLoadExtraFiles?: { key: boolean; ocsp: boolean; issuer: boolean };
  /** `ssl-load-extra-del-ext`: sidecars of `X.crt` are `X.key`, `X.ocsp`, `X.issuer`. */
  sslLoadExtraDelExt?: boolean;
  /** `ssl-server-verify none|required`: default verification of `ssl` servers. */
  sslServerVerify?: 'none' | 'required';
  /** `ssl-default-bind-options|ciphers|ciphersuites|curves`: defaults of every `ssl` bind. */
  sslDefaultBind?: TlsOptionsModel;
  /** `ssl-default-server-options|ciphers|ciphersuites`: defaults of every `ssl` server. */
  sslDefaultServer?: TlsOptionsModel;
  loc?: SourceLoc;
}

export interface PeersModel {
  name: string;
  peers: Array<{ name: string; host: string; port: number; loc: SourceLoc }>;
  loc: SourceLoc;
}

/** `user NAME [password HASH | insecure-password TEXT] [groups G1,G2]` of a userlist. */
export interface UserModel {
  name: string;
  /** crypt(3) hash (`password`) or clear text (`insecure-password`); absent: never authenticates. */
  password?: string;
  insecure: boolean;
  /** Group names, own `groups` plus those whose `users` list names this user (resolved after parsing). */
  groups: string[];
  loc: SourceLoc;
}

/** `userlist NAME`: users and groups for `http_auth()`, `http_auth_group()` and `http-request auth`. */
export interface UserlistModel {
  name: string;
  users: UserModel[];
  groups: Array<{ name: string; users: string[]; loc: SourceLoc }>;
  loc: SourceLoc;
}

/** A `resolvers NAME` section (HAProxy's defaults in the comments). */
export interface ResolversModel {
  name: string;
  /** `nameserver ID IP:PORT` lines, then those `parse-resolv-conf` read (port 53). */
  nameservers: Array<{ id: string; host: string; port: number; loc: SourceLoc }>;
  /** `accepted_payload_size N` (512; 12..65535): the EDNS0 payload size announced and accepted. */
  acceptedPayloadSize: number;
  /** `resolve_retries N` (3): queries sent before a resolution times out. */
  resolveRetries: number;
  /** `timeout resolve T` (1s): time between two resolutions of a name. */
  timeoutResolve: number;
  /** `timeout retry T` (1s): time before a query with no answer is sent again. */
  timeoutRetry: number;
  /** `hold valid|nx|timeout|refused|other|obsolete T` (10s, 30s x4, 0). */
  hold: { valid: number; nx: number; timeout: number; refused: number; other: number; obsolete: number };
  loc: SourceLoc;
}

export interface ConfigModel {
  files: string[];
  global: GlobalModel;
  /** Every frontend, backend and listen, in file order. */
  proxies: ProxyModel[];
  peers: PeersModel[];
  /** `userlist` sections, in file order (absent when there are none). */
  userlists?: UserlistModel[];
  /** `resolvers` sections (absent in models built by hand: none). */
  resolvers?: ResolversModel[];
  /** `http-errors` sections (absent: none). */
  httpErrors?: HttpErrorsModel[];
  /** `cache` sections (absent: none). */
  caches?: CacheModel[];
}

/** A `cache NAME` section (HAProxy 2.6's small-object cache). */
export interface CacheModel {
  name: string;
  /** `total-max-size` (MB), in bytes. */
  totalMaxSize: number;
  /** `max-object-size` in bytes (default: a 256th of total-max-size). */
  maxObjectSize: number;
  /** `max-age` in seconds (default 60). */
  maxAge: number;
  /** `max-secondary-entries` (default 10; only used with Vary processing). */
  maxSecondaryEntries: number;
  loc: SourceLoc;
}

export interface ParseResult {
  /** Present even when there are errors (best effort), so `-c` can report everything at once. */
  model: ConfigModel;
  diagnostics: Diagnostic[];
}

/** True when a proxy accepts client connections (frontend or listen). */
export function isFrontend(p: ProxyModel): boolean {
  return p.kind !== 'backend';
}

/** True when a proxy has servers to balance over (backend or listen). */
export function isBackend(p: ProxyModel): boolean {
  return p.kind !== 'frontend';
}
