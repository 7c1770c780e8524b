//! A credential in the code reaches the model in no prompt: completions, every code action
//! (Improve, Add documentation, Fix, a custom action's `{code}`), test generation (the code
//! under test, the existing test file, the runner's output in a repair round) and the command
//! line. And an answer that repeats the placeholder never replaces the user's secret with it.

use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

const SECRET: &str = "Zq8-long-literal-value-7731xx";
const TEST_SECRET: &str = "Tk5-another-literal-value-0042";

fn config_py() -> String {
    format!("def connect(host):\n    PASSWORD = \"{SECRET}\"\n    return open_session(host, PASSWORD)\n")
}

/// No request the mock received holds `needle`, in any part of its body.
fn never_sent(mock: &MockGlm, needle: &str) {
    let requests = mock.requests();
    assert!(!requests.is_empty(), "the model was asked");
    for request in requests {
        assert!(!request.raw_body.contains(needle), "{needle:?} reached the model:\n{}", request.raw_body);
    }
}

async fn start(project: &TempProject, settings: Value) -> Setup {
    Setup::with_options(ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: settings,
        ..ClientOptions::default()
    })
    .await
}

async fn actions_at(setup: &mut Setup, uri: &str, position: &Value, diagnostics: Value) -> Vec<Value> {
    setup
        .client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": diagnostics } }),
        )
        .await
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn run(setup: &mut Setup, actions: &[Value], title: &str) -> String {
    let action = actions
        .iter()
        .find(|action| action["title"].as_str().is_some_and(|shown| shown.starts_with(title)))
        .unwrap_or_else(|| panic!("no {title:?} in {actions:#?}"))
        .clone();
    setup.execute_action(&action).await;
    setup.action_progress_end(Duration::from_secs(30)).await
}

#[tokio::test]
async fn improve_never_sends_the_literal_and_keeps_it_where_the_answer_has_the_placeholder() {
    let project = TempProject::new("hostile-improve", &[("config.py", &config_py())]);
    let mut setup = start(&project, json!({})).await;
    // The model's answer: the function with its placeholder line as shown, one line changed.
    setup.mock.set_default_reply(Reply::text(
        "```python\ndef connect(host):\n    PASSWORD = \"[REDACTED]\"\n    return open_session(host.strip(), PASSWORD)\n```",
    ));
    let uri = project.uri("config.py");
    setup.client.open(&uri, "python", &config_py()).await.unwrap();
    let position = setup.client.position_after(&uri, "return open");
    let actions = actions_at(&mut setup, &uri, &position, json!([])).await;
    let message = run(&mut setup, &actions, "GLM: Improve this code").await;
    assert!(message.starts_with("applied"), "{message}");
    setup.take_messages();
    assert_eq!(
        setup.client.text(&uri),
        format!("def connect(host):\n    PASSWORD = \"{SECRET}\"\n    return open_session(host.strip(), PASSWORD)\n")
    );
    never_sent(&setup.mock, SECRET);
    assert!(setup.mock.requests()[0].prompt_text().contains("PASSWORD = \"[REDACTED]\""));
    setup.shutdown().await;
}

#[tokio::test]
async fn an_answer_that_changes_the_placeholder_line_is_refused() {
    let project = TempProject::new("hostile-improve-changed", &[("config.py", &config_py())]);
    let mut setup = start(&project, json!({})).await;
    setup.mock.set_default_reply(Reply::text(
        "```python\ndef connect(host: str):\n    PASSWORD: str = \"[REDACTED]\"\n    return open_session(host, PASSWORD)\n```",
    ));
    let uri = project.uri("config.py");
    setup.client.open(&uri, "python", &config_py()).await.unwrap();
    let position = setup.client.position_after(&uri, "return open");
    let actions = actions_at(&mut setup, &uri, &position, json!([])).await;
    let message = run(&mut setup, &actions, "GLM: Improve this code").await;
    assert!(message.contains("credential"), "{message}");
    setup.take_messages();
    assert_eq!(setup.client.text(&uri), config_py(), "the secret is not replaced by the placeholder");
    setup.shutdown().await;
}

#[tokio::test]
async fn no_action_nor_completion_sends_the_literal() {
    let project = TempProject::new("hostile-every-action", &[("config.py", &config_py())]);
    let settings = json!({
        "completion": { "debounceMs": 0, "maxWaitMs": 2000 },
        "actions": [{ "title": "Review", "prompt": "Review this {language} code:\n{code}" }],
    });
    let mut setup = start(&project, settings).await;
    // Each answer repeats the function as shown: nothing changes, the secret stays.
    setup.mock.set_default_reply(Reply::text(format!("```python\n{}```", config_py().replace(SECRET, "[REDACTED]"))));
    let uri = project.uri("config.py");
    let text = config_py();
    setup.client.open(&uri, "python", &text).await.unwrap();
    let position = setup.client.position_after(&uri, "return open");
    let diagnostic = json!({
        "range": { "start": { "line": 2, "character": 11 }, "end": { "line": 2, "character": 23 } },
        "message": "\"open_session\" is not defined",
        "severity": 1,
        "source": "Pyright",
    });
    for title in ["GLM: Add documentation", "GLM: Review", "GLM: Fix: \"open_session\" is not defined"] {
        let actions = actions_at(&mut setup, &uri, &position, json!([diagnostic])).await;
        let message = run(&mut setup, &actions, title).await;
        assert!(message.contains("no changes"), "{title}: {message}");
        setup.take_messages();
        assert_eq!(setup.client.text(&uri), text);
    }
    let prompts: Vec<String> = setup.mock.requests().iter().map(|request| request.prompt_text()).collect();
    assert_eq!(prompts.len(), 3, "{prompts:#?}");
    assert!(prompts.iter().any(|prompt| prompt.contains("Review this python code")), "{prompts:#?}");
    assert!(prompts.iter().any(|prompt| prompt.contains("open_session\" is not defined")), "{prompts:#?}");
    never_sent(&setup.mock, SECRET);
    setup.mock.reset_records();
    let completion_uri = project.uri("main.py");
    let position = setup
        .open_fixture(&completion_uri, "python", &format!("API_TOKEN = \"{SECRET}\"\n\nclient = connect($0)\n"))
        .await;
    setup.complete(&completion_uri, &position, true).await;
    never_sent(&setup.mock, SECRET);
    setup.shutdown().await;
}

