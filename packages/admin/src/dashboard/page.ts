/**
 * The dashboard page (`STATS_URI;dashboard`): a shell with the stylesheet and the script inline
 * (assets.ts); the script then fetches `STATS_URI;dashboard;data;since=T` once a second.
 */
import { esc } from '../http/html.ts';
import { dashboardAssets } from './assets.ts';

export interface DashboardPageOptions {
  /** The `stats uri` this page hangs off (links and the data URL). */
  uri: string;
  /** Node name shown in the header (`stats show-node`, else global `node`), if any. */
  node?: string;
  /** Version in the header, unless `stats hide-version`. */
  version?: string;
}

/** The data URL's suffix after the stats URI. */
export const DATA_SUFFIX = ';dashboard;data';

/** JSON inside a <script> element: `<` escaped so no `</script>` can end it early. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

/** The HTML of the dashboard page. */
export function renderDashboardPage(o: DashboardPageOptions): string {
  const { js, css } = dashboardAssets();
  const title = `Switchyard dashboard${o.node ? ` - ${o.node}` : ''}`;
  const states = ['UP', 'DOWN', 'MAINT', 'DRAIN', 'NOLB']
    .map((s) => `<span><i data-state="${s}"></i>${s}</span>`)
    .concat('<span><i class="no-data"></i>not recorded</span>')
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${css}</style></head>
<body>
<header>
<h1>Switchyard <span>live dashboard${o.version ? ` ${esc(o.version)}` : ''}</span></h1>
${o.node ? `<span id="node">node ${esc(o.node)}</span>` : '<span id="node"></span>'}
<span id="vrrp"></span>
<span id="clock"></span>
<span id="range">range <button data-range="60000" aria-pressed="false">1 min</button><button data-range="300000" aria-pressed="false">5 min</button><button data-range="900000" aria-pressed="true">15 min</button></span>
<span class="legend">${states}</span>
<a href="${esc(o.uri)}">stats page</a>
<div id="notes"></div>
</header>
<div id="status" hidden></div>
<main id="proxies"></main>
<div id="tip" hidden></div>
<script type="application/json" id="dash-config">${scriptJson({ data: `${o.uri}${DATA_SUFFIX}` })}</script>
<script>${js}</script>
</body></html>
`;
}
