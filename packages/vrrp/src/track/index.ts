/** Trackers: vrrp_script, track_file, track_process, track_interface (and the instance's own interface), track_proxy. */

export { type Attached, attachTracking } from './attach.ts';
export { FileTracker, parseTrackFileValue, trackFileEffect } from './file.ts';
export { InterfaceTracker, type InterfaceTrackerOptions, interfaceUp } from './interface.ts';
export {
  countProcesses,
  ProcessTracker,
  paramsMatch,
  trackProcessEffect,
} from './process.ts';
export { judgeStat, ProxyTracker } from './proxy.ts';
export { runOnce, type ScriptRun, ScriptTracker, type ScriptTrackerOptions } from './script.ts';
export { parseShowStat, runtimeCommand, type StatRow, socketAddress } from './stat-socket.ts';
export { PollingTracker, RiseFall, Tracker, type TrackerEvents } from './tracker.ts';
export { startTracking, Tracking, type TrackingOptions, type TrackTarget } from './tracking.ts';
export { effectivePriority, trackerDelta, trackerFaults } from './weight.ts';
