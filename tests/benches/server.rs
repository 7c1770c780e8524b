//! Server overhead with a zero-latency mock GLM server. Run with
//! `cargo build --release -p glm-lsp && cargo bench -p glm-lsp-e2e --bench server`; a filter
//! after `--` (`python`, `rust`, `memory`) runs only the scenarios whose name contains it.
//!
//! In-process over pipes (the same `serve` the binary runs on stdio), on Python and Rust files
//! of 200 and 20,000 lines, typing one character before each of 200 requests so nothing is
//! cached (debounce 0, `trigger: manual` so no prefetch runs; the mock answers at once):
//! - completion: time from the LSP request to its response;
//! - upstream: time from the LSP request to the request's arrival at the mock (context,
//!   prompt and client work), and from the mock's arrival to the LSP response (the stream,
//!   post-processing and the answer).
//!
//! Memory: the released binary as a child over stdio, with the 20,000-line Python file in its
//! workspace folder (so the workspace index reads it too), opened, then 205 keystrokes each
//! followed by a completion request; its peak resident memory (`VmHWM`) and resident memory
//! at the end (`VmRSS`) from `/proc/<pid>/status`.

use std::time::{Duration, Instant};

use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

struct Client {
    writer: WriteHalf<DuplexStream>,
    reader: BufReader<ReadHalf<DuplexStream>>,
    next_id: i64,
}

impl Client {
    async fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.writer.write_all(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await.unwrap();
    }

    async fn read(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        loop {
            let message = self.read().await;
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
            if message.get("method").is_some() && message.get("id").is_some() {
                // A server request (progress, configuration): answer it like an editor.
                self.send(json!({ "jsonrpc": "2.0", "id": message["id"], "result": null })).await;
            }
        }
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }
}

fn rust_source(lines: usize) -> String {
    let mut text = String::from("use std::collections::HashMap;\n\n");
    let mut index = 0;
    while text.lines().count() < lines {
        text.push_str(&format!(
            "pub fn compute_{index}(input: &[u32], scale: u32) -> u32 {{\n    let mut total = 0;\n    for value in input {{\n        total += value * scale + {index};\n    }}\n    total\n}}\n\n"
        ));
        index += 1;
    }
    text
}

fn python_source(lines: usize) -> String {
    let mut text = String::from("import math\n\n");
    let mut index = 0;
    while text.lines().count() < lines {
        text.push_str(&format!(
            "def compute_{index}(values, scale):\n    \"\"\"Computes value {index}.\"\"\"\n    total = 0\n    for value in values:\n        total += value * scale + {index}\n    return total\n\n\n"
        ));
        index += 1;
    }
    text
}

#[derive(Clone, Copy)]
enum Lang {
    Python,
    Rust,
}

impl Lang {
    fn id(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Rust => "rust",
        }
    }

    fn source(self, lines: usize) -> String {
        match self {
            Lang::Python => python_source(lines),
            Lang::Rust => rust_source(lines),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Lang::Python => "py",
            Lang::Rust => "rs",
        }
    }
}

/// The debounce is left out by setting it to 0 (subtracting a 150 ms timer from each sample
/// would add the timer's jitter). With no pause, the reparse after each keystroke runs at
/// once on the other core, so these figures include that contention: an upper bound.
const DEBOUNCE_MS: u64 = 0;

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

