//! The model's test file or module, checked against what is already there: existing tests
//! must survive untouched. An answer that rewrote or dropped them is repaired by taking only
//! its new tests (and new imports) into the existing text.

use std::collections::HashSet;

use similar::{capture_diff_slices, Algorithm, DiffTag};

use super::items::{self, TestItem};
use crate::language::{parse_str, Language};

/// A candidate ready to be applied or run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The whole test file, or the whole `mod tests` module.
    pub text: String,
    /// The tests it adds, in source order.
    pub new_tests: Vec<TestItem>,
    /// Set when the answer changed existing lines and only its additions were kept.
    pub repaired: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CandidateError {
    #[error("the model's answer has no new tests")]
    NoNewTests,
    #[error("the model's answer is not valid {0}: {1}")]
    Syntax(&'static str, String),
}

/// Checks `answer` (the code the model returned) against `existing` (the current test file
/// or module; `None` for a new one).
pub fn reconcile(language: Language, existing: Option<&str>, answer: &str) -> Result<Candidate, CandidateError> {
    let answer = normalize_line_endings(answer, existing);
    let answer = ensure_final_newline(&answer);
    let (old_tests, existing_clean) = existing.map_or((Vec::new(), true), |text| items::scan(language, text));
    let (candidate_tests, answer_clean) = items::scan(language, &answer);
    if existing_clean && !answer_clean {
        return Err(CandidateError::Syntax(language.name(), first_error(language, &answer)));
    }
    let Some(existing) = existing else {
        if candidate_tests.is_empty() {
            return Err(CandidateError::NoNewTests);
        }
        return Ok(Candidate { text: answer, new_tests: candidate_tests, repaired: None });
    };
    let old_paths: HashSet<String> = old_tests.iter().map(|item| item.path("::")).collect();
    let candidate_ranges: std::collections::HashMap<String, std::ops::Range<usize>> =
        candidate_tests.iter().map(|item| (item.path("::"), item.range.clone())).collect();
    let new_tests: Vec<TestItem> =
        candidate_tests.iter().filter(|item| !old_paths.contains(&item.path("::"))).cloned().collect();
    if new_tests.is_empty() {
        return Err(CandidateError::NoNewTests);
    }
    let changed: Vec<String> = old_tests
        .iter()
        .filter(|old| {
            candidate_ranges
                .get(&old.path("::"))
                .is_none_or(|range| !same_text(&existing[old.range.clone()], &answer[range.clone()]))
        })
        .map(|old| old.name.clone())
        .collect();
    let deletes_code = deletes_non_import_lines(language, existing, &answer);
    if changed.is_empty() && !deletes_code {
        return Ok(Candidate { text: answer, new_tests, repaired: None });
    }
    let text = insert_only(language, existing, &answer, &new_tests);
    let new_tests: Vec<TestItem> =
        items::find(language, &text).into_iter().filter(|item| !old_paths.contains(&item.path("::"))).collect();
    let reason = if changed.is_empty() {
        "the model's answer deleted existing code; only its new tests were added".to_string()
    } else {
        format!("the model's answer changed existing tests ({}); they were kept as they were", changed.join(", "))
    };
    Ok(Candidate { text, new_tests, repaired: Some(reason) })
}

/// The answer with the server's imports of the code under test when it imports that module
/// in none of its own ways: the import path is computed from the layout, not guessed.
pub fn with_imports(language: Language, answer: &str, imports: &[String]) -> String {
    let missing: Vec<&String> = imports.iter().filter(|line| !imports_same_module(language, answer, line)).collect();
    if missing.is_empty() {
        return answer.to_string();
    }
    let lines: Vec<&str> = answer.lines().collect();
    // After the answer's last top-level import (Go: after the package clause), else at the top.
    let after = lines
        .iter()
        .rposition(|line| is_import_line(language, line) && !line.starts_with([' ', '\t']))
        .map(|index| index + 1)
        .or_else(|| lines.iter().position(|line| line.starts_with("package ")).map(|index| index + 1))
        .unwrap_or(0);
    let mut result: Vec<String> = lines[..after].iter().map(|line| line.to_string()).collect();
    if after > 0 && language == Language::Go {
        result.push(String::new());
    }
    result.extend(missing.iter().map(|line| line.to_string()));
    if after == 0 {
        result.push(String::new());
    }
    result.extend(lines[after..].iter().map(|line| line.to_string()));
    let mut text = result.join("\n");
    text.push('\n');
    text
}

/// Whether `answer` imports what `import_line` imports, in any form (`from calc import add, div`
/// for `from calc import add`; `require('./math')` for `import { add } from './math'`).
fn imports_same_module(language: Language, answer: &str, import_line: &str) -> bool {
    if answer.lines().any(|line| line.trim() == import_line.trim()) {
        return true;
    }
    let module = match language {
        Language::Python => {
            let module = import_line.trim_start_matches("from ").split_whitespace().next().unwrap_or_default();
            return answer.lines().any(|line| {
                let line = line.trim();
                line.starts_with(&format!("from {module} import"))
                    || line == format!("import {module}")
                    || line.starts_with(&format!("import {module} as"))
            });
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            import_line.split(['\'', '"']).nth(1).unwrap_or_default().to_string()
        }
        Language::Rust => {
            // The item already in scope under its name (`use calc::{Number, Sign};`): a second
            // `use` of it, by any path, is a compile error.
            let item = import_line.trim_start_matches("use ").trim_end_matches(';').rsplit("::").next().unwrap_or("");
            if item != "*"
                && !item.is_empty()
                && rust_use_statements(answer).any(|statement| {
                    crate::text::whole_word_positions(statement, item)
                        .any(|index| !statement[index + item.len()..].starts_with("::"))
                })
            {
                return true;
            }
            import_line
                .trim_start_matches("use ")
                .trim_end_matches(';')
                .rsplit_once("::")
                .map(|(path, _)| path.to_string())
                .unwrap_or_default()
        }
        _ => import_line.trim().to_string(),
    };
    !module.is_empty() && answer.lines().any(|line| is_import_line(language, line) && line.contains(&module))
}

/// The `use …;` statements of Rust code, each whole (they may span lines).
fn rust_use_statements(code: &str) -> impl Iterator<Item = &str> {
    code.match_indices("use ").filter_map(move |(start, _)| {
        let at_line_start = code[..start].rsplit('\n').next().is_some_and(|before| {
            let before = before.trim();
            before.is_empty() || before == "pub" || before.starts_with("pub(")
        });
        let end = code[start..].find(';')?;
        at_line_start.then(|| &code[start..start + end])
    })
}

/// Lines compare equal when only trailing whitespace differs.
fn same_text(a: &str, b: &str) -> bool {
    a.lines().map(str::trim_end).eq(b.lines().map(str::trim_end))
}

/// The answer in the line endings of the existing text (models answer with `\n`).
fn normalize_line_endings(answer: &str, existing: Option<&str>) -> String {
    let unix = answer.replace("\r\n", "\n");
    if existing.is_some_and(|text| text.contains("\r\n")) {
        unix.replace('\n', "\r\n")
    } else {
        unix
    }
}

fn ensure_final_newline(text: &str) -> String {
    let mut text = text.trim_end_matches(['\n', '\r']).to_string();
    text.push('\n');
    text
}

fn first_error(language: Language, text: &str) -> String {
    let Some(tree) = parse_str(language, text) else {
        return "it could not be parsed".into();
    };
    let mut pending = vec![tree.root_node()];
    while let Some(node) = pending.pop() {
        if node.is_error() || node.is_missing() {
            return format!("syntax error at line {}", node.start_position().row + 1);
        }
        if node.has_error() {
            pending.extend((0..node.child_count()).rev().filter_map(|index| node.child(index as u32)));
        }
    }
    "syntax error".into()
}

/// Whether the answer deletes or rewrites lines of `existing` that are not imports or blank.
fn deletes_non_import_lines(language: Language, existing: &str, answer: &str) -> bool {
    let old: Vec<&str> = existing.lines().collect();
    let new: Vec<&str> = answer.lines().collect();
    let import_lines = import_line_numbers(language, existing);
    capture_diff_slices(Algorithm::Myers, &old, &new).iter().any(|op| {
        let (tag, old_range, _) = op.as_tag_tuple();
        matches!(tag, DiffTag::Delete | DiffTag::Replace)
            && old_range.clone().any(|line| !old[line].trim().is_empty() && !import_lines.contains(&line))
    })
}

/// Zero-based numbers of the lines covered by import statements (at any depth: a Rust
/// module's `use` lines count).
fn import_line_numbers(language: Language, text: &str) -> HashSet<usize> {
    let mut lines = HashSet::new();
    for (number, line) in text.lines().enumerate() {
        if is_import_line(language, line) {
            lines.insert(number);
        }
    }
    // Multi-line import blocks: Go's `import (...)`, JavaScript's `import {\n a,\n b } from`.
    let mut inside = false;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if !inside && (trimmed == "import (" || (trimmed.starts_with("import {") && !trimmed.contains('}'))) {
            inside = true;
        }
        if inside {
            lines.insert(number);
            if trimmed == ")" || trimmed.starts_with('}') {
                inside = false;
            }
        }
    }
    lines
}

