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

async fn debug_document(client: &mut TestClient, uri: &str) -> Value {
    client
        .request("workspace/executeCommand", json!({ "command": "glm-lsp.debug.document", "arguments": [uri] }))
        .await
        .unwrap()
}

/// A JavaScript client that cuts a string inside an emoji sends each half as a lone
/// surrogate escape. The session goes on, and each half becomes U+FFFD — one UTF-16 unit,
/// like the half it replaces — so later edits land where the editor put them.
#[tokio::test]
async fn lone_surrogates_become_replacement_characters_and_positions_stay_the_editors() {
    let mock = MockGlm::start().await;
    let mut client =
        TestClient::initialized(ClientOptions { encodings: vec!["utf-16"], ..hooks(&mock) }).await.unwrap();
    let uri = "file:///project/emoji.js";
    client.open(uri, "javascript", "let a = 1;\n").await.unwrap();
    let change = |version: i32, character: u32, text: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":{version}}},"contentChanges":[{{"range":{{"start":{{"line":0,"character":{character}}},"end":{{"line":0,"character":{character}}}}},"text":"{text}"}}]}}}}"#
        )
    };
    // The editor inserts 😀 in two changes, one half each, then types after the `1`.
    client.send_raw(&change(2, 8, r"\ud83d")).await.unwrap();
    client.send_raw(&change(3, 9, r"\ude00")).await.unwrap();
    client.send_raw(&change(4, 11, "X")).await.unwrap();
    // A lone surrogate in a request's method and in its params.
    client
        .send_raw(r#"{"jsonrpc":"2.0","id":950,"method":"workspace/executeCommand\udc00","params":{}}"#)
        .await
        .unwrap();
    let reply = client.raw_response(950, Duration::from_secs(5)).await.unwrap();
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    client
        .send_raw(r#"{"jsonrpc":"2.0","id":951,"method":"workspace/executeCommand","params":{"command":"glm-lsp.status","arguments":["\ud800"]}}"#)
        .await
        .unwrap();
    let reply = client.raw_response(951, Duration::from_secs(5)).await.unwrap();
    assert_eq!(reply["result"]["openDocuments"], 1, "{reply}");
    let document = debug_document(&mut client, uri).await;
    assert_eq!(document["text"], "let a = \u{FFFD}\u{FFFD}1X;\n", "{document}");
    assert_eq!(document["outOfSync"], false);
    assert!(client.stdout_violations().is_empty(), "{:?}", client.stdout_violations());
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

/// Not UTF-8, `1e400`, nesting past serde_json's limit: each request gets `-32700` with its
/// own id (the editor stops waiting), and the session goes on.
#[tokio::test]
async fn bodies_the_decoder_refuses_get_parse_errors_with_their_ids() {
    let mock = MockGlm::start().await;
    let mut client = TestClient::initialized(hooks(&mock)).await.unwrap();
    client.open("file:///project/a.py", "python", "x = 1\n").await.unwrap();
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<(i64, Vec<u8>)> = vec![
        (960, b"{\"jsonrpc\":\"2.0\",\"id\":960,\"method\":\"workspace/executeCommand\",\"params\":{\"command\":\"\xff\"}}".to_vec()),
        (961, br#"{"jsonrpc":"2.0","id":961,"method":"textDocument/completion","params":{"position":{"line":1e400}}}"#.to_vec()),
        (962, format!(r#"{{"jsonrpc":"2.0","id":962,"method":"textDocument/completion","params":{nested}}}"#).into_bytes()),
    ];
    for (id, body) in bodies {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(&body);
        client.send_bytes(&frame).await.unwrap();
        let reply = client.raw_response(id, Duration::from_secs(5)).await.unwrap();
        assert_eq!(reply["error"]["code"], -32700, "{id}: {reply}");
        let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await;
        assert_eq!(status.unwrap()["openDocuments"], 1, "alive after {id}");
    }
    assert_eq!(debug_document(&mut client, "file:///project/a.py").await["text"], "x = 1\n");
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

/// A panic in a notification handler is logged and the session goes on; a `didChange`
/// that panicked leaves its document out of sync (requests on it are refused) until the
/// editor sends the full text, as after a change that does not fit.
#[tokio::test]
async fn a_panic_in_a_notification_handler_is_logged_and_the_document_waits_for_full_text() {
    let mock = MockGlm::start().await;
    let mut client = TestClient::initialized(hooks(&mock)).await.unwrap();
    let uri = "file:///project/p.py";
    client.open(uri, "python", "def f():\n    return 1\n").await.unwrap();
    client.type_at(uri, "return 1", " # glm-lsp:test-panic").await.unwrap();
    let warning = client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(warning["message"].as_str().unwrap().contains("out of sync"), "{warning}");
    let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await;
    assert_eq!(status.unwrap()["openDocuments"], 1);
    assert_eq!(debug_document(&mut client, uri).await["outOfSync"], true);
    let completion = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }),
        )
        .await;
    assert!(completion.is_err(), "a request on an out-of-sync document is refused: {completion:?}");
    assert!(client.stderr().contains("handler panicked"), "{}", client.stderr());
    // The editor's full text brings it back.
    let text = client.text(uri);
    let version = client.version(uri) + 1;
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        )
        .await
        .unwrap();
    let document = debug_document(&mut client, uri).await;
    assert_eq!((document["outOfSync"].as_bool(), document["text"].as_str()), (Some(false), Some(text.as_str())));
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
    /// A body that `serde_json::Value` refuses while a skim of the JSON accepts it, or that
    /// stretches what JSON-RPC allows (lone surrogates, bytes that are not UTF-8, NaN-like
    /// tokens, huge numbers and ids, deep nesting), framed correctly.
    Hazard(Vec<u8>),
    /// A method the server handles with params of the wrong shape, as a request or a
    /// notification.
    WrongParams { method: &'static str, params: Value, notification: bool },
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

/// The requests and notifications the server handles (not `shutdown` and `exit`, which end
/// the session by design).
const HANDLED: &[(&str, bool)] = &[
    ("initialize", false),
    ("textDocument/completion", false),
    ("textDocument/inlineCompletion", false),
    ("textDocument/codeAction", false),
    ("codeAction/resolve", false),
    ("workspace/executeCommand", false),
    ("initialized", true),
    ("textDocument/didOpen", true),
    ("textDocument/didChange", true),
    ("textDocument/didClose", true),
    ("textDocument/didSave", true),
    ("workspace/didChangeConfiguration", true),
    ("workspace/didChangeWatchedFiles", true),
    ("window/workDoneProgress/cancel", true),
    ("$/cancelRequest", true),
    ("$/setTrace", true),
];

/// Params no handler accepts (none names a tracked document: `didClose` would take any
/// object with a `textDocument.uri`).
fn wrong_params() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!([])),
        Just(json!([1, 2, 3])),
        Just(json!("params")),
        Just(json!(42)),
        Just(json!(-1.5)),
        Just(json!(true)),
        Just(json!({})),
        Just(json!({ "textDocument": 5 })),
        Just(json!({ "textDocument": { "uri": 5 } })),
        Just(json!({ "textDocument": { "uri": null }, "position": "start" })),
        Just(json!({ "textDocument": { "uri": "file:///fuzz/w.py" }, "position": { "line": -1, "character": 0 } })),
        Just(json!({ "textDocument": { "uri": "file:///fuzz/w.py" }, "range": [0, 1], "context": {} })),
        Just(json!({ "textDocument": { "uri": "file:///fuzz/w.py", "version": "one" }, "contentChanges": "text" })),
        Just(json!({ "changes": [{ "uri": "file:///fuzz/w.py", "type": 9 }] })),
        Just(json!({ "changes": "all" })),
        Just(json!({ "id": 1.5 })),
        Just(json!({ "id": [1] })),
        Just(json!({ "value": "loud" })),
        Just(json!({ "token": { "a": 1 } })),
        Just(json!({ "command": 7, "arguments": "x" })),
        Just(json!({ "command": "glm-lsp.runAction", "arguments": [{ "uri": 1 }] })),
        Just(json!({ "command": "glm-lsp.generateTests", "arguments": [[]] })),
        Just(json!({ "title": 5, "data": { "uri": "file:///fuzz/w.py" } })),
        Just(json!({ "capabilities": "all", "processId": "me" })),
    ]
}

/// A `didChange` for a tracked document that must change nothing: its version is text, or
/// its range has no `character`.
fn tracked_wrong_change(document: usize, version_is_text: bool) -> Value {
    if version_is_text {
        json!({ "textDocument": { "uri": TRACKED[document], "version": "two" }, "contentChanges": [{ "text": "WRONG" }] })
    } else {
        json!({ "textDocument": { "uri": TRACKED[document], "version": 99999 },
                "contentChanges": [{ "range": { "start": { "line": 0 }, "end": { "line": 0 } }, "text": "WRONG" }] })
    }
}

/// JSON text that stretches the decoder, built as text because `serde_json::Value` cannot
/// hold most of it.
fn hazards() -> impl Strategy<Value = Vec<u8>> {
    let surrogate = prop_oneof![Just(r"\ud800"), Just(r"\udbff"), Just(r"\udc00"), Just(r"\udfff"), Just(r"\ud83d")];
    let odd_number = prop_oneof![
        Just("NaN"),
        Just("Infinity"),
        Just("-Infinity"),
        Just("nan"),
        Just("1e400"),
        Just("-1e400"),
        Just("1e-400"),
        Just("1.7976931348623157e308"),
        Just("18446744073709551616"),
        Just("-9223372036854775809"),
        Just("123456789012345678901234567890"),
        Just("-0"),
        Just("0.000"),
        Just("1E+2"),
        Just("01"),
        Just("+1"),
        Just(".5"),
    ];
    let odd_id = prop_oneof![
        Just("9223372036854775807".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("-7".to_string()),
        Just("0".to_string()),
        Just("9223372036854775808".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1.5".to_string()),
        Just("-0.5".to_string()),
        Just("1e3".to_string()),
        Just("1e400".to_string()),
        Just("NaN".to_string()),
        Just(r#""""#.to_string()),
        Just(r#""\ud800""#.to_string()),
        Just(format!(r#""{}""#, "i".repeat(100_000))),
    ];
    let nesting = prop_oneof![Just(127usize), Just(128), Just(129), Just(1_000), Just(100_000),];
    let method = proptest::sample::select(HANDLED);
    prop_oneof![
        // A lone surrogate in the method.
        (method.clone(), surrogate.clone()).prop_map(|((method, notification), surrogate)| {
            message(&format!("{method}{surrogate}"), "{}", notification)
        }),
        // In a string inside the params: a text, a URI, a command.
        (method.clone(), surrogate.clone(), 0..3usize).prop_map(|((method, notification), surrogate, at)| {
            let params = match at {
                0 => format!(r#"{{"textDocument":{{"uri":"file:///fuzz/s.py","languageId":"python","version":1,"text":"a{surrogate}b"}}}}"#),
                1 => format!(r#"{{"textDocument":{{"uri":"file:///fuzz/{surrogate}.py"}},"position":{{"line":0,"character":0}}}}"#),
                _ => format!(r#"{{"command":"glm-lsp.status{surrogate}","settings":{{"glm-lsp":"{surrogate}"}}}}"#),
            };
            message(method, &params, notification)
        }),
        // As a key, at the top and inside.
        (method.clone(), surrogate).prop_map(|((method, notification), surrogate)| {
            let params = format!(r#"{{"{surrogate}":1,"textDocument":{{"{surrogate}uri":"file:///fuzz/k.py"}}}}"#);
            let mut body = message(method, &params, notification);
            body.splice(1..1, format!(r#""{surrogate}":0,"#).into_bytes());
            body
        }),
        // Bytes that are not UTF-8, anywhere in an otherwise good message.
        (method.clone(), prop_oneof![Just(&b"\xff"[..]), Just(&b"\xc3\x28"[..]), Just(&b"\xed\xa0\x80"[..]), Just(&b"\xf0\x9f\x98"[..]), Just(&b"\x80"[..])], 0.0..1.0f64)
            .prop_map(|((method, notification), bytes, at)| {
                let mut body = message(method, r#"{"textDocument":{"uri":"file:///fuzz/u.py"},"text":"abc"}"#, notification);
                let at = ((body.len() as f64) * at) as usize;
                body.splice(at..at, bytes.iter().copied());
                body
            }),
        // NaN-like tokens and huge numbers in the params.
        (method.clone(), odd_number).prop_map(|((method, notification), number)| {
            message(method, &format!(r#"{{"textDocument":{{"uri":"file:///fuzz/n.py","version":{number}}},"position":{{"line":{number},"character":0}},"id":{number}}}"#), notification)
        }),
        // Odd ids on a request the server answers.
        odd_id.prop_map(|id| format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"workspace/executeCommand","params":{{"command":"glm-lsp.status"}}}}"#).into_bytes()),
        // Deep nesting, closed or not.
        (method, nesting, any::<bool>()).prop_map(|((method, notification), levels, closed)| {
            let nested = format!("{}{}", "[".repeat(levels), if closed { "]".repeat(levels) } else { String::new() });
            message(method, &nested, notification)
        }),
    ]
}

/// A JSON-RPC message with `params` given as text; requests get ids far from the client's.
fn message(method: &str, params: &str, notification: bool) -> Vec<u8> {
    let id = if notification { String::new() } else { r#""id":"hazard","#.to_string() };
    format!(r#"{{"jsonrpc":"2.0",{id}"method":"{method}","params":{params}}}"#).into_bytes()
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
        4 => hazards().prop_map(Op::Hazard),
        3 => (proptest::sample::select(HANDLED), wrong_params(), any::<bool>())
            .prop_map(|((method, notification), params, flip)| Op::WrongParams { method, params, notification: notification != flip }),
        1 => (0..TRACKED.len(), any::<bool>()).prop_map(|(document, version_is_text)| Op::WrongParams {
            method: "textDocument/didChange",
            params: tracked_wrong_change(document, version_is_text),
            notification: true,
        }),
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
            Op::Hazard(body) => {
                let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
                frame.extend_from_slice(body);
                self.client.send_bytes(&frame).await
            }
            Op::WrongParams { method, params, notification } => {
                self.message(method, params.clone(), *notification).await
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
