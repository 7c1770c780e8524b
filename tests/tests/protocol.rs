//! A session that no message can end, through the built binary: every well-formed JSON body
//! that is not a JSON-RPC message gets the error JSON-RPC prescribes, and a protocol fuzz
//! (proptest, thousands of generated messages interleaved with normal traffic) checks after
//! every batch that the server still answers, still holds every open document exactly as
//! the editor does, and has written nothing but protocol frames to stdout.

use std::time::{Duration, Instant};

use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

fn hooks(mock: &MockGlm) -> ClientOptions {
    ClientOptions {
        env: vec![
            ("GLM_LSP_TEST_HOOKS".into(), "1".into()),
            ("GLM_API_KEY".into(), "test-key".into()),
            ("GLM_BASE_URL".into(), mock.base_url()),
            ("GLM_LSP_LOG".into(), "warn".into()),
        ],
        initialization_options: json!({ "completion": { "debounceMs": 0, "maxWaitMs": 50 } }),
        ..ClientOptions::default()
    }
}

/// The next response that carries a null id or none (what the server sends when it cannot
/// read a message's id), or a batch of them.
async fn null_id_reply(client: &mut TestClient) -> Value {
    client.expect_notification("<response with null id>", Duration::from_secs(5)).await.unwrap()
}

#[tokio::test]
async fn well_formed_json_that_is_not_json_rpc_gets_invalid_request_and_the_session_goes_on() {
    let mock = MockGlm::start().await;
    let mut client = TestClient::initialized(hooks(&mock)).await.unwrap();
    client.open("file:///project/a.py", "python", "x = 1\n").await.unwrap();
    let unreadable_ids = [
        r#"{"jsonrpc":"2.0","id":1.5,"method":"textDocument/completion","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":{"a":1},"method":"workspace/executeCommand","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":[1],"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","method":5,"params":{}}"#,
        "null",
        "[]",
        "17",
        r#""a string""#,
        "true",
    ];
    for body in unreadable_ids {
        client.send_raw(body).await.unwrap();
        let reply = null_id_reply(&mut client).await;
        assert_eq!(reply["error"]["code"], -32600, "{body}: {reply}");
        assert!(reply["id"].is_null(), "{body}: {reply}");
        let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await;
        assert_eq!(status.unwrap()["openDocuments"], 1, "alive after {body}");
    }
    // When the id can be read, the error carries it.
    for (body, id) in [
        (r#"{"jsonrpc":"1.0","id":900,"method":"shutdown"}"#, 900),
        (r#"{"jsonrpc":"2.0","id":901,"method":5}"#, 901),
        (r#"{"id":902,"method":"workspace/executeCommand"}"#, 902),
    ] {
        client.send_raw(body).await.unwrap();
        let reply = client.raw_response(id, Duration::from_secs(5)).await.unwrap();
        assert_eq!(reply["error"]["code"], -32600, "{body}: {reply}");
    }
    // A batch gets one error per element, as JSON-RPC 2.0 says.
    client
        .send_raw(r#"[{"jsonrpc":"2.0","id":903,"method":"shutdown"},{"jsonrpc":"2.0","method":"initialized"}]"#)
        .await
        .unwrap();
    let batch = null_id_reply(&mut client).await;
    assert_eq!(batch.as_array().map(Vec::len), Some(2), "{batch}");
    assert_eq!(batch[0]["id"], 903);
    // Not JSON at all, and unreadable frames: parse errors.
    client.send_raw("{ not json").await.unwrap();
    assert_eq!(null_id_reply(&mut client).await["error"]["code"], -32700);
    client.send_bytes(b"Content-Length: abc\r\n\r\n{}").await.unwrap();
    assert_eq!(null_id_reply(&mut client).await["error"]["code"], -32700);
    let document = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "glm-lsp.debug.document", "arguments": ["file:///project/a.py"] }),
        )
        .await;
    assert_eq!(document.unwrap()["text"], "x = 1\n");
    assert!(client.stdout_violations().is_empty(), "{:?}", client.stdout_violations());
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

// ---- the fuzz ------------------------------------------------------------------------------

/// Documents the editor tracks (its copy must equal the server's); every generated message
/// for other documents uses `file:///fuzz/`. Generated request ids start at 1,000,000, far
/// from the test client's own, so that no generated reply answers one of its requests.
const TRACKED: [&str; 3] = ["file:///tracked/a.py", "file:///tracked/b.rs", "file:///tracked/c.go"];

#[derive(Debug, Clone)]
enum Op {
    /// A known method with arbitrary params, as a request or a notification.
    Method { method: &'static str, params: Value, notification: bool },
    /// A known method with params shaped right but out of range or for unopened documents.
    Targeted(Value),
    /// A request or notification nobody knows.
    Unknown { method: String, notification: bool },
    /// Two requests with one id.
    DuplicateId(i64),
    /// A body sent as is (invalid JSON, JSON-RPC that is wrong, huge, empty).
    Body(String),
    /// Bytes sent as is (bad headers).
    Bytes(Vec<u8>),
    /// Normal traffic on a tracked document: an edit the editor makes and mirrors.
    Edit { document: usize, at: f64, delete: u8, text: String },
    /// A change with an old version for a tracked document: must be ignored.
    StaleChange { document: usize },
}

const METHODS: &[&str] = &[
    "initialize",
    "textDocument/completion",
    "textDocument/inlineCompletion",
    "textDocument/codeAction",
    "codeAction/resolve",
    "workspace/executeCommand",
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "textDocument/didSave",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWatchedFiles",
    "window/workDoneProgress/cancel",
    "$/cancelRequest",
    "$/setTrace",
    "initialized",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|number| json!(number)),
        (-1e12f64..1e12).prop_map(|number| json!(number)),
        "[a-z:/._ 😀é]{0,16}".prop_map(|text| json!(text.replace("file:///tracked", "file:///fuzz"))),
        Just(json!("file:///fuzz/x.py")),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("textDocument"),
                    Just("uri"),
                    Just("position"),
                    Just("line"),
                    Just("character"),
                    Just("range"),
                    Just("start"),
                    Just("end"),
                    Just("text"),
                    Just("version"),
                    Just("contentChanges"),
                    Just("command"),
                    Just("arguments"),
                    Just("settings"),
                    Just("context"),
                    Just("data"),
                    Just("id"),
                    Just("token"),
                ]
                .prop_map(str::to_string),
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn position() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u32..5, 0u32..30).prop_map(|(line, character)| json!({ "line": line, "character": character })),
        (any::<u32>(), any::<u32>()).prop_map(|(line, character)| json!({ "line": line, "character": character })),
        Just(json!({ "line": -1, "character": 0 })),
        Just(json!({ "line": "one", "character": null })),
    ]
}

