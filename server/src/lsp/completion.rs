//! `textDocument/completion`, `textDocument/inlineCompletion` and the prefetch after a
//! pause in typing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::backend::{invalid_params, Backend};
use super::jobs::Progress;
use super::to_proto;
use crate::completion::{self, present, Settings};
use crate::config::{Config, Trigger};
use crate::document::Document;
use crate::session::Session;
use crate::text::offset_of;

pub fn settings(config: &Config) -> Settings {
    Settings {
        debounce: Duration::from_millis(config.completion.debounce_ms),
        max_wait: config.completion.max_wait_ms.map(Duration::from_millis),
        thinking: config.completion.thinking,
        max_tokens: config.completion.max_tokens,
    }
}

fn enabled_for(config: &Config, document: &Document) -> bool {
    config.completion.enabled
        && config
            .completion
            .languages
            .as_ref()
            .is_none_or(|languages| languages.iter().any(|id| id == &document.language_id))
}

fn build_site(session: &Session, document: &Document, offset: usize, config: &Config) -> Option<completion::Site> {
    // A large document's tree covers a window around the last edit: a request elsewhere
    // (the cursor moved without typing) moves the window first.
    let moved;
    let document = match document.window.is_some() && !document.covers(&(offset..offset)) {
        true => {
            moved = session.documents.get_parsed_around(&document.uri, offset..offset)?;
            if moved.version != document.version {
                return None;
            }
            &moved
        }
        false => document,
    };
    session.with_surroundings(|around| completion::site(document, offset, around, config))
}

/// Which presentation a request is for (see `completion.style`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Surface {
    List,
    Inline,
}

/// The suggestion for a position, as (replaced range, text), or `None`.
async fn suggestion(
    backend: &Backend,
    uri: &Uri,
    position: Position,
    invoked: bool,
    surface: Surface,
) -> Result<(Option<(Range, completion::Presented)>, bool)> {
    let session = backend.session();
    let config = session.config();
    let document = backend.document_snapshot(uri)?;
    let client_has_inline = backend.support().inline_completion;
    let presented_here = match surface {
        Surface::List => config.completion.style.lists(client_has_inline),
        Surface::Inline => config.completion.style.inlines(client_has_inline),
    };
    if !presented_here {
        return Ok((None, false));
    }
    if !enabled_for(&config, &document) || (config.completion.trigger == Trigger::Manual && !invoked) {
        return Ok((None, false));
    }
    let encoding = session.encoding();
    let offset = offset_of(&document.rope, super::from_proto::position(position), encoding).ok_or_else(|| {
        invalid_params(format!("position {}:{} is past the end of the document", position.line, position.character))
    })?;
    let Some(site) = build_site(session, &document, offset, &config) else {
        return Ok((None, false));
    };
    // The identifier being typed ends at the cursor; 512 bytes back is plenty (the slice
    // must start on a character boundary).
    let window_start = crate::text::floor_rope_boundary(&document.rope, offset.saturating_sub(512));
    let before_cursor = document.rope.byte_slice(window_start..offset).to_string();
    let answer = with_progress(backend, session.completions.complete(site, settings(&config))).await;
    let presented = answer.suggestion.map(|text| {
        let local = present(&before_cursor, before_cursor.len(), &text);
        let shift = offset - before_cursor.len();
        let replace = local.replace.start + shift..local.replace.end + shift;
        (to_proto::range(&document.rope, replace.clone(), encoding), completion::Presented { replace, ..local })
    });
    Ok((presented, answer.incomplete))
}

pub async fn completion(backend: &Backend, params: CompletionParams) -> Result<Option<CompletionResponse>> {
    let position = params.text_document_position;
    let invoked = params.context.as_ref().is_none_or(|context| context.trigger_kind == CompletionTriggerKind::INVOKED);
    let (presented, _) =
        suggestion(backend, &position.text_document.uri, position.position, invoked, Surface::List).await?;
    let support = backend.support();
    let listed = backend.session().config().completion.style.lists(support.inline_completion);
    let model = backend.session().completions.model_name();
    let language = backend
        .session()
        .documents
        .with(position.text_document.uri.as_str(), |document| {
            document.language.map_or(document.language_id.clone(), |language| language.name().to_string())
        })
        .unwrap_or_default();
    let items = presented
        .map(|(range, presented)| CompletionItem {
            label: presented.label.clone(),
            kind: Some(CompletionItemKind::TEXT),
            detail: Some(format!("GLM ({model})")),
            documentation: Some(to_proto::code_documentation(&support, &language, &presented.new_text)),
            filter_text: Some(presented.filter_text.clone()),
            insert_text_format: Some(InsertTextFormat::PLAIN_TEXT),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, presented.new_text))),
            ..CompletionItem::default()
        })
        .into_iter()
        .collect();
    // Incomplete whenever glm-lsp lists suggestions: the editor asks again as the user types,
    // so the suggestion follows the text (the rest of it while typing through, a new one after).
    Ok(Some(CompletionResponse::List(CompletionList { is_incomplete: listed, items })))
}

