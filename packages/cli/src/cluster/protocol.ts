/**
 * Messages between the `--workers` primary and its workers (node:cluster IPC). Nothing here is
 * sent per request: state changes, admin commands, stats reads and failed passive checks only,
 * plus the map/ACL edits of `set-map`/`del-map`/`add-acl`/`del-acl` rules when they run.
 */
import type { PatternOp, SslCertOp } from '@switchyard/admin';
import type {
  BackendStateSnap,
  CounterSnapshot,
  NodeFigures,
  PatRefState,
  RuleEdit,
  ServerStateSnap,
  TrafficOutcome,
} from '@switchyard/proxy';

/** Tag of every message of this protocol. */
export const CLUSTER_MESSAGE = 'switchyard:cluster';

/** An admin change made through one worker (runtime API, stats page): the primary applies it. */
export interface ChangeMessage {
  type: typeof CLUSTER_MESSAGE;
  op: 'change';
  kind:
    | 'admin'
    | 'weight'
    | 'maxconn'
    | 'vrrp'
    | 'clear-counters'
    | 'health'
    | 'agent'
    | 'checks'
    | 'agent-checks'
    | 'addr'
    | 'check-port'
    | 'fqdn'
    /** made in the sending worker already; the primary applies it and passes it to the others */
    | 'add-server'
    | 'del-server'
    /** made in the sending worker already; the primary passes it to the others */
    | 'frontend'
    | 'kill-sessions';
  backend: string;
  server: string;
  value: string | number | boolean;
  origin: string;
}

export type ClusterMessage =
  | ChangeMessage
  /** worker -> primary: a worker's link started; the primary answers with every state. */
  | { type: typeof CLUSTER_MESSAGE; op: 'hello' }
  /** worker -> primary: a passive-check outcome that matters (an error, or the first success after one). */
  | { type: typeof CLUSTER_MESSAGE; op: 'observe'; backend: string; server: string; outcome: TrafficOutcome }
  /** primary -> workers: server/backend states as the primary holds them, VRRP states. */
  | {
      type: typeof CLUSTER_MESSAGE;
      op: 'states';
      servers: ServerStateSnap[];
      backends: BackendStateSnap[];
      vrrp?: Array<[string, string]>;
      /** For a change made through a worker: that worker's cluster id and the change's origin. */
      by?: number;
      origin?: string;
    }
  /** worker -> primary: the node-wide figures, please; primary -> worker: here they are. */
  | { type: typeof CLUSTER_MESSAGE; op: 'figures?'; id: number }
  | { type: typeof CLUSTER_MESSAGE; op: 'figures'; id: number; figures: NodeFigures }
  /** primary -> worker: this worker's counters, please; worker -> primary: here they are. */
  | { type: typeof CLUSTER_MESSAGE; op: 'counters?'; id: number }
  | { type: typeof CLUSTER_MESSAGE; op: 'counters'; id: number; snap: CounterSnapshot }
  /** primary -> workers: reset counters (`clear counters [all]` made through one worker). */
  | { type: typeof CLUSTER_MESSAGE; op: 'clear-counters'; all: boolean }
  /**
   * worker -> primary: a certificate change made through that worker (already applied there);
   * primary -> the other workers (and, replayed, a worker started later): apply it too.
   */
  | { type: typeof CLUSTER_MESSAGE; op: 'ssl-cert'; cert: SslCertOp }
  /**
   * worker -> primary: a map/ACL change made through that worker's runtime API (applied there);
   * primary -> the other workers: apply it too (the primary applies it to its own copy).
   */
  | { type: typeof CLUSTER_MESSAGE; op: 'pattern'; pat: PatternOp }
  /** The same for an edit a rule made (`set-map`, `del-map`, `add-acl`, `del-acl`) on a request. */
  | {
      type: typeof CLUSTER_MESSAGE;
      op: 'pattern-rule';
      file: string;
      action: RuleEdit;
      key: string;
      value?: string;
    }
  /** primary -> a worker that said hello: the maps and ACLs edited since the load, as the primary holds them. */
  | { type: typeof CLUSTER_MESSAGE; op: 'pattern-states'; states: PatRefState[] }
  /** primary -> the other workers: `enable|disable|shutdown frontend` made through one worker. */
  | { type: typeof CLUSTER_MESSAGE; op: 'frontend'; frontend: string; state: 'ready' | 'paused' | 'stopped' }
  /**
   * primary -> the other workers (and, replayed, a worker started later): `add server B/S ARGS`
   * made through one worker, with the id it got there; `del server B/S`.
   */
  | { type: typeof CLUSTER_MESSAGE; op: 'server-add'; backend: string; server: string; args: string[]; id: number }
  | { type: typeof CLUSTER_MESSAGE; op: 'server-del'; backend: string; server: string }
  /** primary -> the other workers: `shutdown sessions server` made through one worker. */
  | { type: typeof CLUSTER_MESSAGE; op: 'kill-sessions'; backend: string; server: string };

/** The value of an 'add-server' change: the command's address and keywords, the id the server got. */
export interface AddServerValue {
  args: string[];
  id: number;
}

/** True for a message of this protocol. */
export function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === CLUSTER_MESSAGE;
}

/** How long the primary waits for a worker's counters before leaving it out of the sums. */
export const COUNTERS_TIMEOUT_MS = 1000;
/** How long a worker waits for the node-wide figures before showing its own. */
export const FIGURES_TIMEOUT_MS = 3000;
