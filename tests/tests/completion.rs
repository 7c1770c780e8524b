//! Completions through the built binary and the mock GLM server, as an editor sees them.

use std::time::Duration;

use glm_lsp_e2e::harness::{split_cursor, test_settings, Setup, TEST_KEY};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

/// Opens the fixture, asks for a completion, accepts the one item, and checks the text.
async fn check(language_id: &str, file: &str, fixture: &str, answer: &str, expected: &str) {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::thinking_then("The user wants the second argument.", answer));
    let uri = format!("file:///project/{file}");
    let position = setup.open_fixture(&uri, language_id, fixture).await;
    let list = setup.complete(&uri, &position, true).await;
    assert_eq!(list["isIncomplete"], true);
    let items = items(&list);
    assert_eq!(items.len(), 1, "{language_id}: {list}");
    assert!(items[0]["detail"].as_str().unwrap().contains("glm-4.7"));
    // Counted before accepting: the edit of an accepted item may prefetch what comes next.
    let requests = setup.mock.requests();
    setup.accept(&uri, &items[0]).await;
    assert_eq!(setup.client.text(&uri), expected, "{language_id}");
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["thinking"]["type"], "enabled");
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "glm-4.7");
    assert_eq!(requests[0].header("authorization"), Some(format!("Bearer {TEST_KEY}").as_str()));
    assert!(body.get("frequency_penalty").is_none() && body.get("presence_penalty").is_none());
    setup.shutdown().await;
}

#[tokio::test]
async fn mid_line_completion_in_every_language() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "rust",
            "main.rs",
            "fn main() {\n    let total = add(1, $0);\n}\n",
            "fn main() {\n    let total = add(1, 2);\n}\n",
        ),
        ("python", "main.py", "def main():\n    total = add(1, $0)\n", "def main():\n    total = add(1, 2)\n"),
        (
            "javascript",
            "main.js",
            "function main() {\n  const total = add(1, $0);\n}\n",
            "function main() {\n  const total = add(1, 2);\n}\n",
        ),
        (
            "typescript",
            "main.ts",
            "function main(): void {\n  const total = add(1, $0);\n}\n",
            "function main(): void {\n  const total = add(1, 2);\n}\n",
        ),
        (
            "typescriptreact",
            "App.tsx",
            "const App = () => <div>{add(1, $0)}</div>;\n",
            "const App = () => <div>{add(1, 2)}</div>;\n",
        ),
        (
            "go",
            "main.go",
            "package main\n\nfunc main() {\n\ttotal := add(1, $0)\n}\n",
            "package main\n\nfunc main() {\n\ttotal := add(1, 2)\n}\n",
        ),
        (
            "c",
            "main.c",
            "int main(void) {\n  int total = add(1, $0);\n}\n",
            "int main(void) {\n  int total = add(1, 2);\n}\n",
        ),
        (
            "cpp",
            "main.cpp",
            "int main() {\n  auto total = add(1, $0);\n}\n",
            "int main() {\n  auto total = add(1, 2);\n}\n",
        ),
        (
            "java",
            "Main.java",
            "class Main {\n  void main() { int total = add(1, $0); }\n}\n",
            "class Main {\n  void main() { int total = add(1, 2); }\n}\n",
        ),
    ];
    for (language_id, file, fixture, expected) in cases {
        check(language_id, file, fixture, "2", expected).await;
    }
}

#[tokio::test]
async fn fences_are_stripped_and_the_closing_paren_is_not_duplicated() {
    check(
        "rust",
        "a.rs",
        "fn f() {\n    let x = add(1, $0);\n}\n",
        "```rust\n2);\n```",
        "fn f() {\n    let x = add(1, 2);\n}\n",
    )
    .await;
    check("python", "a.py", "x = max($0)\n", "a, b)", "x = max(a, b)\n").await;
}

