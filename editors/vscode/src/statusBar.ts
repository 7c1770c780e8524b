// The status bar item: idle, thinking (the server's `glm-lsp/…` work-done progress, or an
// inline-completion request in flight) or error; its tooltip carries the session's usage.
import * as vscode from 'vscode';

import { ServerStatus, usageLine } from './usage';

type Health = { kind: 'starting' } | { kind: 'running' } | { kind: 'stopped' } | { kind: 'error'; message: string };

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private health: Health = { kind: 'starting' };
  private readonly activeProgress = new Set<string>();
  private inlineRequests = 0;
  private status: ServerStatus | undefined;

  constructor(
    private readonly showOutputCommand: string,
    private readonly setKeyCommand: string,
  ) {
    this.item = vscode.window.createStatusBarItem('glm-lsp.statusBar', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'GLM';
    this.render();
    this.item.show();
  }

  get thinking(): boolean {
    return this.activeProgress.size > 0 || this.inlineRequests > 0;
  }

  setHealth(health: Health): void {
    this.health = health;
    if (health.kind === 'starting' || health.kind === 'stopped') {
      // A new server is a new session: nothing in flight, no usage yet.
      this.activeProgress.clear();
      this.inlineRequests = 0;
      this.status = undefined;
    }
    this.render();
  }

  /** A server error (a rejected key, an empty balance) stays shown until the user looks. */
  setError(message: string): void {
    this.setHealth({ kind: 'error', message });
  }

  clearError(): void {
    if (this.health.kind === 'error') {
      this.setHealth({ kind: 'running' });
    }
  }

  progressBegan(token: string): void {
    this.activeProgress.add(token);
    this.render();
  }

  progressEnded(token: string): void {
    this.activeProgress.delete(token);
    this.render();
  }

  inlineRequestStarted(): void {
    this.inlineRequests += 1;
    this.render();
  }

  inlineRequestFinished(): void {
    this.inlineRequests = Math.max(0, this.inlineRequests - 1);
    this.render();
  }

  setStatus(status: ServerStatus): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const { text, state, detail } = this.describe();
    const noKey = state === 'no API key';
    this.item.text = text;
    this.item.command = noKey ? this.setKeyCommand : this.showOutputCommand;
    this.item.accessibilityInformation = { label: `GLM: ${state}` };
    this.item.backgroundColor =
      this.health.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**GLM** — ${detail}\n\n`);
    if (this.status !== undefined) {
      tooltip.appendMarkdown(`${this.status.model ?? ''} · ${usageLine(this.status)} this session\n\n`);
    }
    tooltip.appendMarkdown(noKey ? 'Click to set the API key.' : 'Click to show the output.');
    this.item.tooltip = tooltip;
  }

  private describe(): { text: string; state: string; detail: string } {
    switch (this.health.kind) {
      case 'error':
        return { text: '$(error) GLM', state: 'error', detail: escape(this.health.message) };
      case 'stopped':
        return { text: '$(circle-slash) GLM', state: 'stopped', detail: 'the server is not running' };
      case 'starting':
        return { text: '$(loading~spin) GLM', state: 'starting', detail: 'starting the server' };
      case 'running':
        if (this.thinking) {
          // Server tokens are `glm-lsp/<kind>/<n>`: say what the model is working on.
          const kinds = new Set([...this.activeProgress].map((token) => token.split('/')[1] ?? 'work'));
          if (this.inlineRequests > 0) {
            kinds.add('completion');
          }
          return { text: '$(loading~spin) GLM', state: 'thinking', detail: `thinking (${[...kinds].join(', ')})` };
        }
        if (this.status?.apiKeySet === false) {
          return { text: '$(key) GLM', state: 'no API key', detail: 'no API key: the model cannot be asked' };
        }
        return { text: '$(sparkle) GLM', state: 'idle', detail: 'idle' };
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
