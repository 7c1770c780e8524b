//! Every setting the server accepts, as data: its key path, type and bounds, description,
//! and what a workspace file may do with it. This table is the one list of settings:
//! `Config::apply` accepts a key only through it (`normalise`; anything else is reported as
//! unknown), a workspace `glm-lsp.toml` is held to each setting's `workspace` rule
//! (`config/workspace.rs`), and the VS Code extension's settings are
//! generated from it (`vscode_configuration`; a test keeps `editors/vscode/package.json` in
//! step). Defaults are not repeated here: a setting's default is its value in
//! `Config::default()`, read back with `Setting::read`.
//!
//! Adding a setting: add the field to `Config` (and its default), then one `Setting` below,
//! with its `workspace` rule (a test finds settings that reach out or spend and are not flagged).

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::{is_empty_lua_table, CompletionStyle, Config, CustomAction, Price, Provider, Trigger, SECTION};

/// One setting, addressed by its camelCase key path under the `glm-lsp` section.
pub struct Setting {
    /// Dotted key path, e.g. `completion.debounceMs`.
    pub key: &'static str,
    /// One or two sentences for users (Markdown).
    pub description: &'static str,
    pub kind: Kind,
    /// What a workspace `glm-lsp.toml` may do with it (VS Code's workspace settings follow
    /// `UserOnly` too). Every setting says, so a new one cannot slip past the workspace rules.
    pub workspace: Workspace,
    /// The setting's current value in `config`, as JSON (`null`: unset). The default users
    /// see is `read(&Config::default())`.
    pub read: fn(&Config) -> Value,
}

impl Setting {
    /// Only the user's own sources may set it.
    pub fn user_only(&self) -> bool {
        self.workspace == Workspace::UserOnly
    }
}

/// What a workspace `glm-lsp.toml` may do with a setting. A cloned repository is not the user:
/// it must not send the user's key or code elsewhere, run a program, spend more of the user's
/// money or put more of the workspace into prompts than the user allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workspace {
    /// It may set it like any other source.
    May,
    /// It may not (ignored with a warning): the setting decides where the key or the code
    /// goes, what runs, or what the user is told they pay.
    UserOnly,
    /// It may make it stricter than the user's own value, never looser (a looser value is
    /// clamped to the user's, with a warning).
    Tighten(Tighten),
}

/// How a workspace may tighten a setting, against the user's own effective value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tighten {
    /// A number it may lower, not raise: tokens, requests in flight, rounds, time.
    AtMost,
    /// A number it may raise, not lower: the pause before the model is asked.
    AtLeast,
    /// It may set only this value (the cheaper or more careful one), or repeat the user's.
    Only(Strict),
    /// A list it may add to: the user's entries (and so the defaults) always stay.
    Add,
    /// A list it may narrow to part of the user's (any list when the user set none).
    Within,
}

/// The strict value of a `Tighten::Only` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strict {
    Bool(bool),
    Choice(&'static str),
}

impl Strict {
    pub fn to_json(self) -> Value {
        match self {
            Strict::Bool(value) => json!(value),
            Strict::Choice(name) => json!(name),
        }
    }
}

