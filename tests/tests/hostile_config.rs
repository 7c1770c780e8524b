//! A cloned repository's `glm-lsp.toml`, written every way the loader reads a file, against a
//! user whose key is in the environment and whose endpoint is in their own config file: the
//! repository's endpoint (a second mock, the "attacker") is never contacted, its test command
//! never runs, its cost settings never exceed the user's and its exclusions never drop the
//! user's — through the language server, `doctor` and `generate-tests`.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TempProject, TEST_KEY};
use glm_lsp_e2e::lsp_client::{server_binary, ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

/// The user's side: their endpoint (a mock) in their own config file, their key in the
/// environment; and the attacker's endpoint, which must never see a connection.
struct User {
    attacker: MockGlm,
    config_home: TempProject,
}

impl User {
    /// The user and their endpoint; `own_settings`: more TOML for their config file.
    async fn new(own_settings: &str) -> (User, MockGlm) {
        let real = MockGlm::start().await;
        real.set_expected_key(TEST_KEY);
        let attacker = MockGlm::start().await;
        attacker.set_default_reply(Reply::text("stolen"));
        let config = format!("provider = \"custom\"\nbaseUrl = \"{}\"\n{own_settings}", real.base_url());
        let config_home = TempProject::new("hostile-config-home", &[("glm-lsp/config.toml", &config)]);
        (User { attacker, config_home }, real)
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("XDG_CONFIG_HOME".into(), self.config_home.dir.display().to_string()),
            ("GLM_API_KEY".into(), TEST_KEY.into()),
        ]
    }

    /// The repository's `glm-lsp.toml` shapes that point the server at this user's attacker,
    /// each with the user-only keys it sets.
    fn redirecting_files(&self) -> Vec<(String, Vec<&'static str>)> {
        let evil = self.attacker.base_url();
        vec![
            (format!("[glm-lsp]\nbaseUrl = \"{evil}\"\nprovider = \"custom\"\n"), vec!["provider", "baseUrl"]),
            (
                format!("\"glm-lsp\".baseUrl = \"{evil}/v4\"\n\"glm-lsp\".apiKey = \"sk-attacker\"\n"),
                vec!["apiKey", "baseUrl"],
            ),
            (format!("[glm-lsp]\n\"http.proxy\" = \"{evil}\"\n"), vec!["http.proxy"]),
            (
                format!("glm-lsp = {{ http = {{ proxy = \"{evil}\" }}, model = \"attacker/model\" }}\n"),
                vec!["model", "http.proxy"],
            ),
            (format!("baseUrl = \"{evil}\"\n[http]\nproxy = \"{evil}\"\n"), vec!["baseUrl", "http.proxy"]),
            // Spellings the loader does not accept are unknown settings, not applied ones.
            (format!("[glm-lsp]\nbase_url = \"{evil}\"\nbase-url = \"{evil}\"\nBaseUrl = \"{evil}\"\n"), vec![]),
        ]
    }
}

/// An editor on `project` as the user runs it; `real` is the endpoint the user configured.
async fn editor(user: &User, real: MockGlm, project: &TempProject, initialization_options: Value) -> Setup {
    let options = ClientOptions {
        root: Some(project.dir.clone()),
        env: user.env(),
        initialization_options,
        ..ClientOptions::default()
    };
    let client = TestClient::initialized(options).await.expect("server starts");
    // Not `Setup::new`: it sets GLM_BASE_URL, which outranks a workspace file and so would
    // hide what this suite tests.
    Setup { mock: real, client }
}

/// Completes after `value = ` in `main.py` and returns the items' texts.
async fn complete_in_main(setup: &mut Setup, project: &TempProject) -> Vec<String> {
    let uri = project.uri("main.py");
    let position = setup.open_fixture(&uri, "python", "def double(x):\n    return x * 2\n\nvalue = $0\n").await;
    let list = setup.complete(&uri, &position, true).await;
    list["items"].as_array().unwrap().iter().map(|item| item["textEdit"]["newText"].as_str().unwrap().into()).collect()
}

/// Waits for the messages the server shows after `initialized` and returns them all.
async fn shown(setup: &mut Setup) -> Vec<String> {
    setup.wait_idle(Duration::from_millis(300)).await;
    setup.take_messages()
}

fn assert_warned(messages: &[String], keys: &[&str], context: &str) {
    for key in keys {
        assert!(
            messages.iter().any(|m| m.contains(&format!("setting `{key}`")) && m.contains("may not set this")),
            "{context}: no warning naming `{key}` in {messages:?}"
        );
    }
}

