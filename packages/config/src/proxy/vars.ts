/** `set-var(NAME[,COND...]) EXPR`, `set-var-fmt(NAME[,COND...]) FMT`, `unset-var(NAME)` as HAProxy 2.6 parses them. */
import type { VarRuleModel } from '../model.ts';
import { err, type LineCtx } from '../state.ts';

const SCOPES = ['proc', 'sess', 'txn', 'req', 'res', 'check'];
/** `set-var` conditions of HAProxy 2.6. */
export const VAR_CONDITIONS = ['ifexists', 'ifnotexists', 'ifempty', 'ifnotempty', 'ifset', 'ifnotset', 'ifgt', 'iflt'];

/** Checks `scope.name`; returns HAProxy's message when invalid, undefined when valid. */
export function varNameError(text: string): string | undefined {
  const dot = text.indexOf('.');
  if (dot < 0 || !SCOPES.includes(text.slice(0, dot)))
    return `invalid variable name '${text}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'`;
  const bad = /[^A-Za-z0-9._]/.exec(text.slice(dot + 1));
  if (bad) return `invalid syntax at char '${text.slice(dot + 1 + bad.index)}'`;
  if (dot === text.length - 1) return `invalid variable name '${text}': empty name`;
  return undefined;
}

/** True when `word` is a variable action (`set-var(...)`, `set-var-fmt(...)`, `unset-var(...)`). */
export function isVarAction(word: string): boolean {
  return /^(set-var|set-var-fmt|unset-var)\(/.test(word);
}

/** Parses a variable action from `words` (action first); `what` names the rule in messages. */
export function parseVarRule(
  ctx: LineCtx,
  words: string[],
  what: string,
): Omit<VarRuleModel, 'cond' | 'loc'> | undefined {
  const m = /^(set-var|set-var-fmt|unset-var)\((.*)\)$/.exec(words[0]);
  const rule = `'${what} ${words[0]}'`;
  if (!m) return void err(ctx, 'CFG_BAD_VALUE', `${rule}: expects '(' scope.name ')'`);
  const action = m[1] as VarRuleModel['action'];
  const [name, ...conds] = m[2].split(',');
  const bad = varNameError(name);
  if (bad) return void err(ctx, 'CFG_BAD_VALUE', `error detected while parsing ${rule} rule : ${bad}.`);
  if (action === 'unset-var' && conds.length > 0)
    return void err(ctx, 'CFG_BAD_VALUE', `${rule}: unset-var takes no condition`);
  const unknown = conds.find((c) => !VAR_CONDITIONS.includes(c));
  if (unknown !== undefined)
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `error detected while parsing ${rule} rule : unknown condition "${unknown}".`,
    );
  const want = action === 'unset-var' ? 1 : 2;
  if (words.length < want)
    return void err(
      ctx,
      'CFG_MISSING_ARG',
      `error detected while parsing ${rule} rule : missing ${action === 'set-var' ? 'fetch method' : 'format string'}.`,
    );
  if (words.length > want)
    return void err(
      ctx,
      'CFG_EXTRA_ARGS',
      `${rule} expects either 'if' or 'unless' followed by a condition but found '${words[want]}'.`,
    );
  return { action, name, conds, ...(want === 2 ? { expr: words[1] } : {}) };
}
