/** `vrrp_sync_group NAME { group { A B } notify_* track_script ... }` keywords. */
import { type KeywordTable, notRun, type ParseContext } from './engine.ts';
import { fatalWithoutParam, notifyKeywords, readTrackRefs } from './kw-shared.ts';
import { refusedKeyword } from './kw-status.ts';
import type { SourceLoc, VrrpSyncGroup } from './model.ts';
import { readBool } from './values.ts';

/** A fresh, empty sync group. */
export function newSyncGroup(name: string, loc: SourceLoc): VrrpSyncGroup {
  return {
    name,
    group: [],
    notify: {},
    trackScripts: [],
    trackInterfaces: [],
    smtpAlert: false,
    trackingWeight: false,
    loc,
  };
}

/** Builds the vrrp_sync_group table writing into `g`. */
export function syncGroupTable(ctx: ParseContext, g: VrrpSyncGroup): KeywordTable {
  const t: KeywordTable = new Map();
  t.set('group', {
    handler: (args, loc) => {
      if (g.group.length > 0) {
        ctx.report('warning', 'KA_SYNC_GROUP_DUP', `Group list already specified for sync group ${g.name}`, loc);
        ctx.readValueBlock('group', args, loc, () => {});
        return;
      }
      ctx.readValueBlock('group', args, loc, (words) => g.group.push(...words));
      // keepalived reports it on the closing line (without a line when the file ended first).
      if (g.group.length === 0) {
        ctx.report(
          'warning',
          'KA_SYNC_EMPTY_BLOCK',
          `Warning - sync group ${g.name} has empty group block`,
          ctx.closeLoc,
        );
      }
    },
  });
  t.set('track_script', {
    handler: (args, loc) => readTrackRefs(ctx, 'track_script', g.name, args, loc, g.trackScripts),
  });
  t.set('track_interface', {
    handler: (args, loc) => readTrackRefs(ctx, 'track_interface', g.name, args, loc, g.trackInterfaces),
  });
  notifyKeywords(ctx, t, g.notify, g.name);
  // An instance keyword only (keepalived's sync groups do not know it).
  t.delete('notify_master_rx_lower_pri');
  t.set('smtp_alert', {
    handler: (args, loc) => {
      g.smtpAlert = readBool(ctx, 'smtp_alert', args, loc);
      if (g.smtpAlert)
        ctx.report(
          'warning',
          'SY_NO_SMTP',
          `(${g.name}) smtp_alert: Switchyard sends no e-mail; use a notify script`,
          loc,
        );
    },
  });
  // keepalived 2.2.7: the deprecated global_tracking also turns sync_group_tracking_weight on.
  t.set('global_tracking', {
    handler: (_a, loc) => {
      ctx.report(
        'warning',
        'KA_GLOBAL_TRACKING',
        `(${g.name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`,
        loc,
      );
      g.trackingWeight = true;
    },
  });
  t.set('sync_group_tracking_weight', { handler: () => (g.trackingWeight = true) });
  t.set(
    'notify_priority_changes',
    refusedKeyword(ctx, `(${g.name})`, 'notify_priority_changes', 'priority changes are not notified'),
  );
  // keepalived applies these to every member; Switchyard applies them per instance only (so far).
  for (const kw of ['track_file', 'track_process', 'track_bfd']) {
    t.set(kw, {
      handler: (args, loc) => {
        notRun(ctx, `(${g.name}) ${kw} in a vrrp_sync_group is not supported by Switchyard`, loc);
        ctx.readValueBlock(kw, args, loc, () => {});
      },
    });
  }
  return fatalWithoutParam(ctx, t);
}
