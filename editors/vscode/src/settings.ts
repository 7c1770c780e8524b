// Which settings go to the server, and with which values. Pure, so it is unit-tested.
//
// The server's settings are the `contributes.configuration` categories between the
// `$generated-start` and `$generated-end` entries of package.json (generated from the
// server's schema); the others are the extension's own and never reach the server.
//
// Only the values the user set are sent: VS Code's defaults would otherwise override the
// user's ~/.config/glm-lsp/config.toml, the workspace's glm-lsp.toml and the environment,
// which the server layers below the editor's settings.

export const SECTION = 'glm-lsp';

export interface ServerSetting {
  /** Key under the section, e.g. `completion.debounceMs`. */
  key: string;
  /** Scope `machine`: a workspace may not set it (the server's user-only settings). */
  userOnly: boolean;
}

interface Category {
  title?: string;
  properties?: Record<string, { scope?: string }>;
}

export function serverSettings(packageJson: { contributes?: { configuration?: Category[] } }): ServerSetting[] {
  const categories = packageJson.contributes?.configuration ?? [];
  const start = categories.findIndex((category) => category.title === '$generated-start');
  const end = categories.findIndex((category) => category.title === '$generated-end');
  return categories.slice(start + 1, end).flatMap((category) =>
    Object.entries(category.properties ?? {}).map(([name, property]) => ({
      key: name.slice(SECTION.length + 1),
      userOnly: property.scope === 'machine' || property.scope === 'application',
    })),
  );
}

/** What `WorkspaceConfiguration.inspect` says about one key. */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Beside `SECTION`: the workspace's own values, which the server holds to its workspace rules. */
export const WORKSPACE_SECTION = 'glm-lsp/workspace';

/**
 * The values set, as the server's settings: the user's under `SECTION` and the workspace's
 * (`.vscode/settings.json`, folder settings) under `WORKSPACE_SECTION`, each nested
 * (`{"completion": {"debounceMs": 50}}`). The workspace's come from the repository, so the
 * server applies them as it applies a workspace `glm-lsp.toml` (a tighten-only setting such
 * as `context.exclude` or `completion.maxTokens` cannot be loosened); user-only settings are
 * read from the user's settings alone and never sent as the workspace's.
 */
export function explicitSettings(
  settings: ServerSetting[],
  inspect: (key: string) => Inspected | undefined,
): Record<string, Record<string, unknown>> {
  const user: Record<string, unknown> = {};
  const workspace: Record<string, unknown> = {};
  for (const setting of settings) {
    const inspected = inspect(setting.key);
    if (inspected === undefined) {
      continue;
    }
    setNested(user, setting.key, inspected.globalValue);
    if (!setting.userOnly) {
      setNested(workspace, setting.key, inspected.workspaceFolderValue ?? inspected.workspaceValue);
    }
  }
  return { [SECTION]: user, [WORKSPACE_SECTION]: workspace };
}

function setNested(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) {
    return;
  }
  const segments = key.split('.');
  for (const segment of segments.slice(0, -1)) {
    target = (target[segment] ??= {}) as Record<string, unknown>;
  }
  target[segments[segments.length - 1]] = value;
}

/** `glm-lsp.completion.style`: how completions are presented in VS Code. */
export type CompletionStyle = 'auto' | 'inline' | 'list' | 'both';

/** VS Code shows inline completions, so `auto` means ghost text alone. */
export function presentation(style: string | undefined): { ghostText: boolean; list: boolean } {
  switch (style) {
    case 'list':
      return { ghostText: false, list: true };
    case 'both':
      return { ghostText: true, list: true };
    default:
      return { ghostText: true, list: false };
  }
}
