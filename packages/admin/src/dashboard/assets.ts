/**
 * The dashboard's browser code and stylesheet (assets/dashboard.js, assets/dashboard.css), served
 * inline in the page: nothing is fetched from elsewhere. From the sources they are read from this
 * folder (once); scripts/build.mjs puts their text into dist/main.js (define
 * SWITCHYARD_DASHBOARD_ASSETS), so a bundled install needs no file beside the bundle.
 */
import { readFileSync } from 'node:fs';

declare const SWITCHYARD_DASHBOARD_ASSETS: { js: string; css: string } | undefined;

let cached: { js: string; css: string } | undefined;

/** The script and the stylesheet of the dashboard page. */
export function dashboardAssets(): { js: string; css: string } {
  if (typeof SWITCHYARD_DASHBOARD_ASSETS !== 'undefined') return SWITCHYARD_DASHBOARD_ASSETS;
  cached ??= {
    js: readFileSync(new URL('./assets/dashboard.js', import.meta.url), 'utf8'),
    css: readFileSync(new URL('./assets/dashboard.css', import.meta.url), 'utf8'),
  };
  return cached;
}
