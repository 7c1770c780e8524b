//! Endpoint presets through the built binary: which URL, key variable and concurrency a
//! `provider` brings, what `glm-lsp doctor` says about them, and that a workspace file cannot
//! pick the provider.

use std::time::Duration;

use glm_lsp_e2e::harness::Setup;
use glm_lsp_e2e::lsp_client::{server_binary, ClientOptions};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::json;

const ZAI_KEY: &str = "zai-coding-key-7c1d";

/// `glm-lsp doctor` with only this environment: (exit success, stdout).
async fn doctor(env: Vec<(&'static str, String)>) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        let root = std::env::temp_dir().join(format!("glm-lsp-endpoints-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let mut command = std::process::Command::new(server_binary());
        command
            .args(["doctor", "--root"])
            .arg(&root)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XDG_CONFIG_HOME", std::env::temp_dir().join("glm-lsp-test-no-config"))
            .envs(env);
        let output = command.output().expect("run glm-lsp doctor");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_the_preset_the_url_and_the_variable_that_held_the_key() {
    let mock = MockGlm::start().await;
    mock.set_expected_key(ZAI_KEY);
    mock.set_models(&["glm-4.7"]);
    let (ok, output) = doctor(vec![
        ("GLM_PROVIDER", "zai-coding".into()),
        ("ZAI_API_KEY", ZAI_KEY.into()),
        ("ZHIPUAI_API_KEY", "a-key-for-another-platform".into()),
        ("GLM_BASE_URL", mock.base_url()),
    ])
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("[ok  ] Provider: zai-coding (Z.ai GLM Coding Plan)"), "{output}");
    assert!(output.contains("[ok  ] API key: set by ZAI_API_KEY (19 characters)"), "{output}");
    assert!(
        output.contains(&format!("[ok  ] Endpoint: {}/chat/completions (set by `baseUrl`)", mock.base_url())),
        "{output}"
    );
    assert!(output.contains("Models: Z.ai GLM Coding Plan has no models route"), "{output}");
    assert_eq!(mock.model_list_requests(), 0, "Z.ai has no models route: not asked");
    assert_eq!(mock.requests().len(), 1);
    assert!(!output.contains(ZAI_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_lists_the_models_of_an_endpoint_that_has_a_models_route() {
    let mock = MockGlm::start().await;
    mock.set_models(&["glm-4.7", "glm-4.6", "glm-4.5-air"]);
    let env = |model: &str| {
        vec![
            ("GLM_API_KEY", "k-123456".to_string()),
            ("GLM_BASE_URL", mock.base_url()),
            ("GLM_MODEL", model.to_string()),
        ]
    };
    let (ok, output) = doctor(env("glm-4.6")).await;
    assert!(ok, "{output}");
    assert!(output.contains("Provider: custom"), "{output}");
    assert!(output.contains("Models: glm-4.7, glm-4.6, glm-4.5-air; glm-4.6 is among them"), "{output}");
    assert!(
        output.contains("glm-4.6 (listed without a price: tokens are counted, cost is not; set `price`"),
        "{output}"
    );
    let (_, output) = doctor(env("glm-4.7-flash")).await;
    assert!(output.contains("glm-4.7-flash is not among them: check `model`"), "{output}");
    assert!(output.contains("input 0.00, cached input 0.00, output 0.00"), "free: {output}");
    assert_eq!(mock.model_list_requests(), 2);
}

#[tokio::test]
async fn doctor_says_which_variables_a_provider_reads() {
    let (ok, output) = doctor(vec![("GLM_PROVIDER", "runapi".into()), ("ZAI_API_KEY", "not-for-runapi".into())]).await;
    assert!(!ok);
    assert!(output.contains("Provider: runapi (RunAPI reseller)"), "{output}");
    assert!(output.contains("API key: not set"), "another provider's key is never sent here: {output}");
    assert!(output.contains("set GLM_API_KEY or RUNAPI_KEY"), "{output}");
    assert!(output.contains("Endpoint: https://runapi.ai/v1/chat/completions (the preset's URL)"), "{output}");
}

#[tokio::test]
async fn a_coding_plan_preset_keeps_one_request_in_flight() {
    let mut setup = Setup::with_options(ClientOptions {
        env: vec![("GLM_PROVIDER".into(), "zai-coding".into()), ("ZAI_API_KEY".into(), ZAI_KEY.into())],
        initialization_options: json!({ "completion": { "trigger": "manual" } }),
        ..ClientOptions::default()
    })
    .await;
    let status = setup.status().await;
    // The harness sets GLM_API_KEY too: this program's own variable is read first.
    assert_eq!(
        (status["provider"].as_str(), status["maxConcurrency"].as_u64()),
        (Some("zai-coding"), Some(1)),
        "{status}"
    );
    assert_eq!(status["keySource"], "GLM_API_KEY");
    setup.mock.set_default_reply(
        Reply::text("```python\ndef add(a, b):\n    return a + b\n```").with_think_delay(Duration::from_millis(150)),
    );
    for index in 0..3 {
        let uri = format!("file:///project/plan{index}.py");
        setup.client.open(&uri, "python", "def add(a, b):\n    return a+b\n").await.unwrap();
    }
    // Three actions at once: the plan's one slot serves them in turn.
    for index in 0..3 {
        let uri = format!("file:///project/plan{index}.py");
        let position = setup.client.position_after(&uri, "return a");
        let actions = setup.code_actions(&uri, json!({ "start": position, "end": position })).await;
        let improve = actions.iter().find(|action| action["title"] == "GLM: Improve this code").unwrap().clone();
        let command = &improve["command"];
        setup
            .client
            .request(
                "workspace/executeCommand",
                json!({ "command": command["command"], "arguments": command["arguments"] }),
            )
            .await
            .unwrap();
    }
    let mut ended = 0;
    while ended < 3 {
        let progress = setup.client.expect_notification("$/progress", Duration::from_secs(20)).await.unwrap();
        if progress["value"]["kind"] == "end" {
            assert!(progress["value"]["message"].as_str().unwrap().starts_with("applied"), "{progress}");
            ended += 1;
        }
    }
    assert_eq!(setup.mock.requests().len(), 3);
    assert_eq!(setup.mock.max_in_flight(), 1, "the coding plan's smaller tiers allow about one");
    setup.shutdown().await;
}

#[tokio::test]
async fn only_the_user_picks_the_provider() {
    let root = std::env::temp_dir().join(format!("glm-lsp-provider-root-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("glm-lsp.toml"), "provider = \"runapi\"\n[http]\nproxy = \"http://evil.example:3128\"\n")
        .unwrap();
    let mut setup = Setup::with_options(ClientOptions { root: Some(root.clone()), ..ClientOptions::default() }).await;
    let messages: Vec<String> = {
        let mut messages = Vec::new();
        while messages.len() < 2 {
            let message = setup.client.expect_notification("window/showMessage", Duration::from_secs(5)).await.unwrap();
            messages.push(message["message"].as_str().unwrap().to_string());
        }
        messages
    };
    assert!(messages.iter().any(|m| m.contains("`provider`") && m.contains("may not set this")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`http.proxy`") && m.contains("may not set this")), "{messages:?}");
    let status = setup.status().await;
    assert_eq!(status["provider"], "custom", "GLM_BASE_URL (the mock) decides, not the workspace: {status}");
    assert_eq!(status["baseUrl"], setup.mock.base_url());
    setup.shutdown().await;
    std::fs::remove_dir_all(&root).ok();
}
