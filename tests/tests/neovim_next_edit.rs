//! Next-edit suggestions in a real headless Neovim 0.11 with the shipped plugin
//! (`editors/neovim/lua/glm_lsp/next_edit.lua`), keys typed through Neovim's main loop so its
//! autocommands fire as for a user's keys. `scripts/test` installs Neovim 0.11.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use glm_lsp_e2e::neovim::run_script;

/// The plugin against a scripted server named glm_lsp, so that stale answers can be sent on
/// purpose: rendering, <Tab> jump and apply, one undo step, the command run on accept, stale
/// answers dropped, typing clearing a suggestion, and <Tab> falling back to the user's mapping.
#[tokio::test]
async fn neovim_plugin_renders_jumps_applies_and_drops_stale_suggestions() {
    let mock = MockGlm::start().await;
    let project = TempProject::new("next-edit-nvim-client", &[(".git/HEAD", "ref: refs/heads/main\n")]);
    let stdout = run_script("next_edit_client.lua", &project.dir, &mock.base_url(), &[]).await;
    assert!(stdout.contains("next edit client: all checks passed"), "{stdout}");
    assert!(mock.requests().is_empty(), "the scripted server asks no model");
}

/// The model's rewrite of the region after the rename (the texts the script checks are these).
const ACCEPTED: &str = "def area(span, height):\n    return span * height\n";

/// The whole chain against the real server and the mock model: renaming a parameter in
/// Neovim brings the suggestion at its next use (extmarks), <Tab> <Tab> applies it, `u` takes
/// it back in one step, and a request shaped as sidekick.nvim sends it gets the same edit.
#[tokio::test]
async fn neovim_offers_the_next_use_after_a_rename_and_tab_applies_it() {
    let mock = MockGlm::start().await;
    mock.add_rule(
        "Reply with the editable region rewritten",
        Reply::thinking_then("The parameter was renamed; rename its use.", format!("```python\n{ACCEPTED}```")),
    );
    mock.set_default_reply(Reply::text(""));
    let project = TempProject::new(
        "next-edit-nvim",
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("area.py", "def area(width, height):\n    return width * height\n"),
        ],
    );
    let stdout = run_script(
        "next_edit.lua",
        &project.dir,
        &mock.base_url(),
        &[("GLM_TEST_FILE", project.path("area.py").display().to_string())],
    )
    .await;
    println!("{stdout}");
    assert!(stdout.contains("next edit: all checks passed"), "{stdout}");
    let predictions: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|request| request.prompt_text().contains("Reply with the editable region rewritten"))
        .collect();
    assert!(!predictions.is_empty(), "the model was asked for the next edit");
    // The model saw the rename the user made (the region as it is after it).
    assert!(predictions[0].prompt_text().contains("def area(span, height):"), "{}", predictions[0].prompt_text());
}
