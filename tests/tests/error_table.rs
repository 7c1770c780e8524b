//! The provider's error table through the built binary: for each class, how many requests
//! reached the provider, what the user was told, and that notices are kept per cause.

use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TEST_KEY};
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

async fn setup() -> Setup {
    // Manual trigger: only the test's own requests reach the mock; a wait long enough for a
    // backoff and a retry.
    let setup = Setup::new(json!({ "completion": { "trigger": "manual", "debounceMs": 0, "maxWaitMs": 4000 } })).await;
    setup.mock.set_default_reply(Reply::text("a + b"));
    setup
}

/// Opens a new document and asks for a completion in it; the suggestion's text, if any.
async fn complete_in(setup: &mut Setup, name: &str) -> Option<String> {
    let uri = format!("file:///project/{name}.py");
    let position = setup.open_fixture(&uri, "python", "def add(a, b):\n    return $0\n").await;
    let list = setup.complete(&uri, &position, true).await;
    list["items"][0]["textEdit"]["newText"].as_str().map(str::to_owned)
}

async fn notice(setup: &mut Setup) -> String {
    let message = setup.client.expect_notification("window/showMessage", Duration::from_secs(10)).await.unwrap();
    message["message"].as_str().unwrap().to_owned()
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::status(status, Some(code), message)
}

#[tokio::test]
async fn a_rejected_key_stops_completions_and_asks_for_the_key_until_it_changes() {
    let mut setup = setup().await;
    setup.mock.set_expected_key("the-right-key");
    assert_eq!(complete_in(&mut setup, "a").await, None);
    let text = notice(&mut setup).await;
    assert!(text.contains("rejected the API key from GLM_API_KEY"), "{text}");
    assert_eq!(setup.mock.requests().len(), 1, "never retried");
    // Held back: typing on fails at once, with no request and no second notice.
    assert_eq!(complete_in(&mut setup, "b").await, None);
    assert_eq!(setup.mock.requests().len(), 1);
    // A new key goes out at once.
    setup
        .client
        .notify("workspace/didChangeConfiguration", json!({ "settings": { "glm-lsp": { "apiKey": "the-right-key" } } }))
        .await
        .unwrap();
    assert_eq!(complete_in(&mut setup, "c").await.as_deref(), Some("a + b"));
    assert_eq!(setup.mock.requests().len(), 2);
    assert_eq!(setup.mock.requests()[1].header("authorization"), Some("Bearer the-right-key"));
    assert!(setup.take_messages().is_empty());
    setup.shutdown().await;
}

#[tokio::test]
async fn account_and_quota_errors_are_never_retried_and_are_explained() {
    let cases = [
        (429, "1113", "Insufficient balance or no resource package. Please recharge.", "balance is exhausted"),
        (403, "1110", "Your account is disabled", "account cannot be used"),
        (429, "1304", "今日调用次数已达上限", "daily call limit"),
        (
            429,
            "1308",
            "Usage limit reached for 5 hour. Your limit will reset at 2025-12-04 23:09:51",
            "it resets at 2025-12-04 23:09:51",
        ),
        (429, "1310", "Weekly/Monthly Limit Exhausted", "quota of this GLM account or Coding Plan is used up"),
    ];
    for (status, code, message, words) in cases {
        let mut setup = setup().await;
        setup.mock.set_default_reply(error(status, code, message));
        assert_eq!(complete_in(&mut setup, "a").await, None, "{code}");
        let text = notice(&mut setup).await;
        assert!(text.contains(words) && text.contains(code), "{code}: {text}");
        assert_eq!(setup.mock.requests().len(), 1, "{code} is never retried");
        assert_eq!(complete_in(&mut setup, "b").await, None);
        assert_eq!(setup.mock.requests().len(), 1, "{code}: completions are held back, not sent again");
        setup.shutdown().await;
    }
}

#[tokio::test]
async fn rate_and_overload_codes_back_off_and_retry() {
    let mut setup = setup().await;
    for (index, code) in ["1302", "1303", "1305", "1312"].into_iter().enumerate() {
        setup.mock.push_reply(error(429, code, "busy"));
        setup.mock.push_reply(Reply::text("a + b"));
        assert_eq!(complete_in(&mut setup, &format!("rate{code}")).await.as_deref(), Some("a + b"), "{code}");
        let requests = setup.mock.requests();
        assert_eq!(requests.len(), 2 * (index + 1), "{code}: one retry");
        let waited = requests[requests.len() - 1].received_at - requests[requests.len() - 2].received_at;
        assert!(waited >= Duration::from_millis(200), "{code}: backed off only {waited:?}");
    }
    assert!(setup.take_messages().is_empty(), "a rate limit that passed is nobody's business");
    setup.shutdown().await;
}

#[tokio::test]
async fn server_errors_retry_with_backoff() {
    let mut setup = setup().await;
    for (index, (status, code)) in
        [(500, None), (500, Some("1200")), (500, Some("1230")), (500, Some("1234")), (503, None)]
            .into_iter()
            .enumerate()
    {
        setup.mock.push_reply(Reply::status(status, code, "internal error"));
        setup.mock.push_reply(Reply::text("a + b"));
        assert_eq!(complete_in(&mut setup, &format!("server{index}")).await.as_deref(), Some("a + b"), "{code:?}");
        assert_eq!(setup.mock.requests().len(), 2 * (index + 1), "{status} {code:?}: one retry");
    }
    setup.shutdown().await;
}

