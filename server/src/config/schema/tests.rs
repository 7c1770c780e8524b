use std::path::PathBuf;

use serde_json::{json, Value};

use super::*;
use crate::config::{
    ActionsConfig, CompletionConfig, ConfigError, ContextConfig, HttpSettings, NextEditConfig, Sources, TestsConfig,
    SECTION,
};

fn apply(config: &mut Config, layer: Value) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    config.apply("test", &layer, &mut errors);
    errors
}

/// `{"completion": {"debounceMs": value}}` for `completion.debounceMs`.
fn nested(key: &str, value: Value) -> Value {
    key.rsplit('.').fold(value, |inner, segment| json!({ segment: inner }))
}

/// A file that `Kind::PemFile` accepts.
fn pem_file() -> String {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let path = PATH.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("glm-lsp-schema-ca-{}.pem", std::process::id()));
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        path
    });
    path.display().to_string()
}

/// The configuration without the record of what was set explicitly: what applying a layer
/// means is the effective values.
fn effective(config: &Config) -> Config {
    Config { explicit: Default::default(), ..config.clone() }
}

/// A valid value other than the default, for each kind of setting.
fn other_value(setting: &Setting, default: &Value) -> Value {
    match &setting.kind {
        Kind::Bool(_) => json!(!default.as_bool().unwrap()),
        Kind::Integer { min, max, .. } => json!(if default.as_u64() == Some(*max) { *min } else { *max }),
        Kind::Number { min, max, .. } => json!(if default.as_f64() == Some(*max) { *min } else { *max }),
        Kind::Text(_) => json!("glm-test-model"),
        Kind::Secret(_) => json!("sk-test"),
        Kind::OptionalText(_) => json!("make test"),
        Kind::Proxy(_) => json!("http://proxy.example:3128"),
        Kind::PemFile(_) => json!(pem_file()),
        Kind::Url(_) => json!("http://127.0.0.1:1/v4"),
        Kind::Choice { choices, .. } => {
            json!(choices.iter().map(|(name, _)| *name).find(|name| json!(name) != *default).unwrap())
        }
        Kind::Strings(_) => json!(["rust", "python"]),
        Kind::Globs(_) => json!(["*.secret", "private/**"]),
        Kind::Price(_) => json!({"input": 1.5, "output": 2.5, "cachedInput": 0.5}),
        Kind::CustomActions(_) => json!([{"title": "Explain", "prompt": "Explain {code}", "kind": "refactor.rewrite"}]),
    }
}

/// A value of the wrong type for each kind.
fn wrong_value(setting: &Setting) -> Value {
    match &setting.kind {
        Kind::Bool(_) => json!("yes"),
        Kind::Integer { max, .. } => json!(max + 1),
        Kind::Number { max, .. } => json!(max + 1.0),
        Kind::Text(_) => json!(""),
        Kind::Secret(_) | Kind::OptionalText(_) => json!(42),
        Kind::Proxy(_) => json!("not a url"),
        Kind::PemFile(_) => json!("relative/ca.pem"),
        Kind::Url(_) => json!("ftp://example.com"),
        Kind::Choice { .. } => json!("sometimes"),
        Kind::Strings(_) => json!("rust"),
        Kind::Globs(_) => json!(["a{b"]),
        Kind::Price(_) => json!({"input": -1}),
        Kind::CustomActions(_) => json!([{"title": "no prompt"}]),
    }
}

#[test]
fn keys_are_unique_camel_case_paths() {
    let mut keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), SETTINGS.len(), "duplicate keys in the schema");
    for key in keys {
        for segment in key.split('.') {
            assert!(
                segment.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && segment.chars().all(|c| c.is_ascii_alphanumeric()),
                "`{key}` is not a camelCase key path"
            );
        }
        assert!(!is_group(key), "`{key}` is both a setting and a group");
    }
}