fn is_import_line(language: Language, line: &str) -> bool {
    let line = line.trim();
    match language {
        Language::Rust => line.starts_with("use ") || line.starts_with("pub use "),
        Language::Python => line.starts_with("import ") || line.starts_with("from "),
        Language::Go => line.starts_with("import "),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            line.starts_with("import ") || (line.contains("require(") && line.starts_with("const "))
        }
        Language::Java => line.starts_with("import "),
        Language::C | Language::Cpp => line.starts_with("#include"),
        _ => false,
    }
}

/// The existing text with only the answer's additions: its new tests after the last
/// existing test (or at the end of the module or file) and its new import lines after the
/// last existing import.
fn insert_only(language: Language, existing: &str, answer: &str, new_tests: &[TestItem]) -> String {
    let old_tests = items::find(language, existing);
    let line_break = if existing.contains("\r\n") { "\r\n" } else { "\n" };
    let insert_at = match old_tests.last() {
        Some(last) => last.range.end,
        None => container_end(language, existing),
    };
    let indent = old_tests.last().map(|item| {
        crate::rewrite::leading_whitespace(existing[item.range.clone()].lines().next().unwrap_or("")).to_string()
    });
    // New tests are separated as the existing ones are (PEP 8's two blank lines, one elsewhere).
    let gap = old_tests.last().map_or(1, |item| {
        existing[..item.range.start]
            .split_inclusive('\n')
            .rev()
            .take_while(|line| line.trim().is_empty())
            .count()
            .max(1)
    });
    let mut block = String::new();
    for item in new_tests {
        let text = &answer[item.range.clone()];
        let text = match &indent {
            Some(indent) => crate::rewrite::reindent(text.trim_end_matches(['\n', '\r']), indent),
            None => text.trim_end_matches(['\n', '\r']).to_string(),
        };
        block.push_str(&line_break.repeat(gap));
        block.push_str(&text);
        block.push_str(line_break);
    }
    let mut result = String::with_capacity(existing.len() + block.len());
    result.push_str(&existing[..insert_at]);
    if !result.is_empty() && !result.ends_with('\n') {
        result.push_str(line_break);
    }
    result.push_str(&block);
    result.push_str(&existing[insert_at..]);

    // New imports go after the last existing one.
    let existing_imports: HashSet<&str> =
        existing.lines().filter(|line| is_import_line(language, line)).map(str::trim).collect();
    let new_imports: Vec<&str> = answer
        .lines()
        .filter(|line| is_import_line(language, line) && !existing_imports.contains(line.trim()))
        .filter(|line| !line.trim_end().ends_with('(') && !line.trim_end().ends_with('{'))
        .collect();
    if new_imports.is_empty() {
        return result;
    }
    let last_import_end = {
        let mut offset = 0;
        let mut end = None;
        for line in result.split_inclusive('\n') {
            offset += line.len();
            if is_import_line(language, line) {
                end = Some(offset);
            }
        }
        end
    };
    let Some(at) = last_import_end else {
        return result;
    };
    let indent = crate::rewrite::leading_whitespace(result[..at].lines().last().unwrap_or("")).to_string();
    let added: String = new_imports.iter().map(|line| format!("{indent}{}{line_break}", line.trim())).collect();
    format!("{}{added}{}", &result[..at], &result[at..])
}

