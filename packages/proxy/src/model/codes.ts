/**
 * Every code packages/proxy emits, in one place (the package's errors module, kept the way
 * fastify's lib/errors.js keeps its codes): configuration diagnostics of the compile stage, the
 * upstream clients' error codes, the runtime's refusals. Emitting sites take these types, so an
 * unregistered code does not compile; test/codes-registry.test.ts checks the source literals too.
 * Configuration codes shared with the parser (CFG_*) live in @switchyard/config's codes.ts.
 */

/** ACL, sample-expression and log-format compilation (acl/). */
export const AclCode = {
  /** A fetch name no table knows (with a "did you mean"). */
  UNKNOWN_FETCH: 'ACL_UNKNOWN_FETCH',
  /** A converter name no table knows. */
  UNKNOWN_CONVERTER: 'ACL_UNKNOWN_CONVERTER',
  /** Wrong number or type of arguments to a fetch or converter. */
  BAD_ARGS: 'ACL_BAD_ARGS',
  /** An ACL flag (-i, -m, -f, -M, -u, -n) misused or unknown. */
  BAD_FLAG: 'ACL_BAD_FLAG',
  /** A pattern that does not parse for its match method (ip, int, reg, ...). */
  BAD_PATTERN: 'ACL_BAD_PATTERN',
  /** A pattern or map file (-f, map()) that cannot be read or has a broken line. */
  PATTERN_FILE: 'ACL_PATTERN_FILE',
  /** A match method that needs patterns was given none. */
  NO_PATTERN: 'ACL_NO_PATTERN',
  /** A condition names an ACL that is not declared. */
  UNKNOWN_ACL: 'ACL_UNKNOWN_ACL',
  /** `if`/`unless` condition syntax: braces, `||`, `!`. */
  COND_SYNTAX: 'ACL_COND_SYNTAX',
  /** A log-format string (%[...], %{...}x) that does not compile. */
  LOG_FORMAT: 'ACL_LOG_FORMAT',
  /** A fetch used where its data does not exist (a response fetch in a request rule, ...). */
  WRONG_PHASE: 'ACL_WRONG_PHASE',
} as const;
export type AclCode = (typeof AclCode)[keyof typeof AclCode];

/** Health-check settings (health/). */
export const CheckCode = {
  /** `agent-check` without `agent-port`. */
  AGENT_NO_PORT: 'CHK_AGENT_NO_PORT',
  /** `check-send-proxy` with a TLS check, or other PROXY-protocol check combinations that cannot work. */
  PROXY_TLS: 'CHK_PROXY_TLS',
  /** `observe layer4|layer7` on a server without `check`. */
  OBSERVE_NO_CHECK: 'CHK_OBSERVE_NO_CHECK',
  /** `http-check expect` with an unknown match. */
  BAD_EXPECT: 'CHK_BAD_EXPECT',
  /** `http-check expect [r]string|rstatus` with a regex that does not compile. */
  BAD_REGEX: 'CHK_BAD_REGEX',
  /** `http-check expect status` with a pattern that is not a status or range list. */
  BAD_STATUS_PATTERN: 'CHK_BAD_STATUS_PATTERN',
} as const;
export type CheckCode = (typeof CheckCode)[keyof typeof CheckCode];

/** Balancing (selection/). */
export const BalanceCode = {
  /** `balance hdr()`, `url_param`, `rdp-cookie` ... without the parameter the algorithm needs. */
  MISSING_PARAM: 'LB_MISSING_PARAM',
} as const;
export type BalanceCode = (typeof BalanceCode)[keyof typeof BalanceCode];

/** Refusals of server changes (control/server-control.ts), shown by the runtime API and stats page. */
export const ServerCode = {
  BAD_WEIGHT: 'SRV_BAD_WEIGHT',
  /** `enable health|agent` on a server without the check configured. */
  NO_CHECK: 'SRV_NO_CHECK',
  BAD_MAXCONN: 'SRV_BAD_MAXCONN',
} as const;
export type ServerCode = (typeof ServerCode)[keyof typeof ServerCode];

/** The data path's own failures. */
export const DatapathCode = {
  /** A `bind` address could not be listened on (in use, permission, bad interface). */
  BIND_FAILED: 'DP_BIND_FAILED',
  /** The client took longer than `timeout http-request` to send its request head. */
  REQUEST_TIMEOUT: 'ERR_HTTP_REQUEST_TIMEOUT',
} as const;
export type DatapathCode = (typeof DatapathCode)[keyof typeof DatapathCode];

/**
 * Errors of the upstream clients (datapath/h1-client.ts, h2-client.ts, alpn-pool.ts). The UND_ERR_*
 * names are undici's, kept so the stream's handling reads the same whichever client failed.
 */
export const UpstreamCode = {
  /** The pool was closed: no new request. */
  CLOSED: 'UND_ERR_CLOSED',
  /** The pool was destroyed with requests in flight. */
  DESTROYED: 'UND_ERR_DESTROYED',
  /** The stream gave up the request (client gone, timeout of the stream). */
  ABORTED: 'UND_ERR_ABORTED',
  /** `timeout connect` expired. */
  CONNECT_TIMEOUT: 'UND_ERR_CONNECT_TIMEOUT',
  /** `timeout server` expired before the response head. */
  HEADERS_TIMEOUT: 'UND_ERR_HEADERS_TIMEOUT',
  /** `timeout server` expired during the response body. */
  BODY_TIMEOUT: 'UND_ERR_BODY_TIMEOUT',
  /** The server closed or reset the connection, or sent a truncated response. */
  SOCKET: 'UND_ERR_SOCKET',
  /** A request that cannot be sent as it is (bad method, target, header name or value). */
  INVALID_ARG: 'UND_ERR_INVALID_ARG',
  /** HTTP/2: the server refused the stream unprocessed (REFUSED_STREAM or GOAWAY): safe to retry. */
  H2_REFUSED: 'ERR_H2_REFUSED',
  /** HTTP/2: the server reset the stream after processing may have begun. */
  H2_RST: 'ERR_H2_RST',
} as const;
export type UpstreamCode = (typeof UpstreamCode)[keyof typeof UpstreamCode];

/**
 * What an upstream failure carries: one of ours, a system errno name (ECONNRESET, ECONNREFUSED:
 * the OS's registry) or an llhttp parser code (HPE_*: llhttp's registry, as node:http reports it).
 */
export type UpstreamFailureCode = UpstreamCode | `E${Uppercase<string>}` | `HPE_${Uppercase<string>}`;

/** An upstream client failure, with its stable code. */
export class UpstreamError extends Error {
  readonly code: UpstreamFailureCode;
  constructor(
    message: string,
    code: UpstreamFailureCode,
    /** For an invalid response head: the bytes received and where the parser stopped (`show errors`). */
    readonly snapshot?: { buf: Buffer; errorAt: number },
  ) {
    super(message);
    this.name = 'UpstreamError';
    this.code = code;
  }
}

/** Every code of this package's configuration diagnostics (beside @switchyard/config's Code). */
export type ProxyDiagnosticCode = AclCode | CheckCode | BalanceCode;
