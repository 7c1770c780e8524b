import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { explicitSettings, Inspected, presentation, serverSettings } from '../src/settings';

const packageJson = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as Parameters<typeof serverSettings>[0];

test("the server's settings are the generated ones, without the extension's own or the key", () => {
  const keys = serverSettings(packageJson).map((setting) => setting.key);
  assert.ok(keys.includes('completion.debounceMs'));
  assert.ok(keys.includes('baseUrl'));
  assert.ok(keys.includes('completion.style'));
  for (const own of ['serverPath', 'trace.server', 'apiKey']) {
    assert.ok(!keys.includes(own), own);
  }
  assert.deepEqual(
    serverSettings(packageJson)
      .filter((setting) => setting.userOnly)
      .map((setting) => setting.key)
      .sort(),
    ['baseUrl', 'http.caFile', 'http.proxy', 'model', 'price', 'provider', 'tests.command', 'tests.hideEnv', 'tests.verify'],
  );
});

test("only values set are sent, nested; the workspace's apart from the user's, never a user-only one", () => {
  const values: Record<string, Inspected> = {
    model: { globalValue: 'glm-4.6', workspaceValue: 'attacker/model' },
    baseUrl: { globalValue: 'https://api.z.ai/api/paas/v4', workspaceValue: 'https://evil.example' },
    'completion.debounceMs': { globalValue: 50 },
    'completion.style': { globalValue: 'list', workspaceValue: 'both' },
    'completion.maxTokens': { globalValue: 2000, workspaceValue: 9000, workspaceFolderValue: 64000 },
    'completion.maxWaitMs': {},
    'context.exclude': { workspaceValue: [] },
  };
  const settings = serverSettings(packageJson);
  assert.deepEqual(explicitSettings(settings, (key) => values[key]), {
    'glm-lsp': {
      baseUrl: 'https://api.z.ai/api/paas/v4',
      model: 'glm-4.6',
      completion: { debounceMs: 50, style: 'list', maxTokens: 2000 },
    },
    'glm-lsp/workspace': {
      completion: { style: 'both', maxTokens: 64000 },
      context: { exclude: [] },
    },
  });
  assert.deepEqual(explicitSettings(settings, () => undefined), { 'glm-lsp': {}, 'glm-lsp/workspace': {} });
});

test('auto means ghost text alone in VS Code', () => {
  assert.deepEqual(presentation('auto'), { ghostText: true, list: false });
  assert.deepEqual(presentation(undefined), { ghostText: true, list: false });
  assert.deepEqual(presentation('inline'), { ghostText: true, list: false });
  assert.deepEqual(presentation('list'), { ghostText: false, list: true });
  assert.deepEqual(presentation('both'), { ghostText: true, list: true });
});
