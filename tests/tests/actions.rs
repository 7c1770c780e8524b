//! Code actions through the built binary and the mock GLM server: listed without the model,
//! run through the command (progress + `workspace/applyEdit`) or `codeAction/resolve`, and
//! applied as minimal edits that never land on text that changed underneath them.

use std::time::Duration;

use glm_lsp_e2e::harness::{split_cursor, test_settings, Setup};
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

const RUST_SOURCE: &str = "\
use std::collections::HashMap;

/// Counts words.
pub fn count(text: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for word in text.split_whitespace() {
        *m.entry(word.to_string()).or_insert(0) += 1;
    }
    m
}
";

const RUST_IMPROVED: &str = "\
pub fn count(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_string()).or_insert(0) += 1;
    }
    counts
}";

fn improved_document() -> String {
    RUST_SOURCE
        .replace("let mut m =", "let mut counts =")
        .replace("*m.entry", "*counts.entry")
        .replace("    m\n}", "    counts\n}")
}

async fn list_actions(setup: &mut Setup, uri: &str, range: Value, diagnostics: Value) -> Vec<Value> {
    setup
        .client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": diagnostics } }),
        )
        .await
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn titled<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|action| action["title"].as_str().unwrap_or_default().starts_with(title))
        .unwrap_or_else(|| panic!("no action {title:?} in {actions:#?}"))
}

fn cursor_range(setup: &Setup, uri: &str, marker: &str) -> Value {
    let position = setup.client.position_after(uri, marker);
    json!({ "start": position, "end": position })
}

/// Runs an action's command as an editor does; the server answers at once.
async fn execute(setup: &mut Setup, action: &Value) {
    assert_eq!(action["command"]["command"], "glm-lsp.runAction");
    setup.execute_action(action).await;
}

/// Runs an action's command and waits until its progress ends; returns the end message.
async fn run_command(setup: &mut Setup, action: &Value) -> String {
    execute(setup, action).await;
    wait_for_progress_end(setup).await
}

async fn wait_for_progress_end(setup: &mut Setup) -> String {
    setup.action_progress_end(Duration::from_secs(20)).await
}

#[tokio::test]
async fn actions_are_listed_without_asking_the_model() {
    let mut setup = Setup::new(test_settings()).await;
    for (language_id, file, fixture) in [
        ("rust", "a.rs", "fn add(a: i32, b: i32) -> i32 {\n    a +$0 b\n}\n"),
        ("python", "a.py", "def add(a, b):\n    return a +$0 b\n"),
        ("typescript", "a.ts", "function add(a: number, b: number): number {\n  return a +$0 b;\n}\n"),
        ("go", "a.go", "package a\n\nfunc Add(a, b int) int {\n\treturn a +$0 b\n}\n"),
        ("java", "A.java", "class A {\n  int add(int a, int b) {\n    return a +$0 b;\n  }\n}\n"),
    ] {
        let uri = format!("file:///project/{file}");
        let position = setup.open_fixture(&uri, language_id, fixture).await;
        let started = std::time::Instant::now();
        let actions = list_actions(&mut setup, &uri, json!({ "start": position, "end": position }), json!([])).await;
        assert!(started.elapsed() < Duration::from_millis(500));
        let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
        assert!(titles.contains(&"GLM: Improve this code"), "{language_id}: {titles:?}");
        assert!(titles.contains(&"GLM: Add documentation"), "{language_id}: {titles:?}");
        assert_eq!(titled(&actions, "GLM: Improve")["kind"], "refactor.rewrite");
    }
    assert!(setup.mock.requests().is_empty(), "no upstream request for a listing");
    setup.shutdown().await;
}

