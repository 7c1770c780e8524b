//! Unit-test generation: tests for the function or type at the cursor, in the file where the
//! project keeps its tests, with the right imports, never touching the tests already there;
//! optionally run, repaired once from the runner's output, and kept only when they pass every
//! run and (when asked) add coverage.
//!
//! The pieces: [`target`] (what to test), [`placement`] (where the tests go), [`prompt`],
//! [`candidate`] (the answer checked against the existing tests), [`items`] (test functions
//! found with tree-sitter), [`run`] (commands and runner output, as data), `keep` (reruns for
//! flaky tests and the coverage filter, with [`coverage`]'s commands and reports) and [`workbench`]
//! (the rim that writes files and runs processes, with [`hidden_env`] deciding what the child
//! may not see and [`inflight`] knowing what to put back when the process ends). The editor
//! and the command line both go through [`generate`].

pub mod candidate;
pub mod coverage;
pub mod framework;
pub mod hidden_env;
pub mod inflight;
pub mod items;
mod keep;
pub mod patch;
pub mod placement;
pub mod precedent;
pub mod prompt;
pub mod run;
pub mod target;
pub mod tsconfig;
pub mod workbench;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::language::Language;
use crate::model::{Finish, Model, ModelError, ModelEvent, ModelRequest, Urgency};
pub use candidate::Candidate;
pub use inflight::restore_all;
pub use placement::{Destination, Plan};
pub use target::{Target, TargetKind};
pub use workbench::{DiskWorkbench, Workbench};

/// Everything one generation needs, gathered by the caller (editor or command line).
#[derive(Debug, Clone)]
pub struct Job {
    pub language: Language,
    pub source_path: PathBuf,
    /// The source file as the model sees it.
    pub source: String,
    pub target: Target,
    pub plan: Plan,
    /// The current test file, or the current `mod tests` module; `None` when there is none.
    pub existing_tests: Option<String>,
    /// Rendered context sections: the definitions the code under test uses.
    pub context: String,
    /// The source and test files as prompts and messages name them (relative to the root).
    pub display_source: String,
    pub display_test: String,
    pub settings: Settings,
    /// What every prompt of the job applies: the user's exclusions, judged from `root`.
    pub exclude: Arc<crate::context::Exclude>,
    pub root: Option<PathBuf>,
}

/// The `tests.*` settings and the model options a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub verify: bool,
    pub timeout: Duration,
    pub repair_rounds: u32,
    pub command: Option<String>,
    /// What runs hide beside the key variables (`tests.hideEnv`, the key's value).
    pub hidden: hidden_env::Hidden,
    pub thinking: bool,
    pub max_tokens: u32,
    /// Runs a test must pass, counting the first, to be kept (`tests.reliabilityRuns`).
    pub reliability_runs: u32,
    /// Keep only tests that cover lines of the file under test the existing ones do not.
    pub coverage: bool,
}

impl Job {
    fn target_kind_words(&self) -> &'static str {
        match self.target.kind {
            TargetKind::Function => "the function",
            TargetKind::Method => "the method",
            TargetKind::Type => "the type",
        }
    }

    /// The whole test file with `tests` (the file or module text) in place.
    pub fn file_with(&self, tests: &str) -> String {
        match &self.plan.destination {
            Destination::File => tests.to_string(),
            Destination::InlineModule { existing: Some(range) } => {
                format!("{}{}{}", &self.source[..range.start], tests, &self.source[range.end..])
            }
            Destination::InlineModule { existing: None } => {
                let mut text = self.source.trim_end_matches(['\n', '\r']).to_string();
                let line_break = if self.source.contains("\r\n") { "\r\n" } else { "\n" };
                text.push_str(line_break);
                text.push_str(line_break);
                text.push_str(&tests.replace("\r\n", "\n").replace('\n', line_break));
                text
            }
        }
    }

    /// The test file's text before the change (`None`: the file is new).
    pub fn file_before(&self) -> Option<String> {
        match &self.plan.destination {
            Destination::File => self.existing_tests.clone(),
            Destination::InlineModule { .. } => Some(self.source.clone()),
        }
    }
}

