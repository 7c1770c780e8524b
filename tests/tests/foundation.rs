//! The server core through the built binary: lifecycle, encodings, document sync and bad input.

use std::time::Duration;

use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use serde_json::{json, Value};

fn hooks() -> ClientOptions {
    ClientOptions {
        env: vec![("GLM_LSP_TEST_HOOKS".into(), "1".into()), ("GLM_API_KEY".into(), "test-key".into())],
        ..ClientOptions::default()
    }
}

async fn server_document(client: &mut TestClient, uri: &str) -> anyhow::Result<Value> {
    client.request("workspace/executeCommand", json!({ "command": "glm-lsp.debug.document", "arguments": [uri] })).await
}

/// One small program per language id an editor sends, with an edit to make in it.
const SAMPLES: &[(&str, &str, &str, &str)] = &[
    ("rust", "a.rs", "fn main() {\n    let x = 1;\n}\n", "let x = 1;"),
    ("python", "a.py", "def main():\n    x = 1\n", "x = 1"),
    ("javascript", "a.js", "function main() {\n  const x = 1;\n}\n", "const x = 1;"),
    ("typescript", "a.ts", "function main(): void {\n  const x: number = 1;\n}\n", "= 1;"),
    ("typescriptreact", "a.tsx", "const App = () => <div>{1}</div>;\n", "{1}"),
    ("go", "a.go", "package main\n\nfunc main() {\n\tx := 1\n}\n", "x := 1"),
    ("c", "a.c", "int main(void) {\n  int x = 1;\n}\n", "int x = 1;"),
    ("cpp", "a.cpp", "int main() {\n  auto x = 1;\n}\n", "auto x = 1;"),
    ("java", "A.java", "class A {\n  void main() { int x = 1; }\n}\n", "int x = 1;"),
    ("json", "a.json", "{\"x\": 1}\n", "1"),
    ("toml", "a.toml", "x = 1\n", "x = 1"),
    ("markdown", "a.md", "# Title\n\nSome text.\n", "Some text."),
];

