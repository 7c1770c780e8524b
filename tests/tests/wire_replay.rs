//! Streams shaped exactly like public captures of the live API (`tests/fixtures/wire/`),
//! replayed byte for byte by the mock, through the built binary: a completion and a code
//! action for each shape, with the number of upstream requests each one took, and test
//! generation for the fault shapes (the answer shapes carry code, not tests).

use std::path::PathBuf;
use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

const COMPLETION_DOCUMENT: &str = "def add(a, b):\n    $0\n";
const ACTION_DOCUMENT: &str = "def add(a, b):\n    return a+b\n";
const ANSWERED: &str = "def add(a, b):\n    return a + b\n";

fn captured(name: &str) -> Reply {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wire").join(format!("{name}.sse"));
    assert!(path.exists(), "{}", path.display());
    // Paced like a live stream, so events arrive in separate reads.
    Reply::replay_file(path).with_event_delay(Duration::from_millis(3))
}

fn plain_answer() -> Reply {
    Reply::thinking_then("Sum.", "```python\ndef add(a, b):\n    return a + b\n```")
}

async fn setup() -> Setup {
    // Manual trigger: nothing is prefetched behind the test's back; a long wait so that a
    // retry after a backoff is still answered by the same request.
    Setup::new(json!({ "completion": { "trigger": "manual", "debounceMs": 0, "maxWaitMs": 5000 } })).await
}

/// Asks for a completion in `def add` and accepts it; the document's text after, or `None`
/// when no suggestion came.
async fn completion(setup: &mut Setup, uri: &str) -> Option<String> {
    let position = setup.open_fixture(uri, "python", COMPLETION_DOCUMENT).await;
    let list = setup.complete(uri, &position, true).await;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert!(items.len() <= 1, "{list}");
    let item = items.first()?;
    setup.accept(uri, item).await;
    Some(setup.client.text(uri))
}

/// Runs "Improve" on `def add`; the progress's end message.
async fn improve(setup: &mut Setup, uri: &str) -> String {
    setup.client.open(uri, "python", ACTION_DOCUMENT).await.unwrap();
    let position = setup.client.position_after(uri, "return a");
    setup.run_action(uri, &position, "GLM: Improve").await
}

/// A shape that carries a whole answer: the completion inserts it, the action applies it,
/// one request each.
async fn answer_shape(name: &str, expected_completion: &str, expected_action: &str) -> Setup {
    let mut setup = setup().await;
    setup.mock.push_reply(captured(name));
    setup.mock.push_reply(captured(name));
    let text = completion(&mut setup, "file:///project/complete.py").await;
    assert_eq!(text.as_deref(), Some(expected_completion), "{name}: completion");
    let message = improve(&mut setup, "file:///project/improve.py").await;
    assert!(message.starts_with("applied"), "{name}: {message}");
    assert_eq!(setup.client.text("file:///project/improve.py"), expected_action, "{name}: action");
    assert_eq!(setup.mock.requests().len(), 2, "{name}: one request each");
    setup
}

#[tokio::test]
async fn role_on_every_chunk_and_no_finish_reason_until_the_end() {
    let mut setup = answer_shape("role_every_chunk", ANSWERED, ANSWERED).await;
    let usage = &setup.status().await["usage"];
    assert_eq!((usage["requests"].as_u64(), usage["promptTokens"].as_u64()), (Some(2), Some(824)), "{usage}");
    setup.shutdown().await;
}

#[tokio::test]
async fn content_before_the_reasoning_and_a_bare_leading_line_break() {
    answer_shape("content_before_reasoning", ANSWERED, ANSWERED).await.shutdown().await;
}

#[tokio::test]
async fn usage_on_a_trailing_chunk_without_choices() {
    let mut setup = answer_shape("usage_trailing_chunk", ANSWERED, ANSWERED).await;
    let usage = &setup.status().await["usage"];
    assert_eq!(usage["promptTokens"], 2400, "{usage}");
    assert_eq!(usage["cachedTokens"], 2048, "{usage}");
    assert_eq!(usage["completionTokens"], 128, "{usage}");
    let per_model = &usage["byModel"]["glm-4.7"];
    let expected_usd = 2.0 * (176.0 * 0.30 + 1024.0 * 0.06 + 64.0 * 1.10) / 1e6;
    assert!((per_model["usd"].as_f64().unwrap() - expected_usd).abs() < 1e-12, "{usage}");
    setup.shutdown().await;
}

