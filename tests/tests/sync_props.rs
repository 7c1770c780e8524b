//! Property: random incremental edits sent through the running server leave its document
//! identical to the same edits applied to a plain string, and its incrementally edited tree
//! identical to a fresh parse.

use std::cell::RefCell;

use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

/// Pieces that stress positions and parsing: multi-byte text, CRLF, brackets, keywords.
const PIECES: &[&str] = &[
    "",
    "a",
    "é",
    "主",
    "😀",
    "\r\n",
    "\n",
    "\t",
    "(",
    ")",
    "{",
    "}",
    "fn f() {}",
    "def f():\n    pass\n",
    "let x = \"😀\";",
    "// 注释\r\n",
    "'",
    "\"",
    "::",
    "    ",
];

#[derive(Debug, Clone)]
struct RandomEdit {
    start: usize,
    length: usize,
    piece: usize,
    repeat: usize,
}

fn edit_strategy() -> impl Strategy<Value = RandomEdit> {
    (0usize..10_000, 0usize..12, 0..PIECES.len(), 1usize..3).prop_map(|(start, length, piece, repeat)| RandomEdit {
        start,
        length,
        piece,
        repeat,
    })
}

fn char_boundary_at_or_before(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[test]
fn random_edits_keep_text_and_tree_in_step() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (encoding, language, seed) in [
        ("utf-16", "rust", "fn main() {\r\n    let 主 = \"😀\";\r\n}\r\n"),
        ("utf-8", "python", "def f(x):\n    return '主😀' + x\n"),
        ("utf-32", "typescript", "const a: string = '😀';\nfunction g() { return a }\n"),
    ] {
        let client = runtime
            .block_on(TestClient::initialized(ClientOptions {
                encodings: vec![encoding],
                env: vec![("GLM_LSP_TEST_HOOKS".into(), "1".into()), ("GLM_API_KEY".into(), "k".into())],
                // Edits alone must not send anything anywhere: there is no mock here.
                initialization_options: json!({ "completion": { "trigger": "manual" } }),
                ..ClientOptions::default()
            }))
            .unwrap();
        let client = RefCell::new(client);
        let counter = RefCell::new(0);
        let mut runner = TestRunner::new(Config { cases: 24, ..Config::default() });
        runner
            .run(&proptest::collection::vec(edit_strategy(), 1..25), |edits| {
                runtime.block_on(async {
                    let mut client = client.borrow_mut();
                    *counter.borrow_mut() += 1;
                    let uri = format!("file:///prop/{}-{}.{language}", encoding, counter.borrow());
                    client.open(&uri, language, seed).await.unwrap();
                    let mut expected = seed.to_string();
                    for edit in &edits {
                        let mut start = char_boundary_at_or_before(&expected, edit.start % (expected.len() + 1));
                        let mut end = char_boundary_at_or_before(&expected, start + edit.length);
                        // Never split a CRLF pair: editors don't, and positions can't express it.
                        let inside_crlf =
                            |at: usize| expected[..at].ends_with('\r') && expected[at..].starts_with('\n');
                        if inside_crlf(start) {
                            start -= 1;
                        }
                        if inside_crlf(end) {
                            end += 1;
                        }
                        let new_text = PIECES[edit.piece].repeat(edit.repeat);
                        expected.replace_range(start..end, &new_text);
                        client.edit(&uri, start, end, &new_text).await.unwrap();
                    }
                    let document = client
                        .request(
                            "workspace/executeCommand",
                            json!({ "command": "glm-lsp.debug.document", "arguments": [uri] }),
                        )
                        .await
                        .unwrap();
                    prop_assert_eq!(document["text"].as_str().unwrap(), expected.as_str());
                    prop_assert_eq!(&document["tree"], &document["freshTree"]);
                    client.close(&uri).await.unwrap();
                    Ok(())
                })
            })
            .unwrap();
        assert_eq!(runtime.block_on(client.into_inner().shutdown()).unwrap(), 0);
    }
}
