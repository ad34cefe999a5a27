#!/usr/bin/env node
// Builds dist/main.js: packages/cli/src/main.ts with every @switchyard/* package inlined, as one
// ESM file for Node 20 with a source map. npm dependencies (undici, fastify, ...) stay external,
// loaded from node_modules. One file, no chunks: a running proxy never reads dist/ again after it
// started, so rebuilding under it is safe. packages/cli/bin/switchyard.mjs runs it when it is
// newer than every source file (else the sources through tsx). The dashboard's browser assets
// (packages/admin/src/dashboard/assets) are inlined as text.
// Usage: node scripts/build.mjs [--outdir DIR]   (DIR inside the repository: dependencies resolve from there)
import { mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? resolve(process.argv[at + 1]) : join(root, 'dist');
const packagesDir = join(root, 'packages');

/**
 * Workspace packages are bundled, everything else imported by name stays external. In a bundled
 * module `import.meta.url` is rewritten to the URL of its source file (computed from the bundle's
 * own URL, so the tree can move), so paths relative to a source file (the VRRP and netprobe
 * addons, the version's package.json) and createRequire() resolve as they do from source.
 */
const workspace = {
  name: 'switchyard-workspace',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@switchyard/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!args.path.startsWith(packagesDir) || !source.includes('import.meta.'))
        return { contents: source, loader: 'ts' };
      if (/import\.meta\.(dirname|filename|resolve)\b/.test(source)) {
        return {
          errors: [
            {
              text: `${relative(root, args.path)}: use import.meta.url (rewritten when bundled), not dirname/filename/resolve`,
            },
          ],
        };
      }
      const rel = relative(outdir, args.path).split('\\').join('/');
      const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

const started = performance.now();
// main.js gets this time as its mtime: a source saved while the build runs counts as newer
const readAt = new Date();
/** The dashboard's browser script and stylesheet, inlined (packages/admin/src/dashboard/assets.ts). */
const assetsDir = join(packagesDir, 'admin/src/dashboard/assets');
const dashboardAssets = {
  js: readFileSync(join(assetsDir, 'dashboard.js'), 'utf8'),
  css: readFileSync(join(assetsDir, 'dashboard.css'), 'utf8'),
};

const result = await build({
  entryPoints: { main: join(root, 'packages/cli/src/main.ts') },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [workspace],
  write: false,
  define: { SWITCHYARD_BUNDLE: 'true', SWITCHYARD_DASHBOARD_ASSETS: JSON.stringify(dashboardAssets) },
});
// Each file is written beside its final name then renamed over it (a process starting meanwhile
// reads the old or the new file, never half of one); the map first, main.js last.
mkdirSync(outdir, { recursive: true });
const files = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith('.js')) - Number(b.path.endsWith('.js')));
for (const f of files) {
  mkdirSync(dirname(f.path), { recursive: true });
  const tmp = `${f.path}.${process.pid}.tmp`;
  writeFileSync(tmp, f.contents);
  utimesSync(tmp, readAt, readAt);
  renameSync(tmp, f.path);
}
const kib = Math.round(files.reduce((n, f) => n + f.contents.length, 0) / 1024);
process.stderr.write(
  `build: ${relative(root, outdir) || '.'}/main.js (${kib} KiB with map) in ${Math.round(performance.now() - started)} ms\n`,
);
