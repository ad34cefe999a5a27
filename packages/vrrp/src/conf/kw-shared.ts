/** Keyword helpers shared by vrrp_instance, vrrp_sync_group, vrrp_script and global_defs. */
import type { KeywordTable, ParseContext } from './engine.ts';
import { splitCommand } from './lexer.ts';
import type { NotifyCommand, NotifyHooks, SourceLoc, TrackRef } from './model.ts';
import { need1, readInt } from './values.ts';

/** Keywords whose missing parameter is fatal in keepalived (null_strvec), checked against keepalived -t. */
const NEEDS_PARAM = [
  'state',
  'interface',
  'virtual_router_id',
  'priority',
  'advert_int',
  'version',
  'preempt_delay',
  'unicast_src_ip',
  'mcast_src_ip',
  'garp_master_delay',
  'garp_master_repeat',
  'garp_master_refresh',
  'notify_master',
  'notify_backup',
  'notify_fault',
  'notify_stop',
  'notify',
  'auth_type',
  'auth_pass',
  // vrrp_script
  'interval',
  'timeout',
  'weight',
  'rise',
  'fall',
  'user',
  // global_defs
  'smtp_server',
  'smtp_connect_timeout',
  'vrrp_version',
  'vrrp_garp_master_delay',
  'vrrp_garp_master_repeat',
  'vrrp_garp_master_refresh',
  'vrrp_garp_master_refresh_repeat',
  'vrrp_mcast_group4',
];

/** Wraps the handlers of `t` so that a missing parameter of NEEDS_PARAM keywords is fatal. */
export function fatalWithoutParam(ctx: ParseContext, t: KeywordTable): KeywordTable {
  for (const kw of NEEDS_PARAM) {
    const k = t.get(kw);
    const h = k?.handler;
    if (!k || !h) continue;
    k.handler = (args, loc) => (args.length === 0 ? ctx.fatal(kw, loc) : h(args, loc));
  }
  return t;
}

/** Reads `NAME [weight N [reverse]]` lines of track_script / track_interface. */
export function readTrackRefs(
  ctx: ParseContext,
  kw: 'track_script' | 'track_interface',
  owner: string,
  args: string[],
  loc: SourceLoc,
  into: TrackRef[],
): void {
  ctx.readValueBlock(kw, args, loc, (words, l) => {
    // keepalived resolves each entry as it reads it: a script must be defined above, an interface
    // must exist on this host (unless the parse was asked not to look at the host).
    if (kw === 'track_script' && !ctx.definedScripts.has(words[0])) {
      ctx.report(
        'warning',
        'KA_TRACK_SCRIPT_NOT_FOUND',
        `(${owner}) track script ${words[0]} not found, ignoring...`,
        l,
      );
      return;
    }
    if (kw === 'track_interface' && ctx.host && !ctx.host.ifExists(words[0])) {
      ctx.report('warning', 'KA_NO_SUCH_TRACK_INTERFACE', `(${owner}) tracked interface ${words[0]} doesn't exist`, l);
      return;
    }
    if (into.some((r) => r.name === words[0])) {
      ctx.report('warning', 'KA_TRACK_DUP', `(${owner}) duplicate ${kw} ${words[0]} - ignoring`, l);
      return;
    }
    const ref: TrackRef = { name: words[0], loc: l };
    if (words[1] === 'weight') {
      const w = readInt(ctx, words[2], -254, 254, l);
      if (w === undefined) {
        ctx.report(
          'warning',
          'KA_TRACK_WEIGHT',
          `(${owner}) ${kw === 'track_script' ? 'track script' : 'track interface'} ${words[0]}: weight must be between [-253..253] inclusive, ignoring...`,
          l,
        );
      } else if (w === 254 || w === -254) {
        ctx.report(
          'warning',
          'KA_TRACK_WEIGHT',
          `(${owner}) weight for ${words[0]} cannot be +/-254. Setting to +/-253`,
          l,
        );
        ref.weight = w > 0 ? 253 : -253;
      } else ref.weight = w;
      if (words[3] === 'reverse') ref.weightReverse = true;
      else if (words[3] === 'noreverse') ref.weightReverse = false;
      else if (words[3] !== undefined) {
        ctx.report(
          'warning',
          'KA_TRACK_OPTION',
          `(${owner}) unknown ${kw} ${words[0]} weight option ${words[3]} - ignoring`,
          l,
        );
      }
    } else if (words.length > 1) {
      ctx.report(
        'warning',
        'KA_TRACK_OPTION',
        `(${owner}) ${kw} ${words[0]} option '${words[1]}' is invalid - ignoring`,
        l,
      );
    }
    into.push(ref);
  });
}

/** The `notify*` keywords shared by instances and sync groups. */
export function notifyKeywords(ctx: ParseContext, t: KeywordTable, hooks: NotifyHooks, owner: string): void {
  // `notify_X SCRIPT|"SCRIPT ARGS" [username [groupname]]`: extra words name the user, not arguments.
  const set = (key: keyof NotifyHooks, kw: string) => ({
    handler: (args: string[], loc: SourceLoc) => {
      const v = need1(ctx, kw, args, loc);
      if (v === undefined) return;
      const argv = splitCommand(v);
      if (typeof argv === 'string' || argv.length === 0) {
        ctx.report('error', 'KA_BAD_SCRIPT', `${kw}: ${typeof argv === 'string' ? argv : 'empty command'}`, loc);
        return;
      }
      const hook: NotifyCommand = { command: v, argv, loc };
      if (args[1] !== undefined) hook.user = args[2] ? { user: args[1], group: args[2] } : { user: args[1] };
      if (args.length > 3)
        ctx.report('warning', 'KA_EXTRA_PARAMS', `${kw}: extra parameters after the group name - ignoring`, loc);
      if (hooks[key]) {
        ctx.report('warning', 'KA_NOTIFY_DUP', `(${owner}) ${kw} script already specified - ignoring ${v}`, loc);
        return;
      }
      hooks[key] = hook;
    },
  });
  t.set('notify_master', set('master', 'notify_master'));
  t.set('notify_backup', set('backup', 'notify_backup'));
  t.set('notify_fault', set('fault', 'notify_fault'));
  t.set('notify_stop', set('stop', 'notify_stop'));
  t.set('notify', set('any', 'notify'));
  t.set('notify_master_rx_lower_pri', set('masterRxLowerPri', 'notify_master_rx_lower_pri'));
}
