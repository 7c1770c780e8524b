//! Test generation through the built binary and the mock GLM server (whose reply is the
//! model's test file or module), on real project folders: the action is listed without the
//! model, the tests land where the project keeps them (a created file, an existing file
//! edited minimally, Rust's `mod tests`), and with `tests.verify` the real runners (pytest,
//! cargo test, go test, node --test) decide which tests stay, while the disk is always put back.

use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

/// An editor in `project`, with `settings` as initializationOptions.
async fn start(project: &TempProject, settings: Value) -> Setup {
    start_with(project, ClientOptions { initialization_options: settings, ..ClientOptions::default() }).await
}

async fn start_with(project: &TempProject, mut options: ClientOptions) -> Setup {
    options.root = Some(project.dir.clone());
    Setup::with_options(options).await
}

fn language_of(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "rs" => "rust",
        "py" => "python",
        "go" => "go",
        "ts" => "typescript",
        _ => "javascript",
    }
}

/// Opens a project file as the editor shows it.
async fn open(setup: &mut Setup, project: &TempProject, path: &str) -> String {
    let uri = project.uri(path);
    let text = project.read(path).expect("the fixture file exists");
    setup.client.open(&uri, language_of(path), &text).await.unwrap();
    uri
}

/// The code actions at the position just after `marker`.
async fn actions_at(setup: &mut Setup, uri: &str, marker: &str) -> Vec<Value> {
    let position = setup.client.position_after(uri, marker);
    setup
        .client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }),
        )
        .await
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn generate_action(actions: &[Value], name: &str) -> Value {
    let title = format!("GLM: Generate tests for `{name}`");
    actions
        .iter()
        .find(|action| action["title"] == title)
        .unwrap_or_else(|| panic!("no {title:?} in {actions:#?}"))
        .clone()
}

/// Picks "Generate tests for `name`" at `marker`, runs it and returns the progress's end
/// message once the job is done.
async fn generate(setup: &mut Setup, uri: &str, marker: &str, name: &str) -> String {
    let actions = actions_at(setup, uri, marker).await;
    let action = generate_action(&actions, name);
    assert_eq!(action["kind"], "source");
    setup.execute_action(&action).await;
    progress_end(setup).await
}

async fn progress_end(setup: &mut Setup) -> String {
    setup.action_progress_end(Duration::from_secs(120)).await
}

