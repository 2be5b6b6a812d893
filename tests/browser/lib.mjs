// Shared helpers for the browser tests: launch Debian's chromium through playwright-core and
// open pages that remember everything that went wrong on them.
//
// Needs the environment printed by scripts/browser-tools.sh:
//   DS_CHROMIUM    the chromium executable (Playwright's executablePath)
//   DS_PLAYWRIGHT  npm prefix holding node_modules/playwright-core
// playwright-core is resolved from DS_PLAYWRIGHT rather than from node_modules next to this
// file, so the repository needs no package.json and no npm install.
import { createRequire } from 'node:module';
import path from 'node:path';

function need(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run: eval "$(scripts/browser-tools.sh)"`);
  }
  return value;
}

let playwright;
/** The playwright-core module, loaded once from $DS_PLAYWRIGHT. */
export function loadPlaywright() {
  if (!playwright) {
    const dir = need('DS_PLAYWRIGHT');
    // createRequire wants a file path; resolution starts in its directory.
    const require = createRequire(path.join(path.resolve(dir), 'noop.js'));
    try {
      playwright = require('playwright-core');
    } catch (err) {
      throw new Error(`cannot load playwright-core from ${dir}: ${err.message}`);
    }
  }
  return playwright;
}

/** Launch headless chromium ($DS_CHROMIUM). Resolves to a playwright Browser. */
export async function launchBrowser(options = {}) {
  const { chromium } = loadPlaywright();
  const args = [];
  // Chromium refuses to start as root unless its sandbox is off (containers, CI).
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    args.push('--no-sandbox');
  }
  return chromium.launch({
    executablePath: need('DS_CHROMIUM'),
    headless: true,
    args,
    timeout: 30_000,
    ...options,
  });
}

/**
 * A new page (in its own context) whose problems are collected in `page.problems`: console
 * errors, uncaught page errors, responses with HTTP status >= 400 and requests that failed.
 * `contextOptions` go to browser.newContext (e.g. { viewport: { width: 375, height: 800 } }).
 */
export async function newPage(browser, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const problems = [];
  page.problems = problems;
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
      problems.push(`console error: ${msg.text()}${where}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400) {
      problems.push(`HTTP ${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    problems.push(`request failed: ${req.method()} ${req.url()}: ${failure ? failure.errorText : 'unknown'}`);
  });
  // Closing the page alone would leave its context (and the context's memory) behind.
  page.once('close', () => context.close().catch(() => {}));
  return page;
}

/** Throw, listing them, if anything went wrong on `page` so far. `what` names the step. */
export function expectNoProblems(page, what = page.url()) {
  const problems = page.problems || [];
  if (problems.length > 0) {
    throw new Error(`${problems.length} problem(s) on ${what}:\n  ${problems.join('\n  ')}`);
  }
}
