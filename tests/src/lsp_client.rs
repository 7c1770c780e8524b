//! A small LSP client that drives the built `glm-lsp` binary over stdio, the way an editor
//! does: Content-Length framing, requests and notifications, and server-to-client requests
//! (`workspace/applyEdit`, `window/workDoneProgress/create`, `workspace/configuration`)
//! answered like a real editor. It keeps its own copy of every open document, applies the
//! server's edits to it and sends the resulting `didChange`, so tests assert on the text a
//! user would see.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The path of the `glm-lsp` binary built alongside the test executable (or `GLM_LSP_BIN`).
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("GLM_LSP_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/glm-lsp
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    let binary = profile_dir.join(format!("glm-lsp{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p glm-lsp` (cargo test --workspace does)",
        binary.display()
    );
    binary
}

/// How a test editor is set up.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub env: Vec<(String, String)>,
    pub encodings: Vec<&'static str>,
    pub work_done_progress: bool,
    pub document_changes: bool,
    pub change_annotations: bool,
    pub code_action_resolve: bool,
    /// Advertise `textDocument/inlineCompletion` (ghost text, as VS Code does). Off by
    /// default, as in Helix and Neovim 0.11: with `completion.style: auto` a client that has
    /// it gets suggestions as ghost text only, not as completion items.
    pub inline_completion: bool,
    pub root: Option<PathBuf>,
    pub initialization_options: Value,
    /// What `workspace/configuration` answers with for the `glm-lsp` section.
    pub settings: Value,
    /// Whether `workspace/applyEdit` is accepted.
    pub accept_edits: bool,
    /// `workspace.workspaceEdit.resourceOperations` (`create`, `rename`, `delete`).
    pub resource_operations: Vec<&'static str>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            env: Vec::new(),
            encodings: vec!["utf-16"],
            work_done_progress: true,
            document_changes: true,
            change_annotations: true,
            code_action_resolve: true,
            inline_completion: false,
            root: None,
            initialization_options: Value::Null,
            settings: Value::Null,
            accept_edits: true,
            resource_operations: vec!["create", "rename", "delete"],
        }
    }
}

#[derive(Debug, Clone)]
struct OpenDocument {
    text: String,
    version: i32,
}

/// A running server and the editor side of the conversation.
pub struct TestClient {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::UnboundedReceiver<Value>,
    stderr: Arc<Mutex<String>>,
    /// Anything on the server's stdout that is not a well-formed `Content-Length` frame
    /// holding a JSON-RPC message: stdout belongs to the protocol alone.
    stdout_violations: Arc<Mutex<Vec<String>>>,
    next_id: i64,
    responses: HashMap<i64, Value>,
    /// When each response in `responses` arrived (read from the server's stdout).
    response_times: HashMap<i64, std::time::Instant>,
    notifications: VecDeque<Value>,
    /// Every server-to-client request, in order, after it was answered.
    pub server_requests: Vec<Value>,
    documents: HashMap<String, OpenDocument>,
    /// Documents the client opened because a workspace edit touched them.
    pub opened_by_edits: Vec<String>,
    pub encoding: String,
    pub options: ClientOptions,
    pub initialize_result: Value,
}

