//! Test frameworks: which one a project uses, and how each is named in prompts.

use crate::language::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    /// `#[test]` functions run by `cargo test`.
    RustTest,
    Pytest,
    Unittest,
    /// `testing` with table-driven `TestXxx(t *testing.T)` functions.
    GoTesting,
    Vitest,
    Jest,
    Mocha,
    /// Node's built-in `node:test` and `node:assert`.
    NodeTest,
    /// AVA: `test('title', t => { t.is(…) })`.
    Ava,
    /// node-tap: `t.test('title', t => { t.equal(…) })`.
    Tap,
    /// QUnit: `QUnit.module` and `QUnit.test('title', assert => { assert.equal(…) })`.
    QUnit,
    JUnit5,
    JUnit4,
    GoogleTest,
    /// Plain `assert`-based C/C++ test programs.
    PlainAssert,
}

impl Framework {
    pub fn label(self) -> &'static str {
        match self {
            Framework::RustTest => "Rust's built-in test harness (#[test], cargo test)",
            Framework::Pytest => "pytest",
            Framework::Unittest => "unittest",
            Framework::GoTesting => "Go's testing package (table-driven tests)",
            Framework::Vitest => "Vitest",
            Framework::Jest => "Jest",
            Framework::Mocha => "Mocha with node:assert",
            Framework::NodeTest => "Node's built-in test runner (node:test with node:assert/strict)",
            Framework::Ava => "AVA",
            Framework::Tap => "node-tap",
            Framework::QUnit => "QUnit",
            Framework::JUnit5 => "JUnit 5 (Jupiter)",
            Framework::JUnit4 => "JUnit 4",
            Framework::GoogleTest => "GoogleTest",
            Framework::PlainAssert => "a plain test program using assert.h (returns 0 when every check passes)",
        }
    }

    /// Style rules for the prompt, beyond the framework's name.
    pub fn guidance(self) -> &'static str {
        match self {
            Framework::RustTest => "Write #[test] functions with assert!/assert_eq!; name them after the behaviour they check.",
            Framework::Pytest => "Write plain `def test_...():` functions with bare `assert`; use pytest.raises for errors and pytest.mark.parametrize for tables of cases.",
            Framework::Unittest => "Write a `unittest.TestCase` subclass with `test_...` methods and self.assert... calls.",
            Framework::GoTesting => "Write table-driven tests: one `func TestXxx(t *testing.T)` per function with a slice of cases and t.Run for each; report with t.Errorf.",
            Framework::Vitest => "Use describe/it/expect imported from 'vitest'.",
            Framework::Jest => "Use describe/it/expect (Jest globals).",
            Framework::Mocha => "Use describe/it (Mocha globals) and assert from 'node:assert/strict'.",
            Framework::NodeTest => "Use test() or describe()/it() from 'node:test' and assert from 'node:assert/strict'.",
            Framework::Ava => "Write top-level `test('title', t => { ... })` tests (AVA has no describe) and assert with t.is, t.deepEqual, t.true, t.throws.",
            Framework::Tap => "Write `t.test('title', async t => { ... })` subtests on the tap object and assert with t.equal, t.same, t.ok, t.throws.",
            Framework::QUnit => "Use `QUnit.module('name')` and `QUnit.test('title', function (assert) { ... })` with assert.equal, assert.strictEqual, assert.deepEqual, assert.throws (QUnit is a global).",
            Framework::JUnit5 => "Use @Test methods and org.junit.jupiter.api.Assertions.",
            Framework::JUnit4 => "Use @Test methods and org.junit.Assert.",
            Framework::GoogleTest => "Use TEST(Suite, Name) with EXPECT_*/ASSERT_* macros.",
            Framework::PlainAssert => "Write a main() that calls one static function per test case, using assert().",
        }
    }

    /// The lines the framework itself needs at the top of a new test file.
    pub fn import_lines(self, module_system: ModuleSystem) -> Vec<String> {
        let esm = module_system == ModuleSystem::Esm;
        let lines: &[&str] = match self {
            Framework::Pytest => &["import pytest"],
            Framework::Unittest => &["import unittest"],
            Framework::GoTesting => &["import \"testing\""],
            Framework::Vitest => &["import { describe, expect, it } from 'vitest';"],
            Framework::Mocha if esm => &["import assert from 'node:assert/strict';"],
            Framework::Mocha => &["const assert = require('node:assert/strict');"],
            Framework::NodeTest if esm => {
                &["import { describe, it } from 'node:test';", "import assert from 'node:assert/strict';"]
            }
            Framework::NodeTest => {
                &["const { describe, it } = require('node:test');", "const assert = require('node:assert/strict');"]
            }
            Framework::JUnit5 => {
                &["import org.junit.jupiter.api.Test;", "import static org.junit.jupiter.api.Assertions.*;"]
            }
            Framework::JUnit4 => &["import org.junit.Test;", "import static org.junit.Assert.*;"],
            Framework::GoogleTest => &["#include <gtest/gtest.h>"],
            Framework::PlainAssert => &["#include <assert.h>"],
            Framework::Ava if esm => &["import test from 'ava';"],
            Framework::Ava => &["const test = require('ava');"],
            Framework::Tap if esm => &["import t from 'tap';"],
            Framework::Tap => &["const t = require('tap');"],
            Framework::RustTest | Framework::Jest | Framework::QUnit => &[],
        };
        lines.iter().map(|line| line.to_string()).collect()
    }

    pub fn language_default(language: Language) -> Framework {
        match language {
            Language::Rust => Framework::RustTest,
            Language::Python => Framework::Pytest,
            Language::Go => Framework::GoTesting,
            Language::Java => Framework::JUnit5,
            Language::C | Language::Cpp => Framework::PlainAssert,
            _ => Framework::NodeTest,
        }
    }
}