/// Builds the job for `target` of the file at `source_path`. `open_text` gives the editor's
/// text of a file it has open (the test file may be), so unsaved edits are seen.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    files: &dyn placement::ProjectFiles,
    root: Option<&Path>,
    source_path: &Path,
    source: &str,
    language: Language,
    target: Target,
    open_text: &dyn Fn(&Path) -> Option<String>,
    context: String,
    settings: Settings,
) -> Result<Job, String> {
    let plan = placement::plan(files, root, source_path, source, language, &target)?;
    // Checked before anything is read: the test path is built from repository text and may
    // be a link to a secret or lead out of the workspace.
    if let Some(refused) = files.refuse_write(&plan.test_path) {
        return Err(format!("glm-lsp will not put tests there: {refused}; nothing was read or written"));
    }
    let existing_tests = match &plan.destination {
        Destination::InlineModule { existing } => existing.clone().map(|range| source[range].to_string()),
        Destination::File => open_text(&plan.test_path).or_else(|| files.read(&plan.test_path)),
    };
    let display = |path: &Path| {
        let shown = root.and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path);
        shown.to_string_lossy().replace('\\', "/")
    };
    Ok(Job {
        language,
        display_source: display(source_path),
        display_test: display(&plan.test_path),
        source_path: source_path.to_path_buf(),
        source: source.to_string(),
        target,
        plan,
        existing_tests,
        context,
        settings,
        exclude: files.exclude(),
        root: root.map(Path::to_path_buf),
    })
}

/// The target `name` whose definition starts at `range` in `text` (as an action's data
/// records it): looked up from inside its name, which every definition node encloses.
pub fn target_in(
    language: Language,
    text: &str,
    tree: &tree_sitter::Tree,
    range: std::ops::Range<usize>,
    name: &str,
) -> Option<Target> {
    let definition = text.get(range.clone())?;
    for index in crate::text::whole_word_positions(definition, name) {
        let offset = range.start + index + 1;
        if let Some(found) = target::targets_at(language, text, tree, offset..offset)
            .into_iter()
            .find(|target| target.name == name && target.range == range)
        {
            return Some(found);
        }
    }
    None
}

/// The context sections of `context` as a prompt shows them (the cursor window is not used:
/// the code under test is shown whole).
pub fn render_context(context: &crate::context::Context) -> String {
    context.sections.iter().map(|section| section.render()).collect()
}

/// The function or type named `name` (`parse`, or `Stack.push` for a method) in a file.
pub fn find_by_name(language: Language, text: &str, name: &str) -> Option<Target> {
    let tree = crate::language::parse_str(language, text)?;
    let mut found: Vec<Target> = Vec::new();
    let mut pending = vec![tree.root_node()];
    while let Some(node) = pending.pop() {
        let offset = (node.start_byte() + 1).min(text.len());
        if node.is_named() && node.start_byte() < node.end_byte() {
            for candidate in target::targets_at(language, text, &tree, offset..offset) {
                if (candidate.name == name || candidate.display_name() == name) && !found.contains(&candidate) {
                    found.push(candidate);
                }
            }
        }
        pending.extend((0..node.named_child_count()).filter_map(|index| node.named_child(index as u32)));
    }
    // An exact name (`push`, not `Stack.push`) first, functions before types, then file order.
    found.sort_by_key(|target| (target.display_name() != name, target.kind == TargetKind::Type, target.range.start));
    found.into_iter().next()
}

/// What the user is told while the job runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Model(ModelEvent),
    Running {
        tests: usize,
    },
    /// Asking the model again with the runner's output about `failing` tests.
    Repairing {
        failing: usize,
    },
    /// Running the passing tests `more` times again to find flaky ones.
    Rerunning {
        more: u32,
    },
    /// Measuring the line coverage of `tests` tests, one at a time.
    Measuring {
        tests: usize,
    },
}

impl Stage {
    /// The stages after the model's: one line for a progress report.
    pub fn describe_run(&self) -> Option<String> {
        let plural = |count: usize| if count == 1 { "" } else { "s" };
        Some(match self {
            Stage::Model(_) => return None,
            Stage::Running { tests } => format!("running {tests} test{}…", plural(*tests)),
            Stage::Repairing { failing } => format!("repairing {failing} failing test{}…", plural(*failing)),
            Stage::Rerunning { more } => {
                format!("checking for flaky tests: {more} more run{}…", plural(*more as usize))
            }
            Stage::Measuring { tests } => format!("measuring the coverage of {tests} test{}…", plural(*tests)),
        })
    }
}