/// The JSON type and constraints of a setting, with the setter that stores a valid value.
pub enum Kind {
    Bool(fn(&mut Config, bool)),
    Integer {
        min: u64,
        max: u64,
        set: fn(&mut Config, u64),
    },
    Number {
        min: f64,
        max: f64,
        set: fn(&mut Config, f64),
    },
    /// A string; surrounding whitespace is trimmed and the empty string refused.
    Text(fn(&mut Config, String)),
    /// A string that may be unset: `""` unsets it.
    OptionalText(fn(&mut Config, Option<String>)),
    /// A secret string: never published as an editor setting; `""` unsets it.
    Secret(fn(&mut Config, Option<String>)),
    /// An http(s) URL; a trailing `/` is dropped.
    Url(fn(&mut Config, String)),
    /// One of a few strings, each with a one-line description.
    Choice {
        choices: &'static [(&'static str, &'static str)],
        set: fn(&mut Config, &str),
    },
    Strings(fn(&mut Config, Vec<String>)),
    Globs(fn(&mut Config, Vec<String>)),
    /// An http(s) proxy URL (`http://[user:password@]host:port`); `""` means none.
    Proxy(fn(&mut Config, Option<String>)),
    /// A readable PEM file of certificates, by absolute path (or `~/…`); `""` means none.
    PemFile(fn(&mut Config, Option<PathBuf>)),
    /// `{"input", "output", "cachedInput"}` in USD per million tokens.
    Price(fn(&mut Config, Price)),
    /// A list of `{"title", "prompt", "kind"}`.
    CustomActions(fn(&mut Config, Vec<CustomAction>)),
}

