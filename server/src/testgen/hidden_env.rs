//! Which environment variables a test run never sees. Verification runs code the model wrote,
//! so the child must not be able to read the user's key: every variable any provider preset
//! reads a key from is hidden (taken from the presets themselves, so a new provider cannot be
//! forgotten), plus the names and glob patterns the user lists in `tests.hideEnv`.

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::glm::provider::{Provider, GENERIC_KEY_VARIABLE, PROVIDER_KEY_VARIABLES};

/// The variables hidden from a run: the key variables and the user's patterns.
pub struct HiddenEnv {
    key_variables: Vec<&'static str>,
    user_patterns: GlobSet,
}

impl HiddenEnv {
    /// `user_patterns`: names or globs (`*_TOKEN`); one that is not a valid glob is taken as
    /// a literal name (the settings layer already refuses invalid globs).
    pub fn new(user_patterns: &[String]) -> HiddenEnv {
        let mut builder = GlobSetBuilder::new();
        for pattern in user_patterns {
            let glob = Glob::new(pattern).or_else(|_| Glob::new(&globset::escape(pattern)));
            if let Ok(glob) = glob {
                builder.add(glob);
            }
        }
        HiddenEnv {
            key_variables: key_variables(),
            user_patterns: builder.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    pub fn hides(&self, name: &str) -> bool {
        self.key_variables.contains(&name) || self.user_patterns.is_match(name)
    }

    /// The variables of `environment` (names as the OS gives them) to remove from a child's.
    pub fn names_to_remove(&self, environment: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
        environment.filter(|name| self.hides(&name.to_string_lossy())).collect()
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
        let hidden = HiddenEnv::new(&[]);
        for provider in Provider::ALL {
            for variable in provider.key_variables() {
                assert!(hidden.hides(variable), "{variable} ({}) reaches test runs", provider.id());
            }
        }
        for variable in PROVIDER_KEY_VARIABLES {
            assert!(hidden.hides(variable));
        }
        // The two the issue found missing, by name.
        assert!(hidden.hides("RUNAPI_KEY") && hidden.hides("COMETAPI_KEY"));
        assert!(!hidden.hides("PATH") && !hidden.hides("HOME"));
    }

    #[test]
    fn the_users_names_and_globs_are_hidden() {
        let hidden = HiddenEnv::new(&["AWS_*".into(), "NPM_TOKEN".into(), "[".into()]);
        assert!(hidden.hides("AWS_SECRET_ACCESS_KEY"));
        assert!(hidden.hides("NPM_TOKEN"));
        assert!(hidden.hides("["), "an invalid glob is a literal name");
        assert!(!hidden.hides("NPM_TOKEN_X") && !hidden.hides("MY_AWS_KEY"));
        let environment = ["PATH", "AWS_REGION", "GLM_API_KEY"].map(std::ffi::OsString::from);
        assert_eq!(hidden.names_to_remove(environment.into_iter()), ["AWS_REGION", "GLM_API_KEY"]);
    }
}
