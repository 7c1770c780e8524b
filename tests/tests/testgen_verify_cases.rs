//! `--verify` judges a parametrized test by its cases, as the runner reports them (issue 20,
//! item 5): real pytest reports `test_x[1-2-3]`, real `node --test` reports each title a
//! template string fills in; the test is kept when every case passes and dropped, naming the
//! failing case, when one fails — never called "did not run".

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::Value;

const CALC_PY: &str = "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n";

const ANSWER: &str = "import pytest\n\nfrom calc import add, div\n\n\n@pytest.mark.parametrize(\"a, b, total\", [(1, 2, 3), (0, 0, 0), (-1, 1, 0)])\ndef test_adds(a, b, total):\n    assert add(a, b) == total\n\n\n@pytest.mark.parametrize(\"a, b\", [(4, 2), (1, 0)])\ndef test_divides(a, b):\n    assert div(a, b) > 0\n\n\ndef test_adds_zero():\n    assert add(0, 5) == 5\n";

async fn cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> (i32, String, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fenced(code: &str) -> Reply {
    Reply::text(format!("```python\n{code}```"))
}

#[tokio::test]
async fn parametrized_pytest_tests_are_kept_when_every_case_passes() {
    let project = TempProject::new(
        "testgen-verify-parametrized",
        &[("pyproject.toml", "[project]\nname = \"calc\"\n"), ("calc.py", CALC_PY), ("tests/conftest.py", "")],
    );
    let mock = MockGlm::start().await;
    mock.add_rule("I ran these tests", fenced(ANSWER));
    mock.add_rule("Task: write unit tests", fenced(ANSWER));
    let (code, stdout, stderr) =
        cli(&project, &mock, &["calc.py", "--line", "1", "--verify", "--json", "--write"]).await;
    assert_eq!(code, 0, "{stderr}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let statuses: Vec<(String, String)> = result["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| (test["name"].as_str().unwrap().to_string(), test["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("test_adds".to_string(), "passed".to_string()),
            ("test_adds_zero".to_string(), "passed".to_string()),
            ("test_divides".to_string(), "dropped".to_string())
        ],
        "{stdout}"
    );
    let reason = result["tests"][2]["reason"].as_str().unwrap();
    assert!(reason.starts_with("test_divides[1-0]: ") && reason.contains("ZeroDivisionError"), "{reason}");
    // The repair round was about the failing case's test alone.
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    let repair = requests[1].prompt_text();
    assert!(repair.contains("These tests failed: test_divides."), "{repair}");
    // What is on disk keeps the parametrized test whose cases all passed.
    let written = project.read("tests/test_calc.py").unwrap();
    assert!(
        written.contains("@pytest.mark.parametrize(\"a, b, total\"") && written.contains("def test_adds(a, b, total):")
    );
    assert!(!written.contains("def test_divides"), "{written}");
}

#[tokio::test]
async fn a_collection_error_is_reported_by_its_error_line() {
    let project = TempProject::new(
        "testgen-verify-collection",
        &[("pyproject.toml", "[project]\nname = \"calc\"\n"), ("calc.py", CALC_PY), ("tests/conftest.py", "")],
    );
    let answer = "from calc import add, subtract\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n";
    let mock = MockGlm::start().await;
    mock.add_rule("I ran these tests", fenced(answer));
    mock.add_rule("Task: write unit tests", fenced(answer));
    let (code, _, stderr) = cli(&project, &mock, &["calc.py", "--function", "add", "--verify"]).await;
    assert_ne!(code, 0);
    let repair = mock.requests()[1].prompt_text();
    assert!(
        repair.contains("They do not compile or cannot be collected: ImportError: cannot import name 'subtract'"),
        "{repair}"
    );
    assert!(
        stderr.contains(
            "cannot be collected, so they were dropped: ImportError: cannot import name 'subtract' from 'calc'"
        ),
        "{stderr}"
    );
}

#[tokio::test]
async fn table_driven_node_tests_with_template_titles_are_selected_and_kept_by_their_cases() {
    let slug = "function slug(text) {\n  return text.trim().toLowerCase().replace(/\\s+/g, '-');\n}\n\nmodule.exports = { slug };\n";
    // An existing test file: the new tests are selected by name, so the title pattern must
    // reach the filled-in titles inside the describe block.
    let existing = "const { describe, it } = require('node:test');\nconst assert = require('node:assert/strict');\nconst { slug } = require('./slug');\n\ndescribe('slug', () => {\n  it('is a function', () => {\n    assert.equal(typeof slug, 'function');\n  });\n});\n";
    let answer = "const { describe, it } = require('node:test');\nconst assert = require('node:assert/strict');\nconst { slug } = require('./slug');\n\ndescribe('slug', () => {\n  it('is a function', () => {\n    assert.equal(typeof slug, 'function');\n  });\n\n  for (const [input, want] of [[' Hello World ', 'hello-world'], ['a  b', 'a-b']]) {\n    it(`slugs ${input}`, () => {\n      assert.equal(slug(input), want);\n    });\n  }\n\n  for (const input of ['a_b', 'x']) {\n    it(`replaces underscores in ${input}`, () => {\n      assert.equal(slug(input), input.replace('_', '-'));\n    });\n  }\n});\n";
    let project = TempProject::new(
        "testgen-verify-node-cases",
        &[("package.json", r#"{"name": "slug"}"#), ("lib/slug.js", slug), ("lib/slug.test.js", existing)],
    );
    let mock = MockGlm::start().await;
    mock.add_rule("I ran these tests", Reply::text(format!("```javascript\n{answer}```")));
    mock.add_rule("Task: write unit tests", Reply::text(format!("```javascript\n{answer}```")));
    let (code, stdout, stderr) =
        cli(&project, &mock, &["lib/slug.js", "--function", "slug", "--verify", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let statuses: Vec<(String, String)> = result["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| (test["name"].as_str().unwrap().to_string(), test["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("slugs ${input}".to_string(), "passed".to_string()),
            ("replaces underscores in ${input}".to_string(), "dropped".to_string())
        ],
        "{stdout}"
    );
    let reason = result["tests"][1]["reason"].as_str().unwrap();
    assert!(reason.starts_with("slug replaces underscores in a_b: "), "{reason}");
    let content = result["content"].as_str().unwrap();
    assert!(content.contains("it(`slugs ${input}`") && !content.contains("replaces underscores"), "{content}");
}
