//! The real-Helix test: Helix 25.07 (`../shared/tools/hx`, or `HX_BIN`) driven in tmux, with
//! `editors/helix/languages.toml` as the user's config, against the `mock-glm` program.
//! It types, gets completions from a model that takes seconds to answer (Helix asks once per
//! keystroke and never again, so the server must hold the request) and accepts them from the
//! menu — one of them long and multi-line — runs "GLM: Improve this code" from the code-action
//! menu with the cursor inside a function (Helix sends a one-character range: the whole
//! function must be the target, nothing nested twice), writes the file and reads it back.
//! Skipped, with a message, when `hx` is absent; `scripts/test` installs `tmux`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use glm_lsp_e2e::harness::TEST_KEY;
use glm_lsp_e2e::lsp_client::server_binary;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn helix_binary() -> Option<PathBuf> {
    let path = std::env::var_os("HX_BIN").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/tools/hx"));
    path.is_file().then_some(path)
}

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

/// The mock GLM server as a program, kept alive by its open stdin.
struct MockProgram {
    child: Child,
    url: String,
}

impl MockProgram {
    fn start(script: &Path, log: &Path) -> MockProgram {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-glm"))
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

/// One tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
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
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "hx", key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Text typed as it is.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "hx", "-l", text]);
    }

    fn screen(&self) -> String {
        let output = self.command().args(["capture-pane", "-p", "-t", "hx"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Polls the screen until `done` holds; the screen on success, a failure message with the
    /// screen and the log's tail otherwise.
    fn wait_for(&self, what: &str, timeout: Duration, log: &Path, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}\nscreen:\n{screen}\nHelix log (tail):\n{}", log_tail(log));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..]
        .iter()
        .map(|line| &line[..line.floor_char_boundary(400)])
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn helix_completes_from_a_slow_model_and_improves_the_function_at_the_cursor() {
    let Some(hx) = helix_binary() else {
        eprintln!(
            "SKIPPED: the real-Helix test needs `hx` (Helix 25.07) at ../shared/tools/hx or in HX_BIN; it is in no package registry"
        );
        return;
    };
    assert!(
        Command::new("tmux").arg("-V").output().is_ok_and(|output| output.status.success()),
        "the real-Helix test needs tmux: run ./scripts/test (it installs Debian's tmux) or apt-get install tmux"
    );

    let dir = std::env::temp_dir().join(format!("glm-lsp-helix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let workspace = dir.join("project");
    std::fs::create_dir_all(workspace.join(".git")).unwrap();
    std::fs::write(workspace.join("compute.py"), SOURCE).unwrap();
    // The user's config is the shipped file, unchanged.
    std::fs::create_dir_all(dir.join("config/helix")).unwrap();
    std::fs::copy(repo_root().join("editors/helix/languages.toml"), dir.join("config/helix/languages.toml")).unwrap();

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
    let mock = MockProgram::start(&dir.join("script.json"), &dir.join("requests.jsonl"));

    let server_dir = server_binary().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(server_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let log = dir.join("cache/helix/helix.log");
    let tmux = Tmux { socket: format!("glm-lsp-hx-{}", std::process::id()) };
    // The tmux server passes its own environment to Helix, and Helix to glm-lsp.
    let started = tmux
        .command()
        .args(["new-session", "-d", "-s", "hx", "-x", "120", "-y", "40", "-c"])
        .arg(&workspace)
        .arg(format!("{} -v compute.py", hx.display()))
        .current_dir(&workspace)
        .env("PATH", path)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("GLM_API_KEY", TEST_KEY)
        .env("GLM_BASE_URL", &mock.url)
        .status()
        .unwrap();
    assert!(started.success());
    tmux.wait_for("the file", Duration::from_secs(20), &log, |screen| screen.contains("def compute(values):"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("glm-lsp -> {\"jsonrpc\":\"2.0\",\"method\":\"initialized\"")
    {
        assert!(Instant::now() < deadline, "glm-lsp did not start in Helix:\n{}", log_tail(&log));
        std::thread::sleep(Duration::from_millis(50));
    }

    // 1. A completion as Helix asks for it: `(` is a trigger character (Helix inserts `()`).
    tmux.keys(&["g", "e", "o"]);
    let typed_at = Instant::now();
    tmux.type_text("total = compute(");
    tmux.wait_for("the completion menu", Duration::from_secs(30), &log, |screen| screen.contains("[4, 5, 6] text"));
    let menu_after = typed_at.elapsed();
    assert!(menu_after >= Duration::from_millis(think_ms), "the item came from the slow model, after {menu_after:?}");
    tmux.keys(&["Tab"]);
    tmux.wait_for("the preview", Duration::from_secs(5), &log, |screen| screen.contains("total = compute([4, 5, 6])"));
    tmux.keys(&["Enter", "Escape"]);

    // 2. A long multi-line suggestion after `for ` (space is a trigger character).
    tmux.keys(&["o"]);
    tmux.type_text("for ");
    tmux.wait_for("the multi-line item", Duration::from_secs(30), &log, |screen| {
        screen.contains("value in [4, 5, 6]: ⋯")
    });
    tmux.keys(&["Tab"]);
    tmux.wait_for("the multi-line preview", Duration::from_secs(5), &log, |screen| screen.contains("line 12 line 12"));
    tmux.keys(&["Enter", "Escape"]);

    // 3. "GLM: Improve this code" with the cursor on line 2, inside `compute`.
    tmux.keys(&["g", "g", "j", "Space", "a"]);
    let menu = tmux.wait_for("the code actions", Duration::from_secs(10), &log, |screen| {
        screen.contains("GLM: Improve this code")
    });
    let entries: Vec<&str> = menu.lines().filter(|line| line.contains("GLM: ")).collect();
    let index = entries.iter().position(|line| line.contains("GLM: Improve this code")).unwrap();
    for _ in 0..index {
        tmux.keys(&["C-n"]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("the improved function", Duration::from_secs(20), &log, |screen| {
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
    assert_eq!(text, expected_file(), "the file Helix wrote\nscreen:\n{}\nlog:\n{}", tmux.screen(), log_tail(&log));
    // 5. The status, through the one command Helix offers for it.
    tmux.type_text(":lsp-workspace-command glm-lsp.showStatus");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the status message", Duration::from_secs(10), &log, |screen| {
        screen.contains("glm-4.7 · key set · ")
    });
    let action_requests = std::fs::read_to_string(dir.join("requests.jsonl")).unwrap();
    assert_eq!(action_requests.matches("Target region").count(), 1, "one model request for the action");
    println!("Helix: the completion menu appeared {menu_after:?} after typing (model: {think_ms} ms)");
    drop(tmux);
    drop(mock);
    std::fs::remove_dir_all(&dir).ok();
}