/// How a JavaScript or TypeScript file imports: `import` or `require`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleSystem {
    Esm,
    CommonJs,
}

/// The framework a `package.json` names: its `test` script first (what the maintainers run),
/// then a runner's own section (`"ava": {…}`), then the other scripts, then the dependencies;
/// else `node:test`.
pub fn from_package_json(package_json: &str) -> Framework {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(package_json) else {
        return Framework::NodeTest;
    };
    let has = |name: &str| {
        ["dependencies", "devDependencies", "peerDependencies"].iter().any(|section| value[section].get(name).is_some())
    };
    let test_script = value["scripts"]["test"].as_str().unwrap_or_default();
    let all_scripts: String = value["scripts"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, script)| script.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let section = |name: &str| value.get(name).is_some_and(serde_json::Value::is_object);
    script_runner(test_script)
        .or_else(|| JS_RUNNERS.iter().find(|(name, _)| section(name)).map(|(_, framework)| *framework))
        .or_else(|| script_runner(&all_scripts))
        .or_else(|| JS_PACKAGES.iter().find(|(name, _)| has(name)).map(|(_, framework)| *framework))
        .unwrap_or(Framework::NodeTest)
}

/// Runner commands as scripts name them, and the section a `package.json` configures them in.
const JS_RUNNERS: &[(&str, Framework)] = &[
    ("vitest", Framework::Vitest),
    ("jest", Framework::Jest),
    ("ava", Framework::Ava),
    ("mocha", Framework::Mocha),
    ("tap", Framework::Tap),
    ("qunit", Framework::QUnit),
];

/// Packages whose presence among the dependencies names the runner.
const JS_PACKAGES: &[(&str, Framework)] = &[
    ("vitest", Framework::Vitest),
    ("jest", Framework::Jest),
    ("ts-jest", Framework::Jest),
    ("@jest/globals", Framework::Jest),
    ("ava", Framework::Ava),
    ("mocha", Framework::Mocha),
    ("tap", Framework::Tap),
    ("qunit", Framework::QUnit),
    ("qunitjs", Framework::QUnit),
    ("karma-qunit", Framework::QUnit),
    ("grunt-contrib-qunit", Framework::QUnit),
];

/// The runner a script line invokes (`vitest run`, `c8 ava`, `node --test`), as a whole word.
fn script_runner(script: &str) -> Option<Framework> {
    let words: Vec<&str> =
        script.split(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | '|' | '(' | ')' | '"' | '\'')).collect();
    if words.contains(&"--test") && words.contains(&"node") {
        return Some(Framework::NodeTest);
    }
    JS_RUNNERS
        .iter()
        .find(|(name, _)| words.iter().any(|word| word == name || word.ends_with(&format!("/{name}"))))
        .map(|(_, framework)| *framework)
}

/// The runner a project's own configuration files name at its package root.
pub fn from_config_files(names: &[String]) -> Option<Framework> {
    let prefixed = |prefix: &str| names.iter().any(|name| name.starts_with(prefix));
    [
        ("vitest.config.", Framework::Vitest),
        ("vitest.workspace.", Framework::Vitest),
        ("jest.config.", Framework::Jest),
        ("ava.config.", Framework::Ava),
        (".mocharc", Framework::Mocha),
        (".taprc", Framework::Tap),
    ]
    .iter()
    .find(|(prefix, _)| prefixed(prefix))
    .map(|(_, framework)| *framework)
}

