/**
 * Test helpers for things outside Node: system binaries and root privileges.
 * A test that needs a missing binary is skipped with a clear message, except under CI=true,
 * where a missing binary is a failure (CI installs everything the suite needs).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';

const PATHS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin'];

/** Debian's PostgreSQL keeps its server programs in /usr/lib/postgresql/VERSION/bin. */
function postgresDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

/** The Debian package of a program, where its name differs. */
const PACKAGES: Record<string, string> = {
  mariadbd: 'mariadb-server',
  'mariadb-install-db': 'mariadb-server',
  mariadb: 'mariadb-client',
  postgres: 'postgresql',
  initdb: 'postgresql',
  promtool: 'prometheus',
};

/** Absolute path of a binary, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...PATHS, ...postgresDirs()]) {
    if (!dir) continue;
    const p = `${dir}/${name}`;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/**
 * For `test(name, { skip: needs('haproxy', 'redis-server') }, fn)`: false when all binaries are
 * present, else a skip message. Under CI=true a missing binary throws instead, failing the file.
 */
export function needs(...names: string[]): false | string {
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length === 0) return false;
  const pkgs = [...new Set(missing.map((n) => PACKAGES[n] ?? n))];
  const msg = `needs ${missing.join(', ')} (apt-get install ${pkgs.join(' ')})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  return msg;
}

/** Like needs(), and also root (network namespaces, raw sockets). */
export function needsRoot(...names: string[]): false | string {
  const bin = needs(...names);
  if (bin) return bin;
  if (process.getuid?.() !== 0) {
    const msg = 'needs root (network namespaces / raw sockets)';
    if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
    return msg;
  }
  return false;
}

/** Runs a command and returns its stdout (throws with stderr on failure). */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
