//! Next-edit suggestions at the protocol edge: `textDocument/copilotInlineEdit` (the request
//! GitHub Copilot's language server answers, which copilot-lsp, sidekick.nvim and copilot.el
//! speak), `textDocument/didShowInlineEdit`, the accept command, the prediction after a pause
//! for editors that never ask (Helix), and the suggestion as a code action and as an inline
//! completion item.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::backend::{invalid_params, Backend};
use super::{from_proto, to_proto};
use crate::document::Document;
use crate::next_edit::{predict, Region, Suggestion};
use crate::session::Session;
use crate::text::offset_of;

/// Sent back by the editor when the user accepts a suggestion (its only argument is the
/// suggestion's id): counted in `glm-lsp.status`.
pub const ACCEPTED_COMMAND: &str = "glm-lsp.nextEdit.accepted";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InlineEditParams {
    pub text_document: VersionedTextDocumentIdentifier,
    pub position: Position,
}

#[derive(Debug, Serialize, Default)]
pub struct InlineEditResult {
    pub edits: Vec<InlineEdit>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InlineEdit {
    pub text: String,
    pub range: Range,
    pub text_document: VersionedTextDocumentIdentifier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
}

/// `textDocument/copilotInlineEdit`: waits for `nextEdit.debounceMs` of quiet, then answers
/// with the next edit predicted for this version, or no edits (nothing to offer, the
/// document changed, or a newer request superseded this one).
pub async fn copilot_inline_edit(backend: &Backend, params: InlineEditParams) -> Result<InlineEditResult> {
    let uri = from_proto::uri(&params.text_document.uri);
    let version = params.text_document.version;
    let session = backend.session_arc();
    let config = session.config();
    let document = backend.document_snapshot(&params.text_document.uri)?;
    if !config.next_edit.enabled || document.version != version {
        return Ok(InlineEditResult::default());
    }
    let encoding = session.encoding();
    let offset = offset_of(&document.rope, from_proto::position(params.position), encoding).ok_or_else(|| {
        invalid_params(format!(
            "position {}:{} is past the end of the document",
            params.position.line, params.position.character
        ))
    })?;
    // The pause: a request superseded meanwhile never reaches the model.
    tokio::time::sleep(Duration::from_millis(config.next_edit.debounce_ms)).await;
    let Some(suggestion) = predict_at(&session, &uri, offset, version).await else {
        return Ok(InlineEditResult::default());
    };
    let Some(document) = session.documents.get(&uri).filter(|document| document.version == version) else {
        return Ok(InlineEditResult::default());
    };
    Ok(InlineEditResult {
        edits: vec![InlineEdit {
            text: suggestion.new_text.clone(),
            range: to_proto::range(&document.rope, suggestion.range.clone(), encoding),
            text_document: params.text_document,
            command: Some(accepted_command(&suggestion)),
        }],
    })
}

fn accepted_command(suggestion: &Suggestion) -> Command {
    Command {
        title: "Accept next edit".into(),
        command: ACCEPTED_COMMAND.into(),
        arguments: Some(vec![Value::from(suggestion.id.to_string())]),
    }
}

/// `textDocument/didShowInlineEdit`: counted, whatever its shape (copilot-lsp sends
/// `{item: {command}}`, sidekick.nvim the same; anything else is accepted too).
pub fn did_show_inline_edit(backend: &Backend, params: Value) {
    tracing::debug!(%params, "next edit shown");
    backend.session().next_edits.shown.fetch_add(1, Ordering::Relaxed);
}

/// The accept command: counted; never an error.
pub fn accepted(backend: &Backend, arguments: &[Value]) {
    tracing::debug!(?arguments, "next edit accepted");
    backend.session().next_edits.accepted.fetch_add(1, Ordering::Relaxed);
}

/// Takes the history's first look at an opened document (its text is the baseline of the
/// first edit).
pub fn opened(backend: &Backend, uri: &str) {
    let session = backend.session();
    if !session.config().next_edit.enabled {
        return;
    }
    if let Some(document) = session.documents.get(uri) {
        checkpoint(session, &document);
    }
}

/// After a change: once typing pauses for `nextEdit.debounceMs`, the history takes the
/// edit, and for an editor that never asks (Helix) the next edit is predicted at the last
/// edit, for its code action. A newer change replaces (aborts) the pending pause, and with it
/// a prediction in flight.
pub fn after_change(backend: &Backend, uri: &str) {
    let session = backend.session_arc();
    let config = session.config();
    if !config.next_edit.enabled {
        return;
    }
    let Some(version) = session.documents.with(uri, |document| document.version) else { return };
    let debounce = Duration::from_millis(config.next_edit.debounce_ms);
    let uri_owned = uri.to_string();
    let pause_session = session.clone();
    let task = tokio::spawn(async move {
        let session = pause_session;
        tokio::time::sleep(debounce).await;
        let Some(document) = session.documents.get(&uri_owned).filter(|document| document.version == version) else {
            return;
        };
        checkpoint(&session, &document);
        if session.next_edits.predicts_unasked() {
            if let Some(offset) = document.last_edit_end {
                predict_at(&session, &uri_owned, offset, version).await;
            }
        }
    });
    session.next_edits.replace_pause(uri, task.abort_handle());
}

fn checkpoint(session: &Session, document: &Document) {
    let roots = session.roots();
    let root = roots.first().map(|root| root.as_path());
    let file = crate::context::display_uri(&document.uri, root);
    let excluded =
        crate::context::uri_to_path(&document.uri).is_some_and(|path| session.exclude().is_excluded(&path, root));
    session.next_edits.history().checkpoint(&document.uri, &file, document.full_text(), excluded);
}

/// Predicts the next edit around `offset` in `version` of the document and keeps it as the
/// document's latest suggestion; `None` when there is nothing to offer or the text changed.
async fn predict_at(session: &Arc<Session>, uri: &str, offset: usize, version: i32) -> Option<Suggestion> {
    let config = session.config();
    let document =
        session.documents.get(uri).filter(|document| document.version == version && !document.out_of_sync)?;
    checkpoint(session, &document);
    let (history, last_edit) = {
        let history = session.next_edits.history();
        let recent: Vec<_> = history.recent(config.next_edit.max_history_edits as usize).into_iter().cloned().collect();
        (recent, history.last_edit_of(uri).cloned())
    };
    let region = Region::around(&document, offset, config.next_edit.region_lines);
    let shown: Vec<_> = history.iter().collect();
    // Half the context budget: the edits and the region take the rest.
    let prompt = session
        .with_surroundings(|around| {
            predict::prompt(&document, &region, &shown, around, config.context.budget_tokens / 2)
        })
        .ok()?;
    let site = predict::site(&document, &region, prompt);
    let answer = session.next_edits.engine.complete(site, predict::settings(&config)).await;
    let rewrite = answer.suggestion?;
    // Never an edit against text that changed while the model thought.
    session.documents.with(uri, |now| now.version == version).filter(|same| *same)?;
    let suggested = predict::suggestion(document.full_text(), &region, &rewrite, last_edit.as_ref())?;
    let summary = predict::summary(document.full_text(), &suggested);
    Some(session.next_edits.offer(uri, version, suggested, summary))
}

/// The latest suggestion as a code action (Helix's way to show it), when it was made for
/// the document's current version.
pub fn code_action(backend: &Backend, document: &Document) -> Option<CodeActionOrCommand> {
    let support = backend.support();
    if !support.code_action_literals || !backend.session().config().next_edit.enabled {
        return None;
    }
    let suggestion = backend.session().next_edits.latest(&document.uri, document.version)?;
    let line = document.rope.byte_to_line(suggestion.range.start) + 1;
    let edit = crate::text::Edit { range: suggestion.range.clone(), new_text: suggestion.new_text.clone() };
    let workspace_edit = to_proto::workspace_edit(
        &support,
        backend.session().encoding(),
        &to_proto::EditAnnotation { needs_confirmation: false, model: backend.session().completions.model_name() },
        to_proto::FileEdit {
            uri: &document.uri,
            version: Some(document.version),
            rope: &document.rope,
            edits: std::slice::from_ref(&edit),
            create: false,
        },
    )
    .ok()?;
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!("GLM: Next edit at line {line}: {}", suggestion.summary),
        kind: Some(CodeActionKind::REFACTOR_REWRITE),
        edit: Some(workspace_edit),
        command: Some(accepted_command(&suggestion)),
        ..CodeAction::default()
    }))
}

/// The latest suggestion as an inline completion item, when it starts at the cursor.
pub fn inline_completion_item(backend: &Backend, uri: &Uri, position: Position) -> Option<InlineCompletionItem> {
    let session = backend.session();
    let document = session.documents.get(uri.as_str())?;
    let suggestion = session.next_edits.latest(uri.as_str(), document.version)?;
    let cursor = offset_of(&document.rope, from_proto::position(position), session.encoding())?;
    (suggestion.range.start == cursor).then(|| InlineCompletionItem {
        insert_text: suggestion.new_text.clone(),
        filter_text: None,
        range: Some(to_proto::range(&document.rope, suggestion.range.clone(), session.encoding())),
        command: Some(accepted_command(&suggestion)),
        insert_text_format: Some(InsertTextFormat::PLAIN_TEXT),
    })
}
