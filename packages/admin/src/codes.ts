/**
 * Every code packages/admin emits, in one place (kept the way fastify's lib/errors.js keeps its
 * codes). AdminError takes an AdminCode, so an unregistered code does not compile; the reply text
 * is HAProxy's, chosen at the throwing site (MSG in actions.ts for the shared ones).
 */
export const AdminCode = {
  /** `Require 'backend/server'.` */
  REQUIRE_BE_SRV: 'ADM_REQUIRE_BE_SRV',
  /** `No such backend.` */
  NO_BACKEND: 'ADM_NO_BACKEND',
  /** `No such server.` */
  NO_SERVER: 'ADM_NO_SERVER',
  /** `Require <weight> or <weight%>.` */
  REQUIRE_WEIGHT: 'ADM_REQUIRE_WEIGHT',
  /** A weight out of range or with garbage. */
  BAD_WEIGHT: 'ADM_BAD_WEIGHT',
  /** A weight change on a static algorithm (static-rr, map-based hashing). */
  STATIC_WEIGHT: 'ADM_STATIC_WEIGHT',
  /** `add server` to a backend whose algorithm cannot take dynamic servers. */
  STATIC_LB: 'ADM_STATIC_LB',
  /** `add server` with a bad server line. */
  BAD_SERVER: 'ADM_BAD_SERVER',
  /** A port that is not a number or out of range. */
  BAD_PORT: 'ADM_BAD_PORT',
  /** A server option dynamic servers do not accept. */
  NOT_DYNAMIC: 'ADM_NOT_DYNAMIC',
  /** `add server` with a name the backend has. */
  DUP_SERVER: 'ADM_DUP_SERVER',
  /** `del server` of a server other objects still use. */
  NON_PURGEABLE: 'ADM_NON_PURGEABLE',
  /** `del server` of a server not in maintenance. */
  NOT_MAINT: 'ADM_NOT_MAINT',
  /** `del server` of a server with connections. */
  BUSY: 'ADM_BUSY',
  /** `set server ... check-port` on a server without checks. */
  NO_CHECK: 'ADM_NO_CHECK',
  /** `set server ... addr` with a port mapping HAProxy refuses. */
  PORT_MAP: 'ADM_PORT_MAP',
  /** A command this process cannot run (named in the reply, e.g. under --workers). */
  UNSUPPORTED: 'ADM_UNSUPPORTED',
  /** The runtime API socket cannot be opened. */
  CLI_SOCKET: 'ADM_CLI_SOCKET',
  /** The admin side was wired with options that do not fit. */
  CONFIG: 'ADM_CONFIG',
} as const;
export type AdminCode = (typeof AdminCode)[keyof typeof AdminCode];
