/** Resolves `user [group]` for scripts to uid/gid from /etc/passwd and /etc/group (root only). */
import { readFileSync } from 'node:fs';

/** Credentials to run a child with. */
export interface RunAs {
  uid: number;
  gid: number;
}

function lookup(file: string, name: string): string[] | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return f;
    }
  } catch {}
  return undefined;
}

/**
 * uid/gid for `user` (and `group`, default the user's primary group); a message when unknown.
 * When we are not root we cannot switch users: undefined (run as ourselves), as the sidecar must.
 */
export function resolveRunAs(user: string, group?: string): RunAs | string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const pw = /^\d+$/.test(user) ? ['', '', user, user] : lookup('/etc/passwd', user);
  if (!pw) return `unknown script user '${user}'`;
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const gr = /^\d+$/.test(group) ? ['', '', group] : lookup('/etc/group', group);
    if (!gr) return `unknown script group '${group}'`;
    gid = Number(gr[2]);
  }
  return { uid: Number(pw[2]), gid };
}
