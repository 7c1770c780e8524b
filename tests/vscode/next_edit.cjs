// Next-edit suggestions in VS Code (code-server), as a user meets them: renames a parameter,
// waits for the suggestion at its next use (the deleted text struck through, a gutter
// marker), presses Tab to go there and Tab to apply it, saves, undoes it in one step, and
// dismisses the suggestion that comes back with Escape, after which Tab indents as usual;
// "GLM: Show Status" counts the suggestions. Reports each step as a JSON line;
// tests/tests/vscode_next_edit.rs checks them and the file on disk.
//
// Environment: workbench.cjs's, and GLM_TEST_FILE (the file to edit).
'use strict';

const path = require('node:path');
const wb = require('./workbench.cjs');

const file = wb.env('GLM_TEST_FILE');

/** What the editor shows of a suggestion: struck-through text, injected text, gutter icons. */
function suggestionOnScreen(page) {
  return page.evaluate(() => {
    const top = (element) => element.getBoundingClientRect().top;
    const lines = [...document.querySelectorAll('.monaco-editor .view-lines .view-line')];
    const lineOf = (element) => {
      const line = lines.find((candidate) => Math.abs(top(candidate) - top(element)) < 4);
      return line ? line.textContent.replace(/\u00a0/g, ' ') : null;
    };
    const struck = [...document.querySelectorAll('.monaco-editor .view-line span')]
      .filter((span) => span.children.length === 0 && getComputedStyle(span).textDecorationLine.includes('line-through'))
      .map((span) => ({ text: span.textContent, line: lineOf(span) }));
    // Text an `after` decoration adds, which VS Code draws as CSS generated content.
    const injected = [...document.querySelectorAll('.monaco-editor .view-line span')]
      .map((span) => ({ content: getComputedStyle(span, '::after').content, line: lineOf(span) }))
      .filter(({ content }) => content !== 'none' && content !== 'normal' && content !== '""')
      .map(({ content, line }) => ({ text: JSON.parse(content), line }));
    const gutter = [...document.querySelectorAll('.monaco-editor .margin *')]
      .filter((element) => getComputedStyle(element).backgroundImage.includes('data:image/svg'))
      .map((element) => ({ line: lineOf(element) }));
    return { struck, injected, gutter };
  });
}

async function waitForSuggestion(page, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const shown = await suggestionOnScreen(page);
    if (shown.struck.length > 0 && shown.gutter.length > 0) {
      return shown;
    }
    if (Date.now() > deadline) {
      throw new Error(`no next-edit suggestion on screen: ${JSON.stringify(shown)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForLines(page, predicate, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = await wb.visibleLines(page);
    if (predicate(lines)) {
      return lines;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: the editor shows ${JSON.stringify(lines)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

wb.run(() =>
  wb.withWorkbench(async (page) => {
    await wb.quickOpen(page, path.basename(file));
    await page.waitForSelector('.statusbar-item[aria-label="GLM: idle"]', { timeout: 60_000 });
    wb.report('started');

    // Rename the parameter `width` to `span`: select the word, type over it.
    await wb.focusEditor(page);
    await wb.goTo(page, 1, 10);
    await page.keyboard.press('Control+Shift+ArrowRight');
    const renamedAt = Date.now();
    await page.keyboard.type('span');
    const shown = await waitForSuggestion(page, 30_000);
    await page.screenshot({ path: path.join(wb.env('GLM_TEST_ARTIFACTS'), 'next-edit.png') });
    wb.report('suggestion shown', { ...shown, afterSeconds: (Date.now() - renamedAt) / 1000, lines: await wb.visibleLines(page) });

    // Tab goes to the suggestion; the text is unchanged.
    await page.keyboard.press('Tab');
    await page.waitForSelector(wb.cursorSelector(2, 12), { timeout: 5_000 });
    wb.report('jumped', { lines: await wb.visibleLines(page) });

    // Tab again applies it.
    await page.keyboard.press('Tab');
    await waitForLines(page, (lines) => lines.includes('    return span * height'), 'the applied suggestion');
    const gone = await suggestionOnScreen(page);
    wb.report('applied', { file: await wb.save(page, file), struckAfter: gone.struck.length });

    // One undo step takes back the suggestion and nothing else.
    await page.keyboard.press('Control+Z');
    const undone = await waitForLines(page, (lines) => lines.includes('    return width * height'), 'the undo');
    wb.report('undone', { lines: undone });

    // The suggestion is offered again for the text as it is now; Escape dismisses it.
    await waitForSuggestion(page, 30_000);
    await page.keyboard.press('Escape');
    const deadline = Date.now() + 5_000;
    let after = await suggestionOnScreen(page);
    while (after.struck.length + after.gutter.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await suggestionOnScreen(page);
    }
    wb.report('dismissed', { ...after, lines: await wb.visibleLines(page) });

    // With no suggestion, Tab is Tab again: it indents.
    await page.keyboard.press('Tab');
    const indented = await waitForLines(page, (lines) => /^ {4}return {2,}width \* height$/.test(lines[1]), 'Tab as Tab');
    wb.report('plain tab', { lines: indented });

    // The server heard that suggestions were shown (didShowInlineEdit) and one accepted (the
    // edit's command, run on accept): "GLM: Show Status" says so.
    await wb.runCommand(page, 'GLM: Show Status');
    const dialog = await page.waitForSelector('.monaco-dialog-box:has-text("Next edits")', { timeout: 10_000 });
    wb.report('status', { text: await dialog.textContent() });
    await page.keyboard.press('Escape');
  }),
);