/// The schema and `Config` agree, checked through `apply` alone: every key is accepted, its
/// published default is `Config::default()`'s value and a valid one, and another value
/// reaches the field that `read` reads.
#[test]
fn every_setting_round_trips_through_apply() {
    let defaults = Config::default();
    for setting in SETTINGS {
        let default = (setting.read)(&defaults);
        let mut config = Config::default();
        assert_eq!(apply(&mut config, nested(setting.key, default.clone())), [], "{}: default refused", setting.key);
        assert!(
            effective(&config) == defaults,
            "{}: applying the default {default} changed the configuration",
            setting.key
        );

        let other = other_value(setting, &default);
        for layer in [nested(setting.key, other.clone()), json!({ setting.key: other.clone() })] {
            let mut config = Config::default();
            assert_eq!(apply(&mut config, layer), [], "{}: {other} refused", setting.key);
            assert_eq!((setting.read)(&config), other, "{}: read does not see what apply set", setting.key);
            assert!(effective(&config) != defaults, "{}: applying {other} changed nothing", setting.key);
            if !default.is_null() {
                apply(&mut config, nested(setting.key, default.clone()));
                assert!(
                    effective(&config) == defaults,
                    "{}: the default {default} is not Config::default()'s",
                    setting.key
                );
            }
        }
    }
}

#[test]
fn bad_values_are_refused_by_key_and_change_nothing() {
    for setting in SETTINGS {
        let mut config = Config::default();
        let errors = apply(&mut config, nested(setting.key, wrong_value(setting)));
        assert_eq!(errors.len(), 1, "{}: {errors:?}", setting.key);
        assert_eq!(errors[0].key, setting.key);
        assert!(effective(&config) == Config::default(), "{}: a refused value changed the configuration", setting.key);
    }
}

#[test]
fn unknown_keys_are_reported_with_the_closest_known_one() {
    let mut config = Config::default();
    let errors = apply(
        &mut config,
        json!({"completion": {"debounceMS": 10, "maxWaitMs": 20}, "modle": "x", "frobnicate": 1, "context": 3}),
    );
    assert_eq!(config.completion.max_wait_ms, Some(20));
    let reported: Vec<(&str, &str)> = errors.iter().map(|e| (e.key.as_str(), e.message.as_str())).collect();
    assert_eq!(
        reported,
        [
            ("completion.debounceMS", "unknown setting; did you mean `completion.debounceMs`?"),
            ("context", "expected an object"),
            ("frobnicate", "unknown setting (the README's Configuration section lists them all)"),
            ("modle", "unknown setting; did you mean `model`?"),
        ]
    );
}

#[test]
fn actions_may_be_the_list_of_custom_actions() {
    let mut config = Config::default();
    assert_eq!(apply(&mut config, json!({"actions": [{"title": "Explain", "prompt": "Explain {code}"}]})), []);
    assert_eq!(config.actions.custom[0].kind, "refactor.rewrite");
}

#[test]
fn every_spelling_the_loader_accepts_is_normalised_to_the_settings_key() {
    let layer = json!({
        "completion": {"debounceMs": 5, "maxTokens": null},
        "tests.command": "make test",
        "http": {"proxy": "http://proxy.example:3128"},
        "actions": [{"title": "Explain", "prompt": "Explain {code}"}],
        "modle": "x",
    });
    let normalised = normalise(&layer);
    let mut keys: Vec<&str> = normalised.settings.iter().map(|(setting, _)| setting.key).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["actions.custom", "completion.debounceMs", "http.proxy", "tests.command"]);
    assert_eq!(normalised.problems, [("modle".to_string(), "unknown setting; did you mean `model`?".to_string())]);
    assert_eq!(normalise(&json!(3)).problems[0].1, "expected an object of settings");
}

