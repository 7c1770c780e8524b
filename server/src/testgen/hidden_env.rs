//! Which environment variables a test run never sees. Verification runs code the model wrote,
//! so the child must not be able to read the user's key: every variable any provider preset
//! reads a key from is hidden (taken from the presets themselves, so a new provider cannot be
//! forgotten), any variable whose value holds the key in use (an editor may pass `apiKey`
//! from a variable of its own, such as `OPENROUTER_API_KEY`), and the names and glob patterns
//! the user lists in `tests.hideEnv`.

use std::ffi::{OsStr, OsString};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::Config;
use crate::glm::provider::{Provider, GENERIC_KEY_VARIABLE, PROVIDER_KEY_VARIABLES};
use crate::glm::ApiKey;

/// The settings that decide what a run hides beside the key variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    /// `tests.hideEnv`: names or globs.
    pub patterns: Vec<String>,
    /// The key the server uses, wherever it came from.
    pub key: Option<ApiKey>,
}

impl Hidden {
    pub fn from_config(config: &Config) -> Hidden {
        Hidden {
            patterns: config.tests.hide_env.clone(),
            key: config.api_key.as_deref().map(ApiKey::new).filter(|key| !key.is_empty()),
        }
    }
}

/// The variables hidden from a run: the key variables, those holding the key, the user's.
pub struct HiddenEnv {
    key_variables: Vec<&'static str>,
    user_patterns: GlobSet,
    key: Option<ApiKey>,
}

impl HiddenEnv {
    /// A pattern that is not a valid glob is taken as a literal name (the settings layer
    /// already refuses invalid globs).
    pub fn new(hidden: &Hidden) -> HiddenEnv {
        let mut builder = GlobSetBuilder::new();
        for pattern in &hidden.patterns {
            let glob = Glob::new(pattern).or_else(|_| Glob::new(&globset::escape(pattern)));
            if let Ok(glob) = glob {
                builder.add(glob);
            }
        }
        HiddenEnv {
            key_variables: key_variables(),
            user_patterns: builder.build().unwrap_or_else(|_| GlobSet::empty()),
            key: hidden.key.clone(),
        }
    }

    /// Whether the variable `name` (whatever its value) is hidden.
    pub fn hides_name(&self, name: &str) -> bool {
        self.key_variables.contains(&name) || self.user_patterns.is_match(name)
    }

    pub fn hides(&self, name: &str, value: &OsStr) -> bool {
        // `redact` finds the key inside the value (a URL or a header line holding it, too).
        let holds_key = self.key.as_ref().is_some_and(|key| {
            let value = value.to_string_lossy();
            key.redact(&value) != value
        });
        holds_key || self.hides_name(name)
    }

    /// The variables of `environment` to remove from a child's.
    pub fn names_to_remove(&self, environment: impl Iterator<Item = (OsString, OsString)>) -> Vec<OsString> {
        environment.filter(|(name, value)| self.hides(&name.to_string_lossy(), value)).map(|(name, _)| name).collect()
    }
}

/// Every variable the server may read an API key from: the generic one and each preset's.
pub fn key_variables() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Provider::ALL.into_iter().flat_map(Provider::key_variables).collect();
    names.extend([GENERIC_KEY_VARIABLE].into_iter().chain(PROVIDER_KEY_VARIABLES));
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_presets_key_variable_is_hidden() {
        let hidden = HiddenEnv::new(&Hidden::default());
        for provider in Provider::ALL {
            for variable in provider.key_variables() {
                assert!(hidden.hides_name(variable), "{variable} ({}) reaches test runs", provider.id());
            }
        }
        for variable in PROVIDER_KEY_VARIABLES {
            assert!(hidden.hides_name(variable));
        }
        // The two the issue found missing, by name.
        assert!(hidden.hides_name("RUNAPI_KEY") && hidden.hides_name("COMETAPI_KEY"));
        assert!(!hidden.hides_name("PATH") && !hidden.hides_name("HOME"));
    }

    #[test]
    fn the_users_names_and_globs_are_hidden() {
        let hidden =
            HiddenEnv::new(&Hidden { patterns: vec!["AWS_*".into(), "NPM_TOKEN".into(), "[".into()], key: None });
        assert!(hidden.hides_name("AWS_SECRET_ACCESS_KEY"));
        assert!(hidden.hides_name("NPM_TOKEN"));
        assert!(hidden.hides_name("["), "an invalid glob is a literal name");
        assert!(!hidden.hides_name("NPM_TOKEN_X") && !hidden.hides_name("MY_AWS_KEY"));
        let environment = ["PATH", "AWS_REGION", "GLM_API_KEY"].map(|name| (OsString::from(name), OsString::from("v")));
        assert_eq!(hidden.names_to_remove(environment.into_iter()), ["AWS_REGION", "GLM_API_KEY"]);
    }

    #[test]
    fn a_variable_holding_the_key_is_hidden_whatever_its_name() {
        let hidden = HiddenEnv::new(&Hidden { patterns: vec![], key: Some(ApiKey::new("sk-or-0123456789abcdef")) });
        let environment = [
            ("OPENROUTER_API_KEY", "sk-or-0123456789abcdef"),
            ("AUTH_HEADER", "Bearer sk-or-0123456789abcdef"),
            ("HOME", "/home/me"),
        ]
        .map(|(name, value)| (OsString::from(name), OsString::from(value)));
        assert_eq!(hidden.names_to_remove(environment.into_iter()), ["OPENROUTER_API_KEY", "AUTH_HEADER"]);
    }
}
