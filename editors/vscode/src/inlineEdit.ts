// Next-edit suggestions on the wire (`textDocument/copilotInlineEdit`, the request Copilot's
// language server and copilot-lsp/sidekick.nvim speak) and the client's state for one
// editor: which suggestion is shown, whether it still applies, and what Tab does. Pure, so it
// is unit-tested; nextEdit.ts puts it on screen.

export const INLINE_EDIT_REQUEST = 'textDocument/copilotInlineEdit';
export const DID_SHOW_INLINE_EDIT = 'textDocument/didShowInlineEdit';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Command {
  title: string;
  command: string;
  arguments?: unknown[];
}

export interface VersionedDocument {
  uri: string;
  version: number;
}

/** One edit of a suggestion: `text` replaces `range` (UTF-16 positions) in that version. */
export interface InlineEdit {
  text: string;
  range: Range;
  textDocument: VersionedDocument;
  command?: Command | null;
}

export interface InlineEditParams {
  textDocument: VersionedDocument;
  position: Position;
}

export interface InlineEditResult {
  edits?: InlineEdit[] | null;
}

/** `didShowInlineEdit`'s params, as copilot-lsp sends them. */
export function didShowParams(edits: readonly InlineEdit[]): { item: { command?: Command } } {
  const command = edits[0]?.command;
  return { item: command ? { command } : {} };
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * The answer's edits that apply to `document` as it is now (same URI and version), sorted;
 * none when any edit targets another version or two overlap, since then the answer is not
 * one consistent change of this text. Edits that change nothing are dropped.
 */
export function applicableEdits(result: InlineEditResult | null | undefined, document: VersionedDocument): InlineEdit[] {
  const edits = (result?.edits ?? []).filter((edit) => edit.textDocument.uri === document.uri);
  if (edits.some((edit) => edit.textDocument.version !== document.version)) {
    return [];
  }
  const changing = edits
    .filter((edit) => edit.text !== '' || comparePositions(edit.range.start, edit.range.end) !== 0)
    .sort((a, b) => comparePositions(a.range.start, b.range.start));
  for (let index = 1; index < changing.length; index += 1) {
    if (comparePositions(changing[index - 1].range.end, changing[index].range.start) > 0) {
      return [];
    }
  }
  return changing;
}

/**
 * A single insertion at the cursor: the server offers it as an inline completion too, and
 * ghost text shows it. (A deletion or replacement there has no ghost text: it is decorated.)
 */
export function isGhostText(edits: readonly InlineEdit[], cursor: Position): boolean {
  if (edits.length !== 1) {
    return false;
  }
  const { range, text } = edits[0];
  return text !== '' && comparePositions(range.start, cursor) === 0 && comparePositions(range.end, cursor) === 0;
}

function contains(range: Range, position: Position): boolean {
  return comparePositions(range.start, position) <= 0 && comparePositions(position, range.end) <= 0;
}

/** Where the cursor goes after the edits are applied: the end of the last one's new text. */
export function positionAfter(edits: readonly InlineEdit[]): Position {
  let lineShift = 0;
  // Shift of characters on the line where the previous edit ended (for edits on that line).
  let shiftedLine = -1;
  let characterShift = 0;
  let end: Position = { line: 0, character: 0 };
  for (const edit of edits) {
    const { start, end: oldEnd } = edit.range;
    const startLine = start.line + lineShift;
    const startCharacter = start.character + (start.line === shiftedLine ? characterShift : 0);
    const lines = edit.text.split('\n');
    const last = lines[lines.length - 1];
    end =
      lines.length === 1
        ? { line: startLine, character: startCharacter + last.length }
        : { line: startLine + lines.length - 1, character: last.length };
    lineShift += lines.length - 1 - (oldEnd.line - start.line);
    characterShift = end.character - oldEnd.character;
    shiftedLine = oldEnd.line;
  }
  return end;
}

/** The inserted text on one line, for a decoration (which cannot hold line breaks). */
export function insertionLabel(text: string, limit = 120): string {
  const oneLine = text.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, '  ');
  return oneLine.length > limit ? `${oneLine.slice(0, limit - 1)}…` : oneLine;
}

export type TabOutcome =
  | { kind: 'none' }
  | { kind: 'jump'; to: Position }
  | { kind: 'accept'; edits: InlineEdit[]; commands: Command[] };

/**
 * The suggestion of one editor: at most one shown, and only while the document is at the
 * version it was computed for. Requests are numbered so that only the newest answer is shown.
 */
export class NextEditState {
  private requests = 0;
  private shownEdits: InlineEdit[] | undefined;

  /** Starts a request; answers to earlier ones are ignored from now on. */
  requested(): number {
    this.shownEdits = undefined;
    this.requests += 1;
    return this.requests;
  }

  /**
   * Takes the answer to request `id` for the document as it is now and returns the edits to
   * show, or undefined when there is nothing (a newer request, another version, no edit).
   */
  answered(id: number, result: InlineEditResult | null | undefined, document: VersionedDocument): InlineEdit[] | undefined {
    if (id !== this.requests) {
      return undefined;
    }
    const edits = applicableEdits(result, document);
    this.shownEdits = edits.length > 0 ? edits : undefined;
    return this.shownEdits;
  }

  /** The edits shown, while they still apply to `document`. */
  shown(document: VersionedDocument): InlineEdit[] | undefined {
    const edits = this.shownEdits;
    if (edits === undefined) {
      return undefined;
    }
    const first = edits[0].textDocument;
    return first.uri === document.uri && first.version === document.version ? edits : undefined;
  }

  /** Tab: jump to the suggestion, or accept it when the cursor is already in its first edit. */
  tab(document: VersionedDocument, cursor: Position): TabOutcome {
    const edits = this.shown(document);
    if (edits === undefined) {
      this.dismiss();
      return { kind: 'none' };
    }
    if (!contains(edits[0].range, cursor)) {
      return { kind: 'jump', to: edits[0].range.start };
    }
    this.shownEdits = undefined;
    const commands = edits.flatMap((edit) => (edit.command ? [edit.command] : []));
    return { kind: 'accept', edits, commands };
  }

  /** Escape, a change of the document, another editor: the suggestion goes, and so does any answer on its way. */
  dismiss(): void {
    this.shownEdits = undefined;
    this.requests += 1;
  }
}
