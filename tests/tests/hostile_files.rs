//! A hostile repository's links, through the built binary and the mock GLM server: a test
//! file that is a link to `.env` or out of the workspace, a `tests` folder that leads out, a
//! watched link to a folder outside the root. Nothing outside the workspace or excluded is
//! read into a prompt, and nothing is written through a link.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TempProject};
use glm_lsp_e2e::lsp_client::{file_uri, ClientOptions};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

const CALC_PY: &str = "def add(a, b):\n    return a + b\n";
const ENV: &str = "DATABASE_PASSWORD=hunter2-env-secret-4471\n";
const ENV_SECRET: &str = "hunter2-env-secret-4471";
/// A test file outside the workspace: its content must never reach the model.
const OUTSIDE_TESTS: &str = "def test_outside_marker_7c1e():\n    assert True\n";
const TESTS_ANSWER: &str = "from calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n";

async fn start(project: &TempProject, settings: Value) -> Setup {
    Setup::with_options(ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: settings,
        ..ClientOptions::default()
    })
    .await
}

fn answer_with_tests(mock: &MockGlm) {
    mock.add_rule("Task: write unit tests", Reply::text(format!("```python\n{TESTS_ANSWER}```")));
}

/// Runs "Generate tests for `add`" in calc.py and returns the progress's end message.
async fn generate_for_add(setup: &mut Setup, project: &TempProject) -> String {
    let uri = project.uri("calc.py");
    setup.client.open(&uri, "python", CALC_PY).await.unwrap();
    let position = setup.client.position_after(&uri, "return a +");
    let actions = setup.code_actions(&uri, json!({ "start": position, "end": position })).await;
    let action = actions
        .iter()
        .find(|action| action["title"] == "GLM: Generate tests for `add`")
        .unwrap_or_else(|| panic!("no test action in {actions:#?}"))
        .clone();
    setup.execute_action(&action).await;
    setup.action_progress_end(Duration::from_secs(60)).await
}

fn applied_edits(setup: &Setup) -> Vec<&Value> {
    setup.client.server_requests.iter().filter(|request| request["method"] == "workspace/applyEdit").collect()
}

/// No request the mock received holds `needle`, in any part of its body.
fn never_sent(mock: &MockGlm, needle: &str) {
    for request in mock.requests() {
        assert!(!request.raw_body.contains(needle), "{needle:?} reached the model:\n{}", request.raw_body);
    }
}

/// A folder outside every project, removed at the end.
struct Outside(std::path::PathBuf);

