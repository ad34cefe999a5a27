/**
 * Real servers from Debian's packages for tests, each on a free loopback port with its own
 * temporary data: MariaDB (mariadb-server), PostgreSQL (postgresql), redis-server, Postfix, an
 * SMTP server (python3's smtpd module) and a TLS server (openssl s_server). Each returns a handle whose
 * stop() ends the process it started (by its pid) and removes its data.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, tempDir } from './proxy.ts';
import { findBinary } from './system.ts';

export interface RealServer {
  port: number;
  proc: ChildProcess;
  /** Output of the server so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Resolves once a TCP connection to `port` opens (or rejects after `ms`). */
export async function waitForPort(port: number, ms = 20000, proc?: ChildProcess): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (proc && proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}) before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms}ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function launch(cmd: string, args: string[], opts: { cwd?: string; uid?: number; gid?: number } = {}) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  return { proc, log: () => out };
}

/** Stops a process we started, by its pid, and waits for its exit. */
async function stopProc(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(t);
}

/** redis-server without persistence. */
export async function startRedis(): Promise<RealServer> {
  const port = await freePort();
  const { proc, log } = launch('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitForPort(port, 20000, proc);
  return { port, proc, log, stop: () => stopProc(proc) };
}

/**
 * mariadbd with a fresh datadir (mariadb-install-db), and `sql` run as root once it is up
 * (e.g. "CREATE USER 'haproxy'@'localhost'" for mysql-check).
 */
export async function startMariadb(sql = ''): Promise<RealServer> {
  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  const sock = join(tmp.dir, 'mysqld.sock');
  const root = process.getuid?.() === 0 ? ['--user=root'] : [];
  const install = [
    '--no-defaults',
    `--datadir=${data}`,
    ...root,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ];
  try {
    execFileSync('mariadb-install-db', install, { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    tmp.cleanup();
    throw new Error(`${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
  const port = await freePort();
  const { proc, log } = launch('mariadbd', [
    '--no-defaults',
    `--datadir=${data}`,
    ...root,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${sock}`,
    `--pid-file=${join(tmp.dir, 'mysqld.pid')}`,
    '--skip-log-bin',
    '--innodb-buffer-pool-size=16M',
  ]);
  await waitForPort(port, 30000, proc);
  if (sql) execFileSync('mariadb', ['--no-defaults', '-S', sock, '-uroot', '-e', sql], { stdio: 'ignore' });
  return {
    port,
    proc,
    log,
    stop: async () => {
      await stopProc(proc);
      tmp.cleanup();
    },
  };
}

/** PostgreSQL with a fresh cluster in `trust` mode (superuser `pg`); runs as `postgres` when we are root. */
export async function startPostgres(): Promise<RealServer> {
  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  mkdirSync(data);
  const ids = process.getuid?.() === 0 ? postgresIds() : undefined;
  if (ids) {
    chownSync(tmp.dir, ids.uid, ids.gid);
    chownSync(data, ids.uid, ids.gid);
  }
  const initdb = findBinary('initdb') as string;
  const postgres = findBinary('postgres') as string;
  execFileSync(initdb, ['-D', data, '-A', 'trust', '-U', 'pg', '--no-sync'], { stdio: 'ignore', ...ids });
  const port = await freePort();
  const { proc, log } = launch(
    postgres,
    ['-D', data, '-p', String(port), '-k', tmp.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    ids ?? {},
  );
  await waitForPort(port, 30000, proc);
  return {
    port,
    proc,
    log,
    stop: async () => {
      await stopProc(proc, 'SIGINT');
      tmp.cleanup();
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** An SMTP server: python3's smtpd (Python 3.11, Debian bookworm) answering 220 / 250 / 221. */
export async function startSmtp(): Promise<RealServer> {
  const port = await freePort();
  const { proc, log } = launch('python3', [
    '-W',
    'ignore',
    '-m',
    'smtpd',
    '-n',
    '-c',
    'DebuggingServer',
    `127.0.0.1:${port}`,
  ]);
  await waitForPort(port, 20000, proc);
  return { port, proc, log, stop: () => stopProc(proc) };
}

/** openssl s_server with a fresh self-signed certificate. */
export async function startTlsServer(): Promise<RealServer> {
  const tmp = tempDir();
  const key = join(tmp.dir, 'key.pem');
  const cert = join(tmp.dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=test'],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const { proc, log } = launch('openssl', [
    's_server',
    '-accept',
    `127.0.0.1:${port}`,
    '-cert',
    cert,
    '-key',
    key,
    '-quiet',
  ]);
  await waitForPort(port, 20000, proc);
  return {
    port,
    proc,
    log,
    stop: async () => {
      await stopProc(proc);
      if (existsSync(tmp.dir)) rmSync(tmp.dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private Postfix instance (Debian's postfix, run as root) with its own configuration, queue and
 * data folders, smtpd on a loopback port; `proxyProtocol` makes smtpd expect a PROXY header first
 * (`smtpd_upstream_proxy_protocol = haproxy`), as behind a `send-proxy` balancer; `mainCf` adds
 * lines to its main.cf.
 */
export async function startPostfix(
  opts: { proxyProtocol?: boolean /** more main.cf lines */; mainCf?: string } = {},
): Promise<Omit<RealServer, 'proc'>> {
  const tmp = tempDir();
  const conf = join(tmp.dir, 'conf');
  const queue = join(tmp.dir, 'queue');
  const data = join(tmp.dir, 'data');
  for (const dir of [conf, queue, data]) mkdirSync(dir);
  // Postfix's own checks: the data folder belongs to its mail owner, no parent is writable by it.
  chownSync(data, Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).trim()), 0);
  chmodSync(tmp.dir, 0o755);
  const port = await freePort();
  writeFileSync(
    join(conf, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test
mydestination =
mynetworks = 127.0.0.0/8
default_transport = discard
relay_transport = discard
smtpd_banner = $myhostname ESMTP
${opts.proxyProtocol ? 'smtpd_upstream_proxy_protocol = haproxy\n' : ''}${opts.mainCf ?? ''}`,
  );
  // Debian's master.cf with our port for smtpd and no chroot (the private queue has none).
  const master = readFileSync('/etc/postfix/master.cf', 'utf8')
    .split('\n')
    .map((l) => (/^smtp\s+inet\s/.test(l) ? `127.0.0.1:${port} inet n - n - - smtpd` : l))
    .map((l) => l.replace(/^(\S+\s+\S+\s+\S+\s+\S+\s+)y(\s)/, '$1n$2'))
    .join('\n');
  writeFileSync(join(conf, 'master.cf'), master);
  execFileSync('postfix', ['-c', conf, 'start'], { stdio: 'ignore', timeout: 30000 });
  await waitForPort(port, 20000);
  return {
    port,
    log: () => '',
    stop: async () => {
      try {
        execFileSync('postfix', ['-c', conf, 'stop'], { stdio: 'ignore', timeout: 30000 });
      } catch {}
      tmp.cleanup();
    },
  };
}

/** rsyslogd on a private unix datagram socket (imuxsock), writing what it receives to files. */
export interface Rsyslog {
  /** The socket to log to (`log unix@SOCKET ...`): sockets[0]. */
  socket: string;
  /** Each socket rsyslog listens on (one imuxsock input each). */
  sockets: string[];
  proc: ChildProcess;
  /** Each message as received (`%rawmsg%`), one per line. */
  raw(): string[];
  /** Each message as rsyslog parsed it: `FACILITY.SEVERITY MSG-WITH-TAG`. */
  parsed(): string[];
  stop(): Promise<void>;
}

/** Starts Debian's rsyslogd in the foreground with its own config, socket and work directory. */
/**
 * rsyslogd listening on `count` private unix datagram sockets. A unix datagram socket queues at
 * most net.unix.max_dgram_qlen (10) datagrams beyond the one being read: a sender (haproxy,
 * Switchyard) then gets EAGAIN and drops the line, so a test expecting every line must keep each
 * socket's burst under that, whatever the scheduler does.
 */
export async function startRsyslog(count = 1): Promise<Rsyslog> {
  const tmp = tempDir();
  const sockets = Array.from({ length: count }, (_, i) => join(tmp.dir, `log${i}.sock`));
  const conf = join(tmp.dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${tmp.dir}")
module(load="imuxsock" SysSock.Use="off")
${sockets.map((s) => `input(type="imuxsock" Socket="${s}" RateLimit.Interval="0")`).join('\n')}
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="parsed" type="string" string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\\n")
*.* action(type="omfile" file="${tmp.dir}/raw.log" template="raw" flushOnTXEnd="on" asyncWriting="off")
*.* action(type="omfile" file="${tmp.dir}/parsed.log" template="parsed" flushOnTXEnd="on" asyncWriting="off")
`,
  );
  const { proc, log } = launch('rsyslogd', ['-n', '-f', conf, '-i', join(tmp.dir, 'rsyslogd.pid')]);
  const deadline = Date.now() + 20000;
  while (!sockets.every((s) => existsSync(s))) {
    if (proc.exitCode !== null) throw new Error(`rsyslogd exited (${proc.exitCode}): ${log()}`);
    if (Date.now() > deadline) throw new Error(`rsyslogd did not create ${sockets.join(', ')}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const lines = (f: string) => {
    try {
      return readFileSync(join(tmp.dir, f), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    socket: sockets[0],
    sockets,
    proc,
    raw: () => lines('raw.log'),
    parsed: () => lines('parsed.log'),
    stop: async () => {
      await stopProc(proc);
      tmp.cleanup();
    },
  };
}