/// What a workspace file must never decide, by the fields of `Config` it reaches: `reach`,
/// where the key and the code go and what runs on the machine; `spend`, what costs the user
/// money, what enters a prompt and whether an edit is shown first. Every field is named (no
/// `..`), so a new field must be placed in one of them (or marked neither) before this compiles.
fn reach_and_spend(config: &Config) -> (Value, Value) {
    let Config {
        api_key,
        key_source,
        provider,
        base_url,
        // On a gateway (`runapi`, `cometapi`, `custom`) the model id picks the company that gets the code.
        model,
        thinking,
        temperature: _,
        top_p: _,
        max_tokens,
        max_concurrency,
        timeout_secs,
        price: _,
        completion,
        next_edit,
        context,
        actions,
        tests,
        http,
        explicit: _,
    } = config;
    let CompletionConfig {
        enabled,
        trigger,
        style: _,
        debounce_ms,
        max_wait_ms: _,
        thinking: think,
        max_tokens: tokens,
        languages,
    } = completion;
    let NextEditConfig {
        enabled: next_edit_enabled,
        debounce_ms: next_edit_debounce,
        region_lines,
        thinking: next_edit_thinking,
        max_history_edits,
    } = next_edit;
    let ContextConfig { budget_tokens, exclude, max_file_bytes: _ } = context;
    let ActionsConfig { resolve: _, confirm, max_tokens: action_tokens, custom: _ } = actions;
    let TestsConfig {
        verify,
        timeout_secs: test_timeout,
        repair_rounds,
        command,
        hide_env,
        reliability_runs,
        coverage,
    } = tests;
    let HttpSettings { proxy, ca_file } = http;
    let reach = json!([api_key, key_source, provider.id(), base_url, model, verify, command, hide_env, proxy, ca_file]);
    let spend = json!([
        thinking,
        max_tokens,
        max_concurrency,
        timeout_secs,
        enabled,
        format!("{trigger:?}"),
        debounce_ms,
        think,
        tokens,
        languages,
        next_edit_enabled,
        next_edit_debounce,
        region_lines,
        next_edit_thinking,
        max_history_edits,
        budget_tokens,
        exclude,
        confirm,
        action_tokens,
        test_timeout,
        repair_rounds,
        reliability_runs,
        coverage,
    ]);
    (reach, spend)
}

/// Every setting that can send the key or the code elsewhere or run something is user-only;
/// every one that can cost more or put more into a prompt is at least tighten-only. Found by
/// applying values, so a new setting is checked without anyone listing it here.
#[test]
fn settings_that_reach_out_or_spend_are_flagged_for_workspaces() {
    let defaults = Config::default();
    let (default_reach, default_spend) = reach_and_spend(&defaults);
    for setting in SETTINGS {
        let default = (setting.read)(&defaults);
        let mut values = vec![other_value(setting, &default)];
        match &setting.kind {
            Kind::Choice { choices, .. } => values.extend(choices.iter().map(|(name, _)| json!(name))),
            Kind::Integer { min, max, .. } => values.extend([json!(min), json!(max)]),
            Kind::Number { min, max, .. } => values.extend([json!(min), json!(max)]),
            _ => {}
        }
        for value in values {
            let mut config = Config::default();
            apply(&mut config, json!({ setting.key: value }));
            let (reach, spend) = reach_and_spend(&config);
            if reach != default_reach {
                assert!(
                    setting.user_only(),
                    "`{}` = {value} changes where data goes or what runs: make it user-only",
                    setting.key
                );
            }
            if spend != default_spend {
                assert!(
                    setting.workspace != Workspace::May,
                    "`{}` = {value} changes cost, prompts or confirmation: make it tighten-only (or user-only)",
                    setting.key
                );
            }
        }
    }
}

#[test]
fn a_workspace_file_cannot_set_a_user_only_key() {
    let root = std::env::temp_dir().join(format!("glm-lsp-schema-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("glm-lsp.toml"), "apiKey = \"sk-repo\"\n[completion]\ndebounceMs = 700\n").unwrap();
    let (sources, errors) = Sources::load(Some(&root), &|_| None);
    let (config, _) = sources.resolve();
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(config.api_key, None);
    assert_eq!(config.completion.debounce_ms, 700);
    assert_eq!(errors.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["apiKey"]);
}

#[test]
fn the_editor_schema_publishes_no_secret_and_marks_user_only_settings() {
    let categories = vscode_configuration(SECTION);
    let properties: Map<String, Value> = categories
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|category| category["properties"].as_object().unwrap().clone())
        .collect();
    assert!(!properties.contains_key("glm-lsp.apiKey"));
    assert_eq!(properties.len(), SETTINGS.len() - 1);
    assert_eq!(properties["glm-lsp.baseUrl"]["scope"], "machine");
    assert_eq!(properties["glm-lsp.completion.debounceMs"]["default"], 150);
    assert_eq!(properties["glm-lsp.completion.debounceMs"]["maximum"], 10_000);
    assert_eq!(properties["glm-lsp.temperature"]["type"], json!(["number", "null"]));
    assert_eq!(properties["glm-lsp.completion.trigger"]["enum"], json!(["auto", "manual"]));
}