/// Right shapes, wrong places: positions past the end, unopened documents, changes before an
/// open or after a close, actions with forged data.
fn targeted() -> impl Strategy<Value = Value> {
    let uri = prop_oneof![
        Just("file:///fuzz/unopened.py".to_string()),
        Just("file:///fuzz/later.rs".to_string()),
        "[a-z]{1,8}".prop_map(|name| format!("file:///fuzz/{name}.go")),
        Just("not a uri".to_string()),
    ];
    (uri, position(), position(), 0usize..7, "[a-z(){}\n 😀]{0,12}", any::<i32>()).prop_map(
        |(uri, start, end, kind, text, version)| {
            let document = json!({ "uri": uri });
            let (method, params) = match kind {
                0 => ("textDocument/completion", json!({ "textDocument": document, "position": start })),
                1 => ("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version },
                        "contentChanges": [{ "range": { "start": start, "end": end }, "text": text }] })),
                2 => ("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "python", "version": version, "text": text } })),
                3 => ("textDocument/didClose", json!({ "textDocument": document })),
                4 => ("textDocument/codeAction", json!({ "textDocument": document, "range": { "start": start, "end": end }, "context": { "diagnostics": [] } })),
                5 => ("workspace/executeCommand", json!({ "command": "glm-lsp.runAction", "arguments": [{ "uri": uri, "version": version, "target": { "start": 5, "end": 1 }, "action": { "type": "improve" } }] })),
                _ => ("textDocument/inlineCompletion", json!({ "textDocument": document, "position": start, "context": { "triggerKind": 1 } })),
            };
            json!({ "method": method, "params": params })
        },
    )
}