pub type StageSink = Arc<dyn Fn(Stage) + Send + Sync>;

/// One generated test and what became of it: the filter TestGen-LLM applies (it builds, it
/// passes every run, it covers something new), test by test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestReport {
    pub name: String,
    pub status: TestStatus,
    /// Runs it passed and runs made (`None`: it was not run).
    pub runs: Option<(u32, u32)>,
    /// What it adds to the coverage of the file under test (`None`: `tests.coverage` is off,
    /// or the test did not get that far).
    pub coverage: Option<Coverage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestStatus {
    /// Verification was off (or impossible); the test was not run.
    NotRun,
    Passed,
    /// Failed after the repair rounds and was removed; the first line of the failure.
    Dropped(String),
    /// Passed, then failed a later run (`tests.reliabilityRuns`) and was removed; that failure.
    Flaky(String),
    /// Passed every run but covered no line of the file under test that the existing tests
    /// do not (`tests.coverage`); removed.
    NoCoverage,
}

impl TestStatus {
    pub fn is_dropped(&self) -> bool {
        matches!(self, TestStatus::Dropped(_) | TestStatus::Flaky(_) | TestStatus::NoCoverage)
    }
}

/// Lines of the file under test a test covers beyond the existing tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Added(usize),
    NotMeasured(String),
}

impl TestReport {
    /// `test_adds: built, passed 3/3, 4 lines covered added`, for the command line.
    pub fn line(&self) -> String {
        let Some((passed, runs)) = self.runs else {
            return format!("{}: not run", self.name);
        };
        let mut line = format!("{}: built, passed {passed}/{runs}", self.name);
        match &self.coverage {
            Some(Coverage::Added(lines)) => {
                line.push_str(&format!(", {lines} line{} covered added", if *lines == 1 { "" } else { "s" }))
            }
            // The reason is said once, in the summary.
            Some(Coverage::NotMeasured(_)) => line.push_str(", coverage not measured"),
            None => {}
        }
        match &self.status {
            TestStatus::Dropped(_) => line.push_str(" — dropped: it fails"),
            TestStatus::Flaky(_) => line.push_str(" — dropped: flaky"),
            TestStatus::NoCoverage => line.push_str(" — dropped: it covers nothing new"),
            TestStatus::NotRun | TestStatus::Passed => {}
        }
        line
    }
}

/// The tests to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub test_path: PathBuf,
    /// The test file before and after (`before` is `None` for a new file).
    pub before: Option<String>,
    pub after: String,
    pub tests: Vec<TestReport>,
    /// Why only the answer's additions were kept, when it changed existing lines.
    pub repaired: Option<String>,
    /// Why verification was asked for but did not run.
    pub not_run: Option<String>,
    /// The file whose coverage was measured, as messages name it.
    pub covered_file: String,
}

impl Generated {
    /// "3 tests generated, 3 pass" / "3 tests generated, 2 pass; 1 dropped: test_empty failed: …"
    pub fn summary(&self) -> String {
        let kept = self.tests.iter().filter(|test| test.status == TestStatus::Passed).count();
        let dropped: Vec<&TestReport> = self.tests.iter().filter(|test| test.status.is_dropped()).collect();
        let total = self.tests.len();
        let plural = |count: usize| if count == 1 { "test" } else { "tests" };
        let mut summary = if self.tests.iter().all(|test| test.status == TestStatus::NotRun) {
            match &self.not_run {
                Some(reason) => format!("{total} {} generated (not run: {reason})", plural(total)),
                None => format!("{total} {} generated (not run)", plural(total)),
            }
        } else {
            // "pass": every one of the runs (the per-test report counts them).
            format!("{total} {} generated, {kept} pass", plural(total))
        };
        if !dropped.is_empty() {
            let reasons: Vec<String> = dropped
                .iter()
                .map(|test| match (&test.status, test.runs) {
                    (TestStatus::Flaky(reason), Some((passed, runs))) => {
                        format!("{} is flaky (passed {passed}/{runs} runs): {reason}", test.name)
                    }
                    (TestStatus::NoCoverage, _) => {
                        format!("{} covers no line of {} the existing tests do not", test.name, self.covered_file)
                    }
                    (TestStatus::Dropped(reason) | TestStatus::Flaky(reason), _) => {
                        format!("{} failed: {reason}", test.name)
                    }
                    _ => unreachable!(),
                })
                .collect();
            summary.push_str(&format!("; {} dropped: {}", dropped.len(), reasons.join("; ")));
        }
        summary.push_str(&self.coverage_summary());
        if let Some(repaired) = &self.repaired {
            summary.push_str(&format!(" ({repaired})"));
        }
        summary
    }