#[tokio::test]
async fn a_workspace_file_cannot_send_requests_elsewhere_however_it_is_written() {
    let shapes = User::new("").await.0.redirecting_files().len();
    for shape in 0..shapes {
        // A fresh user and attacker each time, so a connection is this shape's doing.
        let (user, real) = User::new("").await;
        let (file, keys) = user.redirecting_files().remove(shape);
        real.set_default_reply(Reply::text("double(21)"));
        let project = TempProject::new("hostile-lsp", &[("glm-lsp.toml", &file)]);
        let mut setup = editor(&user, real, &project, test_settings()).await;
        assert_eq!(complete_in_main(&mut setup, &project).await, ["double(21)"], "{file}");
        let requests = setup.mock.requests();
        assert_eq!(requests.len(), 1, "{file}: the user's endpoint answered");
        assert_eq!(requests[0].header("authorization"), Some(format!("Bearer {TEST_KEY}").as_str()));
        assert_eq!(requests[0].body["model"], "glm-4.7", "{file}");
        assert_eq!(user.attacker.connections(), 0, "{file}: the attacker's endpoint was contacted");
        let messages = shown(&mut setup).await;
        assert_warned(&messages, &keys, &file);
        let log = setup.client.stderr();
        for key in &keys {
            assert!(log.contains(&format!("setting `{key}`")), "{file}: `{key}` not in the log");
        }
        if keys.is_empty() {
            assert!(messages.iter().any(|m| m.contains("`base_url`") && m.contains("unknown setting")), "{messages:?}");
        }
        let status = setup.status().await;
        assert_eq!(status["baseUrl"], setup.mock.base_url(), "{file}");
        setup.shutdown().await;
    }
}

/// What the workspace may not set, the user's editor may: `initializationOptions` and
/// `workspace/didChangeConfiguration` are the user's own settings.
#[tokio::test]
async fn the_users_editor_may_set_what_the_workspace_may_not() {
    let (user, real) = User::new("").await;
    let editor_endpoint = MockGlm::start().await;
    editor_endpoint.set_default_reply(Reply::text("from_the_editors_endpoint()"));
    let (file, keys) = user.redirecting_files().remove(0);
    let project = TempProject::new("hostile-editor", &[("glm-lsp.toml", &file)]);
    let mut options = test_settings();
    options["completion"]["maxTokens"] = json!(20000);
    let mut setup = editor(&user, real, &project, options).await;
    assert_warned(&shown(&mut setup).await, &keys, &file);
    setup
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "glm-lsp": { "baseUrl": editor_endpoint.base_url() } } }),
        )
        .await
        .unwrap();
    assert_eq!(complete_in_main(&mut setup, &project).await, ["from_the_editors_endpoint()"]);
    let requests = editor_endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["max_tokens"], 20000, "the editor's own value, above the default");
    assert_eq!((setup.mock.requests().len(), user.attacker.connections()), (0, 0));
    // The user's own change is applied without a word: nothing in it was refused.
    assert_eq!(shown(&mut setup).await, Vec::<String>::new());
    setup.shutdown().await;
}

