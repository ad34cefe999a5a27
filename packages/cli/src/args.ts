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
  /** `-x SOCKET`: take the listening sockets of the process answering there (`expose-fd listeners`). */
  takeSocketsFrom?: string;
  /** `-sf PID...` (soft stop, SIGUSR1) / `-st PID...` (SIGTERM): sent to the old processes once serving. */
  stopOld?: { signal: 'SIGUSR1' | 'SIGTERM'; pids: number[] };
  /** `-W` / `-Ws`: master-worker mode (`-Ws`: systemd Type=notify). */
  masterWorker?: 'W' | 'Ws';
  /** `-S BIND[,OPTION...]`: the master CLI sockets (master-worker mode). */
  masterSockets: string[];
  /** The argv as given (a master starts its workers with it). */
  argv: string[];
  /** `-q`: with `-c`, nothing printed for a valid configuration (as haproxy -c -q). */
  quiet: boolean;
  /** Arguments after `vrrp`. */
  rest: string[];
  /** Notes about accepted HAProxy flags that change nothing here. */
  notes: string[];
}

export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
}

export const USAGE = `Usage: switchyard -f FILE [-f FILE ...] [-p PIDFILE] [--workers N] [--log-format text|json] [--demo-backends]
                  [-x SOCKET] [-sf PID ...|-st PID ...] [-W|-Ws] [-S BIND[,OPTION...]]
       switchyard -c [-q] -f FILE [-f FILE ...] check the configuration and exit (-q: silent when valid)
       switchyard -v | -vv | --version         print the version
       switchyard vrrp ...                      run the VRRP sidecar (see 'switchyard vrrp --help')
  -x SOCKET   take the listening sockets of the process whose 'stats socket SOCKET ... expose-fd listeners' answers
  -sf PIDs    once serving, soft-stop those processes (SIGUSR1); -st PIDs: stop them (SIGTERM)
  -W, -Ws     master-worker mode (-Ws: systemd Type=notify); -S BIND: master CLI socket ('show proc', 'reload')
Signals: SIGTERM stops at once, closing open connections (as HAProxy 2.6), SIGINT stops gracefully (in-flight
requests finish), SIGUSR1 soft-stops (as HAProxy: no time limit but 'hard-stop-after'), SIGHUP/SIGUSR2 reload the configuration (in master-worker mode: a new worker).`;

/** Parses argv (without node and the script); throws UsageError with a message to print. */
export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = {
    command: 'run',
    files: [],
    verbose: false,
    logFormat: 'text',
    demoBackends: false,
    masterSockets: [],
    quiet: false,
    argv: [...argv],
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
        a.notes.push(`option '-D' has no effect: Switchyard runs in the foreground (use systemd to supervise it)`);
        break;
      case '-W':
      case '-Ws':
        a.masterWorker = arg === '-W' ? 'W' : 'Ws';
        break;
      case '-S':
        a.masterSockets.push(value());
        break;
      case '-x':
        a.takeSocketsFrom = value();
        break;
      case '-sf':
      case '-st': {
        // HAProxy: every following argument that is a number is a pid
        const pids: number[] = [];
        while (i + 1 < argv.length && /^\d+$/.test(argv[i + 1])) pids.push(Number(argv[++i]));
        a.stopOld = { signal: arg === '-sf' ? 'SIGUSR1' : 'SIGTERM', pids: [...(a.stopOld?.pids ?? []), ...pids] };
        break;
      }
      case '-q':
        a.quiet = true;
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
