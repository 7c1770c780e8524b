//! Next-edit suggestions through the built binary and the mock GLM server: the
//! `textDocument/copilotInlineEdit` request as copilot-lsp and sidekick.nvim send it, the
//! prompt the model gets for an edit chain, stale answers dropped, upstream cancelled on
//! typing, one request per pause, and the suggestion as a code action and as an inline
//! completion item.

use std::time::Duration;

use glm_lsp_e2e::harness::Setup;
use glm_lsp_e2e::mock_glm::Reply;
use glm_lsp_e2e::rename_example::{renamed, SOURCE};
use serde_json::{json, Value};

const URI: &str = "file:///project/geometry.py";

/// Completions off (their prefetch would ask the mock too) and no pause unless a test wants one.
fn settings(debounce_ms: u64) -> Value {
    json!({ "completion": { "enabled": false }, "nextEdit": { "debounceMs": debounce_ms } })
}

async fn setup(debounce_ms: u64) -> Setup {
    Setup::new(settings(debounce_ms)).await
}

/// The rewritten region the mock answers with: every use of `w` renamed.
fn renamed_region_answer() -> String {
    let region = renamed();
    format!("The parameter was renamed; its uses follow.\n```python\n{region}```")
}

async fn inline_edit(setup: &mut Setup, uri: &str, position: Value) -> Value {
    let id = setup.send_inline_edit(uri, position).await;
    setup.client.response(id).await.unwrap()
}

/// Renames the parameter `w` to `width` as a user does: the new name typed over the old.
async fn rename_parameter(setup: &mut Setup) -> Value {
    let at = SOURCE.find("w, h").unwrap();
    setup.client.edit(URI, at, at + 1, "width").await.unwrap();
    setup.client.position_after(URI, "def area(width")
}

#[tokio::test]
async fn after_renaming_a_parameter_its_next_uses_are_the_suggestion() {
    let mut setup = setup(0).await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()));
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let cursor = rename_parameter(&mut setup).await;

    let result = inline_edit(&mut setup, URI, cursor).await;
    let edits = result["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{result}");
    let edit = &edits[0];
    // The minimal replacement spanning both uses (UTF-16 positions): `idth` after each `w`.
    assert_eq!(
        edit["range"],
        json!({ "start": { "line": 1, "character": 15 }, "end": { "line": 2, "character": 12 } }),
        "{edit}"
    );
    assert_eq!(edit["text"], "idth * 2\n    return width");
    assert_eq!(edit["textDocument"], json!({ "uri": URI, "version": setup.client.version(URI) }));
    assert_eq!(edit["command"]["command"], "glm-lsp.nextEdit.accepted");

    // What the model was shown: the rename as a diff, then the region with the cursor.
    let requests = setup.mock.requests();
    assert_eq!(requests.len(), 1);
    let messages = requests[0].body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[1]["content"],
        "The user's recent edits, oldest first:\n```diff\n\
         --- a/project/geometry.py\n+++ b/project/geometry.py\n@@ -1,1 +1,1 @@\n\
         -def area(w, h):\n+def area(width, h):\n```\n\n\
         The editable region of `/project/geometry.py` (lines 1-7), the cursor at <|CURSOR|>:\n```python\n\
         def area(width<|CURSOR|>, h):\n    doubled = w * 2\n    return w * h\n\n\ndef main():\n    print(area(2, 3))\n```\n\n\
         Reply with the editable region rewritten with the user's next edit, in one ```python fenced block."
    );
    assert_eq!(requests[0].body["thinking"]["type"], "enabled", "nextEdit.thinking defaults to on");

    // Accepting: the editor applies the edit and runs its command.
    setup.client.apply_text_edits(URI, &[json!({ "range": edit["range"], "newText": edit["text"] })]).await.unwrap();
    assert_eq!(setup.client.text(URI), renamed());
    setup.execute_action(edit).await;
    assert_eq!(setup.status().await["nextEdit"]["accepted"], 1);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_bad_version_is_invalid_params_and_the_server_goes_on() {
    let mut setup = setup(0).await;
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let position = json!({ "line": 0, "character": 4 });
    for text_document in
        [json!({ "uri": URI }), json!({ "uri": URI, "version": "2" }), json!({ "uri": URI, "version": null })]
    {
        let id = setup
            .client
            .send_request(
                "textDocument/copilotInlineEdit",
                json!({ "textDocument": text_document, "position": position }),
            )
            .await
            .unwrap();
        let response = setup.client.raw_response(id, Duration::from_secs(10)).await.unwrap();
        assert_eq!(response["error"]["code"], -32602, "{text_document}: {response}");
    }
    // A position past the end is refused the same way.
    let id = setup
        .client
        .send_request(
            "textDocument/copilotInlineEdit",
            json!({ "textDocument": { "uri": URI, "version": 1 }, "position": { "line": 99, "character": 0 } }),
        )
        .await
        .unwrap();
    assert_eq!(setup.client.raw_response(id, Duration::from_secs(10)).await.unwrap()["error"]["code"], -32602);
    assert!(setup.mock.requests().is_empty());
    assert!(setup.client.is_running());
    setup.shutdown().await;
}