const CALC_PY: &str = "def check(password):\n    ADMIN_PASSWORD = \"Zq8-long-literal-value-7731xx\"\n    return password == ADMIN_PASSWORD\n";

fn existing_tests() -> String {
    format!("from calc import check\n\nAPI_TOKEN = \"{TEST_SECRET}\"\n\n\ndef test_rejects_wrong():\n    assert not check(\"x\")\n")
}

#[tokio::test]
async fn test_generation_sends_no_literal_from_the_code_the_tests_or_the_runner_output() {
    let project = TempProject::new(
        "hostile-testgen",
        &[("calc.py", CALC_PY), ("tests/conftest.py", ""), ("tests/test_calc.py", &existing_tests())],
    );
    let mut setup = start(&project, json!({ "tests": { "verify": true, "repairRounds": 1 } })).await;
    // The model repeats the existing file (its placeholder line) and adds a test whose failure
    // makes pytest print both literals without their names.
    let failing = format!(
        "{}\n\ndef test_token_is_the_password():\n    assert check(API_TOKEN)\n",
        existing_tests().replace(TEST_SECRET, "[REDACTED]")
    );
    setup.mock.add_rule("I ran these tests", Reply::text(format!("```python\n{failing}```")));
    setup.mock.add_rule("Task: write unit tests", Reply::text(format!("```python\n{failing}```")));
    let uri = project.uri("calc.py");
    setup.client.open(&uri, "python", CALC_PY).await.unwrap();
    let position = setup.client.position_after(&uri, "return password");
    let actions = actions_at(&mut setup, &uri, &position, json!([])).await;
    let message = run(&mut setup, &actions, "GLM: Generate tests for `check`").await;
    setup.take_messages();
    let requests = setup.mock.requests();
    let repair = requests.iter().find(|request| request.prompt_text().contains("I ran these tests"));
    let repair = repair.unwrap_or_else(|| panic!("a repair round ({message})")).prompt_text();
    assert!(repair.contains("AssertionError"), "the runner's output is sent: {repair}");
    never_sent(&setup.mock, SECRET);
    never_sent(&setup.mock, TEST_SECRET);
    // The existing file on disk keeps its real token: nothing wrote the placeholder.
    assert_eq!(project.read("tests/test_calc.py").unwrap(), existing_tests());
    setup.shutdown().await;
}

#[tokio::test]
async fn the_command_line_sends_no_literal() {
    let mock = MockGlm::start().await;
    let project = TempProject::new(
        "hostile-cli-prompt",
        &[("calc.py", CALC_PY), ("tests/conftest.py", ""), ("tests/test_calc.py", &existing_tests())],
    );
    let answer = format!(
        "{}\n\ndef test_accepts_nothing_else():\n    assert not check(\"y\")\n",
        existing_tests().replace(TEST_SECRET, "[REDACTED]")
    );
    mock.add_rule("Task: write unit tests", Reply::text(format!("```python\n{answer}```")));
    let output =
        glm_lsp_e2e::harness::generate_tests_cli(&project, &mock, &["calc.py", "--function", "check", "--write"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    never_sent(&mock, SECRET);
    never_sent(&mock, TEST_SECRET);
    // The written file has the user's token back, and the new test.
    let written = project.read("tests/test_calc.py").unwrap();
    assert_eq!(written, answer.replace("[REDACTED]", TEST_SECRET));
}

#[tokio::test]
async fn an_excluded_file_is_not_sent_by_an_action() {
    let secrets = format!("def connect():\n    return \"{SECRET}\"\n");
    let project = TempProject::new("hostile-excluded-action", &[("secrets.py", &secrets)]);
    let mut setup = start(&project, json!({})).await;
    setup.mock.set_default_reply(Reply::text("```python\ndef connect():\n    return None\n```"));
    let uri = project.uri("secrets.py");
    setup.client.open(&uri, "python", &secrets).await.unwrap();
    let position = setup.client.position_after(&uri, "return");
    let actions = actions_at(&mut setup, &uri, &position, json!([])).await;
    let message = run(&mut setup, &actions, "GLM: Improve this code").await;
    assert!(message.contains("secrets.py matches context.exclude"), "{message}");
    setup.take_messages();
    assert!(setup.mock.requests().is_empty(), "the model was not asked");
    assert_eq!(setup.client.text(&uri), secrets);
    setup.shutdown().await;
}
