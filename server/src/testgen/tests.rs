//! The generation pipeline with a scripted model and a scripted workbench.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::run::{RunOutput, TestRun};
use super::*;
use crate::language::is_test_file;
use crate::model::{EventSink, ModelAnswer, ModelRequest};

struct ScriptedModel {
    answers: Mutex<VecDeque<String>>,
    requests: Mutex<Vec<ModelRequest>>,
}

impl ScriptedModel {
    fn new(answers: &[&str]) -> ScriptedModel {
        ScriptedModel {
            answers: Mutex::new(answers.iter().map(|answer| answer.to_string()).collect()),
            requests: Mutex::default(),
        }
    }
}

impl Model for ScriptedModel {
    fn chat(&self, request: ModelRequest, _events: EventSink) -> BoxFuture<'static, Result<ModelAnswer, ModelError>> {
        self.requests.lock().unwrap().push(request);
        let content = self.answers.lock().unwrap().pop_front().expect("a scripted answer");
        Box::pin(async move { Ok(ModelAnswer { content, finish: Finish::Complete, reasoning_chars: 0 }) })
    }

    fn name(&self) -> String {
        "scripted".into()
    }
}

#[derive(Default)]
struct ScriptedBench {
    outputs: Mutex<VecDeque<RunOutput>>,
    runs: Mutex<Vec<TestRun>>,
}

impl Workbench for ScriptedBench {
    fn run(&self, run: TestRun) -> BoxFuture<'static, Result<RunOutput, String>> {
        self.runs.lock().unwrap().push(run);
        let output = self.outputs.lock().unwrap().pop_front().expect("a scripted run");
        Box::pin(async move { Ok(output) })
    }
}

fn bench(outputs: &[(&str, i32)]) -> ScriptedBench {
    ScriptedBench {
        outputs: Mutex::new(
            outputs
                .iter()
                .map(|(stdout, code)| RunOutput {
                    exit_code: Some(*code),
                    stdout: stdout.to_string(),
                    ..RunOutput::default()
                })
                .collect(),
        ),
        runs: Mutex::default(),
    }
}

struct NoFiles;

impl placement::ProjectFiles for NoFiles {
    fn is_file(&self, _: &Path) -> bool {
        false
    }
    fn is_dir(&self, _: &Path) -> bool {
        false
    }
    fn read(&self, _: &Path) -> Option<String> {
        None
    }
    fn refuse_write(&self, _: &Path) -> Option<String> {
        None
    }
    fn exclude(&self) -> Arc<crate::context::Exclude> {
        Arc::default()
    }
    fn list(&self, _: &Path) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
}

fn python_job(verify: bool, repair_rounds: u32) -> Job {
    let source = "def add(a, b):\n    return a + b\n";
    let tree = crate::language::parse_str(Language::Python, source).unwrap();
    let target = target::targets_at(Language::Python, source, &tree, 20..20).remove(0);
    let settings = Settings {
        verify,
        timeout: Duration::from_secs(5),
        repair_rounds,
        command: None,
        hidden: Default::default(),
        thinking: true,
        max_tokens: 4096,
        reliability_runs: 1,
        coverage: false,
    };
    prepare(
        &NoFiles,
        Some(Path::new("/w")),
        Path::new("/w/calc.py"),
        source,
        Language::Python,
        target,
        &|_| None,
        String::new(),
        settings,
    )
    .unwrap()
}

fn no_stages() -> StageSink {
    Arc::new(|_| {})
}

const TWO_TESTS: &str = "```python\nfrom calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n\n\ndef test_wrong():\n    assert add(1, 1) == 3\n```";

#[tokio::test]
async fn without_verification_the_answer_is_the_new_file() {
    let model = ScriptedModel::new(&[TWO_TESTS]);
    let job = python_job(false, 1);
    let generated = generate(&model, None, &job, no_stages()).await.unwrap();
    assert_eq!(generated.test_path, Path::new("/w/test_calc.py"));
    assert_eq!(generated.before, None);
    assert!(generated.after.starts_with("from calc import add\n"));
    assert_eq!(generated.summary(), "2 tests generated (not run)");
    let prompt = &model.requests.lock().unwrap()[0].messages[1].content;
    assert!(prompt.contains("    from calc import add\n"), "{prompt}");
    assert!(prompt.contains("def add(a, b):"));
    assert!(prompt.contains("pytest"));
}

