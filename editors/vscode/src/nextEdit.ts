// Next-edit suggestions in the editor: after each change to the active document, asks
// glm-lsp (`textDocument/copilotInlineEdit`) what the next edit is; shows one away from the
// cursor as a decoration (deleted text struck through, inserted text after it) with a gutter
// marker; Tab jumps to it, a second Tab applies it as one undo step, Escape dismisses it. One
// that starts at the cursor is left to the ghost text the server offers for it.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';

import {
  DID_SHOW_INLINE_EDIT,
  didShowParams,
  INLINE_EDIT_REQUEST,
  InlineEdit,
  InlineEditParams,
  InlineEditResult,
  insertionLabel,
  isGhostText,
  NextEditState,
  Position,
  positionAfter,
  Range,
} from './inlineEdit';

/** Context key of the keybindings: a suggestion is on screen in the active editor. */
export const VISIBLE_CONTEXT = 'glm-lsp.nextEditVisible';
/** Lets the client send its didChange first, and takes one keystroke's changes (auto-closed pairs) as one. */
const REQUEST_DELAY_MS = 50;
const METHOD_NOT_FOUND = -32601;
const GUTTER_ICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
      '<path d="M3 3h2l5 5-5 5H3l5-5z" fill="#3794ff"/><path d="M9 3h2l5 5-5 5H9l5-5z" fill="#3794ff" opacity=".6"/></svg>',
  );

export interface NextEditHost {
  readonly client: LanguageClient;
  /** `glm-lsp.nextEdit.enabled` (on unless the user turned it off). */
  enabled(): boolean;
  /** Ghost text is on, so a suggestion at the cursor shows as ghost text. */
  ghostText(): boolean;
  /** The document is one the client syncs to glm-lsp. */
  serves(document: vscode.TextDocument): boolean;
  log(line: string): void;
}

