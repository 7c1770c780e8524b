//! The real-Helix test: Helix 25.07 (`../shared/tools/hx`, or `HX_BIN`) driven in tmux, with
//! `editors/helix/languages.toml` as the user's config, against the `mock-glm` program.
//! It types, gets completions from a model that takes seconds to answer (Helix asks once per
//! keystroke and never again, so the server must hold the request) and accepts them from the
//! menu — one of them long and multi-line — runs "GLM: Improve this code" from the code-action
//! menu with the cursor inside a function (Helix sends a one-character range: the whole
//! function must be the target, nothing nested twice), writes the file and reads it back.
//! Skipped, with a message, when `hx` is absent; `scripts/test` installs `tmux`.

use std::time::{Duration, Instant};

use glm_lsp_e2e::helix::{helix_for_test, helix_workspace, HelixInTmux, MockProgram};

const SOURCE: &str = "\
def compute(values):
    total = 0
    for v in values:
        total = total + v
    return total


def main():
    print(compute([1, 2, 3]))
";

/// The long lines of the multi-line suggestion (wider than the 120-column terminal).
fn long_lines() -> Vec<String> {
    (1..=12).map(|i| format!("print(value, total, \"{}\")", format!("line {i} ").repeat(16).trim_end())).collect()
}

fn multi_line_answer() -> String {
    let body: Vec<String> = long_lines().iter().map(|line| format!("    {line}")).collect();
    format!("value in [4, 5, 6]:\n{}", body.join("\n"))
}

fn expected_file() -> String {
    let body: String = long_lines().iter().map(|line| format!("        {line}\n")).collect();
    format!(
        "def compute(values):\n    return sum(values)\n\n\ndef main():\n    print(compute([1, 2, 3]))\n    total = compute([4, 5, 6])\n    for value in [4, 5, 6]:\n{body}"
    )
}

#[test]
fn helix_completes_from_a_slow_model_and_improves_the_function_at_the_cursor() {
    let Some(hx) = helix_for_test() else { return };
    let dir = std::env::temp_dir().join(format!("glm-lsp-helix-{}", std::process::id()));
    // The user's config is the shipped file, unchanged.
    let workspace = helix_workspace(&dir, "compute.py", SOURCE);

    // A thinking model: seconds before the first token of a completion.
    let think_ms = 3000;
    let script = serde_json::json!({
        "rules": [
            { "contains": "Target region", "reply": { "kind": "stream", "reasoning": "Use sum.", "think_delay": 1000,
              "content": "Here it is:\n```python\ndef compute(values):\n    return sum(values)\n```" } },
            { "contains": "for <|CURSOR|>", "reply": { "kind": "stream", "reasoning": "A loop.", "think_delay": think_ms,
              "content": multi_line_answer() } },
        ],
        "default": { "kind": "stream", "reasoning": "The next list.", "content": "[4, 5, 6])", "think_delay": think_ms },
    });
    std::fs::write(dir.join("script.json"), script.to_string()).unwrap();
    let mock = MockProgram::start(
        env!("CARGO_BIN_EXE_mock-glm").as_ref(),
        &dir.join("script.json"),
        &dir.join("requests.jsonl"),
    );
    // Helix passes its environment to glm-lsp.
    let tmux = HelixInTmux::start(&hx, &workspace, "compute.py", &dir.join("config"), &dir.join("cache"), &mock.url);
    tmux.wait_for("the file", Duration::from_secs(20), |screen| screen.contains("def compute(values):"));

    // 1. A completion as Helix asks for it: `(` is a trigger character (Helix inserts `()`).
    tmux.keys(&["g", "e", "o"]);
    let typed_at = Instant::now();
    tmux.type_text("total = compute(");
    tmux.wait_for("the completion menu", Duration::from_secs(30), |screen| screen.contains("[4, 5, 6] text"));
    let menu_after = typed_at.elapsed();
    assert!(menu_after >= Duration::from_millis(think_ms), "the item came from the slow model, after {menu_after:?}");
    tmux.keys(&["Tab"]);
    tmux.wait_for("the preview", Duration::from_secs(5), |screen| screen.contains("total = compute([4, 5, 6])"));
    tmux.keys(&["Enter", "Escape"]);

    // 2. A long multi-line suggestion after `for ` (space is a trigger character).
    tmux.keys(&["o"]);
    tmux.type_text("for ");
    tmux.wait_for("the multi-line item", Duration::from_secs(30), |screen| screen.contains("value in [4, 5, 6]: ⋯"));
    tmux.keys(&["Tab"]);
    tmux.wait_for("the multi-line preview", Duration::from_secs(5), |screen| screen.contains("line 12 line 12"));
    tmux.keys(&["Enter", "Escape"]);

    // 3. "GLM: Improve this code" with the cursor on line 2, inside `compute`.
    tmux.keys(&["g", "g", "j", "Space", "a"]);
    tmux.wait_for("the code actions", Duration::from_secs(10), |screen| screen.contains("GLM: Improve this code"));
    tmux.choose_action("GLM: Improve this code");
    tmux.wait_for("the improved function", Duration::from_secs(20), |screen| {
        screen.contains("return sum(values)") && !screen.contains("total = 0")
    });

    // 4. Write the buffer and read the file back.
    tmux.keys(&["Escape"]);
    tmux.type_text(":w");
    tmux.keys(&["Enter"]);
    let file = workspace.join("compute.py");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&file).unwrap() == SOURCE && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, expected_file(), "the file Helix wrote\nscreen:\n{}\nlog:\n{}", tmux.screen(), tmux.log_tail());
    // 5. The status, through the one command Helix offers for it.
    tmux.type_text(":lsp-workspace-command glm-lsp.showStatus");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the status message", Duration::from_secs(10), |screen| screen.contains("glm-4.7 · key set · "));
    let action_requests = std::fs::read_to_string(dir.join("requests.jsonl")).unwrap();
    assert_eq!(action_requests.matches("Target region").count(), 1, "one model request for the action");
    println!("Helix: the completion menu appeared {menu_after:?} after typing (model: {think_ms} ms)");
    drop(tmux);
    drop(mock);
    std::fs::remove_dir_all(&dir).ok();
}