#[tokio::test]
async fn did_show_inline_edit_is_accepted_in_every_clients_shape() {
    let mut setup = setup(0).await;
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let shapes = [
        // copilot-lsp and sidekick.nvim: the shown edit's command, or none.
        json!({ "item": { "command": { "title": "Accept next edit", "command": "glm-lsp.nextEdit.accepted", "arguments": ["1"] } } }),
        json!({ "item": {} }),
        json!({ "item": { "text": "x", "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } } } }),
        json!(null),
    ];
    for shape in shapes {
        setup.client.notify("textDocument/didShowInlineEdit", shape).await.unwrap();
    }
    assert_eq!(setup.status().await["nextEdit"]["shown"], 4);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_request_for_an_older_version_or_overtaken_by_typing_offers_nothing() {
    let mut setup = setup(0).await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()).with_think_delay(Duration::from_millis(1500)));
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let cursor = rename_parameter(&mut setup).await;

    // Asked for the version before the rename: nothing, and the model is not asked.
    let stale = setup
        .client
        .request(
            "textDocument/copilotInlineEdit",
            json!({ "textDocument": { "uri": URI, "version": 1 }, "position": cursor }),
        )
        .await
        .unwrap();
    assert_eq!(stale, json!({ "edits": [] }));
    assert!(setup.mock.requests().is_empty());

    // Asked for the current version, then the user types while the model thinks: the
    // request answers nothing at once and the model's stream is dropped.
    let id = setup.send_inline_edit(URI, cursor).await;
    setup.mock.wait_for_requests(1, Duration::from_secs(10)).await;
    setup.client.type_at(URI, "print(area(2, 3))", "\n").await.unwrap();
    let response = setup.client.raw_response(id, Duration::from_secs(1)).await.unwrap();
    assert_eq!(response["result"], json!({ "edits": [] }), "{response}");
    assert!(setup.mock.wait_for_close(Duration::from_secs(2)).await.is_some(), "the upstream stream was dropped");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_request_drops_the_model_stream() {
    let mut setup = setup(0).await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()).with_think_delay(Duration::from_secs(5)));
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let cursor = rename_parameter(&mut setup).await;
    let id = setup.send_inline_edit(URI, cursor).await;
    setup.mock.wait_for_requests(1, Duration::from_secs(10)).await;
    setup.client.cancel(id).await.unwrap();
    assert!(setup.mock.wait_for_close(Duration::from_secs(2)).await.is_some(), "the upstream stream was dropped");
    let _ = setup.client.raw_response(id, Duration::from_secs(2)).await;
    setup.shutdown().await;
}

/// A client that asks after every keystroke (as copilot-lsp does) costs one model request
/// per pause; asking again for the same region and history costs none.
#[tokio::test]
async fn one_model_request_per_pause_and_none_for_the_same_region_and_history() {
    // Keystrokes 20 ms apart against a 500 ms pause: a loaded machine stays well inside it.
    let mut setup = setup(500).await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()));
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let at = SOURCE.find("w, h").unwrap();
    setup.client.edit(URI, at, at + 1, "").await.unwrap();
    let mut pending = Vec::new();
    for (typed, letter) in "width".chars().enumerate() {
        setup.client.edit(URI, at + typed, at + typed, &letter.to_string()).await.unwrap();
        let cursor = setup.client.position(&setup.client.text(URI), at + typed + 1);
        let id = setup.send_inline_edit(URI, cursor).await;
        pending.push(id);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut answers = Vec::new();
    for id in pending {
        answers.push(setup.client.raw_response(id, Duration::from_secs(10)).await.unwrap()["result"].clone());
    }
    for superseded in &answers[..answers.len() - 1] {
        assert_eq!(superseded, &json!({ "edits": [] }));
    }
    assert_eq!(answers.last().unwrap()["edits"].as_array().unwrap().len(), 1, "{answers:?}");
    assert_eq!(setup.mock.requests().len(), 1, "one request for the pause");

    let cursor = setup.client.position_after(URI, "def area(width");
    let again = inline_edit(&mut setup, URI, cursor).await;
    assert_eq!(again, *answers.last().unwrap());
    assert_eq!(setup.mock.requests().len(), 1, "the same region and history are answered from the cache");
    assert_eq!(setup.status().await["nextEdit"]["requests"], 1);
    setup.shutdown().await;
}