#[tokio::test]
async fn improve_through_the_command_applies_a_minimal_edit() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::thinking_then(
        "Rename m to counts.",
        format!("Here you go:\n```rust\n{RUST_IMPROVED}\n```\n"),
    ));
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "let mut ");
    let actions = list_actions(&mut setup, uri, range, json!([])).await;
    let message = run_command(&mut setup, titled(&actions, "GLM: Improve")).await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.client.text(uri), improved_document());
    // The edit the editor received: small pieces, not the whole function.
    let apply = setup.client.server_requests.iter().find(|r| r["method"] == "workspace/applyEdit").unwrap();
    let change = &apply["params"]["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], 1);
    let edits = change["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 3, "{edits:#?}");
    for edit in edits {
        assert!(edit["newText"].as_str().unwrap().len() <= "counts".len(), "{edit}");
        assert_eq!(edit["annotationId"], "glm-edit");
    }
    assert_eq!(apply["params"]["edit"]["changeAnnotations"]["glm-edit"]["needsConfirmation"], false);
    // Progress was created by the server and reported while the model thought.
    assert!(setup.client.server_requests.iter().any(|r| r["method"] == "window/workDoneProgress/create"));
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("let mut m = HashMap::new();"), "the target is in the prompt");
    assert_eq!(setup.mock.requests()[0].body["thinking"]["type"], "enabled");
    setup.shutdown().await;
}

#[tokio::test]
async fn improve_through_resolve_fills_the_edit() {
    let mut setup = Setup::new(json!({ "actions": { "resolve": true } })).await;
    setup.mock.push_reply(Reply::text(format!("```rust\n{RUST_IMPROVED}\n```")));
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "for word");
    let actions = list_actions(&mut setup, uri, range, json!([])).await;
    let action = titled(&actions, "GLM: Improve").clone();
    assert!(action.get("command").is_none() || action["command"].is_null(), "resolve path has no command");
    assert!(setup.mock.requests().is_empty());
    let resolved = setup.client.request("codeAction/resolve", action).await.unwrap();
    let edit = &resolved["edit"]["documentChanges"][0];
    setup.client.apply_text_edits(uri, edit["edits"].as_array().unwrap()).await.unwrap();
    assert_eq!(setup.client.text(uri), improved_document());
    setup.shutdown().await;
}

#[tokio::test]
async fn fix_puts_the_diagnostic_in_the_prompt() {
    let mut setup = Setup::new(test_settings()).await;
    let source = "def area(radius):\n    return 3.14159 * radius * radiuss\n";
    setup.mock.push_reply(Reply::text("```python\ndef area(radius):\n    return 3.14159 * radius * radius\n```"));
    let uri = "file:///project/geometry.py";
    setup.client.open(uri, "python", source).await.unwrap();
    let start = setup.client.position_after(uri, "radius * ");
    let end = setup.client.position_after(uri, "radius * radiuss");
    let diagnostic = json!({ "range": { "start": start, "end": end }, "message": "\"radiuss\" is not defined", "code": "reportUndefinedVariable", "source": "Pyright", "severity": 1 });
    let actions = list_actions(&mut setup, uri, json!({ "start": start, "end": end }), json!([diagnostic])).await;
    let fix = titled(&actions, "GLM: Fix: \"radiuss\" is not defined");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "reportUndefinedVariable");
    let message = run_command(&mut setup, fix).await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.client.text(uri), "def area(radius):\n    return 3.14159 * radius * radius\n");
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("\"radiuss\" is not defined"));
    assert!(prompt.contains("reportUndefinedVariable"));
    assert!(prompt.contains("Pyright"));
    setup.shutdown().await;
}

/// Runs "Improve" on `count.rs` and returns once the model has the request and is thinking
/// (600 ms), so the test can type meanwhile.
async fn improve_while_the_model_thinks() -> (Setup, String) {
    let mut setup = Setup::new(test_settings()).await;
    // By rule, not by order: the user's typing below also prefetches completions.
    setup.mock.add_rule(
        "Target region",
        Reply::text(format!("```rust\n{RUST_IMPROVED}\n```")).with_think_delay(Duration::from_millis(600)),
    );
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "let mut ");
    let actions = list_actions(&mut setup, uri, range, json!([])).await;
    execute(&mut setup, titled(&actions, "GLM: Improve")).await;
    let begin = setup.client.expect_notification("$/progress", Duration::from_secs(5)).await.unwrap();
    assert_eq!(begin["value"]["kind"], "begin");
    setup.mock.wait_for_requests(1, Duration::from_secs(5)).await;
    (setup, uri.to_string())
}

#[tokio::test]
async fn a_user_edit_above_the_target_is_rebased() {
    let (mut setup, uri) = improve_while_the_model_thinks().await;
    let uri = uri.as_str();
    // The user keeps typing above the function while the model thinks.
    setup.client.edit(uri, 0, 0, "// Word statistics.\n").await.unwrap();
    let message = wait_for_progress_end(&mut setup).await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.client.text(uri), format!("// Word statistics.\n{}", improved_document()));
    setup.shutdown().await;
}

