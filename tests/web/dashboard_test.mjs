// Browser test of `powertrain serve`: drives Debian's chromium with playwright-core against a live server.
// Usage: node tests/web/dashboard_test.mjs URL RUN_ID [--study]
//   URL     the server's base URL (the line `powertrain serve` prints), e.g. http://127.0.0.1:41234/
//   RUN_ID  a run that is still training when the test starts (its charts must update live)
//   --study the store also holds a study: check /studies and one study page
// Env: TRAIN_PID=PID  the process training RUN_ID: sent SIGINT once a new epoch has arrived live,
//                     so that the end of the run arrives live too (required)
//      SCREENSHOT_DIR=DIR saves full-page PNGs there (runs, run, compare, study, devices).
//      FIRST_EPOCH_S=N waits up to N s (default 120) for a new epoch to arrive live.
// Exits 0 when every check passes, 1 with a message naming the failed check otherwise.
// Started by tests/web/browser_test.sh, which trains the run and starts the server.
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FIRST_POINTS_MS = 15000;   // the power chart shows its first points
const LIVE_UPDATE_MS = 20000;    // then a live SSE update arrives and the chart grows
const FIRST_EPOCH_MS = 1000 * Number(process.env.FIRST_EPOCH_S || 120);  // then a new epoch arrives live
const RUN_END_MS = 30000;        // after SIGINT the run ends (after its current step) and the page says so
const trainPid = Number(process.env.TRAIN_PID || 0);  // the training, stopped with SIGINT once seen live

const args = process.argv.slice(2);
const withStudy = args.includes('--study');
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length !== 2 || !/^\d+$/.test(positional[1]) || !(trainPid > 0)) {
  console.error('usage: TRAIN_PID=PID node dashboard_test.mjs URL RUN_ID [--study]');
  process.exit(2);
}
const base = positional[0].endsWith('/') ? positional[0] : positional[0] + '/';
const runId = positional[1];
const screenshotDir = process.env.SCREENSHOT_DIR || '';
if (screenshotDir) fs.mkdirSync(screenshotDir, { recursive: true });

class CheckFailed extends Error {}
let current = '';
function fail(message) { throw new CheckFailed(`${current}: ${message}`); }
function log(message) { console.log(`dashboard_test: ${message}`); }

// Runs one named check; a playwright timeout becomes that check's failure with its message.
async function check(name, fn) {
  current = name;
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    if (err instanceof CheckFailed) throw err;
    throw new CheckFailed(`${name}: ${err && err.message ? err.message.split('\n')[0] : err}`);
  }
  log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// Full page, or only its top `maxHeight` pixels (long tables make huge images).
async function screenshot(page, name, maxHeight = 2400) {
  if (!screenshotDir) return;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const width = page.viewportSize().width;
  await page.screenshot({ path: path.join(screenshotDir, name), fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, maxHeight) } });
}

// Returns the HTTP status of a GET with the path sent byte for byte (no URL normalisation,
// unlike the browser and page.request, which turn /static/../x into /x before sending).
function rawStatus(pathAsSent) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: pathAsSent, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`GET ${pathAsSent}: no answer in 10 s`)));
    req.end();
  });
}