/// Every setting, in the order users read about them.
pub static SETTINGS: &[Setting] = &[
    Setting {
        key: "apiKey",
        description: "API key. Prefer the environment (`GLM_API_KEY`) or your editor's secret storage.",
        kind: Kind::Secret(|c, v| c.explicit.api_key = v),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.api_key),
    },
    Setting {
        key: "provider",
        description: "Endpoint preset: sets the base URL, the requests in flight and which environment variable holds \
                      the key (`GLM_API_KEY` works for all). `baseUrl` and `maxConcurrency` still override it.",
        kind: Kind::Choice {
            choices: &[
                ("bigmodel", "Zhipu open platform, `ZHIPUAI_API_KEY` (the default)."),
                ("bigmodel-coding", "Zhipu GLM Coding Plan, one request in flight, `ZHIPUAI_API_KEY`."),
                ("zai", "Z.ai, the provider's global platform, `ZAI_API_KEY`."),
                ("zai-coding", "Z.ai GLM Coding Plan, one request in flight, `ZAI_API_KEY`."),
                ("runapi", "RunAPI reseller, `RUNAPI_KEY`."),
                ("cometapi", "CometAPI reseller (GLM-4.5 family), `COMETAPI_KEY`."),
                ("custom", "Any OpenAI-compatible endpoint given in `baseUrl`, `GLM_API_KEY`."),
            ],
            set: |c, v| c.explicit.provider = Provider::parse(v),
        },
        workspace: Workspace::UserOnly,
        read: |c| json!(c.provider.id()),
    },
    Setting {
        key: "baseUrl",
        description: "Any OpenAI-compatible endpoint: Zhipu (the default), Z.ai (`https://api.z.ai/api/paas/v4`), \
                      resellers, llama.cpp, vLLM, Ollama. Overrides the provider's URL.",
        kind: Kind::Url(|c, v| c.explicit.base_url = Some(v)),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.base_url),
    },
    Setting {
        key: "model",
        description: "Model id.",
        kind: Kind::Text(|c, v| c.explicit.model = Some(v)),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.model),
    },
    Setting {
        key: "thinking",
        description: "Send `thinking: {\"type\": \"enabled\"}`: the model reasons before it answers.",
        kind: Kind::Bool(|c, v| c.thinking = v),
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(false))),
        read: |c| json!(c.thinking),
    },
    Setting {
        key: "temperature",
        description: "Sampling temperature; the provider's default when unset.",
        kind: Kind::Number { min: 0.0, max: 2.0, set: |c, v| c.temperature = Some(v) },
        workspace: Workspace::May,
        read: |c| json!(c.temperature),
    },
    Setting {
        key: "topP",
        description: "Nucleus sampling; the provider's default when unset.",
        kind: Kind::Number { min: 0.0, max: 1.0, set: |c, v| c.top_p = Some(v) },
        workspace: Workspace::May,
        read: |c| json!(c.top_p),
    },
    Setting {
        key: "maxTokens",
        description: "Default `max_tokens` of a request when a feature sets none; the provider's default when unset.",
        kind: Kind::Integer { min: 1, max: 131_072, set: |c, v| c.max_tokens = Some(v as u32) },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.max_tokens),
    },
    Setting {
        key: "maxConcurrency",
        description: "Requests to the model in flight at once; the rest queue, completions first. The default is \
                      the provider's (1 on the coding plans, else 5).",
        kind: Kind::Integer { min: 1, max: 64, set: |c, v| c.explicit.max_concurrency = Some(v as usize) },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.max_concurrency),
    },
    Setting {
        key: "timeoutSecs",
        description: "Longest time one request to the model may take, thinking included.",
        kind: Kind::Integer { min: 1, max: 3600, set: |c, v| c.timeout_secs = v },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.timeout_secs),
    },
    Setting {
        key: "price",
        description: "USD per million tokens (`{\"input\", \"output\", \"cachedInput\"}`) for models missing from the \
                      built-in price table, so the session's cost can be shown.",
        kind: Kind::Price(|c, v| c.price = Some(v)),
        workspace: Workspace::UserOnly,
        read: |c| {
            c.price
                .map_or(Value::Null, |p| json!({"input": p.input, "output": p.output, "cachedInput": p.cached_input}))
        },
    },
    Setting {
        key: "http.proxy",
        description: "Proxy for every request to the model (`http://[user:password@]host:port`); `HTTPS_PROXY` and \
                      `NO_PROXY` apply when unset.",
        kind: Kind::Proxy(|c, v| c.http.proxy = v),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.http.proxy),
    },
    Setting {
        key: "http.caFile",
        description: "A PEM file of extra CA certificates to trust (a private or corporate CA), by absolute path or \
                      `~/…`; the operating system's store and the built-in roots are trusted too.",
        kind: Kind::PemFile(|c, v| c.http.ca_file = v),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.http.ca_file),
    },
    Setting {
        key: "completion.enabled",
        description: "Offer completions.",
        kind: Kind::Bool(|c, v| c.completion.enabled = v),
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(false))),
        read: |c| json!(c.completion.enabled),
    },
    Setting {
        key: "completion.trigger",
        description: "When the model is asked for a completion.",
        kind: Kind::Choice {
            choices: &[
                ("auto", "After a pause in typing, so a suggestion is ready when the editor asks."),
                ("manual", "Only when you invoke completion explicitly."),
            ],
            set: |c, v| c.completion.trigger = if v == "manual" { Trigger::Manual } else { Trigger::Auto },
        },
        workspace: Workspace::Tighten(Tighten::Only(Strict::Choice("manual"))),
        read: |c| {
            json!(match c.completion.trigger {
                Trigger::Auto => "auto",
                Trigger::Manual => "manual",
            })
        },
    },
    Setting {
        key: "completion.style",
        description: "How a suggestion is shown, so that ghost text and a menu item never both pop up for it.",
        kind: Kind::Choice {
            choices: &[
                ("auto", "Ghost text when the editor shows inline completions, else completion-menu items."),
                ("inline", "Ghost text only."),
                ("list", "Completion-menu items only."),
                ("both", "Ghost text and completion-menu items."),
            ],
            set: |c, v| c.completion.style = CompletionStyle::from_name(v),
        },
        workspace: Workspace::May,
        read: |c| {
            json!(match c.completion.style {
                CompletionStyle::Auto => "auto",
                CompletionStyle::Inline => "inline",
                CompletionStyle::List => "list",
                CompletionStyle::Both => "both",
            })
        },
    },
    Setting {
        key: "completion.debounceMs",
        description: "Pause in typing, in milliseconds, before the model is asked.",
        kind: Kind::Integer { min: 0, max: 10_000, set: |c, v| c.completion.debounce_ms = v },
        workspace: Workspace::Tighten(Tighten::AtLeast),
        read: |c| json!(c.completion.debounce_ms),
    },
    Setting {
        key: "completion.maxWaitMs",
        description: "Longest time, in milliseconds, a completion request is held for the model's answer; after it \
                      the answer is empty and the model's answer is kept for the next request there. Unset: held \
                      until the answer, a keystroke, a cancel or `timeoutSecs`.",
        kind: Kind::Integer { min: 0, max: 3_600_000, set: |c, v| c.completion.max_wait_ms = Some(v) },
        workspace: Workspace::May,
        read: |c| json!(c.completion.max_wait_ms),
    },
    Setting {
        key: "completion.thinking",
        description: "Let the model think before a completion (slower, better); `false` asks for the answer at once.",
        kind: Kind::Bool(|c, v| c.completion.thinking = v),
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(false))),
        read: |c| json!(c.completion.thinking),
    },
    Setting {
        key: "completion.maxTokens",
        description: "Room for a completion's thinking as well as its answer.",
        kind: Kind::Integer { min: 16, max: 131_072, set: |c, v| c.completion.max_tokens = v as u32 },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.completion.max_tokens),
    },
    Setting {
        key: "completion.languages",
        description: "Language ids that get completions (e.g. `[\"rust\", \"python\"]`); all when unset.",
        kind: Kind::Strings(|c, v| c.completion.languages = Some(v)),
        workspace: Workspace::Tighten(Tighten::Within),
        read: |c| json!(c.completion.languages),
    },
    Setting {
        key: "nextEdit.enabled",
        description: "Predict the next edit after a pause in typing (anywhere in the lines around the cursor, not \
                      only at it) for editors that show it: `textDocument/copilotInlineEdit` clients (the VS Code \
                      extension, the Neovim plugin, copilot-lsp, sidekick.nvim) and Helix (a code action).",
        kind: Kind::Bool(|c, v| c.next_edit.enabled = v),
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(false))),
        read: |c| json!(c.next_edit.enabled),
    },
    Setting {
        key: "nextEdit.debounceMs",
        description: "Pause in typing, in milliseconds, before the model is asked for the next edit.",
        kind: Kind::Integer { min: 0, max: 10_000, set: |c, v| c.next_edit.debounce_ms = v },
        workspace: Workspace::Tighten(Tighten::AtLeast),
        read: |c| json!(c.next_edit.debounce_ms),
    },
    Setting {
        key: "nextEdit.regionLines",
        description: "Lines above and below the cursor that the model may rewrite for a next edit.",
        kind: Kind::Integer { min: 1, max: 100, set: |c, v| c.next_edit.region_lines = v as u32 },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.next_edit.region_lines),
    },
    Setting {
        key: "nextEdit.thinking",
        description: "Let the model think before a next edit (slower, better); `false` asks for the answer at once.",
        kind: Kind::Bool(|c, v| c.next_edit.thinking = v),
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(false))),
        read: |c| json!(c.next_edit.thinking),
    },
    Setting {
        key: "nextEdit.maxHistoryEdits",
        description: "Recent edits (across files, as diffs) shown to the model for a next edit.",
        kind: Kind::Integer { min: 0, max: 50, set: |c, v| c.next_edit.max_history_edits = v as u32 },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.next_edit.max_history_edits),
    },
    Setting {
        key: "context.budgetTokens",
        description: "Size, in tokens, of the context sent with a completion.",
        kind: Kind::Integer { min: 256, max: 150_000, set: |c, v| c.context.budget_tokens = v as usize },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.context.budget_tokens),
    },
    Setting {
        key: "context.exclude",
        description: "Globs of files that never enter a prompt (secrets, keys, certificates).",
        kind: Kind::Globs(|c, v| c.context.exclude = v),
        workspace: Workspace::Tighten(Tighten::Add),
        read: |c| json!(c.context.exclude),
    },
    Setting {
        key: "context.maxFileBytes",
        description: "Workspace files larger than this (in bytes) are not indexed.",
        kind: Kind::Integer { min: 1024, max: 64 << 20, set: |c, v| c.context.max_file_bytes = v },
        workspace: Workspace::May,
        read: |c| json!(c.context.max_file_bytes),
    },
    Setting {
        key: "actions.resolve",
        description: "Fill a code action's edit in `codeAction/resolve` instead of running a command with progress.",
        kind: Kind::Bool(|c, v| c.actions.resolve = v),
        workspace: Workspace::May,
        read: |c| json!(c.actions.resolve),
    },
    Setting {
        key: "actions.confirm",
        description: "Mark AI edits as needing confirmation (editors that can preview show the diff first).",
        kind: Kind::Bool(|c, v| c.actions.confirm = v),
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(true))),
        read: |c| json!(c.actions.confirm),
    },
    Setting {
        key: "actions.maxTokens",
        description: "Room for a code action's thinking and the rewritten code.",
        kind: Kind::Integer { min: 256, max: 131_072, set: |c, v| c.actions.max_tokens = v as u32 },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.actions.max_tokens),
    },
    Setting {
        key: "actions.custom",
        description: "Your own code actions: `[{\"title\", \"prompt\", \"kind\"}]`; `{code}` and `{language}` in the \
                      prompt are filled in. (`actions` may also be this list itself.)",
        kind: Kind::CustomActions(|c, v| c.actions.custom = v),
        workspace: Workspace::May,
        read: |c| {
            Value::Array(
                c.actions
                    .custom
                    .iter()
                    .map(|a| json!({"title": a.title, "prompt": a.prompt, "kind": a.kind}))
                    .collect(),
            )
        },
    },
    Setting {
        key: "tests.verify",
        description: "Run generated tests and keep only those that pass (runs the project's test command).",
        kind: Kind::Bool(|c, v| c.tests.verify = v),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.tests.verify),
    },
    Setting {
        key: "tests.timeoutSecs",
        description: "Longest time one test run may take; then its process group is killed.",
        kind: Kind::Integer { min: 1, max: 86_400, set: |c, v| c.tests.timeout_secs = v },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.tests.timeout_secs),
    },
    Setting {
        key: "tests.repairRounds",
        description: "How often failing tests go back to the model with the runner's output.",
        kind: Kind::Integer { min: 0, max: 5, set: |c, v| c.tests.repair_rounds = v as u32 },
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.tests.repair_rounds),
    },
    Setting {
        key: "tests.reliabilityRuns",
        description: "With `tests.verify`, how many runs (counting the first) a generated test must pass to be \
                      kept; one that fails any of them is dropped as flaky. `1` runs once.",
        kind: Kind::Integer { min: 1, max: 10, set: |c, v| c.tests.reliability_runs = v as u32 },
        // More runs of the project's tests: a workspace may ask for fewer, never more.
        workspace: Workspace::Tighten(Tighten::AtMost),
        read: |c| json!(c.tests.reliability_runs),
    },
    Setting {
        key: "tests.coverage",
        description: "With `tests.verify`, measure line coverage of the file under test (coverage.py, `go test \
                      -cover`, `cargo llvm-cov`, Jest's or Vitest's own, c8, when installed) and drop generated tests that cover no new line.",
        kind: Kind::Bool(|c, v| c.tests.coverage = v),
        // More runs, under a coverage tool: a workspace may turn it off, never on.
        workspace: Workspace::Tighten(Tighten::Only(Strict::Bool(false))),
        read: |c| json!(c.tests.coverage),
    },
    Setting {
        key: "tests.command",
        description: "Replaces the default test command; `{file}` and `{names}` are filled in.",
        kind: Kind::OptionalText(|c, v| c.tests.command = v),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.tests.command),
    },
    Setting {
        key: "tests.hideEnv",
        description: "Environment variables (names or globs such as `AWS_*`) that test runs never see; the \
                      provider key variables are always hidden.",
        kind: Kind::Globs(|c, v| c.tests.hide_env = v),
        workspace: Workspace::UserOnly,
        read: |c| json!(c.tests.hide_env),
    },
];

