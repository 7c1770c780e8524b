//! Code actions: listed at once, run by the model only when picked — through a command that
//! reports progress and ends in `workspace/applyEdit` (works in every editor), or through
//! `codeAction/resolve` when the user prefers it (`actions.resolve`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::notification::Progress as ProgressNotification;
use tower_lsp_server::ls_types::request::WorkDoneProgressCreate;
use tower_lsp_server::ls_types::*;

use super::server::{invalid_params, Backend, ClientSupport};
use super::{from_proto, to_proto};
use crate::actions::{self, ActionData, ActionEdit, ActionError};
use crate::context::{gather, ContextInput};
use crate::document::Document;
use crate::model::{Model, ModelErrorKind, ModelEvent, ModelRequest, Prompt, Urgency};
use crate::session::Session;
use crate::text::{offset_of, PositionEncoding};

pub const RUN_ACTION_COMMAND: &str = "glm-lsp.runAction";
pub(super) const ANNOTATION_ID: &str = "glm-edit";

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
    let resolve = config.actions.resolve && backend.support().code_action_resolve;
    let only = params.context.only.unwrap_or_default();
    let response = actions::offers(&document, range, &plain, &config)
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
            CodeActionOrCommand::CodeAction(CodeAction {
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
            })
        })
        .collect();
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
    if !config.actions.resolve || action.edit.is_some() {
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

/// What a job hands back to be applied.
pub(super) struct JobEdit {
    pub edit: WorkspaceEdit,
    /// The progress's end message once the editor applied the edit.
    pub applied: String,
    /// Also show `applied` as a message (outcomes the user must read, like dropped tests).
    pub announce: bool,
}

/// Why a job changed nothing; `show`: tell the user in a message, not only in the progress.
pub(super) struct JobError {
    pub message: String,
    pub show: bool,
}

impl JobError {
    pub fn shown(error: impl std::fmt::Display) -> JobError {
        JobError { message: error.to_string(), show: true }
    }
}

/// Progress lines sent by a job's work while it runs.
pub(super) type StatusSender = mpsc::UnboundedSender<String>;

/// Runs `work` as a job: work-done progress (token `glm-lsp/<kind>/N`) with cancel, the
/// status lines it sends as reports, then `workspace/applyEdit` of its edit. A cancel drops
/// the work (and the model's stream, and any test run) before anything is applied.
pub(super) fn spawn_job<Work, Done>(backend: &Backend, kind: &'static str, title: String, work: Work)
where
    Work: FnOnce(StatusSender) -> Done + Send + 'static,
    Done: std::future::Future<Output = std::result::Result<JobEdit, JobError>> + Send + 'static,
{
    let client = backend.client().clone();
    let support = backend.support();
    let jobs = backend.action_jobs();
    tokio::spawn(async move {
        let token = format!("glm-lsp/{kind}/{}", NEXT_JOB.fetch_add(1, Ordering::Relaxed));
        let (cancel_sender, cancel) = oneshot::channel();
        jobs.lock().unwrap().insert(token.clone(), cancel_sender);
        let progress = Progress::start(&client, &support, &token, title.clone()).await;
        let (status, mut statuses) = mpsc::unbounded_channel::<String>();
        let report = async {
            let mut last_report = Instant::now() - Duration::from_secs(1);
            let mut last_stage = String::new();
            while let Some(message) = statuses.recv().await {
                // Streaming counts are throttled; a new stage ("running 4 tests…") shows at once.
                let stage = message.split_whitespace().next().unwrap_or_default().to_string();
                if last_report.elapsed() >= Duration::from_millis(250) || stage != last_stage {
                    last_report = Instant::now();
                    last_stage = stage;
                    progress.report(&message).await;
                }
            }
        };
        let outcome = tokio::select! {
            (outcome, ()) = async { tokio::join!(work(status), report) } => Some(outcome),
            _ = cancel => None,
        };
        jobs.lock().unwrap().remove(&token);
        let message = match outcome {
            None => "cancelled; nothing was changed".to_string(),
            Some(Err(error)) => {
                if error.show {
                    client.show_message(MessageType::WARNING, format!("glm-lsp: {}", error.message)).await;
                }
                error.message
            }
            Some(Ok(job)) => match client.apply_edit(job.edit).await {
                Ok(response) if response.applied => {
                    if job.announce {
                        client.show_message(MessageType::INFO, format!("glm-lsp: {}", job.applied)).await;
                    }
                    job.applied
                }
                Ok(response) => {
                    let reason = response.failure_reason.unwrap_or_else(|| "the editor declined the edit".into());
                    client
                        .show_message(MessageType::WARNING, format!("glm-lsp: the edit was not applied: {reason}"))
                        .await;
                    format!("not applied: {reason}")
                }
                Err(error) => format!("not applied: {}", error.message),
            },
        };
        tracing::info!(%token, "{title}: {message}");
        progress.finish(&message).await;
    });
}

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// Cancels a running action from the editor's progress UI.
pub fn cancel(backend: &Backend, params: WorkDoneProgressCancelParams) {
    let token = match params.token {
        NumberOrString::String(token) => token,
        NumberOrString::Number(number) => number.to_string(),
    };
    if let Some(cancel) = backend.action_jobs().lock().unwrap().remove(&token) {
        let _ = cancel.send(());
    }
}

pub type ActionJobs = Arc<std::sync::Mutex<HashMap<String, oneshot::Sender<()>>>>;

fn title_of(data: &ActionData) -> String {
    match &data.action {
        actions::ActionKind::Fix { .. } => "GLM: Fix".into(),
        actions::ActionKind::Improve => "GLM: Improve this code".into(),
        actions::ActionKind::Document => "GLM: Add documentation".into(),
        actions::ActionKind::Custom { title, .. } => format!("GLM: {title}"),
        actions::ActionKind::GenerateTests { name } => format!("GLM: Generate tests for `{name}`"),
    }
}

pub(super) fn describe(event: &ModelEvent) -> String {
    match event {
        ModelEvent::Queued => "waiting for a free slot…".into(),
        ModelEvent::Thinking { tokens } => format!("thinking… {tokens} tokens"),
        ModelEvent::Writing { tokens } => format!("writing… {tokens} tokens"),
        ModelEvent::Retrying { attempt, reason } => format!("retrying ({attempt}): {reason}"),
    }
}

/// The document as the action was offered on, or why it cannot be used.
pub(super) fn snapshot(session: &Session, data: &ActionData) -> std::result::Result<Document, ActionError> {
    let document = session.documents.get_parsed_around(&data.uri, data.target.clone()).ok_or(ActionError::Closed)?;
    if document.version != data.version || document.rope.len_bytes() < data.target.end {
        return Err(ActionError::Stale);
    }
    Ok(document)
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

/// The change annotation every AI edit carries, when the client supports them.
pub(super) fn annotation(session: &Session) -> (String, ChangeAnnotation) {
    (
        ANNOTATION_ID.to_string(),
        ChangeAnnotation {
            label: "GLM edit".into(),
            needs_confirmation: Some(session.config().actions.confirm),
            description: Some(format!("Suggested by {}", Model::name(&session.glm))),
        },
    )
}

/// The LSP edit: versioned `documentChanges` (and an annotation) when the client supports
/// them, so an editor never applies it to text that changed meanwhile.
fn workspace_edit(session: &Session, support: &ClientSupport, uri: &str, edit: &ActionEdit) -> Result<WorkspaceEdit> {
    let document = session.documents.get(uri).ok_or_else(|| invalid_params("the document was closed"))?;
    if document.version != edit.version {
        return Err(invalid_params("the document changed while the edit was prepared; run the action again"));
    }
    let encoding = session.encoding();
    let text_edits: Vec<TextEdit> =
        edit.edits.iter().map(|edit| to_proto::text_edit(&document.rope, edit, encoding)).collect();
    let lsp_uri: Uri = uri.parse().map_err(|_| invalid_params("bad document URI"))?;
    if !support.document_changes {
        return Ok(WorkspaceEdit { changes: Some(HashMap::from([(lsp_uri, text_edits)])), ..WorkspaceEdit::default() });
    }
    let annotate = support.change_annotations;
    let edits = text_edits
        .into_iter()
        .map(|text_edit| {
            if annotate {
                OneOf::Right(AnnotatedTextEdit { text_edit, annotation_id: ANNOTATION_ID.to_string() })
            } else {
                OneOf::Left(text_edit)
            }
        })
        .collect();
    Ok(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri: lsp_uri, version: Some(edit.version) },
            edits,
        }])),
        change_annotations: annotate.then(|| HashMap::from([annotation(session)])),
        ..WorkspaceEdit::default()
    })
}

