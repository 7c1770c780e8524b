//! TypeScript path aliases: `compilerOptions.paths` and `baseUrl` of a `tsconfig.json`
//! (following `extends`), so a test imports the code under test the way the existing tests
//! do (`import { tryDecode } from '@/utils/url'`) rather than by a relative path.

use std::path::{Path, PathBuf};

use super::placement::ProjectFiles;
use crate::workspace_path::lexically_normal;

/// The aliases of one tsconfig: each pattern (`@/*`) with the folders it maps to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    entries: Vec<(String, Vec<PathBuf>)>,
}

impl Aliases {
    /// The aliases of the nearest `tsconfig.json` (or `jsconfig.json`) at or above `start`,
    /// not above `root`.
    pub fn near(files: &dyn ProjectFiles, start: &Path, root: Option<&Path>) -> Aliases {
        let mut current = Some(start);
        while let Some(dir) = current {
            for name in ["tsconfig.json", "jsconfig.json"] {
                let path = dir.join(name);
                if files.is_file(&path) {
                    return Aliases::load(files, &path);
                }
            }
            if Some(dir) == root {
                break;
            }
            current = dir.parent();
        }
        Aliases::default()
    }

    /// The aliases `config` declares or inherits through `extends`.
    pub fn load(files: &dyn ProjectFiles, config: &Path) -> Aliases {
        let mut base_url: Option<PathBuf> = None;
        let mut paths: Option<(serde_json::Map<String, serde_json::Value>, PathBuf)> = None;
        // From the config itself up its `extends` chain: the nearest setting wins.
        let mut next = Some(config.to_path_buf());
        let mut depth = 0;
        while let Some(path) = next.take() {
            depth += 1;
            if depth > 6 {
                break;
            }
            let Some(value) = files.read(&path).and_then(|text| parse_jsonc(&text)) else { break };
            let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
            let options = &value["compilerOptions"];
            if base_url.is_none() {
                base_url = options["baseUrl"].as_str().map(|url| lexically_normal(&dir.join(url)));
            }
            if paths.is_none() {
                paths = options["paths"].as_object().map(|map| (map.clone(), dir.clone()));
            }
            let extends = match &value["extends"] {
                serde_json::Value::String(one) => Some(one.clone()),
                serde_json::Value::Array(many) => many.first().and_then(|one| one.as_str()).map(str::to_string),
                _ => None,
            };
            next = extends.and_then(|extends| {
                let file = if extends.ends_with(".json") { extends.clone() } else { format!("{extends}.json") };
                let relative = [dir.join(&file), dir.join("node_modules").join(&file)];
                relative.into_iter().map(|path| lexically_normal(&path)).find(|path| files.is_file(path))
            });
        }
        let Some((map, paths_dir)) = paths else { return Aliases::default() };
        // `paths` are relative to `baseUrl` when there is one, else to their own config.
        let from = base_url.unwrap_or(paths_dir);
        let entries = map
            .into_iter()
            .map(|(pattern, targets)| {
                let targets = targets
                    .as_array()
                    .map(|targets| {
                        targets.iter().filter_map(|t| t.as_str()).map(|t| lexically_normal(&from.join(t))).collect()
                    })
                    .unwrap_or_default();
                (pattern, targets)
            })
            .collect();
        Aliases { entries }
    }

    /// The aliased specifier of `file` (`@/utils/url` for `src/utils/url.ts` under
    /// `"@/*": ["./src/*"]`), by one of the aliases `used` specifiers already go through.
    pub fn specifier_for(&self, file: &Path, used: &[String]) -> Option<String> {
        let without_extension = file.with_extension("");
        let candidates = [without_extension.clone(), file.to_path_buf()];
        for (pattern, targets) in &self.entries {
            let prefix = pattern.split('*').next().unwrap_or(pattern);
            let in_use = used.iter().any(|specifier| {
                if pattern.contains('*') {
                    specifier.starts_with(prefix) && !prefix.is_empty()
                } else {
                    specifier == pattern
                }
            });
            if !in_use {
                continue;
            }
            for target in targets {
                let target = target.to_string_lossy().into_owned();
                for candidate in &candidates {
                    let candidate = candidate.to_string_lossy().into_owned();
                    match target.split_once('*') {
                        Some((before, after)) => {
                            let after = after.trim_end_matches(".ts").trim_end_matches(".js");
                            if let Some(middle) =
                                candidate.strip_prefix(before).and_then(|rest| rest.strip_suffix(after))
                            {
                                if !middle.is_empty() {
                                    return Some(pattern.replacen('*', middle, 1));
                                }
                            }
                        }
                        None if target.trim_end_matches(".ts") == candidate => return Some(pattern.clone()),
                        None => {}
                    }
                }
            }
        }
        None
    }
}

/// The module specifiers of `samples` that are neither relative nor absolute paths (a
/// package or an alias: `@/utils/url`, `~/lib`, `vitest`).
pub fn bare_specifiers(samples: &[String]) -> Vec<String> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(r#"(?:\bfrom\s*|\brequire\(\s*|\bimport\s*\(?\s*)['"]([^./'"][^'"]*)['"]"#).unwrap()
    });
    samples.iter().flat_map(|text| pattern.captures_iter(text).map(|captures| captures[1].to_string())).collect()
}

/// JSON with comments and trailing commas, as tsconfig files are written.
fn parse_jsonc(text: &str) -> Option<serde_json::Value> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut previous = ' ';
                for skipped in chars.by_ref() {
                    if previous == '*' && skipped == '/' {
                        break;
                    }
                    previous = skipped;
                }
            }
            _ => out.push(c),
        }
    }
    let trailing = regex::Regex::new(r",(\s*[}\]])").ok()?;
    serde_json::from_str(&trailing.replace_all(&out, "$1")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_trailing_commas_are_tsconfig() {
        let value = parse_jsonc(
            "{\n  // the alias\n  \"compilerOptions\": { \"paths\": { \"@/*\": [\"./src/*\"], }, /* ok */ \"url\": \"https://x\" },\n}",
        )
        .unwrap();
        assert_eq!(value["compilerOptions"]["url"], "https://x");
        assert!(value["compilerOptions"]["paths"]["@/*"].is_array());
    }

    #[test]
    fn an_alias_the_tests_use_names_the_file() {
        let aliases = Aliases {
            entries: vec![
                ("@/*".to_string(), vec![PathBuf::from("/w/src/*")]),
                ("~lib".to_string(), vec![PathBuf::from("/w/lib/index.ts")]),
            ],
        };
        let used = ["@/other".to_string()];
        assert_eq!(aliases.specifier_for(Path::new("/w/src/utils/url.ts"), &used).as_deref(), Some("@/utils/url"));
        assert_eq!(aliases.specifier_for(Path::new("/w/src/utils/url.ts"), &["vitest".to_string()]), None);
        assert_eq!(aliases.specifier_for(Path::new("/w/lib/index.ts"), &["~lib".to_string()]).as_deref(), Some("~lib"));
    }
}
