/**
 * The DNS client of one `resolvers` section, on node:dgram: every query goes to every nameserver,
 * the first valid answer wins, errors count once all nameservers have answered. As HAProxy 2.6's
 * resolv_process_responses(): an error for an A (AAAA) query is retried at once with the other
 * family; a query with no answer is sent again after `timeout retry`, `resolve_retries` times in
 * all, then the resolution ends in TIMEOUT (or the last error seen). Packets that do not parse are
 * counted and logged with their reason, never thrown.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ResolversModel } from '@switchyard/config';
import { type NameserverCounters, newNameserverCounters } from '../model/counters.ts';
import { type DnsRecord, type DnsResponse, encodeQuery, parseResponse, type QueryType, RTYPE } from './wire.ts';

/** HAProxy's resolution status words. */
export type ResolutionStatus = 'valid' | 'nx' | 'refused' | 'timeout' | 'other' | 'invalid';

export type Resolution =
  | { status: 'valid'; type: QueryType; answers: DnsRecord[]; additional: DnsRecord[]; nameserver: string }
  | { status: Exclude<ResolutionStatus, 'valid'>; reason: string };

interface Nameserver {
  id: string;
  host: string;
  port: number;
  socket: Socket;
  counters: NameserverCounters;
}

interface Pending {
  id: number;
  name: string;
  type: QueryType;
  responses: number;
  lastError?: { status: Exclude<ResolutionStatus, 'valid'>; reason: string };
  onResponse(ns: Nameserver, r: DnsResponse): void;
}

export class ResolverClient {
  readonly name: string;
  readonly nameservers: Nameserver[];
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    readonly model: ResolversModel,
    private readonly log: (msg: string) => void,
  ) {
    this.name = model.name;
    this.nameservers = model.nameservers.map((n) => {
      const socket = createSocket(isIPv6(n.host) ? 'udp6' : 'udp4');
      const ns: Nameserver = { id: n.id, host: n.host, port: n.port, socket, counters: newNameserverCounters() };
      socket.on('message', (msg, rinfo) => {
        // only the nameserver's own address and port are listened to (spoofed answers are dropped)
        if (rinfo.port === n.port && rinfo.address === n.host) this.receive(ns, msg);
      });
      socket.on('error', (e) => this.log(`resolvers '${this.name}': nameserver '${n.id}': ${e.message}`));
      socket.unref();
      return ns;
    });
  }

  /** Resolves `name` with `type`; A/AAAA fall back to the other family as HAProxy does. */
  resolve(name: string, preferred: QueryType): Promise<Resolution> {
    if (this.closed || this.nameservers.length === 0)
      return Promise.resolve({ status: 'timeout', reason: 'no nameserver' });
    const m = this.model;
    return new Promise<Resolution>((done) => {
      let tries = m.resolveRetries;
      let type = preferred;
      let timer: NodeJS.Timeout | undefined;
      let p: Pending | undefined;
      const other: QueryType | undefined =
        preferred === RTYPE.A ? RTYPE.AAAA : preferred === RTYPE.AAAA ? RTYPE.A : undefined;
      const finish = (r: Resolution) => {
        if (timer) clearTimeout(timer);
        if (p) this.pending.delete(p.id);
        done(r);
      };
      const send = () => {
        if (p) this.pending.delete(p.id);
        if (this.closed) return finish({ status: 'timeout', reason: 'resolvers closed' });
        p = this.query(name, type, (ns, r) => onResponse(ns, r));
        if (timer) clearTimeout(timer);
        timer = setTimeout(onTimeout, m.timeoutRetry);
        timer.unref();
      };
      const onTimeout = () => {
        const got = p?.responses ?? 0;
        tries--;
        if (tries <= 0) {
          return finish(
            got === 0 || !p?.lastError
              ? { status: 'timeout', reason: `no answer after ${m.resolveRetries} tries` }
              : p.lastError,
          );
        }
        // no answer at all, or the fallback was done: try again with the preferred family
        if (got === 0 || type !== preferred || other === undefined) type = preferred;
        else type = other;
        send();
      };
      const onResponse = (ns: Nameserver, r: DnsResponse) => {
        if (!p) return;
        p.responses++;
        if (r.kind === 'valid') {
          ns.counters.valid++;
          return finish({
            status: 'valid',
            type,
            answers: r.answers,
            additional: r.additional,
            nameserver: ns.id,
          });
        }
        p.lastError = errorOf(ns, r);
        if (r.kind === 'invalid' || r.kind === 'truncated' || r.kind === 'cname')
          this.log(`resolvers '${this.name}': nameserver '${ns.id}': answer for '${name}' ignored: ${r.reason}`);
        if (p.responses < this.nameservers.length) return;
        if (type === preferred && other !== undefined) {
          type = other;
          send();
          return;
        }
        if (tries <= 1) finish(p.lastError);
      };
      send();
    });
  }

  private query(name: string, type: QueryType, onResponse: Pending['onResponse']): Pending {
    let id = randomInt(0, 0x10000);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const p: Pending = { id, name, type, responses: 0, onResponse };
    this.pending.set(id, p);
    const packet = encodeQuery(id, name, type, this.model.acceptedPayloadSize);
    for (const ns of this.nameservers) {
      ns.counters.sent++;
      ns.socket.send(packet, ns.port, ns.host, (e) => {
        if (e) ns.counters.snd_error++;
      });
    }
    return p;
  }

  private receive(ns: Nameserver, msg: Buffer): void {
    if (msg.length > this.model.acceptedPayloadSize) {
      ns.counters.too_big++;
      this.log(
        `resolvers '${this.name}': nameserver '${ns.id}': answer of ${msg.length} bytes ignored: larger than accepted_payload_size ${this.model.acceptedPayloadSize}`,
      );
      return;
    }
    if (msg.length < 2) {
      ns.counters.invalid++;
      this.log(`resolvers '${this.name}': nameserver '${ns.id}': answer of ${msg.length} bytes ignored`);
      return;
    }
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p) {
      ns.counters.outdated++;
      return;
    }
    p.onResponse(ns, parseResponse(msg, p.name, p.type, this.model.acceptedPayloadSize));
  }

  /** Counters per nameserver id. */
  counters(): Array<{ id: string; counters: NameserverCounters }> {
    return this.nameservers.map((n) => ({ id: n.id, counters: n.counters }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ns of this.nameservers) ns.socket.close();
  }
}

function errorOf(
  ns: Nameserver,
  r: Exclude<DnsResponse, { kind: 'valid' }>,
): { status: Exclude<ResolutionStatus, 'valid'>; reason: string } {
  const c = ns.counters;
  switch (r.kind) {
    case 'nx':
      c.nx++;
      return { status: 'nx', reason: r.reason };
    case 'refused':
      c.refused++;
      return { status: 'refused', reason: r.reason };
    case 'empty':
      c.any_err++;
      return { status: 'other', reason: r.reason };
    case 'cname':
      c.cname_error++;
      return { status: 'other', reason: r.reason };
    case 'truncated':
      c.truncated++;
      return { status: 'other', reason: r.reason };
    case 'invalid':
      c.invalid++;
      return { status: 'invalid', reason: r.reason };
    default:
      c.other++;
      return { status: 'other', reason: r.reason };
  }
}