/// The minimal edit in every position encoding, on a line with characters of one, two, three
/// and four UTF-8 bytes (and two UTF-16 units for the emoji).
#[tokio::test]
async fn the_edit_is_in_the_negotiated_encoding() {
    let source = "def label(n, h):\n    return f\"é€😀 {n}\" + n\n";
    let expected_character = [("utf-8", 25), ("utf-16", 20), ("utf-32", 19)];
    for (encoding, character) in expected_character {
        let mut setup = Setup::with_options(glm_lsp_e2e::lsp_client::ClientOptions {
            encodings: vec![encoding],
            initialization_options: settings(0),
            ..Default::default()
        })
        .await;
        let renamed = source.replace("(n, h)", "(name, h)");
        let answer = renamed.replace("{n}", "{name}").replace("+ n\n", "+ name\n");
        setup.mock.set_default_reply(Reply::text(format!("```python\n{answer}```")));
        setup.client.open(URI, "python", source).await.unwrap();
        setup.client.edit(URI, 10, 11, "name").await.unwrap();
        let cursor = setup.client.position_after(URI, "(name");
        let result = inline_edit(&mut setup, URI, cursor).await;
        let edit = &result["edits"][0];
        assert_eq!(edit["range"]["start"], json!({ "line": 1, "character": character }), "{encoding}: {edit}");
        setup
            .client
            .apply_text_edits(URI, &[json!({ "range": edit["range"], "newText": edit["text"] })])
            .await
            .unwrap();
        assert_eq!(setup.client.text(URI), answer, "{encoding}");
        setup.shutdown().await;
    }
}

/// Edits of an excluded file never reach the history shown to the model, a credential typed
/// in an edit is redacted there, and a request inside an excluded file asks nothing.
#[tokio::test]
async fn excluded_files_and_secrets_never_reach_the_prompt() {
    let project = glm_lsp_e2e::harness::TempProject::new(
        "next-edit-exclude",
        &[("geometry.py", SOURCE), ("secrets.py", "TOKEN = ''\n")],
    );
    let mut setup = Setup::with_options(glm_lsp_e2e::lsp_client::ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: settings(0),
        ..Default::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()));
    let secrets = project.uri("secrets.py");
    let geometry = project.uri("geometry.py");
    setup.client.open(&secrets, "python", "TOKEN = ''\n").await.unwrap();
    setup.client.type_at(&secrets, "TOKEN = '", "excluded-file-text").await.unwrap();
    let cursor = setup.client.position_after(&secrets, "excluded-file-text");
    assert_eq!(inline_edit(&mut setup, &secrets, cursor).await, json!({ "edits": [] }));
    assert!(setup.mock.requests().is_empty(), "nothing is asked inside an excluded file");

    setup.client.open(&geometry, "python", SOURCE).await.unwrap();
    let key = "sk-proj-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    setup.client.type_at(&geometry, "print(area(2, 3))\n", &format!("API_KEY = \"{key}\"\n")).await.unwrap();
    setup.wait_idle(Duration::from_millis(100)).await; // a pause: the key's line is one edit
    let at = setup.client.text(&geometry).find("w, h").unwrap();
    setup.client.edit(&geometry, at, at + 1, "width").await.unwrap();
    let cursor = setup.client.position_after(&geometry, "def area(width");
    let result = inline_edit(&mut setup, &geometry, cursor).await;
    assert_eq!(result["edits"].as_array().unwrap().len(), 1, "{result}");
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(!prompt.contains("excluded-file-text") && !prompt.contains("secrets.py"), "{prompt}");
    assert!(!prompt.contains(key), "{prompt}");
    assert!(prompt.contains("+API_KEY = \"[REDACTED]\""), "{prompt}");
    let rename = prompt.find("@@ -1,1 +1,1 @@\n-def area(w, h):\n+def area(width, h):").expect("the rename is shown");
    assert!(prompt.find("+API_KEY").unwrap() < rename, "newest last: {prompt}");
    setup.shutdown().await;
}

