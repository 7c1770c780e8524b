//! Next edits in real Helix (`../shared/tools/hx`, or `HX_BIN`), driven in tmux with the
//! shipped `editors/helix/languages.toml`, against the `mock-glm` program: the user renames
//! a parameter, pauses, and the next uses come as the code action "GLM: Next edit at line N:
//! …" without asking; choosing it rewrites them, and the file written is checked.
//! Skipped, with a message, when `hx` is absent; `scripts/test` installs `tmux`.

use std::time::Duration;

use glm_lsp_e2e::helix::{helix_for_test, helix_workspace, HelixInTmux, MockProgram};
use glm_lsp_e2e::rename_example::{renamed, SOURCE};

#[test]
fn helix_offers_the_next_edit_as_a_code_action_and_applies_it() {
    let Some(hx) = helix_for_test() else { return };
    let dir = std::env::temp_dir().join(format!("glm-lsp-helix-next-edit-{}", std::process::id()));
    let workspace = helix_workspace(&dir, "geometry.py", SOURCE);

    let renamed = renamed();
    let script = serde_json::json!({
        "rules": [
            { "contains": "The editable region", "reply": { "kind": "stream", "reasoning": "Rename the uses.",
              "think_delay": 500, "content": format!("```python\n{renamed}```") } },
        ],
        // Completions (Helix asks as the user types) get nothing.
        "default": { "kind": "stream", "content": "" },
    });
    std::fs::write(dir.join("script.json"), script.to_string()).unwrap();
    let requests_log = dir.join("requests.jsonl");
    let mock = MockProgram::start(env!("CARGO_BIN_EXE_mock-glm").as_ref(), &dir.join("script.json"), &requests_log);
    let helix = HelixInTmux::start(&hx, &workspace, "geometry.py", &dir.join("config"), &dir.join("cache"), &mock.url);
    helix.wait_for("the file", Duration::from_secs(20), |screen| screen.contains("def area(w, h):"));

    // Rename the parameter: select the `w` after `(` and type the new name over it.
    helix.keys(&["g", "g", "f", "(", "l", "c"]);
    helix.type_text("width");
    helix.keys(&["Escape"]);
    helix.wait_for("the rename", Duration::from_secs(5), |screen| screen.contains("def area(width, h):"));

    // No request: after the pause the server has asked the model itself; the action is listed.
    let title = "GLM: Next edit at line 2: `doubled = w * 2` → `doubled = width * 2`";
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        helix.keys(&["Space", "a"]);
        std::thread::sleep(Duration::from_millis(300));
        if helix.screen().contains(title) {
            break;
        }
        helix.keys(&["Escape"]);
        assert!(
            std::time::Instant::now() < deadline,
            "no next-edit action\nscreen:\n{}\nlog:\n{}",
            helix.screen(),
            helix.log_tail()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    helix.choose_action(title);
    helix.wait_for("the next uses renamed", Duration::from_secs(10), |screen| {
        screen.contains("doubled = width * 2") && screen.contains("return width * h")
    });

    helix.type_text(":w");
    helix.keys(&["Enter"]);
    let file = workspace.join("geometry.py");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&file).unwrap() != renamed && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), renamed, "screen:\n{}", helix.screen());
    let requests = std::fs::read_to_string(&requests_log).unwrap();
    assert_eq!(requests.matches("The editable region").count(), 1, "one next-edit request for the pause");
    drop(helix);
    drop(mock);
    std::fs::remove_dir_all(&dir).ok();
}