#[tokio::test]
async fn unicode_escapes_mixed_with_raw_utf8() {
    let expected = "def add(a, b):\n    return a + b  # 求和 🦀\n";
    answer_shape("unicode_escapes", expected, expected).await.shutdown().await;
}

#[tokio::test]
async fn heartbeat_comments_data_without_a_space_and_crlf() {
    answer_shape("heartbeat_no_space", ANSWERED, ANSWERED).await.shutdown().await;
}

#[tokio::test]
async fn tool_calls_finishing_twice_count_the_usage_once() {
    let mut setup = setup().await;
    setup.mock.push_reply(captured("tool_calls_twice"));
    setup.mock.push_reply(captured("tool_calls_twice"));
    assert_eq!(completion(&mut setup, "file:///project/complete.py").await, None, "a tool call is no completion");
    let usage = &setup.status().await["usage"];
    assert_eq!((usage["requests"].as_u64(), usage["promptTokens"].as_u64()), (Some(1), Some(300)), "{usage}");
    let message = improve(&mut setup, "file:///project/improve.py").await;
    assert!(message.contains("nothing was changed"), "{message}");
    assert_eq!(setup.client.text("file:///project/improve.py"), ACTION_DOCUMENT);
    assert_eq!(setup.mock.requests().len(), 2);
    let messages = setup.take_messages();
    assert_eq!(messages.len(), 1, "the action's failure is shown: {messages:?}");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_sse_error_event_with_a_rate_limit_is_retried() {
    let mut setup = setup().await;
    for _ in 0..2 {
        setup.mock.push_reply(captured("event_error_1302"));
        setup.mock.push_reply(plain_answer());
    }
    let text = completion(&mut setup, "file:///project/complete.py").await;
    assert_eq!(text.as_deref(), Some(ANSWERED));
    assert_eq!(setup.mock.requests().len(), 2, "the 1302 was retried once");
    let message = improve(&mut setup, "file:///project/improve.py").await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.mock.requests().len(), 4);
    assert!(setup.take_messages().is_empty(), "a retried rate limit bothers nobody");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_data_line_holding_an_error_is_not_retried_and_explained() {
    let mut setup = setup().await;
    setup.mock.set_default_reply(captured("data_error_1113"));
    assert_eq!(completion(&mut setup, "file:///project/complete.py").await, None);
    let notice = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(notice["message"].as_str().unwrap().contains("balance is exhausted"), "{notice}");
    assert_eq!(setup.mock.requests().len(), 1, "balance exhausted is never retried");
    let message = improve(&mut setup, "file:///project/improve.py").await;
    assert!(message.contains("balance is exhausted") && message.contains("nothing was changed"), "{message}");
    assert_eq!(setup.client.text("file:///project/improve.py"), ACTION_DOCUMENT);
    assert_eq!(setup.mock.requests().len(), 2);
    assert_eq!(setup.take_messages().len(), 1, "the action's own warning");
    setup.shutdown().await;
}

#[tokio::test]
async fn finish_reason_network_error_is_retried() {
    let mut setup = setup().await;
    for _ in 0..2 {
        setup.mock.push_reply(captured("finish_network_error"));
        setup.mock.push_reply(plain_answer());
    }
    assert_eq!(completion(&mut setup, "file:///project/complete.py").await.as_deref(), Some(ANSWERED));
    assert_eq!(setup.mock.requests().len(), 2);
    let message = improve(&mut setup, "file:///project/improve.py").await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.mock.requests().len(), 4);
    setup.shutdown().await;
}

#[tokio::test]
async fn finish_reason_sensitive_says_the_content_was_blocked() {
    let mut setup = setup().await;
    setup.mock.set_default_reply(captured("finish_sensitive"));
    assert_eq!(completion(&mut setup, "file:///project/complete.py").await, None);
    let notice = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(notice["message"].as_str().unwrap().contains("content filter"), "{notice}");
    let message = improve(&mut setup, "file:///project/improve.py").await;
    assert!(message.contains("content filter blocked"), "{message}");
    assert_eq!(setup.client.text("file:///project/improve.py"), ACTION_DOCUMENT);
    assert_eq!(setup.mock.requests().len(), 2, "a blocked answer is not asked for again");
    let messages: Vec<Value> = setup.client.take_notifications("window/showMessage");
    assert_eq!(messages.len(), 1, "{messages:?}");
    setup.shutdown().await;
}

