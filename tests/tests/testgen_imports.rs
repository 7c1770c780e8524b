//! The import of the code under test follows the project (issue 20, item 4, first part):
//! TypeScript under `"moduleResolution": "nodenext"` names the emitted `.js` file; existing
//! tests that write extensions (or `require`) set the style; a `.cjs` module is required by
//! its full name; a QUnit suite that imports nothing gets no import. Asserted on the exact
//! import line the prompt prescribes, through `glm-lsp generate-tests`.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

async fn prompt_for(project: &TempProject, file: &str, line: usize) -> (String, String) {
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text("```javascript\nplaceholder\n```"));
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, &mock, &[file, "--line", &line.to_string()]).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{stderr}");
    (requests[0].prompt_text(), stderr)
}

/// The lines the prompt says to import the code under test with.
fn import_lines(prompt: &str) -> Vec<String> {
    let Some(start) = prompt.find("Import the code under test with exactly these lines") else {
        return Vec::new();
    };
    prompt[start..]
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .map(|line| line.trim().to_string())
        .collect()
}

#[tokio::test]
async fn nodenext_typescript_imports_the_emitted_js_file() {
    let project = TempProject::new(
        "testgen-import-nodenext",
        &[
            ("package.json", r#"{"type": "module", "devDependencies": {"vitest": "^3"}}"#),
            ("tsconfig.json", "{\n  // Node's own resolution\n  \"compilerOptions\": { \"module\": \"NodeNext\", \"moduleResolution\": \"NodeNext\" }\n}\n"),
            ("src/math.ts", "export function add(a: number, b: number): number {\n  return a + b;\n}\n"),
        ],
    );
    let (prompt, stderr) = prompt_for(&project, "src/math.ts", 1).await;
    assert!(stderr.contains("in src/math.test.ts (Vitest)"), "{stderr}");
    assert_eq!(import_lines(&prompt), ["import { add } from './math.js';"]);
}

#[tokio::test]
async fn existing_tests_that_write_extensions_set_the_style() {
    // Vitest resolves extensionless imports, but every existing test here writes `.js`.
    let project = TempProject::new(
        "testgen-import-precedent",
        &[
            ("package.json", r#"{"type": "module", "devDependencies": {"vitest": "^3"}}"#),
            ("src/slug.js", "export function slug(text) {\n  return text.trim();\n}\n"),
            ("src/other.js", "export const other = 1;\n"),
            ("test/other.test.js", "import { expect, it } from 'vitest';\nimport { other } from '../src/other.js';\n\nit('is one', () => expect(other).toBe(1));\n"),
        ],
    );
    let (prompt, stderr) = prompt_for(&project, "src/slug.js", 1).await;
    assert!(stderr.contains("in test/slug.test.js (Vitest)"), "{stderr}");
    assert_eq!(import_lines(&prompt), ["import { slug } from '../src/slug.js';"]);

    // And tests that `require` make a `require` of the new one, even of an ESM-looking source.
    let project = TempProject::new(
        "testgen-import-require",
        &[
            ("package.json", r#"{"devDependencies": {"mocha": "^10"}}"#),
            ("lib/slug.js", "export function slug(text) {\n  return text.trim();\n}\n"),
            ("test/other.spec.js", "const { other } = require('../lib/other');\n\ndescribe('other', () => {});\n"),
        ],
    );
    let (prompt, _) = prompt_for(&project, "lib/slug.js", 1).await;
    assert_eq!(import_lines(&prompt), ["const { slug } = require('../lib/slug');"]);
}

#[tokio::test]
async fn a_cjs_module_exported_as_a_function_is_required_by_its_full_name() {
    let project = TempProject::new(
        "testgen-import-cjs",
        &[
            ("package.json", r#"{"devDependencies": {"mocha": "^10"}}"#),
            ("lib/add.cjs", "'use strict';\n\nmodule.exports = function add (a, b) {\n  return a + b;\n};\n"),
            ("test/.keep", ""),
        ],
    );
    let (prompt, stderr) = prompt_for(&project, "lib/add.cjs", 3).await;
    assert!(stderr.contains("generating tests for `add` in test/add.test.cjs"), "{stderr}");
    assert_eq!(import_lines(&prompt), ["const add = require('../lib/add.cjs');"]);
}

#[tokio::test]
async fn a_qunit_suite_that_imports_nothing_gets_no_import() {
    let project = TempProject::new(
        "testgen-import-qunit",
        &[
            ("package.json", r#"{"devDependencies": {"qunit": "2"}}"#),
            ("src/core/trim.js", "import { jQuery } from \"../core.js\";\n\njQuery.trim = function( text ) {\n\treturn text.trim();\n};\n"),
            ("test/core.js", "QUnit.module( \"core\" );\n\nQUnit.test( \"jQuery()\", function( assert ) {\n\tassert.ok( jQuery );\n} );\n"),
        ],
    );
    let (prompt, stderr) = prompt_for(&project, "src/core/trim.js", 3).await;
    assert!(stderr.contains("(QUnit)"), "{stderr}");
    assert!(import_lines(&prompt).is_empty(), "{prompt}");
    assert!(prompt.contains("The existing QUnit tests import nothing"), "{prompt}");
}
