// Where the glm-lsp binary is: the `glm-lsp.serverPath` setting, else the binary shipped in
// the extension, else `glm-lsp` on PATH, else cargo's install folder (VS Code started from a
// desktop launcher often lacks ~/.cargo/bin on its PATH). Pure, so it is unit-tested.
import * as path from 'node:path';

export interface Lookup {
  /** The `glm-lsp.serverPath` setting, if set. */
  configured: string | undefined;
  extensionDir: string;
  workspaceDir: string | undefined;
  env: Record<string, string | undefined>;
  homeDir: string;
  platform: NodeJS.Platform;
  /** Whether `file` is an executable file. */
  isExecutable: (file: string) => boolean;
}

export type Resolution =
  | { kind: 'found'; path: string; from: 'setting' | 'extension' | 'PATH' | 'cargo' }
  /** The setting names a file that is not there: said as such, never silently replaced. */
  | { kind: 'badSetting'; path: string }
  | { kind: 'notFound'; searched: string[] };

export function resolveServer(lookup: Lookup): Resolution {
  const exe = lookup.platform === 'win32' ? 'glm-lsp.exe' : 'glm-lsp';
  const configured = lookup.configured?.trim();
  if (configured) {
    const file = expand(configured, lookup);
    return lookup.isExecutable(file) ? { kind: 'found', path: file, from: 'setting' } : { kind: 'badSetting', path: file };
  }
  const searched: string[] = [];
  const candidates: [string, 'extension' | 'PATH' | 'cargo'][] = [
    [path.join(lookup.extensionDir, 'server', exe), 'extension'],
    ...(lookup.env.PATH ?? lookup.env.Path ?? '')
      .split(lookup.platform === 'win32' ? ';' : ':')
      .filter((dir) => dir.length > 0)
      .map((dir): [string, 'PATH'] => [path.join(dir, exe), 'PATH']),
    [path.join(lookup.env.CARGO_HOME ?? path.join(lookup.homeDir, '.cargo'), 'bin', exe), 'cargo'],
  ];
  for (const [file, from] of candidates) {
    if (lookup.isExecutable(file)) {
      return { kind: 'found', path: file, from };
    }
    searched.push(file);
  }
  return { kind: 'notFound', searched };
}

/** `~/x` is in the home folder; a relative path is relative to the workspace folder. */
function expand(file: string, lookup: Lookup): string {
  if (file === '~' || file.startsWith('~/')) {
    return path.join(lookup.homeDir, file.slice(1));
  }
  if (!path.isAbsolute(file) && lookup.workspaceDir !== undefined) {
    return path.join(lookup.workspaceDir, file);
  }
  return file;
}
