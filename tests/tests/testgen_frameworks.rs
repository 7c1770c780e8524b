//! The test framework comes from the project (issue 20, item 2): its existing tests, its
//! runner config files, its `package.json` test script and dependencies. Through
//! `glm-lsp generate-tests`, each fixture checks the framework named in the prompt and on
//! stderr, the framework's own import lines, and how `--verify` runs (or, for a QUnit project
//! without a command-line runner, does not run) the tests.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::Value;

async fn cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> (i32, String, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fenced(code: &str) -> Reply {
    Reply::text(format!("```javascript\n{code}```"))
}

fn statuses(result: &Value) -> Vec<(String, String)> {
    result["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| (test["name"].as_str().unwrap().to_string(), test["status"].as_str().unwrap().to_string()))
        .collect()
}

const SLUG_JS: &str = "export function slug(text) {\n  return text.trim().toLowerCase();\n}\n";

#[tokio::test]
async fn an_ava_project_gets_ava_tests_run_by_ava_over_tap() {
    // The test script runs AVA; mocha among the dependencies must not win.
    let package =
        r#"{"type": "module", "scripts": {"test": "xo && c8 ava"}, "devDependencies": {"ava": "^6", "mocha": "^10"}}"#;
    // A stand-in for AVA's binary: records how it was called, answers in TAP as AVA does.
    let ava = "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/../../ava-args.txt\"\nprintf 'TAP version 13\\nok 1 - lowercases\\nnot ok 2 - trims\\n  ---\\n    name: AssertionError\\n    message: Difference (- actual, + expected)\\n  ...\\n\\n1..2\\n# tests 2\\n# pass 1\\n# fail 1\\n'\nexit 1\n";
    let project = TempProject::new(
        "testgen-fw-ava",
        &[("package.json", package), ("src/slug.js", SLUG_JS), ("test/.keep", ""), ("node_modules/.bin/ava", ava)],
    );
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(project.path("node_modules/.bin/ava"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let answer = "import test from 'ava';\nimport { slug } from '../src/slug.js';\n\ntest('lowercases', t => {\n  t.is(slug('AB'), 'ab');\n});\n\ntest('trims', t => {\n  t.is(slug(' a '), ' a');\n});\n";
    let mock = MockGlm::start().await;
    mock.add_rule("I ran these tests", fenced(answer));
    mock.add_rule("Task: write unit tests", fenced(answer));
    let (code, stdout, stderr) = cli(&project, &mock, &["src/slug.js", "--line", "1", "--verify", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("generating tests for `slug` in test/slug.test.js (AVA)"), "{stderr}");
    let prompt = mock.requests()[0].prompt_text();
    assert!(prompt.contains("Test framework: AVA. Write top-level `test('title', t => { ... })`"), "{prompt}");
    assert!(prompt.contains("    import test from 'ava';"), "{prompt}");
    assert!(prompt.contains("    import { slug } from '../src/slug.js';"), "{prompt}");
    assert_eq!(project.read("ava-args.txt").unwrap().trim(), "--tap test/slug.test.js");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        statuses(&result),
        [("lowercases".to_string(), "passed".to_string()), ("trims".to_string(), "dropped".to_string())]
    );
    assert_eq!(result["tests"][1]["reason"], "Difference (- actual, + expected)");
}

#[tokio::test]
async fn a_qunit_project_without_a_command_line_runner_gets_qunit_tests_added_unverified() {
    // jQuery's shape: QUnit tests in test/unit/, run in a browser by the project's own tooling.
    let package =
        r#"{"scripts": {"test": "grunt && npm run test:browser"}, "devDependencies": {"grunt": "1", "qunit": "2"}}"#;
    let existing =
        "QUnit.module( \"core\" );\n\nQUnit.test( \"jQuery()\", function( assert ) {\n\tassert.ok( true );\n} );\n";
    let project = TempProject::new(
        "testgen-fw-qunit",
        &[
            ("package.json", package),
            ("src/core/trim.js", "jQuery.trim = function( text ) {\n\treturn text.trim();\n};\n"),
            ("test/unit/core.js", existing),
        ],
    );
    let answer = "QUnit.module( \"trim\" );\n\nQUnit.test( \"trims spaces\", function( assert ) {\n\tassert.strictEqual( jQuery.trim( \" a \" ), \"a\" );\n} );\n";
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced(answer));
    // Unverified tests are not a green run for CI: the exit status says so.
    let (code, stdout, stderr) = cli(&project, &mock, &["src/core/trim.js", "--line", "1", "--verify", "--json"]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("generating tests for `jQuery.trim`") && stderr.contains("(QUnit)"), "{stderr}");
    let prompt = mock.requests()[0].prompt_text();
    assert!(prompt.contains("Test framework: QUnit. Use `QUnit.module('name')`"), "{prompt}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(statuses(&result), [("trims spaces".to_string(), "not_run".to_string())]);
    let summary = result["summary"].as_str().unwrap();
    assert!(summary.contains("no command-line runner") && summary.contains("set tests.command"), "{summary}");
}

#[tokio::test]
async fn tap_and_mocha_come_from_the_test_script_and_the_config_files() {
    let add = "'use strict';\n\nmodule.exports = function add (a, b) {\n  return a + b;\n};\n";
    /// A label, the project's files, the framework stderr names, and lines the prompt holds.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a [&'a str]);
    let cases: [Case; 3] = [
        (
            "tap",
            vec![
                ("package.json", r#"{"scripts": {"test": "tap"}, "devDependencies": {"tap": "^16"}}"#),
                ("lib/add.js", add),
            ],
            "(node-tap)",
            &["    const t = require('tap');", "    const add = require('./add');"],
        ),
        (
            "mocharc",
            vec![
                ("package.json", r#"{"name": "x"}"#),
                (".mocharc.yml", "spec: test/**/*.spec.js\n"),
                ("lib/add.js", add),
            ],
            "(Mocha with node:assert)",
            &["    const assert = require('node:assert/strict');"],
        ),
        (
            // An existing test that imports from 'vitest' outweighs the dependencies.
            "precedent",
            vec![
                (
                    "package.json",
                    r#"{"devDependencies": {"jest": "^29", "vitest": "^3"}, "scripts": {"test": "jest"}}"#,
                ),
                ("lib/add.js", add),
                ("lib/sub.test.js", "import { it } from 'vitest';\nit('subtracts', () => {});\n"),
            ],
            "(Vitest)",
            &["    import { describe, expect, it } from 'vitest';"],
        ),
    ];
    for (label, files, framework, lines) in cases {
        let project = TempProject::new(&format!("testgen-fw-{label}"), &files);
        let mock = MockGlm::start().await;
        mock.add_rule("Task: write unit tests", fenced("placeholder\n"));
        let (_, _, stderr) = cli(&project, &mock, &["lib/add.js", "--line", "3"]).await;
        assert!(stderr.contains("generating tests for `add`") && stderr.contains(framework), "{label}: {stderr}");
        let prompt = mock.requests()[0].prompt_text();
        for line in lines {
            assert!(prompt.contains(line), "{label}: {line}\n{prompt}");
        }
    }
}

#[tokio::test]
async fn go_tests_use_testify_only_where_the_package_already_does() {
    let code = "package render\n\n// Text renders text.\nfunc Text(s string) string {\n\treturn s\n}\n";
    let testify_test = "package render\n\nimport (\n\t\"testing\"\n\n\t\"github.com/stretchr/testify/assert\"\n)\n\nfunc TestJSON(t *testing.T) {\n\tassert.Equal(t, 1, 1)\n}\n";
    let plain_test = "package render\n\nimport \"testing\"\n\nfunc TestJSON(t *testing.T) {}\n";
    for (label, existing, testify) in [("testify", testify_test, true), ("plain", plain_test, false)] {
        let project = TempProject::new(
            &format!("testgen-fw-go-{label}"),
            &[
                // go.mod names testify in both: the package's own tests decide.
                ("go.mod", "module example.com/r\n\ngo 1.21\n\nrequire github.com/stretchr/testify v1.9.0\n"),
                ("render/text.go", code),
                ("render/json_test.go", existing),
            ],
        );
        let mock = MockGlm::start().await;
        mock.add_rule("Task: write unit tests", Reply::text("```go\nplaceholder\n```"));
        let (_, _, stderr) = cli(&project, &mock, &["render/text.go", "--line", "3"]).await;
        assert!(stderr.contains("generating tests for `Text` in render/text_test.go"), "{stderr}");
        let prompt = mock.requests()[0].prompt_text();
        assert_eq!(prompt.contains("    import \"github.com/stretchr/testify/assert\""), testify, "{label}: {prompt}");
        assert_eq!(prompt.contains("This project's tests use testify"), testify, "{label}: {prompt}");
    }
}
