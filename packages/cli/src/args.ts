/** Command-line parsing for `switchyard` (HAProxy's flags where they exist). */

export interface CliArgs {
  command: 'run' | 'check' | 'version' | 'help' | 'vrrp';
  files: string[];
  pidfile?: string;
  /** `-vv`: build details too. */
  verbose: boolean;
  logFormat: 'text' | 'json';
  demoBackends: boolean;
  /** `--workers N`: N worker processes sharing the listeners (undefined: global `nbthread`, else 1). */
  workers?: number;
  /** Arguments after `vrrp`. */
  rest: string[];
  /** Notes about accepted HAProxy flags that change nothing here. */
  notes: string[];
}

export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
}

export const USAGE = `Usage: switchyard -f FILE [-f FILE ...] [-p PIDFILE] [--workers N] [--log-format text|json] [--demo-backends]
       switchyard -c -f FILE [-f FILE ...]     check the configuration and exit
       switchyard -v | -vv | --version         print the version
       switchyard vrrp ...                      run the VRRP sidecar (see 'switchyard vrrp --help')
Signals: SIGTERM/SIGINT stop gracefully (in-flight requests finish), SIGHUP/SIGUSR2 reload the configuration.`;

/** Parses argv (without node and the script); throws UsageError with a message to print. */
export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = {
    command: 'run',
    files: [],
    verbose: false,
    logFormat: 'text',
    demoBackends: false,
    rest: [],
    notes: [],
  };
  if (argv[0] === 'vrrp') {
    a.command = 'vrrp';
    a.rest = argv.slice(1);
    return a;
  }
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || (v.startsWith('-') && v.length > 1)) throw new UsageError(`option '${arg}' needs a value`);
      return v;
    };
    switch (arg) {
      case '-f':
        a.files.push(value());
        break;
      case '-c':
        check = true;
        break;
      case '-p':
        a.pidfile = value();
        break;
      case '-v':
      case '--version':
        a.command = 'version';
        break;
      case '-vv':
        a.command = 'version';
        a.verbose = true;
        break;
      case '-h':
      case '--help':
        a.command = 'help';
        break;
      case '--log-format': {
        const v = value();
        if (v !== 'json' && v !== 'text') throw new UsageError(`--log-format must be 'text' or 'json', got '${v}'`);
        a.logFormat = v;
        break;
      }
      case '--demo-backends':
        a.demoBackends = true;
        break;
      case '--workers': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 64)
          throw new UsageError(`--workers must be a number from 1 to 64, got '${v}'`);
        a.workers = n;
        break;
      }
      case '-db':
      case '-d':
        // HAProxy's foreground flags: Switchyard always runs in the foreground.
        break;
      case '-D':
      case '-W':
      case '-Ws':
        a.notes.push(
          `option '${arg}' has no effect: Switchyard runs in the foreground as one process (use systemd to supervise it)`,
        );
        break;
      case '-q':
        break;
      default:
        if (arg.startsWith('-f') && arg.length > 2) a.files.push(arg.slice(2));
        else throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (a.command === 'version' || a.command === 'help') return a;
  if (check) a.command = 'check';
  if (a.files.length === 0) throw new UsageError('no configuration file given (use -f FILE)');
  return a;
}