async fn lifecycle_in_every_language(encoding: &'static str) {
    let mut client =
        TestClient::initialized(ClientOptions { encodings: vec![encoding, "utf-16"], ..hooks() }).await.unwrap();
    assert_eq!(client.initialize_result["capabilities"]["positionEncoding"], encoding);
    assert_eq!(client.initialize_result["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync");
    for (language_id, file, text, marker) in SAMPLES {
        let uri = format!("file:///project/{file}");
        client.open(&uri, language_id, text).await.unwrap();
        // A multi-byte edit after the marker, then one that deletes it again.
        client.type_at(&uri, marker, " /* 主😀é */").await.unwrap();
        let document = server_document(&mut client, &uri).await.unwrap();
        assert_eq!(document["text"], client.text(&uri), "{language_id}");
        assert_eq!(document["version"], 2);
        if *language_id != "markdown" {
            assert_eq!(document["tree"], document["freshTree"], "{language_id}: incremental tree");
            assert!(document["tree"].is_string(), "{language_id} is parsed");
        } else {
            assert!(document["tree"].is_null(), "plain text has no tree");
        }
        let start = client.text(&uri).find(" /* 主").unwrap();
        let end = start + " /* 主😀é */".len();
        client.edit(&uri, start, end, "").await.unwrap();
        let document = server_document(&mut client, &uri).await.unwrap();
        assert_eq!(document["text"], *text);
        client.close(&uri).await.unwrap();
        let closed = server_document(&mut client, &uri).await;
        assert!(format!("{:#}", closed.unwrap_err()).contains("not open"));
    }
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn lifecycle_with_utf16() {
    lifecycle_in_every_language("utf-16").await;
}

#[tokio::test]
async fn lifecycle_with_utf8() {
    lifecycle_in_every_language("utf-8").await;
}

#[tokio::test]
async fn utf32_is_negotiated_when_offered_without_utf8() {
    let mut client = TestClient::initialized(ClientOptions { encodings: vec!["utf-32"], ..hooks() }).await.unwrap();
    assert_eq!(client.initialize_result["capabilities"]["positionEncoding"], "utf-32");
    let uri = "file:///project/crlf.py";
    client.open(uri, "python", "s = '😀'\r\nt = 2\r\n").await.unwrap();
    client.type_at(uri, "'😀", "x").await.unwrap();
    assert_eq!(server_document(&mut client, uri).await.unwrap()["text"], "s = '😀x'\r\nt = 2\r\n");
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn stale_version_is_ignored_and_the_document_stays_intact() {
    let mut client = TestClient::initialized(hooks()).await.unwrap();
    let uri = "file:///project/a.rs";
    client.open(uri, "rust", "fn a() {}\n").await.unwrap();
    client.type_at(uri, "fn a", "b").await.unwrap(); // version 2
                                                     // A change that claims an old version: an editor bug or a reordered message.
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 1 },
                    "contentChanges": [{ "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "text": "garbage" }] }),
        )
        .await
        .unwrap();
    let document = server_document(&mut client, uri).await.unwrap();
    assert_eq!(document["text"], "fn ab() {}\n");
    assert_eq!(document["version"], 2);
    assert!(client.stderr().contains("arrived after version 2"));
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn out_of_range_change_marks_the_document_out_of_sync_until_a_full_sync() {
    let mut client = TestClient::initialized(hooks()).await.unwrap();
    let uri = "file:///project/a.go";
    client.open(uri, "go", "package a\n").await.unwrap();
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 2 },
                    "contentChanges": [{ "range": { "start": { "line": 40, "character": 0 }, "end": { "line": 41, "character": 0 } }, "text": "x" }] }),
        )
        .await
        .unwrap();
    let message = client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(message["message"].as_str().unwrap().contains("out of sync"), "{message}");
    let document = server_document(&mut client, uri).await.unwrap();
    assert_eq!(document["text"], "package a\n");
    assert_eq!(document["outOfSync"], true);
    // A full-text change brings it back.
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": "package b\n" }] }),
        )
        .await
        .unwrap();
    let document = server_document(&mut client, uri).await.unwrap();
    assert_eq!(document["text"], "package b\n");
    assert_eq!(document["outOfSync"], false);
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn documents_over_five_megabytes_are_kept_but_not_parsed() {
    let mut client = TestClient::initialized(hooks()).await.unwrap();
    let uri = "file:///project/huge.py";
    let text = "x = 1\n".repeat(1_000_000);
    client.open(uri, "python", &text).await.unwrap();
    client.type_at(uri, "x = 1", "0").await.unwrap();
    let document = server_document(&mut client, uri).await.unwrap();
    assert!(document["tree"].is_null());
    assert_eq!(document["textLength"], text.len() + 1);
    assert!(document["text"].as_str().unwrap().starts_with("x = 10\nx = 1\n"));
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn malformed_messages_get_a_protocol_error_and_the_server_keeps_serving() {
    let mut client = TestClient::initialized(hooks()).await.unwrap();
    client.send_raw("{ this is not json").await.unwrap();
    let error = client.expect_notification("<response with null id>", Duration::from_secs(5)).await.unwrap();
    assert_eq!(error["error"]["code"], -32700, "parse error: {error}");
    // A well-formed request for an unknown method.
    let id = client.send_request("textDocument/noSuchMethod", json!({})).await.unwrap();
    let response = client.raw_response(id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(response["error"]["code"], -32601);
    // Still alive.
    let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["openDocuments"], 0);
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn a_panicking_handler_answers_with_an_error_and_the_server_survives() {
    let mut client = TestClient::initialized(hooks()).await.unwrap();
    let id =
        client.send_request("workspace/executeCommand", json!({ "command": "glm-lsp.debug.panic" })).await.unwrap();
    let response = client.raw_response(id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(response["error"]["code"], -32603, "{response}");
    assert!(response["error"]["message"].as_str().unwrap().contains("internal error"));
    let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["model"], "glm-4.7");
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn requests_for_unknown_documents_are_errors() {
    let mut client = TestClient::initialized(hooks()).await.unwrap();
    let error = server_document(&mut client, "file:///nowhere.rs").await.unwrap_err();
    assert!(format!("{error:#}").contains("not open"), "{error:#}");
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn missing_api_key_is_reported_once_at_startup() {
    let mut client = TestClient::initialized(ClientOptions::default()).await.unwrap();
    let message = client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    assert!(message["message"].as_str().unwrap().contains("GLM_API_KEY"));
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn show_status_answers_and_says_it_in_one_line_for_editors_that_drop_results() {
    let mut setup = glm_lsp_e2e::harness::Setup::new(json!({})).await;
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.showStatus" })).await.unwrap();
    assert_eq!(status["model"], "glm-4.7");
    let shown = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    let line = shown["message"].as_str().unwrap();
    assert!(line.starts_with("glm-lsp ") && line.contains("glm-4.7 · key set · 0 model requests"), "{line}");
    assert!(!line.contains('\n') && !line.contains(glm_lsp_e2e::harness::TEST_KEY));
    setup.shutdown().await;
}
