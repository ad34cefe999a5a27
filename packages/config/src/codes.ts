/**
 * Every diagnostic code a configuration can produce, in one place (the package's "errors" module,
 * in the way fastify's lib/errors.js keeps its codes). Diagnostic.code is typed `Code`, so an
 * unregistered code does not compile; test/codes-registry.test.ts also checks the literals in
 * the sources of every package against the registries.
 */
/** Stable diagnostic codes. Tests and tools may match on these; never rename one. */
export const Codes = {
  /** A file could not be read. */
  READ_FAILED: 'CFG_READ_FAILED',
  /** Tokenizer error: unmatched quote, bad escape, too many words. */
  SYNTAX: 'CFG_SYNTAX',
  /** A keyword the section does not know. */
  UNKNOWN_KEYWORD: 'CFG_UNKNOWN_KEYWORD',
  /** A HAProxy section Switchyard does not support (resolvers, userlist, ...). */
  UNSUPPORTED_SECTION: 'CFG_UNSUPPORTED_SECTION',
  /** A keyword used in a section where it has no meaning (e.g. `server` in a frontend). */
  NOT_ALLOWED: 'CFG_NOT_ALLOWED_HERE',
  /** A keyword needs an argument that is missing. */
  MISSING_ARG: 'CFG_MISSING_ARG',
  /** An argument is present but invalid. */
  BAD_VALUE: 'CFG_BAD_VALUE',
  /** Trailing words a keyword does not take. */
  EXTRA_ARGS: 'CFG_EXTRA_ARGS',
  BAD_TIME: 'CFG_BAD_TIME',
  /** `5sec`, `1m30s`: HAProxy 2.6 ignores what follows the unit, with a warning; so does Switchyard. */
  TIME_TRAILING: 'CFG_TIME_TRAILING',
  BAD_SIZE: 'CFG_BAD_SIZE',
  BAD_ADDRESS: 'CFG_BAD_ADDRESS',
  BAD_PORT: 'CFG_BAD_PORT',
  BAD_NAME: 'CFG_BAD_NAME',
  /** A HAProxy 1.x keyword accepted with a warning naming the modern form. */
  LEGACY_KEYWORD: 'CFG_LEGACY_KEYWORD',
  /** A keyword that has no meaning for a Node process; accepted with a warning. */
  IGNORED_KEYWORD: 'CFG_IGNORED_KEYWORD',
  /** A HAProxy feature Switchyard does not support (mode tcp, send-proxy, ...). */
  UNSUPPORTED: 'CFG_UNSUPPORTED',
  DUPLICATE_NAME: 'CFG_DUPLICATE_NAME',
  DUPLICATE_ID: 'CFG_DUPLICATE_ID',
  UNKNOWN_BACKEND: 'CFG_UNKNOWN_BACKEND',
  /** A frontend routes to a backend of another mode (http -> tcp). */
  MODE_MISMATCH: 'CFG_MODE_MISMATCH',
  /** `use-server` names a server the backend does not have. */
  UNKNOWN_SERVER: 'CFG_UNKNOWN_SERVER',
  UNKNOWN_DEFAULTS: 'CFG_UNKNOWN_DEFAULTS',
  /** A named defaults section used both through `from` and implicitly (HAProxy refuses it too). */
  AMBIGUOUS_DEFAULTS: 'CFG_AMBIGUOUS_DEFAULTS',
  UNKNOWN_PEERS: 'CFG_UNKNOWN_PEERS',
  /** A server names a `resolvers` section that does not exist. */
  UNKNOWN_RESOLVERS: 'CFG_UNKNOWN_RESOLVERS',
  UNKNOWN_TABLE: 'CFG_UNKNOWN_TABLE',
  /** `errorfiles NAME` names no http-errors section. */
  UNKNOWN_HTTP_ERRORS: 'CFG_UNKNOWN_HTTP_ERRORS',
  /** `timeout client/server/connect` missing: HAProxy warns too. */
  MISSING_TIMEOUT: 'CFG_MISSING_TIMEOUT',
  /** A frontend/listen without any `bind`. */
  NO_BIND: 'CFG_NO_BIND',
  /** A frontend with no backend to send traffic to. */
  NO_BACKEND: 'CFG_NO_BACKEND',
  /** A setting that is accepted but has no effect where it is written. */
  NO_EFFECT: 'CFG_NO_EFFECT',
  /** The same log destination listed twice for one proxy: every line would be sent twice. */
  DUPLICATE_LOG: 'CFG_DUPLICATE_LOG',
  /** `zero-warning` is set and there were warnings. */
  ZERO_WARNING: 'CFG_ZERO_WARNING',
  /** An environment variable used in the config is not set. */
  UNSET_ENV: 'CFG_UNSET_ENV',
  /** A file named by `errorfile`, `return file` could not be read. */
  FILE_NOT_FOUND: 'CFG_FILE_NOT_FOUND',
  /** Two binds of the running configuration on the same address. */
  DUPLICATE_BIND: 'CFG_DUPLICATE_BIND',
  /** Two servers with one name in a backend. */
  DUPLICATE_SERVER: 'CFG_DUPLICATE_SERVER',
  /** A rule names a proxy that has no backend capability (a frontend). */
  NOT_A_BACKEND: 'CFG_NOT_A_BACKEND',
  /** A frontend routes to a backend that is `disabled`. */
  BACKEND_DISABLED: 'CFG_BACKEND_DISABLED',
  /** `proto NAME` names a protocol the bind or server cannot speak. */
  BAD_PROTO: 'CFG_BAD_PROTO',
  /** An address/mask that does not parse (`resolve-net`, ACL networks). */
  BAD_NETWORK: 'CFG_BAD_NETWORK',
  /** An http-response rule that cannot compile (a request-only fetch, an unknown action). */
  BAD_RESPONSE_RULE: 'CFG_BAD_RESPONSE_RULE',
  /** An errorfile that is not a valid HTTP response. */
  BAD_ERRORFILE: 'CFG_BAD_ERRORFILE',
  /** A unix-socket log target while the @switchyard/unixsock addon is not built. */
  LOG_UNIX_UNAVAILABLE: 'CFG_LOG_UNIX_UNAVAILABLE',
  /** TLS options Node/OpenSSL refuse (ciphers, curves, versions). */
  SSL_OPTIONS: 'CFG_SSL_OPTIONS',
  /** A `crt` file or directory that cannot be read. */
  SSL_CRT_UNREADABLE: 'CFG_SSL_CRT_UNREADABLE',
  /** A `crt` file that is not a valid PEM certificate and key. */
  SSL_CRT_INVALID: 'CFG_SSL_CRT_INVALID',
  /** A `crt` directory or list without a certificate. */
  SSL_CRT_EMPTY: 'CFG_SSL_CRT_EMPTY',
  /** A `crt-list` line that does not parse. */
  SSL_CRT_LIST: 'CFG_SSL_CRT_LIST',
  /** A certificate without its private key (in the PEM or a .key file). */
  SSL_NO_KEY: 'CFG_SSL_NO_KEY',
  /** A `.ocsp` response beside a certificate that cannot be used (no issuer) or is ignored (invalid). */
  SSL_OCSP: 'CFG_SSL_OCSP',
  /** An `ssl` bind without `crt` or `crt-list`. */
  SSL_NO_CRT: 'CFG_SSL_NO_CRT',
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];
