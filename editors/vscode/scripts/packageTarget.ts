// Packages the extension for one VS Code target with the glm-lsp binary inside (at
// `server/glm-lsp[.exe]`, where the extension looks first), so users need nothing else:
//
//   npm run package:target -- <code-target> [binary] [vsce options…]
//
// e.g. `npm run package:target -- linux-x64 ../../target/release/glm-lsp`. Without a binary it
// takes `target/<rust-target>/release/` of this checkout. Writes `glm-lsp-<code-target>.vsix`
// unless `--out` is given. The release workflow and scripts/test run it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { executableKind, executableName, mismatch, PLATFORMS } from './platforms';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const extension = path.join(__dirname, '../..');
const [codeTarget, ...rest] = process.argv.slice(2);
const platform = codeTarget === undefined ? undefined : PLATFORMS[codeTarget];
if (codeTarget === undefined || platform === undefined) {
  fail(`usage: npm run package:target -- <code-target> [binary] [vsce options…]; targets: ${Object.keys(PLATFORMS).join(', ')}`);
}
const exe = executableName(codeTarget);
const binary = path.resolve(
  rest[0] !== undefined && !rest[0].startsWith('-')
    ? rest.shift()!
    : path.join(extension, '../../target', platform.rustTarget, 'release', exe),
);
if (!fs.existsSync(binary)) {
  fail(`${binary} is missing: build it with \`cargo build --release -p glm-lsp --target ${platform.rustTarget}\`, or pass its path`);
}
// Enough for the ELF program headers and the loader's path, which come first.
const header = Buffer.alloc(65536);
const fd = fs.openSync(binary, 'r');
const read = fs.readSync(fd, header, 0, header.length, 0);
fs.closeSync(fd);
const wrong = mismatch(platform, executableKind(header.subarray(0, read)));
if (wrong !== undefined) {
  fail(`${binary} cannot run on ${codeTarget}: it is ${wrong}`);
}

const server = path.join(extension, 'server');
fs.rmSync(server, { recursive: true, force: true });
fs.mkdirSync(server);
const shipped = path.join(server, exe);
fs.copyFileSync(binary, shipped);
fs.chmodSync(shipped, 0o755);
const out = rest.includes('--out') || rest.includes('-o') ? [] : ['--out', `glm-lsp-${codeTarget}.vsix`];
let packaged = false;
try {
  // vsce's own script, run by this node: `.bin/vsce` is a shell wrapper on Windows.
  const vsce = path.join(extension, 'node_modules/@vscode/vsce/vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--target', codeTarget, ...out, ...rest], {
    cwd: extension,
    stdio: 'inherit',
  });
  packaged = true;
} catch {
  // vsce said why on stderr.
} finally {
  // A later universal `npm run package` must not ship this binary.
  fs.rmSync(server, { recursive: true, force: true });
}
if (!packaged) {
  fail(`vsce package --target ${codeTarget} failed`);
}
console.log(`${codeTarget}: the extension with ${binary} inside`);
