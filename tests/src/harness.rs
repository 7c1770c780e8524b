//! Shared set-up for end-to-end tests: a mock GLM server plus an editor connected to the
//! built server, pointed at the mock, with `$0` cursor fixtures.

use std::time::Duration;

use serde_json::{json, Value};

use crate::lsp_client::{ClientOptions, TestClient};
use crate::mock_glm::MockGlm;

pub const TEST_KEY: &str = "test-key-3f9a1c";

/// A mock and an initialized editor whose server talks to it.
pub struct Setup {
    pub mock: MockGlm,
    pub client: TestClient,
}

/// Settings for tests: no debounce unless a test wants one, and a wait for the mock's answer
/// that a loaded CI machine still meets (a test of the wait itself sets its own).
pub fn test_settings() -> Value {
    json!({ "completion": { "debounceMs": 0, "maxWaitMs": 2000 } })
}

impl Setup {
    pub async fn new(initialization_options: Value) -> Setup {
        Setup::with_options(ClientOptions { initialization_options, ..ClientOptions::default() }).await
    }

    pub async fn with_options(mut options: ClientOptions) -> Setup {
        let mock = MockGlm::start().await;
        options.env.push(("GLM_BASE_URL".into(), mock.base_url()));
        options.env.push(("GLM_API_KEY".into(), TEST_KEY.into()));
        let client = TestClient::initialized(options).await.expect("server starts");
        Setup { mock, client }
    }

    /// Opens `fixture` (with a `$0` cursor marker) and returns the cursor's LSP position.
    pub async fn open_fixture(&mut self, uri: &str, language_id: &str, fixture: &str) -> Value {
        let (text, cursor) = split_cursor(fixture);
        self.client.open(uri, language_id, &text).await.unwrap();
        self.client.position(&text, cursor)
    }

    /// `textDocument/completion` at `position`; `invoked` as if the user pressed the key.
    pub async fn complete(&mut self, uri: &str, position: &Value, invoked: bool) -> Value {
        self.client
            .request(
                "textDocument/completion",
                json!({
                    "textDocument": { "uri": uri },
                    "position": position,
                    "context": { "triggerKind": if invoked { 1 } else { 3 } },
                }),
            )
            .await
            .unwrap()
    }

    /// Accepts a completion item as an editor does: applies its `textEdit`.
    pub async fn accept(&mut self, uri: &str, item: &Value) {
        let edit = &item["textEdit"];
        assert!(edit.is_object(), "item has a textEdit: {item}");
        self.client.apply_text_edits(uri, std::slice::from_ref(edit)).await.unwrap();
    }

    /// `textDocument/codeAction` over `range` (no diagnostics): the offered actions.
    pub async fn code_actions(&mut self, uri: &str, range: Value) -> Vec<Value> {
        self.client
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": [] } }),
            )
            .await
            .unwrap()
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Runs the action titled `title` (found by prefix) at `position` through its command, as an
    /// editor does, and returns the message its progress ended with.
    pub async fn run_action(&mut self, uri: &str, position: &Value, title: &str) -> String {
        let actions = self.code_actions(uri, json!({ "start": position, "end": position })).await;
        let action = actions
            .iter()
            .find(|action| action["title"].as_str().unwrap_or_default().starts_with(title))
            .unwrap_or_else(|| panic!("no action {title:?} in {actions:#?}"))
            .clone();
        self.execute_action(&action).await;
        self.action_progress_end(Duration::from_secs(30)).await
    }

    /// Runs a code action's command as an editor does; the server answers at once.
    pub async fn execute_action(&mut self, action: &Value) {
        let command = &action["command"];
        let result = self
            .client
            .request(
                "workspace/executeCommand",
                json!({ "command": command["command"], "arguments": command["arguments"] }),
            )
            .await
            .unwrap();
        assert!(result.is_null(), "the command answers at once");
    }

    /// The message of the next job's progress end, each notification within `timeout`.
    pub async fn action_progress_end(&mut self, timeout: Duration) -> String {
        loop {
            let progress = self.client.expect_notification("$/progress", timeout).await.unwrap();
            // A completion that waited has its own progress, which may end after its answer.
            let completion = progress["token"].as_str().is_some_and(|token| token.starts_with("glm-lsp/completion/"));
            if progress["value"]["kind"] == "end" && !completion {
                return progress["value"]["message"].as_str().unwrap_or_default().to_string();
            }
        }
    }

    /// The `glm-lsp.status` command's answer.
    pub async fn status(&mut self) -> Value {
        self.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap()
    }

    /// The `window/showMessage` texts received so far (taken: a test that reads them checks them).
    pub fn take_messages(&mut self) -> Vec<String> {
        self.client
            .take_notifications("window/showMessage")
            .iter()
            .map(|message| message["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub async fn shutdown(self) {
        assert_eq!(self.client.shutdown().await.unwrap(), 0);
    }

    pub async fn wait_idle(&mut self, duration: Duration) {
        self.client.idle(duration).await;
    }
}

/// Splits a fixture at its `$0` marker: (text, byte offset of the cursor).
pub fn split_cursor(fixture: &str) -> (String, usize) {
    let cursor = fixture.find("$0").expect("fixture has a $0 cursor");
    (fixture.replacen("$0", "", 1), cursor)
}

/// A project folder for one test, removed on drop.
pub struct TempProject {
    pub dir: std::path::PathBuf,
}

impl TempProject {
    /// Creates `files` (relative paths) under a fresh temporary folder.
    pub fn new(name: &str, files: &[(&str, &str)]) -> TempProject {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("glm-lsp-{name}-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the project folder");
        let project = TempProject { dir };
        for (path, text) in files {
            project.write(path, text);
        }
        project
    }

    pub fn path(&self, relative: &str) -> std::path::PathBuf {
        self.dir.join(relative)
    }

    pub fn uri(&self, relative: &str) -> String {
        crate::lsp_client::file_uri(&self.path(relative))
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.path(relative)).ok()
    }

    /// Every file under the project (relative paths, sorted), ignoring build output.
    pub fn files(&self) -> Vec<String> {
        let mut files = Vec::new();
        let mut pending = vec![self.dir.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if matches!(name.as_str(), "target" | ".git" | "node_modules" | "__pycache__" | "Cargo.lock") {
                    continue;
                }
                if path.is_dir() {
                    pending.push(path);
                } else {
                    files.push(path.strip_prefix(&self.dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        files
    }
}

impl Drop for TempProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `glm-lsp generate-tests ARGS` in `project` against `mock`, as CI would: a clean
/// environment with the mock's URL and the test key, and no user configuration.
pub async fn generate_tests_cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(crate::lsp_client::server_binary())
        .arg("generate-tests")
        .args(args)
        .current_dir(&project.dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("XDG_CONFIG_HOME", project.dir.join(".no-config"))
        .env("GLM_BASE_URL", mock.base_url())
        .env("GLM_API_KEY", TEST_KEY)
        .output()
        .await
        .expect("glm-lsp generate-tests runs")
}

impl Setup {
    /// Sends `textDocument/copilotInlineEdit` for `uri` at its current version and `position`,
    /// as copilot-lsp does; returns the request's id.
    pub async fn send_inline_edit(&mut self, uri: &str, position: Value) -> i64 {
        let version = self.client.version(uri);
        self.client
            .send_request(
                "textDocument/copilotInlineEdit",
                json!({ "textDocument": { "uri": uri, "version": version }, "position": position }),
            )
            .await
            .unwrap()
    }
}
