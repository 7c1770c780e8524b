//! "Generate tests": the code action and the `glm-lsp.generateTests` command start the same
//! job (progress with cancel, then `workspace/applyEdit`); `codeAction/resolve` computes the
//! same edit in the request. The edit creates the test file (`CreateFile` plus its content)
//! or changes it minimally: versioned when the editor has it open, else against its disk
//! content with a null version (the editor opens it and applies the edit; saving is the
//! user's call).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ropey::Rope;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use super::backend::{invalid_params, Backend};
use super::capabilities::ClientSupport;
use super::jobs::{self, JobEdit, JobError, StatusSender};
use super::{from_proto, to_proto};
use crate::actions::{self, ActionData, ActionKind};
use crate::context::{gather, path_to_uri, uri_to_path, ContextInput};
use crate::document::Document;
use crate::session::Session;
use crate::testgen::{self, placement::Disk, Generated, Job, Stage, StageSink};
use crate::text::{offset_of, Edit};
use crate::workspace_path::PathGuard;

pub const GENERATE_TESTS_COMMAND: &str = "glm-lsp.generateTests";

/// `glm-lsp.generateTests {textDocument: {uri}, position}`: starts the job for the function
/// or type at the position and answers at once.
pub fn command(backend: &Backend, arguments: &[Value]) -> Result<Option<Value>> {
    let argument = arguments.first().ok_or_else(|| invalid_params("expected {textDocument: {uri}, position}"))?;
    let params: TextDocumentPositionParams = serde_json::from_value(argument.clone())
        .map_err(|error| invalid_params(format!("expected {{textDocument: {{uri}}, position}}: {error}")))?;
    let session = backend.session();
    session.documents.refresh_tree(params.text_document.uri.as_str());
    let document = backend.document_snapshot(&params.text_document.uri)?;
    let offset = offset_of(&document.rope, from_proto::position(params.position), session.encoding())
        .ok_or_else(|| invalid_params("the position is past the end of the document"))?;
    let document = match document.covers(&(offset..offset)) {
        true => document,
        false => {
            session.documents.get_parsed_around(params.text_document.uri.as_str(), offset..offset).unwrap_or(document)
        }
    };
    let text = document.text();
    let target = actions::test_targets(&document, &text, offset..offset).into_iter().next().ok_or_else(|| {
        invalid_params(format!("no function, method or type to test at line {}", params.position.line + 1))
    })?;
    start(
        backend,
        ActionData {
            uri: document.uri.clone(),
            version: document.version,
            target: target.range,
            action: ActionKind::GenerateTests { name: target.name },
        },
    );
    Ok(None)
}

/// Starts the job for an offered action.
pub fn start(backend: &Backend, data: ActionData) {
    let session = backend.session_arc();
    let support = backend.support();
    // The text the model sees is the text when the user picked the action.
    let document = jobs::snapshot(&session, &data);
    let ActionKind::GenerateTests { name } = &data.action else { return };
    let title = format!("GLM: Generate tests for `{name}`");
    backend_spawn(backend, title, move |status| async move {
        let document = document.map_err(JobError::shown)?;
        let prepared = prepare(&session, document, &data).await?;
        let stages = stage_sink(status);
        let generated = generate(&session, &prepared, stages).await?;
        let edit = workspace_edit(&session, &support, &generated, &prepared.guard)?;
        Ok(JobEdit { edit, applied: prepared.outcome_message(&generated), announce: true })
    });
}

fn backend_spawn<Work, Done>(backend: &Backend, title: String, work: Work)
where
    Work: FnOnce(StatusSender) -> Done + Send + 'static,
    Done: std::future::Future<Output = std::result::Result<JobEdit, JobError>> + Send + 'static,
{
    jobs::spawn_job(backend, "tests", title, work);
}

/// `codeAction/resolve` with `actions.resolve`: the same work inside the request (dropping
/// the request cancels it and restores any file a test run touched).
pub async fn resolve_edit(backend: &Backend, data: &ActionData) -> Result<WorkspaceEdit> {
    let session = backend.session_arc();
    let failed = |error: JobError| Error {
        code: ErrorCode::ServerError(-32803),
        message: format!("glm-lsp: {}", error.message).into(),
        data: None,
    };
    let document = jobs::snapshot(&session, data).map_err(|error| invalid_params(error.to_string()))?;
    let prepared = prepare(&session, document, data).await.map_err(failed)?;
    let generated = generate(&session, &prepared, Arc::new(|_| {})).await.map_err(failed)?;
    workspace_edit(&session, &backend.support(), &generated, &prepared.guard).map_err(failed)
}

