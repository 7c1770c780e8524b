// The server's `glm-lsp.status` answer, as people read it. Pure, so it is unit-tested.

export interface ServerStatus {
  version?: string;
  model?: string;
  baseUrl?: string;
  apiKeySet?: boolean;
  openDocuments?: number;
  indexedFiles?: number;
  completionRequests?: number;
  nextEdit?: { requests?: number; shown?: number; accepted?: number };
  usage?: {
    requests?: number;
    promptTokens?: number;
    cachedTokens?: number;
    completionTokens?: number;
    usd?: number;
    unpricedRequests?: number;
  };
}

const count = (n: number | undefined): string => (n ?? 0).toLocaleString('en-US');

export function usd(amount: number | undefined): string {
  const value = amount ?? 0;
  return `$${value > 0 && value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}

/** One line: `3 requests · 12,345 tokens · $0.0123`. */
export function usageLine(status: ServerStatus): string {
  const usage = status.usage ?? {};
  const tokens = (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0);
  const requests = usage.requests ?? 0;
  const unpriced = usage.unpricedRequests ? ` (+${usage.unpricedRequests} unpriced)` : '';
  return `${count(requests)} request${requests === 1 ? '' : 's'} · ${count(tokens)} tokens · ${usd(usage.usd)}${unpriced}`;
}

/** The whole status, one fact per line. */
export function statusLines(status: ServerStatus): string[] {
  const usage = status.usage ?? {};
  return [
    `glm-lsp ${status.version ?? '?'} · model ${status.model ?? '?'}`,
    `Endpoint: ${status.baseUrl ?? '?'}`,
    `API key: ${status.apiKeySet ? 'set' : 'not set'}`,
    `This session: ${usageLine(status)}`,
    `Tokens: ${count(usage.promptTokens)} prompt (${count(usage.cachedTokens)} cached), ${count(usage.completionTokens)} completion`,
    `Completion requests to the model: ${count(status.completionRequests)}`,
    `Next edits: ${count(status.nextEdit?.shown)} shown, ${count(status.nextEdit?.accepted)} accepted (${count(status.nextEdit?.requests)} requests to the model)`,
    `Open documents: ${count(status.openDocuments)} · indexed files: ${count(status.indexedFiles)}`,
  ];
}
