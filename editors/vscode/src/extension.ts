// The GLM extension: starts glm-lsp with the API key from VS Code's secret storage in its
// environment, hands it the settings the user set, shows ghost text (or list items), and
// keeps a status bar item in step with what the server is doing.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  ShowMessageNotification,
  ShowMessageParams,
  State,
} from 'vscode-languageclient/node';

import { NextEdits } from './nextEdit';
import { resolveServer, Resolution } from './serverBinary';
import { explicitSettings, presentation, SECTION, ServerSetting, serverSettings } from './settings';
import { StatusBar } from './statusBar';
import { ServerStatus, statusLines } from './usage';

const SECRET = 'glm-lsp.apiKey';
/** The variables glm-lsp reads its key from, in its order. */
const KEY_VARIABLES = ['GLM_API_KEY', 'ZHIPUAI_API_KEY', 'ZAI_API_KEY'];
const STATUS_COMMAND = 'glm-lsp.status';
const GENERATE_TESTS_COMMAND = 'glm-lsp.generateTests';
const INSTALL_HINT = 'Install the GLM extension built for your platform (it carries the server), or glm-lsp with `cargo install glm-lsp`';
const LANGUAGES = [
  'rust',
  'python',
  'javascript',
  'javascriptreact',
  'typescript',
  'typescriptreact',
  'go',
  'c',
  'cpp',
  'java',
];
const DOCUMENT_SELECTOR = LANGUAGES.flatMap((language) => [
  { scheme: 'file', language },
  { scheme: 'untitled', language },
]);

let glm: Glm | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  glm = new Glm(context);
  context.subscriptions.push(glm);
  glm.registerCommands();
  await glm.start();
}

export function deactivate(): Promise<void> | undefined {
  return glm?.stop();
}

