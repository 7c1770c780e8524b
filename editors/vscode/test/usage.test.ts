import assert from 'node:assert/strict';
import { test } from 'node:test';

import { statusLines, usageLine, usd } from '../src/usage';

test('usage reads as requests, tokens and dollars', () => {
  const status = {
    version: '0.1.0',
    model: 'glm-4.7',
    apiKeySet: true,
    usage: { requests: 3, promptTokens: 12000, cachedTokens: 8000, completionTokens: 345, usd: 0.0123, unpricedRequests: 0 },
  };
  assert.equal(usageLine(status), '3 requests · 12,345 tokens · $0.0123');
  assert.equal(usageLine({ usage: { requests: 1, usd: 1.5, unpricedRequests: 2 } }), '1 request · 0 tokens · $1.50 (+2 unpriced)');
  assert.equal(usd(0), '$0.00');
  assert.ok(statusLines(status).includes('Tokens: 12,000 prompt (8,000 cached), 345 completion'));
  assert.ok(statusLines({}).includes('API key: not set'));
  assert.ok(
    statusLines({ nextEdit: { requests: 4, shown: 2, accepted: 1 } }).includes(
      'Next edits: 2 shown, 1 accepted (4 requests to the model)',
    ),
  );
});
