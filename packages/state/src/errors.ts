/**
 * Every code packages/state emits, in one place (kept the way fastify's lib/errors.js keeps its
 * codes), and the one error class that carries them. test/codes-registry.test.ts checks that every
 * STATE_* literal in the sources is listed here.
 */
export const StateCode = {
  /** A rule names a table that does not exist. */
  UNKNOWN_TABLE: 'STATE_UNKNOWN_TABLE',
  /** A table `type` the store cannot keep. */
  BAD_STORE_TYPE: 'STATE_BAD_STORE_TYPE',
  /** A `track-sc`/`stick on` key expression that does not compile or does not fit the table's type. */
  BAD_KEY_FETCH: 'STATE_BAD_KEY_FETCH',
  /** `track-sc3` and above (only sc0-sc2 exist in 2.6). */
  BAD_TRACK: 'STATE_BAD_TRACK',
  /** A `redis-url` that does not parse. */
  BAD_REDIS_URL: 'STATE_BAD_REDIS_URL',
  /** Cookie persistence settings the shared store cannot carry between nodes. */
  COOKIE_INCOMPATIBLE: 'STATE_COOKIE_INCOMPATIBLE',
  /** `peers` sections: the tables are shared through Redis instead (warning). */
  PEERS_VIA_REDIS: 'STATE_PEERS_VIA_REDIS',
} as const;
export type StateErrorCode = (typeof StateCode)[keyof typeof StateCode];

/** An error raised by packages/state, with a stable `code` a caller can switch on. */
export class StateError extends Error {
  readonly code: StateErrorCode;
  constructor(code: StateErrorCode, message: string) {
    super(message);
    this.name = 'StateError';
    this.code = code;
  }
}
