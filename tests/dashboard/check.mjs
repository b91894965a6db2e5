// Drives the dashboard in Debian's headless Chromium with npm playwright-core (never a
// downloaded browser): signs in with the bearer token, opens every page, waits for live data,
// checks that it changes between two reads, that there is no console error, no failed request
// and no error shown, writes a screenshot of every page (and one at a phone's width), and prints
// a JSON report (page weight, time to first chart) on stdout. Exit 1 on any problem.
//
//   node tests/dashboard/check.mjs BASE_URL OUT_DIR TOKEN
// ORDERFLOW_WEB_MODULES: the node_modules folder with playwright-core (scripts/setup.sh).
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, outDir, token] = process.argv.slice(2);
if (!base || !outDir || !token) {
  console.error('usage: check.mjs BASE_URL OUT_DIR TOKEN');
  process.exit(2);
}
const modules = process.env.ORDERFLOW_WEB_MODULES;
const require = createRequire(join(modules, 'noop.js'));
const { chromium } = require('playwright-core');
mkdirSync(outDir, { recursive: true });

const PAGES = ['overview', 'features', 'signals', 'regimes', 'forecast', 'explorer', 'cross', 'streaming', 'book', 'settings'];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const report = { pages: {}, problems: [], weight: {}, first_chart_ms: null, mobile: null };

function watch(page, sink) {
  page.on('console', (m) => { if (m.type() === 'error') sink.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => sink.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure() ? r.failure().errorText : '?';
    // The page closes its own live stream when the view changes.
    if (r.url().includes('/live?') && why === 'net::ERR_ABORTED') return;
    sink.push(`request failed: ${r.url()} ${why}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) sink.push(`HTTP ${r.status()} ${r.url()}`); });
}

// What a page shows, without the freshness labels (they tick by themselves): its text and the
// data of its charts.
const fingerprint = () => {
  const root = document.querySelector('#page').cloneNode(true);
  root.querySelectorAll('.fresh').forEach((e) => e.remove());
  const charts = [...document.querySelectorAll('#page [_echarts_instance_]')]
    .map((el) => window.echarts.getInstanceByDom(el))
    .filter(Boolean)
    .map((c) => ((c.getOption() || {}).series || []).map((s) => s.data));
  return { text: root.textContent, charts: JSON.stringify(charts), nCharts: charts.length,
    chartPoints: charts.flat().reduce((a, d) => a + (Array.isArray(d) ? d.length : 0), 0),
    errors: [...document.querySelectorAll('#page .error')].map((e) => e.textContent).filter(Boolean),
    notices: [...document.querySelectorAll('#page .notice')].map((e) => e.textContent) };
};

const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
const expected = [];
watch(page, expected);
page.on('response', async (r) => {
  const type = r.request().resourceType();
  if (['document', 'script', 'stylesheet'].includes(type)) {
    const sizes = await r.request().sizes().catch(() => null);
    if (sizes) report.weight[new URL(r.url()).pathname] = sizes.responseBodySize;
  }
});
const t0 = Date.now();
await page.goto(`${base}/#/overview`);
// Without the token the page asks for it (the one 401 here is expected).
await page.waitForSelector('#login:not([hidden])', { timeout: 30000 });
if (!expected.some((p) => p.includes('401'))) report.problems.push('no 401 before signing in');
const problems = report.problems;
page.removeAllListeners('console');
page.removeAllListeners('pageerror');
page.removeAllListeners('requestfailed');
watch(page, problems);
await page.fill('#token', token);
await page.click('#login-form button');
await page.waitForFunction(() => {
  const el = document.querySelector('#rates');
  const c = el && window.echarts.getInstanceByDom(el);
  return c && ((c.getOption() || {}).series || []).some((s) => s.data && s.data.length > 0);
}, null, { timeout: 30000 });
report.first_chart_ms = Date.now() - t0;

for (const name of PAGES) {
  const started = Date.now();
  await page.evaluate((n) => { location.hash = `#/${n}`; }, name);
  const r = { ok: false };
  try {
    // Live data arrived: every freshness label of the view shows an age.
    await page.waitForFunction(() => {
      const labels = [...document.querySelectorAll('#page .fresh')];
      return labels.length > 0 && labels.every((l) => l.textContent.startsWith('data age'));
    }, null, { timeout: 60000 });
    await page.waitForTimeout(1500);
    const a = await page.evaluate(fingerprint);
    await page.waitForTimeout(3000);
    const b = await page.evaluate(fingerprint);
    r.changed = a.text !== b.text || a.charts !== b.charts;
    r.charts = b.nCharts;
    r.chart_points = b.chartPoints;
    r.notices = b.notices;
    r.errors = b.errors;
    r.ms_to_data = Date.now() - started;
    await page.screenshot({ path: join(outDir, `${name}.png`) });
    r.ok = r.changed && b.errors.length === 0 && (b.nCharts === 0 || b.chartPoints > 0);
    if (!r.changed) problems.push(`${name}: nothing changed between two reads 3 s apart`);
    if (b.errors.length) problems.push(`${name}: errors shown: ${b.errors.join('; ')}`);
    if (b.nCharts > 0 && b.chartPoints === 0) problems.push(`${name}: charts without data`);
  } catch (e) {
    problems.push(`${name}: ${e.message.split('\n')[0]}`);
    await page.screenshot({ path: join(outDir, `${name}.failed.png`) }).catch(() => {});
  }
  report.pages[name] = r;
}

// A phone's width: the overview fits without horizontal scrolling; the menu opens the pages.
const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
const mp = await phone.newPage();
await mp.goto(`${base}/`);
await mp.waitForSelector('#login:not([hidden])');
watch(mp, problems);
await mp.fill('#token', token);
await mp.click('#login-form button');
await mp.waitForFunction(() => [...document.querySelectorAll('#page .fresh')].some((l) => l.textContent.startsWith('data age')), null, { timeout: 30000 });
await mp.waitForTimeout(1500);
const overflow = await mp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
await mp.screenshot({ path: join(outDir, 'overview-mobile.png') });
await mp.click('#menu');
const navShown = await mp.isVisible('nav a[data-page="signals"]');
report.mobile = { horizontal_overflow_px: overflow, menu_opens: navShown };
if (overflow > 1) problems.push(`mobile: the page is ${overflow}px wider than the screen`);
if (!navShown) problems.push('mobile: the menu does not open');

await browser.close();
report.weight_total = Object.values(report.weight).reduce((a, b) => a + b, 0);
console.log(JSON.stringify(report, null, 1));
process.exit(problems.length ? 1 : 0);