impl TestClient {
    /// Starts the binary with a clean environment plus `options.env`.
    pub async fn start(options: ClientOptions) -> Result<TestClient> {
        let mut command = tokio::process::Command::new(server_binary());
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GLM_LSP_LOG", "debug")
            // An empty config home so the developer's own config never leaks into a test.
            .env("XDG_CONFIG_HOME", std::env::temp_dir().join("glm-lsp-test-no-config"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let mut child = command.spawn().context("spawning glm-lsp")?;
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let (sender, incoming) = mpsc::unbounded_channel();
        let stdout_violations = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(read_messages(BufReader::new(stdout), sender, stdout_violations.clone()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_sink = stderr.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr_pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if std::env::var_os("GLM_LSP_TEST_STDERR").is_some() {
                    eprintln!("[glm-lsp] {line}");
                }
                let mut log = stderr_sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Ok(TestClient {
            child,
            stdin,
            incoming,
            stderr,
            stdout_violations,
            next_id: 1,
            responses: HashMap::new(),
            response_times: HashMap::new(),
            notifications: VecDeque::new(),
            server_requests: Vec::new(),
            documents: HashMap::new(),
            opened_by_edits: Vec::new(),
            encoding: "utf-16".into(),
            options,
            initialize_result: Value::Null,
        })
    }

    /// Starts and initializes: the usual beginning of a test.
    pub async fn initialized(options: ClientOptions) -> Result<TestClient> {
        let mut client = TestClient::start(options).await?;
        client.initialize().await?;
        Ok(client)
    }

    pub fn capabilities(&self) -> Value {
        let o = &self.options;
        json!({
            "general": { "positionEncodings": o.encodings },
            "window": { "workDoneProgress": o.work_done_progress, "showMessage": {} },
            "workspace": {
                "applyEdit": true,
                "configuration": true,
                "workspaceEdit": {
                    "documentChanges": o.document_changes,
                    "resourceOperations": o.resource_operations,
                    "changeAnnotationSupport": if o.change_annotations { json!({"groupsOnLabel": true}) } else { Value::Null },
                },
                "didChangeWatchedFiles": { "dynamicRegistration": true },
            },
            "textDocument": {
                "synchronization": { "didSave": true },
                "completion": { "completionItem": { "snippetSupport": false, "documentationFormat": ["markdown", "plaintext"] } },
                "codeAction": if o.code_action_resolve {
                    json!({ "resolveSupport": { "properties": ["edit"] }, "dataSupport": true,
                            "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "refactor", "refactor.rewrite", "source"] } } })
                } else {
                    json!({ "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "refactor", "refactor.rewrite", "source"] } } })
                },
                "inlineCompletion": if o.inline_completion { json!({}) } else { Value::Null },
            },
        })
    }

    pub async fn initialize(&mut self) -> Result<Value> {
        let root_uri = self.options.root.as_ref().map(|root| file_uri(root));
        let folders = root_uri.as_ref().map(|uri| json!([{ "uri": uri, "name": "root" }]));
        let params = json!({
            "processId": std::process::id(),
            "rootUri": root_uri,
            "workspaceFolders": folders,
            "capabilities": self.capabilities(),
            "initializationOptions": self.options.initialization_options,
            "clientInfo": { "name": "glm-lsp-e2e" },
        });
        let result = self.request("initialize", params).await?;
        self.encoding = result["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16").to_string();
        self.initialize_result = result.clone();
        self.notify("initialized", json!({})).await?;
        Ok(result)
    }

    /// Writes bytes to the server's stdin as they are: for malformed frames.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.stdin.write_all(bytes).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// What the server wrote to stdout that was not a protocol frame (see `read_messages`).
    pub fn stdout_violations(&self) -> Vec<String> {
        self.stdout_violations.lock().unwrap().clone()
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Forgets every response and notification received so far (but `window/showMessage`
    /// ones, which a test must still look at); returns how many were dropped.
    pub fn forget_inbox(&mut self) -> usize {
        let dropped = self.responses.len();
        self.responses.clear();
        self.response_times.clear();
        let before = self.notifications.len();
        self.notifications.retain(|notification| notification["method"] == "window/showMessage");
        dropped + before - self.notifications.len()
    }

    pub async fn send_raw(&mut self, body: &str) -> Result<()> {
        let frame = format!("Content-Length: {}\r\n\r\n{}", body.len(), body);
        self.stdin.write_all(frame.as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    async fn send(&mut self, message: Value) -> Result<()> {
        self.send_raw(&message.to_string()).await
    }

    pub async fn notify(&mut self, method: &str, params: Value) -> Result<()> {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params })).await
    }

    /// Sends a request without waiting; pair with `response`.
    pub async fn send_request(&mut self, method: &str, params: Value) -> Result<i64> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await?;
        Ok(id)
    }

    pub async fn cancel(&mut self, id: i64) -> Result<()> {
        self.notify("$/cancelRequest", json!({ "id": id })).await
    }

    /// The response to `id` if it has arrived (without waiting), with when it arrived.
    pub fn take_response(&mut self, id: i64) -> Option<(Value, std::time::Instant)> {
        let message = self.responses.remove(&id)?;
        let arrived = self.response_times.remove(&id).unwrap_or_else(std::time::Instant::now);
        Some((message, arrived))
    }

    /// Waits for the response to `id`: its `result`, or an error carrying the JSON-RPC error.
    pub async fn response(&mut self, id: i64) -> Result<Value> {
        let message = self.raw_response(id, DEFAULT_TIMEOUT).await?;
        if let Some(error) = message.get("error") {
            bail!("JSON-RPC error: {error}");
        }
        Ok(message.get("result").cloned().unwrap_or(Value::Null))
    }

    /// The whole response message to `id` (with `result` or `error`).
    pub async fn raw_response(&mut self, id: i64, timeout: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(message) = self.responses.remove(&id) {
                self.response_times.remove(&id);
                return Ok(message);
            }
            self.pump(deadline).await.with_context(|| format!("waiting for the response to request {id}"))?;
        }
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.send_request(method, params).await?;
        self.response(id).await.with_context(|| format!("request {method}"))
    }

    /// The next notification named `method` (earlier ones of other names stay queued).
    pub async fn expect_notification(&mut self, method: &str, timeout: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(index) = self.notifications.iter().position(|n| n["method"] == method) {
                return Ok(self.notifications.remove(index).unwrap()["params"].clone());
            }
            self.pump(deadline).await.with_context(|| format!("waiting for {method}"))?;
        }
    }

    /// Takes every queued notification named `method` without waiting.
    pub fn take_notifications(&mut self, method: &str) -> Vec<Value> {
        let (taken, kept): (Vec<Value>, Vec<Value>) = self.notifications.drain(..).partition(|n| n["method"] == method);
        self.notifications = kept.into();
        taken.into_iter().map(|n| n["params"].clone()).collect()
    }

    /// Handles incoming messages for `duration` (server requests get answered meanwhile).
    pub async fn idle(&mut self, duration: Duration) {
        let deadline = tokio::time::Instant::now() + duration;
        while self.pump(deadline).await.is_ok() {}
    }

    /// Reads one message and files it; server requests are answered at once.
    async fn pump(&mut self, deadline: tokio::time::Instant) -> Result<()> {
        let message = tokio::time::timeout_at(deadline, self.incoming.recv())
            .await
            .map_err(|_| anyhow!("timed out; stderr tail:\n{}", self.stderr_tail(30)))?
            .ok_or_else(|| anyhow!("the server closed its output; stderr tail:\n{}", self.stderr_tail(30)))?;
        if message.get("method").is_some() && message.get("id").is_some() {
            self.answer_server_request(message).await?;
        } else if message.get("method").is_some() {
            self.notifications.push_back(message);
        } else if let Some(id) = message.get("id").and_then(Value::as_i64) {
            self.response_times.insert(id, std::time::Instant::now());
            self.responses.insert(id, message);
        } else {
            // A response with a null id: the server could not read a message of ours.
            self.notifications.push_back(json!({ "method": "<response with null id>", "params": message }));
        }
        Ok(())
    }

    async fn answer_server_request(&mut self, request: Value) -> Result<()> {
        let id = request["id"].clone();
        let params = &request["params"];
        let result = match request["method"].as_str().unwrap_or_default() {
            "window/workDoneProgress/create" => Value::Null,
            "client/registerCapability" | "client/unregisterCapability" => Value::Null,
            "workspace/configuration" => {
                let items = params["items"].as_array().cloned().unwrap_or_default();
                Value::Array(items.iter().map(|_| self.options.settings.clone()).collect())
            }
            "workspace/applyEdit" => {
                if self.options.accept_edits {
                    match self.apply_workspace_edit(&params["edit"]).await {
                        Ok(()) => json!({ "applied": true }),
                        Err(error) => {
                            json!({ "applied": false, "failureReason": error.to_string() })
                        }
                    }
                } else {
                    json!({ "applied": false, "failureReason": "declined by the test" })
                }
            }
            "window/showMessageRequest" => Value::Null,
            other => {
                self.server_requests.push(request.clone());
                let reply = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32601, "message": format!("test client does not handle {other}") } });
                return self.send(reply).await;
            }
        };
        self.server_requests.push(request.clone());
        self.send(json!({ "jsonrpc": "2.0", "id": id, "result": result })).await
    }

    /// Applies a `WorkspaceEdit` to the client's documents as an editor would, refusing it
    /// whole when a versioned document does not match, then tells the server via `didChange`.
    /// A `create` makes the (empty) file on disk and opens it; an edit of a document that is
    /// not open opens it from disk first. Like an editor, nothing is saved: see [`Self::save`].
    pub async fn apply_workspace_edit(&mut self, edit: &Value) -> Result<()> {
        enum Step {
            Create(String, Value),
            Edit(String, Vec<Value>),
        }
        let mut steps: Vec<Step> = Vec::new();
        if let Some(changes) = edit["documentChanges"].as_array() {
            for change in changes {
                if let Some(kind) = change["kind"].as_str() {
                    let uri = change["uri"].as_str().context("resource operation without uri")?;
                    if kind != "create" || !self.options.resource_operations.contains(&"create") {
                        bail!("the editor does not support the resource operation {kind}");
                    }
                    steps.push(Step::Create(uri.to_string(), change["options"].clone()));
                    continue;
                }
                let uri = change["textDocument"]["uri"].as_str().context("documentChanges without uri")?;
                let created = steps.iter().any(|step| matches!(step, Step::Create(created, _) if created == uri));
                if let Some(version) = change["textDocument"]["version"].as_i64() {
                    let document = self.documents.get(uri).with_context(|| format!("{uri} is not open"))?;
                    if version != document.version as i64 {
                        bail!("version {version} of {uri} does not match the editor's {}", document.version);
                    }
                } else if !created && !self.documents.contains_key(uri) && !path_of(uri).exists() {
                    bail!("{uri} is neither open nor on disk");
                }
                steps.push(Step::Edit(uri.to_string(), change["edits"].as_array().cloned().unwrap_or_default()));
            }
        } else if let Some(changes) = edit["changes"].as_object() {
            for (uri, edits) in changes {
                steps.push(Step::Edit(uri.clone(), edits.as_array().cloned().unwrap_or_default()));
            }
        }
        for step in steps {
            match step {
                Step::Create(uri, options) => {
                    let path = path_of(&uri);
                    if path.exists() && options["overwrite"] != true {
                        if options["ignoreIfExists"] == true {
                            continue;
                        }
                        bail!("{} exists", path.display());
                    }
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&path, "")?;
                    self.open_from_disk(&uri).await?;
                }
                Step::Edit(uri, edits) => {
                    if !self.documents.contains_key(&uri) {
                        self.open_from_disk(&uri).await?;
                    }
                    self.apply_text_edits(&uri, &edits).await?;
                }
            }
        }
        Ok(())
    }

    /// Opens a file from disk as an editor does when an edit touches it.
    async fn open_from_disk(&mut self, uri: &str) -> Result<()> {
        let path = path_of(uri);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let language_id = match path.extension().and_then(|ext| ext.to_str()).unwrap_or_default() {
            "rs" => "rust",
            "py" => "python",
            "go" => "go",
            "ts" => "typescript",
            "tsx" => "typescriptreact",
            "js" | "mjs" | "cjs" => "javascript",
            "java" => "java",
            other => other,
        }
        .to_string();
        self.opened_by_edits.push(uri.to_string());
        self.open(uri, &language_id, &text).await
    }

    /// Writes a document's text to its file and sends `didSave`, as `:w` does.
    pub async fn save(&mut self, uri: &str) -> Result<()> {
        let text = self.text(uri);
        std::fs::write(path_of(uri), &text)?;
        self.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } })).await
    }

    /// Saves every document an edit opened or changed (`:wall`).
    pub async fn save_all(&mut self) -> Result<()> {
        let uris: Vec<String> = self.documents.keys().cloned().collect();
        for uri in uris {
            if uri.starts_with("file://") && (path_of(&uri).exists() || self.opened_by_edits.contains(&uri)) {
                self.save(&uri).await?;
            }
        }
        Ok(())
    }

    /// Applies LSP `TextEdit`s (all relative to the current text) and sends them as one
    /// `didChange`, edits sorted last-first so each range is still valid when sent.
    pub async fn apply_text_edits(&mut self, uri: &str, edits: &[Value]) -> Result<()> {
        let document = self.documents.get(uri).with_context(|| format!("{uri} is not open"))?.clone();
        let mut ranged: Vec<(usize, usize, Value, String)> = Vec::new();
        for edit in edits {
            let start = self.offset(&document.text, &edit["range"]["start"])?;
            let end = self.offset(&document.text, &edit["range"]["end"])?;
            if start > end {
                bail!("edit range ends before it starts: {edit}");
            }
            ranged.push((start, end, edit["range"].clone(), edit["newText"].as_str().unwrap_or_default().to_string()));
        }
        ranged.sort_by_key(|(start, end, ..)| (*start, *end));
        for pair in ranged.windows(2) {
            if pair[0].1 > pair[1].0 {
                bail!("overlapping edits in one change: {:?} and {:?}", pair[0].2, pair[1].2);
            }
        }
        let mut text = document.text.clone();
        let mut content_changes = Vec::new();
        for (start, end, _, new_text) in ranged.into_iter().rev() {
            // The editor reports the change in its own terms: positions of its text.
            let range =
                json!({ "start": self.position(&document.text, start), "end": self.position(&document.text, end) });
            text.replace_range(start..end, &new_text);
            content_changes.push(json!({ "range": range, "text": new_text }));
        }
        let version = document.version + 1;
        self.documents.insert(uri.to_string(), OpenDocument { text, version });
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": content_changes }),
        )
        .await
    }

    pub async fn open(&mut self, uri: &str, language_id: &str, text: &str) -> Result<()> {
        self.documents.insert(uri.to_string(), OpenDocument { text: text.to_string(), version: 1 });
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language_id, "version": 1, "text": text } }),
        )
        .await
    }

    /// Types `new_text` over the byte range `start..end` of the client's copy.
    pub async fn edit(&mut self, uri: &str, start: usize, end: usize, new_text: &str) -> Result<()> {
        let document = self.documents.get(uri).with_context(|| format!("{uri} is not open"))?;
        let range = json!({ "start": self.position(&document.text, start), "end": self.position(&document.text, end) });
        self.apply_text_edits(uri, &[json!({ "range": range, "newText": new_text })]).await
    }

    /// Inserts `new_text` at the first occurrence of `marker` (after it when `after`).
    pub async fn type_at(&mut self, uri: &str, marker: &str, new_text: &str) -> Result<()> {
        let text = self.text(uri);
        let at = text.find(marker).with_context(|| format!("{marker:?} not in {uri}"))? + marker.len();
        self.edit(uri, at, at, new_text).await
    }

    pub async fn close(&mut self, uri: &str) -> Result<()> {
        self.documents.remove(uri);
        self.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } })).await
    }

    /// The client's copy of a document: what the user sees.
    pub fn text(&self, uri: &str) -> String {
        self.documents.get(uri).map(|d| d.text.clone()).unwrap_or_default()
    }

    pub fn version(&self, uri: &str) -> i32 {
        self.documents.get(uri).map(|d| d.version).unwrap_or_default()
    }

    /// The LSP position of a byte offset, in the negotiated encoding.
    pub fn position(&self, text: &str, byte: usize) -> Value {
        let starts = line_starts(text);
        let line = starts.partition_point(|&start| start <= byte) - 1;
        let column = &text[starts[line]..byte];
        let character = match self.encoding.as_str() {
            "utf-8" => column.len(),
            "utf-32" => column.chars().count(),
            _ => column.encode_utf16().count(),
        };
        json!({ "line": line, "character": character })
    }

    /// The byte offset of an LSP position in the negotiated encoding (strict: no clamping,
    /// so a server that sends a bad position fails the test).
    pub fn offset(&self, text: &str, position: &Value) -> Result<usize> {
        let line = position["line"].as_u64().context("position.line")? as usize;
        let character = position["character"].as_u64().context("position.character")? as usize;
        let starts = line_starts(text);
        // The line after the last, at character 0, is how servers name the end of a
        // document; editors (Neovim, Helix, VS Code) read it so.
        if line == starts.len() && character == 0 {
            return Ok(text.len());
        }
        let line_start = *starts.get(line).with_context(|| format!("line of {position} is past the end"))?;
        let line_end = starts.get(line + 1).copied().unwrap_or(text.len());
        let line_text = text[line_start..line_end].trim_end_matches(['\r', '\n']);
        let mut units = 0;
        for (index, ch) in line_text.char_indices() {
            if units == character {
                return Ok(line_start + index);
            }
            units += match self.encoding.as_str() {
                "utf-8" => ch.len_utf8(),
                "utf-32" => 1,
                _ => ch.len_utf16(),
            };
            if units > character {
                bail!("position {position} falls inside a character");
            }
        }
        if units == character {
            return Ok(line_start + line_text.len());
        }
        bail!("position {position} is past the end of its line")
    }

    /// The position just after the first occurrence of `marker` in a document.
    pub fn position_after(&self, uri: &str, marker: &str) -> Value {
        let text = self.text(uri);
        let at = text.find(marker).unwrap_or_else(|| panic!("{marker:?} not in {uri}")) + marker.len();
        self.position(&text, at)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn stderr_tail(&self, lines: usize) -> String {
        let log = self.stderr();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// `shutdown` then `exit`; returns the process exit code. Fails if a user-visible
    /// message from the server went unchecked by the test.
    pub async fn shutdown(mut self) -> Result<i32> {
        self.request("shutdown", Value::Null).await?;
        self.notify("exit", Value::Null).await?;
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .context("server did not exit after `exit`")??;
        let unchecked: Vec<&Value> =
            self.notifications.iter().filter(|n| n["method"] == "window/showMessage").collect();
        if !unchecked.is_empty() {
            bail!("the server showed messages that no test checked: {unchecked:?}");
        }
        Ok(status.code().unwrap_or(-1))
    }

    /// Closes the server's stdin as an editor that quits does (no `shutdown`, no `exit`)
    /// and waits up to `timeout` for the process to end: its exit code, `None` if it did not.
    pub async fn disconnect(self, timeout: Duration) -> Option<i32> {
        let TestClient { mut child, stdin, .. } = self;
        drop(stdin);
        let status = tokio::time::timeout(timeout, child.wait()).await.ok()?.ok()?;
        Some(status.code().unwrap_or(-1))
    }

    /// Waits up to `timeout` for the server process to end (after a signal or `exit`): its
    /// exit status, `None` if it is still running.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(timeout, self.child.wait()).await.ok()?.ok()
    }
}

