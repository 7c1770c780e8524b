//! An existing test file named after the module is found wherever the package keeps its tests
//! (issue 20, item 1, first part): a subfolder of `test/`, another extension (`.spec.cjs` for a
//! `.js` module), another case (`tween.js` for `Tween.js`); fixtures that share the name are
//! not tests. The new tests are appended there, imported as that file imports.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

async fn plan_of(project: &TempProject, file: &str, line: usize) -> (String, String) {
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text("```javascript\nplaceholder\n```"));
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, &mock, &[file, "--line", &line.to_string()]).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{stderr}");
    (requests[0].prompt_text(), stderr)
}

#[tokio::test]
async fn a_spec_in_a_test_subfolder_with_another_extension_is_the_test_file() {
    let existing = "'use strict';\n\nconst { Suite } = require('../../lib/suite.js');\n\ndescribe('Suite', function () {\n  it('has a title', function () {\n    expect(new Suite('a').title, 'to be', 'a');\n  });\n});\n";
    let project = TempProject::new(
        "testgen-precedent-mocha",
        &[
            ("package.json", r#"{"name": "mocha"}"#),
            (".mocharc.yml", "spec: test/unit/*.spec.cjs\n"),
            (
                "lib/suite.js",
                "'use strict';\n\nfunction Suite(title) {\n  this.title = title;\n}\n\nmodule.exports = Suite;\n",
            ),
            ("test/unit/suite.spec.cjs", existing),
            // A fixture named like the module, deeper in the tree: not a test file.
            ("test/integration/fixtures/suite.js", "module.exports = 1;\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, "lib/suite.js", 3).await;
    assert!(stderr.contains("generating tests for `Suite` in test/unit/suite.spec.cjs (Mocha"), "{stderr}");
    assert!(prompt.contains("Existing tests in test/unit/suite.spec.cjs"), "{prompt}");
    assert!(prompt.contains("    const Suite = require('../../lib/suite.js');"), "{prompt}");
}

#[tokio::test]
async fn a_qunit_file_named_after_the_module_in_another_case_is_the_test_file() {
    let existing = "QUnit.module( \"tween\" );\n\nQUnit.test( \"jQuery.Tween - Default propHooks\", function( assert ) {\n\tassert.ok( jQuery.Tween );\n} );\n";
    let project = TempProject::new(
        "testgen-precedent-qunit",
        &[
            ("package.json", r#"{"devDependencies": {"qunit": "2"}}"#),
            ("src/effects/Tween.js", "function Tween( elem ) {\n\tthis.elem = elem;\n}\n\nTween.prototype = {\n\trun: function( percent ) {\n\t\treturn percent;\n\t}\n};\n"),
            ("test/unit/tween.js", existing),
            ("test/unit/core.js", "QUnit.module( \"core\" );\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, "src/effects/Tween.js", 6).await;
    assert!(stderr.contains("generating tests for `Tween.run` in test/unit/tween.js (QUnit)"), "{stderr}");
    assert!(prompt.contains("Existing tests in test/unit/tween.js"), "{prompt}");
    assert!(!prompt.contains("Import the code under test"), "{prompt}");
}

async fn run_cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> (i32, String, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn python_tests_kept_in_a_test_module_package_go_inside_it_and_pytest_collects_them() {
    let project = TempProject::new(
        "testgen-precedent-py-package",
        &[
            ("pyproject.toml", "[project]\nname = \"cli\"\n"),
            ("cli.py", "def greet(name):\n    return f\"hello {name}\"\n"),
            ("tests/test_cli/__init__.py", ""),
            (
                "tests/test_cli/test_commands.py",
                "from cli import greet\n\n\ndef test_greets():\n    assert greet(\"a\") == \"hello a\"\n",
            ),
        ],
    );
    let answer = "from cli import greet\n\n\ndef test_greets_empty_name():\n    assert greet(\"\") == \"hello \"\n";
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text(format!("```python\n{answer}```")));
    let (code, stdout, stderr) =
        run_cli(&project, &mock, &["cli.py", "--line", "1", "--verify", "--json", "--write"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("in tests/test_cli/test_cli.py (pytest)"), "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["file"], "tests/test_cli/test_cli.py");
    assert_eq!(result["tests"][0]["status"], "passed", "{stdout}");
    assert!(!project.path("tests/test_cli.py").exists());
    assert_eq!(project.read("tests/test_cli/test_cli.py").unwrap(), answer);
}

#[tokio::test]
async fn a_private_python_module_is_tested_where_its_public_name_is() {
    let existing = "from httpx._utils import URLPattern\n\n\ndef test_url_matches():\n    assert URLPattern(\"all://\").matches(None) is None or True\n";
    let project = TempProject::new(
        "testgen-precedent-py-private",
        &[
            ("pyproject.toml", "[project]\nname = \"httpx\"\n"),
            ("httpx/__init__.py", ""),
            ("httpx/_utils.py", "def is_ipv4_hostname(hostname):\n    return hostname.count(\".\") == 3\n"),
            ("tests/test_utils.py", existing),
            ("tests/models/test_url.py", "def test_url():\n    pass\n"),
        ],
    );
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text("```python\nplaceholder\n```"));
    let (_, _, stderr) = run_cli(&project, &mock, &["httpx/_utils.py", "--line", "1"]).await;
    assert!(stderr.contains("generating tests for `is_ipv4_hostname` in tests/test_utils.py (pytest)"), "{stderr}");
    let prompt = mock.requests()[0].prompt_text();
    assert!(prompt.contains("Existing tests in tests/test_utils.py"), "{prompt}");
}

#[tokio::test]
async fn a_module_without_tests_gets_a_new_file_where_its_siblings_tests_are() {
    let project = TempProject::new(
        "testgen-precedent-sibling",
        &[
            ("package.json", r#"{"devDependencies": {"vitest": "^3"}}"#),
            ("src/node/plugins/css.ts", "export function css(): string {\n  return 'css';\n}\n"),
            ("src/node/plugins/alias.ts", "export function alias(name: string): string {\n  return name;\n}\n"),
            (
                "src/node/__tests__/plugins/css.spec.ts",
                "import { expect, test } from 'vitest';\nimport { css } from '../../plugins/css';\n\ntest('css', () => expect(css()).toBe('css'));\n",
            ),
            ("lib/nodejs/serializer.js", "module.exports = { serialize: (v) => v };\n"),
            ("lib/nodejs/unloader.cjs", "exports.unload = (file) => file;\n"),
            ("test/node-unit/serializer.spec.js", "const { serialize } = require('../../lib/nodejs/serializer.js');\n\ndescribe('serialize', () => {});\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, "src/node/plugins/alias.ts", 1).await;
    assert!(stderr.contains("in src/node/__tests__/plugins/alias.spec.ts (Vitest)"), "{stderr}");
    assert!(prompt.contains("a new test file src/node/__tests__/plugins/alias.spec.ts"), "{prompt}");
    assert!(prompt.contains("    import { alias } from '../../plugins/alias';"), "{prompt}");
    // The sibling's test had its module's extension, so this one has this module's: `.cjs`.
    let (prompt, stderr) = plan_of(&project, "lib/nodejs/unloader.cjs", 1).await;
    assert!(stderr.contains("in test/node-unit/unloader.spec.cjs"), "{stderr}");
    assert!(prompt.contains("    const { unload } = require('../../lib/nodejs/unloader.cjs');"), "{prompt}");
}

#[tokio::test]
async fn python_tests_that_import_the_package_whole_get_the_same_import() {
    let project = TempProject::new(
        "testgen-precedent-py-package-import",
        &[
            ("pyproject.toml", "[project]\nname = \"flask\"\n"),
            ("src/flask/__init__.py", "from .app import Flask as Flask\n"),
            ("src/flask/app.py", "class Flask:\n    def make_response(self, value):\n        return str(value)\n"),
            ("tests/test_app.py", "import flask\n\n\ndef test_app():\n    assert flask.Flask()\n"),
        ],
    );
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text("```python\nplaceholder\n```"));
    let (_, _, stderr) = run_cli(&project, &mock, &["src/flask/app.py", "--line", "2"]).await;
    assert!(stderr.contains("generating tests for `Flask.make_response` in tests/test_app.py"), "{stderr}");
    let prompt = mock.requests()[0].prompt_text();
    assert!(
        prompt.contains("Import the code under test with exactly these lines (already present lines stay as they are):\n    import flask\n"),
        "{prompt}"
    );
    assert!(prompt.contains("reach it as `flask.Flask`"), "{prompt}");
}

#[tokio::test]
async fn a_rust_test_file_that_already_imports_the_item_gets_no_second_use_and_builds() {
    let existing = "use calc::{Number, Sign};\n\n#[test]\nfn makes_a_number() {\n    assert_eq!(Number::new(2).value(), 2);\n    let _ = Sign::Plus;\n}\n";
    let project = TempProject::new(
        "testgen-precedent-rust-dup",
        &[
            ("Cargo.toml", "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"),
            ("src/lib.rs", "mod number;\n\npub use number::{Number, Sign};\n"),
            (
                "src/number.rs",
                "pub enum Sign {\n    Plus,\n}\n\npub struct Number(i32);\n\nimpl Number {\n    pub fn new(value: i32) -> Number {\n        Number(value)\n    }\n\n    pub fn value(&self) -> i32 {\n        self.0\n    }\n}\n",
            ),
            ("tests/number.rs", existing),
        ],
    );
    let answer = format!(
        "{existing}\n#[test]\nfn keeps_negative_values() {{\n    assert_eq!(Number::new(-3).value(), -3);\n}}\n"
    );
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text(format!("```rust\n{answer}```")));
    let (code, stdout, stderr) =
        run_cli(&project, &mock, &["src/number.rs", "--function", "Number.new", "--verify", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("in tests/number.rs"), "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["content"], answer.as_str(), "no second `use` of Number: {stdout}");
    assert_eq!(result["tests"][0]["name"], "keeps_negative_values");
    assert_eq!(result["tests"][0]["status"], "passed", "{stdout}");
}

#[tokio::test]
async fn rust_integration_tests_import_the_public_re_export_not_the_private_module() {
    let number = "pub struct Number(i32);\n\nimpl Number {\n    pub fn new(value: i32) -> Number {\n        Number(value)\n    }\n}\n";
    let cases = [
        // Re-exported at the root: the public path.
        ("reexport", "mod number;\n\npub use number::Number;\n", Some("use calc::Number;")),
        // A public module: its path.
        ("pubmod", "pub mod number;\n", Some("use calc::number::Number;")),
        // Private and not re-exported: `tests/` cannot reach it, so the tests go inline.
        ("private", "mod number;\n", None),
    ];
    for (label, lib, import) in cases {
        let project = TempProject::new(
            &format!("testgen-precedent-rust-path-{label}"),
            &[
                ("Cargo.toml", "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
                ("src/lib.rs", lib),
                ("src/number.rs", number),
                ("tests/other.rs", "#[test]\nfn other() {}\n"),
            ],
        );
        let mock = MockGlm::start().await;
        mock.add_rule("Task: write unit tests", Reply::text("```rust\nplaceholder\n```"));
        let (_, _, stderr) = run_cli(&project, &mock, &["src/number.rs", "--function", "Number.new"]).await;
        let prompt = mock.requests()[0].prompt_text();
        match import {
            Some(import) => {
                assert!(stderr.contains("in tests/number.rs"), "{label}: {stderr}");
                assert!(prompt.contains(&format!("\n    {import}\n")), "{label}: {prompt}");
            }
            None => {
                assert!(stderr.contains("in src/number.rs"), "{label}: {stderr}");
                assert!(prompt.contains("#[cfg(test)]"), "{label}: {prompt}");
            }
        }
    }
}
