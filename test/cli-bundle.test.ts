/**
 * The precompiled build: which code the bin runs (dist/main.js when fresh, else the sources through
 * tsx), the bundle itself (scripts/build.mjs into a scratch directory, never the repository's
 * dist/ that other tests run), and that heavy dependencies load only when the configuration uses them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  BIN,
  defaults,
  freePort,
  ROOT,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  writeFile,
} from './helpers/proxy.ts';

const LOADED_HOOK = join(ROOT, 'test/helpers/loaded-packages.cjs');

describe('bin: dist/main.js or the sources', () => {
  // A scratch tree shaped like the repository: the real bin, and a dist/main.js and a
  // src/main.ts that only say which one ran (and, asked to, fork a node:cluster worker).
  const tmp = tempDir();
  const bin = join(tmp.dir, 'packages/cli/bin/switchyard.mjs');
  const srcMain = join(tmp.dir, 'packages/cli/src/main.ts');
  const fake = (origin: string) => `import cluster from 'node:cluster';
import { utimesSync } from 'node:fs';
export async function main(argv: string[]): Promise<void> {
  if (cluster.isWorker) {
    process.stdout.write('worker ${origin}\\n');
    process.exit(0);
  }
  process.stdout.write('${origin}\\n');
  if (argv[0] === 'fork') {
    // a source edited after the primary started must not change what its workers run
    const later = new Date(Date.now() + 60000);
    utimesSync(${JSON.stringify(srcMain)}, later, later);
    const w = cluster.fork();
    await new Promise((r) => w.on('exit', r));
  }
}
`;
  const nested = join(tmp.dir, 'packages/other/src/deep/file.ts');
  const distMain = join(tmp.dir, 'dist/main.js');
  const t0 = Date.now() / 1000 - 3600;
  const setTimes = (file: string, t: number) => utimesSync(file, t, t);

  before(() => {
    for (const f of [bin, srcMain, nested, distMain]) mkdirSync(join(f, '..'), { recursive: true });
    copyFileSync(BIN, bin);
    writeFileSync(join(tmp.dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(srcMain, fake('source'));
    writeFileSync(nested, 'export {};\n');
    symlinkSync(join(ROOT, 'node_modules'), join(tmp.dir, 'node_modules'));
  });
  after(() => tmp.cleanup());

  /** Writes dist/main.js (built at t0 + 10 s unless `builtAt`), sources at t0, then runs the bin. */
  const run = (opts: { env?: NodeJS.ProcessEnv; dist?: boolean; nestedAt?: number; argv?: string[] } = {}) => {
    rmSync(distMain, { force: true });
    if (opts.dist !== false) {
      writeFileSync(distMain, fake('dist').replace('argv: string[]', 'argv').replace(': Promise<void>', ''));
      setTimes(distMain, t0 + 10);
    }
    setTimes(srcMain, t0);
    setTimes(nested, opts.nestedAt ?? t0);
    const env = { ...process.env, ...opts.env };
    delete env.SWITCHYARD_CODE_PATH;
    if (!opts.env?.SWITCHYARD_FROM_SOURCE) delete env.SWITCHYARD_FROM_SOURCE;
    const r = spawnSync(process.execPath, [bin, ...(opts.argv ?? [])], { env, encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  test('dist/main.js newer than every source file: runs it', () => {
    assert.equal(run(), 'dist\n');
  });

  test('a source file (in any package, any depth) newer than dist/main.js: runs the sources', () => {
    assert.equal(run({ nestedAt: t0 + 20 }), 'source\n');
  });

  test('SWITCHYARD_FROM_SOURCE=1: runs the sources even with a fresh dist/', () => {
    assert.equal(run({ env: { SWITCHYARD_FROM_SOURCE: '1' } }), 'source\n');
  });

  test('no dist/: runs the sources', () => {
    assert.equal(run({ dist: false }), 'source\n');
  });

  test('a --workers worker runs what its primary runs, even after a source changed', () => {
    assert.equal(run({ argv: ['fork'] }), 'dist\nworker dist\n');
    assert.equal(run({ argv: ['fork'], env: { SWITCHYARD_FROM_SOURCE: '1' } }), 'source\nworker source\n');
  });
});

describe('the bundle (scripts/build.mjs)', () => {
  // inside the repository: the bundle's npm dependencies resolve from its node_modules
  const out = join(ROOT, `.tmp-bundle-test-${process.pid}`);
  const bundle = join(out, 'main.js');
  let upstream: Upstream;
  const tmp = tempDir();
  /** Runs the bundle's main() as the bin would, with the loaded-packages hook. */
  const viaBundle = ['--require', LOADED_HOOK, '--input-type=module', '-e'].concat(
    `const { main } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
await main(process.argv.slice(1));
setTimeout(() => process.exit(), 500).unref();`,
    '--',
  );

  before(async () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', out], {
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(r.status, 0, r.stderr);
    upstream = await startUpstream('web');
  });
  after(async () => {
    rmSync(out, { recursive: true, force: true });
    tmp.cleanup();
    await upstream.close();
  });

  test('one ESM file with a source map naming the .ts sources; no __name wrappers', () => {
    const js = readFileSync(bundle, 'utf8');
    assert.doesNotMatch(js, /__name\(/);
    assert.match(js, /\/\/# sourceMappingURL=main\.js\.map\s*$/);
    // npm dependencies stay external (loaded from node_modules), workspace code is inlined
    assert.doesNotMatch(js, /from ["']@switchyard\//);
    const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
    assert.ok(map.sources.includes('../packages/cli/src/main.ts'), map.sources.slice(0, 5).join(' '));
    assert.ok(map.sources.includes('../packages/config/src/lexer.ts'));
  });

  test('-vv from the bundle: the version from package.json (paths relative to the sources hold)', () => {
    const r = spawnSync(process.execPath, [...viaBundle, '-vv'], {
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, SWITCHYARD_TEST_LOADED: join(tmp.dir, 'v.json') },
    });
    assert.equal(r.status, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.match(r.stdout, new RegExp(`^Switchyard version ${pkg.version.replaceAll('.', '\\.')} `));
    assert.match(r.stdout, /Code: dist\/main\.js/);
  });

  /** Starts the proxy from the bundle (or the sources) on `cfg`; returns the npm packages loaded at exit. */
  async function loadedBy(cfg: string, opts: { source?: boolean; during?: () => Promise<void> } = {}) {
    const file = join(tmp.dir, `loaded-${Math.random().toString(36).slice(2)}.json`);
    const p = await startProxy(['-f', cfg], {
      node: opts.source ? [BIN] : viaBundle,
      env: {
        SWITCHYARD_TEST_LOADED: file,
        SWITCHYARD_FROM_SOURCE: opts.source ? '1' : undefined,
        NODE_OPTIONS: opts.source ? `--require ${LOADED_HOOK}` : undefined,
      },
    });
    try {
      await opts.during?.();
    } finally {
      assert.equal(await p.stop(), 0, p.stderr());
    }
    return JSON.parse(readFileSync(file, 'utf8')) as string[];
  }

  const plain = async () => {
    const port = await freePort();
    const cfg = writeFile(
      tmp.dir,
      `plain-${port}.cfg`,
      `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  acl is_api path_beg /api
  use_backend api if is_api
  default_backend web
backend web
  server w1 127.0.0.1:${upstream.port}
backend api
  balance leastconn
  server a1 127.0.0.1:${upstream.port}
`,
    );
    return { port, cfg };
  };

  test('no stats, exporter or redis-url: fastify, prom-client and ioredis are not loaded', async () => {
    const { port, cfg } = await plain();
    for (const source of [false, true]) {
      const loaded = await loadedBy(cfg, {
        source,
        during: async () => assert.match(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.[01] 200/),
      });
      for (const heavy of ['fastify', 'prom-client', 'ioredis']) {
        assert.ok(!loaded.includes(heavy), `${source ? 'sources' : 'bundle'} loaded ${heavy}: ${loaded.join(' ')}`);
      }
    }
  });

  test('stats and exporter configured: fastify loads at start, prom-client at the first scrape', async () => {
    const port = await freePort();
    const cfg = writeFile(
      tmp.dir,
      'stats.cfg',
      `${defaults()}
listen stats
  bind 127.0.0.1:${port}
  stats enable
  stats uri /stats
  http-request use-service prometheus-exporter if { path /metrics }
`,
    );
    assert.deepEqual(
      (await loadedBy(cfg)).filter((n) => ['fastify', 'prom-client', 'ioredis'].includes(n)),
      ['fastify'],
    );
    const scraped = await loadedBy(cfg, {
      during: async () => {
        const res = await rawRequest(port, 'GET /metrics HTTP/1.0\r\n\r\n');
        assert.match(res, /^HTTP\/1\.[01] 200/);
        assert.match(res, /haproxy_process_nbthread 1/);
      },
    });
    assert.ok(scraped.includes('prom-client'), scraped.join(' '));
  });

  test('a redis-url loads ioredis', { timeout: 60000 }, async () => {
    const { cfg } = await plain();
    const closed = await freePort();
    const withRedis = writeFile(
      tmp.dir,
      'redis.cfg',
      readFileSync(cfg, 'utf8').replace('global\n', `global\n  redis-url redis://127.0.0.1:${closed}\n`),
    );
    assert.ok((await loadedBy(withRedis)).includes('ioredis'));
  });
});