    /// `; 7 lines of calc.py covered added`, or why coverage was not measured (said once).
    fn coverage_summary(&self) -> String {
        let kept = self.tests.iter().filter(|test| test.status == TestStatus::Passed);
        let mut added = 0;
        let mut unmeasured: Vec<&str> = Vec::new();
        let mut any = false;
        for test in kept {
            match &test.coverage {
                Some(Coverage::Added(lines)) => {
                    added += lines;
                    any = true;
                }
                Some(Coverage::NotMeasured(why)) if !unmeasured.contains(&why.as_str()) => unmeasured.push(why),
                _ => {}
            }
        }
        let mut text = String::new();
        if any {
            text.push_str(&format!(
                "; {added} line{} of {} covered added",
                if added == 1 { "" } else { "s" },
                self.covered_file
            ));
        }
        if let Some(why) = unmeasured.first() {
            text.push_str(&format!("; coverage not measured: {why}"));
        }
        text
    }

    /// The per-test report, one line each.
    pub fn report(&self) -> String {
        self.tests.iter().map(|test| format!("  {}\n", test.line())).collect()
    }
}

/// Why no tests were produced; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestgenError {
    #[error("{0}")]
    Model(String),
    #[error(
        "the model's answer was cut off (it hit maxTokens); nothing was changed. Raise actions.maxTokens and try again"
    )]
    Truncated,
    #[error("the provider's content filter blocked the answer; nothing was changed")]
    Blocked,
    #[error("the model's answer had no code; nothing was changed")]
    NoCode,
    #[error("{0}; nothing was changed")]
    Candidate(#[from] candidate::CandidateError),
    #[error("the generated tests do not compile or cannot be collected, so they were dropped: {0}")]
    DoesNotBuild(String),
    #[error("every generated test failed, so none were kept: {0}")]
    AllFailed(String),
    #[error("no generated test was worth keeping: {0}; nothing was changed")]
    NoneKept(String),
    #[error("the test run timed out after {0} s (tests.timeoutSecs); nothing was changed")]
    TimedOut(u64),
    #[error("the tests could not be run: {0}")]
    Runner(String),
}

impl From<ModelError> for TestgenError {
    fn from(error: ModelError) -> TestgenError {
        TestgenError::Model(error.message)
    }
}

