/**
 * track_file: a file holding a number that moves the priority, as keepalived 2.2.7 does it
 * (keepalived/trackers/track_file.c): the first 127 bytes read with strtol(buf, NULL, 0) (hex
 * 0x.., octal 0.., decimal; no digits is 0; a missing or deleted file is 0; a number outside
 * int32 is logged and ignored), re-read when the file is written, moved in or deleted (inotify on
 * its directory, here through fs.watch). Each tracking instance adds value x weight (x -1 when
 * reverse), clamped to -254..253; -254 is FAULT. Weight 0: a non-zero value is FAULT (reverse: zero).
 */
import { type FSWatcher, statSync, watch, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { VrrpTrackFile } from '../conf/model.ts';
import { Tracker } from './tracker.ts';

/** keepalived's strtol(buf, NULL, 0) of the file text; undefined when out of range (ignored). */
export function parseTrackFileValue(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX](?=[0-9a-fA-F])[0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)?/.exec(text);
  const digits = m?.[2];
  if (!digits) return 0;
  let n: bigint;
  if (/^0[xX]/.test(digits)) n = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0') n = BigInt(`0o${digits.slice(1)}`);
  else n = BigInt(digits);
  if (m[1] === '-') n = -n;
  // strtol saturates with ERANGE beyond a 64-bit long; keepalived then ignores the value, as it
  // does anything outside [INT32_MIN, INT32_MAX + 1].
  if (n < -2147483648n || n > 2147483648n) return undefined;
  return Number(n);
}

/** What one instance gets from a track_file value (keepalived's process_update_vrrp_track_file_status). */
export function trackFileEffect(value: number, weight: number, reverse: boolean): { delta: number; fault: boolean } {
  if (weight === 0) return { delta: 0, fault: (value !== 0) !== reverse };
  const status = Math.max(-254, Math.min(253, value * weight * (reverse ? -1 : 1)));
  return status === -254 ? { delta: 0, fault: true } : { delta: status, fault: false };
}

/** Watches one track_file. `ok` is unused by the weights (see trackFileEffect); `value` is what counts. */
export class FileTracker extends Tracker {
  readonly label: string;
  readonly path: string;
  /** The last number read (0 for a missing file). */
  value = 0;
  /** The file's directory does not exist: keepalived drops the tracker (contributes nothing). */
  removed = false;
  private watcher?: FSWatcher;
  private reading: Promise<void> = Promise.resolve();
  private readonly log: (msg: string) => void;

  constructor(
    readonly conf: VrrpTrackFile,
    opts: { log?: (msg: string) => void } = {},
  ) {
    super(true);
    this.label = `track_file ${conf.name}`;
    this.path = resolve(conf.path);
    this.log = opts.log ?? (() => {});
  }

  /** This tracker's contribution to one instance (undefined: dropped, contributes nothing). */
  effect(weight: number, reverse: boolean): { delta: number; fault: boolean } | undefined {
    return this.removed ? undefined : trackFileEffect(this.value, weight, reverse);
  }

  /** init_file, then the first read; call before start() (Tracking.start does). */
  async poll(): Promise<void> {
    this.initFile();
    try {
      if (!statSync(dirname(this.path)).isDirectory()) throw new Error('not a directory');
    } catch {
      this.log(`Track file directory for ${this.conf.name} does not exist - removing`);
      this.removed = true;
      return;
    }
    await this.read(false);
  }

  /** keepalived's init_file: write VALUE when the file is absent, or always with `overwrite`. */
  private initFile(): void {
    const init = this.conf.init;
    if (!init) return;
    try {
      const st = statSync(this.path);
      if (!init.overwrite) return;
      if (!st.isFile()) {
        this.log(`Cannot initialise track file ${this.conf.name} - it is not a regular file`);
        return;
      }
    } catch {
      // Absent: create it.
    }
    try {
      writeFileSync(this.path, `${init.value}\n`);
    } catch {
      this.log(`Unable to initialise track file ${this.conf.name}`);
    }
  }

  start(): void {
    if (this.removed || this.watcher) return;
    const base = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_ev, name) => {
        if (name === null || name.toString() === base) this.reread();
      });
      this.watcher.on('error', (e) => this.log(`(${this.conf.name}) watching ${this.path} failed: ${e.message}`));
    } catch (e) {
      this.log(`Unable to monitor track files (${(e as Error).message})`);
    }
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    await this.reading;
  }

  private reread(): void {
    this.reading = this.reading.then(() => this.read(true));
  }

  /** Reads the number (missing file: 0) and emits `change` when it moved. */
  private async read(emit: boolean): Promise<void> {
    let text = '';
    try {
      const fh = await open(this.path, 'r');
      try {
        const buf = Buffer.alloc(127);
        const { bytesRead } = await fh.read(buf, 0, 127, 0);
        text = buf.subarray(0, bytesRead).toString('latin1');
      } finally {
        await fh.close();
      }
    } catch {
      // Missing or unreadable: keepalived counts it as 0.
    }
    const v = parseTrackFileValue(text);
    if (v === undefined) {
      this.log(`Invalid number ${text.trim()} read from ${this.path} - ignoring`);
      return;
    }
    if (v === this.value) return;
    this.value = v;
    if (emit) this.emit('change', this.ok, `${this.label} ${this.path} now ${v}`);
  }
}
