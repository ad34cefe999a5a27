/**
 * deploy/grafana/switchyard-haproxy.json against the real exporter: every metric any panel or
 * variable queries is in the `/metrics` output of a running `switchyard` (real loopback servers,
 * checks, a VRRP state set on the runtime socket), with the labels and label values the queries
 * match on; and every expression is valid PromQL for `promtool check rules`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import {
  freePort,
  type ProxyProcess,
  ROOT,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

interface Panel {
  title?: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/switchyard-haproxy.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> };
};

/** Every expression of the dashboard, with where it is. */
function expressions(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push({ where: `panel '${p.title}'`, expr: t.expr });
      if (p.panels) walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** `label_values(SELECTOR, LABEL)` of the query variables. */
function variableQueries(): Array<{ where: string; selector: string; label: string }> {
  const out: Array<{ where: string; selector: string; label: string }> = [];
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
    assert.ok(m, `variable ${v.name}: ${q}`);
    out.push({ where: `variable '${v.name}'`, selector: m[1], label: m[2] });
  }
  return out;
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'or',
  'and',
  'unless',
  'offset',
]);
/** Labels Prometheus adds to every scraped series (not in the exporter's output). */
const TARGET_LABELS = new Set(['instance', 'job']);

/** The metric names an expression reads: identifiers outside strings, matchers, ranges and label lists, not calls. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const next = bare.slice((m.index ?? 0) + word.length).trimStart();
    if (next.startsWith('(') || KEYWORDS.has(word)) continue;
    if (/^\d/.test(word)) continue;
    names.push(word);
  }
  return names;
}

/** `metric{label op "value", ...}` selectors of an expression. */
function selectors(
  expr: string,
): Array<{ metric: string; matchers: Array<{ label: string; op: string; value: string }> }> {
  const out: Array<{ metric: string; matchers: Array<{ label: string; op: string; value: string }> }> = [];
  for (const m of expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/g)) {
    const matchers = [...m[2].matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({
      label: x[1],
      op: x[2],
      value: x[3],
    }));
    out.push({ metric: m[1], matchers });
  }
  return out;
}

