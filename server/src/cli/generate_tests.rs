//! `glm-lsp generate-tests FILE (--line L | --function NAME)`: the editor's code path for CI.
//! Prints a unified diff `git apply` accepts (or JSON), writes it with `--write`, and tells
//! how it went on stderr while the model thinks.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::config::Config;
use crate::context::{gather, path_to_uri, ContextInput, Exclude, WorkspaceIndex};
use crate::document::Document;
use crate::language::Language;
use crate::testgen::placement::Disk;
use crate::testgen::{generate, patch, prepare, render_context, Coverage, Generated, Settings, Stage, TestStatus};
use crate::workspace_path::PathGuard;

/// The command line's choices (`glm-lsp generate-tests`'s flags).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The source file.
    pub file: PathBuf,
    /// A line inside the function or type (1-based, as editors show it).
    #[arg(long, conflicts_with = "function", required_unless_present = "function")]
    pub line: Option<usize>,
    /// The function, method (`Type.method`) or type to test.
    #[arg(long)]
    pub function: Option<String>,
    /// The workspace root: diff paths are relative to it (default: the current directory).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Write the change instead of only printing it.
    #[arg(long)]
    pub write: bool,
    /// Run the new tests, repair them once from the failures, keep only those that pass.
    #[arg(long)]
    pub verify: bool,
    /// The test command (`{file}` and `{names}` are filled in) instead of the default.
    #[arg(long)]
    pub test_command: Option<String>,
    /// Print JSON: {file, created, diff, content, tests: [{name, status, reason, dropped_because,
    /// built, runs_passed, runs, lines_covered_added, coverage_not_measured}], summary}.
    #[arg(long)]
    pub json: bool,
    /// With --verify: runs a test must pass, counting the first, to be kept (default:
    /// `tests.reliabilityRuns`, 3); a test that fails any of them is dropped as flaky.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub reliability_runs: Option<u32>,
    /// With --verify: drop tests that cover no line of the file under test that the existing
    /// tests do not (coverage.py, go test -cover, cargo llvm-cov, c8, when installed).
    #[arg(long)]
    pub coverage: bool,
}

/// What to print and how to exit.
pub struct Outcome {
    pub stdout: String,
    pub success: bool,
}

pub async fn run(options: &Options, config: &Config) -> anyhow::Result<Outcome> {
    let root = std::path::absolute(&options.root).context("cannot resolve --root")?;
    let file =
        std::path::absolute(&options.file).with_context(|| format!("cannot resolve {}", options.file.display()))?;
    let exclude = Arc::new(Exclude::lenient(&config.context.exclude));
    let guard = PathGuard::new(&root, exclude.clone()).context("cannot use --root")?;
    let text = guard.read(&file, config.context.max_file_bytes.max(16 << 20))?;
    let language = Language::from_path(&file)
        .filter(|language| !matches!(language, Language::Json | Language::Toml))
        .with_context(|| format!("{} is not in a language glm-lsp generates tests for", file.display()))?;
    let mut document = Document::new(path_to_uri(&file), language.name().to_string(), 0, &text);
    document.tree.as_ref().context("the file could not be parsed")?;
    let target = match (&options.function, options.line) {
        (Some(name), _) => crate::testgen::find_by_name(language, &text, name)
            .with_context(|| format!("no function, method or type named `{name}` in {}", file.display()))?,
        (None, Some(line)) => {
            let rope = &document.rope;
            if line == 0 || line > rope.len_lines() {
                bail!("--line {line} is outside {} (lines are counted from 1)", file.display());
            }
            let start = rope.line_to_byte(line - 1);
            let line_text = rope.line(line - 1).to_string();
            // The first non-blank character, so a line's indentation does not fall outside.
            let offset = start + (line_text.len() - line_text.trim_start().len()).min(line_text.trim_end().len());
            document.parse_around(offset..offset);
            let tree = document.tree.as_ref().context("the file could not be parsed")?;
            crate::testgen::target::targets_at(language, &text, tree, offset..offset)
                .into_iter()
                .next()
                .with_context(|| format!("no function, method or type at {}:{line}", file.display()))?
        }
        (None, None) => bail!("say which code to test: --line L or --function NAME"),
    };
    if config.api_key.is_none() {
        bail!("no API key: set GLM_API_KEY (or ZHIPUAI_API_KEY, ZAI_API_KEY) in the environment");
    }

    let index = WorkspaceIndex::new(&exclude);
    index.set_max_file_bytes(config.context.max_file_bytes);
    index.build(std::slice::from_ref(&root));
    // The context is gathered at the target: a large file's window goes there.
    document.parse_around(target.range.clone());
    let context = gather(&ContextInput {
        document: &document,
        offset: (target.range.start + 1).min(text.len()),
        open_documents: std::slice::from_ref(&document),
        workspace: &index,
        root: Some(&root),
        budget_tokens: config.context.budget_tokens,
        exclude: &exclude,
    });
    let settings = Settings {
        verify: options.verify,
        timeout: Duration::from_secs(config.tests.timeout_secs),
        repair_rounds: config.tests.repair_rounds,
        command: options.test_command.clone().or_else(|| config.tests.command.clone()),
        hidden: crate::testgen::hidden_env::Hidden::from_config(config),
        thinking: config.thinking,
        max_tokens: config.actions.max_tokens,
        reliability_runs: options.reliability_runs.unwrap_or(config.tests.reliability_runs).max(1),
        coverage: options.coverage || config.tests.coverage,
    };
    let job = prepare(
        &Disk::new(guard.clone()),
        Some(&root),
        &file,
        &text,
        language,
        target,
        &|_| None,
        render_context(&context),
        settings,
    )
    .map_err(anyhow::Error::msg)?;
    eprintln!(
        "generating tests for `{}` in {} ({})",
        job.target.display_name(),
        job.display_test,
        job.plan.framework.label()
    );
    if let Some(precedent) = &job.plan.precedent {
        eprintln!("{}", precedent.sentence);
    }

    let model = crate::glm::GlmClient::new(config.glm_settings());
    let workbench = crate::testgen::DiskWorkbench { guard: guard.clone() };
    let workbench: Option<&dyn crate::testgen::Workbench> = options.verify.then_some(&workbench as _);
    let generated = match generate(&model, workbench, &job, progress_on_stderr()).await {
        Ok(generated) => generated,
        Err(error) => {
            end_progress_line();
            bail!("{error}")
        }
    };
    end_progress_line();
    eprintln!("{}", generated.summary());
    if options.verify {
        eprint!("{}", generated.report());
    }

    let relative = job.display_test.clone();
    let diff = patch::unified(&relative, generated.before.as_deref(), &generated.after);
    if options.write {
        write_result(&guard, &generated)?;
        eprintln!("wrote {relative}");
    }
    let precedent = job.plan.precedent.as_ref().map(|precedent| precedent.sentence.as_str());
    let stdout = if options.json { json(&generated, &relative, &diff, precedent).to_string() } else { diff };
    let success = !generated.tests.is_empty()
        && (!options.verify || generated.tests.iter().any(|test| test.status == TestStatus::Passed));
    Ok(Outcome { stdout, success })
}

