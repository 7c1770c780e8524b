import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { parse } from 'yaml';

import { executableKind, executableName, mismatch, PLATFORMS } from '../scripts/platforms';

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

/** A 64-bit little-endian ELF header, with a PT_INTERP program header when `loader` is given. */
function elf(machine: number, loader?: string): Buffer {
  const header = Buffer.alloc(0x100);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header.writeUInt16LE(machine, 18);
  if (loader !== undefined) {
    header.writeBigUInt64LE(0x40n, 0x20); // e_phoff
    header.writeUInt16LE(56, 0x36); // e_phentsize
    header.writeUInt16LE(1, 0x38); // e_phnum
    header.writeUInt32LE(3, 0x40); // PT_INTERP
    header.writeBigUInt64LE(0x80n, 0x48); // p_offset
    header.writeBigUInt64LE(BigInt(loader.length + 1), 0x60); // p_filesz, with the NUL
    header.write(loader, 0x80, 'latin1');
  }
  return header;
}

const GLIBC_X64 = '/lib64/ld-linux-x86-64.so.2';

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
  assert.deepEqual(executableKind(elf(0x3e, GLIBC_X64)), { format: 'elf', arch: 'x64', interpreter: GLIBC_X64 });
  assert.deepEqual(executableKind(elf(0x3e)), { format: 'elf', arch: 'x64', interpreter: undefined });
  assert.deepEqual(executableKind(elf(0xb7)), { format: 'elf', arch: 'arm64', interpreter: undefined });
  assert.deepEqual(executableKind(elf(0x28)), { format: 'elf', arch: 'armhf', interpreter: undefined });
  assert.deepEqual(executableKind(elf(0x08)), { format: 'elf', arch: 'other', interpreter: undefined });
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
  const kind = executableKind(header);
  assert.equal(kind?.format, 'elf');
  assert.equal(kind?.arch, arch);
  assert.match(kind?.interpreter ?? '', /\/ld-(linux|musl)/);
});

test('only a binary that runs there is packaged for a target', () => {
  const linux = PLATFORMS['linux-x64'];
  const alpine = PLATFORMS['alpine-x64'];
  assert.equal(mismatch(linux, executableKind(elf(0x3e, GLIBC_X64))), undefined);
  assert.equal(mismatch(alpine, executableKind(elf(0x3e))), undefined, 'static musl');
  assert.equal(mismatch(alpine, executableKind(elf(0x3e, '/lib/ld-musl-x86_64.so.1'))), undefined);
  assert.match(mismatch(alpine, executableKind(elf(0x3e, GLIBC_X64))) ?? '', /build for musl/);
  assert.match(mismatch(linux, executableKind(elf(0x3e))) ?? '', /not linked against glibc/);
  assert.match(mismatch(linux, executableKind(elf(0xb7, '/lib/ld-linux-aarch64.so.1'))) ?? '', /built for ELF arm64, not ELF x64/);
  assert.match(mismatch(PLATFORMS['win32-arm64'], executableKind(pe(0x8664))) ?? '', /built for PE x64, not PE arm64/);
  assert.equal(mismatch(PLATFORMS['darwin-arm64'], executableKind(macho(0x0100000c))), undefined);
  assert.equal(mismatch(linux, executableKind(Buffer.from('#!/bin/sh\n'))), 'not an executable');
});