/// The messages the server showed, taken so the test checks each.
fn messages(setup: &mut Setup) -> Vec<String> {
    setup
        .client
        .take_notifications("window/showMessage")
        .iter()
        .map(|message| message["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn fenced(language: &str, code: &str) -> Reply {
    Reply::thinking_then(
        "Cover the usual case and the edges.",
        format!("Here are the tests:\n```{language}\n{code}```\n"),
    )
}

/// The first request's prompt (the test-generation request).
fn test_prompt(setup: &Setup) -> String {
    let requests = setup.mock.requests();
    requests
        .iter()
        .find(|request| request.prompt_text().contains("Task: write unit tests"))
        .expect("a test-generation request")
        .prompt_text()
}

fn applied_edits(setup: &Setup) -> Vec<Value> {
    setup
        .client
        .server_requests
        .iter()
        .filter(|request| request["method"] == "workspace/applyEdit")
        .map(|request| request["params"]["edit"].clone())
        .collect()
}

/// Every line of `before` is in `after`, in order and unchanged.
fn keeps_every_line(before: &str, after: &str) {
    let mut after_lines = after.lines();
    for line in before.lines() {
        assert!(after_lines.any(|candidate| candidate == line), "the line {line:?} was changed or lost:\n{after}");
    }
}

const CALC_PY: &str = "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n";

const CALC_TESTS_PY: &str = "from calc import add\n\n\ndef test_adds_small_numbers():\n    assert add(1, 2) == 3\n\n\ndef test_adds_negative_numbers():\n    assert add(-1, -2) == -3\n";

#[tokio::test]
async fn generate_tests_is_listed_for_functions_and_types_without_the_model() {
    let project = TempProject::new("testgen-list", &[
        ("calc.py", "class Stack:\n    def push(self, item):\n        self.items.append(item)\n\n\ndef add(a, b):\n    return a + b\n"),
        ("test_calc.py", "def test_a():\n    assert True\n"),
        ("src/lib.rs", "pub struct Point { x: i32 }\n\nimpl Point {\n    pub fn norm(&self) -> i32 { self.x }\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { assert!(true); }\n}\n"),
    ]);
    let mut setup = start(&project, json!({})).await;
    let calc = open(&mut setup, &project, "calc.py").await;
    let titles = |actions: Vec<Value>| {
        actions.iter().filter_map(|a| a["title"].as_str().map(str::to_string)).collect::<Vec<_>>()
    };
    let in_method = titles(actions_at(&mut setup, &calc, "self.items").await);
    assert!(in_method.contains(&"GLM: Generate tests for `push`".to_string()), "{in_method:?}");
    assert!(in_method.contains(&"GLM: Generate tests for `Stack`".to_string()), "{in_method:?}");
    let in_function = titles(actions_at(&mut setup, &calc, "return a").await);
    assert!(in_function.contains(&"GLM: Generate tests for `add`".to_string()));
    assert!(!in_function.iter().any(|title| title.contains("`Stack`")));
    // Helix sends a one-character range for its cursor.
    let position = setup.client.position_after(&calc, "return a");
    let next = json!({ "line": position["line"], "character": position["character"].as_u64().unwrap() + 1 });
    let helix = setup
        .client
        .request("textDocument/codeAction", json!({ "textDocument": { "uri": calc }, "range": { "start": position, "end": next }, "context": { "diagnostics": [] } }))
        .await
        .unwrap();
    assert!(helix.as_array().unwrap().iter().any(|a| a["title"] == "GLM: Generate tests for `add`"));
    // `only: ["source"]` lists just these.
    let only = setup
        .client
        .request("textDocument/codeAction", json!({ "textDocument": { "uri": calc }, "range": { "start": position, "end": position }, "context": { "diagnostics": [], "only": ["source"] } }))
        .await
        .unwrap();
    assert_eq!(titles(only.as_array().unwrap().clone()), ["GLM: Generate tests for `add`"]);
    // Not in test code.
    let tests = open(&mut setup, &project, "test_calc.py").await;
    assert!(!titles(actions_at(&mut setup, &tests, "assert").await).iter().any(|t| t.contains("Generate tests")));
    let lib = open(&mut setup, &project, "src/lib.rs").await;
    let in_impl = titles(actions_at(&mut setup, &lib, "self.x").await);
    assert!(
        in_impl.contains(&"GLM: Generate tests for `norm`".to_string())
            && in_impl.contains(&"GLM: Generate tests for `Point`".to_string())
    );
    assert!(!titles(actions_at(&mut setup, &lib, "assert!").await).iter().any(|t| t.contains("Generate tests")));
    assert!(setup.mock.requests().is_empty(), "listing never asks the model");
    setup.shutdown().await;
}

#[tokio::test]
async fn python_tests_go_to_the_tests_folder_as_a_created_file() {
    let project = TempProject::new(
        "testgen-py-tests",
        &[("pyproject.toml", "[project]\nname = \"calc\"\n"), ("calc.py", CALC_PY), ("tests/conftest.py", "")],
    );
    let mut setup = start(&project, json!({})).await;
    setup.mock.add_rule("Task: write unit tests", fenced("python", CALC_TESTS_PY));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a +", "add").await;
    assert_eq!(message, "2 tests generated (not run) in tests/test_calc.py");
    assert_eq!(messages(&mut setup), ["glm-lsp: 2 tests generated (not run) in tests/test_calc.py"]);
    // A CreateFile, then the content, in one edit.
    let edit = &applied_edits(&setup)[0];
    let changes = edit["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], "create");
    assert_eq!(changes[0]["uri"], project.uri("tests/test_calc.py"));
    assert!(changes[1]["textDocument"]["version"].is_null());
    let test_uri = project.uri("tests/test_calc.py");
    assert_eq!(setup.client.text(&test_uri), CALC_TESTS_PY);
    setup.client.save_all().await.unwrap();
    assert_eq!(project.read("tests/test_calc.py").unwrap(), CALC_TESTS_PY);
    assert_eq!(project.read("calc.py").unwrap(), CALC_PY, "the source is untouched");
    // The prompt: the function, the exact import, the framework, the destination.
    let prompt = test_prompt(&setup);
    assert!(prompt.contains("def add(a, b):\n    return a + b"), "{prompt}");
    assert!(prompt.contains("    from calc import add\n"));
    assert!(prompt.contains("pytest"));
    assert!(prompt.contains("a new test file tests/test_calc.py"));
    assert_eq!(setup.mock.requests().len(), 1);
    setup.shutdown().await;
}

#[tokio::test]
async fn python_without_a_tests_folder_verified_by_pytest_keeps_only_the_passing_test() {
    let project = TempProject::new("testgen-py-verify", &[("calc.py", CALC_PY)]);
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    let tests = "from calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n\n\ndef test_wrong():\n    assert add(1, 1) == 3\n";
    // The repair round gets the same failing test back: it is dropped after it.
    setup.mock.add_rule("I ran these tests", fenced("python", tests));
    setup.mock.add_rule("Task: write unit tests", fenced("python", tests));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a +", "add").await;
    assert!(message.starts_with("2 tests generated, 1 pass; 1 dropped: test_wrong failed: assert 2 == 3"), "{message}");
    messages(&mut setup);
    let requests = setup.mock.requests();
    let repair = requests.iter().find(|r| r.prompt_text().contains("I ran these tests")).expect("a repair round");
    let repair_prompt = repair.prompt_text();
    assert!(repair_prompt.contains("These tests failed: test_wrong."), "{repair_prompt}");
    assert!(repair_prompt.contains("FAILED test_calc.py::test_wrong"), "the runner's output: {repair_prompt}");
    let test_uri = project.uri("test_calc.py");
    assert_eq!(setup.client.text(&test_uri), "from calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n");
    setup.client.save_all().await.unwrap();
    // The saved file passes on its own.
    let run = std::process::Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calc.py"])
        .current_dir(&project.dir)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
    setup.shutdown().await;
}

#[tokio::test]
async fn python_src_layout_imports_the_package_and_the_test_runs() {
    let project = TempProject::new(
        "testgen-py-src",
        &[
            ("pyproject.toml", "[project]\nname = \"shop\"\n"),
            ("src/shop/__init__.py", ""),
            ("src/shop/cart.py", "def total(prices):\n    return sum(prices)\n"),
            ("tests/__init__.py", ""),
        ],
    );
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    let tests = "from shop.cart import total\n\n\ndef test_total_of_nothing_is_zero():\n    assert total([]) == 0\n\n\ndef test_total_adds_prices():\n    assert total([1, 2]) == 3\n";
    setup.mock.add_rule("Task: write unit tests", fenced("python", tests));
    let uri = open(&mut setup, &project, "src/shop/cart.py").await;
    let message = generate(&mut setup, &uri, "return sum", "total").await;
    assert_eq!(message, "2 tests generated, 2 pass in tests/test_cart.py");
    messages(&mut setup);
    assert!(test_prompt(&setup).contains("    from shop.cart import total\n"));
    assert_eq!(setup.client.text(&project.uri("tests/test_cart.py")), tests);
    // Verification wrote the file for the run and took it away again; the editor created it.
    assert_eq!(project.read("tests/test_cart.py").as_deref(), Some(""));
    setup.shutdown().await;
}

#[tokio::test]
async fn an_existing_unopened_python_test_file_gets_only_the_new_tests() {
    let existing = "import pytest\n\nfrom calc import add, div\n\n\n@pytest.fixture\ndef numbers():\n    return (6, 3)\n\n\ndef test_adds(numbers):\n    assert add(*numbers) == 9\n";
    let project = TempProject::new("testgen-py-existing", &[("calc.py", CALC_PY), ("tests/test_calc.py", existing)]);
    let mut setup = start(&project, json!({})).await;
    let answer = format!("{existing}\n\ndef test_divides(numbers):\n    assert div(*numbers) == 2\n\n\ndef test_divide_by_zero():\n    with pytest.raises(ZeroDivisionError):\n        div(1, 0)\n");
    setup.mock.add_rule("Task: write unit tests", fenced("python", &answer));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a /", "div").await;
    assert_eq!(message, "2 tests generated (not run) in tests/test_calc.py");
    messages(&mut setup);
    let prompt = test_prompt(&setup);
    assert!(prompt.contains("Existing tests in tests/test_calc.py"), "{prompt}");
    assert!(prompt.contains("def numbers():"), "the fixtures are shown");
    // A null-versioned edit of the file as it is on disk, inserting only.
    let edit = &applied_edits(&setup)[0];
    let change = &edit["documentChanges"][0];
    assert!(change["textDocument"]["version"].is_null());
    for text_edit in change["edits"].as_array().unwrap() {
        assert_eq!(text_edit["range"]["start"], text_edit["range"]["end"], "an insertion: {text_edit}");
    }
    let test_uri = project.uri("tests/test_calc.py");
    assert_eq!(setup.client.text(&test_uri), answer);
    keeps_every_line(existing, &setup.client.text(&test_uri));
    setup.shutdown().await;
}

#[tokio::test]
async fn an_answer_that_rewrites_existing_tests_is_repaired() {
    let project = TempProject::new("testgen-py-rewrite", &[("calc.py", CALC_PY), ("test_calc.py", CALC_TESTS_PY)]);
    let mut setup = start(&project, json!({})).await;
    let rewritten = "from calc import add\n\n\ndef test_adds_small_numbers():\n    assert add(2, 2) == 4\n\n\ndef test_adds_zero():\n    assert add(0, 5) == 5\n";
    setup.mock.add_rule("Task: write unit tests", fenced("python", rewritten));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a +", "add").await;
    assert!(message.contains("1 test generated"), "{message}");
    assert!(message.contains("they were kept as they were"), "{message}");
    messages(&mut setup);
    let text = setup.client.text(&project.uri("test_calc.py"));
    assert_eq!(text, format!("{CALC_TESTS_PY}\n\ndef test_adds_zero():\n    assert add(0, 5) == 5\n"));
    setup.shutdown().await;
}

const LIB_RS: &str = "/// Adds two numbers.\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\npub fn clamp(value: i32, low: i32, high: i32) -> i32 {\n    value.max(low).min(high)\n}\n";

fn cargo_project(name: &str, lib: &str) -> TempProject {
    TempProject::new(
        name,
        &[
            ("Cargo.toml", "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n"),
            ("src/lib.rs", lib),
        ],
    )
}

#[tokio::test]
async fn rust_without_tests_gets_a_new_mod_tests_and_cargo_test_keeps_the_passing_one() {
    let project = cargo_project("testgen-rust-new", LIB_RS);
    let mut setup = start(&project, json!({ "tests": { "verify": true, "repairRounds": 0 } })).await;
    let module = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn clamps_into_the_range() {\n        assert_eq!(clamp(15, 0, 10), 10);\n    }\n\n    #[test]\n    fn wrong_expectation() {\n        assert_eq!(clamp(-5, 0, 10), -5);\n    }\n}\n";
    setup.mock.add_rule("Task: write unit tests", fenced("rust", module));
    let uri = open(&mut setup, &project, "src/lib.rs").await;
    let message = generate(&mut setup, &uri, "value.max", "clamp").await;
    assert!(
        message.starts_with(
            "2 tests generated, 1 pass; 1 dropped: wrong_expectation failed: assertion `left == right` failed"
        ),
        "{message}"
    );
    messages(&mut setup);
    let expected = format!("{LIB_RS}\n#[cfg(test)]\nmod tests {{\n    use super::*;\n\n    #[test]\n    fn clamps_into_the_range() {{\n        assert_eq!(clamp(15, 0, 10), 10);\n    }}\n}}\n");
    assert_eq!(setup.client.text(&uri), expected);
    // The run wrote src/lib.rs and put it back: the disk still has the user's text.
    assert_eq!(project.read("src/lib.rs").unwrap(), LIB_RS);
    let edit = &applied_edits(&setup)[0];
    assert_eq!(edit["documentChanges"][0]["textDocument"]["version"], 1, "a versioned edit of the open file");
    let prompt = test_prompt(&setup);
    assert!(prompt.contains("a new `#[cfg(test)]\nmod tests"), "{prompt}");
    assert!(prompt.contains("    use super::*;\n"));
    setup.shutdown().await;
}

#[tokio::test]
async fn rust_with_a_mod_tests_gets_new_tests_inside_it() {
    let existing_module = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(2, 3), 5);\n    }\n}\n";
    let lib = format!("{LIB_RS}\n{existing_module}");
    let project = cargo_project("testgen-rust-existing", &lib);
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    let answer = "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(2, 3), 5);\n    }\n\n    #[test]\n    fn clamps_below() {\n        assert_eq!(clamp(-1, 0, 10), 0);\n    }\n}\n";
    setup.mock.add_rule("Task: write unit tests", fenced("rust", answer));
    let uri = open(&mut setup, &project, "src/lib.rs").await;
    let message = generate(&mut setup, &uri, "value.max", "clamp").await;
    assert_eq!(message, "1 test generated, 1 pass in src/lib.rs");
    messages(&mut setup);
    let text = setup.client.text(&uri);
    assert_eq!(text, format!("{LIB_RS}\n{answer}"));
    keeps_every_line(&lib, &text);
    assert!(test_prompt(&setup).contains("the existing `#[cfg(test)] mod tests` module"));
    assert_eq!(project.read("src/lib.rs").unwrap(), lib);
    setup.shutdown().await;
}

