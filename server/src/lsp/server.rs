//! The routing table: each LSP method is a few lines that convert and call into the session.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use futures::FutureExt;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use super::{from_proto, to_proto};
use crate::config::{ConfigError, Sources};
use crate::document::{ChangeError, Document};
use crate::session::Session;
use crate::text::PositionEncoding;

pub const STATUS_COMMAND: &str = "glm-lsp.status";
/// The status for editors that do not show a command's result (Helix's
/// `:lsp-workspace-command`): the same answer, also sent as a one-line message.
pub const SHOW_STATUS_COMMAND: &str = "glm-lsp.showStatus";

/// What the client told us it can do, reduced to what the server branches on.
#[derive(Debug, Clone, Default)]
pub struct ClientSupport {
    pub work_done_progress: bool,
    pub apply_edit: bool,
    pub document_changes: bool,
    /// `workspace.workspaceEdit.resourceOperations` includes `create`.
    pub create_files: bool,
    pub change_annotations: bool,
    pub code_action_resolve: bool,
    pub inline_completion: bool,
    pub configuration: bool,
    pub watched_files_registration: bool,
}

pub struct Backend {
    client: Client,
    session: Arc<Session>,
    support: OnceLock<ClientSupport>,
    /// Configuration problems found during `initialize`, shown once the client is ready.
    pending_config_errors: std::sync::Mutex<Vec<ConfigError>>,
    /// The pending prefetch per document: a new keystroke replaces (aborts) it.
    prefetches: dashmap::DashMap<String, tokio::task::AbortHandle>,
    action_jobs: super::actions::ActionJobs,
    /// Saved and watched paths waiting to be indexed again, in arrival order.
    index_updates: OnceLock<tokio::sync::mpsc::UnboundedSender<std::path::PathBuf>>,
    index_updates_pending: Arc<std::sync::atomic::AtomicUsize>,
    /// Whether the first build of the workspace index has finished.
    index_built: tokio::sync::watch::Sender<bool>,
    /// Test hook: holds the workspace index's build part way (`GLM_LSP_TEST_INDEX_HOLD_AFTER`).
    index_hold: Arc<IndexHold>,
}

/// Serves LSP on stdin/stdout until the client sends `exit` or closes the pipe.
pub async fn serve_stdio() {
    serve(tokio::io::stdin(), tokio::io::stdout()).await;
}