fn bad_bodies() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("null".to_string()),
        Just("[]".to_string()),
        Just("{".to_string()),
        Just(r#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"exit"}"#.to_string()),
        Just(r#"{"jsonrpc":"1.0","id":9000004,"method":"exit"}"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","method":["exit"]}"#.to_string()),
        Just(r#"[{"jsonrpc":"2.0","method":"exit"}]"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","id":9000005,"result":{}}"#.to_string()),
        "[ -~]{0,40}",
    ]
}

fn huge_bodies() -> impl Strategy<Value = String> {
    prop_oneof![
        // A 1.5 MB string parameter to an unknown method.
        Just(json!({ "jsonrpc": "2.0", "id": 9_000_077, "method": "glm-lsp/huge", "params": { "text": "y".repeat(1_500_000) } }).to_string()),
        // A huge notification the server understands, for a document nobody tracks.
        Just(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": {
            "uri": "file:///fuzz/huge.py", "languageId": "python", "version": 1, "text": "z = 1\n".repeat(200_000) } } }).to_string()),
    ]
}

fn bad_frames() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"Content-Length: nope\r\n\r\n{}".to_vec()),
        Just(b"Content-Type: application/json\r\n\r\n{\"jsonrpc\":\"2.0\"}".to_vec()),
        Just(b"Garbage without a colon\r\n\r\n".to_vec()),
        Just(b"Content-Length: 4\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"}".to_vec()),
        Just(b"Content-Length: 99999999999\r\n\r\n".to_vec()),
        Just(b"\r\n\r\n\n".to_vec()),
        "[ -~]{1,60}".prop_map(|text| text.into_bytes()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (proptest::sample::select(METHODS), json_value(), any::<bool>())
            .prop_map(|(method, params, notification)| Op::Method { method, params, notification }),
        4 => targeted().prop_map(Op::Targeted),
        1 => ("[a-zA-Z/$]{1,20}", any::<bool>()).prop_map(|(method, notification)| Op::Unknown { method, notification }),
        1 => (2_000_000i64..2_000_010).prop_map(Op::DuplicateId),
        2 => bad_bodies().prop_map(Op::Body),
        1 => proptest::option::weighted(0.1, huge_bodies()).prop_map(|body| Op::Body(body.unwrap_or_else(|| "{}".into()))),
        2 => bad_frames().prop_map(Op::Bytes),
        4 => (0..TRACKED.len(), 0.0..1.0f64, 0u8..4, "[a-z (){}\n😀é]{0,6}")
            .prop_map(|(document, at, delete, text)| Op::Edit { document, at, delete, text }),
        1 => (0..TRACKED.len()).prop_map(|document| Op::StaleChange { document }),
    ]
}

struct Fuzz {
    client: TestClient,
    next_id: i64,
    messages: usize,
}

