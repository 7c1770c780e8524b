// Drives VS Code (code-server in headless Chromium) the way a user does, with the GLM
// extension installed from its .vsix: sets the API key with "GLM: Set API Key", types a
// character and waits for the ghost text of a model that thinks for seconds, accepts it with
// Tab, applies "GLM: Improve this code" from the Ctrl+. menu, generates tests at the cursor
// and runs "GLM: Run Doctor".
// Each step that edits saves the file
// and reports what is on disk as one JSON line on stdout; `tests/tests/vscode.rs` runs this
// script and checks those lines.
//
// Environment: workbench.cjs's, and GLM_TEST_FILE (the file to edit, inside the folder),
// GLM_TEST_TESTS_FILE (where its tests are expected), GLM_TEST_KEY.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { env, report, withWorkbench, run, quickOpen, runCommand, focusEditor, goTo, save } = require('./workbench.cjs');

const file = env('GLM_TEST_FILE');
const artifacts = env('GLM_TEST_ARTIFACTS');

const glmState = (state) => `.statusbar-item[aria-label="GLM: ${state}"]`;

async function steps(page) {
  await quickOpen(page, path.basename(file));
  // The extension activates on the language and starts glm-lsp; without a key it says so,
  // with a button that runs "GLM: Set API Key".
  await page.waitForSelector(glmState('no API key'), { timeout: 60_000 });
  const toast = await page.waitForSelector('.notification-toast:has-text("no API key is set")', { timeout: 10_000 });
  report('started');

  await (await toast.waitForSelector('.monaco-button:has-text("Set API Key")')).click();
  await page.waitForSelector('.quick-input-widget input[type="password"]', { timeout: 10_000 });
  await page.keyboard.type(env('GLM_TEST_KEY'));
  await page.keyboard.press('Enter');
  // Storing the key restarts the server with it in its environment.
  await page.waitForSelector('.notifications-toasts :text("API key saved")', { timeout: 10_000 });
  await page.waitForSelector(glmState('idle'), { timeout: 60_000 });
  report('key set');

  // Completion: type one character and wait, as a user does; the model thinks for seconds.
  await focusEditor(page);
  await goTo(page, 2, 19);
  await page.keyboard.type(' ');
  const typedAt = Date.now();
  await page.waitForSelector(glmState('thinking'), { timeout: 10_000 });
  const ghost = await page.waitForSelector('.ghost-text-decoration', { timeout: 30_000 });
  const ghostSeconds = (Date.now() - typedAt) / 1000;
  await page.screenshot({ path: path.join(artifacts, 'ghost-text.png') });
  report('ghost text', { text: await ghost.textContent(), afterSeconds: ghostSeconds });
  await page.keyboard.press('Tab');
  report('completion accepted', { file: await save(page, file) });

  // The tooltip shows the session's usage, fetched when the request ended.
  await page.waitForSelector(glmState('idle'));
  await page.hover(glmState('idle'));
  const tooltip = await page.waitForSelector('.monaco-hover :text("this session")', { timeout: 10_000 });
  report('tooltip', { text: await tooltip.textContent() });
  await page.mouse.move(600, 400);

  // Code action: Ctrl+. on the statement, pick "GLM: Improve this code".
  await focusEditor(page);
  await goTo(page, 2, 6);
  await page.keyboard.press('Control+.');
  await pickAction(page, 'GLM: Improve this code');
  await page.waitForSelector(glmState('thinking'), { timeout: 10_000 });
  report('action thinking');
  await page.waitForSelector(glmState('idle'), { timeout: 60_000 });
  await page.waitForSelector('.monaco-editor .view-line:has-text("result")', { timeout: 10_000 });
  report('action applied', { file: await save(page, file) });

  // "GLM: Generate Tests at Cursor" on `compute`: the server creates the test file, VS Code
  // opens it with the tests in it, and "File: Save All" writes it.
  await focusEditor(page);
  await goTo(page, 1, 6);
  await runCommand(page, 'GLM: Generate Tests at Cursor');
  const generated = await page.waitForSelector('.notification-toast:has-text("generated")', { timeout: 60_000 });
  const message = await generated.textContent();
  await runCommand(page, 'File: Save All');
  report('tests generated', { message, file: await fileWithText(env('GLM_TEST_TESTS_FILE')) });

  // "GLM: Run Doctor" runs `glm-lsp doctor` with the key and the settings VS Code holds.
  await runCommand(page, 'GLM: Run Doctor');
  const verdict = await page.waitForSelector('.notification-toast:has-text("GLM: doctor")', { timeout: 60_000 });
  report('doctor', { text: await verdict.textContent() });
}

/** Picks an entry of the code-action menu with the keyboard, as a user does. */
async function pickAction(page, title) {
  await page.waitForSelector(`.action-widget .monaco-list-row:has-text("${title}")`, { timeout: 10_000 });
  for (let step = 0; step < 20; step += 1) {
    const focused = await page.$('.action-widget .monaco-list-row.focused');
    if (focused !== null && (await focused.textContent()).includes(title)) {
      await page.keyboard.press('Enter');
      return;
    }
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`"${title}" could not be selected in the code-action menu`);
}

/** The file once it exists with some text (a created file is empty until it is saved). */
async function fileWithText(name) {
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(name) || fs.statSync(name).size === 0) {
    if (Date.now() > deadline) {
      return fs.existsSync(name) ? '' : null;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return fs.readFileSync(name, 'utf8');
}

run(() => withWorkbench(steps));
