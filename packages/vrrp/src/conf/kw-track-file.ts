/**
 * `track_file NAME { file PATH  weight W [reverse]  init_file [VALUE] [overwrite] }` (and its
 * deprecated spelling `vrrp_track_file`), and an instance's `track_file { NAME [weight W [reverse|noreverse]] }`,
 * with keepalived 2.2.7's defaults and messages (keepalived/trackers/track_file.c).
 */
import type { KeywordTable, ParseContext } from './engine.ts';
import type { SourceLoc, TrackRef, VrrpTrackFile } from './model.ts';
import { readInt } from './values.ts';

/** A fresh track_file with keepalived's defaults (weight 1, no init). */
export function newTrackFile(name: string, loc: SourceLoc): VrrpTrackFile {
  return { name, path: '', weight: 1, weightReverse: false, loc };
}

/** Builds the track_file block table writing into `f`. */
export function trackFileTable(ctx: ParseContext, f: VrrpTrackFile): KeywordTable {
  const t: KeywordTable = new Map();
  t.set('file', {
    handler: (args, loc) => {
      if (args[0] === undefined)
        return ctx.report('error', 'KA_TRACK_FILE_NO_PATH', 'track file file name missing', loc);
      if (f.path) {
        ctx.report(
          'error',
          'KA_TRACK_FILE_DUP_PATH',
          `File already set for track file ${f.name} - ignoring ${args[0]}`,
          loc,
        );
        return;
      }
      f.path = args.join(' ');
    },
  });
  t.set('weight', {
    handler: (args, loc) => {
      if (args[0] === undefined) {
        ctx.report('error', 'KA_TRACK_FILE_WEIGHT', `No weight specified for track file ${f.name} - ignoring`, loc);
        return;
      }
      // keepalived's test: a weight other than the default 1 is already there.
      if (f.weight !== 1) {
        ctx.report(
          'error',
          'KA_TRACK_FILE_WEIGHT',
          `Weight already set for track file ${f.name} - ignoring ${args[0]}`,
          loc,
        );
        return;
      }
      const w = readInt(ctx, args[0], -254, 254, loc);
      if (w === undefined) {
        ctx.report(
          'error',
          'KA_TRACK_FILE_WEIGHT',
          `Weight (${args[0]}) for track_file ${f.name} must be between [-254..254] inclusive. Ignoring...`,
          loc,
        );
      }
      f.weight = w ?? 1;
      if (args[1] === 'reverse') f.weightReverse = true;
      else if (args[1] !== undefined) {
        ctx.report('error', 'KA_TRACK_FILE_WEIGHT', `track_file ${f.name} unknown weight option ${args[1]}`, loc);
      }
    },
  });
  t.set('init_file', {
    handler: (args, loc) => {
      const init = { value: 0, overwrite: false };
      for (const word of args) {
        if (/^[0-9-]/.test(word)) {
          const v = /^-?\d+$/.test(word) ? Number(word) : Number.NaN;
          if (!Number.isSafeInteger(v) || v < -2147483648 || v > 2147483647) {
            ctx.report('error', 'KA_TRACK_FILE_INIT', `Track file ${f.name} init value ${word} is invalid`, loc);
            init.value = 0;
          } else {
            if (v < -254 || v > 254) {
              ctx.report(
                'error',
                'KA_TRACK_FILE_INIT',
                `Track file ${f.name} init value ${v} is outside sensible range [-254, 254]`,
                loc,
              );
            }
            init.value = v;
          }
        } else if (word === 'overwrite') init.overwrite = true;
        else ctx.report('error', 'KA_TRACK_FILE_INIT', `Unknown track file init option ${word}`, loc);
      }
      f.init = init;
    },
  });
  return t;
}

/** keepalived's end of a track_file block: no `file` drops it. */
export function closeTrackFile(ctx: ParseContext, f: VrrpTrackFile): boolean {
  if (f.path) return true;
  ctx.report(
    'error',
    'KA_TRACK_FILE_NO_FILE',
    `No file set for track_file ${f.name} - ignoring`,
    ctx.closeLoc ?? f.loc,
  );
  return false;
}

/** An instance's `track_file { NAME [weight W [reverse|noreverse]] }` block. */
export function readTrackFileRefs(
  ctx: ParseContext,
  owner: string,
  files: readonly VrrpTrackFile[],
  args: string[],
  loc: SourceLoc,
  into: TrackRef[],
): void {
  ctx.readValueBlock('track_file', args, loc, (words, l) => {
    const [name, opt, w, rev] = words;
    const f = files.find((x) => x.name === name);
    if (!f)
      return ctx.report('error', 'KA_TRACK_FILE_NOT_FOUND', `(${owner}) track file ${name} not found, ignoring...`, l);
    if (into.some((r) => r.name === name)) {
      return ctx.report('error', 'KA_TRACK_DUP', `(${owner}) duplicate track_file ${name} - ignoring`, l);
    }
    const ref: TrackRef = { name, loc: l };
    if (opt !== undefined) {
      if (opt !== 'weight') {
        return ctx.report('error', 'KA_TRACK_FILE_OPTION', `(${owner}) unknown track file option ${opt} - ignoring`, l);
      }
      if (w === undefined) {
        return ctx.report(
          'error',
          'KA_TRACK_FILE_OPTION',
          `(${owner}) weight without value specified for track file ${name} - ignoring`,
          l,
        );
      }
      const n = readInt(ctx, w, -254, 254, l);
      if (n === undefined) {
        ctx.report(
          'error',
          'KA_TRACK_FILE_OPTION',
          `(${owner}) weight for track file ${name} must be in [-254..254] inclusive. Ignoring...`,
          l,
        );
      } else ref.weight = n;
      if (rev === 'reverse') ref.weightReverse = true;
      else if (rev === 'noreverse') ref.weightReverse = false;
      else if (rev !== undefined) {
        return ctx.report(
          'error',
          'KA_TRACK_FILE_OPTION',
          `(${owner}) unknown track file ${name} weight option ${rev} - ignoring`,
          l,
        );
      }
    }
    into.push(ref);
  });
}
