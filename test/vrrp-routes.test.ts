/**
 * virtual_routes / virtual_rules / static_ipaddress / static_routes / static_rules, differential
 * against Debian's keepalived 2.2.7: the same file run by keepalived and then by Switchyard in the
 * same namespace leaves the same `ip route show table all` and `ip rule` output while MASTER, and
 * the namespace as it was after SIGTERM. A higher-priority peer then pushes the Switchyard node to
 * BACKUP: the virtual routes and rules go, the static ones stay. Root only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { Lab, type LabProc, waitFor, waitOutput } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'keepalived');
const S = 178;
const gw = `192.168.${S}.254`;
const vip = `192.168.${S}.100`;

function conf(name: string, priority: number, withStatic = true): string {
  return `global_defs {
  router_id ${name}
  vrrp_garp_master_delay 0
  vrrp_garp_master_repeat 1
}
${
  withStatic
    ? `static_ipaddress {
  10.77.0.1/32 dev eth0
  10.77.0.2/32
}
static_routes {
  10.78.0.0/24 via ${gw} dev eth0
  blackhole 10.79.0.0/24
  fd00:79::/64 via fd00:${S}::254 dev eth0 metric 7 inet6
  inet6 fd00:7a::/64 via fd00:${S}::254 dev eth0
}
static_rules {
  from 10.77.0.1 table 200 priority 300
  to 10.77.9.0/24 table 200
}
`
    : ''
}vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 78
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${vip}/24
  }
  virtual_routes {
    src ${vip} to 10.80.0.0/24 via ${gw} dev eth0
    10.81.0.0/24 dev eth0 scope link metric 50 table 100
    unreachable 10.82.0.0/24 table 100 no_track
    prohibit 10.83.0.0/24
    10.84.0.0/24 via ${gw} dev eth0 protocol static no_track append
    10.85.0.0/24 nexthop via 192.168.${S}.253 dev eth0 weight 1 nexthop via ${gw} dev eth0 weight 2
    default via ${gw} table 101
    10.86.0.0/24 dev eth0 mtu lock 1400 advmss 1300 initcwnd 10 tos 0x10
    10.87.0.0/24 via ${gw} or 192.168.${S}.253 dev eth0
    inet6 fd00:80::/64 via fd00:${S}::254 dev eth0
  }
  virtual_rules {
    from ${vip} table 100 priority 100
    to 10.90.0.0/24 table 101 priority 101 no_track
    fwmark 0x10/0xff table 100 priority 102
    to 10.91.0.0/24 blackhole priority 104
    from fd00:${S}::100 table 100 priority 105
    to fd00:91::/64 table 100 priority 108 inet6
    priority 106 goto 110
    not from 10.92.0.0/24 lookup main priority 107 iif eth0
  }
}
`;
}

/** What the test looks at: every route of every table but the kernel's own, and the rules. */
function snapshot(ns: string): string {
  const run = (args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
  const routes = [
    ...run(['-4', 'route', 'show', 'table', 'all']).split('\n'),
    ...run(['-6', 'route', 'show', 'table', 'all']).split('\n'),
  ]
    .filter((l) => l && !/proto kernel|^local |^multicast |^broadcast |^anycast |^fe80::/.test(l))
    .sort();
  const rules = [...run(['-4', 'rule']).split('\n'), ...run(['-6', 'rule']).split('\n')].filter(Boolean);
  const addrs = run(['-o', 'addr', 'show', 'dev', 'eth0'])
    .split('\n')
    .map((l) => /inet6? (\S+)/.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith('fe80'))
    .sort();
  return [...routes, '--', ...rules, '--', ...addrs].join('\n');
}

test('routes, rules and static entries: Switchyard leaves what keepalived 2.2.7 leaves (MASTER, then stopped)', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const lab = new Lab('routes', S);
  t.after(() => lab.cleanup());
  const ns = lab.node('n', 1, true);
  const before = snapshot(ns);
  const text = conf('n', 100);
  const runOne = async (p: LabProc, ka: boolean): Promise<string> => {
    assert.ok((await waitFor(() => lab.hasAddr(ns, vip), 20_000)) >= 0, p.output());
    // Routes and rules come just after the VIP: wait until the snapshot settles.
    let snap = '';
    await waitFor(() => {
      const s = snapshot(ns);
      const same = s === snap && s.includes('fd00:80::') && s.includes('107:');
      snap = s;
      return same;
    }, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    snap = snapshot(ns);
    if (ka) await lab.killKeepalived(p, 'KA', 'SIGTERM');
    else assert.equal(await lab.kill(p, 'SIGTERM'), 0, p.output());
    return snap;
  };
  const ka = await runOne(lab.keepalived(ns, 'KA', text), true);
  assert.ok((await waitFor(() => snapshot(ns) === before, 10_000)) >= 0, `keepalived left:\n${snapshot(ns)}`);
  const sy = lab.sidecar(ns, 'SY', text);
  const ours = await runOne(sy, false);
  assert.equal(ours, ka, `switchyard vs keepalived while MASTER\n${sy.output()}`);
  assert.equal(snapshot(ns), before, 'switchyard left entries behind after SIGTERM');
  // `X via A or B dev IF` puts dev on the route and none on the hops: the kernel refuses it from
  // keepalived too (absent from both snapshots); nothing else may fail.
  const failed = sy
    .output()
    .split('\n')
    .filter((l) => /cannot (add|remove)/.test(l));
  assert.deepEqual(
    failed.map((l) => /'(\S+)/.exec(l)?.[1]),
    ['10.87.0.0/24'],
    failed.join('\n'),
  );
  t.diagnostic(`${ka.split('\n').length} lines of routes, rules and addresses identical`);
});

test('leaving MASTER removes the virtual routes and rules; static ones stay until stop', {
  skip: needsRoot('ip'),
  timeout: 120_000,
}, async (t) => {
  const lab = new Lab('routes2', S);
  t.after(() => lab.cleanup());
  const a = lab.node('a', 1, true);
  const b = lab.node('b', 2, true);
  const route = (ns: string, table: string) => {
    try {
      return execFileSync('ip', ['-n', ns, 'route', 'show', 'table', table], { encoding: 'utf8', stdio: 'pipe' });
    } catch {
      return ''; // "FIB table does not exist": nothing in it
    }
  };
  const rules = (ns: string) => execFileSync('ip', ['-n', ns, 'rule'], { encoding: 'utf8' });
  const rules6 = (ns: string) => execFileSync('ip', ['-n', ns, '-6', 'rule'], { encoding: 'utf8' });
  const pa = lab.sidecar(a, 'A', conf('a', 100));
  // Rules come last: once the last one is there, everything is.
  assert.ok((await waitFor(() => /108:.*fd00:91::/.test(rules6(a)), 20_000)) >= 0, pa.output());
  assert.match(route(a, '100'), /10\.81\.0\.0\/24/);
  assert.match(rules(a), /100:\s+from 192\.168\.178\.100 lookup 100 proto keepalived/);
  assert.match(route(a, 'main'), /10\.78\.0\.0\/24 via 192\.168\.178\.254 dev eth0 proto keepalived/);
  // A higher priority peer: A goes BACKUP.
  const pb = lab.sidecar(b, 'B', conf('b', 200, false));
  assert.ok((await waitOutput(pa, /Entering BACKUP STATE/, 20_000)) === true, pa.output());
  assert.ok((await waitFor(() => !route(a, '100').includes('10.81.0.0/24'), 10_000)) >= 0, route(a, '100'));
  assert.ok((await waitFor(() => route(b, '100').includes('10.81.0.0/24'), 10_000)) >= 0, pb.output());
  assert.ok((await waitFor(() => !/fd00:91::/.test(rules6(a)), 10_000)) >= 0, rules6(a));
  assert.doesNotMatch(rules(a), /from 192\.168\.178\.100 lookup 100/);
  assert.doesNotMatch(route(a, 'main'), /10\.80\.0\.0|10\.83\.0\.0/);
  // Static entries stay on the BACKUP.
  assert.match(route(a, 'main'), /10\.78\.0\.0\/24 via/);
  assert.match(rules(a), /300:\s+from 10\.77\.0\.1 lookup 200/);
  assert.ok(lab.hasAddr(a, '10.77.0.1') && lab.hasAddr(a, '10.77.0.2'));
  assert.equal(await lab.kill(pa, 'SIGTERM'), 0, pa.output());
  assert.doesNotMatch(route(a, 'main'), /10\.78\.0\.0/);
  assert.doesNotMatch(rules(a), /lookup 200/);
  assert.equal(lab.hasAddr(a, '10.77.0.1'), false);
});
