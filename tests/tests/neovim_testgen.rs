//! Test generation in a real Neovim, through the code-action menu: headless Neovim 0.11 with
//! the shipped config picks "GLM: Generate tests for `add`" through `vim.lsp.buf.code_action`;
//! Neovim applies the `CreateFile` and the file's text itself, and `:wall` writes it where the
//! project keeps its tests (`tests/`). `scripts/test` installs Neovim 0.11.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use glm_lsp_e2e::neovim::run_script;

#[tokio::test]
async fn neovim_generates_a_test_file_where_the_project_keeps_tests() {
    let tests = "from calc import add\n\n\ndef test_adds():\n    assert add(2, 3) == 5\n";
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::thinking_then("Two small cases.", format!("```python\n{tests}```")));
    let project = TempProject::new(
        "testgen-nvim",
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("calc.py", "def add(a, b):\n    return a + b\n"),
            ("tests/conftest.py", ""),
        ],
    );
    let created = project.path("tests/test_calc.py");
    run_script(
        "testgen.lua",
        &project.dir,
        &mock.base_url(),
        &[
            ("GLM_TEST_FILE", project.path("calc.py").display().to_string()),
            ("GLM_TEST_ACTION", "GLM: Generate tests for `add`".into()),
            ("GLM_TEST_CREATED", created.display().to_string()),
        ],
    )
    .await;
    assert_eq!(std::fs::read_to_string(&created).unwrap(), tests, "the file on disk after :wall");
    assert_eq!(project.read("calc.py").unwrap(), "def add(a, b):\n    return a + b\n");
    let requests = mock.requests();
    let generation: Vec<_> =
        requests.iter().filter(|request| request.prompt_text().contains("Task: write unit tests")).collect();
    assert_eq!(generation.len(), 1);
    assert!(generation[0].prompt_text().contains("    from calc import add\n"));
}