fn stage_sink(status: StatusSender) -> StageSink {
    Arc::new(move |stage: Stage| {
        let message = match stage {
            Stage::Model(event) => jobs::describe(&event),
            other => other.describe_run().unwrap_or_default(),
        };
        let _ = status.send(message);
    })
}

/// A job ready to run, and whether its tests can be verified.
struct Prepared {
    job: Job,
    /// Where the job may read and write.
    guard: PathGuard,
    /// Why verification is off although the user asked for it (unsaved files).
    not_verified: Option<String>,
}

impl Prepared {
    fn outcome_message(&self, generated: &Generated) -> String {
        let mut message = format!("{} in {}", generated.summary(), self.job.display_test);
        // Said when it moved the tests away from the file named after the module.
        if let Some(precedent) = self.job.plan.precedent.as_ref().filter(|precedent| !precedent.named_after_module) {
            message.push_str(&format!(" ({})", precedent.sentence));
        }
        if let Some(reason) = &self.not_verified {
            message.push_str(&format!("; {reason}"));
        }
        message
    }
}

async fn prepare(
    session: &Arc<Session>,
    document: Document,
    data: &ActionData,
) -> std::result::Result<Prepared, JobError> {
    let ActionKind::GenerateTests { name } = &data.action else {
        return Err(JobError::shown("not a test-generation action"));
    };
    let source_path = uri_to_path(&document.uri)
        .ok_or_else(|| JobError::shown("tests can only be generated for a file on disk; save it first"))?;
    let language = document.language.ok_or_else(|| JobError::shown("no grammar for this language"))?;
    let text = document.text();
    let tree = document.tree.as_ref().ok_or_else(|| JobError::shown("the file could not be parsed"))?;
    let target = testgen::target_in(language, &text, tree, data.target.clone(), name)
        .ok_or_else(|| JobError::shown(format!("`{name}` is no longer where the action was offered; run it again")))?;
    let config = session.config();
    let open_documents = session.documents.snapshot_all();
    let roots = session.roots();
    let root = roots.iter().find(|root| source_path.starts_with(root)).or(roots.first()).cloned();
    let guard = match &root {
        Some(root) => PathGuard::new(root, session.exclude()),
        None => PathGuard::around_file(&source_path, session.exclude()),
    }
    .map_err(|refused| JobError::shown(refused.to_string()))?;
    let guard_for_blocking = guard.clone();
    let session_for_blocking = session.clone();
    let document_for_blocking = document.clone();
    // Placement reads the project (a few files); context reads the index. Off the runtime.
    let job = tokio::task::spawn_blocking(move || {
        let session = session_for_blocking;
        let exclude = session.exclude();
        let context = gather(&ContextInput {
            document: &document_for_blocking,
            offset: (target.range.start + 1).min(text.len()),
            open_documents: &open_documents,
            workspace: &session.index,
            root: root.as_deref(),
            budget_tokens: config.context.budget_tokens,
            exclude: &exclude,
        });
        let open_text = |path: &Path| open_text_of(&open_documents, path);
        let settings = testgen::Settings {
            verify: config.tests.verify,
            timeout: Duration::from_secs(config.tests.timeout_secs),
            repair_rounds: config.tests.repair_rounds,
            command: config.tests.command.clone(),
            hidden: testgen::hidden_env::Hidden::from_config(&config),
            thinking: config.thinking,
            max_tokens: config.actions.max_tokens,
            reliability_runs: config.tests.reliability_runs,
            coverage: config.tests.coverage,
        };
        testgen::prepare(
            &Disk::new(guard_for_blocking),
            root.as_deref(),
            &source_path,
            &text,
            language,
            target,
            &open_text,
            testgen::render_context(&context),
            settings,
        )
    })
    .await
    .map_err(|error| JobError::shown(format!("internal error: {error}")))?
    .map_err(JobError::shown)?;
    let mut job = job;
    let mut not_verified = None;
    if job.settings.verify {
        // Tests run against the files on disk: only when they are what the editor shows.
        let unsaved: Vec<String> = [&job.source_path, &job.plan.test_path]
            .into_iter()
            .filter(|path| {
                let Some(buffer) = open_text_of(&session.documents.snapshot_all(), path) else { return false };
                std::fs::read_to_string(path).map_or(!buffer.is_empty(), |disk| disk != buffer)
            })
            .map(|path| display(&job, path))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !unsaved.is_empty() {
            job.settings.verify = false;
            not_verified =
                Some(format!("not run: glm-lsp cannot verify unsaved files (save {} first)", unsaved.join(", ")));
        }
    }
    Ok(Prepared { job, guard, not_verified })
}