/// Asks the model for tests and, when `workbench` is given, runs and repairs them.
pub async fn generate(
    model: &dyn Model,
    workbench: Option<&dyn Workbench>,
    job: &Job,
    stages: StageSink,
) -> Result<Generated, TestgenError> {
    let mut messages = prompt::initial(job);
    let mut candidate = ask(model, job, messages.clone(), &stages).await?;
    let Some(workbench) = workbench.filter(|_| job.settings.verify) else {
        return Ok(finish(job, &candidate));
    };
    let custom = job.settings.command.as_deref().filter(|command| !command.trim().is_empty());
    let has_default_runner =
        !matches!(run::command(&job.plan, &[], false, None), run::CommandLine::Shell(ref line) if line.is_empty());
    let cannot_run = match (&job.plan.missing_runner, has_default_runner) {
        _ if custom.is_some() => None,
        (_, false) => Some(format!("set tests.command to run {} tests", job.plan.framework.label())),
        (Some(missing), true) => Some(missing.clone()),
        (None, true) => None,
    };
    if let Some(reason) = cannot_run {
        let mut generated = finish(job, &candidate);
        for test in &mut generated.tests {
            test.status = TestStatus::NotRun;
        }
        generated.not_run = Some(reason);
        return Ok(generated);
    }
    let mut rounds_left = job.settings.repair_rounds;
    loop {
        let verdict = run_candidate(workbench, job, &candidate, custom, &stages).await?;
        let (failing, failing_count, output) = match verdict {
            (run::Verdict::TimedOut, _) => return Err(TestgenError::TimedOut(job.settings.timeout.as_secs())),
            // The runner itself is missing: no model call can fix that; the tests are kept
            // unverified and the user learns what to install.
            (run::Verdict::NoRunner(reason), _) => {
                let mut generated = finish(job, &candidate);
                for test in &mut generated.tests {
                    test.status = TestStatus::NotRun;
                }
                generated.not_run = Some(reason);
                return Ok(generated);
            }
            (run::Verdict::DoesNotBuild(first), output) => {
                if rounds_left == 0 {
                    return Err(TestgenError::DoesNotBuild(first));
                }
                (format!("They do not compile or cannot be collected: {first}"), candidate.new_tests.len(), output)
            }
            (run::Verdict::Results(results), output) => {
                let failed: Vec<(String, String)> = results
                    .iter()
                    .filter_map(|(item, status)| status.as_ref().map(|reason| (item.path("::"), reason.clone())))
                    .collect();
                if failed.is_empty() {
                    return keep::keep(workbench, job, candidate, Vec::new(), custom, &stages).await;
                }
                if rounds_left == 0 {
                    let kept = drop_failing(job, &candidate, &failed)?;
                    return keep::keep(workbench, job, kept, failed, custom, &stages).await;
                }
                let names: Vec<&str> = failed.iter().map(|(name, _)| name.as_str()).collect();
                (format!("These tests failed: {}.", names.join(", ")), failed.len(), output)
            }
        };
        rounds_left -= 1;
        stages(Stage::Repairing { failing: failing_count });
        messages = prompt::repair(job, &candidate.text, &failing, &output);
        candidate = ask(model, job, messages.clone(), &stages).await?;
    }
}

/// One model call, its answer checked against the existing tests.
async fn ask(
    model: &dyn Model,
    job: &Job,
    messages: Vec<crate::model::ChatMessage>,
    stages: &StageSink,
) -> Result<Candidate, TestgenError> {
    let quoted = [job.source_path.as_path(), job.plan.test_path.as_path()];
    let messages = crate::model::Prompt::assemble(messages, &quoted, &job.exclude, job.root.as_deref())
        .map_err(|excluded| TestgenError::Model(excluded.to_string()))?;
    let request = ModelRequest {
        messages,
        urgency: Urgency::Background,
        thinking: job.settings.thinking,
        max_tokens: Some(job.settings.max_tokens),
    };
    let sink = stages.clone();
    let answer = crate::model::ask(model, request, Box::new(move |event| sink(Stage::Model(event)))).await?;
    match answer.finish {
        Finish::Complete => {}
        Finish::Truncated => return Err(TestgenError::Truncated),
        Finish::Blocked => return Err(TestgenError::Blocked),
        Finish::Other(reason) => {
            return Err(TestgenError::Model(format!("the model's answer ended unexpectedly ({reason})")))
        }
    }
    let code = crate::rewrite::extract_code(&answer.content, Some(job.language.name())).ok_or(TestgenError::NoCode)?;
    let code = match job.plan.destination {
        Destination::InlineModule { .. } => as_test_module(&code),
        Destination::File => code,
    };
    let code = match job.plan.destination {
        Destination::File => candidate::with_imports(job.language, &code, &job.plan.subject_imports),
        Destination::InlineModule { .. } => code,
    };
    Ok(candidate::reconcile(job.language, job.existing_tests.as_deref(), &code)?)
}

/// A Rust answer that is just test functions gets the module around it.
fn as_test_module(code: &str) -> String {
    if code.contains("mod tests") || code.contains("mod test ") {
        return code.to_string();
    }
    let body = crate::rewrite::reindent(code.trim_end(), "    ");
    let uses_super = body.contains("use super::");
    format!("#[cfg(test)]\nmod tests {{\n{}{body}\n}}", if uses_super { "" } else { "    use super::*;\n\n" })
}

