//! Next-edit suggestions through the built binary and the mock GLM server: the
//! `textDocument/copilotInlineEdit` request as copilot-lsp and sidekick.nvim send it, the
//! prompt the model gets for an edit chain, stale answers dropped, upstream cancelled on
//! typing, one request per pause, and the suggestion as a code action and as an inline
//! completion item.

use glm_lsp_e2e::harness::Setup;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

const URI: &str = "file:///project/geometry.py";

const SOURCE: &str = "\
def area(w, h):
    doubled = w * 2
    return w * h


def main():
    print(area(2, 3))
";

/// Completions off (their prefetch would ask the mock too) and no pause unless a test wants one.
fn settings(debounce_ms: u64) -> Value {
    json!({ "completion": { "enabled": false }, "nextEdit": { "debounceMs": debounce_ms } })
}

async fn setup(debounce_ms: u64) -> Setup {
    Setup::new(settings(debounce_ms)).await
}

/// The rewritten region the mock answers with: every use of `w` renamed.
fn renamed_region_answer() -> String {
    let region = SOURCE.replace("w, h", "width, h").replace("w * 2", "width * 2").replace("w * h", "width * h");
    format!("The parameter was renamed; its uses follow.\n```python\n{region}```")
}

async fn inline_edit(setup: &mut Setup, uri: &str, position: Value) -> Value {
    let version = setup.client.version(uri);
    setup
        .client
        .request(
            "textDocument/copilotInlineEdit",
            json!({ "textDocument": { "uri": uri, "version": version }, "position": position }),
        )
        .await
        .unwrap()
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
    assert_eq!(
        setup.client.text(URI),
        SOURCE.replace("w, h", "width, h").replace("w * 2", "width * 2").replace("w * h", "width * h")
    );
    let command = &edit["command"];
    let answer = setup
        .client
        .request(
            "workspace/executeCommand",
            json!({ "command": command["command"], "arguments": command["arguments"] }),
        )
        .await
        .unwrap();
    assert!(answer.is_null());
    assert_eq!(setup.status().await["nextEdit"]["accepted"], 1);
    setup.shutdown().await;
}
