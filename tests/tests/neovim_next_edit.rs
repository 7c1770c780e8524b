//! Next-edit suggestions in a real headless Neovim 0.11 with the shipped plugin
//! (`editors/neovim/lua/glm_lsp/next_edit.lua`), keys typed through Neovim's main loop so its
//! autocommands fire as for a user's keys. `scripts/test` installs Neovim 0.11.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::MockGlm;
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