/// Where new tests go in a text without tests: before the closing brace of a Rust module or
/// Java class, else at the end.
fn container_end(language: Language, text: &str) -> usize {
    if matches!(language, Language::Rust | Language::Java) {
        if let Some(brace) = text.trim_end().rfind('}') {
            return text[..brace].rfind('\n').map_or(brace, |index| index + 1);
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXISTING: &str = "from calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n";

    #[test]
    fn a_new_file_needs_tests() {
        let candidate = reconcile(Language::Python, None, "def test_a():\n    assert True").unwrap();
        assert_eq!(candidate.text, "def test_a():\n    assert True\n");
        assert_eq!(candidate.new_tests.len(), 1);
        assert_eq!(reconcile(Language::Python, None, "x = 1\n"), Err(CandidateError::NoNewTests));
        assert!(matches!(reconcile(Language::Python, None, "def test_a(:\n"), Err(CandidateError::Syntax(..))));
    }

    #[test]
    fn additions_are_taken_as_they_are() {
        let answer = "import pytest\nfrom calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n\n\ndef test_negative():\n    assert add(-1, -1) == -2\n";
        let candidate = reconcile(Language::Python, Some(EXISTING), answer).unwrap();
        assert_eq!(candidate.text, answer);
        assert_eq!(candidate.repaired, None);
        assert_eq!(candidate.new_tests.iter().map(|item| item.name.as_str()).collect::<Vec<_>>(), ["test_negative"]);
    }

    #[test]
    fn a_rewritten_existing_test_is_restored() {
        let answer = "from calc import add\nimport math\n\n\ndef test_adds():\n    assert add(2, 2) == 4\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n";
        let candidate = reconcile(Language::Python, Some(EXISTING), answer).unwrap();
        assert_eq!(
            candidate.text,
            "from calc import add\nimport math\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
        );
        assert!(candidate.repaired.unwrap().contains("test_adds"));
        assert_eq!(candidate.new_tests.len(), 1);
    }

    #[test]
    fn a_dropped_existing_test_comes_back() {
        let answer = "from calc import add\n\n\ndef test_other():\n    assert add(0, 1) == 1\n";
        let candidate = reconcile(Language::Python, Some(EXISTING), answer).unwrap();
        assert!(candidate.text.starts_with(EXISTING));
        assert!(candidate.text.contains("def test_other"));
    }

    #[test]
    fn the_servers_import_is_added_when_the_answer_lacks_it() {
        let imports = ["from shop.cart import total".to_string()];
        let answer = "import pytest\n\n\ndef test_total():\n    assert total([]) == 0\n";
        assert_eq!(
            with_imports(Language::Python, answer, &imports),
            "import pytest\nfrom shop.cart import total\n\n\ndef test_total():\n    assert total([]) == 0\n"
        );
        let already = "from shop.cart import total, Cart\n\ndef test_a():\n    pass\n";
        assert_eq!(with_imports(Language::Python, already, &imports), already);
        let bare = "def test_total():\n    pass\n";
        assert!(
            with_imports(Language::Python, bare, &imports).starts_with("from shop.cart import total\n\ndef test_total")
        );
        let js = "const { add } = require('./math');\n\ntest('a', () => {});\n";
        assert_eq!(with_imports(Language::JavaScript, js, &["import { add } from './math';".to_string()]), js);
    }

    #[test]
    fn a_rust_item_already_in_scope_is_not_imported_again() {
        let import = ["use calc::number::Number;".to_string()];
        // Through a re-export, in a grouped, multi-line `use`.
        let grouped = "use calc::{\n    Number,\n    Sign,\n};\n\n#[test]\nfn t() {}\n";
        assert_eq!(with_imports(Language::Rust, grouped, &import), grouped);
        let plain = "use calc::Number;\n\n#[test]\nfn t() {}\n";
        assert_eq!(with_imports(Language::Rust, plain, &import), plain);
        // A path through a module of that name is not the item.
        let module_only = "use calc::Number::parse;\n\n#[test]\nfn t() {}\n";
        assert!(with_imports(Language::Rust, module_only, &import).contains("use calc::number::Number;"));
        let none = "#[test]\nfn t() {}\n";
        assert!(with_imports(Language::Rust, none, &import).starts_with("use calc::number::Number;\n"));
    }

    #[test]
    fn rust_module_without_tests_gets_them_before_its_brace() {
        let existing = "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n";
        let answer = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 1), 2);\n    }\n}\n";
        let candidate = reconcile(Language::Rust, Some(existing), answer).unwrap();
        assert_eq!(candidate.text, answer);
        let rewritten = "#[cfg(test)]\nmod tests {\n    use super::add;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 1), 2);\n    }\n}\n";
        // Changing an import line is allowed.
        assert_eq!(reconcile(Language::Rust, Some(existing), rewritten).unwrap().repaired, None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn test_function(name: &str, value: u32) -> String {
            format!("def {name}():\n    assert add({value}, 1) == {}\n", value + 1)
        }

        /// What the answer does with one existing test.
        #[derive(Debug, Clone, Copy)]
        enum Fate {
            Kept,
            Changed,
            Dropped,
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

            /// Whatever the answer does to existing tests, every one of them comes out byte for
            /// byte, and every new test of the answer is in the result.
            #[test]
            fn existing_tests_always_survive(
                fates in proptest::collection::vec(prop_oneof![Just(Fate::Kept), Just(Fate::Changed), Just(Fate::Dropped)], 0..6),
                new_positions in proptest::collection::vec(0usize..8, 1..4),
            ) {
                let existing_tests: Vec<String> = (0..fates.len()).map(|index| test_function(&format!("test_old_{index}"), index as u32)).collect();
                let existing = format!("from calc import add\n\n\n{}", existing_tests.join("\n\n"));
                let mut answer_parts: Vec<String> = fates
                    .iter()
                    .enumerate()
                    .filter_map(|(index, fate)| match fate {
                        Fate::Kept => Some(existing_tests[index].clone()),
                        Fate::Changed => Some(test_function(&format!("test_old_{index}"), 100 + index as u32)),
                        Fate::Dropped => None,
                    })
                    .collect();
                let new_names: Vec<String> = (0..new_positions.len()).map(|index| format!("test_new_{index}")).collect();
                for (name, position) in new_names.iter().zip(&new_positions) {
                    let at = (*position).min(answer_parts.len());
                    answer_parts.insert(at, test_function(name, 7));
                }
                let answer = format!("from calc import add\n\n\n{}", answer_parts.join("\n\n"));
                let candidate = reconcile(Language::Python, Some(&existing), &answer).unwrap();
                for test in &existing_tests {
                    prop_assert!(candidate.text.contains(test.as_str()), "lost {test:?} in\n{}", candidate.text);
                }
                let found: Vec<String> = candidate.new_tests.iter().map(|item| item.name.clone()).collect();
                let mut expected = new_names.clone();
                expected.sort();
                let mut found_sorted = found.clone();
                found_sorted.sort();
                prop_assert_eq!(found_sorted, expected);
                prop_assert!(items::parses_cleanly(Language::Python, &candidate.text));
                let all_kept = fates.iter().all(|fate| matches!(fate, Fate::Kept));
                prop_assert_eq!(candidate.repaired.is_none(), all_kept);
            }
        }
    }
}
