import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applicableEdits,
  didShowParams,
  InlineEdit,
  insertionLabel,
  isGhostText,
  NextEditState,
  positionAfter,
} from '../src/inlineEdit';

const URI = 'file:///project/area.py';

function edit(line: number, from: number, to: number, text: string, version = 7, toLine = line): InlineEdit {
  return {
    text,
    range: { start: { line, character: from }, end: { line: toLine, character: to } },
    textDocument: { uri: URI, version },
  };
}

/** Applies edits (sorted, non-overlapping) to a text, as the editor would. */
function applyTo(text: string, edits: InlineEdit[]): string {
  let result = text;
  for (const current of [...edits].reverse()) {
    const start = offsetOf(text, current.range.start.line, current.range.start.character);
    const end = offsetOf(text, current.range.end.line, current.range.end.character);
    result = result.slice(0, start) + current.text + result.slice(end);
  }
  return result;
}

function offsetOf(text: string, line: number, character: number): number {
  return text.split('\n').slice(0, line).reduce((sum, current) => sum + current.length + 1, 0) + character;
}

test('only edits of the document at its current version apply, sorted', () => {
  const now = { uri: URI, version: 7 };
  const later = edit(3, 4, 9, 'w');
  const earlier = edit(1, 0, 5, '');
  assert.deepEqual(applicableEdits({ edits: [later, earlier] }, now), [earlier, later]);
  // Computed for version 6: the text has changed since, so nothing applies.
  assert.deepEqual(applicableEdits({ edits: [edit(3, 4, 9, 'w', 6)] }, now), []);
  // One stale edit makes the whole answer suspect.
  assert.deepEqual(applicableEdits({ edits: [later, edit(1, 0, 1, 'x', 6)] }, now), []);
  assert.deepEqual(applicableEdits({ edits: [] }, now), []);
  assert.deepEqual(applicableEdits(null, now), []);
  assert.deepEqual(applicableEdits({}, now), []);
  // Another document's edits are not this editor's.
  assert.deepEqual(applicableEdits({ edits: [{ ...later, textDocument: { uri: 'file:///other.py', version: 7 } }] }, now), []);
  // Overlapping edits are no consistent change; an empty insertion changes nothing.
  assert.deepEqual(applicableEdits({ edits: [edit(3, 4, 9, 'w'), edit(3, 8, 10, 'v')] }, now), []);
  assert.deepEqual(applicableEdits({ edits: [edit(3, 4, 4, '')] }, now), []);
  // Touching edits do not overlap.
  assert.equal(applicableEdits({ edits: [edit(3, 4, 9, 'w'), edit(3, 9, 10, 'v')] }, now).length, 2);
});

test('an insertion at the cursor is left to ghost text, nothing else is', () => {
  assert.ok(isGhostText([edit(2, 4, 4, 'x')], { line: 2, character: 4 }));
  assert.ok(!isGhostText([edit(2, 4, 4, 'x')], { line: 2, character: 5 }));
  assert.ok(!isGhostText([edit(2, 4, 4, 'x'), edit(5, 0, 1, 'y')], { line: 2, character: 4 }));
  // Ghost text cannot show a deletion or a replacement.
  assert.ok(!isGhostText([edit(2, 4, 8, '')], { line: 2, character: 4 }));
  assert.ok(!isGhostText([edit(2, 4, 8, 'xy')], { line: 2, character: 4 }));
});

test('Tab jumps to the suggestion, a second Tab accepts it, once', () => {
  const state = new NextEditState();
  const document = { uri: URI, version: 7 };
  const id = state.requested();
  const rename = { ...edit(3, 11, 16, 'w'), command: { title: 'accepted', command: 'glm-lsp.nextEditAccepted', arguments: ['s1'] } };
  assert.deepEqual(state.answered(id, { edits: [rename] }, document), [rename]);
  assert.deepEqual(state.tab(document, { line: 0, character: 12 }), { kind: 'jump', to: { line: 3, character: 11 } });
  // The jump put the cursor at the edit: Tab now accepts, with the edit's command.
  assert.deepEqual(state.tab(document, { line: 3, character: 11 }), {
    kind: 'accept',
    edits: [rename],
    commands: [rename.command],
  });
  assert.equal(state.shown(document), undefined);
  assert.deepEqual(state.tab(document, { line: 3, character: 11 }), { kind: 'none' });
});

test('a suggestion is never applied to a changed document', () => {
  const state = new NextEditState();
  const id = state.requested();
  state.answered(id, { edits: [edit(3, 11, 16, 'w')] }, { uri: URI, version: 7 });
  assert.deepEqual(state.tab({ uri: URI, version: 8 }, { line: 3, character: 11 }), { kind: 'none' });
  // And it does not come back when the version is seen again.
  assert.equal(state.shown({ uri: URI, version: 7 }), undefined);
});

test('only the newest request is shown, and Escape drops an answer on its way', () => {
  const state = new NextEditState();
  const document = { uri: URI, version: 7 };
  const first = state.requested();
  const second = state.requested();
  assert.equal(state.answered(first, { edits: [edit(3, 11, 16, 'w')] }, document), undefined);
  state.dismiss();
  assert.equal(state.answered(second, { edits: [edit(3, 11, 16, 'w')] }, document), undefined);
  const third = state.requested();
  assert.equal(state.answered(third, { edits: [] }, document), undefined);
  assert.equal(state.shown(document), undefined);
});

test('the cursor lands after the applied text, with earlier edits moving it', () => {
  const text = 'def area(w, height):\n    return width * height\n\nprint(width)';
  const cases: InlineEdit[][] = [
    [edit(1, 11, 16, 'w')],
    [edit(1, 11, 16, 'w'), edit(1, 19, 25, 'h')],
    [edit(1, 4, 10, 'result =\n    '), edit(1, 11, 16, 'w')],
    [edit(0, 12, 1, '', 7, 1), edit(1, 11, 16, 'w')],
    [edit(1, 11, 16, 'w'), edit(3, 6, 11, 'a\nb')],
    [edit(2, 0, 0, 'x = 1\n')],
  ];
  for (const edits of cases) {
    const last = edits[edits.length - 1];
    // The last edit's start moves by what each earlier edit added or removed.
    const shift = edits
      .slice(0, -1)
      .reduce((sum, current) => sum + current.text.length - (offsetOf(text, current.range.end.line, current.range.end.character) - offsetOf(text, current.range.start.line, current.range.start.character)), 0);
    const expected = offsetOf(text, last.range.start.line, last.range.start.character) + shift + last.text.length;
    const position = positionAfter(edits);
    assert.equal(offsetOf(applyTo(text, edits), position.line, position.character), expected, JSON.stringify(edits));
  }
});

test('the decoration shows inserted text on one line', () => {
  assert.equal(insertionLabel('w'), 'w');
  assert.equal(insertionLabel('a\n    b'), 'a ⏎     b');
  assert.equal(insertionLabel('x'.repeat(200)).length, 120);
});

test('didShowInlineEdit carries the shown edit command, as copilot-lsp sends it', () => {
  const command = { title: 'shown', command: 'glm-lsp.nextEditShown', arguments: ['s1'] };
  assert.deepEqual(didShowParams([{ ...edit(1, 0, 1, 'x'), command }]), { item: { command } });
  assert.deepEqual(didShowParams([edit(1, 0, 1, 'x')]), { item: {} });
});
