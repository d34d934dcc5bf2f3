import { chromium } from '@playwright/test';
import { startServer } from './server.js';
import { CHROMIUM_ARGS } from './playwright.config.js';
const server = await startServer();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const variant = process.env.V || 'plain';
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.addInitScript(() => { try { localStorage.setItem('ruang.name', 'x'); } catch {} });
  if (variant === 'nocss') await context.route(/\.css$/, (r) => r.fulfill({ body: '', contentType: 'text/css' }));
  const page = await context.newPage();
  const url = process.env.URL || `${server.url}r/probe${i}`;
  await page.goto(url);
  await page.waitForTimeout(300);
  const n = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; const p = performance.getEntriesByType('paint').map((e) => `${e.name}=${Math.round(e.startTime)}`); return { resp: Math.round(n.responseEnd), di: Math.round(n.domInteractive), dcl: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd), paint: p.join(' '), res: performance.getEntriesByType('resource').length }; });
  console.log(variant, JSON.stringify(n));
  await context.close();
}
await browser.close(); await server.stop();
