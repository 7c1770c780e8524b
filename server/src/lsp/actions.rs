//! Code actions: listed at once, run by the model only when picked — through a command that
//! reports progress and ends in `workspace/applyEdit` (works in every editor), or through
//! `codeAction/resolve` when the user prefers it (`actions.resolve`).

use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use super::backend::{invalid_params, Backend};
use super::capabilities::ClientSupport;
use super::jobs::{describe, edit_annotation, snapshot, spawn_job, JobEdit, JobError};
use super::{from_proto, to_proto};
use crate::actions::{self, ActionData, ActionEdit, ActionError};
use crate::context::{gather, ContextInput};
use crate::document::Document;
use crate::model::{ModelErrorKind, ModelEvent, ModelRequest, Prompt, Urgency};
use crate::session::Session;
use crate::text::{offset_of, PositionEncoding};

pub const RUN_ACTION_COMMAND: &str = "glm-lsp.runAction";

pub fn code_action(backend: &Backend, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let session = backend.session();
    // Which definition encloses the cursor needs the exact syntax: reparse if typing left
    // the tree behind.
    session.documents.refresh_tree(params.text_document.uri.as_str());
    let document = backend.document_snapshot(&params.text_document.uri)?;
    let encoding = session.encoding();
    let range = byte_range(&document, params.range, encoding)
        .ok_or_else(|| invalid_params("the range is past the end of the document"))?;
    // A large document's tree covers a window around the last edit: move it to the range.
    let document = match document.covers(&range) {
        true => document,
        false => {
            session.documents.get_parsed_around(params.text_document.uri.as_str(), range.clone()).unwrap_or(document)
        }
    };
    let diagnostics: Vec<(actions::Diagnostic, Diagnostic)> = params
        .context
        .diagnostics
        .iter()
        .filter_map(|diagnostic| {
            let range = byte_range(&document, diagnostic.range, encoding)?;
            let code = diagnostic.code.as_ref().map(|code| match code {
                NumberOrString::Number(number) => number.to_string(),
                NumberOrString::String(text) => text.clone(),
            });
            Some((
                actions::Diagnostic {
                    range,
                    message: diagnostic.message.clone(),
                    code,
                    source: diagnostic.source.clone(),
                },
                diagnostic.clone(),
            ))
        })
        .collect();
    let config = session.config();
    let plain: Vec<actions::Diagnostic> = diagnostics.iter().map(|(plain, _)| plain.clone()).collect();
    let support = backend.support();
    let resolve = support.resolves_actions(config.actions.resolve);
    let only = params.context.only.unwrap_or_default();
    let mut response: Vec<CodeActionOrCommand> = actions::offers(&document, range, &plain, &config)
        .into_iter()
        .filter(|offer| only.is_empty() || only.iter().any(|kind| offer.kind.starts_with(kind.as_str())))
        .map(|offer| {
            let data = serde_json::to_value(&offer.data).expect("action data serializes");
            let fixed = match &offer.data.action {
                actions::ActionKind::Fix { diagnostic } => diagnostics
                    .iter()
                    .find(|(plain, _)| plain == diagnostic)
                    .map(|(_, original)| vec![original.clone()]),
                _ => None,
            };
            to_proto::code_action_or_command(
                &support,
                CodeAction {
                    title: offer.title.clone(),
                    kind: Some(CodeActionKind::from(offer.kind.clone())),
                    diagnostics: fixed,
                    command: (!resolve).then(|| Command {
                        title: offer.title.clone(),
                        command: RUN_ACTION_COMMAND.to_string(),
                        arguments: Some(vec![data.clone()]),
                    }),
                    data: Some(data),
                    ..CodeAction::default()
                },
            )
        })
        .collect();
    let next_edit_wanted =
        only.is_empty() || only.iter().any(|kind| CodeActionKind::REFACTOR_REWRITE.as_str().starts_with(kind.as_str()));
    if next_edit_wanted {
        response.extend(super::next_edit::code_action(backend, &document));
    }
    Ok(Some(response))
}

fn byte_range(document: &Document, range: Range, encoding: PositionEncoding) -> Option<std::ops::Range<usize>> {
    let start = offset_of(&document.rope, from_proto::position(range.start), encoding)?;
    let end = offset_of(&document.rope, from_proto::position(range.end), encoding)?;
    Some(start.min(end)..start.max(end))
}

fn parse_data(value: Option<&Value>) -> Result<ActionData> {
    let value = value.ok_or_else(|| invalid_params("the action has no data"))?;
    serde_json::from_value(value.clone())
        .map_err(|error| invalid_params(format!("the action's data is not glm-lsp's: {error}")))
}

/// `codeAction/resolve`: fills the edit when the user chose that path, else hands the
/// action back unchanged (its command does the work).
pub async fn resolve(backend: &Backend, mut action: CodeAction) -> Result<CodeAction> {
    let config = backend.session().config();
    if !backend.support().resolves_actions(config.actions.resolve) || action.edit.is_some() {
        return Ok(action);
    }
    let data = parse_data(action.data.as_ref())?;
    if let actions::ActionKind::GenerateTests { .. } = &data.action {
        action.edit = Some(super::testgen::resolve_edit(backend, &data).await?);
        action.command = None;
        return Ok(action);
    }
    let session = backend.session_arc();
    let document = snapshot(&session, &data).map_err(|error| invalid_params(error.to_string()))?;
    let outcome = run_model(&session, document, &data, |_| {}).await;
    match outcome {
        Ok(edit) => {
            action.edit = Some(workspace_edit(&session, &backend.support(), &data.uri, &edit)?);
            action.command = None;
            Ok(action)
        }
        Err(error) => {
            Err(Error { code: ErrorCode::ServerError(-32803), message: format!("glm-lsp: {error}").into(), data: None })
        }
    }
}

