//! An endpoint that never ends its answer, through the built binary: endless chunks, one
//! endless line with no newline, endless reasoning, endless keep-alive comments or empty
//! events. Each is cut at the response byte cap in bounded time and bounded memory, the user
//! is told which endpoint and which cap, and the session goes on.

use std::time::{Duration, Instant};

use glm_lsp_e2e::harness::Setup;
use glm_lsp_e2e::mock_glm::{EndlessShape, Reply};
use glm_lsp_e2e::process::status_field;
use serde_json::json;

const ALL_SHAPES: [EndlessShape; 5] = [
    EndlessShape::Line,
    EndlessShape::Chunks,
    EndlessShape::Reasoning,
    EndlessShape::Comments,
    EndlessShape::EmptyEvents,
];

/// The mock gives up after 256 MiB (`Reply::endless`): a server without a cap would hold that
/// much (the endless line) and report only a cut stream. With the cap (4 MiB for a completion's
/// default `completion.maxTokens` of 8192, 16 MiB for an action's 32768) the peak stays far
/// below it.
const PEAK_GROWTH_LIMIT_KIB: u64 = 96 << 10;

async fn setup() -> Setup {
    Setup::new(json!({ "completion": { "trigger": "manual", "debounceMs": 0, "maxWaitMs": 60000 } })).await
}

async fn complete_in(setup: &mut Setup, name: &str) -> Option<String> {
    let uri = format!("file:///project/{name}.py");
    let position = setup.open_fixture(&uri, "python", "def add(a, b):\n    return $0\n").await;
    let list = setup.complete(&uri, &position, true).await;
    list["items"][0]["textEdit"]["newText"].as_str().map(str::to_owned)
}

fn peak_kib(setup: &Setup) -> u64 {
    status_field(setup.client.pid().expect("the server runs"), "VmHWM:")
}

#[tokio::test]
async fn an_endless_completion_answer_is_cut_at_the_cap_and_the_session_goes_on() {
    let mut setup = setup().await;
    // Warm up: the peak before any endless answer is what a normal completion costs.
    setup.mock.push_reply(Reply::text("a + b"));
    assert_eq!(complete_in(&mut setup, "warm").await.as_deref(), Some("a + b"));
    let peak_before = peak_kib(&setup);

    for (index, shape) in ALL_SHAPES.into_iter().enumerate() {
        setup.mock.push_reply(Reply::endless(shape));
        let started = Instant::now();
        assert_eq!(complete_in(&mut setup, &format!("endless{index}")).await, None, "{shape:?}");
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(30), "{shape:?}: answered after {elapsed:?}");
        // The server dropped the connection: the mock saw the client go.
        assert!(setup.mock.wait_for_close(Duration::from_secs(10)).await.is_some(), "{shape:?}: not closed");
        if index == 0 {
            let notice = setup.client.expect_notification("window/showMessage", Duration::from_secs(10)).await.unwrap();
            let text = notice["message"].as_str().unwrap();
            let endpoint = format!("{}/chat/completions", setup.mock.base_url());
            assert!(text.contains(&endpoint), "names the endpoint: {text}");
            assert!(text.contains("more than 4 MiB") && text.contains("max_tokens 8192"), "names the cap: {text}");
        }
    }
    // One notice per cause: the same endpoint failing the same way is said once.
    setup.wait_idle(Duration::from_millis(200)).await;
    assert!(setup.take_messages().is_empty());
    let growth = peak_kib(&setup).saturating_sub(peak_before);
    eprintln!("peak memory (VmHWM) {peak_before} KiB before, grew by {growth} KiB");
    assert!(growth < PEAK_GROWTH_LIMIT_KIB, "peak memory grew by {growth} KiB");

    // The session goes on: the next answer is used.
    setup.mock.push_reply(Reply::text("a * b"));
    assert_eq!(complete_in(&mut setup, "after").await.as_deref(), Some("a * b"));
    assert_eq!(setup.mock.requests().len(), 2 + ALL_SHAPES.len(), "a cut answer is not asked again");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_endless_action_answer_fails_the_job_with_the_cap_and_changes_nothing() {
    let mut setup = setup().await;
    let uri = "file:///project/calc.py";
    let source = "def add(a, b):\n    return a+b\n";
    setup.client.open(uri, "python", source).await.unwrap();
    let position = setup.client.position_after(uri, "return a");
    let peak_before = peak_kib(&setup);

    for shape in [EndlessShape::Reasoning, EndlessShape::Line] {
        setup.mock.push_reply(Reply::endless(shape));
        let started = Instant::now();
        let message = setup.run_action(uri, &position, "GLM: Improve").await;
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(30), "{shape:?}: ended after {elapsed:?}");
        assert!(message.contains("more than 16 MiB") && message.contains("max_tokens 32768"), "{shape:?}: {message}");
        let shown = setup.client.expect_notification("window/showMessage", Duration::from_secs(10)).await.unwrap();
        assert!(shown["message"].as_str().unwrap().contains(&setup.mock.base_url()), "{shown}");
        assert_eq!(setup.client.text(uri), source, "{shape:?}: nothing applied");
    }
    let growth = peak_kib(&setup).saturating_sub(peak_before);
    eprintln!("peak memory (VmHWM) {peak_before} KiB before, grew by {growth} KiB");
    assert!(growth < PEAK_GROWTH_LIMIT_KIB, "peak memory grew by {growth} KiB");

    // The next action works.
    setup.mock.push_reply(Reply::text("```python\ndef add(a, b):\n    return a + b\n```"));
    let message = setup.run_action(uri, &position, "GLM: Improve").await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.client.text(uri), "def add(a, b):\n    return a + b\n");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_that_ignores_streaming_and_sends_a_huge_body_is_cut_too() {
    let mut setup = setup().await;
    // `stream: true` ignored: one JSON body, 6 MiB of answer, past a completion's 4 MiB.
    let content = "x".repeat(6 << 20);
    let body = json!({
        "id": "big", "model": "glm-4.7",
        "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": content } }],
    });
    setup.mock.push_reply(Reply::Json { status: 200, body });
    assert_eq!(complete_in(&mut setup, "big").await, None);
    let notice = setup.client.expect_notification("window/showMessage", Duration::from_secs(10)).await.unwrap();
    assert!(notice["message"].as_str().unwrap().contains("more than 4 MiB"), "{notice}");
    setup.mock.push_reply(Reply::text("a + b"));
    assert_eq!(complete_in(&mut setup, "after").await.as_deref(), Some("a + b"));
    setup.shutdown().await;
}
