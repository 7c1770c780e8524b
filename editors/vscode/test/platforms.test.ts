import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { parse } from 'yaml';

import { executableKind, executableName, PLATFORMS } from '../scripts/platforms';

interface MatrixEntry {
  os: string;
  target: string;
  'code-target'?: string;
}

// esbuild bundles this file into out/test/, two folders below the extension.
const workflowFile = path.join(__dirname, '../../../../.github/workflows/release.yaml');

function releaseMatrix(): MatrixEntry[] {
  const workflow = parse(fs.readFileSync(workflowFile, 'utf8')) as { jobs: Record<string, { strategy?: { matrix?: { include?: MatrixEntry[] } } }> };
  const include = workflow.jobs.dist?.strategy?.matrix?.include;
  assert.ok(include && include.length > 0, `${workflowFile} has no jobs.dist.strategy.matrix.include`);
  return include;
}

test('the release workflow builds exactly the platforms the extension is packaged for', () => {
  const built = releaseMatrix()
    .map((entry) => `${entry['code-target']} ${entry.target}`)
    .sort();
  const packaged = Object.entries(PLATFORMS)
    .map(([codeTarget, platform]) => `${codeTarget} ${platform.rustTarget}`)
    .sort();
  assert.deepEqual(built, packaged);
  assert.equal(new Set(built).size, built.length, 'a target built twice');
});

test("each target is built on a runner of its operating system (Windows' and macOS's toolchains are their own)", () => {
  for (const entry of releaseMatrix()) {
    const format = PLATFORMS[entry['code-target'] ?? '']?.format;
    const runner = format === 'pe' ? /^windows-/ : format === 'macho' ? /^macos-/ : /^ubuntu-/;
    assert.match(entry.os, runner, `${entry.target} on ${entry.os}`);
  }
});

test('the executable inside is glm-lsp.exe on Windows only', () => {
  assert.equal(executableName('win32-arm64'), 'glm-lsp.exe');
  assert.equal(executableName('linux-x64'), 'glm-lsp');
  assert.equal(executableName('alpine-x64'), 'glm-lsp');
  assert.equal(executableName('darwin-arm64'), 'glm-lsp');
});

function elf(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header.writeUInt16LE(machine, 18);
  return header;
}

function pe(machine: number): Buffer {
  const header = Buffer.alloc(256);
  header.write('MZ', 0, 'latin1');
  header.writeUInt32LE(0x80, 0x3c);
  header.write('PE\0\0', 0x80, 'latin1');
  header.writeUInt16LE(machine, 0x84);
  return header;
}

function macho(cpu: number): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(cpu, 4);
  return header;
}

test('a binary is recognised by its header, so one for another machine is refused', () => {
  assert.deepEqual(executableKind(elf(0x3e)), { format: 'elf', arch: 'x64' });
  assert.deepEqual(executableKind(elf(0xb7)), { format: 'elf', arch: 'arm64' });
  assert.deepEqual(executableKind(elf(0x28)), { format: 'elf', arch: 'armhf' });
  assert.deepEqual(executableKind(elf(0x08)), { format: 'elf', arch: 'other' });
  assert.deepEqual(executableKind(pe(0x8664)), { format: 'pe', arch: 'x64' });
  assert.deepEqual(executableKind(pe(0xaa64)), { format: 'pe', arch: 'arm64' });
  assert.deepEqual(executableKind(macho(0x01000007)), { format: 'macho', arch: 'x64' });
  assert.deepEqual(executableKind(macho(0x0100000c)), { format: 'macho', arch: 'arm64' });
  assert.equal(executableKind(Buffer.from('#!/bin/sh\necho glm-lsp\n')), undefined);
  assert.equal(executableKind(Buffer.from('MZ')), undefined);
});

// macOS's node may be a universal (fat) binary, which is no one target's executable.
test('the node running this test is recognised as what it is', { skip: process.platform !== 'linux' }, () => {
  const header = Buffer.alloc(4096);
  const fd = fs.openSync(process.execPath, 'r');
  fs.readSync(fd, header, 0, header.length, 0);
  fs.closeSync(fd);
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch as string] ?? 'other';
  assert.deepEqual(executableKind(header), { format: 'elf', arch });
});
