//! Targets by line and by name through `glm-lsp generate-tests` (issue 20, item 3): a line
//! anywhere in a definition's whole statement — `export`, decorators, attributes, doc
//! comments, `const f =`, `exports.f =`, `module.exports = …`, object properties — targets
//! that definition, and `--function` finds the same one. Asserted on the prompt the mock
//! model received: the code under test it names and shows.

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};

async fn cli(project: &TempProject, mock: &MockGlm, args: &[&str]) -> (i32, String, String) {
    let output = glm_lsp_e2e::harness::generate_tests_cli(project, mock, args).await;
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// One kind of definition: the file, the line to put the cursor on (the first line containing
/// `marker`), the name the prompt must give and a line of its body the prompt must show.
struct Case {
    file: &'static str,
    source: &'static str,
    marker: &'static str,
    name: &'static str,
    body: &'static str,
}

const CASES: &[Case] = &[
    Case {
        file: "src/add.ts",
        source: "import { log } from './log';\n\n/**\n * Adds one.\n */\nexport function addOne(a: number): number {\n  return a + 1;\n}\n",
        marker: "export function addOne",
        name: "addOne",
        body: "return a + 1;",
    },
    Case {
        file: "src/add.ts",
        source: "/**\n * Adds one.\n */\nexport function addOne(a: number): number {\n  return a + 1;\n}\n",
        marker: "* Adds one.",
        name: "addOne",
        body: "return a + 1;",
    },
    Case {
        file: "src/double.ts",
        source: "export const double = (a: number): number =>\n  a * 2;\n",
        marker: "export const double",
        name: "double",
        body: "a * 2;",
    },
    Case {
        file: "lib/half.js",
        source: "'use strict';\n\nconst half = function (a) {\n  return a / 2;\n};\n\nmodule.exports = { half };\n",
        marker: "const half",
        name: "half",
        body: "return a / 2;",
    },
    Case {
        file: "lib/triple.js",
        source: "exports.triple = (a) =>\n  a * 3;\n",
        marker: "exports.triple",
        name: "triple",
        body: "a * 3;",
    },
    Case {
        file: "lib/slug.js",
        source: "'use strict';\n\nmodule.exports = function slug (s) {\n  return s.trim().toLowerCase();\n};\n",
        marker: "module.exports = function slug",
        name: "slug",
        body: "return s.trim().toLowerCase();",
    },
    Case {
        file: "lib/text.js",
        source: "module.exports = {\n  upper: function (s) {\n    return s.toUpperCase();\n  },\n  lower (s) {\n    return s.toLowerCase();\n  }\n};\n",
        marker: "upper: function",
        name: "upper",
        body: "return s.toUpperCase();",
    },
    Case {
        file: "lib/core.js",
        source: "var jQuery = {};\n\njQuery.trim = function (text) {\n  return text.trim();\n};\n",
        marker: "jQuery.trim =",
        name: "jQuery.trim",
        body: "return text.trim();",
    },
    Case {
        file: "app.py",
        source: "import functools\n\n\n@functools.lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        marker: "@functools",
        name: "fib",
        body: "return n if n < 2",
    },
    Case {
        file: "src/lib.rs",
        source: "/// Adds one.\n#[inline]\n#[must_use]\npub fn add_one(a: i32) -> i32 {\n    a + 1\n}\n",
        marker: "#[must_use]",
        name: "add_one",
        body: "a + 1",
    },
    Case {
        file: "src/lib.rs",
        source: "/// Adds one.\n#[inline]\npub fn add_one(a: i32) -> i32 {\n    a + 1\n}\n",
        marker: "/// Adds one.",
        name: "add_one",
        body: "a + 1",
    },
    Case {
        file: "calc/calc.go",
        source: "package calc\n\n// Add adds two numbers.\n// It never overflows in tests.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n",
        marker: "It never overflows",
        name: "Add",
        body: "return a + b",
    },
    Case {
        file: "src/main/java/calc/Calc.java",
        source: "package calc;\n\npublic class Calc {\n    /** Adds. */\n    @Deprecated\n    public int add(int a, int b) {\n        return a + b;\n    }\n}\n",
        marker: "@Deprecated",
        name: "Calc.add",
        body: "return a + b;",
    },
];

#[tokio::test]
async fn every_kind_of_definition_is_targeted_from_any_line_of_its_statement_and_by_name() {
    for (index, case) in CASES.iter().enumerate() {
        let mut files = vec![(case.file, case.source)];
        if case.file.ends_with(".rs") {
            files.push(("Cargo.toml", "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"));
        }
        if case.file.ends_with(".go") {
            files.push(("go.mod", "module example.com/calc\n\ngo 1.21\n"));
        }
        let project = TempProject::new(&format!("testgen-target-{index}"), &files);
        let mock = MockGlm::start().await;
        mock.add_rule("Task: write unit tests", Reply::text("```text\nplaceholder\n```"));
        let line = case.source.lines().position(|text| text.contains(case.marker)).unwrap() + 1;
        let by_line = cli(&project, &mock, &[case.file, "--line", &line.to_string()]).await;
        let by_name = cli(&project, &mock, &[case.file, "--function", case.name]).await;
        for (how, (_, _, stderr)) in [("--line", by_line), ("--function", by_name)] {
            assert!(
                stderr.contains(&format!("generating tests for `{}`", case.name)),
                "{} {how} (line {line}): {stderr}",
                case.file
            );
        }
        let requests = mock.requests();
        assert_eq!(requests.len(), 2, "{}", case.file);
        for request in requests {
            let prompt = request.prompt_text();
            assert!(prompt.contains("Task: write unit tests for"), "{prompt}");
            assert!(prompt.contains(&format!("`{}`", case.name)), "{}: {prompt}", case.file);
            assert!(prompt.contains(case.body), "{}: the prompt shows the definition: {prompt}", case.file);
        }
    }
}

#[tokio::test]
async fn a_comment_apart_from_any_definition_targets_nothing() {
    let source = "// Notes about this file.\n\npub fn add_one(a: i32) -> i32 {\n    a + 1\n}\n";
    let project = TempProject::new(
        "testgen-target-none",
        &[("src/lib.rs", source), ("Cargo.toml", "[package]\nname = \"calc\"\nversion = \"0.1.0\"\n")],
    );
    let mock = MockGlm::start().await;
    let (code, _, stderr) = cli(&project, &mock, &["src/lib.rs", "--line", "1"]).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("no function, method or type at"), "{stderr}");
    assert!(mock.requests().is_empty());
}
