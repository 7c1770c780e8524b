//! `--verify` keeps only tests worth keeping (issue 20, item 6), with the real runners: a test
//! that passes every other run is dropped as flaky after `reliabilityRuns` runs, and with
//! `--coverage` a test that covers no line the existing tests do not is dropped (coverage.py,
//! `go test -coverprofile`); the file on disk, the per-test report on stderr and the `--json`
//! records say what happened to each test.

use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

async fn cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> (i32, String, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fenced(language: &str, code: &str) -> Reply {
    Reply::text(format!("```{language}\n{code}```"))
}

/// `(name, status, dropped_because, runs_passed, runs, lines_covered_added)` of each record.
type Record = (String, String, Option<String>, Option<u64>, Option<u64>, Option<u64>);

fn records(json: &str) -> Vec<Record> {
    let result: Value = serde_json::from_str(json).unwrap_or_else(|error| panic!("{error}: {json}"));
    result["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| {
            (
                test["name"].as_str().unwrap().to_string(),
                test["status"].as_str().unwrap().to_string(),
                test["dropped_because"].as_str().map(str::to_string),
                test["runs_passed"].as_u64(),
                test["runs"].as_u64(),
                test["lines_covered_added"].as_u64(),
            )
        })
        .collect()
}

fn record(name: &str, status: &str, dropped: Option<&str>, runs: (u64, u64), lines: Option<u64>) -> Record {
    (name.into(), status.into(), dropped.map(str::to_string), Some(runs.0), Some(runs.1), lines)
}

const CALC_PY: &str = "def add(a, b):\n    return a + b\n";

/// A stable test and one that fails every other run: the marker file outside the project
/// flips at each run.
fn flaky_answer(marker: &std::path::Path) -> String {
    format!(
        "import os\n\nfrom calc import add\n\nMARKER = {marker:?}\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n\n\ndef test_sometimes():\n    if os.path.exists(MARKER):\n        os.remove(MARKER)\n        assert False, \"fails every other run\"\n    open(MARKER, \"w\").close()\n    assert add(0, 0) == 0\n"
    )
}

