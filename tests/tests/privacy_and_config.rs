//! What reaches the provider and the logs: excluded files, redacted credentials, a
//! cache-friendly prompt order, the key at trace level; and configuration changes at run time.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TEST_KEY};
use glm_lsp_e2e::lsp_client::{file_uri, ClientOptions};
use glm_lsp_e2e::mock_glm::{MockUsage, Reply};
use serde_json::json;

fn temp_project(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("glm-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

#[tokio::test]
async fn excluded_files_never_reach_a_prompt() {
    let root = temp_project("exclude");
    std::fs::write(root.join(".env"), "DATABASE_PASSWORD=hunter2-very-secret\n").unwrap();
    std::fs::write(root.join("secrets.py"), "def leaked_secret_helper():\n    return 'sekrit-value-123'\n").unwrap();
    std::fs::write(root.join("util.py"), "def helper(x):\n    return x * 2\n").unwrap();
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(root.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("helper(1)"));
    setup.wait_idle(Duration::from_millis(300)).await; // let the workspace index build

    // Completion inside an excluded file: nothing is sent at all.
    let env_uri = file_uri(&root.join(".env"));
    setup.client.open(&env_uri, "dotenv", "DATABASE_PASSWORD=hunter2-very-secret\n").await.unwrap();
    let list = setup.complete(&env_uri, &json!({ "line": 0, "character": 5 }), true).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    assert!(setup.mock.requests().is_empty(), "an excluded file is never sent");

    // Completion elsewhere, with the excluded files open and in the workspace.
    let secrets_uri = file_uri(&root.join("secrets.py"));
    setup
        .client
        .open(&secrets_uri, "python", &std::fs::read_to_string(root.join("secrets.py")).unwrap())
        .await
        .unwrap();
    let main_uri = file_uri(&root.join("main.py"));
    let position =
        setup.open_fixture(&main_uri, "python", "from util import helper\nfrom secrets import leaked_secret_helper\n\nvalue = helper(2) + leaked_secret_helper() + $0\n").await;
    let list = setup.complete(&main_uri, &position, true).await;
    assert_eq!(list["items"][0]["textEdit"]["newText"], "helper(1)");
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("def helper(x)"), "workspace definitions are used: {prompt}");
    assert!(!prompt.contains("hunter2"));
    assert!(!prompt.contains("sekrit-value-123"));
    setup.shutdown().await;
    std::fs::remove_dir_all(&root).ok();
}

#[tokio::test]
async fn credentials_near_the_cursor_are_redacted() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.set_default_reply(Reply::text("connect()"));
    let uri = "file:///project/aws.py";
    let position = setup
        .open_fixture(
            uri,
            "python",
            "AWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\nOPENAI = \"sk-proj-abcdefghijklmnopqrstuvwxyz0123456789\"\nclient = $0\n",
        )
        .await;
    setup.complete(uri, &position, true).await;
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("AWS_ACCESS_KEY_ID"), "the code around stays: {prompt}");
    assert!(!prompt.contains("AKIAIOSFODNN7EXAMPLE"));
    assert!(!prompt.contains("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"));
    setup.shutdown().await;
}

#[tokio::test]
async fn nearby_completions_share_a_cacheable_prompt_prefix() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.set_default_reply(Reply::text("x"));
    let uri = "file:///project/shapes.ts";
    let mut source = String::from("export interface Shape { area(): number }\n\n");
    for index in 0..40 {
        source.push_str(&format!("export function scale{index}(shape: Shape, by: number): number {{\n  return shape.area() * by + {index};\n}}\n\n"));
    }
    source.push_str("function main() {\n  const total = $0\n}\n");
    let position = setup.open_fixture(uri, "typescript", &source).await;
    setup.complete(uri, &position, true).await;
    setup.client.type_at(uri, "const total = ", "scale1(").await.unwrap();
    let position = setup.client.position_after(uri, "const total = scale1(");
    setup.complete(uri, &position, true).await;
    let requests = setup.mock.requests();
    assert_eq!(requests.len(), 2);
    let first = requests[0].raw_body.as_bytes();
    let second = requests[1].raw_body.as_bytes();
    let shared = first.iter().zip(second).take_while(|(a, b)| a == b).count();
    let ratio = shared as f64 / first.len().max(second.len()) as f64;
    assert!(ratio >= 0.8, "shared prefix {shared} of {} bytes ({ratio:.2})", first.len().max(second.len()));
    setup.shutdown().await;
}