#[tokio::test]
async fn the_word_being_typed_is_replaced_not_repeated() {
    check(
        "rust",
        "a.rs",
        "fn f(items: &[u32]) -> u32 {\n    items.iter().su$0\n}\n",
        "m()",
        "fn f(items: &[u32]) -> u32 {\n    items.iter().sum()\n}\n",
    )
    .await;
}

#[tokio::test]
async fn cjk_and_emoji_before_the_cursor_with_utf16_positions() {
    check(
        "python",
        "greet.py",
        "def greet():\n    message = \"你好 😀 \" + $0\n",
        "name",
        "def greet():\n    message = \"你好 😀 \" + name\n",
    )
    .await;
}

#[tokio::test]
async fn multi_line_suggestions_keep_the_documents_indentation() {
    check(
        "python",
        "loop.py",
        "def total(items):\n    result = 0\n    $0\n",
        "for item in items:\n    result += item\nreturn result",
        "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n",
    )
    .await;
}

#[tokio::test]
async fn a_burst_of_typing_sends_one_upstream_request() {
    // A long debounce so that a loaded CI machine still types "faster" than it.
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 500, "maxWaitMs": 50 } })).await;
    setup.mock.set_default_reply(Reply::text("(x)"));
    let uri = "file:///project/burst.rs";
    let (text, cursor) = split_cursor("fn main() {\n    let value = $0\n}\n");
    setup.client.open(uri, "rust", &text).await.unwrap();
    let mut typed = cursor;
    let mut ids = Vec::new();
    for ch in "compute".chars() {
        setup.client.edit(uri, typed, typed, &ch.to_string()).await.unwrap();
        typed += 1;
        let position = setup.client.position(&setup.client.text(uri), typed);
        ids.push(
            setup
                .client
                .send_request(
                    "textDocument/completion",
                    json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 1 } }),
                )
                .await
                .unwrap(),
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for (index, id) in ids.iter().enumerate() {
        let response = setup.client.raw_response(*id, Duration::from_secs(10)).await.unwrap();
        let count = response["result"]["items"].as_array().map_or(0, Vec::len);
        if index + 1 < ids.len() {
            assert_eq!(count, 0, "a superseded request got an item: {response}");
        }
        assert_eq!(response["result"]["isIncomplete"], true);
    }
    setup.wait_idle(Duration::from_millis(900)).await;
    assert_eq!(setup.mock.requests().len(), 1, "one upstream request for the whole burst");
    assert!(setup.mock.requests()[0].prompt_text().contains("let value = compute"));
    // The editor asks again (isIncomplete) and now gets the suggestion, with no new request.
    let position = setup.client.position(&setup.client.text(uri), typed);
    let list = setup.complete(uri, &position, false).await;
    assert_eq!(list["items"][0]["textEdit"]["newText"], "compute(x)");
    assert_eq!(setup.mock.requests().len(), 1);
    setup.shutdown().await;
}

