/**
 * `switchyard vrrp`: the keepalived-compatible VRRP sidecar's command line.
 *   switchyard vrrp [-f FILE] [-t] [-l] [-D] [-n] [-p PIDFILE] [-r PIDFILE]
 *   switchyard vrrp lint A.conf B.conf
 * Options follow keepalived's; -l and -n are accepted (Switchyard always logs to stderr and never forks).
 * SIGHUP reloads the file (unchanged instances keep their state), SIGTERM/SIGINT stop.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { formatDiagnostic, loadKeepalivedConf } from './conf/index.ts';
import { lintCommand } from './lint/index.ts';
import { NotifyFifos } from './notify/fifo.ts';
import { onPath, startLines, startRefusals, vrrpConfigTest } from './preflight.ts';
import { Sidecar } from './sidecar.ts';
import { type Attached, attachTracking } from './track/index.ts';

const USAGE = `usage: switchyard vrrp [-f FILE] [-t] [-l] [-D] [-n] [-p PIDFILE]
       switchyard vrrp lint A.conf B.conf
  -f, --use-file FILE    keepalived.conf to read (default /etc/keepalived/keepalived.conf)
  -t, --config-test      check the file and exit (0 clean, 1 refused at start, 2 fatal, 5 errors, 6 script security)
  -l, --log-console      log to the console (always on)
  -D, --log-detail       detailed log messages
  -n, --dont-fork        stay in the foreground (always on)
  -p, --pid FILE         write the process id to FILE
  -r, --vrrp_pid FILE    same as -p (keepalived's VRRP child pid file)
  -i, --config-id ID     read '@ID' lines (and '@^ID' exclusions) as keepalived does
`;

/** Parsed command line. */
export interface VrrpArgs {
  file: string;
  test: boolean;
  detail: boolean;
  pidFiles: string[];
  /** `-i ID`: configuration id for `@ID` conditional lines. */
  configId?: string;
}

/** Parses keepalived-style options; returns an error message for anything unknown or incomplete. */
export function parseVrrpArgs(argv: string[]): VrrpArgs | string {
  const a: VrrpArgs = { file: '/etc/keepalived/keepalived.conf', test: false, detail: false, pidFiles: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '-f':
      case '--use-file': {
        const v = value();
        if (!v) return `${name} needs a file name`;
        a.file = v;
        break;
      }
      case '-i':
      case '--config-id': {
        const v = value();
        if (!v) return `${name} needs an id`;
        a.configId = v;
        break;
      }
      case '-t':
      case '--config-test':
        a.test = true;
        break;
      case '-D':
      case '--log-detail':
        a.detail = true;
        break;
      case '-l':
      case '--log-console':
      case '-n':
      case '--dont-fork':
      case '-P':
      case '--vrrp':
        break;
      case '-p':
      case '--pid':
      case '-r':
      case '--vrrp_pid': {
        const v = value();
        if (!v) return `${name} needs a file name`;
        a.pidFiles.push(v);
        break;
      }
      default:
        return `unknown option '${arg}'`;
    }
  }
  return a;
}

type Out = (s: string) => void;

