//! The answer as models really write it: every style × cursor situation × language, through
//! the built binary, checking the text the user sees after accepting the completion.
//!
//! A style is a way of writing the same code (with a leading line break, fenced, already
//! indented, echoing the line before, …); a situation is where the cursor is (an empty
//! indented line, the middle of a block, after `=`, inside a call). Every style must insert
//! exactly the same text.

use glm_lsp_e2e::harness::{split_cursor, Setup};
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::json;

/// Where the cursor is, and what a correct completion inserts there.
struct Situation {
    language_id: &'static str,
    extension: &'static str,
    /// The fence tags a model uses for the language: the full name and a short one.
    tags: [&'static str; 2],
    /// The document with a `$0` cursor.
    fixture: &'static str,
    /// The code, with continuation lines indented relative to its first line (column 0).
    code: &'static str,
    /// The line before the cursor (or the current line's text before it) that a model repeats.
    echo: &'static str,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// The cursor is on an empty line, after its indentation: the answer is whole lines.
    WholeLines,
    /// After code at the end of the line (`total = `).
    EndOfLine,
    /// Inside the line, with text after the cursor (`max(|)`).
    InsideLine,
}

impl Situation {
    /// The cursor line's indentation.
    fn indent(&self) -> String {
        let (text, cursor) = split_cursor(self.fixture);
        let line_start = text[..cursor].rfind('\n').map_or(0, |index| index + 1);
        let line = &text[line_start..cursor];
        line[..line.len() - line.trim_start().len()].to_string()
    }

    /// The code as it stands in the file: every line after the first gets the cursor line's
    /// indentation.
    fn in_place(&self) -> String {
        self.code.replace('\n', &format!("\n{}", self.indent()))
    }

    /// The code with every line indented as in the file (the first too).
    fn absolute(&self) -> String {
        format!("{}{}", self.indent(), self.in_place())
    }