fn display(job: &Job, path: &Path) -> String {
    if path == job.plan.test_path {
        job.display_test.clone()
    } else {
        job.display_source.clone()
    }
}

/// The editor's text of `path` when it has the file open.
fn open_text_of(open_documents: &[Document], path: &Path) -> Option<String> {
    open_documents.iter().find(|document| uri_to_path(&document.uri).as_deref() == Some(path)).map(Document::text)
}

async fn generate(
    session: &Arc<Session>,
    prepared: &Prepared,
    stages: StageSink,
) -> std::result::Result<Generated, JobError> {
    let workbench = testgen::DiskWorkbench { guard: prepared.guard.clone() };
    let workbench: Option<&dyn testgen::Workbench> = prepared.job.settings.verify.then_some(&workbench as _);
    testgen::generate(&session.glm, workbench, &prepared.job, stages).await.map_err(JobError::shown)
}

/// The edit that brings the test file from what the model saw to the generated text,
/// rebased over whatever changed meanwhile (the user typing, the file changing on disk).
fn workspace_edit(
    session: &Session,
    support: &ClientSupport,
    generated: &Generated,
    guard: &PathGuard,
) -> std::result::Result<WorkspaceEdit, JobError> {
    let path = &generated.test_path;
    let shown = path.display().to_string();
    // The one check of every edit this builds: the file may have become a link meanwhile.
    guard.check_write(path).map_err(|refused| JobError::shown(format!("{refused}; nothing was changed")))?;
    let target = test_file_now(session, generated, &shown, guard)?;
    let edits = match &target.base {
        None => vec![Edit { range: 0..0, new_text: generated.after.clone() }],
        Some(base) => rebase(base, &target.rope.to_string(), &generated.after, &shown)?,
    };
    if edits.is_empty() {
        return Err(JobError::shown("the tests are already there; nothing was changed"));
    }
    let file = to_proto::FileEdit {
        uri: &target.uri,
        version: target.version,
        rope: &target.rope,
        edits: &edits,
        create: target.base.is_none(),
    };
    to_proto::workspace_edit(support, session.encoding(), &jobs::edit_annotation(session), file).map_err(|error| {
        match error {
            to_proto::EditError::CannotCreateFiles => JobError::shown(format!(
                "the tests belong in a new file, {shown}, and your editor does not let language servers create \
                 files (workspace.workspaceEdit.resourceOperations \"create\"); nothing was written. \
                 `glm-lsp generate-tests` on the command line can write it"
            )),
            other => JobError::shown(format!("{shown}: {other}")),
        }
    })
}

/// The test file as it is now: open in the editor (versioned), on disk, or not yet there.
struct TestFileNow {
    uri: String,
    version: Option<i32>,
    rope: Rope,
    /// The text the model saw, to rebase from; `None`: the file is new.
    base: Option<String>,
}

fn test_file_now(
    session: &Session,
    generated: &Generated,
    shown: &str,
    guard: &PathGuard,
) -> std::result::Result<TestFileNow, JobError> {
    let path = &generated.test_path;
    let open = session
        .documents
        .snapshot_all()
        .into_iter()
        .find(|document| uri_to_path(&document.uri).as_deref() == Some(path));
    match (open, &generated.before) {
        (Some(document), before) => Ok(TestFileNow {
            uri: document.uri.clone(),
            version: Some(document.version),
            rope: document.rope.clone(),
            base: Some(before.clone().unwrap_or_default()),
        }),
        (None, Some(before)) => {
            let now = guard.read(path, u64::MAX).map_err(|refused| JobError::shown(refused.to_string()))?;
            Ok(TestFileNow {
                uri: path_to_uri(path),
                version: None,
                rope: Rope::from_str(&now),
                base: Some(before.clone()),
            })
        }
        (None, None) if path.exists() => {
            Err(JobError::shown(format!("{shown} was created while the model was thinking; run the action again")))
        }
        (None, None) => Ok(TestFileNow { uri: path_to_uri(path), version: None, rope: Rope::new(), base: None }),
    }
}

/// The minimal edits from `now` to the generated text merged over what changed since `base`.
fn rebase(base: &str, now: &str, after: &str, shown: &str) -> std::result::Result<Vec<Edit>, JobError> {
    let merged = if now == base {
        after.to_string()
    } else {
        crate::diff::merge(base, after, now).map_err(|conflict| {
            JobError::shown(format!(
                "{shown} changed in the same places while the model was thinking, so the tests were not added ({conflict})"
            ))
        })?
    };
    Ok(crate::diff::edits(now, &merged))
}