async fn run(language: Lang, lines: usize, iterations: usize) {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("scale"));
    let (client_side, server_side) = tokio::io::duplex(1 << 22);
    let (server_read, server_write) = tokio::io::split(server_side);
    tokio::spawn(glm_lsp::lsp::serve(server_read, server_write));
    let (reader, writer) = tokio::io::split(client_side);
    let mut client = Client { writer, reader: BufReader::new(reader), next_id: 1 };
    client
        .request(
            "initialize",
            json!({ "capabilities": { "general": { "positionEncodings": ["utf-16"] } },
                    "initializationOptions": { "apiKey": "bench", "baseUrl": mock.base_url(),
                        "completion": { "debounceMs": DEBOUNCE_MS, "maxWaitMs": 10000, "trigger": "manual" },
                        "nextEdit": { "enabled": next_edit_enabled() } } }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    let uri = format!("file:///bench/big{lines}.{}", language.extension());
    let text = language.source(lines);
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language.id(), "version": 1, "text": text } }),
        )
        .await;
    // A line in the middle: `        total += value * <cursor>`.
    let target_line = text.lines().enumerate().filter(|(_, l)| l.contains("total += value")).nth(lines / 16).unwrap().0;
    let mut totals = Vec::new();
    let mut to_upstream = Vec::new();
    let mut from_upstream = Vec::new();
    let line_text = text.lines().nth(target_line).unwrap().to_string();
    let mut character = line_text.find("* scale").unwrap() + 2;
    for iteration in 0..iterations {
        // Type one character at the cursor, as a user does, so no answer comes from a cache.
        let version = iteration as i64 + 2;
        client
            .notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version },
                        "contentChanges": [{ "range": { "start": { "line": target_line, "character": character }, "end": { "line": target_line, "character": character } }, "text": "a" }] }),
            )
            .await;
        character += 1;
        mock.reset_records();
        let started = Instant::now();
        let response = client
            .request(
                "textDocument/completion",
                json!({ "textDocument": { "uri": uri }, "position": { "line": target_line, "character": character },
                        "context": { "triggerKind": 1 } }),
            )
            .await;
        // Overhead only: the debounce is the editor-facing wait, not the server's work.
        let elapsed = started.elapsed().saturating_sub(Duration::from_millis(DEBOUNCE_MS));
        assert!(response["result"]["items"].is_array(), "{response}");
        if let Some(request) = mock.requests().last() {
            let arrival = request
                .received_at
                .saturating_duration_since(started)
                .saturating_sub(Duration::from_millis(DEBOUNCE_MS));
            to_upstream.push(arrival);
            from_upstream.push(elapsed.saturating_sub(arrival));
        }
        totals.push(elapsed);
    }
    for samples in [&mut totals, &mut to_upstream, &mut from_upstream] {
        samples.sort();
    }
    println!(
        "{:<6} {lines:>6} lines: completion request→response p50 {:?} p99 {:?} | request→upstream p50 {:?} p99 {:?} | upstream→response p50 {:?} p99 {:?} ({} upstream of {iterations})",
        language.id(),
        percentile(&totals, 0.5),
        percentile(&totals, 0.99),
        percentile(&to_upstream, 0.5),
        percentile(&to_upstream, 0.99),
        percentile(&from_upstream, 0.5),
        percentile(&from_upstream, 0.99),
        to_upstream.len(),
    );
}

/// Peak and final resident memory (MiB) of the released binary after opening a `lines`-line
/// Python file of its workspace and typing `edits` characters, each followed by a completion.
async fn peak_memory(lines: usize, edits: usize) {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("scale"));
    let root = std::env::temp_dir().join(format!("glm-lsp-bench-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let path = root.join("big.py");
    let text = python_source(lines);
    std::fs::write(&path, &text).unwrap();
    let mut client = TestClient::initialized(ClientOptions {
        env: vec![
            ("GLM_API_KEY".into(), "bench".into()),
            ("GLM_BASE_URL".into(), mock.base_url()),
            ("GLM_LSP_LOG".into(), "warn".into()),
        ],
        root: Some(root.clone()),
        initialization_options: json!({ "completion": { "debounceMs": DEBOUNCE_MS, "maxWaitMs": 10000, "trigger": "manual" } }),
        ..ClientOptions::default()
    })
    .await
    .expect("the release binary starts (cargo build --release -p glm-lsp)");
    let pid = client.pid().expect("the server runs");
    let started_kib = memory_kib(pid, "VmRSS:");
    let uri = glm_lsp_e2e::lsp_client::file_uri(&path);
    client.open(&uri, "python", &text).await.unwrap();
    let marker = "total += value * ";
    let mut at = text.match_indices(marker).nth(text.matches(marker).count() / 2).unwrap().0 + marker.len();
    for _ in 0..edits {
        client.edit(&uri, at, at, "a").await.unwrap();
        at += 1;
        let position = client.position(&client.text(&uri), at);
        client
            .request(
                "textDocument/completion",
                json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 1 } }),
            )
            .await
            .unwrap();
    }
    let peak_kib = memory_kib(pid, "VmHWM:");
    let end_kib = memory_kib(pid, "VmRSS:");
    println!(
        "memory {lines:>6}-line Python file, {edits} edits with a completion each: peak (VmHWM) {:.1} MiB, at the end (VmRSS) {:.1} MiB, at start {:.1} MiB ({} upstream requests)",
        peak_kib as f64 / 1024.0,
        end_kib as f64 / 1024.0,
        started_kib as f64 / 1024.0,
        mock.requests().len(),
    );
    let _ = client.shutdown().await;
    let _ = std::fs::remove_dir_all(&root);
}

/// A `/proc/<pid>/status` field in KiB.
fn memory_kib(pid: u32, field: &str) -> u64 {
    glm_lsp_e2e::process::status_field(pid, field)
}

/// `--next-edit-off` turns next edits off (`nextEdit.enabled: false`): their share of the
/// keystroke path (the history's pause task) is the difference with the default.
fn next_edit_enabled() -> bool {
    !std::env::args().any(|arg| arg == "--next-edit-off")
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a filter on the scenario names.
    let filters: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for (language, name) in [(Lang::Python, "python"), (Lang::Rust, "rust")] {
            if wanted(name) {
                run(language, 200, 200).await;
                run(language, 20_000, 200).await;
            }
        }
        if wanted("memory") {
            peak_memory(20_000, 205).await;
        }
    });
}