/// `actions` given as a list is `actions.custom`.
const ALIASES: [(&str, &str); 1] = [("actions", "actions.custom")];

pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|setting| setting.key == key)
}

/// Whether some setting lives under `prefix.` (e.g. `completion`).
fn is_group(prefix: &str) -> bool {
    SETTINGS.iter().any(|setting| setting.key.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')))
}

/// A source's settings in the one shape `Config::apply` applies: each known setting found
/// in it, however written, with its value, and what could not be read. Every spelling the
/// loader accepts is resolved here and nowhere else, so a rule over `settings` (the workspace's
/// user-only and tighten-only rules) sees exactly what would be applied.
#[derive(Clone, Default)]
pub struct Normalised {
    pub settings: Vec<(&'static Setting, Value)>,
    /// `(key, message)`: an unknown key (with the closest known one) or a group that is not an object.
    pub problems: Vec<(String, String)>,
}

/// Reads one source's object (already inside its `glm-lsp` section): nested
/// (`{"completion": {"debounceMs": 0}}`), dotted (`{"completion.debounceMs": 0}`) or a mix,
/// and `actions` given as a list. `null` values are skipped: a layer may leave a setting to
/// the layers below it.
pub fn normalise(layer: &Value) -> Normalised {
    let mut normalised = Normalised::default();
    match layer.as_object() {
        Some(object) => walk(object, "", &mut normalised),
        None if layer.is_null() || is_empty_lua_table(layer) => {}
        None => normalised.problems.push((SECTION.into(), "expected an object of settings".into())),
    }
    normalised
}

fn walk(object: &Map<String, Value>, prefix: &str, normalised: &mut Normalised) {
    for (key, value) in object {
        if value.is_null() {
            continue;
        }
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let alias = ALIASES.iter().find(|(from, _)| *from == path).filter(|_| value.is_array());
        if let Some(setting) = alias.and_then(|(_, to)| find(to)).or_else(|| find(&path)) {
            normalised.settings.push((setting, value.clone()));
        } else if is_group(&path) {
            match value.as_object() {
                Some(inner) => walk(inner, &path, normalised),
                None if is_empty_lua_table(value) => {}
                None => normalised.problems.push((path, "expected an object".into())),
            }
        } else {
            let hint = match suggestion(&path) {
                Some(known) => format!("unknown setting; did you mean `{known}`?"),
                None => "unknown setting (the README's Configuration section lists them all)".to_string(),
            };
            normalised.problems.push((path, hint));
        }
    }
}

/// The closest known key to a mistyped one, when it is close enough to be a typo.
pub fn suggestion(unknown: &str) -> Option<&'static str> {
    let unknown_lower = unknown.to_lowercase();
    SETTINGS
        .iter()
        .map(|setting| (edit_distance(&unknown_lower, &setting.key.to_lowercase()), setting.key))
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            current.push((previous[j] + usize::from(ca != *cb)).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

impl Kind {
    /// Validates `value` and stores it in `config`, or says what is allowed.
    pub fn accept(&self, config: &mut Config, value: &Value) -> Result<(), String> {
        match self {
            Kind::Bool(set) => set(config, value.as_bool().ok_or("expected true or false")?),
            Kind::Integer { min, max, set } => {
                let number = value
                    .as_u64()
                    .or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
                    .filter(|number| (min..=max).contains(&number))
                    .ok_or_else(|| format!("expected a whole number from {min} to {max}"))?;
                set(config, number)
            }
            Kind::Number { min, max, set } => {
                let number = value
                    .as_f64()
                    .filter(|number| (min..=max).contains(&number))
                    .ok_or_else(|| format!("expected a number from {min} to {max}"))?;
                set(config, number)
            }
            Kind::Text(set) => {
                let text = value.as_str().map(str::trim).filter(|text| !text.is_empty());
                set(config, text.ok_or("expected a non-empty string")?.to_string())
            }
            Kind::Secret(set) | Kind::OptionalText(set) => {
                let text = value.as_str().ok_or("expected a string")?.trim();
                set(config, Some(text.to_string()).filter(|text| !text.is_empty()))
            }
            Kind::Url(set) => {
                let url = value
                    .as_str()
                    .map(str::trim)
                    .filter(|url| reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
                    .ok_or("expected an http(s) URL such as https://open.bigmodel.cn/api/paas/v4")?;
                set(config, url.trim_end_matches('/').to_string())
            }
            Kind::Choice { choices, set } => {
                let choice = value
                    .as_str()
                    .filter(|v| choices.iter().any(|(name, _)| name == v))
                    .ok_or_else(|| format!("expected one of {}", choice_names(choices).join(", ")))?;
                set(config, choice)
            }
            Kind::Strings(set) => set(config, strings(value)?),
            Kind::Globs(set) => {
                let globs = strings(value)?;
                if let Some(bad) = globs.iter().find(|glob| globset::Glob::new(glob).is_err()) {
                    return Err(format!("`{bad}` is not a valid glob"));
                }
                set(config, globs)
            }
            Kind::Proxy(set) => set(config, proxy(value)?),
            Kind::PemFile(set) => set(config, pem_file(value)?),
            Kind::Price(set) => {
                let field = |name: &str| value.get(name).and_then(Value::as_f64).filter(|v| *v >= 0.0);
                let (Some(input), Some(output)) = (field("input"), field("output")) else {
                    return Err(
                        "expected {\"input\": USD per million tokens, \"output\": ..., \"cachedInput\": ... (optional)}"
                            .into(),
                    );
                };
                set(config, Price { input, cached_input: field("cachedInput").unwrap_or(input), output })
            }
            Kind::CustomActions(set) => set(config, custom_actions(value)?),
        }
        Ok(())
    }
}

fn proxy(value: &Value) -> Result<Option<String>, String> {
    match value.as_str().map(str::trim) {
        Some("") => Ok(None),
        Some(url)
            if reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()) =>
        {
            Ok(Some(url.to_string()))
        }
        _ => Err("expected a proxy URL such as http://proxy.example.com:3128 (or \"\" for none)".into()),
    }
}

fn pem_file(value: &Value) -> Result<Option<PathBuf>, String> {
    let text = value.as_str().map(str::trim).ok_or("expected the path of a PEM file of CA certificates")?;
    if text.is_empty() {
        return Ok(None);
    }
    let path = match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(text),
    };
    if !path.is_absolute() {
        return Err(format!("`{text}` is not an absolute path (or ~/…)"));
    }
    match std::fs::read_to_string(&path) {
        Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => Ok(Some(path)),
        Ok(_) => Err(format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display())),
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

fn choice_names(choices: &[(&'static str, &'static str)]) -> Vec<&'static str> {
    choices.iter().map(|(name, _)| *name).collect()
}

fn strings(value: &Value) -> Result<Vec<String>, String> {
    value
        .as_array()
        .and_then(|items| items.iter().map(|item| item.as_str().map(str::to_string)).collect())
        .ok_or_else(|| "expected a list of strings".to_string())
}

fn custom_actions(value: &Value) -> Result<Vec<CustomAction>, String> {
    let items = value.as_array().ok_or("expected a list of {\"title\", \"prompt\", \"kind\"} objects")?;
    let mut actions = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
        let (Some(title), Some(prompt)) = (text("title"), text("prompt")) else {
            return Err(format!("item {index}: each action needs a non-empty \"title\" and \"prompt\""));
        };
        actions.push(CustomAction {
            title: title.to_string(),
            kind: text("kind").unwrap_or("refactor.rewrite").to_string(),
            prompt: prompt.to_string(),
        });
    }
    Ok(actions)
}

/// The settings as VS Code `contributes.configuration` categories (one per key prefix), in
/// the table's order. Secrets are left out: they belong in the editor's secret storage.
pub fn vscode_configuration(section: &str) -> Value {
    let defaults = Config::default();
    let mut categories: Vec<(String, Map<String, Value>)> = Vec::new();
    for (order, setting) in SETTINGS.iter().enumerate() {
        if matches!(setting.kind, Kind::Secret(_)) {
            continue;
        }
        let group = setting.key.rsplit_once('.').map_or("", |(group, _)| group);
        let title = category_title(group);
        if categories.last().is_none_or(|(last, _)| *last != title) {
            categories.push((title.clone(), Map::new()));
        }
        let property = vscode_property(setting, (setting.read)(&defaults), order);
        categories.last_mut().unwrap().1.insert(format!("{section}.{}", setting.key), property);
    }
    Value::Array(
        categories
            .into_iter()
            .map(|(title, properties)| json!({"title": title, "properties": Value::Object(properties)}))
            .collect(),
    )
}

fn category_title(group: &str) -> String {
    match group {
        "" => "Model".to_string(),
        "nextEdit" => "Next Edit".to_string(),
        group => {
            let mut chars = group.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

fn vscode_property(setting: &Setting, default: Value, order: usize) -> Value {
    let mut property = match &setting.kind {
        Kind::Bool(_) => json!({"type": "boolean"}),
        Kind::Integer { min, max, .. } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Number { min, max, .. } => json!({"type": "number", "minimum": min, "maximum": max}),
        Kind::Text(_) | Kind::Secret(_) => json!({"type": "string", "minLength": 1}),
        Kind::OptionalText(_) | Kind::PemFile(_) => json!({"type": "string"}),
        Kind::Proxy(_) => json!({
            "type": "string",
            "pattern": "^(https?://.+)?$",
            "patternErrorMessage": "A proxy URL such as http://proxy.example.com:3128",
        }),
        Kind::Url(_) => json!({
            "type": "string",
            "pattern": "^https?://",
            "patternErrorMessage": "An http(s) URL such as https://open.bigmodel.cn/api/paas/v4",
        }),
        Kind::Choice { choices, .. } => json!({
            "type": "string",
            "enum": choice_names(choices),
            "enumDescriptions": choices.iter().map(|(_, description)| *description).collect::<Vec<_>>(),
        }),
        Kind::Strings(_) | Kind::Globs(_) => json!({"type": "array", "items": {"type": "string"}}),
        Kind::Price(_) => json!({
            "type": "object",
            "properties": {
                "input": {"type": "number", "minimum": 0},
                "output": {"type": "number", "minimum": 0},
                "cachedInput": {"type": "number", "minimum": 0},
            },
            "required": ["input", "output"],
            "additionalProperties": false,
        }),
        Kind::CustomActions(_) => json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "minLength": 1},
                    "prompt": {"type": "string", "minLength": 1},
                    "kind": {"type": "string", "default": "refactor.rewrite"},
                },
                "required": ["title", "prompt"],
            },
        }),
    };
    let object = property.as_object_mut().expect("a property is an object");
    if default.is_null() {
        // Unset by default: the editor must be able to say "unset" too.
        let kind = object["type"].clone();
        object.insert("type".into(), json!([kind, "null"]));
    }
    object.insert("default".into(), default);
    object.insert("markdownDescription".into(), json!(setting.description));
    object.insert("order".into(), json!(order));
    if setting.user_only() {
        // Not settable in a workspace's `.vscode/settings.json`, as in `glm-lsp.toml`.
        object.insert("scope".into(), json!("machine"));
    }
    property
}

#[cfg(test)]
mod tests;
