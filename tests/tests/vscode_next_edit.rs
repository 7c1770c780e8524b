//! Next-edit suggestions in VS Code: code-server 4.100.3 (VS Code 1.100.3) in headless
//! Chromium with the GLM extension from its `.vsix`, the built server and the mock GLM
//! server. `tests/vscode/next_edit.cjs` renames a parameter as a user does, and the model's
//! rewrite of the region renames its next use too: the suggestion shows at that use (the old
//! name struck through, the new one after it, a gutter marker), Tab goes there, Tab applies
//! it (the file on disk is checked), one undo takes it back, Escape dismisses it (Tab then
//! indents as usual), and the server counted the suggestions shown and the one accepted (GLM: Show Status). The
//! screenshot of the suggestion is kept at `target/vscode-test/artifacts/next-edit.png`.
//! `scripts/test` installs code-server, playwright-core and Chromium and builds the `.vsix`.

use glm_lsp_e2e::code_server::{artifacts_dir, CodeServer};
use glm_lsp_e2e::harness::TEST_KEY;
use glm_lsp_e2e::lsp_client::server_binary;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::json;

const BEFORE: &str = "def area(width, height):\n    return width * height\n";
const RENAMED: &str = "def area(span, height):\n    return width * height\n";
const ACCEPTED: &str = "def area(span, height):\n    return span * height\n";

#[tokio::test]
async fn vscode_shows_the_next_edit_and_tab_tab_applies_it() {
    let mock = MockGlm::start().await;
    mock.set_expected_key(TEST_KEY);
    mock.add_rule(
        "Reply with the editable region rewritten",
        Reply::thinking_then("The parameter was renamed; rename its use.", format!("```python\n{ACCEPTED}```")),
    );
    // Completions (ghost text) offer nothing, so only the next edit is on screen.
    mock.set_default_reply(Reply::text(""));

    let root = std::env::temp_dir().join(format!("glm-lsp-vscode-next-edit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let project = root.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let file = project.join("area.py");
    std::fs::write(&file, BEFORE).unwrap();
    // VS Code's word-based suggestions would offer `width` when `w` is typed, and their menu
    // takes Tab first.
    std::fs::create_dir_all(project.join(".vscode")).unwrap();
    std::fs::write(project.join(".vscode/settings.json"), json!({ "editor.wordBasedSuggestions": "off" }).to_string())
        .unwrap();
    let _ = std::fs::remove_file(artifacts_dir().join("next-edit.png"));

    let machine = json!({ "glm-lsp.serverPath": server_binary(), "glm-lsp.baseUrl": mock.base_url() });
    let code_server = CodeServer::start(&root, &project, machine, &[("GLM_API_KEY", TEST_KEY.to_string())]).await;
    let events = code_server.drive("next_edit.cjs", &project, &[("GLM_TEST_FILE", file.display().to_string())]).await;
    let event = |name: &str| {
        events.iter().find(|event| event["event"] == name).cloned().unwrap_or_else(|| panic!("no {name}: {events:?}"))
    };

    // The suggestion is at the next use: the old name struck through, the new one after it,
    // and the gutter marker, all on that line.
    let shown = event("suggestion shown");
    let on_use_line = |key: &str| -> String {
        let parts = shown[key].as_array().unwrap();
        assert!(parts.iter().all(|part| part["line"] == "    return width * height"), "{key}: {shown}");
        parts.iter().map(|part| part["text"].as_str().unwrap()).collect()
    };
    assert_eq!(on_use_line("struck"), "width", "{shown}");
    assert_eq!(on_use_line("injected"), "span", "{shown}");
    assert_eq!(shown["gutter"], json!([{ "line": "    return width * height" }]), "{shown}");
    assert!(artifacts_dir().join("next-edit.png").exists());
    println!("vscode: next edit shown {:.2} s after the rename", shown["afterSeconds"].as_f64().unwrap());

    let jumped = event("jumped");
    assert!(jumped["lines"].as_array().unwrap().iter().any(|line| line == "    return width * height"), "{jumped}");
    let applied = event("applied");
    assert_eq!(applied["file"], ACCEPTED, "{applied}");
    assert_eq!(applied["struckAfter"], 0, "{applied}");
    let undone = event("undone");
    assert_eq!(undone["lines"], json!(RENAMED.split('\n').collect::<Vec<_>>()), "one undo step: {undone}");
    let dismissed = event("dismissed");
    assert_eq!((dismissed["struck"].as_array().unwrap().len(), dismissed["gutter"].as_array().unwrap().len()), (0, 0));
    assert_eq!(dismissed["lines"], json!(RENAMED.split('\n').collect::<Vec<_>>()), "Escape changes no text");

    let plain_tab = event("plain tab");
    assert!(plain_tab["lines"][1].as_str().unwrap().starts_with("    return  "), "Tab indented: {plain_tab}");
    let status = event("status")["text"].as_str().unwrap().to_string();
    let shown_count = status
        .split("Next edits: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("{status}"));
    assert!(shown_count >= 2 && status.contains(" shown, 1 accepted"), "shown twice, accepted once: {status}");

    let requests = mock.requests();
    let predictions = requests
        .iter()
        .filter(|request| request.prompt_text().contains("Reply with the editable region rewritten"))
        .count();
    assert!(predictions >= 1, "the model was asked for the next edit");
    drop(code_server);
    std::fs::remove_dir_all(&root).ok();
}