/** Entry point for `switchyard vrrp ...`; resolves with the exit status once the sidecar stops. */
export async function vrrpMain(
  argv: string[],
  out: Out = (s) => process.stdout.write(s),
  err: Out = (s) => process.stderr.write(s),
): Promise<number> {
  if (argv[0] === 'lint') {
    const r = lintCommand(argv.slice(1));
    (r.exitCode === 2 ? err : out)(r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
    return r.exitCode;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    out(USAGE);
    return 0;
  }
  const args = parseVrrpArgs(argv);
  if (typeof args === 'string') {
    err(`switchyard vrrp: ${args}\n${USAGE}`);
    return 1;
  }
  if (args.test) {
    const r = vrrpConfigTest(args.file, { configId: args.configId });
    for (const l of r.lines) err(`${l}\n`);
    return r.exitCode;
  }
  const { model, diagnostics } = loadKeepalivedConf(args.file, { configId: args.configId });
  // The same refusals as -t, printed the same way (preflight.ts): the two never disagree.
  const refusals = startRefusals(model, diagnostics, { host: true });
  for (const l of startLines(diagnostics, refusals)) err(`${l}\n`);
  if (refusals.length > 0) return 1;
  const log = (m: string) => err(`${new Date().toISOString()} switchyard-vrrp[${process.pid}]: ${m}\n`);
  if (!onPath('arping'))
    log('WARNING: `arping` (iputils-arping) not found: no gratuitous ARP will be sent on becoming MASTER');
  let sidecar: Sidecar;
  let attached: Attached | undefined;
  // Open from start to stop (a reload keeps them, as the FIFO scripts keep running).
  const fifo = new NotifyFifos(model.globalDefs.notifyFifos, log);
  try {
    sidecar = new Sidecar(model, { log, detail: args.detail });
    // Trackers first, so an instance whose tracker fails at startup begins in FAULT.
    attached = await attachTracking(model, sidecar, { log, fifo });
    sidecar.start();
  } catch (e) {
    await attached?.stop();
    fifo.close();
    err(`switchyard vrrp: ${(e as Error).message}\n`);
    return 1;
  }
  let tracking = attached;
  /** Reloads run one at a time; stopping waits for the one in progress. */
  let reloading: Promise<void> = Promise.resolve();
  const reload = async () => {
    log(`SIGHUP received: reloading ${args.file}`);
    const next = loadKeepalivedConf(args.file, { configId: args.configId });
    for (const d of next.diagnostics) err(`${formatDiagnostic(d)}\n`);
    if (
      next.fatal ||
      next.diagnostics.some((d) => d.code === 'KA_FILE_NOT_FOUND') ||
      next.model.instances.length === 0
    ) {
      log(
        'reload aborted: the file is unreadable, has a fatal error or defines no vrrp_instance; the running config stays',
      );
      return;
    }
    try {
      await tracking.stop();
      sidecar.clearStateListeners();
      const r = await sidecar.reload(next.model);
      tracking = await attachTracking(next.model, sidecar, { log, fifo });
      log(
        `reloaded: kept [${r.kept.join(' ')}], priority changed [${r.reprioritized.join(' ')}], ` +
          `restarted or started [${r.started.join(' ')}], stopped [${r.stopped.join(' ')}]` +
          (r.failed.length ? `, failed [${r.failed.join('; ')}]` : ''),
      );
    } catch (e) {
      // A config that cannot run is refused as a whole: the old instances keep running; re-attach their trackers.
      log(`reload refused: ${(e as Error).message}`);
      tracking = await attachTracking(sidecar.conf, sidecar, { log, fifo });
    }
  };
  for (const p of args.pidFiles) {
    try {
      writeFileSync(p, `${process.pid}\n`);
    } catch (e) {
      log(`cannot write pid file ${p}: ${(e as Error).message}`);
    }
  }
  log(`started, ${sidecar.instances.length} instance(s) from ${args.file}`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log(`${sig} received: stopping (priority 0 adverts, removing VIPs)`);
      fifo.stopScripts();
      reloading
        .then(() => sidecar.stop())
        .then(() => tracking.stop())
        .then(() => fifo.close())
        .then(
          () => finish(0),
          (e) => {
            log(`error while stopping: ${(e as Error).message}`);
            finish(1);
          },
        );
    };
    const onHup = () => {
      if (stopping) return;
      reloading = reloading.then(reload).catch((e) => log(`reload failed: ${(e as Error).message}`));
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    const finish = (code: number) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
      for (const p of args.pidFiles) {
        try {
          unlinkSync(p);
        } catch {
          // Already removed: nothing to clean.
        }
      }
      log('stopped');
      resolve(code);
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  });
}
