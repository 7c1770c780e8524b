//! Real Helix in tmux for end-to-end tests: finding `hx`, the `mock-glm` program, a tmux
//! server of the test's own, and Helix started on a workspace with the shipped
//! `editors/helix/languages.toml` as the user's configuration.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::TEST_KEY;
use crate::lsp_client::server_binary;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Helix 25.07 at `../shared/tools/hx`, or `HX_BIN`; `None` when absent (it is in no registry).
pub fn helix_binary() -> Option<PathBuf> {
    let path = std::env::var_os("HX_BIN").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/tools/hx"));
    path.is_file().then_some(path)
}

/// Helix for a real-Helix test: `None`, with the skip message printed, when `hx` is absent;
/// a failure saying how to get tmux when that is missing.
pub fn helix_for_test() -> Option<PathBuf> {
    let Some(hx) = helix_binary() else {
        eprintln!(
            "SKIPPED: the real-Helix test needs `hx` (Helix 25.07) at ../shared/tools/hx or in HX_BIN; it is in no package registry"
        );
        return None;
    };
    assert!(
        Command::new("tmux").arg("-V").output().is_ok_and(|output| output.status.success()),
        "the real-Helix test needs tmux: run ./scripts/test (it installs Debian's tmux) or apt-get install tmux"
    );
    Some(hx)
}

/// A fresh `dir` holding `project/` (a git root with `file` holding `source`) and `config/`
/// with the shipped `editors/helix/languages.toml` as the user's, unchanged; returns the project.
pub fn helix_workspace(dir: &Path, file: &str, source: &str) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    let workspace = dir.join("project");
    std::fs::create_dir_all(workspace.join(".git")).unwrap();
    std::fs::write(workspace.join(file), source).unwrap();
    std::fs::create_dir_all(dir.join("config/helix")).unwrap();
    std::fs::copy(repo_root().join("editors/helix/languages.toml"), dir.join("config/helix/languages.toml")).unwrap();
    workspace
}

/// The mock GLM server as a program (`mock-glm`), kept alive by its open stdin.
pub struct MockProgram {
    child: Child,
    pub url: String,
}

impl MockProgram {
    pub fn start(program: &Path, script: &Path, log: &Path) -> MockProgram {
        let mut child = Command::new(program)
            .arg("--script")
            .arg(script)
            .arg("--log")
            .arg(log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("mock-glm starts");
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        MockProgram { child, url: url.trim().to_string() }
    }
}

impl Drop for MockProgram {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One tmux server of our own (its own socket) with Helix in session `hx`, killed on drop.
pub struct HelixInTmux {
    socket: String,
    /// Helix's log (`hx -v`), for failure messages.
    pub log: PathBuf,
}

impl HelixInTmux {
    /// Starts `hx -v <file>` in `workspace`, configured from `config_dir` (holding
    /// `helix/languages.toml`), with the built glm-lsp first on `PATH` and pointed at `mock_url`;
    /// returns once glm-lsp is initialized.
    pub fn start(
        hx: &Path,
        workspace: &Path,
        file: &str,
        config_dir: &Path,
        cache_dir: &Path,
        mock_url: &str,
    ) -> HelixInTmux {
        let server_dir = server_binary().parent().unwrap().to_path_buf();
        let path = std::env::join_paths(
            std::iter::once(server_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
        )
        .unwrap();
        let helix = HelixInTmux {
            socket: format!("glm-lsp-hx-{}-{file}", std::process::id()),
            log: cache_dir.join("helix/helix.log"),
        };
        let started = helix
            .command()
            .args(["new-session", "-d", "-s", "hx", "-x", "120", "-y", "40", "-c"])
            .arg(workspace)
            .arg(format!("{} -v {file}", hx.display()))
            .current_dir(workspace)
            .env("PATH", path)
            .env("XDG_CONFIG_HOME", config_dir)
            .env("XDG_CACHE_HOME", cache_dir)
            .env("GLM_API_KEY", TEST_KEY)
            .env("GLM_BASE_URL", mock_url)
            .status()
            .expect("tmux runs");
        assert!(started.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while !std::fs::read_to_string(&helix.log)
            .unwrap_or_default()
            .contains("glm-lsp -> {\"jsonrpc\":\"2.0\",\"method\":\"initialized\"")
        {
            assert!(Instant::now() < deadline, "glm-lsp did not start in Helix:\n{}", helix.log_tail());
            std::thread::sleep(Duration::from_millis(50));
        }
        helix
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    fn run(&self, args: &[&str]) {
        let status = self.command().args(args).status().expect("tmux runs");
        assert!(status.success(), "tmux {args:?} failed");
    }

    /// Named keys (`Escape`, `Tab`, `Space`, `g`…), one at a time as a user types them.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "hx", key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Text typed as it is.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "hx", "-l", text]);
    }

    pub fn screen(&self) -> String {
        let output = self.command().args(["capture-pane", "-p", "-t", "hx"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Polls the screen until `done` holds; the screen on success, a failure with the screen
    /// and the log's tail otherwise.
    pub fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}\nscreen:\n{screen}\nHelix log (tail):\n{}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Chooses the entry `title` in the open code-action menu (moving down past the GLM entries
    /// above it) and runs it.
    pub fn choose_action(&self, title: &str) {
        let menu = self.screen();
        let entries: Vec<&str> = menu.lines().filter(|line| line.contains("GLM: ")).collect();
        let index = entries.iter().position(|line| line.contains(title)).unwrap();
        for _ in 0..index {
            self.keys(&["C-n"]);
        }
        self.keys(&["Enter"]);
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..]
            .iter()
            .map(|line| &line[..line.floor_char_boundary(400)])
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for HelixInTmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}