// The VS Code extension's settings, generated like rust-analyzer's.

const START_MARKER: &str = "\"title\": \"$generated-start\"";
const END_MARKER: &str = "\"title\": \"$generated-end\"";

fn package_json_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../editors/vscode/package.json")
}

/// `package.json` with the categories between the `$generated-start` and `$generated-end`
/// entries of `contributes.configuration` replaced by the schema's.
fn with_generated_settings(package_json: &str) -> String {
    let lines: Vec<&str> = package_json.lines().collect();
    let start = lines.iter().position(|line| line.contains(START_MARKER)).expect("the $generated-start entry");
    let end = lines.iter().position(|line| line.contains(END_MARKER)).expect("the $generated-end entry");
    // Each marker is its own `{ "title": ... }` object over three lines.
    assert!(lines[start + 1].trim() == "}," && lines[end - 1].trim() == "{", "markers must be their own objects");
    let indent = &lines[start - 1][..lines[start - 1].len() - lines[start - 1].trim_start().len()];
    let mut generated = String::new();
    for category in vscode_configuration(SECTION).as_array().unwrap() {
        let properties = serde_json::to_string_pretty(&category["properties"]).unwrap().replace('\n', "\n  ");
        let text = format!("{{\n  \"title\": {},\n  \"properties\": {properties}\n}},", category["title"]);
        for line in text.lines() {
            generated.push_str(indent);
            generated.push_str(line);
            generated.push('\n');
        }
    }
    let mut out: String = lines[..start + 2].iter().map(|line| format!("{line}\n")).collect();
    out.push_str(&generated);
    out.extend(lines[end - 1..].iter().map(|line| format!("{line}\n")));
    out
}

#[test]
fn vscode_package_json_settings_are_generated_from_the_schema() {
    let path = package_json_path();
    let current = std::fs::read_to_string(&path).unwrap();
    let expected = with_generated_settings(&current);
    if current != expected {
        if std::env::var_os("UPDATE_PACKAGE_JSON").is_some() {
            std::fs::write(&path, &expected).unwrap();
        } else {
            panic!(
                "editors/vscode/package.json's settings differ from the server's schema \
                 (server/src/config/schema.rs). Regenerate them with\n  \
                 UPDATE_PACKAGE_JSON=1 cargo test -p glm-lsp --lib vscode_package_json"
            );
        }
    }
    let package: Value = serde_json::from_str(&expected).expect("package.json is JSON");
    // vscode-languageclient registers each command the server lists in
    // `executeCommandProvider` as a VS Code command of the same id; the extension's own
    // commands live apart, so the two can never collide.
    for command in package["contributes"]["commands"].as_array().unwrap() {
        let id = command["command"].as_str().unwrap();
        assert!(id.starts_with("glm-lsp.vscode."), "`{id}`: the extension's commands are `glm-lsp.vscode.*`");
    }
    // Settings written by hand (the extension's own) must not shadow the server's.
    let categories = package["contributes"]["configuration"].as_array().unwrap();
    let start = categories.iter().position(|c| c["title"] == "$generated-start").unwrap();
    let end = categories.iter().position(|c| c["title"] == "$generated-end").unwrap();
    for (index, category) in categories.iter().enumerate().filter(|(index, _)| *index < start || *index > end) {
        for key in category["properties"].as_object().into_iter().flat_map(|p| p.keys()) {
            let server_key = key.strip_prefix("glm-lsp.").unwrap_or(key);
            assert!(
                find(server_key).is_none(),
                "`{key}` (category {index}) is a server setting now: delete it from the hand-written settings"
            );
        }
    }
}
