/**
 * `use_vmac`: the macvlan keepalived 2.2.7 creates for an instance (vrrp_vmac.c), made with `ip
 * link` and /proc/sys the way keepalived makes it with netlink: mode private on the instance's
 * interface, MAC 00:00:5e:00:01:VRID (IPv6 instances 00:00:5e:00:02:VRID), up from start to stop.
 * On the macvlan: arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1; on the base
 * interface arp_ignore 1 and arp_filter 1 (restored at stop), and with all.rp_filter set, every
 * interface's rp_filter raised to it and all.rp_filter 0 (restored at stop), so adverts received
 * on the macvlan are not dropped. IPv6: no generated link-local address; the base interface's
 * EUI-64 one instead (keepalived's set_link_local_address()). Synchronous: it runs once at start.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** What a macvlan needs. */
export interface VmacSpec {
  name: string;
  base: string;
  mac: string;
  family: 4 | 6;
}

/** The macvlan's MAC: the configured one (5 octets get the VRID), else the RFC 5798 virtual MAC. */
export function vmacAddress(vrid: number, family: 4 | 6, configured?: string): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  if (configured) return configured.split(':').length === 5 ? `${configured}:${hex(vrid)}` : configured;
  return `00:00:5e:00:0${family === 6 ? 2 : 1}:${hex(vrid)}`;
}

const sysctlPath = (family: 'ipv4' | 'ipv6', dev: string, key: string) => `/proc/sys/net/${family}/conf/${dev}/${key}`;

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** EUI-64 link-local address from a MAC (RFC 4291 appendix A). */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((x) => Number.parseInt(x, 16));
  b[0] ^= 0x02;
  const w = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5]];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}

/** One instance's macvlan: create() at start, destroy() at stop; both log and never throw. */
export class Vmac {
  private restore: [string, string][] = [];
  created = false;

  constructor(
    readonly spec: VmacSpec,
    private readonly log: (msg: string) => void,
    private readonly ipBin = 'ip',
  ) {}

  private ip(args: string[]): void {
    execFileSync(this.ipBin, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  }

  private set(path: string, value: string, keepOld: boolean): void {
    const old = readSysctl(path);
    if (old === undefined || old === value) return;
    if (keepOld) this.restore.push([path, old]);
    try {
      writeFileSync(path, value);
    } catch (e) {
      this.log(`cannot set ${path} to ${value}: ${(e as Error).message}`);
    }
  }

  /** Creates the macvlan (an existing private macvlan of that name is reused); returns an error message or undefined. */
  create(): string | undefined {
    const { name, base, mac, family } = this.spec;
    try {
      let exists = false;
      try {
        const d = execFileSync(this.ipBin, ['-d', 'link', 'show', 'dev', name], { encoding: 'utf8', stdio: 'pipe' });
        if (!/macvlan mode private/.test(d)) return `interface ${name} already exists and is not a private macvlan`;
        exists = true;
      } catch {
        // Not there: create it.
      }
      if (!exists)
        this.ip(['link', 'add', 'link', base, 'name', name, 'address', mac, 'type', 'macvlan', 'mode', 'private']);
      else this.ip(['link', 'set', 'dev', name, 'address', mac]);
      this.created = !exists;
      if (family === 6) this.ip(['link', 'set', 'dev', name, 'addrgenmode', 'none']);
      this.set(sysctlPath('ipv4', name, 'arp_ignore'), '1', false);
      this.set(sysctlPath('ipv4', name, 'accept_local'), '1', false);
      this.set(sysctlPath('ipv4', name, 'rp_filter'), '0', false);
      this.set(sysctlPath('ipv4', name, 'promote_secondaries'), '1', false);
      this.set(sysctlPath('ipv4', base, 'arp_ignore'), '1', true);
      this.set(sysctlPath('ipv4', base, 'arp_filter'), '1', true);
      if (family === 4) this.lowerRpFilter();
      this.ip(['link', 'set', 'dev', name, 'up']);
      if (family === 6) {
        const baseMac = readSysctl(`/sys/class/net/${base}/address`);
        if (baseMac) {
          try {
            this.ip(['-6', 'addr', 'add', `${linkLocalFromMac(baseMac)}/64`, 'dev', name, 'scope', 'link', 'nodad']);
          } catch (e) {
            if (!/File exists/.test(String((e as { stderr?: unknown }).stderr))) throw e;
          }
        }
      }
      return undefined;
    } catch (e) {
      const err = e as Error & { stderr?: Buffer | string };
      return `Unable to create VMAC interface ${name}: ${String(err.stderr ?? err.message).trim()}`;
    }
  }

  /** keepalived's update of rp_filter for an IPv4 VMAC (all.rp_filter folded into each interface). */
  private lowerRpFilter(): void {
    const all = Number(readSysctl(sysctlPath('ipv4', 'all', 'rp_filter')) ?? 0);
    if (!all) return;
    for (const dev of readdirSync('/proc/sys/net/ipv4/conf')) {
      if (dev === 'all' || dev === this.spec.name) continue;
      const cur = Number(readSysctl(sysctlPath('ipv4', dev, 'rp_filter')) ?? 0);
      if (cur < all) this.set(sysctlPath('ipv4', dev, 'rp_filter'), String(all), true);
    }
    this.set(sysctlPath('ipv4', 'all', 'rp_filter'), '0', true);
  }

  /** Removes the macvlan (if we created it) and restores the sysctls we changed. */
  destroy(): void {
    if (this.created) {
      try {
        this.ip(['link', 'del', 'dev', this.spec.name]);
      } catch (e) {
        this.log(`cannot remove VMAC interface ${this.spec.name}: ${(e as Error).message}`);
      }
      this.created = false;
    }
    for (const [path, value] of this.restore.reverse()) {
      try {
        writeFileSync(path, value);
      } catch {
        // The interface went away with the macvlan, or was removed meanwhile.
      }
    }
    this.restore = [];
  }
}
