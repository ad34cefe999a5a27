/**
 * Passive checks (`observe layer4|layer7`): which request outcomes count as errors, in HAProxy's
 * table (check.c, analyze_statuses), and the words it logs for them.
 */
import type { TrafficOutcome } from '../model/hooks.ts';

/** 'bad' counts toward `error-limit`, 'good' resets the count, 'ignore' does neither. */
export type OutcomeVerdict = 'good' | 'bad' | 'ignore';

/**
 * layer4 watches connections only (a connect error is bad, a connected request good);
 * layer7 also judges responses (invalid, timeout, 5xx except 501/505 are bad).
 */
export function classifyOutcome(mode: 'layer4' | 'layer7', outcome: TrafficOutcome): OutcomeVerdict {
  if (outcome === 'l4-error' || outcome === 'l4-timeout') return 'bad';
  if (outcome === 'ok') return 'good';
  return mode === 'layer7' ? 'bad' : 'good';
}

/** HAProxy's description of the last error in `Detected N consecutive errors, last one was: ...`. */
export function hanaDescription(outcome: TrafficOutcome): string {
  switch (outcome) {
    case 'l4-error':
    case 'l4-timeout':
      return 'L4 unsuccessful connection';
    case 'l7-error':
      return 'Invalid http response';
    case 'l7-timeout':
      return 'Read timeout (http)';
    case 'l7-5xx':
      return 'Wrong http response';
    default:
      return 'Correct http response';
  }
}
