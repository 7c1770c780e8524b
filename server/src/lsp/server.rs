//! The routing table: each LSP method is a few lines that convert and call into the session.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{LanguageServer, LspService, Server};

use super::backend::Backend;
use super::capabilities::ClientSupport;
use super::{from_proto, to_proto};
use crate::config::Sources;
use crate::text::PositionEncoding;

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
        .custom_method("textDocument/copilotInlineEdit", Backend::copilot_inline_edit)
        .custom_method("textDocument/didShowInlineEdit", Backend::did_show_inline_edit)
        .finish();
    // Small pipes: a large message streams through them rather than being held whole in
    // each (their buffers keep their largest size for the session).
    let (server_input, guard_to_server) = tokio::io::duplex(64 * 1024);
    let (guard_from_server, server_output) = tokio::io::duplex(64 * 1024);
    let (server_read, _) = tokio::io::split(server_input);
    let (_, server_write) = tokio::io::split(server_output);
    // More than the default 4 so that a few slow requests cannot hold up document sync.
    let server = async move {
        let service = super::code_action_tags::CodeActionTags::new(service);
        Server::new(server_read, server_write, socket).concurrency_level(32).serve(service).await;
        tracing::debug!("server loop finished");
    };
    super::transport::guard(input, output, guard_to_server, guard_from_server, server).await;
}

impl Backend {
    async fn inline_completion(&self, params: InlineCompletionParams) -> Result<Option<InlineCompletionResponse>> {
        guarded("textDocument/inlineCompletion", super::completion::inline_completion(self, params)).await
    }

    async fn copilot_inline_edit(
        &self,
        params: super::next_edit::InlineEditParams,
    ) -> Result<super::next_edit::InlineEditResult> {
        guarded("textDocument/copilotInlineEdit", super::next_edit::copilot_inline_edit(self, params)).await
    }

    async fn did_show_inline_edit(&self, params: Value) {
        guarded_notification("textDocument/didShowInlineEdit", async {
            super::next_edit::did_show_inline_edit(self, params)
        })
        .await;
    }

    async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        guarded_notification("window/workDoneProgress/cancel", async { super::jobs::cancel(self, params) }).await;
    }
}

/// A panic inside a request handler becomes an error response instead of taking the server
/// down.
async fn guarded<T>(method: &'static str, handler: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let message = panic_message(&*panic);
            tracing::error!(method, "handler panicked: {message}");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("glm-lsp: internal error in {method}: {message}").into(),
                data: None,
            })
        }
    }
}

/// A panic inside a notification handler is logged and the session goes on (a notification
/// has no response to carry it); returns whether the handler finished.
async fn guarded_notification(method: &'static str, handler: impl Future<Output = ()>) -> bool {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(()) => true,
        Err(panic) => {
            tracing::error!(method, "handler panicked: {}", panic_message(&*panic));
            false
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
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
            let support = ClientSupport::from_capabilities(&params.capabilities);
            // Helix shows next edits only as code actions and never asks for them: the server
            // predicts after each pause for it (see `nextEdit.enabled` in the README).
            let client_name = params.client_info.as_ref().map(|info| info.name.to_lowercase()).unwrap_or_default();
            self.session.next_edits.set_predicts_unasked(client_name.contains("helix"));
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
                            super::commands::STATUS_COMMAND.to_string(),
                            super::commands::SHOW_STATUS_COMMAND.to_string(),
                            super::actions::RUN_ACTION_COMMAND.to_string(),
                            super::testgen::GENERATE_TESTS_COMMAND.to_string(),
                            super::next_edit::ACCEPTED_COMMAND.to_string(),
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
        guarded_notification("initialized", super::lifecycle::initialized(self)).await;
    }

    async fn shutdown(&self) -> Result<()> {
        // No test run may outlive the session; later runs are refused.
        crate::testgen::restore_all();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        guarded_notification("textDocument/didOpen", async { super::document_sync::did_open(self, params) }).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = from_proto::uri(&params.text_document.uri);
        let version = params.text_document.version;
        if !guarded_notification("textDocument/didChange", super::document_sync::did_change(self, params)).await {
            // The change may be half applied: the document waits for the editor's full text.
            self.session.documents.mark_out_of_sync(&uri, version);
            self.session.completions.document_changed(&uri, version);
            self.session.next_edits.engine.document_changed(&uri, version);
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!("glm-lsp: {uri} is out of sync with the editor after an internal error. Reopen the file."),
                )
                .await;
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        guarded_notification("textDocument/didSave", async { super::document_sync::did_save(self, params) }).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        guarded_notification("textDocument/didClose", async { super::document_sync::did_close(self, params) }).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        guarded_notification("workspace/didChangeWatchedFiles", async {
            super::document_sync::did_change_watched_files(self, params)
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        guarded_notification(
            "workspace/didChangeConfiguration",
            super::lifecycle::did_change_configuration(self, params),
        )
        .await;
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

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        guarded("workspace/executeCommand", super::commands::execute_command(self, params)).await
    }
}
