/**
 * `agent-check` replies (HAProxy configuration.txt, "agent-check"): one line of words separated
 * by spaces, tabs or commas, optionally ended by `#comment`:
 * `up`, `down`, `fail`, `stopped` (operational state), `ready`, `drain`, `maint` (admin state),
 * `NN%` (weight relative to the configured one), `maxconn:N`.
 */

export interface AgentReply {
  state?: 'up' | 'down' | 'fail' | 'stopped';
  admin?: 'ready' | 'drain' | 'maint';
  weightPct?: number;
  maxconn?: number;
  comment?: string;
}

/** The reply, or an error text (`bad agent response ...`) when no word was understood. */
export type ParsedAgentReply = { ok: true; reply: AgentReply } | { ok: false; error: string };

/** Parses one agent reply line. Unknown words are reported, known ones applied in HAProxy's way. */
export function parseAgentReply(line: string): ParsedAgentReply {
  const hash = line.indexOf('#');
  const words = (hash >= 0 ? line.slice(0, hash) : line).split(/[\s,]+/).filter((w) => w !== '');
  const reply: AgentReply = {};
  if (hash >= 0) {
    const c = line.slice(hash + 1).trim();
    if (c) reply.comment = c;
  }
  const unknown: string[] = [];
  for (const raw of words) {
    const w = raw.toLowerCase();
    if (w === 'up' || w === 'down' || w === 'fail' || w === 'stopped') reply.state = w;
    else if (w === 'ready' || w === 'drain' || w === 'maint') reply.admin = w;
    else if (/^\d+%$/.test(w)) reply.weightPct = Number(w.slice(0, -1));
    else if (/^maxconn:\d+$/.test(w)) reply.maxconn = Number(w.slice(8));
    else unknown.push(raw);
  }
  const understood =
    reply.state !== undefined ||
    reply.admin !== undefined ||
    reply.weightPct !== undefined ||
    reply.maxconn !== undefined;
  if (!understood) return { ok: false, error: `bad agent response '${line.slice(0, 64)}'` };
  return { ok: true, reply };
}

/**
 * HAProxy's `info` text of an agent check: the state word and the comment, e.g.
 * `via agent : down (maint window)`; `up 100%` gives `via agent : up` as in haproxy.
 */
export function agentInfo(r: AgentReply): string {
  const word = r.state ?? r.admin ?? (r.weightPct !== undefined ? `${r.weightPct}%` : `maxconn:${r.maxconn ?? 0}`);
  return `via agent : ${word}${r.comment ? ` (${r.comment})` : ''}`;
}
