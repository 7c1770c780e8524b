//! `editors/neovim/lsp/glm_lsp.lua` in a real headless Neovim 0.11, checked for what
//! nvim-lspconfig asks of an upstream config: it starts `glm-lsp` for the listed filetypes,
//! roots it by `root_markers`, and gives only the buffers it serves `:LspGlmStatus`, which runs
//! the server's command through `client:exec_cmd` (the status line the server then shows).

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::MockGlm;
use glm_lsp_e2e::neovim::run_script;

#[tokio::test]
async fn the_lspconfig_style_config_attaches_and_runs_its_buffer_local_command() {
    let mock = MockGlm::start().await;
    let project = TempProject::new(
        "nvim-lspconfig",
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("pkg/area.py", "def area(r):\n    return 3.14 * r * r\n"),
            ("notes.txt", "notes\n"),
        ],
    );
    let stdout = run_script(
        "lspconfig.lua",
        &project.dir,
        &mock.base_url(),
        &[
            ("GLM_TEST_FILE", project.path("pkg/area.py").display().to_string()),
            ("GLM_TEST_OTHER", project.path("notes.txt").display().to_string()),
            ("GLM_TEST_ROOT", project.dir.canonicalize().unwrap().display().to_string()),
        ],
    )
    .await;
    println!("{stdout}");
    assert!(stdout.contains(&format!("status: glm-lsp {}", env!("CARGO_PKG_VERSION"))), "{stdout}");
    assert!(mock.requests().is_empty(), "the status asks no model");
}
