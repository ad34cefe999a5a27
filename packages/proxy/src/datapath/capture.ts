/**
 * Capture slots of a stream (HAProxy's s->req_cap / s->res_cap): made when the frontend declares
 * any, filled by `capture request|response header` from the headers as received and by the
 * `capture` actions of http-request, http-response and tcp-request content rules; read by
 * `%hr %hs %hrl %hsl` and `capture.req.hdr(N)` / `capture.res.hdr(N)`.
 */
import type { HttpTxn } from '../model/txn.ts';
import type { CapturePlan } from '../runtime/plan.ts';

/** Gives a new stream its empty slots (nothing to do for a frontend without captures). */
export function openCaptures(txn: HttpTxn, plan: CapturePlan | undefined): void {
  if (!plan) return;
  txn.capSlots = plan;
  if (plan.request.length > 0) txn.reqCap = new Array(plan.request.length).fill(undefined);
  if (plan.response.length > 0) txn.resCap = new Array(plan.response.length).fill(undefined);
}

/**
 * `capture request|response header`: the last occurrence of each named header, cut at `len`
 * (http_capture_headers, on the headers as they arrived, before any rule edits them).
 */
export function captureHeaders(txn: HttpTxn, side: 'request' | 'response', rawHeaders: string[]): void {
  const slots = txn.capSlots?.[side];
  const caps = side === 'request' ? txn.reqCap : txn.resCap;
  if (!slots || !caps) return;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k];
      if (slot.header !== name) continue;
      const v = rawHeaders[i + 1];
      caps[k] = v.length > slot.len ? v.slice(0, slot.len) : v;
    }
  }
}

/** A `capture` action: the sample as text, cut at the slot's length; an absent sample or slot leaves it. */
export function storeCapture(
  txn: HttpTxn,
  side: 'request' | 'response',
  id: number,
  v: string | number | boolean | string[] | undefined,
): void {
  const slot = txn.capSlots?.[side][id];
  const caps = side === 'request' ? txn.reqCap : txn.resCap;
  if (v === undefined || !slot || !caps) return;
  if (Array.isArray(v)) {
    if (v.length === 0) return;
    v = v[v.length - 1];
  }
  const text = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  caps[id] = text.length > slot.len ? text.slice(0, slot.len) : text;
}

/**
 * `capture cookie NAME len N` (http_manage_client|server_side_cookies): the first `name=value`
 * whose text starts with NAME, of the request's Cookie headers or the response's Set-Cookie ones.
 */
export function captureCookie(
  rawHeaders: string[],
  lname: 'cookie' | 'set-cookie',
  cap: { name: string; len: number },
): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() !== lname) continue;
    const v = rawHeaders[i + 1];
    const pairs = lname === 'cookie' ? v.split(';') : [v.split(';')[0]];
    for (const p of pairs) {
      const c = p.trim();
      if (c.length >= cap.name.length && c.startsWith(cap.name)) return c.length > cap.len ? c.slice(0, cap.len) : c;
    }
  }
  return undefined;
}
