//! Enterprise networks through the built binary: a private CA on TLS (trusted through
//! `http.caFile` or the system store, refused clearly without either), and proxies from
//! `HTTPS_PROXY` / `http.proxy` that really carry the traffic, with `NO_PROXY` honoured.

use std::path::PathBuf;
use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TEST_KEY};
use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use glm_lsp_e2e::proxy::TestProxy;
use glm_lsp_e2e::tls::TestCa;
use serde_json::{json, Value};

fn temp_file(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("glm-lsp-network-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    directory.join(name)
}

/// A TLS mock signed by a fresh private CA, and that CA's certificate on disk.
async fn tls_mock(name: &str) -> (MockGlm, PathBuf) {
    let ca = TestCa::new(&format!("glm-lsp test CA {name}"));
    let server = ca.server_certificate();
    let mock = MockGlm::start_tls(0, &server.chain_pem, &server.key_pem).await.unwrap();
    mock.set_default_reply(Reply::text("a + b"));
    (mock, ca.write_certificate(&temp_file(&format!("{name}-ca.pem"))))
}

/// An editor whose server talks to `base_url` with these settings and extra environment.
async fn editor(base_url: &str, settings: Value, env: &[(&str, String)]) -> TestClient {
    let mut initialization_options = test_settings();
    json_merge(&mut initialization_options, settings);
    let mut options = ClientOptions { initialization_options, ..ClientOptions::default() };
    options.env.push(("GLM_BASE_URL".into(), base_url.into()));
    options.env.push(("GLM_API_KEY".into(), TEST_KEY.into()));
    options.env.extend(env.iter().map(|(name, value)| (name.to_string(), value.clone())));
    TestClient::initialized(options).await.expect("server starts")
}

fn json_merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// One completion in a new document; its text, if any.
async fn complete(client: &mut TestClient, name: &str) -> Option<String> {
    let uri = format!("file:///project/{name}.py");
    client.open(&uri, "python", "def add(a, b):\n    return \n").await.unwrap();
    let position = json!({ "line": 1, "character": 11 });
    let list = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 1 } }),
        )
        .await
        .unwrap();
    list["items"][0]["textEdit"]["newText"].as_str().map(str::to_owned)
}