/// How long a completion waits on the model before the editor is shown progress.
const PROGRESS_AFTER: Duration = Duration::from_millis(500);

static NEXT_PROGRESS: AtomicU64 = AtomicU64::new(1);

/// Runs a held completion; if it waits on the model for longer than [`PROGRESS_AFTER`],
/// shows work-done progress (`glm-lsp/completion/N`) until it ends, however it ends.
async fn with_progress<T>(backend: &Backend, completing: impl std::future::Future<Output = T>) -> T {
    tokio::pin!(completing);
    tokio::select! {
        answer = &mut completing => return answer,
        () = tokio::time::sleep(PROGRESS_AFTER) => {}
    }
    let _progress = backend.support().work_done_progress.then(|| start_progress(backend));
    completing.await
}

/// Starts the progress from a spawned task (a handler must not wait on the client); the
/// progress ends when the returned sender is dropped.
fn start_progress(backend: &Backend) -> oneshot::Sender<()> {
    let (finished_sender, finished) = oneshot::channel::<()>();
    let client = backend.client().clone();
    let support = backend.support();
    let token = format!("glm-lsp/completion/{}", NEXT_PROGRESS.fetch_add(1, Ordering::Relaxed));
    tokio::spawn(async move {
        let progress =
            Progress::start(&client, &support, &token, "GLM".into(), false, "thinking about a completion…").await;
        let _ = finished.await;
        progress.finish(None).await;
    });
    finished_sender
}

pub async fn inline_completion(
    backend: &Backend,
    params: InlineCompletionParams,
) -> Result<Option<InlineCompletionResponse>> {
    let position = params.text_document_position;
    let invoked = params.context.trigger_kind == InlineCompletionTriggerKind::INVOKED;
    let (presented, _) =
        suggestion(backend, &position.text_document.uri, position.position, invoked, Surface::Inline).await?;
    let next_edit = super::next_edit::inline_completion_item(backend, &position.text_document.uri, position.position);
    let items = presented
        .map(|(range, presented)| InlineCompletionItem {
            insert_text: presented.new_text,
            filter_text: Some(presented.filter_text),
            range: Some(range),
            command: None,
            insert_text_format: Some(InsertTextFormat::PLAIN_TEXT),
        })
        .into_iter()
        .chain(next_edit)
        .collect();
    Ok(Some(InlineCompletionResponse::List(InlineCompletionList { items })))
}

/// How long after the last keystroke the tree is reparsed (reparsing a large file takes a
/// few milliseconds, too much to spend on every keystroke).
const REPARSE_AFTER: Duration = Duration::from_millis(40);

/// After a pause in typing: reparses the document, then (with `completion.trigger: auto`)
/// starts the model on the position the user typed at, so the suggestion is ready (or
/// nearly) when the editor asks. A new keystroke replaces the pending task.
pub fn after_typing_pause(backend: &Backend, uri: &str) {
    let session = backend.session_arc();
    let config = session.config();
    let Some((version, enabled)) =
        session.documents.with(uri, |document| (document.version, enabled_for(&config, document)))
    else {
        return;
    };
    let prefetch = enabled && config.completion.trigger == Trigger::Auto;
    let debounce = Duration::from_millis(config.completion.debounce_ms);
    let reparse_after = REPARSE_AFTER.min(debounce);
    let uri_owned = uri.to_string();
    let task = tokio::spawn(async move {
        if !reparse_after.is_zero() {
            tokio::time::sleep(reparse_after).await;
        }
        let reparse_session = session.clone();
        let reparse_uri = uri_owned.clone();
        let _ = tokio::task::spawn_blocking(move || reparse_session.refresh_tree_after_pause(&reparse_uri)).await;
        if !prefetch {
            return;
        }
        let rest = debounce.saturating_sub(reparse_after);
        if !rest.is_zero() {
            tokio::time::sleep(rest).await;
        }
        let Some(document) = session.documents.get(&uri_owned) else { return };
        let Some(offset) = document.last_edit_end.filter(|_| document.version == version && !document.out_of_sync)
        else {
            return;
        };
        let config = session.config();
        if let Some(site) = build_site(&session, &document, offset, &config) {
            session.completions.prefetch(site, settings(&config));
        }
    });
    backend.replace_prefetch(uri, task.abort_handle());
}

pub fn forget(backend: &Backend, uri: &str) {
    backend.session().completions.forget(uri);
    backend.cancel_prefetch(uri);
}