#[tokio::test]
async fn a_failing_test_is_repaired_once_then_dropped() {
    let model = ScriptedModel::new(&[TWO_TESTS, TWO_TESTS]);
    let failing = "PASSED test_calc.py::test_adds\nFAILED test_calc.py::test_wrong - assert 2 == 3\n";
    let workbench = bench(&[(failing, 1), (failing, 1)]);
    let job = python_job(true, 1);
    let generated = generate(&model, Some(&workbench), &job, no_stages()).await.unwrap();
    assert!(generated.after.contains("def test_adds"));
    assert!(!generated.after.contains("test_wrong"), "{}", generated.after);
    assert_eq!(generated.summary(), "2 tests generated, 1 pass; 1 dropped: test_wrong failed: assert 2 == 3");
    // The repair request carries the runner's output.
    let requests = model.requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    let repair = &requests[1].messages.last().unwrap().content;
    assert!(repair.contains("These tests failed: test_wrong."), "{repair}");
    assert!(repair.contains("FAILED test_calc.py::test_wrong - assert 2 == 3"));
    // A new file: the whole file runs; the candidate is written where it belongs.
    let runs = workbench.runs.lock().unwrap();
    assert_eq!(runs[0].files[0].0, Path::new("/w/test_calc.py"));
    assert_eq!(runs[0].cwd, Path::new("/w"));
    assert!(
        runs[0].command.to_string().ends_with("pytest -rA -p no:cacheprovider -q --color=no test_calc.py"),
        "{}",
        runs[0].command
    );
    assert!(
        runs[0].env.contains(&("PYTHONPATH".into(), "/w".into()))
            || runs[0].env.iter().any(|(key, value)| key == "PYTHONPATH" && value.starts_with("/w"))
    );
}

#[tokio::test]
async fn a_repair_that_passes_keeps_everything() {
    let fixed = TWO_TESTS.replace("add(1, 1) == 3", "add(1, 1) == 2");
    let model = ScriptedModel::new(&[TWO_TESTS, &fixed]);
    let workbench = bench(&[
        ("PASSED test_calc.py::test_adds\nFAILED test_calc.py::test_wrong - assert 2 == 3\n", 1),
        ("PASSED test_calc.py::test_adds\nPASSED test_calc.py::test_wrong\n", 0),
    ]);
    let generated = generate(&model, Some(&workbench), &python_job(true, 1), no_stages()).await.unwrap();
    assert_eq!(generated.summary(), "2 tests generated, 2 pass");
    assert!(generated.after.contains("add(1, 1) == 2"));
}

#[tokio::test]
async fn tests_that_never_build_are_dropped() {
    let model = ScriptedModel::new(&[TWO_TESTS, TWO_TESTS]);
    let broken = "ERROR test_calc.py - ImportError: cannot import name 'add' from 'calc'\n";
    let workbench = bench(&[(broken, 2), (broken, 2)]);
    let error = generate(&model, Some(&workbench), &python_job(true, 1), no_stages()).await.unwrap_err();
    assert!(matches!(error, TestgenError::DoesNotBuild(ref first) if first.contains("ImportError")), "{error:?}");
    // Every test failing is no success either.
    let model = ScriptedModel::new(&[TWO_TESTS]);
    let all_fail = "FAILED test_calc.py::test_adds - boom\nFAILED test_calc.py::test_wrong - boom\n";
    let workbench = bench(&[(all_fail, 1)]);
    let error = generate(&model, Some(&workbench), &python_job(true, 0), no_stages()).await.unwrap_err();
    assert!(matches!(error, TestgenError::AllFailed(_)), "{error:?}");
}

#[test]
fn a_rust_module_is_appended_to_the_source() {
    let source = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
    let tree = crate::language::parse_str(Language::Rust, source).unwrap();
    let target = target::targets_at(Language::Rust, source, &tree, 40..40).remove(0);
    let settings = Settings {
        verify: false,
        timeout: Duration::from_secs(5),
        repair_rounds: 1,
        command: None,
        hidden: Default::default(),
        thinking: true,
        max_tokens: 4096,
        reliability_runs: 1,
        coverage: false,
    };
    let job = prepare(
        &NoFiles,
        None,
        Path::new("/w/src/lib.rs"),
        source,
        Language::Rust,
        target,
        &|_| None,
        String::new(),
        settings,
    )
    .unwrap();
    let module = "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n";
    assert_eq!(job.file_with(module), format!("{source}\n{module}"));
    assert_eq!(
        as_test_module("#[test]\nfn adds() {}"),
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {}\n}"
    );
}

#[test]
fn test_files_and_names() {
    for path in
        ["a/test_x.py", "a/x_test.go", "src/x.test.ts", "src/__tests__/x.ts", "src/test/java/AT.java", "conftest.py"]
    {
        assert!(is_test_file(Path::new(path)), "{path}");
    }
    for path in ["a/x.py", "src/testing.rs", "src/contest.ts", "lib/attest.go"] {
        assert!(!is_test_file(Path::new(path)), "{path}");
    }
    let text = "class Stack:\n    def push(self):\n        pass\n\ndef push():\n    pass\n";
    assert_eq!(find_by_name(Language::Python, text, "Stack.push").unwrap().owner.as_deref(), Some("Stack"));
    assert_eq!(find_by_name(Language::Python, text, "push").unwrap().range.start, text.find("\ndef push").unwrap() + 1);
    assert_eq!(find_by_name(Language::Python, text, "Stack").unwrap().kind, TargetKind::Type);
}

