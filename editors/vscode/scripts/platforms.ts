// The platforms the extension is published for: each VS Code target (`vsce package --target`)
// and the Rust target the server binary inside it is built for. The release workflow
// (.github/workflows/release.yaml) builds the same list; test/platforms.test.ts checks they agree.

export interface Platform {
  /** Rust's target triple: the release asset is `glm-lsp-<triple>.gz` (`.zip` on Windows). */
  rustTarget: string;
  /** What the server executable must be to run there. */
  format: 'elf' | 'pe' | 'macho';
  arch: 'x64' | 'arm64' | 'armhf';
  /** Linux's C library: glibc's binaries need its loader, Alpine has only musl. */
  libc?: 'gnu' | 'musl';
}

export const PLATFORMS: Readonly<Record<string, Platform>> = {
  'win32-x64': { rustTarget: 'x86_64-pc-windows-msvc', format: 'pe', arch: 'x64' },
  'win32-arm64': { rustTarget: 'aarch64-pc-windows-msvc', format: 'pe', arch: 'arm64' },
  'linux-x64': { rustTarget: 'x86_64-unknown-linux-gnu', format: 'elf', arch: 'x64', libc: 'gnu' },
  'linux-arm64': { rustTarget: 'aarch64-unknown-linux-gnu', format: 'elf', arch: 'arm64', libc: 'gnu' },
  'linux-armhf': { rustTarget: 'arm-unknown-linux-gnueabihf', format: 'elf', arch: 'armhf', libc: 'gnu' },
  'alpine-x64': { rustTarget: 'x86_64-unknown-linux-musl', format: 'elf', arch: 'x64', libc: 'musl' },
  'darwin-x64': { rustTarget: 'x86_64-apple-darwin', format: 'macho', arch: 'x64' },
  'darwin-arm64': { rustTarget: 'aarch64-apple-darwin', format: 'macho', arch: 'arm64' },
};

/** The server's file name inside the extension (`server/<name>`), where serverBinary.ts looks. */
export function executableName(codeTarget: string): string {
  return codeTarget.startsWith('win32-') ? 'glm-lsp.exe' : 'glm-lsp';
}

type Arch = Platform['arch'];
const ELF_MACHINES = new Map<number, Arch>([
  [0x3e, 'x64'],
  [0xb7, 'arm64'],
  [0x28, 'armhf'],
]);
const PE_MACHINES = new Map<number, Arch>([
  [0x8664, 'x64'],
  [0xaa64, 'arm64'],
]);
const MACHO_CPUS = new Map<number, Arch>([
  [0x01000007, 'x64'],
  [0x0100000c, 'arm64'],
]);

export interface ExecutableKind {
  format: Platform['format'];
  arch: Arch | 'other';
  /** An ELF's dynamic loader (PT_INTERP); none when statically linked. */
  interpreter?: string;
}

/**
 * The format and architecture of an executable, read from its header (ELF, PE or 64-bit
 * Mach-O), so that a binary built for another machine is never packaged for this target.
 */
export function executableKind(header: Buffer): ExecutableKind | undefined {
  if (header.length >= 20 && header.readUInt32BE(0) === 0x7f454c46) {
    // e_machine, in the file's byte order (EI_DATA: 1 little-endian, 2 big-endian).
    const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
    const arch = ELF_MACHINES.get(machine) ?? 'other';
    return { format: 'elf', arch, interpreter: elfInterpreter(header) };
  }
  if (header.length >= 0x40 && header.toString('latin1', 0, 2) === 'MZ') {
    const pe = header.readUInt32LE(0x3c);
    if (header.length >= pe + 6 && header.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = header.readUInt16LE(pe + 4);
      const arch = PE_MACHINES.get(machine) ?? 'other';
      return { format: 'pe', arch };
    }
  }
  if (header.length >= 8 && header.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = header.readUInt32LE(4);
    const arch = MACHO_CPUS.get(cpu) ?? 'other';
    return { format: 'macho', arch };
  }
  return undefined;
}

/** The ELF program header PT_INTERP's path, if the header holds one. */
function elfInterpreter(elf: Buffer): string | undefined {
  const little = elf[5] !== 2;
  const is64 = elf[4] === 2;
  const u16 = (at: number) => (little ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number) => (little ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const word = (at: number) => (is64 ? Number(little ? elf.readBigUInt64LE(at) : elf.readBigUInt64BE(at)) : u32(at));
  if (elf.length < (is64 ? 0x40 : 0x34)) {
    return undefined;
  }
  const table = word(is64 ? 0x20 : 0x1c);
  const entrySize = u16(is64 ? 0x36 : 0x2a);
  const entries = u16(is64 ? 0x38 : 0x2c);
  for (let index = 0; index < entries; index++) {
    const entry = table + index * entrySize;
    if (entry + entrySize > elf.length) {
      return undefined;
    }
    if (u32(entry) === 3 /* PT_INTERP */) {
      const offset = word(entry + (is64 ? 8 : 4));
      const size = word(entry + (is64 ? 32 : 16));
      return offset + size <= elf.length ? elf.toString('latin1', offset, offset + size).replace(/\0+$/, '') : undefined;
    }
  }
  return undefined;
}

/** Why `kind` cannot run on `platform`, or undefined when it can. */
export function mismatch(platform: Platform, kind: ExecutableKind | undefined): string | undefined {
  if (kind === undefined) {
    return 'not an executable';
  }
  if (kind.format !== platform.format || kind.arch !== platform.arch) {
    const name = { elf: 'ELF', pe: 'PE', macho: 'Mach-O' };
    return `built for ${name[kind.format]} ${kind.arch}, not ${name[platform.format]} ${platform.arch}`;
  }
  const loader = kind.interpreter;
  if (platform.libc === 'gnu' && !loader?.includes('/ld-linux')) {
    return `not linked against glibc (its loader: ${loader ?? 'none'})`;
  }
  if (platform.libc === 'musl' && loader !== undefined && !loader.includes('/ld-musl')) {
    return `linked against ${loader}, which Alpine lacks: build for musl`;
  }
  return undefined;
}
