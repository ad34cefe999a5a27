/**
 * keepalived's `no_accept` (implied by `vrrp_strict`): a MASTER that does not own its VIPs drops
 * traffic to and from them. keepalived 2.2.7, built for nftables as Debian's is, writes the table
 * below when the first such VIP comes up and deletes it when it stops; this writes the same one
 * with `nft`, so `nft list ruleset` reads the same under either daemon:
 *
 *   table ip keepalived {
 *     set vips { type ipv4_addr }
 *     chain out { type filter hook output priority filter - 1; policy accept; ip saddr @vips drop }
 *     chain in  { type filter hook input priority filter - 1; policy accept; ip daddr @vips drop }
 *   }
 *
 * (`ip6 keepalived` with ipv6_addr for IPv6 VIPs.) Several instances share the table; an address
 * leaves the set when the last instance holding it leaves MASTER.
 */
import { runCommand } from './ip-command.ts';

type Family = 'ip' | 'ip6';

/** The nft table of one address family, created on first use. */
class FamilyTable {
  private ready: Promise<string | undefined> | undefined;
  private readonly held = new Map<string, number>();

  constructor(
    private readonly family: Family,
    private readonly nft: string,
  ) {}

  private run(args: string[]): Promise<string | undefined> {
    return runCommand(this.nft, args).then((r) => (r.ok ? undefined : `nft ${args.join(' ')}: ${r.stderr.trim()}`));
  }

  private create(): Promise<string | undefined> {
    const f = this.family;
    const type = f === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
    // nft joins its arguments into one command line
    const chain = (name: string, hook: string) =>
      `add chain ${f} keepalived ${name} { type filter hook ${hook} priority filter - 1 ; policy accept ; }`.split(' ');
    const steps = [
      ['add', 'table', f, 'keepalived'],
      ['add', 'set', f, 'keepalived', 'vips', '{', 'type', type, ';', '}'],
      chain('out', 'output'),
      ['add', 'rule', f, 'keepalived', 'out', f, 'saddr', '@vips', 'drop'],
      chain('in', 'input'),
      ['add', 'rule', f, 'keepalived', 'in', f, 'daddr', '@vips', 'drop'],
    ];
    return steps.reduce<Promise<string | undefined>>(
      (p, s) => p.then((e) => e ?? this.run(s)),
      Promise.resolve(undefined),
    );
  }

  async add(addr: string): Promise<string | undefined> {
    this.ready ??= this.create();
    const err = await this.ready;
    if (err) {
      this.ready = undefined; // try again on the next MASTER
      return err;
    }
    const n = this.held.get(addr) ?? 0;
    this.held.set(addr, n + 1);
    if (n > 0) return undefined;
    return this.run(['add', 'element', this.family, 'keepalived', 'vips', '{', addr, '}']);
  }

  async remove(addr: string): Promise<string | undefined> {
    const n = this.held.get(addr) ?? 0;
    if (n === 0) return undefined;
    if (n > 1) {
      this.held.set(addr, n - 1);
      return undefined;
    }
    this.held.delete(addr);
    return this.run(['delete', 'element', this.family, 'keepalived', 'vips', '{', addr, '}']);
  }

  async destroy(): Promise<string | undefined> {
    if (!this.ready) return undefined;
    this.ready = undefined;
    this.held.clear();
    return this.run(['delete', 'table', this.family, 'keepalived']);
  }
}

/** The `no_accept` drop rules of one sidecar process. */
export class NoAcceptFirewall {
  private readonly tables: Record<Family, FamilyTable>;

  constructor(nft = 'nft') {
    this.tables = { ip: new FamilyTable('ip', nft), ip6: new FamilyTable('ip6', nft) };
  }

  private of(addr: string): FamilyTable {
    return this.tables[addr.includes(':') ? 'ip6' : 'ip'];
  }

  /** Puts the addresses in the drop set; returns the errors (e.g. nft missing). */
  async hold(addrs: readonly string[]): Promise<string[]> {
    const errs = await Promise.all(addrs.map((a) => this.of(a).add(a)));
    return errs.filter((e): e is string => e !== undefined);
  }

  async release(addrs: readonly string[]): Promise<string[]> {
    const errs = await Promise.all(addrs.map((a) => this.of(a).remove(a)));
    return errs.filter((e): e is string => e !== undefined);
  }

  /** Deletes the tables this process created (the sidecar stopping). */
  async destroy(): Promise<string[]> {
    const errs = await Promise.all([this.tables.ip.destroy(), this.tables.ip6.destroy()]);
    return errs.filter((e): e is string => e !== undefined);
  }
}

/** The process's one set of tables (keepalived's, too, is one per daemon). */
export const noAcceptFirewall = new NoAcceptFirewall();
