/** Notify scripts (notify_master/backup/fault/stop, notify) with keepalived's arguments. */
export { Notifier, type NotifierOptions, type NotifyChange, type NotifySource } from './notifier.ts';