/// Serves LSP on any pair of streams (stdio, or in-process pipes for tests and benchmarks).
pub async fn serve<In, Out>(input: In, output: Out)
where
    In: tokio::io::AsyncRead + Unpin,
    Out: tokio::io::AsyncWrite + Unpin,
{
    let (service, socket) = LspService::build(Backend::new)
        .custom_method("textDocument/inlineCompletion", Backend::inline_completion)
        .custom_method("window/workDoneProgress/cancel", Backend::work_done_progress_cancel)
        .finish();
    // Small pipes: a large message streams through them rather than being held whole in
    // each (their buffers keep their largest size for the session).
    let (server_input, guard_to_server) = tokio::io::duplex(64 * 1024);
    let (guard_from_server, server_output) = tokio::io::duplex(64 * 1024);
    let (server_read, _) = tokio::io::split(server_input);
    let (_, server_write) = tokio::io::split(server_output);
    // More than the default 4 so that a few slow requests cannot hold up document sync.
    let server = async move {
        Server::new(server_read, server_write, socket).concurrency_level(32).serve(service).await;
        tracing::debug!("server loop finished");
    };
    super::transport::guard(input, output, guard_to_server, guard_from_server, server).await;
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            session: Arc::new(Session::new()),
            support: OnceLock::new(),
            pending_config_errors: Default::default(),
            prefetches: Default::default(),
            action_jobs: Default::default(),
            index_updates: OnceLock::new(),
            index_updates_pending: Default::default(),
            index_built: tokio::sync::watch::Sender::new(false),
            index_hold: Arc::new(IndexHold::from_env()),
        }
    }

    pub(super) fn session(&self) -> &Session {
        &self.session
    }

    pub(super) fn session_arc(&self) -> Arc<Session> {
        self.session.clone()
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub(super) fn action_jobs(&self) -> super::actions::ActionJobs {
        self.action_jobs.clone()
    }

    pub(super) fn replace_prefetch(&self, uri: &str, task: tokio::task::AbortHandle) {
        if let Some(previous) = self.prefetches.insert(uri.to_string(), task) {
            previous.abort();
        }
    }

    pub(super) fn cancel_prefetch(&self, uri: &str) {
        if let Some((_, pending)) = self.prefetches.remove(uri) {
            pending.abort();
        }
    }

    pub(super) fn support(&self) -> ClientSupport {
        self.support.get().cloned().unwrap_or_default()
    }

    async fn inline_completion(&self, params: InlineCompletionParams) -> Result<Option<InlineCompletionResponse>> {
        guarded("textDocument/inlineCompletion", super::completion::inline_completion(self, params)).await
    }

    async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        super::actions::cancel(self, params);
    }

    /// Sends background notices (a rejected key, an empty balance) to the user.
    fn forward_notices(&self) {
        let Some(mut notices) = self.session.take_notices() else { return };
        let client = self.client.clone();
        tokio::spawn(async move {
            while let Some(notice) = notices.recv().await {
                client.show_message(MessageType::ERROR, notice.message).await;
            }
        });
    }

    /// Indexes the workspace in the background; requests never wait for it, and answer
    /// from the files indexed so far.
    fn build_index(&self) {
        let roots = self.session.roots();
        let built = self.index_built.clone();
        if roots.is_empty() {
            built.send_replace(true);
            return;
        }
        let index = self.session.index.clone();
        let hold = test_hooks_enabled().then(|| self.index_hold.clone());
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            index.build_with_progress(&roots, &|count| {
                if let Some(hold) = &hold {
                    hold.wait_if_held(count);
                }
            });
            crate::memory::release_free_memory();
            tracing::info!(
                files = index.file_count(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "workspace indexed"
            );
            built.send_replace(true);
        });
    }

    /// Asks the editor for the `glm-lsp` settings section. Spawned: a handler must not wait
    /// on the client.
    fn pull_configuration(&self) {
        let client = self.client.clone();
        let session = self.session.clone();
        tokio::spawn(async move {
            let item = ConfigurationItem { scope_uri: None, section: Some(crate::config::SECTION.to_string()) };
            match client.configuration(vec![item]).await {
                Ok(mut values) if !values.is_empty() => {
                    let settings = values.swap_remove(0);
                    if settings.is_null() {
                        return;
                    }
                    let (_, errors) = session.update_sources(|sources| sources.client_settings = settings);
                    for error in errors {
                        client.show_message(MessageType::WARNING, error.to_string()).await;
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::debug!("workspace/configuration failed: {}", error.message),
            }
        });
    }

    /// Asks the editor to report file changes in the workspace, so the index stays current
    /// for files that are not open. Spawned: a handler must not wait on the client.
    fn watch_files(&self) {
        if !self.support().watched_files_registration || self.session.roots().is_empty() {
            return;
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher { glob_pattern: GlobPattern::String("**/*".into()), kind: None }],
            };
            let registration = Registration {
                id: "glm-lsp-watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(error) = client.register_capability(vec![registration]).await {
                tracing::debug!("the editor declined file watching: {}", error.message);
            }
        });
    }

    /// Brings the index up to date with a path the editor saved or reported changed, in the
    /// order the editor reported them (one after another, off the protocol's tasks). Paths
    /// reported during the first build wait for it: the build may have read the file before
    /// the change, and must not have the last word.
    fn reindex(&self, path: std::path::PathBuf) {
        let updates = self.index_updates.get_or_init(|| {
            let (sender, mut paths) = tokio::sync::mpsc::unbounded_channel::<std::path::PathBuf>();
            let index = self.session.index.clone();
            let pending = self.index_updates_pending.clone();
            let mut built = self.index_built.subscribe();
            tokio::spawn(async move {
                let _ = built.wait_for(|built| *built).await;
                while let Some(path) = paths.recv().await {
                    let index = index.clone();
                    let _ = tokio::task::spawn_blocking(move || index.update_path(&path)).await;
                    pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
            sender
        });
        self.index_updates_pending.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if updates.send(path).is_err() {
            self.index_updates_pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    async fn report_config_errors(&self, errors: Vec<ConfigError>) {
        for error in errors {
            tracing::warn!("{error}");
            self.client.show_message(MessageType::WARNING, error.to_string()).await;
        }
    }

    pub(super) fn document_snapshot(&self, uri: &Uri) -> Result<Document> {
        let document = self
            .session
            .documents
            .get(uri.as_str())
            .ok_or_else(|| invalid_params(format!("document {} is not open", uri.as_str())))?;
        if document.out_of_sync {
            return Err(invalid_params(format!(
                "document {} is out of sync after a bad change; reopen it",
                uri.as_str()
            )));
        }
        Ok(document)
    }

    fn status(&self) -> Value {
        let config = self.session.config();
        let totals = self.session.glm.totals();
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "model": config.model,
            "provider": config.provider.id(),
            "baseUrl": config.base_url,
            "apiKeySet": config.api_key.is_some(),
            "keySource": config.key_source,
            "maxConcurrency": config.max_concurrency,
            "positionEncoding": self.session.encoding().as_lsp_str(),
            "openDocuments": self.session.documents.len(),
            "indexedFiles": self.session.index.file_count(),
            // The first build is still walking the workspace: definitions may be missing.
            "indexing": !*self.index_built.borrow(),
            // Saved or watched paths not yet read again.
            "indexUpdatesPending": self.index_updates_pending.load(std::sync::atomic::Ordering::SeqCst),
            "completionRequests": self.session.completions.upstream_requests(),
            // Tasks alive in the server's runtime: for soak runs, to see that none leak.
            "aliveTasks": tokio::runtime::Handle::current().metrics().num_alive_tasks(),
            "usage": {
                "requests": totals.requests,
                "promptTokens": totals.prompt_tokens,
                "cachedTokens": totals.cached_tokens,
                "completionTokens": totals.completion_tokens,
                "usd": totals.usd,
                "unpricedRequests": totals.unpriced_requests,
                // `usd` is null for a model without a price: its tokens are counted, not its cost.
                "byModel": totals.by_model.iter().map(|(model, per_model)| (model.clone(), serde_json::json!({
                    "requests": per_model.requests,
                    "promptTokens": per_model.prompt_tokens,
                    "cachedTokens": per_model.cached_tokens,
                    "completionTokens": per_model.completion_tokens,
                    "usd": per_model.usd,
                }))).collect::<serde_json::Map<_, _>>(),
            },
        })
    }
}

/// `glm-lsp.status` in one line, for a status bar or a message.
fn status_line(status: &Value) -> String {
    let usage = &status["usage"];
    let number = |value: &Value| value.as_u64().unwrap_or(0);
    format!(
        "glm-lsp {} · {} · key {} · {} model requests · {} prompt tokens ({} cached), {} completion · ${:.4}",
        status["version"].as_str().unwrap_or("?"),
        status["model"].as_str().unwrap_or("?"),
        if status["apiKeySet"].as_bool().unwrap_or(false) { "set" } else { "NOT SET (GLM_API_KEY)" },
        number(&usage["requests"]),
        number(&usage["promptTokens"]),
        number(&usage["cachedTokens"]),
        number(&usage["completionTokens"]),
        usage["usd"].as_f64().unwrap_or(0.0),
    )
}

/// Commands that expose internals exist only when tests ask for them.
/// Test hook: with `GLM_LSP_TEST_INDEX_HOLD_AFTER=N` (and `GLM_LSP_TEST_HOOKS`), the index's
/// build stops after N files until `glm-lsp.debug.releaseIndex`, so a test can ask for a
/// completion while the index is certainly incomplete.
#[derive(Debug, Default)]
struct IndexHold {
    after_files: Option<usize>,
    released: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
}

impl IndexHold {
    fn from_env() -> IndexHold {
        let after_files = std::env::var("GLM_LSP_TEST_INDEX_HOLD_AFTER").ok().and_then(|value| value.parse().ok());
        IndexHold { after_files, ..IndexHold::default() }
    }

    fn wait_if_held(&self, indexed_files: usize) {
        match self.after_files {
            Some(after) if indexed_files >= after => {}
            _ => return,
        }
        let mut released = self.released.lock().unwrap_or_else(|poison| poison.into_inner());
        while !*released {
            released = self.wake.wait(released).unwrap_or_else(|poison| poison.into_inner());
        }
    }

    fn release(&self) {
        *self.released.lock().unwrap_or_else(|poison| poison.into_inner()) = true;
        self.wake.notify_all();
    }
}

fn test_hooks_enabled() -> bool {
    std::env::var_os("GLM_LSP_TEST_HOOKS").is_some()
}

/// The server's view of a document, with its incremental tree and a fresh parse to compare.
fn debug_document(document: &Document) -> Value {
    let text = document.text();
    let fresh = document
        .language
        .filter(|_| text.len() <= crate::document::MAX_PARSED_BYTES)
        .and_then(|language| crate::language::parse_str(language, &text));
    // Writing megabytes back through the protocol is slow and tells a test nothing more.
    let shown_text =
        if text.len() <= 1024 * 1024 { text.clone() } else { text[..text.floor_char_boundary(4096)].to_string() };
    serde_json::json!({
        "text": shown_text,
        "textLength": text.len(),
        "version": document.version,
        "outOfSync": document.out_of_sync,
        "tree": document.tree.as_ref().map(|tree| tree.root_node().to_sexp()),
        "freshTree": fresh.map(|tree| tree.root_node().to_sexp()),
    })
}

pub(super) fn invalid_params(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

/// A panic inside a handler becomes an error response instead of taking the server down.
async fn guarded<T>(method: &'static str, handler: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(method, "handler panicked: {message}");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("glm-lsp: internal error in {method}: {message}").into(),
                data: None,
            })
        }
    }
}

