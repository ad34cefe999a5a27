/** The `peers` section: `peers NAME` then `peer NAME HOST:PORT` lines. */
import { parseAddress } from './address.ts';
import type { PeersModel } from './model.ts';
import { err, type LineCtx, warn } from './state.ts';
import { didYouMean } from './suggest.ts';

/** Parses one line inside a peers section. */
export function parsePeersLine(ctx: LineCtx, p: PeersModel): void {
  const [kw, name, addr] = ctx.args;
  if (kw === 'peer' || kw === 'server') {
    if (!name || !addr) return void err(ctx, 'CFG_MISSING_ARG', `'${kw}' expects a name and HOST:PORT`);
    if (ctx.args.length > 3)
      return void err(ctx, 'CFG_EXTRA_ARGS', `'${kw} ${name}': unexpected argument '${ctx.args[3]}'`);
    const a = parseAddress(addr);
    if (typeof a === 'string') return void err(ctx, 'CFG_BAD_ADDRESS', `peer '${name}': ${a}`);
    if (a.kind !== 'inet' || a.port === undefined || a.portEnd !== undefined)
      return void err(ctx, 'CFG_BAD_PORT', `peer '${name}': expects HOST:PORT, got '${addr}'`);
    const dup = p.peers.find((x) => x.name === name);
    if (dup)
      return void err(
        ctx,
        'CFG_DUPLICATE_NAME',
        `peer '${name}' is already defined in peers '${p.name}' at line ${dup.loc.line}`,
      );
    p.peers.push({ name, host: a.host, port: a.port, loc: { ...ctx.loc } });
    return;
  }
  if (kw === 'disabled' || kw === 'enable' || kw === 'enabled') {
    return void warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      `'${kw}' in a peers section ignored: Switchyard shares tables through Redis ('redis-url' in global), not the peers protocol`,
    );
  }
  if (
    kw === 'bind' ||
    kw === 'default-server' ||
    kw === 'default-bind' ||
    kw === 'shards' ||
    kw === 'table' ||
    kw === 'log'
  ) {
    return void warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      `'${kw}' in a peers section ignored: Switchyard shares tables through Redis ('redis-url' in global), not the peers protocol`,
    );
  }
  err(
    ctx,
    'CFG_UNKNOWN_KEYWORD',
    `unknown keyword '${kw}' in 'peers' section${didYouMean(kw, ['peer', 'server', 'bind', 'disabled'])}`,
  );
}