impl Outside {
    fn new(name: &str, files: &[(&str, &str)]) -> Outside {
        let dir = std::env::temp_dir().join(format!("glm-lsp-outside-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Outside(dir)
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.0.join(relative)
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_symlink())
}

#[tokio::test]
async fn a_test_file_linked_to_dot_env_is_neither_read_nor_written() {
    let project = TempProject::new(
        "hostile-link-env",
        &[("pyproject.toml", "[project]\nname = \"calc\"\n"), ("calc.py", CALC_PY), (".env", ENV)],
    );
    std::fs::create_dir_all(project.path("tests")).unwrap();
    symlink("../.env", project.path("tests/test_calc.py")).unwrap();
    // Verification on: the run would write the candidate through the link.
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    answer_with_tests(&setup.mock);
    let message = generate_for_add(&mut setup, &project).await;
    assert!(message.contains("tests/test_calc.py matches context.exclude"), "{message}");
    assert!(message.contains("nothing was read or written"), "{message}");
    let shown = setup.take_messages();
    assert!(shown.iter().any(|shown| shown.contains("context.exclude")), "{shown:?}");
    never_sent(&setup.mock, ENV_SECRET);
    assert!(applied_edits(&setup).is_empty());
    assert_eq!(project.read(".env").unwrap(), ENV);
    assert!(is_link(&project.path("tests/test_calc.py")), "the link is left as it was");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_existing_test_file_linked_out_of_the_workspace_is_neither_read_nor_edited() {
    let outside = Outside::new("edit", &[("test_calc.py", OUTSIDE_TESTS)]);
    let project = TempProject::new("hostile-link-out", &[("calc.py", CALC_PY), ("tests/conftest.py", "")]);
    symlink(outside.path("test_calc.py"), project.path("tests/test_calc.py")).unwrap();
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    answer_with_tests(&setup.mock);
    let message = generate_for_add(&mut setup, &project).await;
    assert!(message.contains("is outside the workspace"), "{message}");
    setup.take_messages();
    never_sent(&setup.mock, "test_outside_marker_7c1e");
    assert!(applied_edits(&setup).is_empty());
    assert_eq!(std::fs::read_to_string(outside.path("test_calc.py")).unwrap(), OUTSIDE_TESTS);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_tests_folder_leading_out_of_the_workspace_gets_no_created_file() {
    let outside = Outside::new("create", &[("keep.txt", "outside\n")]);
    let project = TempProject::new("hostile-folder-out", &[("calc.py", CALC_PY)]);
    symlink(&outside.0, project.path("tests")).unwrap();
    let mut setup = start(&project, json!({})).await;
    answer_with_tests(&setup.mock);
    let message = generate_for_add(&mut setup, &project).await;
    assert!(message.contains("is outside the workspace"), "{message}");
    setup.take_messages();
    assert!(applied_edits(&setup).is_empty(), "no CreateFile through the link");
    assert_eq!(std::fs::read_dir(&outside.0).unwrap().count(), 1, "nothing was created outside");
    setup.shutdown().await;
}

/// Runs `glm-lsp generate-tests ARGS` in `project` against `mock`, as CI would.
async fn cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> (i32, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn the_command_line_writes_nothing_through_a_link() {
    let mock = MockGlm::start().await;
    answer_with_tests(&mock);
    // A link to `.env`, and a link out of the workspace: both refused before the model is asked.
    let outside = Outside::new("cli", &[("test_calc.py", OUTSIDE_TESTS)]);
    for (name, target) in [("env", Path::new("../.env").to_path_buf()), ("out", outside.path("test_calc.py"))] {
        let project = TempProject::new(
            &format!("hostile-cli-{name}"),
            &[("calc.py", CALC_PY), ("tests/conftest.py", ""), (".env", ENV)],
        );
        symlink(&target, project.path("tests/test_calc.py")).unwrap();
        let (code, stderr) = cli(&project, &mock, &["calc.py", "--function", "add", "--write"]).await;
        assert_ne!(code, 0, "{stderr}");
        assert!(stderr.contains("nothing was read or written"), "{stderr}");
        assert_eq!(project.read(".env").unwrap(), ENV);
        assert!(is_link(&project.path("tests/test_calc.py")));
    }
    assert_eq!(std::fs::read_to_string(outside.path("test_calc.py")).unwrap(), OUTSIDE_TESTS);
    never_sent(&mock, ENV_SECRET);
    never_sent(&mock, "test_outside_marker_7c1e");
    // A regular new file is still written.
    let project = TempProject::new("hostile-cli-fine", &[("calc.py", CALC_PY), ("tests/conftest.py", "")]);
    let (code, stderr) = cli(&project, &mock, &["calc.py", "--function", "add", "--write"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(project.read("tests/test_calc.py").unwrap(), TESTS_ANSWER);
}

/// Waits until the index has read every watched path the server was told about.
async fn index_settled(setup: &mut Setup) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = setup.status().await;
        if status["indexUpdatesPending"] == 0 && status["indexing"] == false {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "the index never settled: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_watched_link_to_a_folder_outside_the_root_is_not_indexed() {
    let outside = Outside::new(
        "index",
        &[
            ("leak.py", "def leaked_outside_secret(token):\n    return token\n"),
            ("deep/more.py", "def leaked_deeper_secret():\n    return 1\n"),
        ],
    );
    let project = TempProject::new("hostile-index", &[("util.py", "def helper(x):\n    return x\n")]);
    let mut setup = start(&project, json!({ "completion": { "debounceMs": 0, "maxWaitMs": 2000 } })).await;
    setup.mock.set_default_reply(Reply::text("0"));
    let before = index_settled(&mut setup).await;
    // The repository holds a link to the folder (or to `/`); the editor's watcher reports it
    // and a file seen through it.
    symlink(&outside.0, project.path("linked")).unwrap();
    symlink("/", project.path("everything")).unwrap();
    let changes: Vec<Value> = ["linked", "linked/leak.py", "linked/deep", "everything"]
        .iter()
        .map(|path| json!({ "uri": file_uri(&project.path(path)), "type": 1 }))
        .collect();
    setup.client.notify("workspace/didChangeWatchedFiles", json!({ "changes": changes })).await.unwrap();
    let after = index_settled(&mut setup).await;
    assert_eq!(after["indexedFiles"], before["indexedFiles"], "nothing outside was indexed: {after}");
    let uri = project.uri("main.py");
    let position = setup
        .open_fixture(&uri, "python", "from leak import leaked_outside_secret\n\nvalue = leaked_outside_secret($0)\n")
        .await;
    setup.complete(&uri, &position, true).await;
    let requests = setup.mock.wait_for_requests(1, Duration::from_secs(10)).await;
    assert!(requests[0].prompt_text().contains("value = leaked_outside_secret("), "the completion was asked");
    never_sent(&setup.mock, "def leaked_outside_secret");
    never_sent(&setup.mock, "leaked_deeper_secret");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_test_path_built_from_a_package_line_in_a_comment_is_refused() {
    // Placement reads the first `package` line, even one inside a comment; an absolute "package"
    // makes the test path absolute.
    let escape = std::env::temp_dir().join(format!("glm-lsp-escape-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&escape);
    let calc = format!(
        "/*\npackage {};\n*/\npublic class Calc {{\n    public static int add(int a, int b) {{\n        return a + b;\n    }}\n}}\n",
        escape.display()
    );
    let project = TempProject::new("hostile-package", &[("pom.xml", "<project></project>\n"), ("Calc.java", &calc)]);
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("```java\nclass CalcTest {}\n```"));
    let (code, stderr) = cli(&project, &mock, &["Calc.java", "--function", "add", "--write"]).await;
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("is outside the workspace"), "{stderr}");
    assert!(!escape.exists(), "nothing was created at {}", escape.display());
    assert!(mock.requests().is_empty(), "refused before the model was asked");

    let mut setup = start(&project, json!({})).await;
    setup.mock.set_default_reply(Reply::text("```java\nclass CalcTest {}\n```"));
    let uri = project.uri("Calc.java");
    setup.client.open(&uri, "java", &calc).await.unwrap();
    let position = setup.client.position_after(&uri, "return a +");
    let actions = setup.code_actions(&uri, json!({ "start": position, "end": position })).await;
    let action = actions.iter().find(|action| action["title"] == "GLM: Generate tests for `add`").unwrap().clone();
    setup.execute_action(&action).await;
    let message = setup.action_progress_end(Duration::from_secs(60)).await;
    assert!(message.contains("is outside the workspace"), "{message}");
    setup.take_messages();
    assert!(applied_edits(&setup).is_empty(), "no CreateFile outside the workspace");
    assert!(!escape.exists());
    setup.shutdown().await;
}