#[tokio::test]
async fn an_overlapping_user_edit_is_refused_with_a_message() {
    let (mut setup, uri) = improve_while_the_model_thinks().await;
    let uri = uri.as_str();
    setup.client.type_at(uri, "let mut m", "ap").await.unwrap();
    let edited = setup.client.text(uri);
    let message = wait_for_progress_end(&mut setup).await;
    assert!(message.contains("not applied"), "{message}");
    let shown = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(shown["message"].as_str().unwrap().contains("edited the same lines"), "{shown}");
    assert_eq!(setup.client.text(uri), edited, "nothing was applied");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_truncated_answer_changes_nothing() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::truncated(
        "long thoughts",
        "```rust\npub fn count(text: &str) -> HashMap<String, usize> {\n    let mut counts",
    ));
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "let mut ");
    let actions = list_actions(&mut setup, uri, range, json!([])).await;
    let message = run_command(&mut setup, titled(&actions, "GLM: Improve")).await;
    assert!(message.contains("cut off"), "{message}");
    let shown = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(shown["message"].as_str().unwrap().contains("nothing was changed"));
    assert_eq!(setup.client.text(uri), RUST_SOURCE);
    assert!(!setup.client.server_requests.iter().any(|r| r["method"] == "workspace/applyEdit"));
    setup.shutdown().await;
}

#[tokio::test]
async fn cancelling_from_the_progress_ui_changes_nothing() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::stall());
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "let mut ");
    let actions = list_actions(&mut setup, uri, range, json!([])).await;
    execute(&mut setup, titled(&actions, "GLM: Improve")).await;
    let begin = setup.client.expect_notification("$/progress", Duration::from_secs(5)).await.unwrap();
    assert_eq!(begin["value"]["kind"], "begin");
    assert_eq!(begin["value"]["cancellable"], true);
    setup.mock.wait_for_requests(1, Duration::from_secs(5)).await;
    setup.client.notify("window/workDoneProgress/cancel", json!({ "token": begin["token"] })).await.unwrap();
    let message = wait_for_progress_end(&mut setup).await;
    assert!(message.contains("cancelled"), "{message}");
    assert!(setup.mock.wait_for_close(Duration::from_secs(2)).await.is_some(), "the upstream stream was dropped");
    assert_eq!(setup.client.text(uri), RUST_SOURCE);
    setup.shutdown().await;
}

#[tokio::test]
async fn add_documentation_and_custom_actions() {
    let mut setup = Setup::new(json!({ "actions": [{ "title": "Explain in a comment", "prompt": "Add a comment explaining this {language} code:\n{code}" }] })).await;
    let (text, cursor) = split_cursor("def add(a, b):\n    return a +$0 b\n");
    let uri = "file:///project/math.py";
    setup.client.open(uri, "python", &text).await.unwrap();
    let position = setup.client.position(&text, cursor);
    let actions = list_actions(&mut setup, uri, json!({ "start": position, "end": position }), json!([])).await;
    setup.mock.push_reply(Reply::text(
        "```python\ndef add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n```",
    ));
    let message = run_command(&mut setup, titled(&actions, "GLM: Add documentation")).await;
    assert!(message.starts_with("applied 1"), "{message}");
    assert_eq!(
        setup.client.text(uri),
        "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n"
    );
    let custom = titled(&actions, "GLM: Explain in a comment");
    assert_eq!(custom["kind"], "refactor.rewrite");
    setup.mock.push_reply(Reply::text("```python\n# Adds two numbers.\ndef add(a, b):\n    return a + b\n```"));
    let message = run_command(&mut setup, custom).await;
    // The document changed since the listing (the docstring), so the custom action is stale.
    assert!(message.contains("changed since"), "{message}");
    let _ = setup.client.take_notifications("window/showMessage");
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("docstrings for Python"));
    setup.shutdown().await;
}