    fn expected(&self) -> String {
        split_cursor(&self.fixture.replace("$0", &format!("$0{}", self.in_place()))).0
    }
}

/// Writes the situation's code in one style; `None`: the style does not apply there.
type Style = fn(&Situation) -> Option<String>;

/// Ways of writing the same answer.
const STYLES: &[(&str, Style)] = &[
    ("bare", |s| Some(s.code.to_string())),
    ("leading line break", |s| Some(format!("\n{}", s.code))),
    ("leading blank lines", |s| Some(format!("\n\n  \n{}", s.code))),
    ("fenced", |s| Some(format!("```{}\n{}\n```", s.tags[0], s.code))),
    ("fenced, short tag", |s| Some(format!("```{}\n{}\n```", s.tags[1], s.code))),
    ("line break then fence", |s| Some(format!("\n```{}\n{}\n```\n", s.tags[0], s.code))),
    ("prose around a fence", |s| {
        Some(format!(
            "Here is the code to insert:\n\n```{}\n{}\n```\n\nThis completes the function.",
            s.tags[0], s.code
        ))
    }),
    ("trailing whitespace", |s| Some(format!("{}  \n\n", s.code.replace('\n', "   \n")))),
    ("echoed cursor marker", |s| Some(format!("<|CURSOR|>{}", s.code))),
    ("CRLF line ends", |s| Some(s.code.replace('\n', "\r\n"))),
    ("already indented", |s| (s.kind == Kind::WholeLines).then(|| s.absolute())),
    ("line break, already indented", |s| (s.kind == Kind::WholeLines).then(|| format!("\n{}\n", s.absolute()))),
    ("fenced, already indented", |s| {
        (s.kind == Kind::WholeLines).then(|| format!("```{}\n{}\n```", s.tags[0], s.absolute()))
    }),
    ("first line at the cursor, the rest as in the file", |s| {
        (s.kind == Kind::WholeLines && s.code.contains('\n')).then(|| s.in_place())
    }),
    ("repeats the line before", |s| match s.kind {
        Kind::WholeLines => Some(format!("{}\n{}", s.echo, s.absolute())),
        _ => Some(format!("{}{}", s.echo, s.code)),
    }),
    ("repeats the line before, indented", |s| match s.kind {
        Kind::WholeLines => None,
        _ => Some(format!("{}{}{}", s.indent(), s.echo, s.code)),
    }),
    ("leading space", |s| (s.kind == Kind::EndOfLine).then(|| format!(" {}", s.code))),
    ("repeats the closing bracket", |s| (s.kind == Kind::InsideLine).then(|| format!("{})", s.code))),
];

fn situations() -> Vec<Situation> {
    use Kind::*;
    let python = ["python", "py"];
    let rust = ["rust", "rs"];
    let go = ["go", "golang"];
    let typescript = ["typescript", "ts"];
    let java = ["java", "java"];
    vec![
        Situation { language_id: "python", extension: "py", tags: python, fixture: "def add(a, b):\n    $0\n", code: "return a + b", echo: "def add(a, b):", kind: WholeLines },
        Situation { language_id: "python", extension: "py", tags: python, fixture: "def total(items):\n    result = 0\n    $0\n    return result\n", code: "for item in items:\n    result += item", echo: "result = 0", kind: WholeLines },
        Situation { language_id: "python", extension: "py", tags: python, fixture: "def f(a, b):\n    total = $0\n    return total\n", code: "a + b", echo: "total = ", kind: EndOfLine },
        Situation { language_id: "python", extension: "py", tags: python, fixture: "def f(a, b):\n    return max($0)\n", code: "a, b", echo: "return max(", kind: InsideLine },

        Situation { language_id: "rust", extension: "rs", tags: rust, fixture: "fn add(a: i32, b: i32) -> i32 {\n    $0\n}\n", code: "a + b", echo: "fn add(a: i32, b: i32) -> i32 {", kind: WholeLines },
        Situation { language_id: "rust", extension: "rs", tags: rust, fixture: "fn total(items: &[i32]) -> i32 {\n    let mut result = 0;\n    $0\n    result\n}\n", code: "for item in items {\n    result += item;\n}", echo: "let mut result = 0;", kind: WholeLines },
        Situation { language_id: "rust", extension: "rs", tags: rust, fixture: "fn f(a: i32, b: i32) -> i32 {\n    let total = $0\n    total\n}\n", code: "a + b;", echo: "let total = ", kind: EndOfLine },
        Situation { language_id: "rust", extension: "rs", tags: rust, fixture: "fn f(a: i32, b: i32) -> i32 {\n    a.max($0)\n}\n", code: "b", echo: "a.max(", kind: InsideLine },

        Situation { language_id: "go", extension: "go", tags: go, fixture: "package main\n\nfunc add(a, b int) int {\n\t$0\n}\n", code: "return a + b", echo: "func add(a, b int) int {", kind: WholeLines },
        Situation { language_id: "go", extension: "go", tags: go, fixture: "package main\n\nfunc total(items []int) int {\n\tresult := 0\n\t$0\n\treturn result\n}\n", code: "for _, item := range items {\n\tresult += item\n}", echo: "result := 0", kind: WholeLines },
        Situation { language_id: "go", extension: "go", tags: go, fixture: "package main\n\nfunc f(a, b int) int {\n\ttotal := $0\n\treturn total\n}\n", code: "a + b", echo: "total := ", kind: EndOfLine },
        Situation { language_id: "go", extension: "go", tags: go, fixture: "package main\n\nfunc f(a, b int) int {\n\treturn max($0)\n}\n", code: "a, b", echo: "return max(", kind: InsideLine },

        Situation { language_id: "typescript", extension: "ts", tags: typescript, fixture: "function add(a: number, b: number): number {\n  $0\n}\n", code: "return a + b;", echo: "function add(a: number, b: number): number {", kind: WholeLines },
        Situation { language_id: "typescript", extension: "ts", tags: typescript, fixture: "function total(items: number[]): number {\n  let result = 0;\n  $0\n  return result;\n}\n", code: "for (const item of items) {\n  result += item;\n}", echo: "let result = 0;", kind: WholeLines },
        Situation { language_id: "typescript", extension: "ts", tags: typescript, fixture: "function f(a: number, b: number): number {\n  const total = $0\n  return total;\n}\n", code: "a + b;", echo: "const total = ", kind: EndOfLine },
        Situation { language_id: "typescript", extension: "ts", tags: typescript, fixture: "function f(a: number, b: number): number {\n  return Math.max($0);\n}\n", code: "a, b", echo: "return Math.max(", kind: InsideLine },

        Situation { language_id: "java", extension: "java", tags: java, fixture: "class Calc {\n    int add(int a, int b) {\n        $0\n    }\n}\n", code: "return a + b;", echo: "int add(int a, int b) {", kind: WholeLines },
        Situation { language_id: "java", extension: "java", tags: java, fixture: "class Calc {\n    int total(int[] items) {\n        int result = 0;\n        $0\n        return result;\n    }\n}\n", code: "for (int item : items) {\n    result += item;\n}", echo: "int result = 0;", kind: WholeLines },
        Situation { language_id: "java", extension: "java", tags: java, fixture: "class Calc {\n    int f(int a, int b) {\n        int total = $0\n        return total;\n    }\n}\n", code: "a + b;", echo: "int total = ", kind: EndOfLine },
        Situation { language_id: "java", extension: "java", tags: java, fixture: "class Calc {\n    int f(int a, int b) {\n        return Math.max($0);\n    }\n}\n", code: "a, b", echo: "return Math.max(", kind: InsideLine },
    ]
}

#[tokio::test]
async fn every_answer_style_inserts_exactly_the_same_text() {
    // `manual`: accepting an item must not prefetch the next one (it would take the next
    // case's scripted answer).
    let mut setup =
        Setup::new(json!({ "completion": { "trigger": "manual", "debounceMs": 0, "maxWaitMs": 2000 } })).await;
    let mut failures = Vec::new();
    let mut cases = 0;
    for (index, situation) in situations().iter().enumerate() {
        for (style, write) in STYLES {
            let Some(answer) = write(situation) else { continue };
            cases += 1;
            let uri = format!("file:///project/case{index}_{cases}.{}", situation.extension);
            setup.mock.push_reply(Reply::thinking_then("The user wants the sum.", answer.clone()));
            let position = setup.open_fixture(&uri, situation.language_id, situation.fixture).await;
            let list = setup.complete(&uri, &position, true).await;
            let items = list["items"].as_array().cloned().unwrap_or_default();
            let outcome = match items.as_slice() {
                [item] => {
                    setup.accept(&uri, item).await;
                    setup.client.text(&uri)
                }
                _ => format!("<{} items: {list}>", items.len()),
            };
            if outcome != situation.expected() {
                failures.push(format!(
                    "{} {:?} / {style}:\n  answer   {answer:?}\n  expected {:?}\n  got      {outcome:?}",
                    situation.language_id,
                    situation.fixture,
                    situation.expected()
                ));
            }
            setup.client.close(&uri).await.unwrap();
        }
    }
    assert!(cases >= 250, "the table shrank: {cases} cases");
    assert_eq!(setup.mock.requests().len(), cases, "one request per case");
    assert!(
        failures.is_empty(),
        "{} of {cases} answer styles inserted the wrong text:\n{}",
        failures.len(),
        failures.join("\n")
    );
    setup.shutdown().await;
}
