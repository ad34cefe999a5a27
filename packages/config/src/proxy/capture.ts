/**
 * Capture slots of a frontend, as HAProxy 2.6 numbers them: `capture request|response header`,
 * `declare capture`, and the `len` forms of `http-request capture` / `tcp-request content capture`
 * each add one slot in declaration order (its id); `http-request|http-response capture ... id N`
 * write into a declared one. The captured values show in `%hr`/`%hs` (`{a|b}` in httplog).
 */
import type { CaptureSlotModel, SourceLoc } from '../model.ts';
import { err, type LineCtx, type SectionState } from '../state.ts';
import { parseIntRange } from '../units.ts';
import { FE, hasCap, type ProxyKeyword } from './types.ts';

/** A capture rule: the sample, and the id of the slot it writes (declared by the rule for `len`). */
export interface CaptureRule {
  action: 'capture';
  sample: string;
  id: number;
}

function length(ctx: LineCtx, text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return void err(ctx, 'CFG_MISSING_ARG', `${what}: missing length value`);
  const n = parseIntRange(text, 1, 1 << 20, `${what} 'len'`);
  if (n instanceof Error) return void err(ctx, n.code, n.message);
  return n;
}

function addSlot(s: SectionState, side: 'request' | 'response', len: number, loc: SourceLoc, header?: string): number {
  const slots = s.model.captures[side];
  slots.push({ len, loc, ...(header !== undefined ? { header } : {}) });
  return slots.length - 1;
}

/**
 * `capture SAMPLE len N | id N` of http-request, `capture SAMPLE id N` of http-response and
 * `capture SAMPLE len N` of tcp-request content (`words` from the action on, no condition).
 */
export function parseCaptureRule(
  ctx: LineCtx,
  s: SectionState,
  words: string[],
  side: 'request' | 'response',
  what: string,
  forms: Array<'len' | 'id'>,
): CaptureRule | undefined {
  const usage = `expects <expression> ${forms.map((f) => (f === 'len' ? "'len' <length>" : "'id' <idx>")).join(' | ')}`;
  const [, sample, form, value, extra] = words;
  if (!sample || !form) return void err(ctx, 'CFG_MISSING_ARG', `${what} ${usage}`);
  if (!forms.includes(form as 'len' | 'id')) return void err(ctx, 'CFG_BAD_VALUE', `${what} ${usage}, found '${form}'`);
  if (extra !== undefined)
    return void err(ctx, 'CFG_EXTRA_ARGS', `${what}: unexpected argument '${extra}' (missing 'if' or 'unless'?)`);
  if (form === 'len') {
    if (!hasCap(s, FE))
      return void err(ctx, 'CFG_NOT_ALLOWED_HERE', `${what}: proxy '${s.name}' has no frontend capability`);
    const len = length(ctx, value, what);
    if (len === undefined) return undefined;
    return { action: 'capture', sample, id: addSlot(s, side, len, { ...ctx.loc }) };
  }
  if (value === undefined || !/^\d+$/.test(value))
    return void err(
      ctx,
      value === undefined ? 'CFG_MISSING_ARG' : 'CFG_BAD_VALUE',
      `${what}: cannot parse id '${value ?? ''}'`,
    );
  return { action: 'capture', sample, id: Number(value) };
}

/**
 * The `id N` captures of a frontend must name a slot it declares (checked once the section is
 * read, as HAProxy's check_http_req_capture); in a backend they are resolved per request.
 */
export function checkCaptureIds(
  captures: { request: CaptureSlotModel[]; response: CaptureSlotModel[] },
  rules: Array<{ side: 'request' | 'response'; rule: { action: string; id?: number; loc: SourceLoc } }>,
  error: (loc: SourceLoc, message: string) => void,
): void {
  for (const { side, rule } of rules) {
    if (rule.action !== 'capture' || rule.id === undefined || rule.id < captures[side].length) continue;
    error(rule.loc, `unable to find capture id '${rule.id}' referenced by http-${side} capture rule`);
  }
}

export const CAPTURE_KEYWORDS: Record<string, ProxyKeyword> = {
  /** `capture request|response header NAME len N`: the header's last value, logged in `%hr`/`%hs`. */
  capture: {
    caps: FE,
    fn: (ctx, s) => {
      const [, dir, kind, name, lenKw, len, extra] = ctx.args;
      if (dir === 'cookie') {
        // capture cookie NAME len N
        if (!kind || name !== 'len' || !lenKw)
          return void err(ctx, 'CFG_MISSING_ARG', "'capture' expects 'cookie' <cookie_name> 'len' <len>.");
        if (len !== undefined) return void err(ctx, 'CFG_EXTRA_ARGS', `'capture cookie': unexpected argument '${len}'`);
        const n = length(ctx, lenKw, "'capture cookie'");
        if (n !== undefined) s.model.captureCookie = { name: kind, len: n };
        return;
      }
      if ((dir !== 'request' && dir !== 'response') || kind !== 'header')
        return void err(ctx, 'CFG_BAD_VALUE', "'capture' expects 'cookie' or 'request header' or 'response header'.");
      if (!name || lenKw !== 'len' || !len)
        return void err(ctx, 'CFG_MISSING_ARG', `'capture ${dir}' expects 'header' <header_name> 'len' <len>.`);
      if (extra !== undefined)
        return void err(ctx, 'CFG_EXTRA_ARGS', `'capture ${dir} header': unexpected argument '${extra}'`);
      const n = length(ctx, len, `'capture ${dir} header'`);
      if (n !== undefined) addSlot(s, dir, n, { ...ctx.loc }, name.toLowerCase());
    },
  },
  /** `declare capture request|response len N`: a slot for `capture ... id N` rules (of backends too). */
  declare: {
    caps: FE,
    wrongCap: 'error',
    fn: (ctx, s) => {
      const [, what, dir, lenKw, len, extra] = ctx.args;
      if (what !== 'capture')
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          "'declare' needs a second keyword that specify the type of declaration ('capture')",
        );
      if (dir !== 'request' && dir !== 'response')
        return void err(ctx, 'CFG_BAD_VALUE', "'declare capture' requires a direction ('request' or 'response')");
      if (lenKw !== 'len')
        return void err(ctx, 'CFG_MISSING_ARG', "'declare capture' requires a capture length ('len')");
      if (extra !== undefined)
        return void err(ctx, 'CFG_EXTRA_ARGS', `'declare capture': unexpected argument '${extra}'`);
      const n = length(ctx, len, "'declare capture'");
      if (n !== undefined) addSlot(s, dir, n, { ...ctx.loc });
    },
  },
};