impl Fuzz {
    async fn send(&mut self, op: &Op) -> anyhow::Result<()> {
        self.messages += 1;
        match op {
            Op::Method { method, params, notification } => self.message(method, params.clone(), *notification).await,
            Op::Targeted(message) => {
                let method = message["method"].as_str().unwrap().to_string();
                let notification = method.starts_with("textDocument/did");
                self.message(&method, message["params"].clone(), notification).await
            }
            Op::Unknown { method, notification } => self.message(method, json!({}), *notification).await,
            Op::DuplicateId(id) => {
                for _ in 0..2 {
                    let body = json!({ "jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand", "params": { "command": "glm-lsp.status" } });
                    self.client.send_raw(&body.to_string()).await?;
                }
                Ok(())
            }
            Op::Body(body) => self.client.send_raw(body).await,
            Op::Bytes(bytes) => self.client.send_bytes(bytes).await,
            Op::Edit { document, at, delete, text } => {
                let uri = TRACKED[*document];
                let current = self.client.text(uri);
                let mut start = ((current.len() as f64) * at) as usize;
                while !current.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = start;
                for _ in 0..*delete {
                    if let Some(character) = current[end..].chars().next() {
                        end += character.len_utf8();
                    }
                }
                self.client.edit(uri, start, end, text).await
            }
            Op::StaleChange { document } => {
                let uri = TRACKED[*document];
                let stale = self.client.version(uri) - 1;
                let params = json!({ "textDocument": { "uri": uri, "version": stale },
                    "contentChanges": [{ "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "text": "STALE" }] });
                self.message("textDocument/didChange", params, true).await
            }
        }
    }

    async fn message(&mut self, method: &str, params: Value, notification: bool) -> anyhow::Result<()> {
        let mut body = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        if !notification {
            self.next_id += 1;
            body["id"] =
                if self.next_id % 3 == 0 { json!(format!("fuzz-{}", self.next_id)) } else { json!(self.next_id) };
        }
        self.client.send_raw(&body.to_string()).await
    }

    /// What must hold after every batch: the server answers, agrees with the editor on every
    /// tracked document, and wrote only protocol frames.
    async fn check(&mut self) -> Result<(), TestCaseError> {
        let fail = |what: String| TestCaseError::fail(what);
        let status = self
            .client
            .request("workspace/executeCommand", json!({ "command": "glm-lsp.status" }))
            .await
            .map_err(|error| fail(format!("no answer to glm-lsp.status: {error:#}")))?;
        prop_assert_eq!(&status["version"], env!("CARGO_PKG_VERSION"));
        for uri in TRACKED {
            let document = self
                .client
                .request("workspace/executeCommand", json!({ "command": "glm-lsp.debug.document", "arguments": [uri] }))
                .await
                .map_err(|error| fail(format!("{uri}: {error:#}")))?;
            let editor_copy = self.client.text(uri);
            prop_assert_eq!(document["text"].as_str(), Some(editor_copy.as_str()), "{}", uri);
            prop_assert_eq!(&document["outOfSync"], false, "{}", uri);
        }
        let actions = self
            .client
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": TRACKED[1] }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
            )
            .await
            .map_err(|error| fail(format!("codeAction: {error:#}")))?;
        prop_assert!(actions.is_array(), "{}", actions);
        prop_assert!(self.client.stdout_violations().is_empty(), "{:?}", self.client.stdout_violations());
        prop_assert!(self.client.is_running());
        Ok(())
    }
}

#[test]
fn protocol_fuzz_never_ends_the_session_or_desynchronises_a_document() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cases: u32 = std::env::var("GLM_LSP_FUZZ_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(64);
    let (mock, client) = runtime.block_on(async {
        let mock = MockGlm::start().await;
        mock.set_default_reply(Reply::text("1"));
        let mut client = TestClient::initialized(hooks(&mock)).await.unwrap();
        client.open(TRACKED[0], "python", "def f(x):\n    return x\n").await.unwrap();
        client.open(TRACKED[1], "rust", "fn main() {\n    let x = 1;\n}\n").await.unwrap();
        client.open(TRACKED[2], "go", "package main\n\nfunc main() {}\n").await.unwrap();
        (mock, client)
    });
    let fuzz = std::cell::RefCell::new(Fuzz { client, next_id: 1_000_000, messages: 0 });
    // The server is one long session, so a failing batch is reported as it is: shrinking
    // would replay it against a server the earlier batches already changed.
    let mut runner =
        TestRunner::new(Config { cases, max_shrink_iters: 0, failure_persistence: None, ..Config::default() });
    let started = Instant::now();
    let result = runner.run(&proptest::collection::vec(op(), 20..70), |batch| {
        runtime.block_on(async {
            let mut fuzz = fuzz.borrow_mut();
            for op in &batch {
                fuzz.send(op).await.map_err(|error| TestCaseError::fail(format!("sending {op:?}: {error:#}")))?;
            }
            fuzz.client.idle(Duration::from_millis(20)).await;
            let checked = fuzz.check().await;
            fuzz.client.forget_inbox();
            checked
        })
    });
    let mut fuzz = fuzz.into_inner();
    eprintln!(
        "protocol fuzz: {} generated messages in {cases} batches, {:.1} s",
        fuzz.messages,
        started.elapsed().as_secs_f64()
    );
    if let Err(error) = result {
        panic!("{error}\nserver stderr (tail):\n{}", tail(&fuzz.client.stderr(), 40));
    }
    assert!(fuzz.messages >= 2000, "only {} messages", fuzz.messages);
    runtime.block_on(async {
        // Actions started with forged data report their failure from their own task.
        fuzz.client.idle(Duration::from_millis(300)).await;
        fuzz.client.take_notifications("window/showMessage");
        assert_eq!(fuzz.client.shutdown().await.unwrap(), 0);
    });
    drop(mock);
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