class Glm implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private nextEdits: NextEdits | undefined;
  private serverPath: string | undefined;
  // A log channel: vscode-languageclient 10+ writes its messages and traces through one.
  private readonly output = vscode.window.createOutputChannel('GLM', { log: true });
  private readonly statusBar = new StatusBar('glm-lsp.vscode.showOutput', 'glm-lsp.vscode.setApiKey');
  private readonly settings: ServerSetting[];
  private readonly disposables: vscode.Disposable[] = [];
  private keyPromptShown = false;
  private keyInSettingsWarned = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Starts, stops and restarts run one after the other. */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.settings = serverSettings(context.extension.packageJSON as Parameters<typeof serverSettings>[0]);
    this.disposables.push(
      this.output,
      this.statusBar,
      vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChanged(event)),
      context.secrets.onDidChange((event) => {
        if (event.key === SECRET) {
          void this.restart();
        }
      }),
    );
  }

  registerCommands(): void {
    const commands: [string, () => unknown][] = [
      ['glm-lsp.vscode.setApiKey', () => this.setApiKey()],
      ['glm-lsp.vscode.clearApiKey', () => this.clearApiKey()],
      ['glm-lsp.vscode.restartServer', () => this.restart()],
      ['glm-lsp.vscode.showOutput', () => this.showOutput()],
      ['glm-lsp.vscode.showStatus', () => this.showStatus()],
      ['glm-lsp.vscode.generateTestsAtCursor', () => this.generateTestsAtCursor()],
      ['glm-lsp.vscode.runDoctor', () => this.runDoctor()],
      ['glm-lsp.vscode.nextEdit.suggest', () => this.nextEdits?.suggest()],
      ['glm-lsp.vscode.nextEdit.tab', () => this.nextEdits?.tab() ?? vscode.commands.executeCommand('tab')],
      ['glm-lsp.vscode.nextEdit.dismiss', () => this.nextEdits?.dismiss()],
    ];
    for (const [id, run] of commands) {
      this.disposables.push(vscode.commands.registerCommand(id, run));
    }
  }

  start(): Promise<void> {
    return this.serialized(() => this.startNow());
  }

  stop(): Promise<void> {
    return this.serialized(() => this.stopNow());
  }

  restart(): Promise<void> {
    return this.serialized(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  private serialized(step: () => Promise<void>): Promise<void> {
    this.lifecycle = this.lifecycle.then(step, step);
    return this.lifecycle;
  }

  private async startNow(): Promise<void> {
    this.statusBar.setHealth({ kind: 'starting' });
    this.warnAboutKeyInSettings();
    const resolution = this.findServer();
    if (resolution.kind !== 'found') {
      this.serverPath = undefined;
      this.reportMissingServer(resolution);
      return;
    }
    this.serverPath = resolution.path;
    this.output.appendLine(`Starting ${resolution.path} (from ${resolution.from})`);
    const client = new LanguageClient(
      'glm-lsp',
      'GLM',
      { command: resolution.path, args: [], options: { env: await this.serverEnvironment() } },
      this.clientOptions(),
    );
    // Replaces the client's default handler (registered earlier, when the connection is made).
    client.onNotification(ShowMessageNotification.type, (message) => this.onServerMessage(message));
    let stoppedUnasked = false;
    client.onDidChangeState((event) => {
      if (this.client !== client) {
        return; // stopped on purpose (restart, new key, deactivation)
      }
      if (event.newState === State.Stopped) {
        stoppedUnasked = true;
        this.statusBar.setError('the glm-lsp server stopped; see the GLM output, then run "GLM: Restart Server"');
      } else if (event.newState === State.Running && stoppedUnasked) {
        // The client restarted the server after a crash.
        stoppedUnasked = false;
        this.statusBar.setHealth({ kind: 'running' });
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.statusBar.setError(`glm-lsp did not start: ${String(error)}`);
      void this.showError(`GLM: glm-lsp (${resolution.path}) did not start: ${String(error)}`);
      return;
    }
    this.statusBar.setHealth({ kind: 'running' });
    this.nextEdits = new NextEdits({
      client,
      enabled: () => vscode.workspace.getConfiguration(SECTION).get<boolean>('nextEdit.enabled') !== false,
      ghostText: () => this.presentation().ghostText,
      serves: (document) => vscode.languages.match(DOCUMENT_SELECTOR, document) > 0,
      log: (line) => this.output.appendLine(line),
    });
    const status = await this.refreshStatus();
    if (status !== undefined && !status.apiKeySet) {
      this.promptForKey();
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.nextEdits?.dispose();
    this.nextEdits = undefined;
    if (client !== undefined) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.appendLine(`Stopping glm-lsp: ${String(error)}`);
      }
      await client.dispose();
    }
    this.statusBar.setHealth({ kind: 'stopped' });
  }

  private findServer(): Resolution {
    // A .vsix unpacked by a tool that drops file modes leaves the shipped binary unexecutable.
    const shipped = `${this.context.extensionPath}/server/${process.platform === 'win32' ? 'glm-lsp.exe' : 'glm-lsp'}`;
    try {
      if (process.platform !== 'win32' && fs.existsSync(shipped)) {
        fs.chmodSync(shipped, 0o755);
      }
    } catch {
      // Read-only install: resolution below says where it looked.
    }
    const configured = vscode.workspace.getConfiguration(SECTION).get<string | null>('serverPath');
    return resolveServer({
      configured: configured ?? undefined,
      extensionDir: this.context.extensionPath,
      workspaceDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env: process.env,
      homeDir: os.homedir(),
      platform: process.platform,
      isExecutable: (file) => {
        try {
          fs.accessSync(file, fs.constants.X_OK);
          return fs.statSync(file).isFile();
        } catch {
          return false;
        }
      },
    });
  }

  private reportMissingServer(resolution: Exclude<Resolution, { kind: 'found' }>): void {
    const message =
      resolution.kind === 'badSetting'
        ? `GLM: glm-lsp.serverPath is ${resolution.path}, which is not an executable file: point it at glm-lsp, or clear it to use the server in the extension or on PATH.`
        : `GLM: the glm-lsp server was not found (not in the extension, on PATH or in ~/.cargo/bin). ${INSTALL_HINT}, or set glm-lsp.serverPath.`;
    if (resolution.kind === 'notFound') {
      this.output.appendLine(`Looked for glm-lsp in:\n  ${resolution.searched.join('\n  ')}`);
    }
    this.statusBar.setError(message);
    void vscode.window.showErrorMessage(message, 'Open Setting', 'Show Output').then((choice) => {
      if (choice === 'Open Setting') {
        void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.serverPath`);
      } else if (choice === 'Show Output') {
        this.output.show();
      }
    });
  }

  /** The extension's environment, with the key from secret storage when there is one. */
  private async serverEnvironment(): Promise<NodeJS.ProcessEnv> {
    const env = { ...process.env };
    const key = await this.context.secrets.get(SECRET);
    if (key) {
      for (const name of KEY_VARIABLES) {
        delete env[name];
      }
      env.GLM_API_KEY = key;
    }
    return env;
  }

  private clientOptions(): LanguageClientOptions {
    const statusBar = this.statusBar;
    return {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.output,
      initializationOptions: () => this.serverSettings(),
      // No `synchronize.configurationSection`: it would send every default VS Code knows
      // (see settings.ts). Changes are pushed by `onConfigurationChanged` instead.
      middleware: {
        workspace: {
          // The server pulls its section (`workspace/configuration`) at start.
          configuration: (params, token, next) => {
            if (params.items.every((item) => item.section === SECTION)) {
              return params.items.map(() => this.serverSettings());
            }
            return next(params, token);
          },
        },
        provideCompletionItem: (document, position, context, token, next) =>
          this.presentation().list ? next(document, position, context, token) : undefined,
        provideInlineCompletionItems: async (document, position, context, token, next) => {
          if (!this.presentation().ghostText) {
            return undefined;
          }
          statusBar.inlineRequestStarted();
          try {
            return await next(document, position, context, token);
          } finally {
            statusBar.inlineRequestFinished();
            if (!statusBar.thinking) {
              this.scheduleRefresh();
            }
          }
        },
        // Observes the server's progress without replacing VS Code's own display of it.
        handleWorkDoneProgress: (token, params, next) => {
          if (typeof token === 'string' && token.startsWith('glm-lsp/')) {
            if (params.kind === 'begin') {
              statusBar.progressBegan(token);
            } else if (params.kind === 'end') {
              statusBar.progressEnded(token);
              this.scheduleRefresh();
            }
          }
          next(token, params);
        },
      },
    };
  }

  private presentation(): { ghostText: boolean; list: boolean } {
    return presentation(vscode.workspace.getConfiguration(SECTION).get<string>('completion.style'));
  }

  /** The settings set, the user's and the workspace's (see `explicitSettings`). */
  private serverSettings(): Record<string, unknown> {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return explicitSettings(this.settings, (key) => configuration.inspect(key));
  }

  private onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (event.affectsConfiguration(`${SECTION}.serverPath`)) {
      void this.restart();
      return;
    }
    const client = this.client;
    if (client?.isRunning() && this.settings.some((setting) => event.affectsConfiguration(`${SECTION}.${setting.key}`))) {
      void client
        .sendNotification(DidChangeConfigurationNotification.type, { settings: this.serverSettings() })
        .catch((error) => this.output.appendLine(`Sending settings: ${String(error)}`));
    }
  }

  private warnAboutKeyInSettings(): void {
    if (this.keyInSettingsWarned) {
      return;
    }
    this.keyInSettingsWarned = true;
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect('apiKey');
    if (inspected?.globalValue !== undefined || inspected?.workspaceValue !== undefined) {
      void vscode.window.showWarningMessage(
        'GLM: "glm-lsp.apiKey" in settings.json is ignored: settings files are not a place for secrets. ' +
          'Run "GLM: Set API Key" (it keeps the key in VS Code\'s secret storage) and delete it from settings.json.',
        'Set API Key',
      ).then((choice) => choice && this.setApiKey());
    }
  }

  /** Says once per session that there is no key, with a button to set one. */
  private promptForKey(): void {
    if (this.keyPromptShown) {
      return;
    }
    this.keyPromptShown = true;
    void vscode.window
      .showWarningMessage('GLM: no API key is set, so glm-lsp cannot ask the model.', 'Set API Key')
      .then((choice) => choice && this.setApiKey());
  }

  private onServerMessage(message: ShowMessageParams): void {
    const text = message.message;
    // The server's own "no API key" warning advises a setting; VS Code keeps keys in secret storage.
    if (text.startsWith('glm-lsp: no API key')) {
      this.promptForKey();
      return;
    }
    const buttons = /api key/i.test(text) ? ['Set API Key', 'Show Output'] : ['Show Output'];
    const show =
      message.type === MessageType.Error
        ? vscode.window.showErrorMessage
        : message.type === MessageType.Warning
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    if (message.type === MessageType.Error) {
      this.statusBar.setError(text);
    }
    void show(text, ...buttons).then((choice) => {
      if (choice === 'Set API Key') {
        void this.setApiKey();
      } else if (choice === 'Show Output') {
        this.showOutput();
      }
    });
  }

  private async setApiKey(): Promise<void> {
    const key = await vscode.window.showInputBox({
      title: 'GLM: Set API Key',
      prompt: 'Your GLM API key (Zhipu open platform or Z.ai). It is kept in VS Code\'s secret storage.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim().length === 0 ? 'The key is empty' : undefined),
    });
    if (key === undefined) {
      return;
    }
    // Storing it fires `secrets.onDidChange`, which restarts the server with the new key.
    await this.context.secrets.store(SECRET, key.trim());
    void vscode.window.showInformationMessage('GLM: API key saved; glm-lsp restarts with it.');
  }

  private async clearApiKey(): Promise<void> {
    await this.context.secrets.delete(SECRET);
    void vscode.window.showInformationMessage('GLM: API key cleared.');
  }

  private showOutput(): void {
    this.statusBar.clearError();
    this.output.show(true);
  }

  /** Asks the server for its status once a burst of activity is over (never periodically). */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshStatus(), 300);
  }

  private async refreshStatus(): Promise<ServerStatus | undefined> {
    const status = await this.request<ServerStatus>(STATUS_COMMAND, []);
    if (status !== undefined) {
      this.statusBar.setStatus(status);
    }
    return status;
  }

  private async request<T>(command: string, args: unknown[]): Promise<T | undefined> {
    const client = this.client;
    if (!client?.isRunning()) {
      return undefined;
    }
    try {
      return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
    } catch (error) {
      this.output.appendLine(`${command}: ${String(error)}`);
      return undefined;
    }
  }

  private async showStatus(): Promise<void> {
    if (!this.client?.isRunning()) {
      await this.showError('GLM: glm-lsp is not running.');
      return;
    }
    const status = await this.refreshStatus();
    if (status === undefined) {
      await this.showError('GLM: glm-lsp did not answer glm-lsp.status; see the GLM output.');
      return;
    }
    const lines = statusLines(status);
    this.output.appendLine(['Status:', ...lines].join('\n  '));
    void vscode.window.showInformationMessage(lines[0], { modal: true, detail: lines.slice(1).join('\n') });
  }

  private async generateTestsAtCursor(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.client;
    if (editor === undefined || !client?.isRunning()) {
      await this.showError(editor === undefined ? 'GLM: open a file and put the cursor in a function first.' : 'GLM: glm-lsp is not running.');
      return;
    }
    const commands = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    if (!commands.includes(GENERATE_TESTS_COMMAND)) {
      void vscode.window.showInformationMessage('GLM: this glm-lsp does not support test generation yet.');
      return;
    }
    const argument = {
      textDocument: { uri: client.code2ProtocolConverter.asUri(editor.document.uri) },
      position: client.code2ProtocolConverter.asPosition(editor.selection.active),
    };
    try {
      // The server answers at once; progress and the edit follow.
      await client.sendRequest(ExecuteCommandRequest.type, { command: GENERATE_TESTS_COMMAND, arguments: [argument] });
    } catch (error) {
      await this.showError(`GLM: generating tests failed: ${String(error)}`);
    }
  }

  private async runDoctor(): Promise<void> {
    const resolution = this.serverPath === undefined ? this.findServer() : undefined;
    const serverPath = this.serverPath ?? (resolution?.kind === 'found' ? resolution.path : undefined);
    if (serverPath === undefined) {
      this.reportMissingServer(resolution as Exclude<Resolution, { kind: 'found' }>);
      return;
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
    const args = ['doctor', '--root', root, '--settings', JSON.stringify(this.serverSettings())];
    const env = await this.serverEnvironment();
    const { code, output } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'GLM: running glm-lsp doctor…' },
      () => run(serverPath, args, env, root),
    );
    this.output.appendLine(`$ ${serverPath} doctor --root ${root}\n${output.trimEnd()}\n(exit code ${code})`);
    this.output.show(true);
    if (code === 0) {
      void vscode.window.showInformationMessage('GLM: doctor found no problem (details in the GLM output).');
    } else {
      void this.showError('GLM: doctor found problems; the GLM output says what and how to fix them.');
    }
  }

  private async showError(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Show Output');
    if (choice === 'Show Output') {
      this.showOutput();
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}

/** Runs a program to completion; stdout and stderr interleaved as they come. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { env, cwd });
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.on('error', (error) => resolve({ code: null, output: `${output}${String(error)}\n` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}
