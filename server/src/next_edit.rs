//! Next-edit suggestions: after a pause that follows an edit, the model is shown the recent
//! edits and the lines around the cursor and predicts the next edit, anywhere in those lines.
//!
//! `history` keeps the edits, `predict` builds the prompt and turns the rewritten region
//! into one minimal replacement. The requests themselves go through a `CompletionEngine` of
//! their own (its debounce-free jobs, one per document, superseded by a newer prompt and
//! released by a newer version; its cache by prompt, so by region and history), so a next
//! edit is cancelled upstream on typing exactly as a completion is. The protocol edge
//! (`lsp/next_edit.rs`) decides when to ask.

pub mod history;
pub mod predict;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::task::AbortHandle;

use crate::completion::CompletionEngine;
pub use history::{EditHistory, RecordedEdit};
pub use predict::{Region, Suggested};

/// A suggestion offered for one version of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Names it in the accept command's arguments.
    pub id: u64,
    pub uri: String,
    pub version: i32,
    /// What it replaces (bytes of that version) and with what.
    pub range: Range<usize>,
    pub new_text: String,
    /// One line for a menu: "`n` → `count`".
    pub summary: String,
}

/// The feature's state: its engine, the edit history, each document's latest suggestion,
/// the pending pause per document, and counters for `glm-lsp.status`.
pub struct NextEdits {
    pub engine: Arc<CompletionEngine>,
    history: Mutex<EditHistory>,
    latest: Mutex<HashMap<String, Suggestion>>,
    pauses: Mutex<HashMap<String, AbortHandle>>,
    /// Whether the server predicts after a pause without being asked (for editors that list
    /// suggestions as code actions and never send `textDocument/copilotInlineEdit`: Helix).
    predicts_unasked: AtomicBool,
    next_id: AtomicU64,
    pub shown: AtomicU64,
    pub accepted: AtomicU64,
}

impl NextEdits {
    pub fn new(engine: Arc<CompletionEngine>) -> NextEdits {
        NextEdits {
            engine,
            history: Mutex::default(),
            latest: Mutex::default(),
            pauses: Mutex::default(),
            predicts_unasked: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            shown: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
        }
    }

    pub fn history(&self) -> std::sync::MutexGuard<'_, EditHistory> {
        self.history.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub fn set_predicts_unasked(&self, unasked: bool) {
        self.predicts_unasked.store(unasked, Ordering::Relaxed);
    }

    pub fn predicts_unasked(&self) -> bool {
        self.predicts_unasked.load(Ordering::Relaxed)
    }

    /// Keeps `suggested` as the document's latest suggestion and returns it with its id.
    pub fn offer(&self, uri: &str, version: i32, suggested: Suggested, summary: String) -> Suggestion {
        let mut latest = self.latest.lock().unwrap_or_else(|poison| poison.into_inner());
        // The same suggestion asked for again (from the cache) keeps its id.
        if let Some(same) = latest.get(uri).filter(|latest| {
            latest.version == version && latest.range == suggested.range && latest.new_text == suggested.new_text
        }) {
            return same.clone();
        }
        let suggestion = Suggestion {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            uri: uri.to_string(),
            version,
            range: suggested.range,
            new_text: suggested.new_text,
            summary,
        };
        latest.insert(uri.to_string(), suggestion.clone());
        suggestion
    }

    /// The document's latest suggestion if it was made for `version` (never one for text
    /// that has changed since).
    pub fn latest(&self, uri: &str, version: i32) -> Option<Suggestion> {
        let latest = self.latest.lock().unwrap_or_else(|poison| poison.into_inner());
        latest.get(uri).filter(|suggestion| suggestion.version == version).cloned()
    }

    /// Replaces the document's pending pause (aborting the old one).
    pub fn replace_pause(&self, uri: &str, task: AbortHandle) {
        if let Some(previous) = self.pauses.lock().unwrap_or_else(|poison| poison.into_inner()).insert(uri.into(), task)
        {
            previous.abort();
        }
    }

    /// Forgets a closed document: its pause, job, suggestion and baseline (its edits stay).
    pub fn forget(&self, uri: &str) {
        if let Some(pause) = self.pauses.lock().unwrap_or_else(|poison| poison.into_inner()).remove(uri) {
            pause.abort();
        }
        self.engine.forget(uri);
        self.latest.lock().unwrap_or_else(|poison| poison.into_inner()).remove(uri);
        self.history().forget_document(uri);
    }
}
