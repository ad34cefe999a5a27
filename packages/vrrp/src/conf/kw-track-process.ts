/**
 * `vrrp_track_process NAME { process NAME [ARGS...]  param_match [initial|partial]  full_command
 * weight W [reverse]  quorum N  quorum_max N  delay S  fork_delay S  terminate_delay S }` and an
 * instance's `track_process { NAME [weight W [reverse|noreverse]] }`, with keepalived 2.2.7's
 * defaults (weight 0, quorum 1, quorum_max unlimited) and messages (vrrp_parser.c, vrrp_track.c).
 */
import type { KeywordTable, ParseContext } from './engine.ts';
import type { SourceLoc, TrackRef, VrrpTrackProcess } from './model.ts';
import { readInt } from './values.ts';

/** keepalived's UINT_MAX: no upper bound on the process count. */
export const QUORUM_MAX_UNSET = 4294967295;

/** A fresh vrrp_track_process with keepalived's defaults. */
export function newTrackProcess(name: string, loc: SourceLoc): VrrpTrackProcess {
  return {
    name,
    process: '',
    params: [],
    paramMatch: 'none',
    fullCommand: false,
    weight: 0,
    weightReverse: false,
    quorum: 1,
    quorumMax: QUORUM_MAX_UNSET,
    forkDelayS: 0,
    terminateDelayS: 0,
    loc,
  };
}

/** Builds the vrrp_track_process block table writing into `p`. */
export function trackProcessTable(ctx: ParseContext, p: VrrpTrackProcess): KeywordTable {
  const t: KeywordTable = new Map();
  const err = (msg: string, loc: SourceLoc) => ctx.report('error', 'KA_TRACK_PROCESS', msg, loc);
  t.set('process', {
    handler: (args, loc) => {
      if (args[0] === undefined) return;
      if (p.process) return err(`Process already set for track process ${p.name} - ignoring ${args[0]}`, loc);
      p.process = args[0];
      if (args.length > 1) {
        p.params = args.slice(1);
        if (p.paramMatch === 'none') p.paramMatch = 'exact';
        p.fullCommand = true;
      }
    },
  });
  t.set('param_match', {
    handler: (args, loc) => {
      const m = args[0] ?? 'exact';
      if (m !== 'exact' && m !== 'initial' && m !== 'partial') {
        return err(`Invalid param_match type ${m} - ignoring`, loc);
      }
      p.paramMatch = args[0] === undefined ? 'exact' : m;
      p.fullCommand = true;
    },
  });
  t.set('full_command', { handler: () => (p.fullCommand = true) });
  t.set('weight', {
    handler: (args, loc) => {
      if (args[0] === undefined) return err(`No weight specified for track process ${p.name} - ignoring`, loc);
      if (p.weight) return err(`Weight already set for track process ${p.name} - ignoring ${args[0]}`, loc);
      const w = readInt(ctx, args[0], -254, 254, loc);
      if (w === undefined) {
        return err(
          `Weight (${args[0]}) for vrrp_track_process ${p.name} must be between [-254..254] inclusive. Ignoring...`,
          loc,
        );
      }
      if (args[1] === 'reverse') p.weightReverse = true;
      else if (args[1] !== undefined) err(`vrrp_track_process ${p.name} unknown weight option ${args[1]}`, loc);
      p.weight = w;
    },
  });
  t.set('quorum', {
    handler: (args, loc) => {
      const q = readInt(ctx, args[0], 1, 65535, loc);
      if (q === undefined) {
        return err(
          `Quorum (${args[0] ?? ''}) for vrrp_track_process ${p.name} must be between [1..65535] inclusive. Ignoring...`,
          loc,
        );
      }
      if (q > p.quorumMax) return err('Quorum is greater than quorum_max - ignoring', loc);
      p.quorum = q;
    },
  });
  t.set('quorum_max', {
    handler: (args, loc) => {
      const q = readInt(ctx, args[0], 0, 65535, loc);
      if (q === undefined) {
        return err(
          `quorum_max (${args[0] ?? ''}) for vrrp_track_process ${p.name} must be between [0..65535] inclusive. Ignoring...`,
          loc,
        );
      }
      if ((q || p.quorum > 1) && q < p.quorum) return err('quorum_max is less than quorum - ignoring', loc);
      p.quorumMax = q;
      if (q === 0) p.quorum = 0;
      else if (!p.quorum) p.quorum = 1;
    },
  });
  const delay = (kw: string, fork: boolean, term: boolean) => ({
    handler: (args: string[], loc: SourceLoc) => {
      const d = Number(args[0]);
      if (args[0] === undefined || !/^\d+(\.\d+)?$/.test(args[0]) || d < 0.000001 || d > 3600) {
        return err(
          `${kw}delay (${args[0] ?? ''}) for vrrp_track_process ${p.name} must be between [0.000001..3600] inclusive. Ignoring...`,
          loc,
        );
      }
      if (fork) p.forkDelayS = d;
      if (term) p.terminateDelayS = d;
    },
  });
  t.set('delay', delay('', true, true));
  t.set('fork_delay', delay('fork_', true, false));
  t.set('terminate_delay', delay('terminate_', false, true));
  return t;
}

/** keepalived's end of the block: no `process` drops it. */
export function closeTrackProcess(ctx: ParseContext, p: VrrpTrackProcess): boolean {
  if (p.process) return true;
  ctx.report(
    'error',
    'KA_TRACK_PROCESS',
    `track process '${p.name}' process name not specified`,
    ctx.closeLoc ?? p.loc,
  );
  return false;
}

/** An instance's `track_process { NAME [weight W [reverse|noreverse]] }` block. */
export function readTrackProcessRefs(
  ctx: ParseContext,
  owner: string,
  procs: readonly VrrpTrackProcess[],
  args: string[],
  loc: SourceLoc,
  into: TrackRef[],
): void {
  const err = (msg: string, l: SourceLoc) => ctx.report('error', 'KA_TRACK_PROCESS', `(${owner}) ${msg}`, l);
  ctx.readValueBlock('track_process', args, loc, (words, l) => {
    const [name, opt, w, rev] = words;
    if (!procs.some((x) => x.name === name)) return err(`track process ${name} not found, ignoring...`, l);
    if (into.some((r) => r.name === name)) return err(`duplicate track_process ${name} - ignoring`, l);
    const ref: TrackRef = { name, loc: l };
    if (opt !== undefined) {
      if (opt !== 'weight') return err(`unknown track process option ${opt} - ignoring`, l);
      if (w === undefined) return err(`weight without value specified for track process ${name} - ignoring`, l);
      const n = readInt(ctx, w, -254, 254, l);
      if (n === undefined) err(`weight for track process ${name} must be in [-254..254] inclusive. Ignoring...`, l);
      else ref.weight = n;
      if (rev === 'reverse') ref.weightReverse = true;
      else if (rev === 'noreverse') ref.weightReverse = false;
      else if (rev !== undefined) err(`unknown track_process ${name} weight option ${rev} - ignoring`, l);
    }
    into.push(ref);
  });
}