#[tokio::test]
async fn configuration_problems_name_the_setting_to_change() {
    let cases = [
        ("1211", "模型不存在", "`model` setting"),
        ("1214", "top_p 参数非法", "`topP`"),
        ("1210", "参数错误", "`temperature`"),
        ("1220", "无权访问", "`model` to one your plan includes"),
        ("1222", "API 不存在", "`provider`"),
    ];
    for (code, message, setting) in cases {
        let mut setup = setup().await;
        setup.mock.set_default_reply(error(400, code, message));
        assert_eq!(complete_in(&mut setup, "a").await, None);
        let text = notice(&mut setup).await;
        assert!(text.contains(setting), "{code}: {text}");
        assert_eq!(setup.mock.requests().len(), 1, "{code} is never retried");
        setup.shutdown().await;
    }
}

#[tokio::test]
async fn content_blocked_is_said_once_and_not_held_back() {
    let mut setup = setup().await;
    setup.mock.set_default_reply(error(400, "1301", "contains unsafe content"));
    assert_eq!(complete_in(&mut setup, "a").await, None);
    assert!(notice(&mut setup).await.contains("content safety"));
    // Another file may be fine: the next completion is asked for, and told about no more.
    assert_eq!(complete_in(&mut setup, "b").await, None);
    assert_eq!(setup.mock.requests().len(), 2);
    setup.wait_idle(Duration::from_millis(100)).await;
    assert!(setup.take_messages().is_empty());
    setup.shutdown().await;
}

/// A document big enough that half the context budget is a visibly smaller prompt.
fn long_document() -> String {
    let mut text = String::new();
    for index in 0..400 {
        text.push_str(&format!("def helper_{index}(value):\n    return value * {index}\n\n"));
    }
    text.push_str("def add(a, b):\n    return $0\n");
    text
}

#[tokio::test]
async fn a_prompt_too_long_is_asked_once_more_with_half_the_context() {
    let mut setup = Setup::new(json!({
        "completion": { "trigger": "manual", "debounceMs": 0, "maxWaitMs": 4000 },
        "context": { "budgetTokens": 2000 },
    }))
    .await;
    setup.mock.push_reply(error(400, "1261", "Prompt exceeds max length"));
    setup.mock.push_reply(Reply::text("a + b"));
    let uri = "file:///project/long.py";
    let position = setup.open_fixture(uri, "python", &long_document()).await;
    let list = setup.complete(uri, &position, true).await;
    assert_eq!(list["items"][0]["textEdit"]["newText"], "a + b");
    let requests = setup.mock.requests();
    assert_eq!(requests.len(), 2);
    let (first, second) = (requests[0].prompt_text().len(), requests[1].prompt_text().len());
    assert!(second * 10 < first * 7, "the retry's prompt is about half: {first} then {second} bytes");
    assert!(requests[1].prompt_text().contains("def add(a, b):"), "the cursor's code stays");

    // Too long even then: no third request, and the user is told which setting to lower.
    setup.mock.set_default_reply(error(400, "1261", "Prompt exceeds max length"));
    let position = setup.open_fixture("file:///project/long2.py", "python", &long_document()).await;
    setup.complete("file:///project/long2.py", &position, true).await;
    assert!(notice(&mut setup).await.contains("context.budgetTokens"));
    assert_eq!(setup.mock.requests().len(), 4);

    // A code action asks once more too (its context is built again from half its budget;
    // how much context an action gets depends on what the target uses).
    setup.mock.set_default_reply(Reply::text("```python\ndef add(a, b):\n    return a + b\n```"));
    setup.mock.push_reply(error(400, "1261", "Prompt exceeds max length"));
    let action_uri = "file:///project/action.py";
    setup.client.open(action_uri, "python", "def add(a, b):\n    return a+b\n").await.unwrap();
    let position = setup.client.position_after(action_uri, "return a");
    let message = setup.run_action(action_uri, &position, "GLM: Improve").await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.client.text(action_uri), "def add(a, b):\n    return a + b\n");
    let requests = setup.mock.requests();
    assert_eq!(requests.len(), 6, "the action's prompt too long, then once more");
    assert!(requests[5].prompt_text().len() <= requests[4].prompt_text().len());
    setup.shutdown().await;
}

/// The defect this issue started from: a rate limit reported through `event: error` must not
/// silence the balance notice that follows; and a success re-arms a cause.
#[tokio::test]
async fn notices_are_kept_per_cause_and_a_success_re_arms_them() {
    let mut setup = setup().await;
    let capture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wire/event_error_1302.sse");
    // Every attempt of the first completion hits the rate limit, inside the stream.
    for _ in 0..4 {
        setup.mock.push_reply(Reply::replay_file(&capture));
    }
    complete_in(&mut setup, "a").await;
    let text = notice(&mut setup).await;
    assert!(text.contains("1302") && text.contains("maxConcurrency"), "{text}");
    assert_eq!(setup.mock.requests().len(), 4, "one attempt and three retries");

    setup.mock.push_reply(error(429, "1113", "Insufficient balance or no resource package. Please recharge."));
    complete_in(&mut setup, "b").await;
    let text = notice(&mut setup).await;
    assert!(text.contains("balance is exhausted"), "the 1113 notice is not silenced by the 1302 one: {text}");
    assert_eq!(setup.mock.requests().len(), 5);

    // The balance is topped up (held-back requests go out again after a settings change)…
    setup
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "glm-lsp": { "apiKey": TEST_KEY, "thinking": false } } }),
        )
        .await
        .unwrap();
    assert_eq!(complete_in(&mut setup, "c").await.as_deref(), Some("a + b"));
    // …and when it runs out again, the user is told again.
    setup.mock.push_reply(error(429, "1113", "Insufficient balance or no resource package. Please recharge."));
    complete_in(&mut setup, "d").await;
    assert!(notice(&mut setup).await.contains("balance is exhausted"));
    assert_eq!(setup.mock.requests().len(), 7);
    let left: Vec<Value> = setup.client.take_notifications("window/showMessage");
    assert!(left.is_empty(), "{left:?}");
    setup.shutdown().await;
}