/// The latest suggestion is listed as a code action (how Helix shows it) while the document
/// is the version it was made for, and applies as one versioned edit.
#[tokio::test]
async fn the_suggestion_is_a_code_action_until_the_text_changes() {
    let mut setup = setup(0).await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()));
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let cursor = rename_parameter(&mut setup).await;
    inline_edit(&mut setup, URI, cursor.clone()).await;

    let actions = setup.code_actions(URI, json!({ "start": cursor, "end": cursor })).await;
    let titles: Vec<&str> = actions.iter().filter_map(|action| action["title"].as_str()).collect();
    let title = "GLM: Next edit at line 2: `doubled = w * 2` → `doubled = width * 2` (+1 more line)";
    let action = actions.iter().find(|action| action["title"] == title).unwrap_or_else(|| panic!("{titles:?}"));
    assert_eq!(action["edit"]["documentChanges"][0]["textDocument"]["version"], setup.client.version(URI));
    setup.client.apply_workspace_edit(&action["edit"]).await.unwrap();
    assert_eq!(setup.client.text(URI), SOURCE.replace("w, h", "width, h").replace("w *", "width *"));

    // The text changed (the edit itself): the suggestion is not offered again.
    let actions = setup.code_actions(URI, json!({ "start": cursor, "end": cursor })).await;
    assert!(actions.iter().all(|action| !action["title"].as_str().unwrap().starts_with("GLM: Next edit")));
    setup.shutdown().await;
}

/// A suggestion that starts at the cursor is also an inline completion item (ghost text).
#[tokio::test]
async fn a_suggestion_at_the_cursor_is_an_inline_completion_item() {
    let mut setup = Setup::with_options(glm_lsp_e2e::lsp_client::ClientOptions {
        inline_completion: true,
        initialization_options: settings(0),
        ..Default::default()
    })
    .await;
    let source = "from shapes import Point\n\norigin = Point(x=0, y=0)\ncorner = Point(x=4, ";
    let answer = format!("{source}y=3)");
    setup.mock.set_default_reply(Reply::text(format!("```python\n{answer}\n```")));
    setup.client.open(URI, "python", "from shapes import Point\n\norigin = Point(x=0, y=0)\n").await.unwrap();
    setup.client.type_at(URI, "y=0)\n", "corner = Point(x=4, ").await.unwrap();
    assert_eq!(setup.client.text(URI), source);
    let cursor = setup.client.position_after(URI, "Point(x=4, ");
    let result = inline_edit(&mut setup, URI, cursor.clone()).await;
    assert_eq!(result["edits"][0]["range"]["start"], cursor, "{result}");

    let inline = setup
        .client
        .request(
            "textDocument/inlineCompletion",
            json!({ "textDocument": { "uri": URI }, "position": cursor, "context": { "triggerKind": 2 } }),
        )
        .await
        .unwrap();
    let items = inline["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inline}");
    assert_eq!(items[0]["insertText"], "y=3)");
    assert_eq!(items[0]["range"]["start"], cursor);
    assert_eq!(items[0]["command"]["command"], "glm-lsp.nextEdit.accepted");
    setup.shutdown().await;
}

#[tokio::test]
async fn with_next_edits_off_nothing_is_asked() {
    let mut setup = Setup::new(json!({ "completion": { "enabled": false }, "nextEdit": { "enabled": false } })).await;
    setup.mock.set_default_reply(Reply::text(renamed_region_answer()));
    setup.client.open(URI, "python", SOURCE).await.unwrap();
    let cursor = rename_parameter(&mut setup).await;
    assert_eq!(inline_edit(&mut setup, URI, cursor.clone()).await, json!({ "edits": [] }));
    let actions = setup.code_actions(URI, json!({ "start": cursor, "end": cursor })).await;
    assert!(actions.iter().all(|action| !action["title"].as_str().unwrap().starts_with("GLM: Next edit")));
    assert!(setup.mock.requests().is_empty());
    setup.shutdown().await;
}
