//! An existing test file named after the module is found wherever the package keeps its tests
//! (issue 20, item 1, first part): a subfolder of `test/`, another extension (`.spec.cjs` for a
//! `.js` module), another case (`tween.js` for `Tween.js`); fixtures that share the name are
//! not tests. The new tests are appended there, imported as that file imports.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

async fn plan_of(project: &TempProject, file: &str, line: usize) -> (String, String) {
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text("```javascript\nplaceholder\n```"));
    let output = tokio::process::Command::new(glm_lsp_e2e::lsp_client::server_binary())
        .args(["generate-tests", file, "--line", &line.to_string()])
        .current_dir(&project.dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", project.dir.join(".no-config"))
        .env("GLM_BASE_URL", mock.base_url())
        .env("GLM_API_KEY", glm_lsp_e2e::harness::TEST_KEY)
        .output()
        .await
        .unwrap();
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