/** Label lists of `by (...)` clauses. */
function byLabels(expr: string): string[] {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** name -> the label sets of its samples, from the exposition text. */
function parseExposition(text: string): Map<string, Array<Record<string, string>>> {
  const out = new Map<string, Array<Record<string, string>>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+\S+/.exec(line);
    assert.ok(m, `exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    const list = out.get(m[1]) ?? [];
    list.push(labels);
    out.set(m[1], list);
  }
  return out;
}

test('the dashboard imports cleanly: unique ids and refIds, panels on the 24-column grid without overlap, one data source variable', () => {
  const d = dashboard as unknown as {
    uid: string;
    schemaVersion: number;
    panels: Array<{
      id: number;
      type: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { uid: string };
      targets?: Array<{ refId: string; datasource?: { uid: string } }>;
    }>;
  };
  assert.equal(d.uid, 'switchyard-haproxy');
  assert.ok(d.schemaVersion >= 30);
  /** Grafana's reference to the `datasource` variable. */
  const DS_VAR = ['$', '{datasource}'].join('');
  const ids = new Set<number>();
  const cells = new Set<string>();
  for (const p of d.panels) {
    assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
    ids.add(p.id);
    const { x, y, w, h } = p.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `panel ${p.id} gridPos ${JSON.stringify(p.gridPos)}`);
    for (let i = x; i < x + w; i++)
      for (let j = y; j < y + h; j++) {
        assert.ok(!cells.has(`${i},${j}`), `panel ${p.id} overlaps another at ${i},${j}`);
        cells.add(`${i},${j}`);
      }
    if (p.type === 'row') continue;
    assert.equal(p.datasource?.uid, DS_VAR, `panel ${p.id} data source`);
    const refs = (p.targets ?? []).map((t) => t.refId);
    assert.ok(refs.length > 0 && new Set(refs).size === refs.length, `panel ${p.id} refIds ${refs}`);
    for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, DS_VAR);
  }
  const dsVars = dashboard.templating.list.filter((v) => v.type === 'datasource');
  assert.deepEqual(
    dsVars.map((v) => [v.name, v.query]),
    [['datasource', 'prometheus']],
  );
});

test('the dashboard queries only haproxy_* and switchyard_* metrics', () => {
  const all = expressions();
  assert.ok(all.length >= 30, `${all.length} expressions`);
  for (const { where, expr } of all) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
    for (const n of names) assert.match(n, /^(haproxy|switchyard)_/, `${where}: ${n} in ${expr}`);
  }
});

test('every expression is valid PromQL (promtool check rules)', { skip: needs('promtool') }, () => {
  const tmp = tempDir();
  try {
    // Grafana's variables as Prometheus would receive them after substitution
    const substitute = (e: string) =>
      e
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '1h')
        .replace(/\$(instance|frontend|backend|server)\b/g, '.*');
    const rules = expressions()
      .map((e, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(substitute(e.expr))}\n`)
      .join('');
    const file = writeFile(tmp.dir, 'rules.yml', `groups:\n  - name: dashboard\n    rules:\n${rules}`);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${expressions().length} rules found`));
  } finally {
    tmp.cleanup();
  }
});

/** Switchyard's extensions (not in HAProxy 2.6's exporter): the latency histograms and switchyard_*. */
const isExtension = (name: string) => name.startsWith('switchyard_') || name.includes('_http_request_duration_seconds');

/** The exporter's name of a label as a query sees it (`exported_instance` is its own `instance`). */
const exporterLabel = (l: string) => (l === 'exported_instance' ? 'instance' : l);

type Samples = Map<string, Array<Record<string, string>>>;

function checkSelector(
  samples: Samples,
  where: string,
  metric: string,
  matchers: Array<{ label: string; op: string; value: string }>,
) {
  const sets = samples.get(metric);
  assert.ok(sets && sets.length > 0, `${where}: ${metric} is not in /metrics`);
  for (const { label, op, value } of matchers) {
    if (TARGET_LABELS.has(label)) continue;
    assert.ok(
      sets.some((s) => exporterLabel(label) in s),
      `${where}: ${metric} has no label ${label}`,
    );
    if (op === '=')
      assert.ok(
        sets.some((s) => s[exporterLabel(label)] === value),
        `${where}: no ${metric}{${label}="${value}"} in /metrics`,
      );
  }
}

/** Checks every panel and variable query against `samples`; `core` leaves Switchyard's extensions out. Returns the references checked. */
function checkDashboard(samples: Samples, core: boolean): number {
  let checked = 0;
  const wanted = (n: string) => !(core && isExtension(n));
  for (const { where, expr } of expressions()) {
    const names = metricNames(expr).filter(wanted);
    for (const n of names) {
      assert.ok(samples.get(n)?.length, `${where}: ${n} is not in /metrics`);
      checked++;
    }
    for (const sel of selectors(expr)) if (wanted(sel.metric)) checkSelector(samples, where, sel.metric, sel.matchers);
    if (names.length === 0) continue; // an extension-only panel (core)
    for (const l of byLabels(expr)) {
      if (TARGET_LABELS.has(l)) continue;
      assert.ok(
        names.some((n) => samples.get(n)?.some((x) => exporterLabel(l) in x)),
        `${where}: no metric of ${expr} has the label ${l}`,
      );
    }
  }
  for (const { where, selector, label } of variableQueries()) {
    const [sel] = selectors(selector.includes('{') ? selector : `${selector}{}`);
    checkSelector(samples, where, sel.metric, sel.matchers);
    checked++;
    if (TARGET_LABELS.has(label)) continue;
    assert.ok(
      samples.get(sel.metric)?.some((x) => label in x),
      `${where}: ${sel.metric} has no label ${label}`,
    );
  }
  return checked;
}

/** A farm of two real loopback servers (one answers 503 on /err) with checks and the exporter on `web`. */
function farmConfig(web: number, sock: string, s1: Upstream, s2: Upstream): string {
  return `global
  stats socket ${sock} level admin

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend web
  bind 127.0.0.1:${web}
  http-request use-service prometheus-exporter if { path /metrics }
  default_backend app

backend app
  option httpchk GET /
  server s1 127.0.0.1:${s1.port} check inter 500
  server s2 127.0.0.1:${s2.port} check inter 500
`;
}

describe('every metric the dashboard queries is in /metrics (Switchyard, and HAProxy 2.6 less the extensions)', () => {
  const tmp = tempDir();
  let s1: Upstream;
  let s2: Upstream;
  let proxy: ProxyProcess | undefined;
  let haproxy: ChildProcess | undefined;

  before(async () => {
    s1 = await startUpstream('s1');
    s2 = await startUpstream('s2', (req, res) => {
      req.resume();
      res.writeHead(req.url === '/err' ? 503 : 200);
      res.end('s2\n');
    });
  });

  after(async () => {
    await proxy?.stop();
    if (haproxy && haproxy.exitCode === null) {
      const done = new Promise((r) => haproxy?.once('exit', r));
      haproxy.kill('SIGTERM');
      await done;
    }
    await s1?.close();
    await s2?.close();
    tmp.cleanup();
  });

  /** Some traffic (2xx and 5xx, so histograms and codes have samples), then one scrape. */
  async function scrape(web: number): Promise<Samples> {
    for (let i = 0; i < 20; i++)
      await (await fetch(`http://127.0.0.1:${web}/${i % 5 === 0 ? 'err' : ''}`)).arrayBuffer();
    const r = await fetch(`http://127.0.0.1:${web}/metrics`);
    assert.equal(r.status, 200);
    return parseExposition(await r.text());
  }

  test('switchyard: every metric, matched label and value, grouping label and variable', async () => {
    const web = await freePort();
    const sock = join(tmp.dir, 'sy.sock');
    proxy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', farmConfig(web, sock, s1, s2))]);
    assert.equal(await cliQuery({ path: sock }, 'set vrrp state VI_1 MASTER'), '\n');
    const checked = checkDashboard(await scrape(web), false);
    assert.ok(checked >= 45, `${checked} references checked`);
  });

  test('haproxy 2.6: the same, less the latency histograms and switchyard_*', { skip: needs('haproxy') }, async () => {
    const web = await freePort();
    const sock = join(tmp.dir, 'ha.sock');
    const cfg = writeFile(tmp.dir, 'ha.cfg', farmConfig(web, sock, s1, s2));
    haproxy = spawn('haproxy', ['-db', '-dR', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    haproxy.stderr?.on('data', (d) => {
      stderr += d;
    });
    await until(
      async () => {
        if (haproxy?.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
        return fetch(`http://127.0.0.1:${web}/metrics`).then(
          (r) => r.ok,
          () => false,
        );
      },
      20_000,
      'haproxy /metrics',
    );
    const checked = checkDashboard(await scrape(web), true);
    assert.ok(checked >= 35, `${checked} references checked`);
  });
});
