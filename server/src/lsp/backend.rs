//! The server's state at the protocol edge: the session, what the client declared, pending
//! prefetches and jobs, the workspace index's upkeep, and the helpers handlers share. The
//! routing table (`server.rs`) and the handlers use it; it uses none of them.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tokio::sync::oneshot;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::Client;

use super::capabilities::ClientSupport;
use crate::config::ConfigError;
use crate::document::Document;
use crate::session::Session;

/// The running jobs' cancel switches, by progress token.
pub type ActionJobs = Arc<std::sync::Mutex<HashMap<String, oneshot::Sender<()>>>>;

pub struct Backend {
    pub(super) client: Client,
    pub(super) session: Arc<Session>,
    pub(super) support: OnceLock<ClientSupport>,
    /// Configuration problems found during `initialize`, shown once the client is ready.
    pub(super) pending_config_errors: std::sync::Mutex<Vec<ConfigError>>,
    /// The pending prefetch per document: a new keystroke replaces (aborts) it.
    pub(super) prefetches: dashmap::DashMap<String, tokio::task::AbortHandle>,
    pub(super) action_jobs: ActionJobs,
    /// Saved and watched paths waiting to be indexed again, in arrival order.
    pub(super) index_updates: OnceLock<tokio::sync::mpsc::UnboundedSender<std::path::PathBuf>>,
    pub(super) index_updates_pending: Arc<std::sync::atomic::AtomicUsize>,
    /// Whether the first build of the workspace index has finished.
    pub(super) index_built: tokio::sync::watch::Sender<bool>,
    /// Test hook: holds the workspace index's build part way (`GLM_LSP_TEST_INDEX_HOLD_AFTER`).
    pub(super) index_hold: Arc<IndexHold>,
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

    pub(super) fn action_jobs(&self) -> ActionJobs {
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

    /// Sends background notices (a rejected key, an empty balance) to the user.
    pub(super) fn forward_notices(&self) {
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
    pub(super) fn build_index(&self) {
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
    pub(super) fn pull_configuration(&self) {
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
    pub(super) fn watch_files(&self) {
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
    pub(super) fn reindex(&self, path: std::path::PathBuf) {
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

    pub(super) async fn report_config_errors(&self, errors: Vec<ConfigError>) {
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

    pub(super) fn status(&self) -> Value {
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
            "nextEdit": {
                "requests": self.session.next_edits.engine.upstream_requests(),
                "shown": self.session.next_edits.shown.load(std::sync::atomic::Ordering::Relaxed),
                "accepted": self.session.next_edits.accepted.load(std::sync::atomic::Ordering::Relaxed),
            },
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
pub(super) fn status_line(status: &Value) -> String {
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
pub(super) struct IndexHold {
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

    pub(super) fn release(&self) {
        *self.released.lock().unwrap_or_else(|poison| poison.into_inner()) = true;
        self.wake.notify_all();
    }
}

pub(super) fn test_hooks_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("GLM_LSP_TEST_HOOKS").is_some())
}

/// The server's view of a document, with its incremental tree and a fresh parse to compare.
pub(super) fn debug_document(document: &Document) -> Value {
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
