export { type CliArgs, parseArgs, USAGE, UsageError } from './args.ts';
export { checkConfig } from './check.ts';
export { DEMO_PORTS, startDemoBackends } from './demo.ts';
export { main } from './main.ts';
export { versionText } from './version.ts';
