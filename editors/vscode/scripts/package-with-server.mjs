// Packages a platform-specific .vsix with the glm-lsp binary inside (`server/glm-lsp`), so
// users need no separate install: `npm run package:with-server [-- path/to/glm-lsp]`.
// Without a path it takes the release build of this checkout (`cargo build --release -p glm-lsp`).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = path.join(here, '..');
const exe = process.platform === 'win32' ? 'glm-lsp.exe' : 'glm-lsp';
const binary = path.resolve(process.argv[2] ?? path.join(extension, '../../target/release', exe));
if (!fs.existsSync(binary)) {
  console.error(`${binary} is missing: build it with \`cargo build --release -p glm-lsp\`, or pass its path`);
  process.exit(1);
}
// vsce's platform names are VS Code's: linux-x64, darwin-arm64, win32-x64, ...
const target = `${process.platform}-${process.arch}`;
fs.mkdirSync(path.join(extension, 'server'), { recursive: true });
const shipped = path.join(extension, 'server', exe);
fs.copyFileSync(binary, shipped);
fs.chmodSync(shipped, 0o755);
const vsce = path.join(extension, 'node_modules/.bin/vsce');
const out = `glm-lsp-${target}.vsix`;
execFileSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--target', target, '--out', out], {
  cwd: extension,
  stdio: 'inherit',
});
fs.rmSync(path.join(extension, 'server'), { recursive: true });
console.log(`${out}: the extension with ${binary} inside`);
