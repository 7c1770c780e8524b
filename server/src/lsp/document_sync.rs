//! Document sync: `didOpen`, `didChange`, `didSave`, `didClose` and watched files. Changes
//! are applied synchronously, in arrival order, before any `.await`.

use tower_lsp_server::ls_types::*;

use super::backend::{test_hooks_enabled, Backend};
use super::from_proto;
use crate::document::ChangeError;

/// Test hook: an incremental `didChange` inserting this text panics after the change is
/// applied (the full text that resynchronises the document may hold it).
const PANIC_MARKER: &str = "glm-lsp:test-panic";

pub(super) fn did_open(backend: &Backend, params: DidOpenTextDocumentParams) {
    let item = params.text_document;
    if let Some(path) = from_proto::file_path(&item.uri) {
        // Before the parse below, so the index never parses this file beside it.
        backend.session.index.document_opened(&path);
    }
    let uri = from_proto::uri(&item.uri);
    backend.session.open_text(uri.clone(), item.language_id, item.version, &item.text);
    super::next_edit::opened(backend, &uri);
}

pub(super) async fn did_change(backend: &Backend, params: DidChangeTextDocumentParams) {
    // Applied synchronously, before any await, so changes keep their arrival order.
    let uri = from_proto::uri(&params.text_document.uri);
    let changes: Vec<_> = params.content_changes.into_iter().map(from_proto::content_change).collect();
    let result = backend.session.change_document(&uri, params.text_document.version, &changes);
    if test_hooks_enabled() && changes.iter().any(|change| change.range.is_some() && change.text.contains(PANIC_MARKER))
    {
        panic!("test hook: deliberate panic in didChange");
    }
    // Whatever became of the change, a completion held for an older text is stale now.
    backend.session.completions.document_changed(&uri, params.text_document.version);
    backend.session.next_edits.engine.document_changed(&uri, params.text_document.version);
    match result {
        None => tracing::warn!(%uri, "didChange for a document that is not open; ignored"),
        Some(Ok(())) => {
            super::completion::after_typing_pause(backend, &uri);
            super::next_edit::after_change(backend, &uri);
        }
        Some(Err(error @ ChangeError::StaleVersion { .. })) => tracing::warn!(%uri, "{error}"),
        Some(Err(error @ ChangeError::OutOfSync)) => tracing::debug!(%uri, "{error}"),
        Some(Err(error @ ChangeError::RangeOutOfBounds { .. })) => {
            tracing::error!(%uri, "{error}");
            backend
                .client
                .show_message(
                    MessageType::WARNING,
                    format!("glm-lsp: {uri} is out of sync with the editor ({error}). Reopen the file."),
                )
                .await;
        }
    }
}

pub(super) fn did_save(backend: &Backend, params: DidSaveTextDocumentParams) {
    if let Some(path) = from_proto::file_path(&params.text_document.uri) {
        backend.reindex(path);
    }
}

pub(super) fn did_close(backend: &Backend, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri.as_str();
    backend.session.documents.close(uri);
    backend.session.index.open_documents().remove(uri);
    super::completion::forget(backend, uri);
    backend.session.next_edits.forget(uri);
    if let Some(path) = from_proto::file_path(&params.text_document.uri) {
        // The index left the file alone while it was open: it reads what is on disk now.
        if backend.session.index.document_closed(&path) {
            backend.reindex(path);
        }
    }
}

pub(super) fn did_change_watched_files(backend: &Backend, params: DidChangeWatchedFilesParams) {
    for change in params.changes {
        if let Some(path) = from_proto::file_path(&change.uri) {
            // Created, changed or deleted: the index reads what is on disk now.
            backend.reindex(path);
        }
    }
}