fn end_progress_line() {
    use std::io::IsTerminal as _;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}

fn write_result(guard: &PathGuard, generated: &Generated) -> anyhow::Result<()> {
    let path = &generated.test_path;
    let resolved = guard.check_write(path)?;
    // The file must still be what the model saw.
    let now = std::fs::read_to_string(&resolved).ok();
    if now != generated.before {
        bail!("{} changed while the model was thinking; nothing was written", path.display());
    }
    Ok(guard.write(path, &generated.after)?)
}

/// `precedent`: the existing tests the placement followed, as said on stderr.
fn json(generated: &Generated, relative: &str, diff: &str, precedent: Option<&str>) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = generated
        .tests
        .iter()
        .map(|test| {
            let (status, dropped_because, reason) = match &test.status {
                TestStatus::NotRun => ("not_run", None, None),
                TestStatus::Passed => ("passed", None, None),
                TestStatus::Dropped(reason) => ("dropped", Some("failed"), Some(reason.clone())),
                TestStatus::Flaky(reason) => ("dropped", Some("flaky"), Some(reason.clone())),
                TestStatus::NoCoverage => ("dropped", Some("no_coverage"), None),
            };
            let (lines_added, not_measured) = match &test.coverage {
                Some(Coverage::Added(lines)) => (Some(*lines), None),
                Some(Coverage::NotMeasured(why)) => (None, Some(why.clone())),
                None => (None, None),
            };
            serde_json::json!({
                "name": test.name,
                "status": status,
                "reason": reason,
                "dropped_because": dropped_because,
                "built": test.runs.map(|_| true),
                "runs_passed": test.runs.map(|(passed, _)| passed),
                "runs": test.runs.map(|(_, runs)| runs),
                "lines_covered_added": lines_added,
                "coverage_not_measured": not_measured,
            })
        })
        .collect();
    serde_json::json!({
        "file": relative,
        "created": generated.before.is_none(),
        "precedent": precedent,
        "diff": diff,
        "content": generated.after,
        "tests": tests,
        "summary": generated.summary(),
    })
}

/// One status line on stderr, rewritten in place at most four times a second on a terminal;
/// in a CI log, one line per stage.
fn progress_on_stderr() -> crate::testgen::StageSink {
    use std::io::IsTerminal as _;
    let terminal = std::io::stderr().is_terminal();
    let last = Arc::new(Mutex::new((Instant::now() - Duration::from_secs(1), String::new())));
    Arc::new(move |stage: Stage| {
        let message = match stage {
            Stage::Model(event) => match event {
                crate::model::ModelEvent::Queued => "waiting for a free slot…".to_string(),
                crate::model::ModelEvent::Thinking { tokens } => format!("thinking… {tokens} tokens"),
                crate::model::ModelEvent::Writing { tokens } => format!("writing… {tokens} tokens"),
                crate::model::ModelEvent::Retrying { attempt, reason } => format!("retrying ({attempt}): {reason}"),
            },
            other => other.describe_run().unwrap_or_default(),
        };
        let mut last = last.lock().unwrap_or_else(|poison| poison.into_inner());
        let stage_word = message.split_whitespace().next().unwrap_or_default().to_string();
        let same_stage = last.1 == stage_word;
        if same_stage && (!terminal || last.0.elapsed() < Duration::from_millis(250)) {
            return;
        }
        *last = (Instant::now(), stage_word);
        let mut stderr = std::io::stderr().lock();
        let _ = if terminal { write!(stderr, "\r\x1b[2K{message}") } else { writeln!(stderr, "{message}") };
        let _ = stderr.flush();
    })
}