#[tokio::test]
async fn cancel_request_closes_the_upstream_stream() {
    // By default a request is held until the model answers: it is still open when cancelled.
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 0 } })).await;
    setup.mock.push_reply(Reply::stall());
    let uri = "file:///project/cancel.py";
    let position = setup.open_fixture(uri, "python", "x = $0\n").await;
    let id = setup
        .client
        .send_request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 1 } }),
        )
        .await
        .unwrap();
    setup.mock.wait_for_requests(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cancelled_at = std::time::Instant::now();
    setup.client.cancel(id).await.unwrap();
    let closed = setup.mock.wait_for_close(Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the mock saw the connection close");
    assert!(cancelled_at.elapsed() < Duration::from_millis(500));
    let response = setup.client.raw_response(id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(response["error"]["code"], -32800, "request cancelled: {response}");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_cached_position_makes_no_second_request() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.set_default_reply(Reply::text("42"));
    let uri = "file:///project/cache.go";
    let position = setup.open_fixture(uri, "go", "package main\n\nvar answer = $0\n").await;
    let first = setup.complete(uri, &position, true).await;
    let second = setup.complete(uri, &position, false).await;
    assert_eq!(items(&first), items(&second));
    assert_eq!(items(&second)[0]["textEdit"]["newText"], "42");
    assert_eq!(setup.mock.requests().len(), 1);
    setup.shutdown().await;
}

#[tokio::test]
async fn while_the_model_thinks_the_editor_gets_an_incomplete_answer_then_the_item() {
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 0, "maxWaitMs": 300 } })).await;
    // The model thinks far longer than `maxWaitMs`, with room for a loaded machine.
    setup.mock.push_reply(Reply::thinking_then("hmm", "total").with_think_delay(Duration::from_millis(2500)));
    let uri = "file:///project/slow.ts";
    let position = setup.open_fixture(uri, "typescript", "const sum = $0;\n").await;
    let started = std::time::Instant::now();
    let first = setup.complete(uri, &position, false).await;
    assert!(started.elapsed() < Duration::from_millis(2000), "answered without waiting for the model");
    assert_eq!(first["isIncomplete"], true);
    assert!(items(&first).is_empty());
    setup.wait_idle(Duration::from_millis(2800)).await;
    let second = setup.complete(uri, &position, false).await;
    assert_eq!(items(&second)[0]["textEdit"]["newText"], "total");
    assert_eq!(setup.mock.requests().len(), 1);
    setup.shutdown().await;
}

#[tokio::test]
async fn typing_through_a_suggestion_needs_no_new_request() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::text("compute_total(items)"));
    let uri = "file:///project/through.py";
    let position = setup.open_fixture(uri, "python", "result = $0\n").await;
    let first = setup.complete(uri, &position, true).await;
    assert_eq!(items(&first)[0]["textEdit"]["newText"], "compute_total(items)");
    setup.client.type_at(uri, "result = ", "comp").await.unwrap();
    let position = setup.client.position_after(uri, "result = comp");
    let second = setup.complete(uri, &position, false).await;
    let item = &items(&second)[0];
    assert_eq!(item["textEdit"]["newText"], "compute_total(items)", "the word typed so far is replaced");
    assert_eq!(item["filterText"], "compute_total(items)");
    // Neither the request nor the prefetch after the typing asked the model again.
    setup.wait_idle(Duration::from_millis(150)).await;
    assert_eq!(setup.mock.requests().len(), 1);
    // (Accepting it may prefetch a suggestion for what comes next.)
    setup.accept(uri, item).await;
    assert_eq!(setup.client.text(uri), "result = compute_total(items)\n");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_rejected_key_gives_empty_results_and_one_message() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.set_default_reply(Reply::unauthorized());
    let uri = "file:///project/auth.rs";
    let position = setup.open_fixture(uri, "rust", "fn main() { $0 }\n").await;
    for _ in 0..3 {
        let list = setup.complete(uri, &position, true).await;
        assert!(items(&list).is_empty());
    }
    setup.client.type_at(uri, "fn main() { ", "x").await.unwrap();
    let position = setup.client.position_after(uri, "fn main() { x");
    assert!(items(&setup.complete(uri, &position, true).await).is_empty());
    setup.wait_idle(Duration::from_millis(300)).await;
    let messages = setup.client.take_notifications("window/showMessage");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0]["message"].as_str().unwrap().contains("GLM_API_KEY"));
    assert!(!setup.client.stderr().contains(TEST_KEY), "the key never reaches the log");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_thinking_budget_spent_on_reasoning_gives_no_item() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::truncated("thinking thinking thinking", ""));
    let uri = "file:///project/budget.rs";
    let position = setup.open_fixture(uri, "rust", "fn main() { $0 }\n").await;
    assert!(items(&setup.complete(uri, &position, true).await).is_empty());
    assert!(setup.client.stderr().contains("maxTokens"));
    setup.shutdown().await;
}