#[tokio::test]
async fn the_key_never_reaches_the_log_even_at_trace_level() {
    let mut setup = Setup::with_options(ClientOptions {
        env: vec![("GLM_LSP_LOG".into(), "trace".into())],
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.push_reply(Reply::text("1"));
    setup.mock.push_reply(Reply::status(401, Some("1000"), format!("bad key {TEST_KEY}")));
    let uri = "file:///project/k.rs";
    let position = setup.open_fixture(uri, "rust", "fn main() { let x = $0; }\n").await;
    setup.complete(uri, &position, true).await;
    setup.client.type_at(uri, "let x = ", "2 + ").await.unwrap();
    let position = setup.client.position_after(uri, "let x = 2 + ");
    setup.complete(uri, &position, true).await;
    setup.wait_idle(Duration::from_millis(200)).await;
    let messages = setup.client.take_notifications("window/showMessage");
    assert!(messages.iter().all(|m| !m.to_string().contains(TEST_KEY)));
    let log = setup.client.stderr();
    assert!(log.contains("TRACE"), "trace logging is on");
    assert!(!log.contains(TEST_KEY), "the key leaked into the log");
    setup.shutdown().await;
}

#[tokio::test]
async fn settings_change_at_run_time_and_bad_values_are_named() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.set_default_reply(Reply::text("1").with_usage(MockUsage {
        prompt_tokens: 1000,
        completion_tokens: 500,
        cached_tokens: 600,
    }));
    setup
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "glm-lsp": { "model": "glm-5-turbo", "maxConcurrency": 0, "completion": { "debounceMs": 0 } } } }),
        )
        .await
        .unwrap();
    let message = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    let text = message["message"].as_str().unwrap();
    assert!(text.contains("maxConcurrency") && text.contains("from 1 to 64"), "{text}");
    let uri = "file:///project/c.go";
    let position = setup.open_fixture(uri, "go", "package main\n\nvar x = $0\n").await;
    setup.complete(uri, &position, true).await;
    assert_eq!(setup.mock.requests()[0].body["model"], "glm-5-turbo");
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["model"], "glm-5-turbo");
    assert_eq!(status["usage"]["requests"], 1);
    assert_eq!(status["usage"]["cachedTokens"], 600);
    // glm-5-turbo: 400 fresh input at 0.60, 600 cached at 0.12, 500 output at 2.00 per million.
    let expected = (400.0 * 0.60 + 600.0 * 0.12 + 500.0 * 2.00) / 1_000_000.0;
    let usd = status["usage"]["usd"].as_f64().unwrap();
    assert!((usd - expected).abs() < 1e-9, "{usd} vs {expected}");
    setup.shutdown().await;
}

#[tokio::test]
async fn pull_model_clients_are_asked_for_their_settings() {
    let mut setup = Setup::with_options(ClientOptions {
        initialization_options: test_settings(),
        settings: json!({ "model": "glm-4.6" }),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("1"));
    setup.wait_idle(Duration::from_millis(200)).await;
    assert!(setup
        .client
        .server_requests
        .iter()
        .any(|r| r["method"] == "workspace/configuration" && r["params"]["items"][0]["section"] == "glm-lsp"));
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["model"], "glm-4.6");
    // VS Code's way: an empty notification, then the server asks again.
    setup.client.options.settings = json!({ "model": "glm-4.7-flash" });
    setup.client.notify("workspace/didChangeConfiguration", json!({ "settings": null })).await.unwrap();
    setup.wait_idle(Duration::from_millis(200)).await;
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["model"], "glm-4.7-flash");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_mistyped_setting_is_named_with_the_key_meant() {
    let mut setup = Setup::new(test_settings()).await;
    setup
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "glm-lsp": { "completion": { "debounceMS": 10 }, "model": "glm-4.6" } } }),
        )
        .await
        .unwrap();
    let message = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
    let text = message["message"].as_str().unwrap();
    assert!(
        text.contains("`completion.debounceMS`") && text.contains("did you mean `completion.debounceMs`?"),
        "{text}"
    );
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["model"], "glm-4.6", "the rest of the settings still apply");
    setup.shutdown().await;
}

/// `glm-lsp doctor --settings` checks what an editor would run: here the endpoint and model
/// come from the editor's settings alone.
#[tokio::test]
async fn doctor_uses_the_editor_settings_it_is_given() {
    let mock = glm_lsp_e2e::mock_glm::MockGlm::start().await;
    mock.set_expected_key(TEST_KEY);
    mock.set_default_reply(Reply::text("ok"));
    let root = temp_project("doctor");
    // The environment names the mock too, so a refused setting cannot send anything elsewhere.
    let doctor = |settings: serde_json::Value| {
        tokio::process::Command::new(glm_lsp_e2e::lsp_client::server_binary())
            .args(["doctor", "--root"])
            .arg(&root)
            .arg("--settings")
            .arg(settings.to_string())
            .env("GLM_BASE_URL", format!("{}/from-the-environment", mock.base_url()))
            .env_remove("GLM_MODEL")
            .env("GLM_API_KEY", TEST_KEY)
            .env("XDG_CONFIG_HOME", root.join("config"))
            .output()
    };
    let output = doctor(json!({ "baseUrl": mock.base_url(), "model": "glm-4.6" })).await.unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(mock.requests()[0].path, "/chat/completions", "the settings' endpoint, not the environment's");
    assert_eq!(mock.requests()[0].body["model"], "glm-4.6");

    let output = doctor(json!({ "baseUrl": "not a url" })).await.unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("`baseUrl`"), "a bad setting is named");
    assert_eq!(mock.requests()[1].path, "/from-the-environment/chat/completions");
    let output = tokio::process::Command::new(glm_lsp_e2e::lsp_client::server_binary())
        .args(["doctor", "--settings", "{not json"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--settings is not valid JSON"));
    std::fs::remove_dir_all(&root).ok();
}