#[tokio::test]
async fn progress_reports_the_thinking_as_it_streams() {
    let mut setup = Setup::new(test_settings()).await;
    let reasoning = "Let me look at the loop and the map. ".repeat(40);
    setup.mock.push_reply(
        Reply::thinking_then(reasoning, format!("```rust\n{RUST_IMPROVED}\n```")).paced(40, Duration::from_millis(25)),
    );
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "let mut ");
    let actions = list_actions(&mut setup, uri, range, json!([])).await;
    execute(&mut setup, titled(&actions, "GLM: Improve")).await;
    let mut reports = Vec::new();
    loop {
        let progress = setup.client.expect_notification("$/progress", Duration::from_secs(20)).await.unwrap();
        let message = progress["value"]["message"].as_str().unwrap_or_default().to_string();
        match progress["value"]["kind"].as_str() {
            Some("report") => reports.push(message),
            Some("end") => {
                assert!(message.starts_with("applied"), "{message}");
                break;
            }
            _ => {}
        }
    }
    assert!(reports.iter().any(|message| message.starts_with("thinking… ")), "{reports:?}");
    setup.shutdown().await;
}

const PYTHON_COMPUTE: &str =
    "def compute(values):\n    total = 0\n    for v in values:\n        total = total + v\n    return total\n";

/// Lists the actions for `range` (an LSP range), runs "Improve" and returns the end message.
async fn improve_at(setup: &mut Setup, uri: &str, range: Value) -> String {
    let actions = list_actions(setup, uri, range, json!([])).await;
    run_command(setup, titled(&actions, "GLM: Improve")).await
}

#[tokio::test]
async fn a_one_character_range_as_helix_sends_targets_the_whole_function() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.push_reply(Reply::text("```python\ndef compute(values):\n    return sum(values)\n```"));
    let uri = "file:///project/compute.py";
    setup.client.open(uri, "python", PYTHON_COMPUTE).await.unwrap();
    // Helix's cursor on the `t` of `total = 0`: the character under it, (1,4)-(1,5).
    let range = json!({ "start": { "line": 1, "character": 4 }, "end": { "line": 1, "character": 5 } });
    let message = improve_at(&mut setup, uri, range).await;
    assert!(message.starts_with("applied"), "{message}");
    assert_eq!(setup.client.text(uri), "def compute(values):\n    return sum(values)\n");
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("Target region (lines 1-5)"), "{prompt}");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_answer_restating_the_enclosing_def_is_aligned_on_it_not_nested() {
    let mut setup = Setup::new(test_settings()).await;
    // The user selected one line; the model answers with the whole function around it.
    setup.mock.push_reply(Reply::text(
        "```python\ndef compute(values):\n    total = 0.0\n    for v in values:\n        total = total + v\n    return total\n```",
    ));
    let uri = "file:///project/compute.py";
    setup.client.open(uri, "python", PYTHON_COMPUTE).await.unwrap();
    let range = json!({ "start": { "line": 1, "character": 0 }, "end": { "line": 2, "character": 0 } });
    let message = improve_at(&mut setup, uri, range).await;
    assert!(message.starts_with("applied 1"), "{message}");
    assert_eq!(setup.client.text(uri), PYTHON_COMPUTE.replace("total = 0\n", "total = 0.0\n"));
    setup.shutdown().await;
}

#[tokio::test]
async fn an_answer_that_would_not_parse_is_refused_and_changes_nothing() {
    let mut setup = Setup::new(test_settings()).await;
    // The closing brace of the loop is missing.
    setup.mock.push_reply(Reply::text(format!(
        "```rust\n{}\n```",
        RUST_IMPROVED.replace(
            "        *counts.entry(word.to_string()).or_insert(0) += 1;\n    }\n",
            "        *counts.entry(word.to_string()).or_insert(0) += 1;\n"
        )
    )));
    let uri = "file:///project/src/count.rs";
    setup.client.open(uri, "rust", RUST_SOURCE).await.unwrap();
    let range = cursor_range(&setup, uri, "let mut ");
    let message = improve_at(&mut setup, uri, range).await;
    assert!(message.contains("would not parse"), "{message}");
    let shown = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(shown["message"].as_str().unwrap().contains("nothing was changed"), "{shown}");
    assert_eq!(setup.client.text(uri), RUST_SOURCE);
    assert!(!setup.client.server_requests.iter().any(|r| r["method"] == "workspace/applyEdit"));
    setup.shutdown().await;
}