const CALC_PY: &str = "def add(a, b):\n    return a + b\n";
const CALC_TESTS_PY: &str = "from calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n";

fn tests_answer() -> Reply {
    Reply::thinking_then("One case.", format!("```python\n{CALC_TESTS_PY}```"))
}

/// An editor on a one-module Python project, `calc.py` open.
async fn testgen_setup(name: &str) -> (Setup, TempProject, String) {
    let project = TempProject::new(name, &[("calc.py", CALC_PY)]);
    let options = ClientOptions { root: Some(project.dir.clone()), ..ClientOptions::default() };
    let mut setup = Setup::with_options(options).await;
    let uri = project.uri("calc.py");
    setup.client.open(&uri, "python", CALC_PY).await.unwrap();
    (setup, project, uri)
}

/// Runs "Generate tests for `add`"; the progress's end message.
async fn generate_tests(setup: &mut Setup, uri: &str) -> String {
    let position = setup.client.position_after(uri, "return a +");
    setup.run_action(uri, &position, "GLM: Generate tests for `add`").await
}

/// Nothing was created or changed, on disk or in the editor.
fn nothing_written(setup: &Setup, project: &TempProject) {
    assert_eq!(project.files(), ["calc.py"], "no test file on disk");
    assert!(
        !setup.client.server_requests.iter().any(|request| request["method"] == "workspace/applyEdit"),
        "no edit was sent"
    );
}

#[tokio::test]
async fn test_generation_retries_an_sse_rate_limit_error_event() {
    let (mut setup, project, uri) = testgen_setup("wire-testgen-1302").await;
    setup.mock.push_reply(captured("event_error_1302"));
    setup.mock.push_reply(tests_answer());
    let message = generate_tests(&mut setup, &uri).await;
    assert_eq!(message, "1 test generated (not run) in test_calc.py");
    assert_eq!(setup.client.text(&project.uri("test_calc.py")), CALC_TESTS_PY);
    assert_eq!(setup.mock.requests().len(), 2, "the 1302 was retried once");
    assert_eq!(setup.take_messages(), ["glm-lsp: 1 test generated (not run) in test_calc.py"]);
    setup.shutdown().await;
}

#[tokio::test]
async fn test_generation_retries_a_network_error_finish() {
    let (mut setup, project, uri) = testgen_setup("wire-testgen-network").await;
    setup.mock.push_reply(captured("finish_network_error"));
    setup.mock.push_reply(tests_answer());
    let message = generate_tests(&mut setup, &uri).await;
    assert_eq!(message, "1 test generated (not run) in test_calc.py");
    assert_eq!(setup.client.text(&project.uri("test_calc.py")), CALC_TESTS_PY);
    assert_eq!(setup.mock.requests().len(), 2);
    assert_eq!(setup.take_messages(), ["glm-lsp: 1 test generated (not run) in test_calc.py"]);
    setup.shutdown().await;
}

#[tokio::test]
async fn test_generation_with_the_balance_exhausted_is_explained_and_writes_nothing() {
    let (mut setup, project, uri) = testgen_setup("wire-testgen-1113").await;
    setup.mock.set_default_reply(captured("data_error_1113"));
    let message = generate_tests(&mut setup, &uri).await;
    assert!(message.contains("balance is exhausted"), "{message}");
    assert_eq!(setup.mock.requests().len(), 1, "balance exhausted is never retried");
    nothing_written(&setup, &project);
    let messages = setup.take_messages();
    assert_eq!(messages.len(), 1, "told once: {messages:?}");
    assert!(messages[0].contains("balance is exhausted"), "{messages:?}");
    setup.shutdown().await;
}

#[tokio::test]
async fn test_generation_blocked_by_the_content_filter_writes_nothing() {
    let (mut setup, project, uri) = testgen_setup("wire-testgen-sensitive").await;
    setup.mock.set_default_reply(captured("finish_sensitive"));
    let message = generate_tests(&mut setup, &uri).await;
    assert!(message.contains("content filter blocked"), "{message}");
    assert_eq!(setup.mock.requests().len(), 1, "a blocked answer is not asked for again");
    nothing_written(&setup, &project);
    assert_eq!(
        setup.take_messages(),
        ["glm-lsp: the provider's content filter blocked the answer; nothing was changed"]
    );
    setup.shutdown().await;
}
