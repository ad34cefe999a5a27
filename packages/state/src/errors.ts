/** Errors of the state layer: values with a stable code, like undici's UND_ERR_*. */

export type StateErrorCode =
  | 'STATE_BAD_TABLE'
  | 'STATE_UNKNOWN_TABLE'
  | 'STATE_BAD_STORE_TYPE'
  | 'STATE_BAD_KEY_FETCH'
  | 'STATE_BAD_REDIS_URL'
  | 'STATE_REDIS_UNAVAILABLE';

/** An error raised by packages/state, with a stable `code` a caller can switch on. */
export class StateError extends Error {
  readonly code: StateErrorCode;
  constructor(code: StateErrorCode, message: string) {
    super(message);
    this.name = 'StateError';
    this.code = code;
  }
}