/// `glm-lsp.runAction`: starts the job and returns at once; the job reports progress and
/// applies its edit through `workspace/applyEdit`.
pub fn run_command(backend: &Backend, arguments: &[Value]) -> Result<Option<Value>> {
    let data = parse_data(arguments.first())?;
    if let actions::ActionKind::GenerateTests { .. } = &data.action {
        super::testgen::start(backend, data);
        return Ok(None);
    }
    let session = backend.session_arc();
    // The text the model will see is the text when the user picked the action; whatever
    // is typed from here on is rebased over.
    let document = snapshot(&session, &data);
    let support = backend.support();
    spawn_job(backend, "action", title_of(&data), move |status| async move {
        let document = document.map_err(JobError::shown)?;
        let edit = run_model(&session, document, &data, move |event| {
            let _ = status.send(describe(&event));
        })
        .await
        .map_err(JobError::shown)?;
        let workspace_edit = workspace_edit(&session, &support, &data.uri, &edit)
            .map_err(|error| JobError { message: error.message.to_string(), show: false })?;
        Ok(JobEdit { edit: workspace_edit, applied: format!("applied {} edit(s)", edit.edits.len()), announce: false })
    });
    Ok(None)
}

fn title_of(data: &ActionData) -> String {
    match &data.action {
        actions::ActionKind::Fix { .. } => "GLM: Fix".into(),
        actions::ActionKind::Improve => "GLM: Improve this code".into(),
        actions::ActionKind::Document => "GLM: Add documentation".into(),
        actions::ActionKind::Custom { title, .. } => format!("GLM: {title}"),
        actions::ActionKind::GenerateTests { name } => format!("GLM: Generate tests for `{name}`"),
    }
}

/// Asks the model about `document` and turns its answer into an edit of the document as it
/// is when the answer arrives.
async fn run_model(
    session: &Arc<Session>,
    document: Document,
    data: &ActionData,
    events: impl FnMut(ModelEvent) + Send + 'static,
) -> std::result::Result<ActionEdit, ActionError> {
    let base = document.text();
    if !base.is_char_boundary(data.target.start) || !base.is_char_boundary(data.target.end) {
        return Err(ActionError::Stale);
    }
    let config = session.config();
    let open_documents = session.documents.snapshot_all();
    let roots = session.roots();
    let exclude = session.exclude();
    let messages_for_budget = |budget_tokens: usize| {
        let context = gather(&ContextInput {
            document: &document,
            offset: data.target.start,
            open_documents: &open_documents,
            workspace: &session.index,
            root: roots.first().map(|root| root.as_path()),
            budget_tokens,
            exclude: &exclude,
        });
        let context = context
            .sections
            .iter()
            .filter(|section| section.kind < crate::context::SectionKind::CurrentFile)
            .map(|section| section.render())
            .collect::<String>();
        let root = roots.first().map(|root| root.as_path());
        let file = crate::context::display_uri(&document.uri, root);
        let quoted = crate::context::uri_to_path(&document.uri);
        Prompt::assemble(
            actions::prompt(&document, &file, &base, data, &context),
            quoted.as_deref().as_slice(),
            &exclude,
            root,
        )
        .map_err(|excluded| ActionError::Failed(excluded.to_string()))
    };
    let budget_tokens = config.context.budget_tokens / 2;
    let request = ModelRequest {
        messages: messages_for_budget(budget_tokens)?,
        urgency: Urgency::Background,
        thinking: config.thinking,
        max_tokens: Some(config.actions.max_tokens),
    };
    // One event sink for both attempts.
    let events: crate::model::EventSink = Box::new(events);
    let events = Arc::new(std::sync::Mutex::new(events));
    let sink = |events: &Arc<std::sync::Mutex<crate::model::EventSink>>| -> crate::model::EventSink {
        let events = events.clone();
        Box::new(move |event| (events.lock().unwrap_or_else(|poison| poison.into_inner()))(event))
    };
    let mut result = crate::model::ask(&session.glm, request.clone(), sink(&events)).await;
    if matches!(&result, Err(error) if error.kind == ModelErrorKind::PromptTooLong) {
        // The provider found the prompt too long (1261): once more, from half the context.
        tracing::info!(uri = %data.uri, "the prompt was too long for the model; asking once more with half the context");
        let request = ModelRequest { messages: messages_for_budget(budget_tokens / 2)?, ..request };
        result = crate::model::ask(&session.glm, request, sink(&events)).await;
    }
    let answer = result.map_err(|error| ActionError::Failed(error.message))?;
    let current = session.documents.get(&data.uri).ok_or(ActionError::Closed)?;
    actions::apply_answer(&base, data, &answer, &current)
}

/// The LSP edit of the document at the version the edits were made for.
fn workspace_edit(session: &Session, support: &ClientSupport, uri: &str, edit: &ActionEdit) -> Result<WorkspaceEdit> {
    let document = session.documents.get(uri).ok_or_else(|| invalid_params("the document was closed"))?;
    if document.version != edit.version {
        return Err(invalid_params("the document changed while the edit was prepared; run the action again"));
    }
    let file = to_proto::FileEdit {
        uri,
        version: Some(edit.version),
        rope: &document.rope,
        edits: &edit.edits,
        create: false,
    };
    to_proto::workspace_edit(support, session.encoding(), &edit_annotation(session), file)
        .map_err(|error| invalid_params(error.to_string()))
}
