//! The job machinery of the protocol edge: a job is work the user started (an action, test
//! generation) that runs in its own task with work-done progress and cancel, and ends in
//! `workspace/applyEdit` of its edit, or a message saying why nothing changed. Also the one
//! work-done progress implementation, used by held completions too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::ls_types::notification::Progress as ProgressNotification;
use tower_lsp_server::ls_types::request::WorkDoneProgressCreate;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::Client;

use super::backend::Backend;
use super::capabilities::ClientSupport;
use super::to_proto;
use crate::actions::{ActionData, ActionError};
use crate::document::Document;
use crate::model::{Model, ModelEvent};
use crate::session::Session;

/// What a job hands back to be applied.
pub struct JobEdit {
    pub edit: WorkspaceEdit,
    /// The progress's end message once the editor applied the edit.
    pub applied: String,
    /// Also show `applied` as a message (outcomes the user must read, like dropped tests).
    pub announce: bool,
}

/// Why a job changed nothing; `show`: tell the user in a message, not only in the progress.
pub struct JobError {
    pub message: String,
    pub show: bool,
}

impl JobError {
    pub fn shown(error: impl std::fmt::Display) -> JobError {
        JobError { message: error.to_string(), show: true }
    }
}

/// Progress lines sent by a job's work while it runs.
pub type StatusSender = mpsc::UnboundedSender<String>;

/// Runs `work` as a job: work-done progress (token `glm-lsp/<kind>/N`) with cancel, the
/// status lines it sends as reports, then `workspace/applyEdit` of its edit. A cancel drops
/// the work (and the model's stream, and any test run) before anything is applied.
pub fn spawn_job<Work, Done>(backend: &Backend, kind: &'static str, title: String, work: Work)
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
        let progress = Progress::start(&client, &support, &token, title.clone(), true, "asking the model…").await;
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
        progress.finish(Some(&message)).await;
    });
}

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// `window/workDoneProgress/cancel`: cancels a running job from the editor's progress UI.
pub fn cancel(backend: &Backend, params: WorkDoneProgressCancelParams) {
    let token = match params.token {
        NumberOrString::String(token) => token,
        NumberOrString::Number(number) => number.to_string(),
    };
    if let Some(cancel) = backend.action_jobs().lock().unwrap().remove(&token) {
        let _ = cancel.send(());
    }
}

/// The edit annotation of the session's model.
pub fn edit_annotation(session: &Session) -> to_proto::EditAnnotation {
    to_proto::EditAnnotation {
        needs_confirmation: session.config().actions.confirm,
        model: Model::name(&session.glm).to_string(),
    }
}

/// A model event as a progress line.
pub fn describe(event: &ModelEvent) -> String {
    match event {
        ModelEvent::Queued => "waiting for a free slot…".into(),
        ModelEvent::Thinking { tokens } => format!("thinking… {tokens} tokens"),
        ModelEvent::Writing { tokens } => format!("writing… {tokens} tokens"),
        ModelEvent::Retrying { attempt, reason } => format!("retrying ({attempt}): {reason}"),
    }
}

/// The document as the action was offered on, or why it cannot be used.
pub fn snapshot(session: &Session, data: &ActionData) -> std::result::Result<Document, ActionError> {
    let document = session.documents.get_parsed_around(&data.uri, data.target.clone()).ok_or(ActionError::Closed)?;
    if document.version != data.version || document.rope.len_bytes() < data.target.end {
        return Err(ActionError::Stale);
    }
    Ok(document)
}

/// Work-done progress (the one implementation: jobs and held completions), sent only when
/// the client declared `window.workDoneProgress`.
pub struct Progress {
    client: Client,
    token: Option<ProgressToken>,
}

impl Progress {
    /// Creates the progress (`window/workDoneProgress/create`) and begins it. Only from a
    /// spawned task, never from a request handler: waiting on the client inside a handler can
    /// deadlock tower-lsp's message loop.
    pub async fn start(
        client: &Client,
        support: &ClientSupport,
        token: &str,
        title: String,
        cancellable: bool,
        message: &str,
    ) -> Progress {
        let mut progress = Progress { client: client.clone(), token: None };
        if !support.work_done_progress {
            return progress;
        }
        let token = NumberOrString::String(token.to_string());
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
                cancellable: Some(cancellable),
                message: Some(message.to_string()),
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

    pub async fn report(&self, message: &str) {
        self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
            cancellable: Some(true),
            message: Some(message.to_string()),
            percentage: None,
        }))
        .await;
    }

    pub async fn finish(&self, message: Option<&str>) {
        self.send(WorkDoneProgress::End(WorkDoneProgressEnd { message: message.map(str::to_string) })).await;
    }
}