const TWO_GOOD_TESTS: &str = "```python\nfrom calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n```";

const BOTH_PASS: &str = "PASSED test_calc.py::test_adds\nPASSED test_calc.py::test_zero\n";

#[tokio::test]
async fn a_test_failing_a_later_run_is_dropped_as_flaky_without_a_repair() {
    let model = ScriptedModel::new(&[TWO_GOOD_TESTS]);
    let once = "PASSED test_calc.py::test_adds\nFAILED test_calc.py::test_zero - assert 1 == 0\n";
    // Runs 2 and 3 in one process, each ended by its marker.
    let reruns = format!("{once}\n@@glm-lsp-run-end 1\n{BOTH_PASS}\n@@glm-lsp-run-end 0\n");
    let workbench = bench(&[(BOTH_PASS, 0), (&reruns, 0)]);
    let mut job = python_job(true, 1);
    job.settings.reliability_runs = 3;
    let generated = generate(&model, Some(&workbench), &job, no_stages()).await.unwrap();
    assert_eq!(
        generated.summary(),
        "2 tests generated, 1 pass; 1 dropped: test_zero is flaky (passed 2/3 runs): run 2: assert 1 == 0"
    );
    assert!(!generated.after.contains("test_zero"), "{}", generated.after);
    assert_eq!(model.requests.lock().unwrap().len(), 1);
    let runs = workbench.runs.lock().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].command.to_string().matches("pytest").count(), 2, "{}", runs[1].command);
    assert_eq!(runs[1].timeout, job.settings.timeout * 2);
    assert_eq!(generated.tests[1].line(), "test_zero: built, passed 2/3 — dropped: flaky");
}

#[tokio::test]
async fn a_rerun_that_no_longer_builds_fails_every_test() {
    let model = ScriptedModel::new(&[TWO_GOOD_TESTS]);
    let broken = "ERROR test_calc.py - ImportError: cannot import name 'add' from 'calc'\n";
    let rerun = format!("{broken}\n@@glm-lsp-run-end 2\n");
    let workbench = bench(&[(BOTH_PASS, 0), (&rerun, 0)]);
    let mut job = python_job(true, 1);
    job.settings.reliability_runs = 2;
    let error = generate(&model, Some(&workbench), &job, no_stages()).await.unwrap_err();
    assert!(
        matches!(error, TestgenError::NoneKept(ref why) if why.starts_with("test_adds is flaky (passed 1/2 runs): run 2: it did not build: ") && why.contains("ImportError")),
        "{error:?}"
    );
}

#[tokio::test]
async fn coverage_keeps_the_tests_that_cover_new_lines() {
    let model = ScriptedModel::new(&[TWO_GOOD_TESTS]);
    let report = |lines: &[u32]| {
        let records: String = lines.iter().map(|line| format!("DA:{line},1\n")).collect();
        format!("\n@@glm-lsp-coverage-report@@\nSF:calc.py\n{records}end_of_record\n")
    };
    // The baseline (the file only loaded) covers the `def` line; test_adds adds line 2,
    // test_zero nothing beyond the baseline.
    let baseline = report(&[1]);
    let adds = report(&[1, 2]);
    let zero = report(&[1]);
    let workbench = bench(&[(BOTH_PASS, 0), (&baseline, 4), (&adds, 0), (&zero, 0)]);
    let mut job = python_job(true, 1);
    job.settings.coverage = true;
    let generated = generate(&model, Some(&workbench), &job, no_stages()).await.unwrap();
    assert_eq!(
        generated.summary(),
        "2 tests generated, 1 pass; 1 dropped: test_zero covers no line of calc.py the existing tests do not; 1 line of calc.py covered added"
    );
    let runs = workbench.runs.lock().unwrap();
    assert!(
        runs[1].command.to_string().contains("-m coverage run --data-file=\"$t/data\" -m pytest"),
        "{}",
        runs[1].command
    );
    assert!(runs[1].command.to_string().contains("test_calc.py::glm_lsp_no_test_selected"), "{}", runs[1].command);
    assert!(runs[2].command.to_string().contains("test_calc.py::test_adds;"), "{}", runs[2].command);
    assert!(!generated.after.contains("test_zero"));
    assert_eq!(generated.tests[0].line(), "test_adds: built, passed 1/1, 1 line covered added");
}
