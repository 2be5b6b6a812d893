// Smoke test of the browser setup: can playwright-core drive $DS_CHROMIUM here?
//
// Usage: eval "$(scripts/browser-tools.sh)" && node tests/browser/check-chromium.mjs
// Prints "chromium ok <version>" on stdout (launch time on stderr) and exits 0, or prints why
// on stderr and exits 1.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, newPage, expectNoProblems } from './lib.mjs';

const TITLE = 'ds-net browser check';
const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${TITLE}</title></head>` +
  '<body><h1>Hello</h1><p id="rtl" dir="rtl">مرحبا</p></body></html>';

let browser;
let tmp;
try {
  const started = performance.now();
  browser = await launchBrowser();
  const launchMs = Math.round(performance.now() - started);

  const page = await newPage(browser, { viewport: { width: 375, height: 800 } });
  await page.goto(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
  const title = await page.title();
  if (title !== TITLE) {
    throw new Error(`page title is ${JSON.stringify(title)}, expected ${JSON.stringify(TITLE)}`);
  }
  const heading = await page.textContent('h1');
  if (heading !== 'Hello') {
    throw new Error(`h1 is ${JSON.stringify(heading)}, expected "Hello"`);
  }

  tmp = await mkdtemp(path.join(os.tmpdir(), 'ds-chromium-check-'));
  const shot = path.join(tmp, 'check.png');
  await page.screenshot({ path: shot });
  const { size } = await stat(shot);
  if (size < 100) {
    throw new Error(`screenshot ${shot} is only ${size} bytes`);
  }
  expectNoProblems(page, 'the check page');
  await page.close();

  console.log(`chromium ok ${browser.version()}`);
  console.error(`check-chromium: launch took ${launchMs} ms`);
} catch (err) {
  console.error(`check-chromium: FAILED: ${err && err.stack ? err.stack : err}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  if (tmp) await rm(tmp, { recursive: true, force: true });
}
