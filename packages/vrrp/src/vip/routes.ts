/**
 * Routes and rules (`virtual_routes`/`virtual_rules`, `static_routes`/`static_rules`) applied with
 * iproute2's `ip route` / `ip rule`: the config lines were translated to its arguments at parse time
 * (conf/kw-routes.ts), so adding is `ip -4|-6 route prepend|add|append ARGS` or `ip rule add ARGS`,
 * and removing the same arguments with `del`. A route already present counts as added, one already
 * gone as removed; any other failure is logged and the rest carry on (keepalived does the same).
 */
import type { IpRoute, IpRule } from '../conf/model.ts';
import { runCommand } from './ip-command.ts';

/** One route or rule as `ip` commands. */
export interface IpObject {
  kind: 'route' | 'rule';
  add: string[];
  del: string[];
  text: string;
}

/** The `ip` commands of a route. */
export function routeObject(r: IpRoute): IpObject {
  const fam = r.family === 6 ? '-6' : '-4';
  return { kind: 'route', add: [fam, 'route', r.verb, ...r.args], del: [fam, 'route', 'del', ...r.args], text: r.text };
}

/** The `ip` commands of a rule. */
export function ruleObject(r: IpRule): IpObject {
  const fam = r.family === 6 ? '-6' : '-4';
  return { kind: 'rule', add: [fam, 'rule', 'add', ...r.args], del: [fam, 'rule', 'del', ...r.args], text: r.text };
}

/** Adds (in order) or removes (in reverse order) `objs`, logging what failed. */
export async function applyIpObjects(
  objs: readonly IpObject[],
  add: boolean,
  log: (msg: string) => void,
  owner: string,
  ipBin = 'ip',
): Promise<void> {
  const list = add ? objs : [...objs].reverse();
  for (const o of list) {
    const r = await runCommand(ipBin, add ? o.add : o.del);
    if (r.ok) continue;
    if (add && /File exists/i.test(r.stderr)) continue;
    if (!add && /No such process|No such file or directory|Cannot find device|not found/i.test(r.stderr)) continue;
    log(`(${owner}) cannot ${add ? 'add' : 'remove'} ${o.kind} '${o.text}': ${r.stderr.trim()}`);
  }
}