#[tokio::test]
async fn a_test_that_passes_every_other_run_is_dropped_as_flaky() {
    let files = [("pyproject.toml", "[project]\nname = \"calc\"\n"), ("calc.py", CALC_PY), ("tests/conftest.py", "")];
    let project = TempProject::new("testgen-keep-flaky", &files);
    let marker = std::env::temp_dir().join(format!("glm-lsp-flaky-marker-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let answer = flaky_answer(&marker);
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced("python", &answer));
    let (code, stdout, stderr) =
        cli(&project, &mock, &["calc.py", "--function", "add", "--verify", "--json", "--write"]).await;
    let _ = std::fs::remove_file(&marker);
    assert_eq!(code, 0, "{stderr}");
    // Run 1 (the verification) passed both; run 2 failed the flaky one; run 3 passed it again.
    assert_eq!(
        records(&stdout),
        [
            record("test_adds", "passed", None, (3, 3), None),
            record("test_sometimes", "dropped", Some("flaky"), (2, 3), None)
        ],
        "{stdout}"
    );
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let reason = result["tests"][1]["reason"].as_str().unwrap();
    assert!(reason.starts_with("run 2: ") && reason.contains("fails every other"), "{reason}");
    assert!(stderr.contains("  test_adds: built, passed 3/3\n"), "{stderr}");
    assert!(stderr.contains("  test_sometimes: built, passed 2/3 — dropped: flaky\n"), "{stderr}");
    assert!(
        stderr.contains("2 tests generated, 1 pass; 1 dropped: test_sometimes is flaky (passed 2/3 runs): run 2: "),
        "{stderr}"
    );
    // The flaky test is gone from the file, the way a failing one is.
    let written = project.read("tests/test_calc.py").unwrap();
    assert!(written.contains("def test_adds():"), "{written}");
    assert!(!written.contains("test_sometimes"), "{written}");
    // The repair round was not spent on it: one model call.
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn one_reliability_run_keeps_what_passed_once() {
    let files = [("pyproject.toml", "[project]\nname = \"calc\"\n"), ("calc.py", CALC_PY), ("tests/conftest.py", "")];
    let project = TempProject::new("testgen-keep-one-run", &files);
    let marker = std::env::temp_dir().join(format!("glm-lsp-flaky-marker-once-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced("python", &flaky_answer(&marker)));
    let (code, stdout, stderr) =
        cli(&project, &mock, &["calc.py", "--function", "add", "--verify", "--json", "--reliability-runs", "1"]).await;
    let _ = std::fs::remove_file(&marker);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        records(&stdout),
        [record("test_adds", "passed", None, (1, 1), None), record("test_sometimes", "passed", None, (1, 1), None)]
    );
    assert!(stderr.contains("2 tests generated, 2 pass\n"), "{stderr}");
}

const CLASSIFY_PY: &str = "def classify(n):\n    if n < 0:\n        return \"negative\"\n    if n == 0:\n        return \"zero\"\n    return \"positive\"\n";

const EXISTING_PY: &str =
    "from calc import classify\n\n\ndef test_positive():\n    assert classify(3) == \"positive\"\n";

const COVERAGE_ANSWER_PY: &str = "from calc import classify\n\n\ndef test_positive():\n    assert classify(3) == \"positive\"\n\n\ndef test_negative():\n    assert classify(-1) == \"negative\"\n\n\ndef test_large_positive():\n    assert classify(10**9) == \"positive\"\n\n\ndef test_zero():\n    assert classify(0) == \"zero\"\n";

#[tokio::test]
async fn a_python_test_that_covers_nothing_new_is_dropped_with_coverage() {
    let files = [
        ("pyproject.toml", "[project]\nname = \"calc\"\n"),
        ("calc.py", CLASSIFY_PY),
        ("tests/conftest.py", ""),
        ("tests/test_calc.py", EXISTING_PY),
    ];
    let project = TempProject::new("testgen-keep-coverage-py", &files);
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced("python", COVERAGE_ANSWER_PY));
    let args =
        ["calc.py", "--function", "classify", "--verify", "--coverage", "--reliability-runs", "2", "--json", "--write"];
    let (code, stdout, stderr) = cli(&project, &mock, &args).await;
    assert_eq!(code, 0, "{stderr}");
    // The existing test covers lines 1, 2, 4 and 6; `-1` adds line 3, `0` adds line 5, and
    // another positive number adds nothing.
    assert_eq!(
        records(&stdout),
        [
            record("test_negative", "passed", None, (2, 2), Some(1)),
            record("test_zero", "passed", None, (2, 2), Some(1)),
            record("test_large_positive", "dropped", Some("no_coverage"), (2, 2), Some(0)),
        ],
        "{stdout}"
    );
    assert!(stderr.contains("  test_negative: built, passed 2/2, 1 line covered added\n"), "{stderr}");
    assert!(
        stderr.contains(
            "  test_large_positive: built, passed 2/2, 0 lines covered added — dropped: it covers nothing new\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "3 tests generated, 2 pass; 1 dropped: test_large_positive covers no line of calc.py the existing tests do not; 2 lines of calc.py covered added"
        ),
        "{stderr}"
    );
    let written = project.read("tests/test_calc.py").unwrap();
    assert!(written.starts_with(EXISTING_PY), "{written}");
    assert!(written.contains("def test_negative():") && written.contains("def test_zero():"), "{written}");
    assert!(!written.contains("test_large_positive"), "{written}");
    // The tool's data went to a temporary directory, not into the project.
    assert!(
        project.files().iter().all(|file| !file.contains(".coverage") && !file.contains("lcov")),
        "{:?}",
        project.files()
    );
}

#[tokio::test]
async fn without_coverage_py_the_tests_are_kept_and_the_reason_said_once() {
    // The project's own Python (a `.venv` the verify command prefers) lacks coverage.py.
    let python = "#!/bin/sh\ncase \"$*\" in *\"-m coverage\"*) echo \"$0: No module named coverage\" >&2; exit 1;; esac\nexec python3 \"$@\"\n";
    let files = [
        ("pyproject.toml", "[project]\nname = \"calc\"\n"),
        ("calc.py", CLASSIFY_PY),
        ("tests/conftest.py", ""),
        ("tests/test_calc.py", EXISTING_PY),
        (".venv/bin/python", python),
    ];
    let project = TempProject::new("testgen-keep-no-coverage-tool", &files);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(project.path(".venv/bin/python"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced("python", COVERAGE_ANSWER_PY));
    let args = ["calc.py", "--function", "classify", "--verify", "--coverage", "--reliability-runs", "1", "--json"];
    let (code, stdout, stderr) = cli(&project, &mock, &args).await;
    assert_eq!(code, 0, "{stderr}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let why = "coverage.py is not installed (pip install coverage)";
    for test in result["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "passed", "{stdout}");
        assert_eq!(test["coverage_not_measured"], why, "{stdout}");
    }
    assert_eq!(result["tests"].as_array().unwrap().len(), 3);
    let summary = result["summary"].as_str().unwrap();
    assert_eq!(summary, format!("3 tests generated, 3 pass; coverage not measured: {why}"));
    assert_eq!(stderr.matches(why).count(), 1, "said once: {stderr}");
    assert!(stderr.contains("  test_zero: built, passed 1/1, coverage not measured\n"), "{stderr}");
}

const SIGN_GO: &str = "package calc\n\n// Sign says whether n is negative, zero or positive.\nfunc Sign(n int) string {\n\tif n < 0 {\n\t\treturn \"negative\"\n\t}\n\tif n == 0 {\n\t\treturn \"zero\"\n\t}\n\treturn \"positive\"\n}\n";

const EXISTING_GO: &str = "package calc\n\nimport \"testing\"\n\nfunc TestPositive(t *testing.T) {\n\tif got := Sign(3); got != \"positive\" {\n\t\tt.Fatalf(\"Sign(3) = %q\", got)\n\t}\n}\n";

const COVERAGE_ANSWER_GO: &str = "package calc\n\nimport \"testing\"\n\nfunc TestPositive(t *testing.T) {\n\tif got := Sign(3); got != \"positive\" {\n\t\tt.Fatalf(\"Sign(3) = %q\", got)\n\t}\n}\n\nfunc TestNegative(t *testing.T) {\n\tif got := Sign(-2); got != \"negative\" {\n\t\tt.Fatalf(\"Sign(-2) = %q\", got)\n\t}\n}\n\nfunc TestLargePositive(t *testing.T) {\n\tif got := Sign(1 << 40); got != \"positive\" {\n\t\tt.Fatalf(\"Sign(1<<40) = %q\", got)\n\t}\n}\n";

#[tokio::test]
async fn a_go_test_that_covers_nothing_new_is_dropped_with_coverage() {
    let files =
        [("go.mod", "module example.com/calc\n\ngo 1.19\n"), ("sign.go", SIGN_GO), ("sign_test.go", EXISTING_GO)];
    let project = TempProject::new("testgen-keep-coverage-go", &files);
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced("go", COVERAGE_ANSWER_GO));
    let args =
        ["sign.go", "--function", "Sign", "--verify", "--coverage", "--reliability-runs", "1", "--json", "--write"];
    let (code, stdout, stderr) = cli(&project, &mock, &args).await;
    assert_eq!(code, 0, "{stderr}");
    // The existing test runs lines 4-5, 8 and 11; a negative number adds the block of lines 5-7.
    let found = records(&stdout);
    assert_eq!(
        found.iter().map(|record| (record.0.as_str(), record.1.as_str(), record.2.as_deref())).collect::<Vec<_>>(),
        [("TestNegative", "passed", None), ("TestLargePositive", "dropped", Some("no_coverage"))],
        "{stdout}"
    );
    assert!(found[0].5.is_some_and(|lines| lines > 0), "{stdout}");
    assert_eq!(found[1].5, Some(0), "{stdout}");
    assert!(stderr.contains("TestLargePositive covers no line of sign.go the existing tests do not"), "{stderr}");
    let written = project.read("sign_test.go").unwrap();
    assert!(written.starts_with(EXISTING_GO) && written.contains("func TestNegative("), "{written}");
    assert!(!written.contains("TestLargePositive"), "{written}");
}

#[tokio::test]
async fn the_editor_is_told_what_was_kept_and_why_in_brief() {
    let files = [
        ("pyproject.toml", "[project]\nname = \"calc\"\n"),
        ("calc.py", CLASSIFY_PY),
        ("tests/conftest.py", ""),
        ("tests/test_calc.py", EXISTING_PY),
    ];
    let project = TempProject::new("testgen-keep-editor", &files);
    let settings = json!({ "tests": { "verify": true, "coverage": true, "reliabilityRuns": 2 } });
    let mut setup = Setup::with_options(ClientOptions {
        initialization_options: settings,
        root: Some(project.dir.clone()),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.add_rule("Task: write unit tests", fenced("python", COVERAGE_ANSWER_PY));
    let uri = project.uri("calc.py");
    setup.client.open(&uri, "python", CLASSIFY_PY).await.unwrap();
    setup
        .client
        .request(
            "workspace/executeCommand",
            json!({ "command": "glm-lsp.generateTests", "arguments": [{ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 4 } }] }),
        )
        .await
        .unwrap();
    let mut reports = Vec::new();
    let message = loop {
        let progress = setup.client.expect_notification("$/progress", Duration::from_secs(120)).await.unwrap();
        let value = &progress["value"];
        if let Some(text) = value["message"].as_str() {
            reports.push(text.to_string());
        }
        if value["kind"] == "end" {
            break value["message"].as_str().unwrap_or_default().to_string();
        }
    };
    assert_eq!(
        message,
        "3 tests generated, 2 pass; 1 dropped: test_large_positive covers no line of calc.py the existing tests do not; 2 lines of calc.py covered added in tests/test_calc.py"
    );
    assert!(reports.iter().any(|text| text == "checking for flaky tests: 1 more run…"), "{reports:?}");
    assert!(reports.iter().any(|text| text == "measuring the coverage of 3 tests…"), "{reports:?}");
    let shown = setup.client.expect_notification("window/showMessage", Duration::from_secs(10)).await.unwrap();
    assert_eq!(shown["message"], format!("glm-lsp: {message}"));
    let edited = setup.client.text(&project.uri("tests/test_calc.py"));
    assert!(edited.starts_with(EXISTING_PY) && edited.contains("def test_zero():"), "{edited}");
    assert!(!edited.contains("test_large_positive"), "{edited}");
    setup.shutdown().await;
}