async fn notice(client: &mut TestClient) -> String {
    let message = client.expect_notification("window/showMessage", Duration::from_secs(10)).await.unwrap();
    message["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_private_ca_works_with_http_ca_file_and_fails_clearly_without_it() {
    let (mock, ca_file) = tls_mock("cafile").await;
    assert!(mock.base_url().starts_with("https://127.0.0.1:"));

    let mut trusted = editor(&mock.base_url(), json!({ "http": { "caFile": ca_file } }), &[]).await;
    assert_eq!(complete(&mut trusted, "a").await.as_deref(), Some("a + b"));
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(trusted.shutdown().await.unwrap(), 0);

    let mut untrusted = editor(&mock.base_url(), json!({}), &[]).await;
    assert_eq!(complete(&mut untrusted, "b").await, None);
    let text = notice(&mut untrusted).await;
    let host = mock.base_url().trim_start_matches("https://").to_string();
    assert!(text.contains(&format!("TLS failed with {host}")), "{text}");
    assert!(text.contains("authority this machine does not trust") && text.contains("`http.caFile`"), "{text}");
    assert_eq!(mock.requests().len(), 1, "nothing was sent over an untrusted connection");
    assert!(!mock.tls_failures().is_empty());
    assert_eq!(untrusted.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn the_system_certificate_store_is_trusted_too() {
    let (mock, ca_file) = tls_mock("system").await;
    // rustls-native-certs reads the system store from SSL_CERT_FILE when it is set: this is
    // where an enterprise's CA is installed.
    let mut client = editor(&mock.base_url(), json!({}), &[("SSL_CERT_FILE", ca_file.display().to_string())]).await;
    assert_eq!(complete(&mut client, "a").await.as_deref(), Some("a + b"));
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn https_proxy_carries_the_traffic_through_a_tunnel() {
    let (mock, ca_file) = tls_mock("proxy").await;
    let proxy = TestProxy::start().await;
    let mut client =
        editor(&mock.base_url(), json!({ "http": { "caFile": ca_file } }), &[("HTTPS_PROXY", proxy.url())]).await;
    assert_eq!(complete(&mut client, "a").await.as_deref(), Some("a + b"));
    let target = mock.base_url().trim_start_matches("https://").to_string();
    assert_eq!(proxy.request_lines(), [format!("CONNECT {target} HTTP/1.1")]);
    assert_eq!(mock.requests().len(), 1, "the request came through the tunnel");
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn no_proxy_hosts_go_direct() {
    let (mock, ca_file) = tls_mock("noproxy").await;
    let proxy = TestProxy::start().await;
    let env = [("HTTPS_PROXY", proxy.url()), ("NO_PROXY", "localhost,127.0.0.1".to_string())];
    let mut client = editor(&mock.base_url(), json!({ "http": { "caFile": ca_file } }), &env).await;
    assert_eq!(complete(&mut client, "a").await.as_deref(), Some("a + b"));
    assert!(proxy.request_lines().is_empty(), "{:?}", proxy.request_lines());
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

#[tokio::test]
async fn the_http_proxy_setting_forwards_plain_http() {
    let mut setup = Setup::new(json!({})).await;
    setup.mock.set_default_reply(Reply::text("a + b"));
    let proxy = TestProxy::start().await;
    setup
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "glm-lsp": { "http": { "proxy": proxy.url() }, "completion": { "debounceMs": 0 } } } }),
        )
        .await
        .unwrap();
    assert_eq!(complete(&mut setup.client, "a").await.as_deref(), Some("a + b"));
    assert_eq!(proxy.request_lines(), [format!("POST {}/chat/completions HTTP/1.1", setup.mock.base_url())]);
    assert_eq!(setup.mock.requests().len(), 1);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_proxy_that_refuses_the_tunnel_is_named_in_the_notice() {
    let (mock, ca_file) = tls_mock("refused").await;
    let proxy = TestProxy::start().await;
    proxy.refuse_tunnels();
    let mut client =
        editor(&mock.base_url(), json!({ "http": { "caFile": ca_file } }), &[("HTTPS_PROXY", proxy.url())]).await;
    assert_eq!(complete(&mut client, "a").await, None);
    let text = notice(&mut client).await;
    assert!(text.contains(&format!("the proxy {}/ (from HTTPS_PROXY) failed", proxy.url())), "{text}");
    assert!(text.contains("refused to open a tunnel"), "{text}");
    assert!(mock.requests().is_empty());
    assert_eq!(client.shutdown().await.unwrap(), 0);
}

/// `glm-lsp doctor` with this environment: (exit success, output).
fn doctor(env: &[(&str, String)]) -> (bool, String) {
    let binary = glm_lsp_e2e::lsp_client::server_binary();
    let root = temp_file("doctor-root");
    std::fs::create_dir_all(&root).unwrap();
    let mut command = std::process::Command::new(binary);
    command
        .arg("doctor")
        .arg("--root")
        .arg(&root)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", std::env::temp_dir().join("glm-lsp-test-no-config"));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run glm-lsp doctor");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_explains_tls_and_proxy_failures_in_plain_words() {
    let run = |env: Vec<(&'static str, String)>| tokio::task::spawn_blocking(move || doctor(&env));
    let key = || ("GLM_API_KEY", TEST_KEY.to_string());

    // A private CA this machine does not trust.
    let (mock, _) = tls_mock("doctor-untrusted").await;
    let host = mock.base_url().trim_start_matches("https://").to_string();
    let (ok, output) = run(vec![("GLM_BASE_URL", mock.base_url()), key()]).await.unwrap();
    assert!(!ok, "{output}");
    assert!(
        output.contains(&format!(
            "TLS failed with {host}: its certificate is signed by an authority this machine does not trust"
        )),
        "{output}"
    );
    assert!(output.contains("`http.caFile`"), "{output}");
    assert!(output.contains("Network: direct (no proxy applies)"), "{output}");

    // A trusted CA, an expired certificate.
    let ca = TestCa::new("doctor CA");
    let expired = ca.expired_server_certificate();
    let mock = MockGlm::start_tls(0, &expired.chain_pem, &expired.key_pem).await.unwrap();
    let ca_file = ca.write_certificate(&temp_file("doctor-ca.pem"));
    let host = mock.base_url().trim_start_matches("https://").to_string();
    let env = vec![("GLM_BASE_URL", mock.base_url()), key(), ("SSL_CERT_FILE", ca_file.display().to_string())];
    let (ok, output) = run(env).await.unwrap();
    assert!(!ok, "{output}");
    assert!(output.contains(&format!("TLS failed with {host}: its certificate has expired")), "{output}");

    // A proxy that refuses the tunnel.
    let proxy = TestProxy::start().await;
    proxy.refuse_tunnels();
    let (ok, output) = run(vec![("GLM_BASE_URL", mock.base_url()), key(), ("HTTPS_PROXY", proxy.url())]).await.unwrap();
    assert!(!ok, "{output}");
    assert!(output.contains(&format!("Network: through the proxy {}/ (from HTTPS_PROXY)", proxy.url())), "{output}");
    assert!(output.contains(&format!("refused to open a tunnel to {host}")), "{output}");
    assert!(!output.contains(TEST_KEY));
}
