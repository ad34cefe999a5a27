/** Global keywords Switchyard accepts with a warning, refuses, or applies to `${VAR}` expansion. */
import { err, type LineCtx, need } from './state.ts';

/** Keywords of a Node process's world that HAProxy needs and Switchyard does not: what to do instead. */
export const IGNORED: Record<string, string> = {
  daemon: "'daemon' ignored: Switchyard runs in the foreground; use systemd (deploy/switchyard.service)",
  nbproc: "'nbproc' ignored: use 'nbthread N' or --workers N",
  user: "'user' ignored: run Switchyard as that user from systemd (User=)",
  group: "'group' ignored: run Switchyard as that group from systemd (Group=)",
  uid: "'uid' ignored: run Switchyard as that user from systemd (User=)",
  gid: "'gid' ignored: run Switchyard as that group from systemd (Group=)",
  chroot: "'chroot' ignored: use systemd's RootDirectory=/ProtectSystem=",
  'ulimit-n': "'ulimit-n' ignored: set LimitNOFILE= in the systemd unit",
  quiet: "'quiet' ignored: Switchyard prints only warnings and errors at start",
  debug: "'debug' ignored: use --verbose for more output",
  'cpu-map': "'cpu-map' ignored: Node manages its own threads; pin with systemd's CPUAffinity=",
  maxpipes: "'maxpipes' ignored: Switchyard does not splice through pipes",
  'tune.maxaccept': "'tune.maxaccept' ignored: Node accepts connections on its event loop",
  'stats bind-process': "'stats bind-process' ignored: there is one runtime API per Switchyard process group",
  'stats maxconn': "'stats maxconn' ignored: the runtime API accepts connections without a separate limit",
  nosplice: "'nosplice' ignored: Switchyard does not use splice()",
  noepoll: "'noepoll' ignored: Node selects its own poller",
  'profiling.tasks': "'profiling.tasks' ignored: use node --cpu-prof to profile Switchyard",
  'strict-limits':
    "'strict-limits' ignored: Switchyard does not raise its file limits; set LimitNOFILE= in the systemd unit",
  maxsslconn: "'maxsslconn' ignored: 'maxconn' limits TLS connections too",
  maxconnrate: "'maxconnrate' ignored: Switchyard does not limit the accept rate; use a stick-table rate limit",
  maxsessrate: "'maxsessrate' ignored: Switchyard does not limit the session rate; use a stick-table rate limit",
  maxsslrate: "'maxsslrate' ignored: Switchyard does not limit the TLS handshake rate",
  maxcomprate:
    "'maxcomprate' ignored: Switchyard does not limit the compression rate (responses are compressed whatever the rate)",
  maxcompcpuusage:
    "'maxcompcpuusage' ignored: Switchyard does not stop compressing under CPU load (zlib runs on Node's thread pool)",
  maxzlibmem: "'maxzlibmem' ignored: Switchyard does not bound the memory of its compressors",
  nogetaddrinfo: "'nogetaddrinfo' ignored: Node resolves host names",
  noreuseport: "'noreuseport' ignored: Node decides SO_REUSEPORT",
  'busy-polling': "'busy-polling' ignored: Node's event loop does not busy-poll",
  'set-dumpable': "'set-dumpable' ignored: use systemd's LimitCORE= for core dumps",
  'thread-groups': "'thread-groups' ignored: use --workers N",
  'numa-cpu-mapping': "'numa-cpu-mapping' ignored: pin with systemd's CPUAffinity=",
  'ssl-mode-async': "'ssl-mode-async' ignored: Node's TLS is used as is",
  'ssl-engine': "'ssl-engine' ignored: Node's OpenSSL is used as is",
  'issuers-chain-path': "'issuers-chain-path' ignored: put the full chain in the PEM",
  'insecure-fork-wanted': "'insecure-fork-wanted' ignored: Switchyard runs no external checks",
  'insecure-setuid-wanted': "'insecure-setuid-wanted' ignored: Switchyard runs no external checks",
  'expose-experimental-directives':
    "'expose-experimental-directives' ignored: Switchyard has no experimental directives",
  'fd-hard-limit': "'fd-hard-limit' ignored: set LimitNOFILE= in the systemd unit",
  'mworker-max-reloads':
    "'mworker-max-reloads' ignored: an old worker stays until its connections end (or 'hard-stop-after')",
  'cluster-secret': "'cluster-secret' ignored: Switchyard has no QUIC",
  localpeer: "'localpeer' ignored: Switchyard shares tables through Redis ('redis-url'), not peers",
  'unix-bind': "'unix-bind' ignored: set 'mode' on each unix socket",
  'h1-case-adjust': "'h1-case-adjust' ignored: Node writes header names as given",
  'h1-case-adjust-file': "'h1-case-adjust-file' ignored: Node writes header names as given",
  'pp2-never-send-local': "'pp2-never-send-local' ignored: Switchyard does not send the PROXY protocol",
  grace: "'grace' ignored: use 'hard-stop-after'",
  'external-check': "'external-check' ignored: Switchyard runs no external checks; use 'agent-check'",
};

/** Global keyword prefixes of HAProxy modules Switchyard does not have: refused. */
export const UNSUPPORTED_PREFIXES: Array<[string, string]> = [
  ['lua-', 'Lua is not supported'],
  ['wurfl-', 'WURFL device detection is not supported'],
  ['51degrees-', '51Degrees device detection is not supported'],
  ['deviceatlas-', 'DeviceAtlas device detection is not supported'],
  ['httpclient.', 'the HTTP client settings do not apply: Switchyard has no Lua/httpclient'],
];

/**
 * `setenv`, `presetenv`, `unsetenv`, `resetenv`: as HAProxy, they change the environment used to
 * expand `"${VAR}"` on the following lines (Switchyard applies them at parse time only).
 */
export const GLOBAL_ENV_KEYWORDS: Record<string, (ctx: LineCtx) => void> = {
  setenv: (ctx) => {
    const n = need(ctx, 1, 'a name and a value');
    if (n === undefined || need(ctx, 2, 'a value') === undefined) return;
    if (ctx.args.length > 3) return void err(ctx, 'CFG_EXTRA_ARGS', `'setenv ${n}': quote the value if it has spaces`);
    ctx.env[n] = ctx.args[2];
  },
  presetenv: (ctx) => {
    const n = need(ctx, 1, 'a name and a value');
    if (n === undefined || need(ctx, 2, 'a value') === undefined) return;
    if (ctx.args.length > 3)
      return void err(ctx, 'CFG_EXTRA_ARGS', `'presetenv ${n}': quote the value if it has spaces`);
    if (ctx.env[n] === undefined) ctx.env[n] = ctx.args[2];
  },
  unsetenv: (ctx) => {
    if (need(ctx, 1, 'at least one name') === undefined) return;
    for (const n of ctx.args.slice(1)) delete ctx.env[n];
  },
  resetenv: (ctx) => {
    const keep = new Set(ctx.args.slice(1));
    for (const n of Object.keys(ctx.env)) if (!keep.has(n)) delete ctx.env[n];
  },
};
