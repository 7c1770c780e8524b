//! What a workspace `glm-lsp.toml` may set. A cloned repository is not the user, so its file
//! goes through two steps, both driven by each setting's `workspace` rule in the schema:
//!
//! 1. When the file is read (`WorkspaceLayer::new`) it is normalised exactly as every source is
//!    before it is applied (`schema::normalise`: the `glm-lsp` section, nested tables, dotted
//!    keys, aliases), and every `UserOnly` setting is dropped with a warning naming it. What
//!    is dropped is what would have been applied, however the file spelled it.
//! 2. When the configuration is resolved (`WorkspaceLayer::against`), each `Tighten` setting is
//!    held to the user's own effective value (every source but this file): a looser value is
//!    clamped to the user's, with a warning; entries added to a list are applied on top of
//!    every source, so no later source drops them.

use serde_json::Value;

use super::schema::{self, Normalised, Setting, Tighten, Workspace, SETTINGS};
use super::{section_of, Config, ConfigError};

/// A workspace file's settings without the user-only ones. `new` is the only way to build
/// one, so a workspace file reaches `Sources` only through the filter.
#[derive(Clone, Default)]
pub struct WorkspaceLayer {
    layer: Normalised,
}

/// The workspace file as it applies for one user configuration.
pub(super) struct Tightened {
    /// Applied in the workspace file's place among the sources.
    pub layer: Normalised,
    /// The user's lists with the workspace's entries added, applied over every source.
    pub additions: Normalised,
    /// One per value held back, naming the key.
    pub warnings: Vec<ConfigError>,
}

const USER_ONLY: &str = "a workspace may not set this; put it in your user config \
                         (~/.config/glm-lsp/config.toml), the environment or your editor settings";

impl WorkspaceLayer {
    /// Reads a workspace file's whole TOML value (`source` names the file in the warnings).
    pub fn new(file: &Value, source: &str) -> (WorkspaceLayer, Vec<ConfigError>) {
        let mut layer = schema::normalise(section_of(file));
        let mut ignored: Vec<&'static Setting> = Vec::new();
        layer.settings.retain(|(setting, _)| {
            if setting.user_only() && !ignored.iter().any(|known| known.key == setting.key) {
                ignored.push(setting);
            }
            !setting.user_only()
        });
        ignored.sort_by_key(|setting| SETTINGS.iter().position(|known| known.key == setting.key));
        let warnings = ignored
            .into_iter()
            .map(|setting| ConfigError {
                source: source.to_string(),
                key: setting.key.to_string(),
                message: USER_ONLY.to_string(),
            })
            .collect();
        (WorkspaceLayer { layer }, warnings)
    }

    /// The layer to apply when the user's own sources give `users_own`.
    pub(super) fn against(&self, users_own: &Config, source: &str) -> Tightened {
        let mut tightened = Tightened {
            layer: Normalised { settings: Vec::new(), problems: self.layer.problems.clone() },
            additions: Normalised::default(),
            warnings: Vec::new(),
        };
        for &(setting, ref value) in &self.layer.settings {
            let rule = match setting.workspace {
                Workspace::May => {
                    tightened.layer.settings.push((setting, value.clone()));
                    continue;
                }
                // Already dropped by `new`; kept out here too, whatever built the layer.
                Workspace::UserOnly => continue,
                Workspace::Tighten(rule) => rule,
            };
            match verdict(rule, &(setting.read)(users_own), value) {
                Verdict::Keep => tightened.layer.settings.push((setting, value.clone())),
                Verdict::Add(union) => tightened.additions.settings.push((setting, union)),
                Verdict::Loosens { instead, why } => {
                    tightened.warnings.push(ConfigError {
                        source: source.to_string(),
                        key: setting.key.to_string(),
                        message: why,
                    });
                    tightened.layer.settings.extend(instead.map(|instead| (setting, instead)));
                }
            }
        }
        tightened
    }
}

/// What becomes of a workspace value of a tighten-only setting.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// As strict as the user's, or not a value of the setting's type (then applying it
    /// reports why).
    Keep,
    /// The user's list with the workspace's entries added.
    Add(Value),
    /// Looser than the user's: `instead` (`None`: the user's value stays), and the warning.
    Loosens { instead: Option<Value>, why: String },
}

fn verdict(rule: Tighten, users: &Value, value: &Value) -> Verdict {
    match rule {
        Tighten::AtMost => match (value.as_f64(), users.as_f64()) {
            (Some(wanted), Some(own)) if wanted > own => Verdict::Loosens {
                instead: Some(users.clone()),
                why: format!("a workspace may lower this, not raise it: {value} is above your {users}; using {users}"),
            },
            // Unset by the user: no bound of theirs to hold it to.
            _ => Verdict::Keep,
        },
        Tighten::AtLeast => match (value.as_f64(), users.as_f64()) {
            (Some(wanted), Some(own)) if wanted < own => Verdict::Loosens {
                instead: Some(users.clone()),
                why: format!("a workspace may raise this, not lower it: {value} is below your {users}; using {users}"),
            },
            _ => Verdict::Keep,
        },
        Tighten::Only(strict) => {
            let strict = strict.to_json();
            let same_type = std::mem::discriminant(value) == std::mem::discriminant(&strict);
            if !same_type || *value == strict || value == users {
                Verdict::Keep
            } else {
                Verdict::Loosens {
                    instead: None,
                    why: format!("a workspace may only set this to {strict}; keeping your {users}"),
                }
            }
        }
        Tighten::Add => match (strings(value), users.as_array()) {
            (Some(added), Some(own)) => {
                let mut union = own.clone();
                union.extend(added.into_iter().filter(|entry| !own.contains(entry)));
                Verdict::Add(Value::Array(union))
            }
            _ => Verdict::Keep,
        },
        Tighten::Within => match (strings(value), users.as_array()) {
            (Some(wanted), Some(own)) => {
                let (inside, outside): (Vec<Value>, Vec<Value>) =
                    wanted.into_iter().partition(|entry| own.contains(entry));
                if outside.is_empty() {
                    Verdict::Keep
                } else {
                    let outside = Value::Array(outside);
                    Verdict::Loosens {
                        why: format!("a workspace may narrow this to part of yours: {outside} is not in your {users}"),
                        instead: Some(Value::Array(inside)),
                    }
                }
            }
            // The user allows all: any list narrows it.
            _ => Verdict::Keep,
        },
    }
}

/// A list of strings, else `None` (applying it reports why).
fn strings(value: &Value) -> Option<Vec<Value>> {
    let items = value.as_array()?;
    items.iter().all(Value::is_string).then(|| items.clone())
}

#[cfg(test)]
mod tests;