#[tokio::test]
async fn inline_completion_returns_the_same_suggestion_with_a_range() {
    let mut setup = inline_editor(test_settings()).await;
    assert_eq!(setup.client.initialize_result["capabilities"]["inlineCompletionProvider"], true);
    setup.mock.push_reply(Reply::text("b)"));
    let uri = "file:///project/inline.js";
    let position = setup.open_fixture(uri, "javascript", "const m = Math.max(a, $0);\n").await;
    let result = setup
        .client
        .request(
            "textDocument/inlineCompletion",
            json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 1 } }),
        )
        .await
        .unwrap();
    let item = &result["items"][0];
    assert_eq!(item["insertText"], "b");
    assert_eq!(item["range"]["start"], position);
    assert_eq!(item["range"]["end"], position);
    setup.shutdown().await;
}

#[tokio::test]
async fn positions_past_the_end_are_an_error_and_the_document_is_untouched() {
    let mut setup = Setup::new(test_settings()).await;
    let uri = "file:///project/bounds.rs";
    setup.client.open(uri, "rust", "fn a() {}\n").await.unwrap();
    let error = setup
        .client
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 99, "character": 0 }, "context": { "triggerKind": 1 } }),
        )
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("past the end"), "{error:#}");
    // A character past the end of a line is clamped to the line's end, as LSP says.
    setup.mock.push_reply(Reply::text(" // ok"));
    let list = setup.complete(uri, &json!({ "line": 0, "character": 400 }), true).await;
    assert_eq!(items(&list)[0]["textEdit"]["range"]["start"], json!({ "line": 0, "character": 9 }));
    let unknown = setup
        .client
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": "file:///nope.rs" }, "position": { "line": 0, "character": 0 } }),
        )
        .await
        .unwrap_err();
    assert!(format!("{unknown:#}").contains("not open"));
    assert_eq!(setup.client.text(uri), "fn a() {}\n");
    setup.shutdown().await;
}

#[tokio::test]
async fn long_multibyte_text_before_the_cursor() {
    // More than the server's look-back window of CJK before the cursor: windows must start
    // on character boundaries.
    let comment = "# 这是一个很长的注释，".repeat(40);
    let fixture = format!("{comment}\nvalue = 名前$0\n");
    check("python", "cjk.py", &fixture, "の値", &format!("{comment}\nvalue = 名前の値\n")).await;
}

/// An editor that shows ghost text (advertises `textDocument/inlineCompletion`), as VS Code.
async fn inline_editor(settings: Value) -> Setup {
    Setup::with_options(ClientOptions {
        inline_completion: true,
        initialization_options: settings,
        ..ClientOptions::default()
    })
    .await
}

async fn inline_items(setup: &mut Setup, uri: &str, position: &Value) -> Vec<Value> {
    let result = setup
        .client
        .request(
            "textDocument/inlineCompletion",
            json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 2 } }),
        )
        .await
        .unwrap();
    result["items"].as_array().cloned().unwrap_or_default()
}

fn completion_request(uri: &str, position: &Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 2, "triggerCharacter": " " } })
}

#[tokio::test]
async fn a_held_request_is_answered_when_the_slow_model_finishes_with_progress_meanwhile() {
    // The defaults: no maxWaitMs, so the request is held until the model has answered.
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 0 } })).await;
    let think = Duration::from_millis(1500);
    setup.mock.push_reply(Reply::thinking_then("The sum.", "total").with_think_delay(think));
    let uri = "file:///project/held.ts";
    let position = setup.open_fixture(uri, "typescript", "const sum = $0;\n").await;
    let started = std::time::Instant::now();
    let list = setup.complete(uri, &position, false).await;
    assert!(started.elapsed() >= think, "the answer came from the slow reply");
    assert_eq!(items(&list)[0]["textEdit"]["newText"], "total", "{list}");
    assert_eq!(setup.mock.requests().len(), 1);
    // While it waited, the editor was shown progress, ended when the answer came.
    let create = setup
        .client
        .server_requests
        .iter()
        .find(|request| request["method"] == "window/workDoneProgress/create")
        .expect("progress was created");
    let token = create["params"]["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("glm-lsp/completion/"), "{token}");
    let begin = setup.client.expect_notification("$/progress", Duration::from_secs(2)).await.unwrap();
    assert_eq!((begin["token"].as_str(), begin["value"]["kind"].as_str()), (Some(token.as_str()), Some("begin")));
    let end = setup.client.expect_notification("$/progress", Duration::from_secs(2)).await.unwrap();
    assert_eq!((end["token"].as_str(), end["value"]["kind"].as_str()), (Some(token.as_str()), Some("end")));
    setup.shutdown().await;
}