const CALC_GO: &str = "package calc\n\n// Div divides a by b; dividing by zero gives 0.\nfunc Div(a, b int) int {\n\tif b == 0 {\n\t\treturn 0\n\t}\n\treturn a / b\n}\n";

#[tokio::test]
async fn go_tests_go_beside_the_file_and_go_test_judges_them() {
    let project =
        TempProject::new("testgen-go", &[("go.mod", "module example.com/calc\n\ngo 1.19\n"), ("calc.go", CALC_GO)]);
    let mut setup = start(&project, json!({ "tests": { "verify": true, "repairRounds": 0 } })).await;
    let tests = "package calc\n\nimport \"testing\"\n\nfunc TestDiv(t *testing.T) {\n\tcases := []struct{ a, b, want int }{{6, 3, 2}, {1, 0, 0}}\n\tfor _, c := range cases {\n\t\tif got := Div(c.a, c.b); got != c.want {\n\t\t\tt.Errorf(\"Div(%d, %d) = %d, want %d\", c.a, c.b, got, c.want)\n\t\t}\n\t}\n}\n\nfunc TestDivRoundsUp(t *testing.T) {\n\tif got := Div(7, 2); got != 4 {\n\t\tt.Errorf(\"Div(7, 2) = %d, want 4\", got)\n\t}\n}\n";
    setup.mock.add_rule("Task: write unit tests", fenced("go", tests));
    let uri = open(&mut setup, &project, "calc.go").await;
    let message = generate(&mut setup, &uri, "return a /", "Div").await;
    assert!(
        message.starts_with("2 tests generated, 1 pass; 1 dropped: TestDivRoundsUp failed: calc_test.go:"),
        "{message}"
    );
    assert!(message.ends_with("in calc_test.go"));
    messages(&mut setup);
    let text = setup.client.text(&project.uri("calc_test.go"));
    assert!(text.contains("func TestDiv(") && !text.contains("TestDivRoundsUp"), "{text}");
    assert!(test_prompt(&setup).contains("package `calc`"));
    assert_eq!(project.read("calc_test.go").as_deref(), Some(""), "the run's file was taken away");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_existing_go_test_file_open_in_the_editor_gets_a_versioned_insertion() {
    let existing = "package calc\n\nimport \"testing\"\n\nfunc TestDivExact(t *testing.T) {\n\tif Div(6, 3) != 2 {\n\t\tt.Fatal(\"6/3\")\n\t}\n}\n";
    let project = TempProject::new(
        "testgen-go-existing",
        &[("go.mod", "module example.com/calc\n\ngo 1.19\n"), ("calc.go", CALC_GO), ("calc_test.go", existing)],
    );
    let mut setup = start(&project, json!({})).await;
    let answer = format!(
        "{existing}\nfunc TestDivByZero(t *testing.T) {{\n\tif Div(1, 0) != 0 {{\n\t\tt.Fatal(\"1/0\")\n\t}}\n}}\n"
    );
    setup.mock.add_rule("Task: write unit tests", fenced("go", &answer));
    let uri = open(&mut setup, &project, "calc.go").await;
    let test_uri = open(&mut setup, &project, "calc_test.go").await;
    let message = generate(&mut setup, &uri, "return a /", "Div").await;
    assert_eq!(message, "1 test generated (not run) in calc_test.go");
    messages(&mut setup);
    assert_eq!(applied_edits(&setup)[0]["documentChanges"][0]["textDocument"]["version"], 1);
    assert_eq!(setup.client.text(&test_uri), answer);
    keeps_every_line(existing, &setup.client.text(&test_uri));
    setup.shutdown().await;
}

const MATH_TS: &str = "export function add(a: number, b: number): number {\n  return a + b;\n}\n";

#[tokio::test]
async fn typescript_with_vitest_gets_a_test_file_beside_the_module() {
    let project = TempProject::new(
        "testgen-ts-vitest",
        &[("package.json", r#"{"name": "m", "devDependencies": {"vitest": "^3.0.0"}}"#), ("src/math.ts", MATH_TS)],
    );
    let mut setup = start(&project, json!({})).await;
    let tests = "import { describe, expect, it } from 'vitest';\nimport { add } from './math';\n\ndescribe('add', () => {\n  it('adds two numbers', () => {\n    expect(add(1, 2)).toBe(3);\n  });\n});\n";
    setup.mock.add_rule("Task: write unit tests", fenced("typescript", tests));
    let uri = open(&mut setup, &project, "src/math.ts").await;
    let message = generate(&mut setup, &uri, "return a", "add").await;
    assert_eq!(message, "1 test generated (not run) in src/math.test.ts");
    messages(&mut setup);
    let prompt = test_prompt(&setup);
    assert!(prompt.contains("Vitest"), "{prompt}");
    assert!(prompt.contains("    import { add } from './math';\n"));
    assert!(prompt.contains("import { describe, expect, it } from 'vitest';"));
    assert_eq!(setup.client.text(&project.uri("src/math.test.ts")), tests);
    setup.shutdown().await;
}

#[tokio::test]
async fn typescript_with_jest_uses_the_projects_tests_folder_and_an_existing_file() {
    let existing = "import { add } from '../src/math';\n\ntest('adds', () => {\n  expect(add(1, 1)).toBe(2);\n});\n";
    let project = TempProject::new(
        "testgen-ts-jest",
        &[
            ("package.json", r#"{"name": "m", "devDependencies": {"jest": "^29.0.0", "ts-jest": "^29.0.0"}}"#),
            ("src/math.ts", MATH_TS),
            ("__tests__/math.test.ts", existing),
        ],
    );
    let mut setup = start(&project, json!({})).await;
    let answer = format!("{existing}\ntest('adds negative numbers', () => {{\n  expect(add(-1, -1)).toBe(-2);\n}});\n");
    setup.mock.add_rule("Task: write unit tests", fenced("typescript", &answer));
    let uri = open(&mut setup, &project, "src/math.ts").await;
    let message = generate(&mut setup, &uri, "return a", "add").await;
    assert_eq!(message, "1 test generated (not run) in __tests__/math.test.ts");
    messages(&mut setup);
    let prompt = test_prompt(&setup);
    assert!(prompt.contains("Jest"));
    assert!(prompt.contains("    import { add } from '../src/math';\n"), "{prompt}");
    let text = setup.client.text(&project.uri("__tests__/math.test.ts"));
    assert_eq!(text, answer);
    keeps_every_line(existing, &text);
    setup.shutdown().await;
}

#[tokio::test]
async fn javascript_with_node_test_is_verified_by_node() {
    let project = TempProject::new("testgen-node", &[
        ("package.json", r#"{"name": "slug"}"#),
        ("lib/slug.js", "function slug(text) {\n  return text.trim().toLowerCase().replace(/\\s+/g, '-');\n}\n\nmodule.exports = { slug };\n"),
    ]);
    let mut setup = start(&project, json!({ "tests": { "verify": true, "repairRounds": 0 } })).await;
    let tests = "const { describe, it } = require('node:test');\nconst assert = require('node:assert/strict');\nconst { slug } = require('./slug');\n\ndescribe('slug', () => {\n  it('joins words with dashes', () => {\n    assert.equal(slug(' Hello World '), 'hello-world');\n  });\n\n  it('keeps underscores', () => {\n    assert.equal(slug('a_b'), 'a-b');\n  });\n});\n";
    setup.mock.add_rule("Task: write unit tests", fenced("javascript", tests));
    let uri = open(&mut setup, &project, "lib/slug.js").await;
    let message = generate(&mut setup, &uri, "return text", "slug").await;
    assert!(message.starts_with("2 tests generated, 1 pass; 1 dropped: keeps underscores failed:"), "{message}");
    messages(&mut setup);
    assert!(test_prompt(&setup).contains("    const { slug } = require('./slug');\n"));
    let text = setup.client.text(&project.uri("lib/slug.test.js"));
    assert!(text.contains("joins words with dashes") && !text.contains("keeps underscores"), "{text}");
    setup.shutdown().await;
}

#[tokio::test]
async fn cancelling_during_the_run_changes_nothing_on_disk_or_in_the_editor() {
    let project = TempProject::new("testgen-cancel", &[("calc.py", CALC_PY)]);
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    // The test outlives the cancel; a process it started would write late.txt after 2 s.
    let tests = "import subprocess\nimport time\nfrom calc import add\n\n\ndef test_slow():\n    subprocess.Popen(['sh', '-c', 'sleep 2; echo late > late.txt'])\n    time.sleep(60)\n    assert add(1, 2) == 3\n";
    setup.mock.add_rule("Task: write unit tests", fenced("python", tests));
    let uri = open(&mut setup, &project, "calc.py").await;
    let action = generate_action(&actions_at(&mut setup, &uri, "return a +").await, "add");
    setup
        .client
        .request(
            "workspace/executeCommand",
            json!({ "command": action["command"]["command"], "arguments": action["command"]["arguments"] }),
        )
        .await
        .unwrap();
    let token = loop {
        let progress = setup.client.expect_notification("$/progress", Duration::from_secs(30)).await.unwrap();
        if progress["value"]["message"].as_str().is_some_and(|message| message.starts_with("running 1 test")) {
            break progress["token"].clone();
        }
    };
    assert!(token.as_str().unwrap().starts_with("glm-lsp/tests/"));
    // The candidate is on disk while it runs.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(project.read("test_calc.py").is_some_and(|text| text.contains("test_slow")));
    setup.client.notify("window/workDoneProgress/cancel", json!({ "token": token })).await.unwrap();
    assert_eq!(progress_end(&mut setup).await, "cancelled; nothing was changed");
    assert_eq!(project.read("test_calc.py"), None, "the candidate was removed");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(project.read("late.txt"), None, "the test's processes were killed");
    assert!(applied_edits(&setup).is_empty());
    assert_eq!(project.files(), ["calc.py"]);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_workspace_file_cannot_turn_on_verification_or_set_the_command() {
    let project = TempProject::new(
        "testgen-untrusted",
        &[("glm-lsp.toml", "[tests]\nverify = true\ncommand = \"touch pwned\"\n"), ("calc.py", CALC_PY)],
    );
    let mut setup = start(&project, json!({})).await;
    setup.mock.add_rule("Task: write unit tests", fenced("python", CALC_TESTS_PY));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a +", "add").await;
    assert_eq!(message, "2 tests generated (not run) in test_calc.py");
    let shown = messages(&mut setup);
    for key in ["tests.verify", "tests.command"] {
        assert!(
            shown.iter().any(|m| m.contains(&format!("setting `{key}`")) && m.contains("may not set this")),
            "{shown:?}"
        );
    }
    assert_eq!(project.read("pwned"), None, "no command ran");
    setup.shutdown().await;
}

#[tokio::test]
async fn an_editor_that_cannot_create_files_is_told_why_and_nothing_is_written() {
    let project = TempProject::new("testgen-no-create", &[("calc.py", CALC_PY)]);
    let mut setup =
        start_with(&project, ClientOptions { resource_operations: vec![], ..ClientOptions::default() }).await;
    setup.mock.add_rule("Task: write unit tests", fenced("python", CALC_TESTS_PY));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a +", "add").await;
    assert!(message.contains("does not let language servers create files"), "{message}");
    assert!(message.contains("test_calc.py"));
    assert_eq!(messages(&mut setup).len(), 1);
    assert!(applied_edits(&setup).is_empty());
    assert_eq!(project.files(), ["calc.py"]);
    setup.shutdown().await;
}

#[tokio::test]
async fn the_generate_tests_command_works_at_a_position() {
    let project = TempProject::new("testgen-command", &[("calc.py", CALC_PY)]);
    let mut setup = start(&project, json!({})).await;
    setup.mock.add_rule(
        "Task: write unit tests",
        fenced("python", "from calc import div\n\n\ndef test_div():\n    assert div(6, 3) == 2\n"),
    );
    let uri = open(&mut setup, &project, "calc.py").await;
    let position = setup.client.position_after(&uri, "return a /");
    let result = setup
        .client
        .request("workspace/executeCommand", json!({ "command": "glm-lsp.generateTests", "arguments": [{ "textDocument": { "uri": uri }, "position": position }] }))
        .await
        .unwrap();
    assert!(result.is_null());
    assert_eq!(progress_end(&mut setup).await, "1 test generated (not run) in test_calc.py");
    messages(&mut setup);
    assert!(test_prompt(&setup).contains("the function `div`"));
    // Outside any function: a clear error, nothing started.
    let error = setup
        .client
        .request("workspace/executeCommand", json!({ "command": "glm-lsp.generateTests", "arguments": [{ "textDocument": { "uri": uri }, "position": { "line": 2, "character": 0 } }] }))
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("no function, method or type to test at line 3"), "{error:#}");
    let capabilities = &setup.client.initialize_result["capabilities"];
    assert!(capabilities["executeCommandProvider"]["commands"]
        .as_array()
        .unwrap()
        .contains(&json!("glm-lsp.generateTests")));
    setup.shutdown().await;
}

#[tokio::test]
async fn resolve_fills_the_create_file_edit() {
    let project = TempProject::new("testgen-resolve", &[("calc.py", CALC_PY), ("tests/conftest.py", "")]);
    let mut setup = start(&project, json!({ "actions": { "resolve": true } })).await;
    setup.mock.add_rule("Task: write unit tests", fenced("python", CALC_TESTS_PY));
    let uri = open(&mut setup, &project, "calc.py").await;
    let action = generate_action(&actions_at(&mut setup, &uri, "return a +").await, "add");
    assert!(action["command"].is_null(), "the resolve path has no command");
    let resolved = setup.client.request("codeAction/resolve", action).await.unwrap();
    let changes = resolved["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], "create");
    assert_eq!(changes[1]["edits"][0]["newText"], CALC_TESTS_PY);
    setup.client.apply_workspace_edit(&resolved["edit"]).await.unwrap();
    setup.client.save_all().await.unwrap();
    assert_eq!(project.read("tests/test_calc.py").unwrap(), CALC_TESTS_PY);
    setup.shutdown().await;
}

/// Runs `glm-lsp generate-tests ARGS` in `project` against the mock, as CI would.
async fn cli(project: &TempProject, mock: &glm_lsp_e2e::mock_glm::MockGlm, args: &[&str]) -> (i32, String, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn git(project: &TempProject, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args(["-c", "user.name=glm-lsp", "-c", "user.email=glm-lsp@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(&project.dir)
        .output()
        .unwrap()
}

/// The files the editor path leaves (after `:wall`) for the same fixture and answer.
async fn editor_result(
    name: &str,
    files: &[(&str, &str)],
    source: &str,
    marker: &str,
    target: &str,
    reply: Reply,
) -> TempProject {
    let project = TempProject::new(name, files);
    let mut setup = start(&project, json!({})).await;
    setup.mock.add_rule("Task: write unit tests", reply);
    let uri = open(&mut setup, &project, source).await;
    generate(&mut setup, &uri, marker, target).await;
    messages(&mut setup);
    setup.client.save_all().await.unwrap();
    setup.shutdown().await;
    project
}

#[tokio::test]
async fn the_cli_prints_a_diff_git_applies_and_writes_what_the_editor_writes() {
    let existing = "from calc import add\n\n\ndef test_adds():\n    assert add(1, 2) == 3\n";
    let answer = format!("{existing}\n\ndef test_adds_zero():\n    assert add(0, 0) == 0\n");
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str, &'a str, &'a str, String);
    let cases: Vec<Case> = vec![
        // A new file in tests/.
        (
            "new",
            vec![("calc.py", CALC_PY), ("tests/conftest.py", "")],
            "calc.py",
            "return a +",
            "add",
            "tests/test_calc.py",
            CALC_TESTS_PY.to_string(),
        ),
        // An existing test file.
        (
            "existing",
            vec![("calc.py", CALC_PY), ("test_calc.py", existing)],
            "calc.py",
            "return a +",
            "add",
            "test_calc.py",
            answer.clone(),
        ),
    ];
    for (label, files, source, marker, target, test_file, reply_text) in cases {
        let project = TempProject::new(&format!("testgen-cli-{label}"), &files);
        assert!(git(&project, &["init", "-q"]).status.success());
        git(&project, &["add", "-A"]);
        assert!(git(&project, &["commit", "-qm", "fixture"]).status.success());
        let mock = glm_lsp_e2e::mock_glm::MockGlm::start().await;
        mock.add_rule("Task: write unit tests", fenced("python", &reply_text));
        let line = CALC_PY.lines().position(|text| text.contains(marker)).unwrap() + 1;
        let (code, diff, stderr) = cli(&project, &mock, &[source, "--line", &line.to_string()]).await;
        assert_eq!(code, 0, "{label}: {stderr}");
        assert!(stderr.contains("generating tests for `add`"), "{stderr}");
        assert!(diff.contains(&format!("+++ b/{test_file}")), "{diff}");
        if label == "new" {
            assert!(diff.contains("--- /dev/null"), "{diff}");
        }
        // Printing changes nothing; git accepts the patch on the clean checkout.
        assert!(git(&project, &["status", "--porcelain"]).stdout.is_empty());
        let patch = project.path(".patch");
        std::fs::write(&patch, format!("{diff}\n")).unwrap();
        let check = git(&project, &["apply", "--check", ".patch"]);
        assert!(
            check.status.success(),
            "{label}: git apply --check: {}\n{diff}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert!(git(&project, &["apply", ".patch"]).status.success());
        let applied = project.read(test_file).unwrap();
        git(&project, &["checkout", "-q", "--", "."]);
        git(&project, &["clean", "-qfd", "--exclude=.patch"]);
        // --write writes the same, which is what the editor path saves.
        let (code, _, stderr) = cli(&project, &mock, &[source, "--function", target, "--write"]).await;
        assert_eq!(code, 0, "{stderr}");
        let written = project.read(test_file).unwrap();
        assert_eq!(written, applied);
        let editor = editor_result(
            &format!("testgen-cli-editor-{label}"),
            &files,
            source,
            marker,
            target,
            fenced("python", &reply_text),
        )
        .await;
        assert_eq!(editor.read(test_file).unwrap(), written, "{label}: the editor and the command line agree");
    }
}

#[tokio::test]
async fn the_cli_verifies_with_the_real_runner_and_reports_json() {
    let project = TempProject::new("testgen-cli-verify", &[("calc.py", CALC_PY)]);
    let mock = glm_lsp_e2e::mock_glm::MockGlm::start().await;
    let tests = "from calc import div\n\n\ndef test_divides():\n    assert div(6, 3) == 2\n\n\ndef test_floor():\n    assert div(7, 2) == 3\n";
    mock.add_rule("I ran these tests", fenced("python", tests));
    mock.add_rule("Task: write unit tests", fenced("python", tests));
    let (code, stdout, stderr) = cli(&project, &mock, &["calc.py", "--function", "div", "--verify", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("running 2 tests…"), "progress on stderr: {stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["file"], "test_calc.py");
    assert_eq!(report["created"], true);
    assert_eq!(
        report["tests"][0],
        json!({"name": "test_divides", "status": "passed", "reason": null, "dropped_because": null, "built": true,
               "runs_passed": 3, "runs": 3, "lines_covered_added": null, "coverage_not_measured": null})
    );
    assert_eq!(report["tests"][1]["status"], "dropped");
    assert!(report["tests"][1]["reason"].as_str().unwrap().contains("assert 3.5 == 3"), "{report}");
    assert!(!report["content"].as_str().unwrap().contains("test_floor"));
    assert_eq!(project.files(), ["calc.py"], "verification left nothing behind");
    // Every test failing: a non-zero exit with the reason, nothing written.
    let failing = "from calc import div\n\n\ndef test_floor():\n    assert div(7, 2) == 3\n";
    let mock = glm_lsp_e2e::mock_glm::MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced("python", failing));
    let (code, stdout, stderr) = cli(
        &project,
        &mock,
        &[
            "calc.py",
            "--line",
            "6",
            "--verify",
            "--write",
            "--test-command",
            "python3 -m pytest -rA -p no:cacheprovider {file}",
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert!(stdout.is_empty());
    assert!(stderr.contains("every generated test failed, so none were kept: test_floor failed"), "{stderr}");
    assert_eq!(project.files(), ["calc.py"]);
}

#[tokio::test]
async fn the_cli_explains_bad_requests() {
    let project = TempProject::new("testgen-cli-errors", &[("calc.py", CALC_PY)]);
    let mock = glm_lsp_e2e::mock_glm::MockGlm::start().await;
    let (code, _, stderr) = cli(&project, &mock, &["calc.py", "--line", "3"]).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("no function, method or type at"), "{stderr}");
    let (code, _, stderr) = cli(&project, &mock, &["calc.py", "--function", "mul"]).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("no function, method or type named `mul`"), "{stderr}");
    let (code, _, stderr) = cli(&project, &mock, &["calc.py"]).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("--line") || stderr.contains("--function"), "{stderr}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn a_missing_runner_leaves_the_tests_unverified_and_says_what_to_install() {
    // Vitest is named in package.json but not installed: npx is never asked to fetch it.
    let project = TempProject::new(
        "testgen-no-vitest",
        &[("package.json", r#"{"name": "m", "devDependencies": {"vitest": "^3.0.0"}}"#), ("src/math.ts", MATH_TS)],
    );
    let mut setup = start(&project, json!({ "tests": { "verify": true } })).await;
    let tests = "import { expect, it } from 'vitest';\nimport { add } from './math';\n\nit('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\n";
    setup.mock.add_rule("Task: write unit tests", fenced("typescript", tests));
    let uri = open(&mut setup, &project, "src/math.ts").await;
    let message = generate(&mut setup, &uri, "return a", "add").await;
    assert_eq!(message, "1 test generated (not run: vitest is not installed (no node_modules/.bin/vitest; run npm install)) in src/math.test.ts");
    messages(&mut setup);
    assert_eq!(setup.mock.requests().len(), 1, "no repair round for a missing runner");
    setup.shutdown().await;

    // The user's own command, not found by the shell.
    let project = TempProject::new("testgen-no-command", &[("calc.py", CALC_PY)]);
    let mut setup =
        start(&project, json!({ "tests": { "verify": true, "command": "no-such-test-runner {file}" } })).await;
    setup.mock.add_rule("Task: write unit tests", fenced("python", CALC_TESTS_PY));
    let uri = open(&mut setup, &project, "calc.py").await;
    let message = generate(&mut setup, &uri, "return a +", "add").await;
    assert!(message.starts_with("2 tests generated (not run: the test command is not installed"), "{message}");
    messages(&mut setup);
    assert_eq!(setup.mock.requests().len(), 1);
    assert_eq!(project.files(), ["calc.py", "test_calc.py"]);
    assert_eq!(project.read("test_calc.py").as_deref(), Some(""), "only the editor's new, unsaved file");
    setup.shutdown().await;
}
