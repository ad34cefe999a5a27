// Switchyard's live dashboard (served inline at STATS_URI;dashboard). Plain browser JavaScript,
// no framework, nothing fetched from elsewhere: one JSON request a second (`;dashboard;data;since=T`
// returns only the samples after T), charts drawn as SVG paths, server timelines as bands.
(() => {
  const config = JSON.parse(document.getElementById('dash-config').textContent);
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 300;
  const H = 72;
  // charts of a card: which series (index in data.metrics), their labels, the unit shown
  const CHARTS = [
    {
      id: 'rate',
      title: 'Requests/s',
      lines: [
        ['req', 'requests'],
        ['r5xx', '5xx'],
      ],
    },
    {
      id: 'latency',
      title: 'Latency (ms)',
      lines: [
        ['p50', 'p50'],
        ['p95', 'p95'],
        ['p99', 'p99'],
      ],
    },
    {
      id: 'errors',
      title: 'Errors/s',
      lines: [
        ['err', 'errors'],
        ['retry', 'retries'],
        ['redisp', 'redispatches'],
      ],
    },
    { id: 'queue', title: 'Queue', lines: [['queue', 'queued']] },
  ];
  const FIGURES = [
    ['req', 'req/s', 1],
    ['p50', 'p50 ms', 1],
    ['p95', 'p95 ms', 1],
    ['p99', 'p99 ms', 1],
    ['err', 'errors/s', 1],
    ['retry', 'retries/s', 1],
    ['queue', 'queue', 0],
  ];

  const store = { times: [], proxies: new Map(), metrics: [], windowMs: 900000, intervalMs: 1000, now: 0 };
  // what the charts and timelines span (the range buttons); the server keeps windowMs
  const RANGES = {
    60000: ['−60 s', '−40', '−20', 'now'],
    300000: ['−5 min', '−4', '−3', '−2', '−1', 'now'],
    900000: ['−15 min', '−10', '−5', 'now'],
  };
  let rangeMs = 900000;
  const cards = new Map();
  const main = document.getElementById('proxies');
  const tip = document.getElementById('tip');
  const status = document.getElementById('status');

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  const pad = (n) => String(n).padStart(2, '0');
  function clock(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
    return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '–';
    if (v >= 1000) return String(Math.round(v));
    return v.toFixed(v >= 100 ? 0 : digits);
  }
  const keyOf = (p) => `${p.kind}/${p.name}`;

  // merges a response into the store: new samples appended, older than the window dropped
  function merge(d) {
    store.metrics = d.metrics;
    store.windowMs = d.windowMs;
    store.intervalMs = d.intervalMs;
    store.now = d.now;
    store.vrrp = d.vrrp;
    store.omitted = d.omitted;
    store.sampling = d.sampling;
    const before = store.times.length;
    const seen = new Set();
    for (const p of d.proxies) {
      const k = keyOf(p);
      seen.add(k);
      let s = store.proxies.get(k);
      if (!s) {
        s = { kind: p.kind, name: p.name, series: d.metrics.map(() => new Array(before).fill(null)) };
        store.proxies.set(k, s);
      }
      s.mode = p.mode;
      // a server's bands come only when they changed: keep the ones already here
      if (p.servers) {
        const had = new Map((s.servers || []).map((x) => [x.name, x.bands]));
        for (const sv of p.servers) sv.bands ??= had.get(sv.name) || [];
      }
      s.servers = p.servers;
      p.series.forEach((values, m) => {
        s.series[m].push(...values);
      });
    }
    for (const k of [...store.proxies.keys()]) if (!seen.has(k)) store.proxies.delete(k);
    store.times.push(...d.times);
    const start = d.now - d.windowMs;
    let drop = 0;
    while (drop < store.times.length && store.times[drop] < start) drop++;
    if (drop > 0) {
      store.times.splice(0, drop);
      for (const s of store.proxies.values()) for (const a of s.series) a.splice(0, drop);
    }
  }

  function buildCard(s) {
    const card = el('section', { class: `card ${s.kind}`, 'data-kind': s.kind, 'data-proxy': s.name });
    const h = el('h2');
    h.append(el('span', { class: 'kind' }, s.kind), ` ${s.name} `, el('span', { class: 'mode' }, s.mode));
    card.append(h);
    const figs = el('div', { class: 'figures' });
    const figure = {};
    for (const [metric, label] of FIGURES) {
      if (s.kind === 'frontend' && (metric === 'retry' || metric === 'queue')) continue;
      const f = el('div', { class: 'fig', 'data-metric': metric });
      const b = el('b', {}, '–');
      // a tcp proxy counts sessions, not HTTP requests
      f.append(b, el('span', {}, s.mode === 'tcp' && metric === 'req' ? 'sessions/s' : label));
      figs.append(f);
      figure[metric] = b;
    }
    card.append(figs);
    const charts = el('div', { class: 'charts' });
    const paths = [];
    const maxLabels = {};
    for (const c of CHARTS) {
      let title = s.kind === 'frontend' && c.id === 'queue' ? 'Current sessions' : c.title;
      if (s.mode === 'tcp' && c.id === 'rate') title = 'Sessions/s';
      if (s.mode === 'tcp' && c.id === 'latency') title = 'Latency (ms, HTTP only)';
      let lines = s.kind === 'frontend' && c.id === 'errors' ? [['err', 'request errors']] : c.lines;
      const fig = el('figure', { class: 'chart', 'data-chart': c.id });
      if (s.kind === 'frontend' && c.id === 'queue') lines = [['queue', 'sessions']];
      const cap = el('figcaption', {}, `${title} `);
      lines.forEach(([, label], i) => {
        cap.append(el('i', { class: `key k${i}` }, label));
      });
      const max = el('span', { class: 'max' }, '');
      maxLabels[c.id] = max;
      const svg = svgEl('svg', {
        viewBox: `0 0 ${W} ${H}`,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': `${s.kind} ${s.name}: ${title}`,
      });
      svg.append(svgEl('line', { class: 'grid', x1: 0, x2: W, y1: H / 2, y2: H / 2 }));
      lines.forEach(([metric], i) => {
        const p = svgEl('path', { class: `line k${i}`, 'data-series': metric, d: '' });
        svg.append(p);
        paths.push({ chart: c.id, metric, path: p });
      });
      fig.append(cap, max, svg, axisEl());
      charts.append(fig);
    }
    card.append(charts);
    let lines;
    if (s.kind === 'backend') {
      lines = el('div', { class: 'timelines' });
      card.append(el('h3', {}, 'Servers'), lines, axisEl('timeline-axis'));
    }
    return { card, figure, paths, maxLabels, lines, rows: new Map() };
  }

  // the last value of a series, looking back `back` samples at most (latency is null in a quiet second)
  function last(a, back) {
    for (let i = a.length - 1; i >= 0 && i >= a.length - back; i--) if (a[i] !== null) return a[i];
    return null;
  }

  // an SVG path through the non-null samples; a gap longer than `bridgeMs` between two of them
  // breaks the line (latency is null in a second without requests: short gaps are bridged)
  function drawPath(a, max, start, bridgeMs) {
    let d = '';
    let prevT = 0;
    let alone = false;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      const t = store.times[i];
      if (v === null || t < start) continue;
      const x = (((t - start) / rangeMs) * W).toFixed(1);
      const y = (H - 2 - (Math.min(v, max) / max) * (H - 4)).toFixed(1);
      const joined = prevT > 0 && t - prevT <= bridgeMs;
      // a lone sample is drawn as a dot (a zero-length segment with a round cap)
      if (!joined && alone) d += 'h0.01';
      d += `${joined ? 'L' : 'M'}${x} ${y}`;
      alone = !joined;
      prevT = t;
    }
    if (alone) d += 'h0.01';
    return d;
  }

  function updateCard(c, s) {
    const idx = (m) => store.metrics.indexOf(m);
    for (const [metric, , digits] of FIGURES) {
      const b = c.figure[metric];
      if (!b) continue;
      const a = s.series[idx(metric)];
      const back = metric.startsWith('p') ? 5 : 2;
      b.textContent = fmt(last(a, back), digits);
      b.parentElement.dataset.value = String(last(a, back) ?? '');
    }
    const start = store.now - rangeMs;
    const byChart = new Map();
    for (const p of c.paths) {
      const list = byChart.get(p.chart) || [];
      list.push(p);
      byChart.set(p.chart, list);
    }
    for (const [chart, list] of byChart) {
      let max = 0;
      for (const p of list) for (const v of s.series[idx(p.metric)]) if (v !== null && v > max) max = v;
      const top = max > 0 ? niceCeil(max) : 1;
      c.maxLabels[chart].textContent = `max ${fmt(max, 1)}`;
      for (const p of list) {
        const a = s.series[idx(p.metric)];
        const bridge = p.metric.startsWith('p') ? 10_000 : store.intervalMs * 2.5;
        p.path.setAttribute('d', drawPath(a, top, start, bridge));
        let n = 0;
        for (const v of a) if (v !== null) n++;
        p.path.dataset.points = String(n);
        p.path.dataset.max = String(a.reduce((m, v) => (v !== null && v > m ? v : m), 0));
      }
    }
    if (c.lines) updateTimelines(c, s, start);
  }

  // a time axis under a chart or the timelines; its labels follow the range
  function axisEl(extra) {
    const a = el('div', { class: `axis ${extra || ''}` });
    fillAxis(a);
    return a;
  }
  function fillAxis(a) {
    a.replaceChildren(...RANGES[rangeMs].map((t) => el('span', {}, t)));
  }

  function niceCeil(v) {
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function updateTimelines(c, s, start) {
    const seen = new Set();
    for (const sv of s.servers || []) {
      seen.add(sv.name);
      let row = c.rows.get(sv.name);
      if (!row) {
        const r = el('div', { class: 'srv', 'data-server': sv.name });
        const name = el('span', { class: 'name' }, sv.backup ? `${sv.name} (backup)` : sv.name);
        const st = el('span', { class: 'status' });
        const bar = el('div', { class: 'bar' });
        r.append(name, st, bar);
        c.lines.append(r);
        row = { r, st, bar };
        c.rows.set(sv.name, row);
      }
      const current = sv.bands.length ? sv.bands[sv.bands.length - 1].state : 'UNKNOWN';
      row.r.dataset.state = current;
      row.st.textContent = sv.status;
      row.st.dataset.state = current;
      row.bar.replaceChildren();
      sv.bands.forEach((b, i) => {
        const end = i + 1 < sv.bands.length ? sv.bands[i + 1].from : store.now;
        const from = Math.max(b.from, start);
        if (end <= from) return;
        const band = el('div', {
          class: 'band',
          'data-state': b.state,
          'data-reason': b.reason,
          'aria-label': `${b.state}: ${b.reason}`,
        });
        band.style.left = `${((from - start) / rangeMs) * 100}%`;
        band.style.width = `${Math.max(0.2, ((end - from) / rangeMs) * 100)}%`;
        band.dataset.tip = `${b.state} from ${clock(b.from)}${i + 1 < sv.bands.length ? ` to ${clock(end)}` : ' (now)'}, ${duration(end - b.from)}\n${b.reason}`;
        row.bar.append(band);
      });
    }
    for (const [name, row] of c.rows)
      if (!seen.has(name)) {
        row.r.remove();
        c.rows.delete(name);
      }
  }

  function renderHeader() {
    const v = document.getElementById('vrrp');
    v.replaceChildren();
    if (!store.vrrp || store.vrrp.length === 0) {
      v.dataset.state = 'none';
      v.append(el('span', { class: 'vrrp-none' }, 'VRRP: no sidecar has reported to this node'));
    } else {
      v.dataset.state = store.vrrp.map((x) => x.state).join(' ');
      v.append('VRRP ');
      for (const x of store.vrrp) {
        const since = x.since ? ` since ${clock(x.since)}` : '';
        v.append(el('span', { class: 'vrrp', 'data-state': x.state }, `${x.instance} ${x.state}${since}`));
      }
    }
    document.getElementById('clock').textContent = `updated ${clock(store.now)}`;
    const notes = [];
    if (store.omitted?.proxies) notes.push(`${store.omitted.proxies} proxies not charted (limit reached)`);
    if (store.omitted?.servers) notes.push(`${store.omitted.servers} servers without timeline (limit reached)`);
    if (store.sampling === 'while-watched') notes.push('--workers: figures are sampled while a dashboard is open');
    document.getElementById('notes').textContent = notes.join(' · ');
  }

  function render() {
    renderHeader();
    const seen = new Set();
    for (const [k, s] of store.proxies) {
      seen.add(k);
      let c = cards.get(k);
      if (!c) {
        c = buildCard(s);
        cards.set(k, c);
        main.append(c.card);
      }
      updateCard(c, s);
    }
    for (const [k, c] of cards)
      if (!seen.has(k)) {
        c.card.remove();
        cards.delete(k);
      }
    document.body.dataset.samples = String(store.times.length);
    // the bands were redrawn: the tooltip follows the one now under the pointer
    if (!tip.hidden && pointer) {
      const b = document.elementFromPoint(pointer.x, pointer.y)?.closest('.band');
      if (b) tip.textContent = b.dataset.tip;
      else tip.hidden = true;
    }
  }

  async function poll() {
    const since = store.times.length ? store.times[store.times.length - 1] : 0;
    const started = Date.now();
    let wait = 1000;
    try {
      const r = await fetch(`${config.data};since=${since}`, { cache: 'no-store', credentials: 'same-origin' });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const d = await r.json();
      if (store.pid !== undefined && d.pid !== store.pid) {
        // another process answered (a restart, or another --workers worker): its samples are
        // its own, so start over with everything it has
        store.times = [];
        store.proxies.clear();
        store.pid = undefined;
        wait = 0;
      } else {
        store.pid = d.pid;
        merge(d);
        render();
      }
      status.textContent = '';
      status.hidden = true;
    } catch (e) {
      status.textContent = `No data from the proxy (${e.message}); retrying every second.`;
      status.hidden = false;
    }
    setTimeout(poll, wait && Math.max(100, wait - (Date.now() - started)));
  }

  // hover text of the timeline bands
  main.addEventListener('mouseover', (ev) => {
    const b = ev.target.closest('.band');
    if (!b) return;
    tip.textContent = b.dataset.tip;
    tip.hidden = false;
  });
  let pointer;
  main.addEventListener('mousemove', (ev) => {
    pointer = { x: ev.clientX, y: ev.clientY };
    if (tip.hidden) return;
    tip.style.left = `${Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${ev.clientY + 14}px`;
  });
  main.addEventListener('mouseout', (ev) => {
    if (ev.target.closest('.band')) tip.hidden = true;
  });

  for (const b of document.querySelectorAll('#range button')) {
    b.addEventListener('click', () => {
      rangeMs = Number(b.dataset.range);
      for (const x of document.querySelectorAll('#range button')) x.setAttribute('aria-pressed', String(x === b));
      for (const a of document.querySelectorAll('.axis')) fillAxis(a);
      render();
    });
  }

  poll();
})();