export class NextEdits implements vscode.Disposable {
  private readonly state = new NextEditState();
  private readonly deleted = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('diffEditor.removedTextBackground'),
    textDecoration: 'line-through',
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  private readonly inserted = vscode.window.createTextEditorDecorationType({
    after: {
      backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
      border: '1px solid',
      borderColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    },
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  private readonly gutter = vscode.window.createTextEditorDecorationType({
    gutterIconPath: vscode.Uri.parse(GUTTER_ICON),
    gutterIconSize: 'contain',
  });
  private readonly disposables: vscode.Disposable[];
  private decorated: vscode.TextEditor | undefined;
  private pending: vscode.CancellationTokenSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsupported = false;

  constructor(private readonly host: NextEditHost) {
    this.disposables = [
      this.deleted,
      this.inserted,
      this.gutter,
      vscode.workspace.onDidChangeTextDocument((event) => this.onDidChange(event)),
      vscode.window.onDidChangeActiveTextEditor(() => this.dismiss()),
    ];
  }

  dispose(): void {
    this.dismiss();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }

  /** Asks for a suggestion now ("GLM: Suggest Next Edit"), saying so when there is none. */
  async suggest(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || !this.host.serves(editor.document)) {
      void vscode.window.showInformationMessage('GLM: next edits are suggested in files glm-lsp serves.');
      return;
    }
    this.dismiss();
    const shown = await this.request(editor);
    if (!shown) {
      vscode.window.setStatusBarMessage('GLM: no next edit to suggest', 3000);
    }
  }

  /** Tab: jumps to the suggestion, or applies it when the cursor is at it. */
  async tab(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || editor !== this.decorated) {
      await vscode.commands.executeCommand('tab');
      return;
    }
    const outcome = this.state.tab(this.versioned(editor.document), this.position(editor.selection.active));
    if (outcome.kind === 'none') {
      // The document changed under it (the keybinding's context lagged): Tab as usual.
      this.clearDecorations();
      await vscode.commands.executeCommand('tab');
    } else if (outcome.kind === 'jump') {
      const to = this.asPosition(outcome.to);
      editor.selection = new vscode.Selection(to, to);
      editor.revealRange(new vscode.Range(to, to), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } else {
      this.clearDecorations();
      await this.apply(editor, outcome.edits, outcome.commands);
    }
  }

  /** Escape: the suggestion goes, and an answer on its way is dropped. */
  dismiss(): void {
    clearTimeout(this.timer);
    this.pending?.cancel();
    this.state.dismiss();
    this.clearDecorations();
  }

  private onDidChange(event: vscode.TextDocumentChangeEvent): void {
    if (event.contentChanges.length === 0) {
      return; // only the dirty state changed
    }
    const editor = vscode.window.activeTextEditor;
    if (event.document === this.decorated?.document || event.document === editor?.document) {
      this.dismiss();
    }
    if (editor?.document !== event.document || this.unsupported || !this.host.enabled() || !this.host.serves(event.document)) {
      return;
    }
    this.timer = setTimeout(() => void this.request(editor), REQUEST_DELAY_MS);
  }

  /** Requests a suggestion for the editor as it is and shows it; true when one is shown. */
  private async request(editor: vscode.TextEditor): Promise<boolean> {
    this.pending?.cancel();
    const source = new vscode.CancellationTokenSource();
    this.pending = source;
    const id = this.state.requested();
    const document = editor.document;
    const params: InlineEditParams = {
      textDocument: this.versioned(document),
      position: this.position(editor.selection.active),
    };
    let result: InlineEditResult | null;
    try {
      result = await this.host.client.sendRequest<InlineEditResult | null>(INLINE_EDIT_REQUEST, params, source.token);
    } catch (error) {
      if (!source.token.isCancellationRequested) {
        if ((error as { code?: number }).code === METHOD_NOT_FOUND) {
          this.unsupported = true; // an older glm-lsp: stop asking
        }
        this.host.log(`${INLINE_EDIT_REQUEST}: ${String(error)}`);
      }
      return false;
    } finally {
      if (this.pending === source) {
        this.pending = undefined;
      }
      source.dispose();
    }
    if (source.token.isCancellationRequested || vscode.window.activeTextEditor !== editor) {
      return false;
    }
    const edits = this.state.answered(id, result, this.versioned(document));
    if (edits === undefined) {
      return false;
    }
    if (this.host.ghostText() && isGhostText(edits, this.position(editor.selection.active))) {
      this.state.dismiss(); // the ghost text the server offers for it is the suggestion
      return false;
    }
    this.decorate(editor, edits);
    this.host.client
      .sendNotification(DID_SHOW_INLINE_EDIT, didShowParams(edits))
      .catch((error: unknown) => this.host.log(`${DID_SHOW_INLINE_EDIT}: ${String(error)}`));
    return true;
  }

  private decorate(editor: vscode.TextEditor, edits: InlineEdit[]): void {
    const hover = new vscode.MarkdownString('**GLM: next edit** — `Tab` to go there, `Tab` again to apply, `Escape` to dismiss');
    const deletions: vscode.DecorationOptions[] = [];
    const insertions: vscode.DecorationOptions[] = [];
    for (const edit of edits) {
      const range = this.asRange(edit.range);
      if (!range.isEmpty) {
        deletions.push({ range, hoverMessage: hover });
      }
      if (edit.text !== '') {
        insertions.push({
          range: new vscode.Range(range.end, range.end),
          hoverMessage: hover,
          renderOptions: { after: { contentText: insertionLabel(edit.text) } },
        });
      }
    }
    const line = edits[0].range.start.line;
    editor.setDecorations(this.deleted, deletions);
    editor.setDecorations(this.inserted, insertions);
    editor.setDecorations(this.gutter, [{ range: new vscode.Range(line, 0, line, 0), hoverMessage: hover }]);
    this.decorated = editor;
    void vscode.commands.executeCommand('setContext', VISIBLE_CONTEXT, true);
  }

  private clearDecorations(): void {
    const editor = this.decorated;
    if (editor === undefined) {
      return;
    }
    this.decorated = undefined;
    for (const type of [this.deleted, this.inserted, this.gutter]) {
      editor.setDecorations(type, []);
    }
    void vscode.commands.executeCommand('setContext', VISIBLE_CONTEXT, false);
  }

  /** Applies the edits as one undo step, then runs their commands (telemetry of acceptance). */
  private async apply(editor: vscode.TextEditor, edits: InlineEdit[], commands: InlineEdit['command'][]): Promise<void> {
    const applied = await editor.edit(
      (builder) => edits.forEach((edit) => builder.replace(this.asRange(edit.range), edit.text)),
      { undoStopBefore: true, undoStopAfter: true },
    );
    if (!applied) {
      this.host.log('next edit: the editor refused the edit (the document changed)');
      return;
    }
    const end = this.asPosition(positionAfter(edits));
    editor.selection = new vscode.Selection(end, end);
    for (const command of commands) {
      if (command) {
        await this.host.client
          .sendRequest(ExecuteCommandRequest.type, { command: command.command, arguments: command.arguments })
          .catch((error: unknown) => this.host.log(`${command.command}: ${String(error)}`));
      }
    }
  }

  private versioned(document: vscode.TextDocument): { uri: string; version: number } {
    return { uri: this.host.client.code2ProtocolConverter.asUri(document.uri), version: document.version };
  }

  private position(position: vscode.Position): Position {
    return { line: position.line, character: position.character };
  }

  private asPosition(position: Position): vscode.Position {
    return new vscode.Position(position.line, position.character);
  }

  private asRange(range: Range): vscode.Range {
    return new vscode.Range(this.asPosition(range.start), this.asPosition(range.end));
  }
}