async function attr(page, selector, name) {
  return page.$eval(selector, (e, n) => e.getAttribute(n), name).catch(() => null);
}
function int(v) { const n = Number(v); return Number.isFinite(n) ? n : -1; }

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const consoleErrors = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const where = (msg.location() && msg.location().url) || '';
      if (/favicon\.ico/.test(where) || /favicon\.ico/.test(msg.text())) return;
      consoleErrors.push(`${page.url()}: console error: ${msg.text()}${where ? ` (${where})` : ''}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: uncaught: ${err.message}`));

    await check('/runs lists the run', async () => {
      const res = await page.goto(base + 'runs');
      if (!res || res.status() !== 200) fail(`HTTP ${res ? res.status() : 'no answer'}`);
      await page.waitForSelector(`table#runs tr[data-run-id="${runId}"]`, { state: 'attached' })
        .catch(() => fail(`no row <tr data-run-id="${runId}"> in table#runs`));
      const link = await page.$(`table#runs tr[data-run-id="${runId}"] a[href="/runs/${runId}"]`);
      if (!link) fail(`the row of run ${runId} has no link to /runs/${runId}`);
      const button = await page.$('#compare-button');
      if (!button) fail('no #compare-button');
      if (!(await button.isDisabled())) fail('#compare-button is enabled with no run checked');
      const box = await page.$(`table#runs tr[data-run-id="${runId}"] input[type="checkbox"][name="compare"]`);
      if (!box) fail(`the row of run ${runId} has no compare checkbox`);
      await box.check();
      if (!(await button.isDisabled())) fail('#compare-button is enabled with one run checked');
      const others = await page.$$(`table#runs tr[data-run-id]:not([data-run-id="${runId}"]) input[name="compare"]`);
      if (others.length > 0) {
        await others[0].check();
        if (await button.isDisabled()) fail('#compare-button is disabled with two runs checked');
        await Promise.all([page.waitForURL(/\/compare\?a=\d+&b=\d+$/), button.click()]);
        await page.waitForSelector('#compare-energy-chart[data-points]', { state: 'attached' });
        await page.waitForFunction(() => ['#compare-energy-chart', '#compare-metric-chart'].every((s) => {
          const e = document.querySelector(s); return e && !e.querySelector('.chart-message:not(.chart-empty)');
        }));
        await page.goto(base + 'runs');
      }
      await screenshot(page, 'runs.png');
    });

    await check(`/runs/${runId} shows power while the run trains`, async () => {
      const res = await page.goto(base + `runs/${runId}`);
      if (!res || res.status() !== 200) fail(`HTTP ${res ? res.status() : 'no answer'}`);
      const status = await attr(page, 'section#run', 'data-status');
      if (status === null) fail('no <section id="run" data-status=…>');
      if (status !== 'running') fail(`the run is already "${status}" when the page opens: the test needs a longer training run`);
      await page.waitForFunction(() => Number(document.querySelector('#power-chart')?.getAttribute('data-points')) > 0,
        null, { timeout: FIRST_POINTS_MS })
        .catch(async () => fail(`#power-chart has data-points=${await attr(page, '#power-chart', 'data-points')} after ${FIRST_POINTS_MS / 1000} s`));
    });

    await check(`/runs/${runId} updates live (SSE)`, async () => {
      const points0 = int(await attr(page, '#power-chart', 'data-points'));
      const events0 = int(await attr(page, '#power-chart', 'data-live-events'));
      if (events0 < 0) fail('#power-chart has no data-live-events attribute');
      await page.waitForFunction(([p0, e0]) => {
        const c = document.querySelector('#power-chart');
        return Number(c.getAttribute('data-live-events')) > e0 && Number(c.getAttribute('data-points')) > p0;
      }, [points0, events0], { timeout: LIVE_UPDATE_MS, polling: 250 })
        .catch(async () => fail(`in ${LIVE_UPDATE_MS / 1000} s: data-live-events ${events0} -> ` +
          `${await attr(page, '#power-chart', 'data-live-events')}, data-points ${points0} -> ${await attr(page, '#power-chart', 'data-points')}`));
      const points1 = int(await attr(page, '#power-chart', 'data-points'));
      if (points1 <= points0) fail(`the power chart did not grow (data-points ${points0} -> ${points1})`);
      log(`     live: data-points ${points0} -> ${points1}, events ${events0} -> ${await attr(page, '#power-chart', 'data-live-events')}`);
    });

    await check(`/runs/${runId} charts a new epoch live`, async () => {
      const rows0 = await page.$$eval('#epochs tbody tr', (r) => r.length).catch(() => 0);
      await page.waitForFunction((r0) => {
        const num = (s) => Number(document.querySelector(s)?.getAttribute('data-points'));
        const rows = document.querySelectorAll('#epochs tbody tr').length;
        return rows > r0 && num('#epoch-energy-chart') >= rows && num('#metric-chart') >= rows;
      }, rows0, { timeout: FIRST_EPOCH_MS, polling: 500 })
        .catch(async () => fail(`after ${FIRST_EPOCH_MS / 1000} s (${rows0} epoch rows at the start): ` +
          `epoch-energy data-points ${await attr(page, '#epoch-energy-chart', 'data-points')}, ` +
          `metric data-points ${await attr(page, '#metric-chart', 'data-points')}, ` +
          `${await page.$$eval('#epochs tbody tr', (r) => r.length).catch(() => 0)} epoch rows`));
      const status = await page.$eval('#run-status', (e) => e.textContent.trim()).catch(() => '?');
      if (status !== 'running') fail(`the run is "${status}" before the test stopped it: it must still train here`);
    });

    await check(`/runs/${runId} ends live after SIGINT, epochs charted`, async () => {
      try {
        process.kill(trainPid, 'SIGINT');
      } catch (err) {
        fail(`cannot send SIGINT to the training (pid ${trainPid}): ${err.message}`);
      }
      await page.waitForFunction(() => {
        const num = (s) => Number(document.querySelector(s)?.getAttribute('data-points'));
        const status = document.querySelector('#run-status')?.textContent.trim();
        return status && status !== 'running' && num('#epoch-energy-chart') >= 1 && num('#metric-chart') >= 1 &&
          document.querySelectorAll('#epochs tbody tr').length >= 1;
      }, null, { timeout: RUN_END_MS, polling: 500 })
        .catch(async () => fail(`${RUN_END_MS / 1000} s after SIGINT: #run-status "${await page.$eval('#run-status', (e) => e.textContent.trim()).catch(() => '?')}", ` +
          `epoch-energy data-points ${await attr(page, '#epoch-energy-chart', 'data-points')}, ` +
          `metric data-points ${await attr(page, '#metric-chart', 'data-points')}, ` +
          `${await page.$$eval('#epochs tbody tr', (r) => r.length).catch(() => 0)} epoch rows`));
      const sectionStatus = await attr(page, 'section#run', 'data-status');
      if (sectionStatus === 'running') fail('#run-status changed but section#run still has data-status="running"');
      const cells = await page.$$eval('#epochs tbody tr:first-child td', (tds) => tds.length);
      if (cells !== 10) fail(`an epochs row has ${cells} cells, not 10`);
      const forecast = await page.$eval('#epochs tbody tr:first-child td:last-child', (td) => td.textContent);
      if (!/by epoch \d+/.test(forecast)) fail(`the first epoch's forecast cell reads '${forecast}'`);
      // The final facts replace the "when the run ends" ones without a reload.
      await page.waitForFunction(() => !/when the run ends/.test(document.querySelector('#run dl.facts')?.textContent || ''),
        null, { timeout: 10000, polling: 250 })
        .catch(() => fail('the facts still say "when the run ends" after the run ended'));
      const status = await page.$eval('#run-status', (e) => e.textContent.trim());
      log(`     run ${status}: ${await page.$$eval('#epochs tbody tr', (r) => r.length)} epochs, power data-points ${await attr(page, '#power-chart', 'data-points')}`);
      await page.waitForTimeout(300); // the last setData has painted
      await screenshot(page, 'run.png');
    });

    await check(`/compare?a=${runId}&b=${runId} overlays the epochs`, async () => {
      const res = await page.goto(base + `compare?a=${runId}&b=${runId}`);
      if (res && res.status() >= 400 && res.status() < 500) {
        log(`     skipped: the server answers ${res.status()} to a run compared with itself`);
        return;
      }
      if (!res || res.status() !== 200) fail(`HTTP ${res ? res.status() : 'no answer'}`);
      await page.waitForFunction(() => ['#compare-energy-chart', '#compare-metric-chart']
        .every((s) => Number(document.querySelector(s)?.getAttribute('data-points')) >= 1))
        .catch(async () => fail(`data-points: energy ${await attr(page, '#compare-energy-chart', 'data-points')}, ` +
          `metric ${await attr(page, '#compare-metric-chart', 'data-points')}`));
      await page.waitForTimeout(300);
      await screenshot(page, 'compare.png');
    });

    await check('/devices lists the devices', async () => {
      const res = await page.goto(base + 'devices');
      if (!res || res.status() !== 200) fail(`HTTP ${res ? res.status() : 'no answer'}`);
      await page.waitForSelector('table#devices-now', { state: 'attached' }).catch(() => fail('no table#devices-now'));
      await screenshot(page, 'devices.png');
    });

    if (withStudy) {
      await check('/studies lists a study and its page has charts', async () => {
        const res = await page.goto(base + 'studies');
        if (!res || res.status() !== 200) fail(`HTTP ${res ? res.status() : 'no answer'}`);
        const row = await page.waitForSelector('table#studies tr[data-study-id]', { state: 'attached' })
          .catch(() => fail('no row <tr data-study-id> in table#studies'));
        const id = await row.getAttribute('data-study-id');
        const link = await row.$(`a[href="/studies/${id}"]`);
        if (!link) fail(`the row of study ${id} has no link to /studies/${id}`);
        await Promise.all([page.waitForURL(new RegExp(`/studies/${id}$`)), link.click()]);
        const svgs = await page.$$eval('main svg', (s) => s.length);
        if (svgs < 1) fail(`/studies/${id} has no <svg> chart`);
        await screenshot(page, 'study.png', 1500);
      });
    }

    await check('static files cannot escape web/', async () => {
      const viaPlaywright = await page.request.get(base + 'static/../CMakeLists.txt');
      const statuses = { 'page.request /static/../CMakeLists.txt': viaPlaywright.status() };
      for (const p of ['/static/../CMakeLists.txt', '/static/%2e%2e/CMakeLists.txt', '/static/..%2fCMakeLists.txt', '/static/..%2FCMakeLists.txt']) {
        statuses[`raw ${p}`] = await rawStatus(p);
      }
      const bad = Object.entries(statuses).filter(([, s]) => s !== 404 && s !== 400);
      if (bad.length) fail(bad.map(([k, s]) => `${k} answered ${s}, not 404/400`).join('; '));
      const css = await page.request.get(base + 'static/style.css');
      if (css.status() !== 200) fail(`/static/style.css answered ${css.status()}`);
    });

    await check('no console errors', async () => {
      if (consoleErrors.length) fail(`\n  ${consoleErrors.join('\n  ')}`);
    });
  } finally {
    await browser.close();
  }
}

main().then(() => {
  log('all checks passed');
}, (err) => {
  console.error(`dashboard_test: FAIL ${err instanceof CheckFailed ? err.message : (err && err.stack) || err}`);
  process.exitCode = 1;
});