#[tokio::test]
async fn a_quick_answer_shows_no_progress() {
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 0 } })).await;
    setup.mock.push_reply(Reply::text("1"));
    let uri = "file:///project/quick.py";
    let position = setup.open_fixture(uri, "python", "x = $0\n").await;
    assert_eq!(items(&setup.complete(uri, &position, true).await)[0]["textEdit"]["newText"], "1");
    setup.wait_idle(Duration::from_millis(700)).await;
    assert!(setup.client.server_requests.iter().all(|r| r["method"] != "window/workDoneProgress/create"));
    setup.shutdown().await;
}

#[tokio::test]
async fn a_newer_keystroke_releases_a_held_request_at_once_and_drops_it_upstream() {
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 0 } })).await;
    setup.mock.push_reply(Reply::stall());
    setup.mock.set_default_reply(Reply::text("value"));
    let uri = "file:///project/supersede.py";
    let position = setup.open_fixture(uri, "python", "result = $0\n").await;
    let held = setup.client.send_request("textDocument/completion", completion_request(uri, &position)).await.unwrap();
    setup.mock.wait_for_requests(1, Duration::from_secs(5)).await;
    // The user types on: the didChange alone releases the held request.
    let typed_at = std::time::Instant::now();
    setup.client.type_at(uri, "result = ", "v").await.unwrap();
    let response = setup.client.raw_response(held, Duration::from_secs(5)).await.unwrap();
    assert!(typed_at.elapsed() < Duration::from_millis(500), "released at once, not when the model answered");
    assert_eq!(response["result"]["isIncomplete"], true, "{response}");
    assert_eq!(response["result"]["items"], json!([]));
    assert!(
        setup.mock.wait_for_close(Duration::from_secs(2)).await.is_some(),
        "the stalled upstream stream was dropped"
    );
    // The request for the new position gets its own answer.
    let position = setup.client.position_after(uri, "result = v");
    let list = setup.complete(uri, &position, false).await;
    assert_eq!(items(&list)[0]["textEdit"]["newText"], "value", "{list}");
    setup.shutdown().await;
}

#[tokio::test]
async fn with_completion_style_auto_an_inline_editor_gets_ghost_text_only() {
    let mut setup = inline_editor(json!({ "completion": { "debounceMs": 0 } })).await;
    setup.mock.set_default_reply(Reply::text("b)"));
    let uri = "file:///project/style.js";
    let position = setup.open_fixture(uri, "javascript", "const m = Math.max(a, $0);\n").await;
    let list = setup.complete(uri, &position, true).await;
    assert_eq!(list, json!({ "isIncomplete": false, "items": [] }), "no menu item beside the ghost text");
    assert!(setup.mock.requests().is_empty(), "the completion request asked the model nothing");
    let inline = inline_items(&mut setup, uri, &position).await;
    assert_eq!(inline[0]["insertText"], "b");
    setup.shutdown().await;
}

