/** Benchmark results: medians, ratios to HAProxy, Markdown table and an SVG chart. */

export interface Sample {
  scenario: string;
  proxy: string;
  round: number;
  rps?: number;
  p99ms?: number;
  p50ms?: number;
  rssMiB?: number;
  cpuPct?: number;
  errors?: number;
  /** Milliseconds from the proxy's spawn to its first accepted connection (the cold-start scenario). */
  readyMs?: number;
  note?: string;
}

export interface Row {
  scenario: string;
  proxy: string;
  rps?: number;
  p50ms?: number;
  p99ms?: number;
  rssMiB?: number;
  cpuPct?: number;
  readyMs?: number;
  errors: number;
  rounds: number;
  rpsRatio?: number;
  p99Ratio?: number;
  rssRatio?: number;
  note?: string;
}

/** Median of the finite numbers in `xs`, or undefined when there are none. */
export function median(xs: Array<number | undefined>): number | undefined {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Groups samples by scenario and proxy, takes medians, and computes ratios to `reference`. */
export function summarize(samples: Sample[], reference = 'haproxy'): Row[] {
  const keys = [...new Set(samples.map((s) => `${s.scenario}\u0000${s.proxy}`))];
  const rows: Row[] = keys.map((k) => {
    const [scenario, proxy] = k.split('\u0000');
    const ss = samples.filter((s) => s.scenario === scenario && s.proxy === proxy);
    return {
      scenario,
      proxy,
      rps: median(ss.map((s) => s.rps)),
      p50ms: median(ss.map((s) => s.p50ms)),
      p99ms: median(ss.map((s) => s.p99ms)),
      rssMiB: median(ss.map((s) => s.rssMiB)),
      cpuPct: median(ss.map((s) => s.cpuPct)),
      readyMs: median(ss.map((s) => s.readyMs)),
      errors: ss.reduce((a, s) => a + (s.errors ?? 0), 0),
      rounds: ss.length,
      note: ss.find((s) => s.note)?.note,
    };
  });
  for (const r of rows) {
    const ref = rows.find((x) => x.scenario === r.scenario && x.proxy === reference);
    if (!ref) continue;
    if (r.rps !== undefined && ref.rps) r.rpsRatio = r.rps / ref.rps;
    if (r.p99ms !== undefined && ref.p99ms) r.p99Ratio = r.p99ms / ref.p99ms;
    if (r.rssMiB !== undefined && ref.rssMiB) r.rssRatio = r.rssMiB / ref.rssMiB;
  }
  return rows;
}

const f = (x: number | undefined, d = 0) => (x === undefined ? '' : x.toFixed(d));

/** The Markdown table committed under bench/results/. */
export function markdown(rows: Row[], meta: Record<string, string>): string {
  const head = Object.entries(meta)
    .map(([k, v]) => `- ${k}: ${v}`)
    .join('\n');
  const lines = [
    '| scenario | proxy | req/s | x HAProxy | p50 ms | p99 ms | p99 x HAProxy | RSS MiB | CPU % | errors | rounds | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.proxy} | ${f(r.rps)} | ${f(r.rpsRatio, 2)} | ${f(r.p50ms, 2)} | ${f(r.p99ms, 2)} | ${f(r.p99Ratio, 2)} | ${f(r.rssMiB, 1)} | ${f(r.cpuPct, 1)} | ${r.errors} | ${r.rounds} | ${[r.readyMs === undefined ? '' : `start to ready ${f(r.readyMs)} ms`, r.note ?? ''].filter(Boolean).join('; ')} |`,
    );
  }
  return `${head}\n\n${lines.join('\n')}\n`;
}

const COLORS: Record<string, string> = {
  switchyard: '#1f77b4',
  haproxy: '#2ca02c',
  nginx: '#ff7f0e',
  'node-http-proxy': '#9467bd',
};

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/** A grouped bar chart of requests/s per scenario (one bar per proxy), as standalone SVG. */
export function svgChart(rows: Row[], title: string): string {
  const scen = [...new Set(rows.filter((r) => r.rps !== undefined).map((r) => r.scenario))];
  const proxies = [...new Set(rows.map((r) => r.proxy))];
  const groupW = 40 + proxies.length * 28;
  const W = Math.max(640, 90 + scen.length * groupW);
  const H = 360;
  const top = 50;
  const base = H - 70;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<line x1="70" y1="${base}" x2="${W - 10}" y2="${base}" stroke="#333"/>`,
  ];
  scen.forEach((s, i) => {
    const rs = rows.filter((r) => r.scenario === s);
    const max = Math.max(...rs.map((r) => r.rps ?? 0), 1);
    const x0 = 80 + i * groupW;
    proxies.forEach((p, j) => {
      const r = rs.find((x) => x.proxy === p);
      if (!r || r.rps === undefined) return;
      const h = ((base - top) * r.rps) / max;
      const x = x0 + j * 28;
      out.push(
        `<rect x="${x}" y="${base - h}" width="24" height="${h}" fill="${COLORS[p] ?? '#777'}"><title>${esc(`${p}: ${Math.round(r.rps)} req/s`)}</title></rect>`,
        `<text x="${x + 12}" y="${base - h - 4}" text-anchor="middle" font-size="9">${r.rpsRatio !== undefined ? r.rpsRatio.toFixed(2) : ''}</text>`,
      );
    });
    out.push(`<text x="${x0 + (proxies.length * 28) / 2}" y="${base + 16}" text-anchor="middle">${esc(s)}</text>`);
  });
  proxies.forEach((p, j) => {
    out.push(
      `<rect x="${80 + j * 150}" y="${H - 28}" width="12" height="12" fill="${COLORS[p] ?? '#777'}"/>`,
      `<text x="${96 + j * 150}" y="${H - 18}">${esc(p)}</text>`,
    );
  });
  out.push(
    `<text x="14" y="${(top + base) / 2}" transform="rotate(-90 14 ${(top + base) / 2})" text-anchor="middle">req/s (bar labels: ratio to HAProxy; each scenario scaled to its max)</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}
