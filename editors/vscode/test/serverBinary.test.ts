import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Lookup, resolveServer } from '../src/serverBinary';

function lookup(executables: string[], overrides: Partial<Lookup> = {}): Lookup {
  return {
    configured: undefined,
    extensionDir: '/ext',
    workspaceDir: '/work/project',
    env: { PATH: '/usr/local/bin:/usr/bin' },
    homeDir: '/home/me',
    platform: 'linux',
    isExecutable: (file) => executables.includes(file),
    ...overrides,
  };
}

test('the setting wins, with ~ and workspace-relative paths expanded', () => {
  const everywhere = ['/opt/glm-lsp', '/ext/server/glm-lsp', '/usr/bin/glm-lsp', '/home/me/bin/glm-lsp', '/work/project/target/debug/glm-lsp'];
  assert.deepEqual(resolveServer(lookup(everywhere, { configured: '/opt/glm-lsp' })), { kind: 'found', path: '/opt/glm-lsp', from: 'setting' });
  assert.deepEqual(resolveServer(lookup(everywhere, { configured: '~/bin/glm-lsp' })), { kind: 'found', path: '/home/me/bin/glm-lsp', from: 'setting' });
  assert.deepEqual(resolveServer(lookup(everywhere, { configured: 'target/debug/glm-lsp' })), {
    kind: 'found',
    path: '/work/project/target/debug/glm-lsp',
    from: 'setting',
  });
});

test('a setting naming a missing file is reported, not silently replaced', () => {
  assert.deepEqual(resolveServer(lookup(['/usr/bin/glm-lsp'], { configured: '/nope/glm-lsp' })), { kind: 'badSetting', path: '/nope/glm-lsp' });
});

test('then the shipped binary, then PATH in order, then cargo', () => {
  assert.equal(resolveServer(lookup(['/ext/server/glm-lsp', '/usr/bin/glm-lsp'])).kind, 'found');
  assert.deepEqual(resolveServer(lookup(['/ext/server/glm-lsp', '/usr/bin/glm-lsp'])), { kind: 'found', path: '/ext/server/glm-lsp', from: 'extension' });
  assert.deepEqual(resolveServer(lookup(['/usr/bin/glm-lsp', '/usr/local/bin/glm-lsp'])), { kind: 'found', path: '/usr/local/bin/glm-lsp', from: 'PATH' });
  assert.deepEqual(resolveServer(lookup(['/home/me/.cargo/bin/glm-lsp'])), { kind: 'found', path: '/home/me/.cargo/bin/glm-lsp', from: 'cargo' });
  assert.deepEqual(resolveServer(lookup(['/c/bin/glm-lsp'], { env: { PATH: '', CARGO_HOME: '/c' } })), { kind: 'found', path: '/c/bin/glm-lsp', from: 'cargo' });
});

test('nothing found lists every place searched', () => {
  assert.deepEqual(resolveServer(lookup([], { configured: '  ' })), {
    kind: 'notFound',
    searched: ['/ext/server/glm-lsp', '/usr/local/bin/glm-lsp', '/usr/bin/glm-lsp', '/home/me/.cargo/bin/glm-lsp'],
  });
});

test("on Windows the shipped glm-lsp.exe comes before PATH's, and the setting still wins", () => {
  const windows = { platform: 'win32' as const, env: { Path: 'C:/bin;C:/tools' } };
  const everywhere = ['/ext/server/glm-lsp.exe', 'C:/bin/glm-lsp.exe', '/opt/glm-lsp.exe'];
  assert.deepEqual(resolveServer(lookup(everywhere, windows)), { kind: 'found', path: '/ext/server/glm-lsp.exe', from: 'extension' });
  assert.deepEqual(resolveServer(lookup(everywhere, { ...windows, configured: '/opt/glm-lsp.exe' })), {
    kind: 'found',
    path: '/opt/glm-lsp.exe',
    from: 'setting',
  });
  assert.deepEqual(resolveServer(lookup(['/ext/server/glm-lsp', 'C:/bin/glm-lsp.exe'], windows)), { kind: 'found', path: 'C:/bin/glm-lsp.exe', from: 'PATH' });
});
