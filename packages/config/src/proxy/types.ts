/** Keyword table types for proxy sections. */
import type { LineCtx, SectionState } from '../state.ts';

/** Capabilities, as HAProxy's PR_CAP_FE / PR_CAP_BE / PR_CAP_DEF. */
export const FE = 1;
export const BE = 2;
export const DEF = 4;
export const ALL = FE | BE | DEF;

export type ProxyHandler = (ctx: LineCtx, s: SectionState) => void;

export interface ProxyKeyword {
  /** Where the keyword means something. */
  caps: number;
  /** `error` when using it in a proxy lacking the capability is fatal (HAProxy refuses `server` in a frontend). */
  wrongCap?: 'error' | 'warn';
  fn: ProxyHandler;
}

/** Label of a section for messages: `frontend 'web'`. */
export function sectionLabel(s: SectionState): string {
  return s.kind === 'defaults'
    ? s.name
      ? `defaults '${s.name}'`
      : 'anonymous defaults section'
    : `${s.kind} '${s.name}'`;
}

/** True when the section has the capability bits. */
export function hasCap(s: SectionState, caps: number): boolean {
  const mine = s.kind === 'defaults' ? DEF : s.kind === 'frontend' ? FE : s.kind === 'backend' ? BE : FE | BE;
  return (mine & caps) !== 0;
}

/** Reports the keyword as ignored for lack of capability; returns false when the caller should stop. */
export function checkCap(ctx: LineCtx, s: SectionState, caps: number, what: string): boolean {
  if (hasCap(s, caps)) return true;
  if (s.kind === 'defaults') {
    ctx.r.error(ctx.loc, 'CFG_NOT_ALLOWED_HERE', `'${what}' is not allowed in a 'defaults' section`);
    return false;
  }
  const side = caps & FE ? 'frontend' : 'backend';
  ctx.r.warn(ctx.loc, 'CFG_NO_EFFECT', `'${what}' ignored because ${sectionLabel(s)} has no ${side} capability`);
  return false;
}