/// Reads the server's stdout strictly, as the most pedantic editor would: every frame is
/// `Content-Length: N` (and optionally `Content-Type`) headers ending in `\r\n`, a blank
/// line, then N bytes of a JSON object (or an array of them). Anything else is recorded in
/// `violations`; reading stops at the first one, since the framing is lost.
async fn read_messages(
    mut reader: BufReader<tokio::process::ChildStdout>,
    sender: mpsc::UnboundedSender<Value>,
    violations: Arc<Mutex<Vec<String>>>,
) {
    let violation = |text: String| violations.lock().unwrap().push(text);
    loop {
        let mut content_length = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let Some(header) = line.strip_suffix("\r\n") else {
                return violation(format!("a header line not ending in CRLF: {line:?}"));
            };
            if header.is_empty() {
                break;
            }
            if let Some(value) = header.strip_prefix("Content-Length: ") {
                content_length = value.parse::<usize>().ok();
            } else if !header.starts_with("Content-Type: ") {
                return violation(format!("not a protocol header: {header:?}"));
            }
        }
        let Some(length) = content_length else {
            return violation("a frame without Content-Length".into());
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return violation(format!("a frame cut short of its {length} bytes"));
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(message) if message.is_object() || message.is_array() => {
                if sender.send(message).is_err() {
                    return;
                }
            }
            _ => {
                return violation(format!("a body that is not a JSON-RPC message: {}", String::from_utf8_lossy(&body)))
            }
        }
    }
}

/// Where each line starts; lines end at `\n`, `\r\n` or a lone `\r`, as LSP defines them.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n')) {
            starts.push(index + 1);
        }
    }
    starts
}

/// The path of a `file://` URI (test paths are plain ASCII).
pub fn path_of(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

/// `file://` URI of a path (paths in tests are plain ASCII temp paths).
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}