/// The runner existing test files show: what they import or the globals they call.
pub fn from_test_files(samples: &[String]) -> Option<Framework> {
    let imports = |text: &str, module: &str| {
        [
            format!("from '{module}'"),
            format!("from \"{module}\""),
            format!("require('{module}')"),
            format!("require(\"{module}\")"),
        ]
        .iter()
        .any(|form| text.contains(form.as_str()))
    };
    let shown = |text: &str| {
        if imports(text, "vitest") {
            Some(Framework::Vitest)
        } else if imports(text, "ava") {
            Some(Framework::Ava)
        } else if imports(text, "tap") {
            Some(Framework::Tap)
        } else if imports(text, "node:test") {
            Some(Framework::NodeTest)
        } else if text.contains("QUnit.test(") || text.contains("QUnit.module(") {
            Some(Framework::QUnit)
        } else if imports(text, "@jest/globals") || text.contains("jest.fn(") || text.contains("jest.mock(") {
            Some(Framework::Jest)
        } else {
            None
        }
    };
    samples.iter().find_map(|text| shown(text))
}

/// The JUnit generation a Maven or Gradle build file names; JUnit 5 when it names none.
pub fn junit_from_build(build_file: &str) -> Framework {
    if build_file.contains("junit-jupiter") || build_file.contains("org.junit.jupiter") {
        Framework::JUnit5
    } else if build_file.contains("junit:junit") || build_file.contains("<artifactId>junit</artifactId>") {
        Framework::JUnit4
    } else {
        Framework::JUnit5
    }
}

/// Whether a C/C++ build file uses GoogleTest.
pub fn uses_googletest(build_file: &str) -> bool {
    ["gtest", "GTest", "googletest", "gmock"].iter().any(|name| build_file.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_frameworks_come_from_package_json() {
        assert_eq!(from_package_json(r#"{"devDependencies": {"vitest": "^3"}}"#), Framework::Vitest);
        assert_eq!(from_package_json(r#"{"devDependencies": {"jest": "^29", "ts-jest": "1"}}"#), Framework::Jest);
        assert_eq!(from_package_json(r#"{"scripts": {"test": "mocha"}}"#), Framework::Mocha);
        assert_eq!(from_package_json(r#"{"name": "x"}"#), Framework::NodeTest);
        assert_eq!(from_package_json("not json"), Framework::NodeTest);
    }

    #[test]
    fn the_test_script_and_the_projects_files_name_the_runner() {
        assert_eq!(
            from_package_json(r#"{"scripts": {"test": "xo && c8 ava"}, "devDependencies": {"mocha": "1"}}"#),
            Framework::Ava
        );
        assert_eq!(from_package_json(r#"{"ava": {"files": ["test/*"]}}"#), Framework::Ava);
        assert_eq!(from_package_json(r#"{"scripts": {"test": "tap test/*.js"}}"#), Framework::Tap);
        assert_eq!(
            from_package_json(r#"{"scripts": {"test": "node --test"}, "devDependencies": {"jest": "1"}}"#),
            Framework::NodeTest
        );
        assert_eq!(
            from_package_json(r#"{"scripts": {"test": "grunt"}, "devDependencies": {"grunt-contrib-qunit": "1"}}"#),
            Framework::QUnit
        );
        assert_eq!(from_package_json(r#"{"scripts": {"test": "tapestry"}}"#), Framework::NodeTest);
        assert_eq!(from_config_files(&["README.md".into(), ".mocharc.yml".into()]), Some(Framework::Mocha));
        assert_eq!(from_config_files(&["ava.config.mjs".into()]), Some(Framework::Ava));
        assert_eq!(from_test_files(&["import test from 'ava';\n".into()]), Some(Framework::Ava));
        assert_eq!(from_test_files(&["QUnit.module( \"core\" );\n".into()]), Some(Framework::QUnit));
        assert_eq!(from_test_files(&["describe('a', () => {});\n".into()]), None);
    }

    #[test]
    fn junit_generation_comes_from_the_build() {
        assert_eq!(junit_from_build("<artifactId>junit-jupiter</artifactId>"), Framework::JUnit5);
        assert_eq!(junit_from_build("testImplementation 'junit:junit:4.13.2'"), Framework::JUnit4);
        assert!(uses_googletest("find_package(GTest REQUIRED)"));
    }
}
