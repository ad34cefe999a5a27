/**
 * Runs `switchyard vrrp ARGS` straight from packages/vrrp (for the netns tests): the same
 * vrrpMain the CLI calls, without depending on the CLI's wiring.
 * Usage: node --import tsx test/vrrp-sidecar-bin.ts -f FILE [-D] ...
 */
import { vrrpMain } from '../packages/vrrp/src/main.ts';

process.exitCode = await vrrpMain(process.argv.slice(2));
