//! The workspace index: built in the background after `initialized`, kept current through
//! watched-file events, and used for definitions from files that are not open.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup};
use glm_lsp_e2e::lsp_client::{file_uri, ClientOptions};
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::json;

#[tokio::test]
async fn new_workspace_files_reach_the_context_through_watched_file_events() {
    let root = std::env::temp_dir().join(format!("glm-lsp-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/money.rs"), "pub struct Money { pub cents: i64 }\n").unwrap();
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(root.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("0"));
    setup.wait_idle(Duration::from_millis(300)).await;
    let registration = setup.client.server_requests.iter().find(|r| r["method"] == "client/registerCapability");
    let registration = registration.expect("the server asks to watch files");
    assert_eq!(registration["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["indexedFiles"], 1);

    // A file appears on disk (a `git pull`, a generator): the editor reports it.
    std::fs::write(
        root.join("src/tax.rs"),
        "pub fn apply_tax(amount: Money, rate_percent: u32) -> Money {\n    amount\n}\n",
    )
    .unwrap();
    setup
        .client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": file_uri(&root.join("src/tax.rs")), "type": 1 }] }),
        )
        .await
        .unwrap();
    setup.wait_idle(Duration::from_millis(300)).await;

    let uri = file_uri(&root.join("src/main.rs"));
    let position = setup
        .open_fixture(&uri, "rust", "fn main() {\n    let total = apply_tax(Money { cents: 100 }, $0);\n}\n")
        .await;
    setup.complete(&uri, &position, true).await;
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("pub fn apply_tax(amount: Money, rate_percent: u32) -> Money"), "{prompt}");
    assert!(prompt.contains("pub struct Money"), "{prompt}");
    assert!(prompt.contains("src/tax.rs"), "paths are relative to the root: {prompt}");
    setup.shutdown().await;
    std::fs::remove_dir_all(&root).ok();
}
