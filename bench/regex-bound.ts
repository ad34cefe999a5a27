/**
 * What bounding the configuration regexes costs and saves (packages/proxy/src/acl/regex.ts):
 * the time of one `-m reg ^/(a+)+$` match on a hostile path of N `a` + `b`, and the time of an
 * everyday pattern, each with V8's fallback to its linear engine off (a child process without
 * the flag) and on. Run: `npx tsx bench/regex-bound.ts`; writes bench/results/regex-bound.md.
 * Medians of 5 runs; the machine is shared and noisy.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const CHILD = `
const v8 = require('node:v8');
if (process.argv[1] === 'on') v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
const n = Number(process.argv[2]);
const hostile = new RegExp('^/(a+)+$');
const path = '/' + 'a'.repeat(n) + 'b';
let t = process.hrtime.bigint();
hostile.test(path);
const hostileMs = Number(process.hrtime.bigint() - t) / 1e6;
const usual = new RegExp('^/api/v[0-9]+/([a-z0-9_-]+)/items/[0-9]+$');
const inputs = ['/api/v2/user_1/items/42', '/static/app.js', '/api/v10/abc/items/x'];
let hits = 0;
for (let i = 0; i < 2e5; i++) if (usual.test(inputs[i % 3])) hits++;
t = process.hrtime.bigint();
for (let i = 0; i < 3e6; i++) if (usual.test(inputs[i % 3])) hits++;
console.log(JSON.stringify({ hostileMs, usualNs: Number(process.hrtime.bigint() - t) / 3e6, hits }));
`;

function run(mode: 'off' | 'on', n: number): { hostileMs: number; usualNs: number } {
  const out = execFileSync(process.execPath, ['-e', CHILD, mode, String(n)], { encoding: 'utf8' });
  return JSON.parse(out);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: string[] = [];
for (const n of [20, 24, 26]) {
  const off = Array.from({ length: 5 }, () => run('off', n));
  const on = Array.from({ length: 5 }, () => run('on', n));
  rows.push(
    `| ${n} | ${median(off.map((r) => r.hostileMs)).toFixed(1)} ms | ${median(on.map((r) => r.hostileMs)).toFixed(2)} ms | ${median(off.map((r) => r.usualNs)).toFixed(0)} ns | ${median(on.map((r) => r.usualNs)).toFixed(0)} ns |`,
  );
}
const md = `# Bounded regexes (V8's linear-engine fallback)

\`npx tsx bench/regex-bound.ts\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}), medians of 5
runs, one process per run; shared 2-core machine, noisy.

| N (\`/\` + N \`a\` + \`b\` against \`^/(a+)+$\`) | hostile match, fallback off | on | everyday pattern, off | on |
|---:|---:|---:|---:|---:|
${rows.join('\n')}
`;
writeFileSync(new URL('./results/regex-bound.md', import.meta.url), md);
process.stdout.write(md);
