// Loads the recoup dashboard in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core), waits until the page has drawn its data, saves
// a screenshot, and prints what the page shows as JSON for the test to
// compare with the store's numbers.
//
//   node dashboard.cjs <dashboard-url> <screenshot.png> [chromium-path]
//
// The page is loaded 1280 px wide, in the time zone named by $TZ (and
// Chromium's own override, so both the process and the page agree), so
// the test can check that every time shown is UTC and that no table is
// wider than the viewport.
'use strict';

const { chromium } = require('playwright-core');

const [url, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node dashboard.cjs <dashboard-url> <screenshot.png> [chromium-path]');
  process.exit(2);
}

async function main() {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const consoleErrors = [];
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 1800 },
      timezoneId: process.env.TZ || undefined,
    });
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60000 });
    await page.waitForSelector('#chart canvas', { timeout: 60000 });
    // Hover the middle of the chart: the legend then names that interval's time.
    const plot = await page.$('#chart .u-over');
    let legend = '';
    if (plot) {
      const box = await plot.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(() => document.getElementById('chart').dataset.cursorMs, null,
        { timeout: 10000 });
      legend = await page.evaluate(() => {
        const v = document.querySelector('#chart .u-legend .u-series:first-child .u-value');
        return v ? v.textContent : '';
      });
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    const shown = await page.evaluate(() => {
      const rows = (sel) => [...document.querySelectorAll(sel + ' tbody tr:not(.empty)')]
        .map((tr) => ({ data: { ...tr.dataset }, cells: [...tr.children].map((td) => td.textContent) }));
      const chart = document.getElementById('chart');
      const canvas = chart.querySelector('canvas');
      // Counts the canvas pixels that are not background: a drawn chart has many.
      let inked = 0;
      if (canvas) {
        const ctx = canvas.getContext('2d');
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < img.length; i += 4) if (img[i] !== 0) inked++;
      }
      return {
        error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
        month: document.getElementById('month').value,
        title: document.getElementById('chart-title').textContent,
        series: rows('#series'),
        selected: [...document.querySelectorAll('#series tbody tr.selected')].map((tr) => ({ ...tr.dataset })),
        chart: { ...chart.dataset, canvasWidth: canvas ? canvas.width : 0,
          canvasHeight: canvas ? canvas.height : 0, inkedPixels: inked,
          cursorMs: chart.dataset.cursorMs || '' },
        summary: [...document.querySelectorAll('#summary .card')].map((c) => [
          c.querySelector('.k').textContent, c.querySelector('.v').textContent]),
        claims: rows('#claims'),
        health: rows('#health'),
        alerts: rows('#alerts'),
        sources: rows('#sources'),
        unattributed: (() => {
          const n = document.getElementById('unattributed');
          return n ? { pending: n.dataset.pending, text: n.textContent, hidden: n.hidden } : null;
        })(),
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        times: [...document.querySelectorAll('time')].map((t) => [t.dateTime, t.textContent]),
        layout: {
          viewportWidth: window.innerWidth,
          scrollWidth: document.documentElement.scrollWidth,
          tables: [...document.querySelectorAll('table')].map((t) => ({
            id: t.id, right: t.getBoundingClientRect().right,
            sectionRight: t.closest('section').getBoundingClientRect().right,
            scrollWidth: t.scrollWidth, clientWidth: t.clientWidth })),
        },
      };
    });
    shown.legendTime = legend;
    shown.consoleErrors = consoleErrors;
    process.stdout.write(JSON.stringify(shown) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});
