//! Precedent by what the existing tests import and call (issue 20, items 1 and 4): the test
//! file that already exercises the code under test receives the new tests, whatever its name,
//! the import is written as that file writes it (an alias, a path alias, a re-exporting
//! crate), and the prompt and the command's output say which file was followed.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

/// Runs `generate-tests` with a placeholder answer: the prompt the mock received, stderr.
async fn plan_of(project: &TempProject, args: &[&str]) -> (String, String) {
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text("```text\nplaceholder\n```"));
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, &mock, args).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{stderr}");
    (requests[0].prompt_text(), stderr)
}

#[tokio::test]
async fn the_only_test_file_that_imports_the_module_with_an_alias_receives_the_tests() {
    let existing = "import shop.pricing as pr\n\n\ndef test_net_price():\n    assert pr.net_price(10, 0) == 10\n";
    let project = TempProject::new(
        "testgen-calls-py-alias",
        &[
            ("pyproject.toml", "[project]\nname = \"shop\"\n\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n"),
            ("shop/__init__.py", ""),
            (
                "shop/pricing.py",
                "def net_price(price, discount):\n    return price - discount\n\n\ndef gross_price(price, tax):\n    return net_price(price, 0) + tax\n",
            ),
            // Named after nothing in particular: found by what it calls.
            ("tests/test_checkout.py", existing),
            ("tests/test_cart.py", "import shop\n\n\ndef test_cart():\n    assert shop\n"),
        ],
    );
    let answer = format!("{existing}\n\ndef test_net_price_with_discount():\n    assert pr.net_price(10, 3) == 7\n");
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text(format!("```python\n{answer}```")));
    let output = glm_lsp_e2e::harness::generate_tests_cli(
        &project,
        &mock,
        &["shop/pricing.py", "--function", "net_price", "--verify", "--write"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("generating tests for `net_price` in tests/test_checkout.py (pytest)"), "{stderr}");
    assert!(stderr.contains("following tests/test_checkout.py, which uses `net_price` once"), "{stderr}");
    let prompt = mock.requests()[0].prompt_text();
    assert!(
        prompt.contains("Precedent: the tests go where this project already tests this code, following tests/test_checkout.py, which uses `net_price` once; write them the way that file does.\n"),
        "{prompt}"
    );
    assert!(prompt.contains("Existing tests in tests/test_checkout.py"), "{prompt}");
    assert!(
        prompt.contains("Import the code under test with exactly these lines (already present lines stay as they are):\n    import shop.pricing as pr\n"),
        "{prompt}"
    );
    assert!(prompt.contains("call it as `pr.net_price`"), "{prompt}");
    assert!(stderr.contains("1 test generated, 1 pass"), "{stderr}");
    assert_eq!(project.read("tests/test_checkout.py").unwrap(), answer);
    assert!(!project.path("tests/test_pricing.py").exists());
}
