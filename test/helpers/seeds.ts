/**
 * The seed configurations users wrote (haproxy 1.4-era, keepalived pairs, LVS), kept in the
 * repository at test/fixtures/seeds (origin and checksums in its README). Tests read them only
 * through here, so no test reaches outside the clone.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of test/fixtures/seeds/. */
export const SEEDS_DIR = fileURLToPath(new URL('../fixtures/seeds/', import.meta.url));

/** The keepalived.conf seeds, every one of which Switchyard must load. */
export const KEEPALIVED_SEEDS = [
  'keepalived-lvs-dr-master.conf',
  'keepalived-nginx-backup.conf',
  'keepalived-nginx-master.conf',
  'keepalived-track-haproxy.conf',
  'keepalived-two-vips.conf',
] as const;

/** Absolute path of one seed file, e.g. seed('haproxy-1.4-seed.cfg'). */
export function seed(name: string): string {
  return join(SEEDS_DIR, name);
}