fn client_support(capabilities: &ClientCapabilities) -> ClientSupport {
    let workspace = capabilities.workspace.as_ref();
    let text_document = capabilities.text_document.as_ref();
    let edit = workspace.and_then(|w| w.workspace_edit.as_ref());
    ClientSupport {
        work_done_progress: capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false),
        apply_edit: workspace.and_then(|w| w.apply_edit).unwrap_or(false),
        document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
        create_files: edit
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|operations| operations.contains(&ResourceOperationKind::Create)),
        change_annotations: edit.and_then(|e| e.change_annotation_support.as_ref()).is_some(),
        code_action_resolve: text_document
            .and_then(|t| t.code_action.as_ref())
            .and_then(|c| c.resolve_support.as_ref())
            .is_some_and(|r| r.properties.iter().any(|p| p == "edit")),
        inline_completion: text_document.and_then(|t| t.inline_completion.as_ref()).is_some(),
        configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
        watched_files_registration: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false),
    }
}

fn workspace_roots(params: &InitializeParams) -> Vec<std::path::PathBuf> {
    let mut roots: Vec<_> =
        params.workspace_folders.iter().flatten().filter_map(|folder| from_proto::file_path(&folder.uri)).collect();
    #[allow(deprecated)]
    if roots.is_empty() {
        roots.extend(params.root_uri.as_ref().and_then(from_proto::file_path));
    }
    roots
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guarded("initialize", async {
            let offered = params
                .capabilities
                .general
                .as_ref()
                .and_then(|general| general.position_encodings.as_ref())
                .map(|kinds| kinds.iter().map(|kind| kind.as_str().to_string()).collect::<Vec<_>>())
                .unwrap_or_default();
            let encoding = PositionEncoding::negotiate(offered.iter().map(String::as_str));
            self.session.set_encoding(encoding);
            let support = client_support(&params.capabilities);
            let _ = self.support.set(support.clone());

            let roots = workspace_roots(&params);
            let (sources, mut errors) =
                Sources::load(roots.first().map(|root| root.as_path()), &|name| std::env::var(name).ok());
            let initialization_options = params.initialization_options.clone().unwrap_or(Value::Null);
            let (config, config_errors) = self.session.update_sources(|current| {
                *current = sources;
                current.initialization_options = initialization_options;
            });
            errors.extend(config_errors);
            *self.pending_config_errors.lock().unwrap() = errors;
            self.session.set_roots(roots);
            tracing::info!(encoding = encoding.as_lsp_str(), model = %config.model, "initialized");

            Ok(InitializeResult {
                capabilities: ServerCapabilities {
                    position_encoding: Some(to_proto::position_encoding(encoding)),
                    text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    })),
                    execute_command_provider: Some(ExecuteCommandOptions {
                        commands: vec![
                            STATUS_COMMAND.to_string(),
                            SHOW_STATUS_COMMAND.to_string(),
                            super::actions::RUN_ACTION_COMMAND.to_string(),
                            super::testgen::GENERATE_TESTS_COMMAND.to_string(),
                        ],
                        work_done_progress_options: Default::default(),
                    }),
                    completion_provider: Some(CompletionOptions {
                        resolve_provider: Some(false),
                        trigger_characters: Some([".", ":", "(", " ", "\n"].map(String::from).to_vec()),
                        ..CompletionOptions::default()
                    }),
                    inline_completion_provider: support.inline_completion.then_some(OneOf::Left(true)),
                    code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::REFACTOR_REWRITE,
                            CodeActionKind::SOURCE,
                        ]),
                        resolve_provider: Some(support.code_action_resolve),
                        work_done_progress_options: Default::default(),
                    })),
                    ..Default::default()
                },
                server_info: Some(ServerInfo {
                    name: "glm-lsp".into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                }),
                offset_encoding: None,
            })
        })
        .await
    }

    async fn initialized(&self, _: InitializedParams) {
        self.forward_notices();
        self.build_index();
        self.watch_files();
        if self.support().configuration {
            self.pull_configuration();
        }
        let errors = std::mem::take(&mut *self.pending_config_errors.lock().unwrap());
        self.report_config_errors(errors).await;
        let config = self.session.config();
        if config.api_key.is_none() {
            let variables = config.provider.key_variables().join(" or ");
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!(
                        "glm-lsp: no API key for provider {}. Set {variables} in the environment or `apiKey` in the \
                         glm-lsp settings.",
                        config.provider.id()
                    ),
                )
                .await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        // No test run may outlive the session; later runs are refused.
        crate::testgen::restore_all();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        if let Some(path) = from_proto::file_path(&item.uri) {
            // Before the parse below, so the index never parses this file beside it.
            self.session.index.document_opened(&path);
        }
        self.session.open_text(from_proto::uri(&item.uri), item.language_id, item.version, &item.text);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // Applied synchronously, before any await, so changes keep their arrival order.
        let uri = from_proto::uri(&params.text_document.uri);
        let changes: Vec<_> = params.content_changes.into_iter().map(from_proto::content_change).collect();
        let result = self.session.change_document(&uri, params.text_document.version, &changes);
        // Whatever became of the change, a completion held for an older text is stale now.
        self.session.completions.document_changed(&uri, params.text_document.version);
        match result {
            None => tracing::warn!(%uri, "didChange for a document that is not open; ignored"),
            Some(Ok(())) => super::completion::after_typing_pause(self, &uri),
            Some(Err(error @ ChangeError::StaleVersion { .. })) => tracing::warn!(%uri, "{error}"),
            Some(Err(error @ ChangeError::OutOfSync)) => tracing::debug!(%uri, "{error}"),
            Some(Err(error @ ChangeError::RangeOutOfBounds { .. })) => {
                tracing::error!(%uri, "{error}");
                self.client
                    .show_message(
                        MessageType::WARNING,
                        format!("glm-lsp: {uri} is out of sync with the editor ({error}). Reopen the file."),
                    )
                    .await;
            }
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        if let Some(path) = from_proto::file_path(&params.text_document.uri) {
            self.reindex(path);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri.as_str();
        self.session.documents.close(uri);
        self.session.index.open_documents().remove(uri);
        super::completion::forget(self, uri);
        if let Some(path) = from_proto::file_path(&params.text_document.uri) {
            // The index left the file alone while it was open: it reads what is on disk now.
            if self.session.index.document_closed(&path) {
                self.reindex(path);
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            if let Some(path) = from_proto::file_path(&change.uri) {
                // Created, changed or deleted: the index reads what is on disk now.
                self.reindex(path);
            }
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        guarded("textDocument/completion", super::completion::completion(self, params)).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        guarded("textDocument/codeAction", async { super::actions::code_action(self, params) }).await
    }

    async fn code_action_resolve(&self, params: CodeAction) -> Result<CodeAction> {
        guarded("codeAction/resolve", super::actions::resolve(self, params)).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Pull-model clients (VS Code's) send an empty notification and expect the server to
        // ask for the section.
        let pushed = params.settings.as_object().is_some_and(|settings| !settings.is_empty());
        if !pushed && self.support().configuration {
            self.pull_configuration();
            return;
        }
        let (_, errors) = self.session.update_sources(|sources| sources.client_settings = params.settings);
        self.report_config_errors(errors).await;
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        guarded("workspace/executeCommand", async {
            match params.command.as_str() {
                STATUS_COMMAND => Ok(Some(self.status())),
                SHOW_STATUS_COMMAND => {
                    let status = self.status();
                    self.client.show_message(MessageType::INFO, status_line(&status)).await;
                    Ok(Some(status))
                }
                super::actions::RUN_ACTION_COMMAND => super::actions::run_command(self, &params.arguments),
                super::testgen::GENERATE_TESTS_COMMAND => super::testgen::command(self, &params.arguments),
                "glm-lsp.debug.releaseIndex" if test_hooks_enabled() => {
                    self.index_hold.release();
                    Ok(None)
                }
                "glm-lsp.debug.panic" if test_hooks_enabled() => {
                    panic!("test hook: deliberate panic")
                }
                "glm-lsp.debug.document" if test_hooks_enabled() => {
                    let uri = params.arguments.first().and_then(Value::as_str).unwrap_or_default();
                    let document = self
                        .session
                        .documents
                        .get_parsed(uri)
                        .ok_or_else(|| invalid_params(format!("document {uri} is not open")))?;
                    Ok(Some(debug_document(&document)))
                }
                other => Err(invalid_params(format!("unknown command {other}"))),
            }
        })
        .await
    }
}