#[tokio::test]
async fn completion_style_list_inline_and_both() {
    let fixture = "total = add(1, $0)\n";
    // `list` on an editor with ghost text: menu items only.
    let mut setup = inline_editor(json!({ "completion": { "debounceMs": 0, "style": "list" } })).await;
    setup.mock.set_default_reply(Reply::text("2)"));
    let uri = "file:///project/list.py";
    let position = setup.open_fixture(uri, "python", fixture).await;
    assert!(inline_items(&mut setup, uri, &position).await.is_empty());
    assert_eq!(items(&setup.complete(uri, &position, true).await)[0]["textEdit"]["newText"], "2");
    setup.shutdown().await;

    // `both`: the same suggestion both ways, from one upstream request.
    let mut setup = inline_editor(json!({ "completion": { "debounceMs": 0, "style": "both" } })).await;
    setup.mock.set_default_reply(Reply::text("2)"));
    let position = setup.open_fixture(uri, "python", fixture).await;
    assert_eq!(items(&setup.complete(uri, &position, true).await)[0]["textEdit"]["newText"], "2");
    assert_eq!(inline_items(&mut setup, uri, &position).await[0]["insertText"], "2");
    assert_eq!(setup.mock.requests().len(), 1);
    setup.shutdown().await;

    // `inline` on an editor without ghost text: nothing in the menu.
    let mut setup = Setup::new(json!({ "completion": { "debounceMs": 0, "style": "inline" } })).await;
    let position = setup.open_fixture(uri, "python", fixture).await;
    assert!(items(&setup.complete(uri, &position, true).await).is_empty());
    assert!(setup.mock.requests().is_empty());
    setup.shutdown().await;
}

#[tokio::test]
async fn a_long_multi_line_item_has_a_one_line_label_and_a_safe_fence() {
    let mut setup = Setup::new(test_settings()).await;
    let body: String = (0..40).map(|i| format!("    values.push(\"{}\");\n", "x".repeat(i * 5))).collect();
    let answer = format!("let mut values = Vec::new(); // ```not a fence```\n{body}values");
    setup.mock.push_reply(Reply::text(answer.clone()));
    let uri = "file:///project/long.rs";
    let position = setup.open_fixture(uri, "rust", "fn build() -> Vec<&'static str> {\n    $0\n}\n").await;
    let list = setup.complete(uri, &position, true).await;
    let item = &items(&list)[0];
    let label = item["label"].as_str().unwrap();
    assert!(!label.contains('\n') && label.chars().count() <= 82, "{label}");
    assert!(!item["detail"].as_str().unwrap().contains('\n'));
    assert!(!item["filterText"].as_str().unwrap().contains('\n'));
    let documentation = item["documentation"]["value"].as_str().unwrap();
    assert!(documentation.starts_with("````rust\n") && documentation.ends_with("\n````"), "{documentation}");
    let edit = &item["textEdit"];
    assert_eq!(edit["range"]["start"], edit["range"]["end"], "inserted at the cursor, replacing nothing");
    assert!(edit["newText"].as_str().unwrap().lines().count() > 40);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_held_request_ends_empty_at_the_request_timeout() {
    let mut setup = Setup::new(json!({ "timeoutSecs": 1, "completion": { "debounceMs": 0 } })).await;
    setup.mock.set_default_reply(Reply::stall());
    let uri = "file:///project/timeout.go";
    let position = setup.open_fixture(uri, "go", "package main\n\nvar answer = $0\n").await;
    let started = std::time::Instant::now();
    let id = setup.client.send_request("textDocument/completion", completion_request(uri, &position)).await.unwrap();
    let response = setup.client.raw_response(id, Duration::from_secs(15)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "held until the timeout");
    assert_eq!(response["result"]["items"], json!([]), "{response}");
    assert_eq!(response["result"]["isIncomplete"], true);
    // The user is told why, once.
    setup.wait_idle(Duration::from_millis(200)).await;
    let messages = setup.take_messages();
    assert!(messages.len() == 1 && messages[0].contains("timed out"), "{messages:?}");
    setup.shutdown().await;
}
