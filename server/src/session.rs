//! The server's state, free of protocol types: documents, configuration, workspace roots,
//! the model client, the completion engine and the workspace index.
//!
//! Handlers that mutate it (document sync, configuration) are synchronous; slow work takes
//! a snapshot and runs elsewhere.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tokio::sync::mpsc;

use crate::completion::{CompletionEngine, Notice, Surroundings};
use crate::config::{Config, ConfigError, Sources};
use crate::context::{Exclude, WorkspaceIndex};
use crate::document::{ChangeError, ContentChange, DocumentStore};
use crate::glm::GlmClient;
use crate::next_edit::NextEdits;
use crate::text::PositionEncoding;

pub struct Session {
    pub documents: DocumentStore,
    pub glm: GlmClient,
    pub completions: Arc<CompletionEngine>,
    pub next_edits: NextEdits,
    pub index: Arc<WorkspaceIndex>,
    encoding: OnceLock<PositionEncoding>,
    config: RwLock<Arc<Config>>,
    exclude: RwLock<Arc<Exclude>>,
    sources: Mutex<Sources>,
    roots: RwLock<Vec<PathBuf>>,
    notices: Mutex<Option<mpsc::UnboundedReceiver<Notice>>>,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        let config = Config::default();
        let glm = GlmClient::new(config.glm_settings());
        let (notice_sender, notices) = mpsc::unbounded_channel();
        let exclude = Exclude::lenient(&config.context.exclude);
        Session {
            documents: DocumentStore::default(),
            completions: Arc::new(CompletionEngine::new(Arc::new(glm.clone()), notice_sender.clone())),
            next_edits: NextEdits::new(Arc::new(CompletionEngine::new(Arc::new(glm.clone()), notice_sender))),
            glm,
            index: Arc::new(WorkspaceIndex::new(&exclude)),
            encoding: OnceLock::new(),
            config: RwLock::new(Arc::new(config)),
            exclude: RwLock::new(Arc::new(exclude)),
            sources: Mutex::default(),
            roots: RwLock::default(),
            notices: Mutex::new(Some(notices)),
        }
    }

    pub fn set_encoding(&self, encoding: PositionEncoding) {
        let _ = self.encoding.set(encoding);
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub fn config(&self) -> Arc<Config> {
        self.config.read().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    pub fn exclude(&self) -> Arc<Exclude> {
        self.exclude.read().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    /// What a prompt may draw on besides its own document, as of now: the open documents,
    /// the workspace index, the first root and the exclusions.
    pub fn with_surroundings<R>(&self, build: impl FnOnce(&Surroundings) -> R) -> R {
        let open_documents = self.documents.snapshot_all();
        let roots = self.roots();
        let exclude = self.exclude();
        build(&Surroundings {
            open_documents: &open_documents,
            workspace: &self.index,
            root: roots.first().map(|root| root.as_path()),
            exclude: &exclude,
        })
    }

    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        *self.roots.write().unwrap_or_else(|poison| poison.into_inner()) = roots;
    }

    /// Opens a document from the editor's text, its facts read in the same pass as its
    /// parse (`SymbolCache::open`).
    pub fn open_text(&self, uri: String, language_id: String, version: i32, text: &str) {
        let document = self.index.open_documents().open(uri, language_id, version, text);
        tracing::debug!(uri = %document.uri, language = ?document.language, "opened");
        self.documents.open(document);
    }

    /// Applies one `didChange`, then brings the document's symbols and imports up to date
    /// by the edit (the edited region is read again, the rest is moved), so the completion
    /// request that follows a keystroke finds them ready.
    pub fn change_document(
        &self,
        uri: &str,
        version: i32,
        changes: &[ContentChange],
    ) -> Option<Result<(), ChangeError>> {
        let result = self.documents.change(uri, version, changes, self.encoding())?;
        if result.is_ok() {
            if let Some(document) = self.documents.get(uri) {
                self.index.open_documents().facts(&document);
            }
        }
        Some(result)
    }

    /// The reparse after a pause in typing (blocking), with the symbols and imports of the
    /// reparsed tree read before the document takes it: a completion that finds the new tree
    /// finds its facts ready, and keystrokes after it update them without comparing trees.
    pub fn refresh_tree_after_pause(&self, uri: &str) {
        let cache = self.index.open_documents();
        self.documents.refresh_tree_after_pause(uri, |reparsed| {
            cache.facts(reparsed);
        });
    }

    /// The user-facing notices of background work; taken once by the protocol layer.
    pub fn take_notices(&self) -> Option<mpsc::UnboundedReceiver<Notice>> {
        self.notices.lock().unwrap_or_else(|poison| poison.into_inner()).take()
    }

    /// Replaces the configuration sources and recomputes the effective configuration, which
    /// the model client and the completion engine pick up at once.
    pub fn update_sources(&self, update: impl FnOnce(&mut Sources)) -> (Arc<Config>, Vec<ConfigError>) {
        let mut sources = self.sources.lock().unwrap_or_else(|poison| poison.into_inner());
        update(&mut sources);
        let (config, errors) = sources.resolve();
        let config = Arc::new(config);
        let previous = self.config();
        if previous.glm_settings() != config.glm_settings() {
            self.glm.update_settings(config.glm_settings());
            self.completions.reset();
            self.next_edits.engine.reset();
        }
        if previous.context.exclude != config.context.exclude {
            *self.exclude.write().unwrap_or_else(|poison| poison.into_inner()) =
                Arc::new(Exclude::lenient(&config.context.exclude));
        }
        self.index.set_max_file_bytes(config.context.max_file_bytes);
        *self.config.write().unwrap_or_else(|poison| poison.into_inner()) = config.clone();
        (config, errors)
    }
}
