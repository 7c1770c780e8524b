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
        &["shop/pricing.py", "--function", "net_price", "--verify", "--write", "--json"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("generating tests for `net_price` in tests/test_checkout.py (pytest)"), "{stderr}");
    assert!(stderr.contains("following tests/test_checkout.py, which uses `net_price` once"), "{stderr}");
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).expect("--json prints one JSON object");
    assert_eq!(record["precedent"], "following tests/test_checkout.py, which uses `net_price` once");
    assert_eq!(record["file"], "tests/test_checkout.py");
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

#[tokio::test]
async fn a_module_without_tests_gets_a_new_file_where_the_mirrored_tree_keeps_its_siblings_tests() {
    let project = TempProject::new(
        "testgen-calls-py-mirror",
        &[
            ("pyproject.toml", "[project]\nname = \"shop\"\n"),
            ("shop/__init__.py", ""),
            ("shop/billing/__init__.py", ""),
            ("shop/billing/tax.py", "def vat(amount):\n    return amount * 0.2\n"),
            ("shop/billing/invoice.py", "def invoice_total(lines):\n    return sum(lines)\n"),
            (
                "tests/billing/test_tax.py",
                "from shop.billing.tax import vat\n\n\ndef test_vat():\n    assert vat(10) == 2\n",
            ),
            ("tests/test_shop.py", "import shop\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, &["shop/billing/invoice.py", "--line", "1"]).await;
    assert!(
        stderr.contains("generating tests for `invoice_total` in tests/billing/test_invoice.py (pytest)"),
        "{stderr}"
    );
    let sentence = "following tests/billing/test_tax.py, the test of the sibling module shop/billing/tax.py, for a new file beside it";
    assert!(stderr.contains(sentence), "{stderr}");
    assert!(
        prompt.contains(&format!("Precedent: the tests go where this project already tests this code, {sentence};")),
        "{prompt}"
    );
    assert!(prompt.contains("a new test file tests/billing/test_invoice.py"), "{prompt}");
    assert!(prompt.contains("    from shop.billing.invoice import invoice_total\n"), "{prompt}");
}

#[tokio::test]
async fn typescript_tests_that_import_through_a_path_alias_get_the_alias() {
    let project = TempProject::new(
        "testgen-calls-ts-alias",
        &[
            ("package.json", r#"{"devDependencies": {"vitest": "^3"}}"#),
            // The alias is declared in the base config the project's tsconfig extends.
            ("tsconfig.base.json", "{\n  // shared\n  \"compilerOptions\": {\n    \"baseUrl\": \".\",\n    \"paths\": { \"@/*\": [\"src/*\"], },\n  },\n}\n"),
            ("tsconfig.json", "{ \"extends\": \"./tsconfig.base.json\", \"include\": [\"src\", \"tests\"] }\n"),
            ("src/utils/format.ts", "export function format(n: number): string {\n  return n.toFixed(2);\n}\n"),
            ("src/utils/url.ts", "export function slugify(text: string): string {\n  return text.toLowerCase().replace(/ +/g, '-');\n}\n"),
            (
                "tests/format.test.ts",
                "import { expect, test } from 'vitest';\nimport { format } from '@/utils/format';\n\ntest('format', () => expect(format(1)).toBe('1.00'));\n",
            ),
        ],
    );
    let (prompt, stderr) = plan_of(&project, &["src/utils/url.ts", "--function", "slugify"]).await;
    assert!(stderr.contains("generating tests for `slugify` in tests/url.test.ts (Vitest)"), "{stderr}");
    assert!(
        prompt.contains("Import the code under test with exactly these lines (already present lines stay as they are):\n    import { slugify } from '@/utils/url';\n"),
        "{prompt}"
    );
}

#[tokio::test]
async fn a_workspace_crate_re_exported_by_another_is_tested_where_that_crate_tests_it() {
    let existing = "use calc::number::half;\n\n#[test]\nfn halves() {\n    assert_eq!(half(4), 2);\n}\n\n#[test]\nfn doubles_then_halves() {\n    assert_eq!(half(calc::number::double(3)), 3);\n}\n";
    let project = TempProject::new(
        "testgen-calls-rust-workspace",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncalc-core = { path = \"calc-core\" }\n\n[workspace]\nmembers = [\"calc-core\"]\n",
            ),
            ("src/lib.rs", "pub use calc_core::*;\n"),
            ("calc-core/Cargo.toml", "[package]\nname = \"calc-core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
            ("calc-core/src/lib.rs", "pub mod number;\n"),
            (
                "calc-core/src/number.rs",
                "pub fn double(value: i32) -> i32 {\n    value * 2\n}\n\npub fn half(value: i32) -> i32 {\n    value / 2\n}\n",
            ),
            ("tests/arith.rs", existing),
        ],
    );
    let answer = format!(
        "{existing}\n#[test]\nfn doubles_negative_values() {{\n    assert_eq!(calc::number::double(-2), -4);\n}}\n"
    );
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", Reply::text(format!("```rust\n{answer}```")));
    let output = glm_lsp_e2e::harness::generate_tests_cli(
        &project,
        &mock,
        &["calc-core/src/number.rs", "--function", "double", "--verify", "--write"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("generating tests for `double` in tests/arith.rs (Rust's built-in test harness"),
        "{stderr}"
    );
    assert!(stderr.contains("following tests/arith.rs, which uses `double` once"), "{stderr}");
    let prompt = mock.requests()[0].prompt_text();
    assert!(
        prompt.contains("Import the code under test with exactly these lines (already present lines stay as they are):\n    use calc::number::double;\n"),
        "{prompt}"
    );
    assert!(prompt.contains("an integration test file of the crate `calc`"), "{prompt}");
    assert!(stderr.contains("1 test generated, 1 pass"), "{stderr}");
    assert_eq!(project.read("tests/arith.rs").unwrap(), answer);
}

#[tokio::test]
async fn the_editor_is_told_which_test_file_was_followed() {
    use glm_lsp_e2e::harness::Setup;
    use glm_lsp_e2e::lsp_client::ClientOptions;
    use serde_json::json;

    let existing = "import flask\n\n\ndef test_make_response():\n    assert flask.Flask().make_response(1) == \"1\"\n";
    let project = TempProject::new(
        "testgen-calls-lsp",
        &[
            ("pyproject.toml", "[project]\nname = \"flask\"\n"),
            ("src/flask/__init__.py", "from .app import Flask as Flask\n"),
            ("src/flask/app.py", "class Flask:\n    def make_response(self, value):\n        return str(value)\n"),
            ("tests/test_basic.py", existing),
            ("tests/test_config.py", "import flask\n\n\ndef test_config():\n    assert flask.Flask()\n"),
        ],
    );
    let options = ClientOptions { root: Some(project.dir.clone()), ..ClientOptions::default() };
    let mut setup = Setup::with_options(options).await;
    let answer = format!(
        "{existing}\n\ndef test_make_response_of_text():\n    assert flask.Flask().make_response(\"a\") == \"a\"\n"
    );
    setup.mock.add_rule("Task: write unit tests", Reply::text(format!("```python\n{answer}```")));
    let uri = project.uri("src/flask/app.py");
    setup.client.open(&uri, "python", &project.read("src/flask/app.py").unwrap()).await.unwrap();
    let position = setup.client.position_after(&uri, "return str");
    let actions = setup
        .client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }),
        )
        .await
        .unwrap();
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|action| action["title"] == "GLM: Generate tests for `make_response`")
        .cloned()
        .expect("the action is listed");
    setup.execute_action(&action).await;
    let message = setup.action_progress_end(std::time::Duration::from_secs(120)).await;
    assert_eq!(
        message,
        "1 test generated (not run) in tests/test_basic.py (following tests/test_basic.py, which uses `make_response` once)"
    );
    let shown: Vec<String> = setup
        .client
        .take_notifications("window/showMessage")
        .iter()
        .map(|shown| shown["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(shown, [format!("glm-lsp: {message}")]);
    assert_eq!(setup.client.text(&project.uri("tests/test_basic.py")), answer);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_class_tested_through_the_module_that_re_exports_it_is_imported_from_there() {
    let existing = "import { describe, expect, it } from 'vitest'\nimport { App } from './app'\n\ndescribe('App', () => {\n  it('mounts', () => {\n    expect(new App().mount('/a').routes).toEqual(['/a'])\n  })\n})\n";
    let project = TempProject::new(
        "testgen-calls-ts-reexport",
        &[
            ("package.json", r#"{"devDependencies": {"vitest": "^3"}}"#),
            (
                "src/app-base.ts",
                "export class App {\n  routes: string[] = []\n  mount(path: string): App {\n    this.routes.push(path)\n    return this\n  }\n}\n",
            ),
            ("src/app.ts", "export { App } from './app-base'\n"),
            ("src/app.test.ts", existing),
            ("src/router.test.ts", "import { expect, it } from 'vitest'\n\nit('routes', () => expect(1).toBe(1))\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, &["src/app-base.ts", "--function", "App.mount"]).await;
    assert!(stderr.contains("generating tests for `App.mount` in src/app.test.ts (Vitest)"), "{stderr}");
    assert!(stderr.contains("following src/app.test.ts, which uses `mount` once"), "{stderr}");
    assert!(
        prompt.contains("Import the code under test with exactly these lines (already present lines stay as they are):\n    import { App } from './app'\n"),
        "{prompt}"
    );
}

#[tokio::test]
async fn a_go_function_tested_through_its_caller_gets_its_tests_in_the_callers_test_file() {
    let project = TempProject::new(
        "testgen-calls-go-caller",
        &[
            ("go.mod", "module example.com/render\n\ngo 1.19\n"),
            (
                "text.go",
                "package render\n\ntype String struct{ Data string }\n\nfunc (r String) Render() string {\n\treturn WriteString(r.Data)\n}\n\nfunc WriteString(s string) string {\n\treturn \"[\" + s + \"]\"\n}\n",
            ),
            ("json.go", "package render\n\nfunc JSON(s string) string {\n\treturn s\n}\n"),
            (
                "render_test.go",
                "package render\n\nimport \"testing\"\n\nfunc TestRenderString(t *testing.T) {\n\tif (String{Data: \"a\"}).Render() != \"[a]\" {\n\t\tt.Fatal(\"render\")\n\t}\n}\n",
            ),
            ("json_test.go", "package render\n\nimport \"testing\"\n\nfunc TestJSON(t *testing.T) {\n\t_ = JSON(\"a\")\n}\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, &["text.go", "--function", "WriteString"]).await;
    assert!(stderr.contains("generating tests for `WriteString` in render_test.go"), "{stderr}");
    assert!(
        stderr.contains("following render_test.go, which exercises it through `String.Render`, which calls it"),
        "{stderr}"
    );
    assert!(prompt.contains("Existing tests in render_test.go"), "{prompt}");
    assert!(!project.path("text_test.go").exists());
}

#[tokio::test]
async fn an_item_a_workspace_crate_re_exports_by_name_is_imported_by_that_name() {
    let project = TempProject::new(
        "testgen-calls-rust-named-reexport",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncalc-core = { path = \"calc-core\" }\n\n[workspace]\nmembers = [\"calc-core\"]\n",
            ),
            ("src/lib.rs", "pub use calc_core::number::{double, half};\n"),
            ("calc-core/Cargo.toml", "[package]\nname = \"calc-core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
            ("calc-core/src/lib.rs", "pub mod number;\n"),
            (
                "calc-core/src/number.rs",
                "pub fn double(value: i32) -> i32 {\n    value * 2\n}\n\npub fn half(value: i32) -> i32 {\n    value / 2\n}\n",
            ),
            ("tests/arith.rs", "use calc::half;\n\n#[test]\nfn halves_a_double() {\n    assert_eq!(half(calc::double(3)), 3);\n}\n"),
        ],
    );
    let (prompt, stderr) = plan_of(&project, &["calc-core/src/number.rs", "--function", "double"]).await;
    assert!(stderr.contains("in tests/arith.rs"), "{stderr}");
    assert!(
        prompt.contains("Import the code under test with exactly these lines (already present lines stay as they are):\n    use calc::double;\n"),
        "{prompt}"
    );
}