/// Writes the candidate, runs its new tests and reads the verdict; the output comes along
/// for a repair round.
async fn run_candidate(
    workbench: &dyn Workbench,
    job: &Job,
    candidate: &Candidate,
    custom: Option<&str>,
    stages: &StageSink,
) -> Result<(run::Verdict, String), TestgenError> {
    let command = run::command(&job.plan, &candidate.new_tests, only_new(job), custom);
    let test_run = test_run(job, &candidate.text, command);
    tracing::info!(command = %test_run.command, cwd = %test_run.cwd.display(), "running the generated tests");
    stages(Stage::Running { tests: candidate.new_tests.len() });
    let output = workbench.run(test_run).await.map_err(TestgenError::Runner)?;
    let verdict = run::verdict(job.plan.framework, &output, &candidate.new_tests, custom.is_some());
    Ok((verdict, output.combined(12_000)))
}

/// The test file has other tests, so the new ones are selected by name.
fn only_new(job: &Job) -> bool {
    job.existing_tests.is_some() || matches!(job.plan.destination, Destination::InlineModule { .. })
}

/// The run of `command` with the test file holding `tests` (the file or module text).
fn test_run(job: &Job, tests: &str, command: run::CommandLine) -> run::TestRun {
    let mut env = vec![("PYTHONDONTWRITEBYTECODE".to_string(), "1".to_string())];
    if let Some(import_root) = &job.plan.import_root {
        let mut path = import_root.to_string_lossy().into_owned();
        if let Ok(existing) = std::env::var("PYTHONPATH") {
            path = format!("{path}:{existing}");
        }
        env.push(("PYTHONPATH".into(), path));
    }
    env.push(("CARGO_TERM_COLOR".into(), "never".into()));
    // `go test` needs a build cache; a server started without HOME has no default one.
    let has_cache_home = ["GOCACHE", "XDG_CACHE_HOME", "HOME"].iter().any(|name| std::env::var_os(name).is_some());
    if job.plan.framework == framework::Framework::GoTesting && !has_cache_home {
        env.push(("GOCACHE".into(), std::env::temp_dir().join("glm-lsp-go-cache").to_string_lossy().into_owned()));
    }
    env.push(("NO_COLOR".into(), "1".into()));
    run::TestRun {
        files: vec![(job.plan.test_path.clone(), job.file_with(tests))],
        command,
        cwd: job.plan.run_dir.clone(),
        env,
        hidden: job.settings.hidden.clone(),
        timeout: job.settings.timeout,
    }
}

/// The result with the candidate's tests unverified.
fn finish(job: &Job, candidate: &Candidate) -> Generated {
    let tests = candidate
        .new_tests
        .iter()
        .map(|item| TestReport { name: item.name.clone(), status: TestStatus::NotRun, runs: None, coverage: None })
        .collect();
    finish_with(job, candidate, tests)
}

/// The result: `candidate` is what is kept, `tests` says what became of every test.
fn finish_with(job: &Job, candidate: &Candidate, tests: Vec<TestReport>) -> Generated {
    Generated {
        test_path: job.plan.test_path.clone(),
        before: job.file_before(),
        after: job.file_with(&candidate.text),
        tests,
        repaired: candidate.repaired.clone(),
        not_run: None,
        covered_file: job.display_source.clone(),
    }
}

/// Removes the tests that still fail; nothing is left when all of them do.
fn drop_failing(job: &Job, candidate: &Candidate, failed: &[(String, String)]) -> Result<Candidate, TestgenError> {
    let names: Vec<String> = failed.iter().map(|(name, _)| name.clone()).collect();
    if failed.len() >= candidate.new_tests.len() {
        let (name, reason) = &failed[0];
        return Err(TestgenError::AllFailed(format!("{} failed: {reason}", name.rsplit("::").next().unwrap_or(name))));
    }
    Ok(without(job, candidate, &names))
}

/// The candidate without the tests at `paths`, removed from its text.
fn without(job: &Job, candidate: &Candidate, paths: &[String]) -> Candidate {
    Candidate {
        text: items::remove(job.language, &candidate.text, paths),
        new_tests: candidate.new_tests.iter().filter(|item| !paths.contains(&item.path("::"))).cloned().collect(),
        repaired: candidate.repaired.clone(),
    }
}

#[cfg(test)]
mod tests;
