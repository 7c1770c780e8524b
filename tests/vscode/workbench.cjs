// What the browser scripts under tests/vscode share: launching Chromium on code-server's
// workbench, reporting steps as JSON lines on stdout, and a user's moves (open a file, go to
// a line, run a command, save).
//
// Environment: GLM_VSCODE_URL (the workbench URL with ?folder=), GLM_TEST_ARTIFACTS
// (screenshots go there), GLM_PLAYWRIGHT_CORE (the playwright-core module folder),
// GLM_CHROMIUM.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const started = Date.now();

function report(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, seconds: (Date.now() - started) / 1000, ...fields })}\n`);
}

/** Opens the workbench in headless Chromium and runs `steps(page)`; a failure leaves failure.png. */
async function withWorkbench(steps) {
  const { chromium } = require(env('GLM_PLAYWRIGHT_CORE'));
  const browser = await chromium.launch({
    executablePath: env('GLM_CHROMIUM'),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(env('GLM_VSCODE_URL'));
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await steps(page);
  } catch (error) {
    await page.screenshot({ path: path.join(env('GLM_TEST_ARTIFACTS'), 'failure.png') }).catch(() => {});
    throw error;
  } finally {
    await browser.close();
  }
}

/** Runs `main` and reports `done`, or prints the error and exits 1. */
function run(main) {
  main().then(
    () => report('done'),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type(name);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`, { timeout: 20_000 });
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 20_000 });
  await page.waitForSelector('.monaco-editor .view-line');
}

async function runCommand(page, label) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type(label);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${label}"]`, { timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function focusEditor(page) {
  await page.click('.monaco-editor .view-lines');
}

/** The 1-based line and column the status bar shows. */
function cursorSelector(line, column) {
  return `.statusbar-item :text("Ln ${line}, Col ${column}")`;
}

/** Moves the cursor with Ctrl+G (1-based line and column, as the status bar shows them). */
async function goTo(page, line, column) {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(cursorSelector(line, column), { timeout: 5_000 });
}

/** Saves `file` with Ctrl+S and returns it as it is on disk then. */
async function save(page, file) {
  const before = fs.statSync(file).mtimeMs;
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + 10_000;
  while (fs.statSync(file).mtimeMs === before) {
    if (Date.now() > deadline) {
      throw new Error('Ctrl+S did not write the file');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await page.waitForSelector('.tab.active:not(.dirty)', { timeout: 10_000 });
  return fs.readFileSync(file, 'utf8');
}

/** The editor's visible lines, top to bottom, as the user reads them. */
async function visibleLines(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.monaco-editor .view-lines .view-line')]
      .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
      .map((line) => line.textContent.replace(/\u00a0/g, ' ')),
  );
}

module.exports = {
  env,
  report,
  withWorkbench,
  run,
  quickOpen,
  runCommand,
  focusEditor,
  cursorSelector,
  goTo,
  save,
  visibleLines,
};
