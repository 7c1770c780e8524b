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
            Framework::RustTest | Framework::Jest => &[],
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

/// The framework a `package.json` depends on: Vitest, Jest, Mocha, else `node:test`.
pub fn from_package_json(package_json: &str) -> Framework {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(package_json) else {
        return Framework::NodeTest;
    };
    let has = |name: &str| {
        ["dependencies", "devDependencies", "peerDependencies"].iter().any(|section| value[section].get(name).is_some())
    };
    let test_script = value["scripts"]["test"].as_str().unwrap_or_default();
    if has("vitest") || test_script.contains("vitest") {
        Framework::Vitest
    } else if has("jest") || has("ts-jest") || has("@jest/globals") || test_script.contains("jest") {
        Framework::Jest
    } else if has("mocha") || test_script.contains("mocha") {
        Framework::Mocha
    } else {
        Framework::NodeTest
    }
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
    fn junit_generation_comes_from_the_build() {
        assert_eq!(junit_from_build("<artifactId>junit-jupiter</artifactId>"), Framework::JUnit5);
        assert_eq!(junit_from_build("testImplementation 'junit:junit:4.13.2'"), Framework::JUnit4);
        assert!(uses_googletest("find_package(GTest REQUIRED)"));
    }
}