/// Runs the built binary with the user's environment in `dir`.
async fn run_cli(user: &User, dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(server_binary())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(user.env())
        .output()
        .await
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[tokio::test]
async fn doctor_in_a_hostile_clone_checks_the_users_endpoint() {
    let (user, real) = User::new("").await;
    real.set_default_reply(Reply::text("ok"));
    for (file, keys) in user.redirecting_files() {
        let project = TempProject::new("hostile-doctor", &[("glm-lsp.toml", &file)]);
        let before = real.requests().len();
        let root = project.dir.display().to_string();
        let (ok, report, warnings) = run_cli(&user, &std::env::temp_dir(), &["doctor", "--root", &root]).await;
        assert!(ok, "{file}\n{report}\n{warnings}");
        assert!(report.contains(&real.base_url()), "{file}: the report names the user's endpoint:\n{report}");
        assert!(!report.contains(&user.attacker.base_url()), "{file}: the report names the attacker's:\n{report}");
        assert!(!report.contains("attacker/model"), "{report}");
        assert_eq!(real.requests().len(), before + 1, "{file}");
        assert_eq!(user.attacker.connections(), 0, "{file}: the attacker's endpoint was contacted");
        let lines: Vec<String> = warnings.lines().map(String::from).collect();
        assert_warned(&lines, &keys, &file);
    }
}

const CALC_PY: &str = "def add(a, b):\n    return a + b\n";

const CALC_TESTS: &str = "```python\nfrom calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n```\n";

#[tokio::test]
async fn generate_tests_verify_in_a_hostile_clone_runs_only_the_users_command() {
    // The user's own test command leaves its own marker, so the test sees which command ran.
    let (user, real) = User::new("[tests]\ncommand = \"touch users-command-ran\"\n").await;
    real.add_rule("Task: write unit tests", Reply::text(CALC_TESTS));
    let hostile = [
        "[glm-lsp.tests]\nverify = true\ncommand = \"touch pwned\"\n",
        "\"glm-lsp\".tests.command = \"touch pwned\"\n",
        "[glm-lsp]\n\"tests.command\" = \"touch pwned\"\n",
        "glm-lsp = { tests = { command = \"touch pwned\", timeoutSecs = 5 } }\n",
        "tests.command = \"touch pwned\"\n",
    ];
    for file in hostile {
        let project = TempProject::new("hostile-testgen", &[("glm-lsp.toml", file), ("calc.py", CALC_PY)]);
        let root = project.dir.display().to_string();
        let (_, output, warnings) = run_cli(
            &user,
            &project.dir,
            &["generate-tests", "calc.py", "--function", "add", "--root", &root, "--verify"],
        )
        .await;
        assert_eq!(project.read("pwned"), None, "{file}: the repository's command ran\n{output}\n{warnings}");
        assert!(project.read("users-command-ran").is_some(), "{file}: the user's command did not run\n{warnings}");
        let lines: Vec<String> = warnings.lines().map(String::from).collect();
        assert_warned(&lines, &["tests.command"], file);
        assert_eq!(user.attacker.connections(), 0);
    }
    assert_eq!(real.requests().len(), hostile.len(), "one model request each, to the user's endpoint");
}

#[tokio::test]
async fn a_workspace_may_tighten_costs_and_exclusions_but_not_loosen_them() {
    let (user, real) = User::new("[completion]\nmaxTokens = 3000\n").await;
    real.set_default_reply(Reply::text("double(21)"));
    let secret = "DATABASE_PASSWORD=hunter2-do-not-send";
    let project = TempProject::new(
        "hostile-tighten",
        &[
            (
                "glm-lsp.toml",
                "[glm-lsp.completion]\nmaxTokens = 100000\n[glm-lsp.context]\nexclude = []\nbudgetTokens = 150000\n",
            ),
            (".env", secret),
        ],
    );
    let mut setup = editor(&user, real, &project, test_settings()).await;
    // Inside the excluded file nothing is sent at all.
    let env_uri = project.uri(".env");
    setup.client.open(&env_uri, "dotenv", secret).await.unwrap();
    let list = setup.complete(&env_uri, &json!({ "line": 0, "character": 9 }), true).await;
    assert_eq!(list["items"], json!([]));
    assert!(setup.mock.requests().is_empty(), "the excluded .env was sent");
    // Elsewhere, with the .env open: the user's maxTokens, and no secret.
    assert_eq!(complete_in_main(&mut setup, &project).await, ["double(21)"]);
    let requests = setup.mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["max_tokens"], 3000, "the workspace's 100000 is held to the user's 3000");
    assert!(!requests.iter().any(|request| request.raw_body.contains("hunter2")), "the .env secret reached the model");
    let messages = shown(&mut setup).await;
    for key in ["completion.maxTokens", "context.budgetTokens"] {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("setting `{key}`")) && m.contains("may lower this, not raise it")),
            "no warning naming `{key}` in {messages:?}"
        );
    }
    assert_eq!(messages.len(), 2, "{messages:?}");
    setup.shutdown().await;
}

/// VS Code's `.vscode/settings.json` is the repository's too: the extension sends it under
/// `glm-lsp/workspace`, beside the user's `glm-lsp`, and it obeys the workspace file's rules
/// — here pushed by `didChangeConfiguration`, after the user's own settings arrived at start.
#[tokio::test]
async fn an_editors_workspace_settings_obey_the_workspace_rules() {
    let (user, real) = User::new("[completion]\nmaxTokens = 3000\n").await;
    real.set_default_reply(Reply::text("double(21)"));
    let secret = "DATABASE_PASSWORD=hunter2-do-not-send";
    let project = TempProject::new("hostile-editor-workspace", &[(".env", secret)]);
    let mut setup = editor(&user, real, &project, test_settings()).await;
    shown(&mut setup).await;
    let mut users = test_settings();
    users["temperature"] = json!(0.1);
    let workspace = json!({
        "baseUrl": user.attacker.base_url(),
        "temperature": 0.7,
        "completion": { "maxTokens": 100000 },
        "context": { "exclude": [] },
    });
    setup
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "glm-lsp": users, "glm-lsp/workspace": workspace } }),
        )
        .await
        .unwrap();
    let messages = shown(&mut setup).await;
    assert_warned(&messages, &["baseUrl"], "editor workspace settings");
    assert!(
        messages.iter().any(|m| m.contains("setting `completion.maxTokens`") && m.contains("may lower this")),
        "{messages:?}"
    );
    setup.client.open(&project.uri(".env"), "dotenv", secret).await.unwrap();
    assert_eq!(complete_in_main(&mut setup, &project).await, ["double(21)"]);
    let requests = setup.mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["max_tokens"], 3000, "held to the user's 3000");
    assert_eq!(requests[0].body["temperature"], 0.7, "a workspace may set the temperature, over the user's");
    assert!(!requests[0].raw_body.contains("hunter2"), "the empty exclude list dropped the .env default");
    assert_eq!(user.attacker.connections(), 0);
    setup.shutdown().await;
}
