/**
 * Interface tracker: polls /sys/class/net/IF/operstate (and carrier when the state is "unknown",
 * as for dummy or tun devices) with async reads. A missing interface is failing.
 */
import { readFile } from 'node:fs/promises';
import { PollingTracker } from './tracker.ts';

/** Options of an interface tracker. */
export interface InterfaceTrackerOptions {
  /** Poll period in ms (default 500). */
  pollMs?: number;
  /** /sys/class/net, overridable for tests. */
  netDir?: string;
  log?: (msg: string) => void;
}

/** Reads whether `ifname` is up: operstate "up", or "unknown" with carrier 1. */
export async function interfaceUp(ifname: string, netDir = '/sys/class/net'): Promise<{ up: boolean; why: string }> {
  let state: string;
  try {
    state = (await readFile(`${netDir}/${ifname}/operstate`, 'utf8')).trim();
  } catch {
    return { up: false, why: `interface ${ifname} does not exist` };
  }
  if (state === 'up') return { up: true, why: `interface ${ifname} is up` };
  if (state === 'unknown') {
    try {
      const carrier = (await readFile(`${netDir}/${ifname}/carrier`, 'utf8')).trim();
      if (carrier === '1') return { up: true, why: `interface ${ifname} has carrier` };
    } catch {
      // Reading carrier fails with EINVAL while the device is administratively down.
    }
  }
  return { up: false, why: `interface ${ifname} is ${state}` };
}

/** Tracks the link state of one interface. */
export class InterfaceTracker extends PollingTracker {
  readonly label: string;
  private readonly pollMs: number;
  private readonly netDir: string;
  private readonly log: (msg: string) => void;

  constructor(
    readonly ifname: string,
    opts: InterfaceTrackerOptions = {},
  ) {
    // Assume up until the first read says otherwise: the first poll runs immediately.
    super(true);
    this.label = `interface ${ifname}`;
    this.pollMs = opts.pollMs ?? 500;
    this.netDir = opts.netDir ?? '/sys/class/net';
    this.log = opts.log ?? (() => {});
  }

  protected get intervalMs(): number {
    return this.pollMs;
  }

  /** Reads the state now (also used for the first, synchronous-looking check at start). */
  async poll(): Promise<boolean> {
    const r = await interfaceUp(this.ifname, this.netDir);
    if (r.up !== this.ok) this.log(`Netlink reports ${this.ifname} ${r.up ? 'up' : 'down'} (${r.why})`);
    this.set(r.up, r.why);
    return r.up;
  }

  protected async probe(): Promise<void> {
    await this.poll();
  }
}