/// Work-done progress for one job, when the client supports it.
pub(super) struct Progress {
    client: tower_lsp_server::Client,
    token: Option<ProgressToken>,
}

impl Progress {
    async fn start(client: &tower_lsp_server::Client, support: &ClientSupport, token: &str, title: String) -> Progress {
        let mut progress = Progress { client: client.clone(), token: None };
        if !support.work_done_progress {
            return progress;
        }
        let token = NumberOrString::String(token.to_string());
        // Asked from the spawned job, never from a request handler: waiting on the client
        // inside a handler can deadlock tower-lsp's message loop.
        if client
            .send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams { token: token.clone() })
            .await
            .is_err()
        {
            return progress;
        }
        progress.token = Some(token);
        progress
            .send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title,
                cancellable: Some(true),
                message: Some("asking the model…".into()),
                percentage: None,
            }))
            .await;
        progress
    }

    async fn send(&self, value: WorkDoneProgress) {
        if let Some(token) = &self.token {
            self.client
                .send_notification::<ProgressNotification>(ProgressParams {
                    token: token.clone(),
                    value: ProgressParamsValue::WorkDone(value),
                })
                .await;
        }
    }

    async fn report(&self, message: &str) {
        self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
            cancellable: Some(true),
            message: Some(message.to_string()),
            percentage: None,
        }))
        .await;
    }

    async fn finish(&self, message: &str) {
        self.send(WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(message.to_string()) })).await;
    }
}
