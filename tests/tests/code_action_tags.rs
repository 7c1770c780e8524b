//! LSP 3.18's `CodeActionTag.LLMGenerated` over stdio: a client that declares
//! `textDocument.codeAction.tagSupport` with the tag gets `tags: [1]` on every action it lists
//! and resolves; a client that does not (or declares only other tags) gets no `tags` at all.

use glm_lsp_e2e::harness::{Setup, TEST_KEY};
use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

const SOURCE: &str = "def area(radius):\n    return 3.14 * radius * radius\n";
const IMPROVED: &str = "def area(radius):\n    return math.pi * radius ** 2\n";
const URI: &str = "file:///project/geometry.py";

/// An editor whose `initialize` adds `tag_support` (when given) to the harness's capabilities,
/// and `codeActionLiteralSupport` only when `literals`.
async fn editor(tag_support: Option<Value>, literals: bool) -> Setup {
    let mock = MockGlm::start().await;
    let mut options =
        ClientOptions { initialization_options: json!({ "actions": { "resolve": true } }), ..Default::default() };
    options.env.push(("GLM_BASE_URL".into(), mock.base_url()));
    options.env.push(("GLM_API_KEY".into(), TEST_KEY.into()));
    let mut client = TestClient::start(options).await.expect("server starts");
    let mut capabilities = client.capabilities();
    let code_action = &mut capabilities["textDocument"]["codeAction"];
    if let Some(tag_support) = tag_support {
        code_action["tagSupport"] = tag_support;
    }
    if !literals {
        code_action.as_object_mut().unwrap().remove("codeActionLiteralSupport");
    }
    let params = json!({
        "processId": std::process::id(),
        "rootUri": null,
        "capabilities": capabilities,
        "initializationOptions": client.options.initialization_options,
    });
    let result = client.request("initialize", params).await.unwrap();
    client.encoding = result["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16").to_string();
    client.notify("initialized", json!({})).await.unwrap();
    client.open(URI, "python", SOURCE).await.unwrap();
    Setup { mock, client }
}

async fn list_actions(setup: &mut Setup) -> Vec<Value> {
    let position = setup.client.position_after(URI, "return ");
    let actions = setup
        .client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": URI }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }),
        )
        .await
        .unwrap();
    let actions = actions.as_array().cloned().unwrap_or_default();
    assert!(actions.iter().any(|action| action["title"] == "GLM: Improve this code"), "{actions:#?}");
    actions
}

/// Resolves the Improve action with the mock's answer and applies the edit, as an editor does.
async fn resolve_improve(setup: &mut Setup, actions: &[Value]) -> Value {
    let improve = actions.iter().find(|action| action["title"] == "GLM: Improve this code").unwrap().clone();
    setup.mock.push_reply(Reply::text(format!("```python\n{IMPROVED}```")));
    let resolved = setup.client.request("codeAction/resolve", improve).await.unwrap();
    let edits = resolved["edit"]["documentChanges"][0]["edits"].as_array().cloned().unwrap_or_default();
    setup.client.apply_text_edits(URI, &edits).await.unwrap();
    assert_eq!(setup.client.text(URI), IMPROVED, "{resolved:#}");
    resolved
}

#[tokio::test]
async fn a_client_that_declares_the_tag_gets_it_on_every_action_and_resolved_action() {
    let mut setup = editor(Some(json!({ "valueSet": [1] })), true).await;
    let actions = list_actions(&mut setup).await;
    for action in &actions {
        assert_eq!(action["tags"], json!([1]), "{action:#}");
    }
    let resolved = resolve_improve(&mut setup, &actions).await;
    assert_eq!(resolved["tags"], json!([1]), "{resolved:#}");
    setup.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_declare_the_tag_gets_no_tags() {
    for tag_support in [None, Some(json!({ "valueSet": [] })), Some(json!({ "valueSet": [2] }))] {
        let mut setup = editor(tag_support.clone(), true).await;
        let actions = list_actions(&mut setup).await;
        for action in &actions {
            assert!(action.get("tags").is_none(), "{tag_support:?}: {action:#}");
        }
        let resolved = resolve_improve(&mut setup, &actions).await;
        assert!(resolved.get("tags").is_none(), "{tag_support:?}: {resolved:#}");
        setup.shutdown().await;
    }
}

#[tokio::test]
async fn commands_for_a_client_without_literals_take_no_tags() {
    let mut setup = editor(Some(json!({ "valueSet": [1] })), false).await;
    let actions = list_actions(&mut setup).await;
    for command in &actions {
        assert_eq!(command["command"], "glm-lsp.runAction", "a bare Command: {command:#}");
        assert!(command.get("tags").is_none(), "{command:#}");
    }
    setup.shutdown().await;
}

#[tokio::test]
async fn only_the_initialize_that_succeeds_decides() {
    let mock = MockGlm::start().await;
    let mut options = ClientOptions::default();
    options.env.push(("GLM_BASE_URL".into(), mock.base_url()));
    options.env.push(("GLM_API_KEY".into(), TEST_KEY.into()));
    let mut client = TestClient::start(options).await.expect("server starts");
    let mut declaring = client.capabilities();
    declaring["textDocument"]["codeAction"]["tagSupport"] = json!({ "valueSet": [1] });
    // Refused (a process id must be a number): the client tries again without the tag.
    let refused =
        client.send_request("initialize", json!({ "processId": "one", "capabilities": declaring })).await.unwrap();
    let error = client.raw_response(refused, std::time::Duration::from_secs(10)).await.unwrap();
    assert!(error.get("error").is_some(), "{error:#}");
    let plain = client.capabilities();
    client.request("initialize", json!({ "processId": null, "capabilities": plain })).await.unwrap();
    client.notify("initialized", json!({})).await.unwrap();
    // A second initialize, refused by the server, declares the tag too late.
    let duplicate =
        client.send_request("initialize", json!({ "processId": null, "capabilities": declaring })).await.unwrap();
    let error = client.raw_response(duplicate, std::time::Duration::from_secs(10)).await.unwrap();
    assert!(error.get("error").is_some(), "{error:#}");
    client.open(URI, "python", SOURCE).await.unwrap();
    let mut setup = Setup { mock, client };
    for action in list_actions(&mut setup).await {
        assert!(action.get("tags").is_none(), "{action:#}");
    }
    setup.shutdown().await;
}
