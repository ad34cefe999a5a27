/**
 * Test helpers for things outside Node: system binaries and root privileges.
 * A test that needs a missing binary is skipped with a message naming the Debian package, except
 * under CI=true, where a missing binary is a failure (CI installs everything the suite needs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';

const PATHS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin'];

/** Debian's PostgreSQL keeps its server programs (postgres, initdb) in /usr/lib/postgresql/VERSION/bin. */
function postgresDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

/**
 * Absolute path of a binary, or undefined. Looks in PATH, then the system folders a non-root PATH
 * may leave out (haproxy is in /usr/sbin); SWITCHYARD_TEST_PATH_ONLY=1 looks in PATH only (the
 * test of needs() uses it to make a program missing).
 */
export function findBinary(name: string): string | undefined {
  const fallback = process.env.SWITCHYARD_TEST_PATH_ONLY === '1' ? [] : [...PATHS, ...postgresDirs()];
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...fallback]) {
    if (!dir) continue;
    const p = `${dir}/${name}`;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** Debian 12 package of each program the tests run (`apt-get install` takes package names). */
const DEBIAN_PACKAGE: Record<string, string> = {
  arping: 'iputils-arping',
  chromium: 'chromium',
  curl: 'curl',
  dnsmasq: 'dnsmasq',
  h2load: 'nghttp2-client',
  nghttp: 'nghttp2-client',
  haproxy: 'haproxy',
  hatop: 'hatop',
  ip: 'iproute2',
  initdb: 'postgresql',
  keepalived: 'keepalived',
  mariadb: 'mariadb-client',
  'mariadb-install-db': 'mariadb-server',
  mariadbd: 'mariadb-server',
  mkpasswd: 'whois',
  nft: 'nftables',
  nginx: 'nginx-light',
  openssl: 'openssl',
  ping: 'iputils-ping',
  postgres: 'postgresql',
  postfix: 'postfix',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  python3: 'python3',
  'redis-cli': 'redis-tools',
  'redis-sentinel': 'redis-sentinel',
  'redis-server': 'redis-server',
  rsyslogd: 'rsyslog',
  socat: 'socat',
  tcpdump: 'tcpdump',
  tmux: 'tmux',
  wrk: 'wrk',
};

/** The package to install for `bin`; a program missing from the table is a mistake in the test. */
export function debianPackage(bin: string): string {
  const pkg = DEBIAN_PACKAGE[bin];
  if (!pkg) throw new Error(`test/helpers/system.ts: no Debian package known for '${bin}'; add it to DEBIAN_PACKAGE`);
  return pkg;
}

const failedInCi = new Set<string>();

/**
 * Under CI=true a missing requirement is a failure counted as one: a failing test named after it,
 * registered where the skipping test is (top level or inside its describe), once per file. (A throw
 * here would fail a describe's callback, which node:test reports as "cancelled", not "fail".)
 */
function requirement(msg: string): string {
  if (process.env.CI !== 'true') return msg;
  const reason = `CI=true and this file ${msg}: CI installs everything the suite needs`;
  if (!failedInCi.has(msg)) {
    failedInCi.add(msg);
    test(reason, () => {
      throw new Error(reason);
    });
  }
  return reason;
}

/**
 * For `test(name, { skip: needs('haproxy', 'redis-server') }, fn)`: false when all binaries are
 * present, else a skip message naming the Debian packages. Under CI=true the test is skipped and a
 * failing test takes its place (see requirement()).
 */
export function needs(...names: string[]): false | string {
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map(debianPackage))];
  return requirement(`needs ${missing.join(', ')} (apt-get install ${packages.join(' ')})`);
}

/** Like needs(), and also root (network namespaces, raw sockets). */
export function needsRoot(...names: string[]): false | string {
  const bin = needs(...names);
  if (bin) return bin;
  if (process.getuid?.() !== 0) return requirement('needs root (network namespaces / raw sockets)');
  return false;
}

/** Runs a command and returns its stdout (throws with stderr on failure). */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Debian's haproxy running in the foreground on `cfg`, its stdout and stderr collected. */
export interface HaproxyProcess {
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `haproxy -db -f cfg` and waits until `ready()` (e.g. a connect to one of its ports)
 * says it serves; throws with haproxy's own messages if it exits first.
 */
export async function startHaproxyProcess(cfg: string, ready: () => Promise<boolean>): Promise<HaproxyProcess> {
  const proc = spawn(findBinary('haproxy') as string, ['-db', '-dR', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => {
    log += d;
  });
  proc.stderr.on('data', (d) => {
    log += d;
  });
  const hx: HaproxyProcess = {
    log: () => log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited (${proc.exitCode}):\n${log}`);
    if (await ready()) return hx;
    if (Date.now() > deadline) {
      await hx.stop();
      throw new Error(`haproxy did not get ready within 10 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True once something accepts connections on the unix socket `path` (a runtime API socket). */
export function unixSocketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
