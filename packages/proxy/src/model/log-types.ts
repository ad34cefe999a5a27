/** Logging interface shared by the datapath (request lines), health checks and admin (event lines). */
import type { ProxyModel } from '@switchyard/config';

/** Syslog severities, most severe first (RFC 5424 order, as HAProxy names them). */
export type SyslogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

export interface ProxyLogger {
  /**
   * Sends `msg` to the log targets of `proxy` (or the global targets when undefined) at `level`,
   * asynchronously (never blocks the caller). Event lines (server UP/DOWN, admin changes) are also
   * echoed to stderr as HAProxy does in foreground mode: `[WARNING]  (pid) : msg`.
   */
  log(proxy: ProxyModel | undefined, level: SyslogLevel, msg: string, opts?: LogOptions): void;
}

export interface LogOptions {
  /** Echo to stderr (default true for event lines). */
  stderr?: boolean;
  /**
   * Level shown on the stderr echo when it differs from the syslog level: HAProxy logs a server
   * going DOWN at `alert` but prints it with `ha_warning()`, i.e. `[WARNING]` on stderr.
   */
  stderrLevel?: SyslogLevel;
}
