use super::*;

/// Cleans `raw` for a document given with a `$0` cursor marker, in its detected indent style.
fn clean_at(document: &str, language: Option<Language>, raw: &str) -> Option<String> {
    let cursor = document.find("$0").expect("fixture has a $0 cursor");
    let before = &document[..cursor];
    let after = &document[cursor + 2..];
    let site = CompletionSite { before, after, language, indent: IndentStyle::detect(document) };
    let cleaned = clean(raw, &site);
    if let Some(text) = &cleaned {
        assert!(!text.is_empty(), "an empty suggestion must be None");
        assert_eq!(text.trim_end(), text, "trailing whitespace left in {text:?}");
    }
    cleaned
}

const RUST: Option<Language> = Some(Language::Rust);
const PYTHON: Option<Language> = Some(Language::Python);

#[test]
fn plain_answers_pass_through() {
    let document = "fn main() {\n    let total = $0\n}\n";
    assert_eq!(clean_at(document, RUST, "items.len();").as_deref(), Some("items.len();"));
}

#[test]
fn fences_are_stripped() {
    let document = "fn main() {\n    let total = $0\n}\n";
    assert_eq!(clean_at(document, RUST, "```rust\nitems.len();\n```").as_deref(), Some("items.len();"));
    assert_eq!(clean_at(document, RUST, "~~~\nitems.len();\n~~~\n").as_deref(), Some("items.len();"));
}

#[test]
fn echoed_cursor_markers_are_dropped() {
    let document = "fn main() {\n    let total = $0\n}\n";
    assert_eq!(clean_at(document, RUST, "items.len();<|CURSOR|>").as_deref(), Some("items.len();"));
    assert_eq!(clean_at(document, RUST, "<cursor>items.len();").as_deref(), Some("items.len();"));
}

#[test]
fn text_repeated_from_before_the_cursor_is_dropped() {
    let document = "fn main() {\n    let total = it$0\n}\n";
    // The whole current line, with its indentation…
    assert_eq!(clean_at(document, RUST, "    let total = items.len();").as_deref(), Some("ems.len();"));
    // …or without it…
    assert_eq!(clean_at(document, RUST, "let total = items.len();").as_deref(), Some("ems.len();"));
    // …or the lines before it as well.
    assert_eq!(clean_at(document, RUST, "fn main() {\n    let total = items.len();").as_deref(), Some("ems.len();"));
}

#[test]
fn closing_brackets_already_after_the_cursor_are_not_duplicated() {
    let document = "fn main() {\n    println!(\"{}\", $0);\n}\n";
    assert_eq!(clean_at(document, RUST, "total);").as_deref(), Some("total"));
    assert_eq!(clean_at(document, RUST, "total)").as_deref(), Some("total"));
    // The suggestion's own parentheses are kept.
    assert_eq!(clean_at(document, RUST, "items.len()").as_deref(), Some("items.len()"));
    assert_eq!(clean_at(document, RUST, "items.len());").as_deref(), Some("items.len()"));
}

#[test]
fn closing_lines_already_after_the_cursor_are_dropped() {
    let document = "fn main() {\n    if ready {\n        $0\n    }\n}\n";
    assert_eq!(
        clean_at(document, RUST, "start();\n        finish();\n    }\n}").as_deref(),
        Some("start();\n        finish();")
    );
    // A block the suggestion opens keeps its own closing brace.
    let document = "fn main() {\n    $0\n}\n";
    assert_eq!(
        clean_at(document, RUST, "if ready {\n        go();\n    }").as_deref(),
        Some("if ready {\n        go();\n    }")
    );
}

#[test]
fn single_line_context_keeps_the_first_line_only() {
    let document = "fn main() {\n    let x = compute($0, 2);\n}\n";
    assert_eq!(clean_at(document, RUST, "1\nlet y = 3;").as_deref(), Some("1"));
}

#[test]
fn trailing_whitespace_is_trimmed() {
    let document = "def f():\n    return $0\n";
    assert_eq!(clean_at(document, PYTHON, "value   \n\n").as_deref(), Some("value"));
}

#[test]
fn continuation_lines_follow_the_document_indentation_style() {
    let document = "fn main() {\n\tif ready {\n\t\t$0\n\t}\n}\n";
    assert_eq!(
        clean_at(document, RUST, "start();\n        if more {\n            again();\n        }").as_deref(),
        Some("start();\n\t\tif more {\n\t\t\tagain();\n\t\t}")
    );
    // Tabs become the document's two spaces; the body at the `for`'s own level shows the
    // answer was written from column 0, so it is anchored at the cursor line.
    let document = "def f():\n  if x:\n    $0\n";
    assert_eq!(
        clean_at(document, PYTHON, "for item in x:\n\t\tprint(item)").as_deref(),
        Some("for item in x:\n        print(item)")
    );
}

#[test]
fn empty_or_repeated_suggestions_are_discarded() {
    let document = "fn main() {\n    let x = $0;\n}\n";
    assert_eq!(clean_at(document, RUST, ""), None);
    assert_eq!(clean_at(document, RUST, "   \n"), None);
    assert_eq!(clean_at(document, RUST, "```rust\n```"), None);
    assert_eq!(clean_at(document, RUST, ";"), None);
    let document = "a = 1\nb = 2\n$0\n";
    assert_eq!(clean_at(document, PYTHON, "a = 1\nb = 2"), None);
}

#[test]
fn suggestions_that_break_the_syntax_are_trimmed_or_discarded() {
    let document = "fn main() {\n    $0\n}\n";
    // The last line opens a block it never closes: cut back to the complete statement.
    assert_eq!(
        clean_at(document, RUST, "let a = 1;\n    let b = 2;\n    if a == b {").as_deref(),
        Some("let a = 1;\n    let b = 2;")
    );
    // Nothing complete at all: discarded.
    assert_eq!(clean_at(document, RUST, "let = = ;"), None);
    // Without a grammar the check is skipped.
    assert_eq!(clean_at(document, None, "if a == b {").as_deref(), Some("if a == b {"));
}

#[test]
fn crlf_documents_get_crlf_suggestions() {
    let document = "fn main() {\r\n    $0\r\n}\r\n";
    assert_eq!(clean_at(document, RUST, "a();\n    b();").as_deref(), Some("a();\r\n    b();"));
}

#[test]
fn cjk_and_emoji_before_the_cursor() {
    let document = "fn main() {\n    let 名前 = \"😀\"; let n = 名$0\n}\n";
    assert_eq!(clean_at(document, RUST, "名前;").as_deref(), Some("前;"));
}

#[test]
fn the_check_window_stays_near_the_cursor_in_large_files() {
    let mut document = String::new();
    for index in 0..5_000 {
        document.push_str(&format!("fn f{index}() {{\n    let x = {index};\n}}\n"));
    }
    let cursor = document.len() / 2;
    let cursor = document[..cursor].rfind("    let").unwrap() + 4;
    let (window_before, window_after) = check_window(&document[..cursor], &document[cursor..]);
    assert!(window_before.starts_with("fn f"), "{window_before:?}");
    assert!(window_before.len() < 40, "{window_before:?}");
    assert!(window_after.ends_with("}\n"), "{window_after:?}");
    assert!(window_after.len() < 40, "{window_after:?}");
}

#[test]
fn the_identifier_being_typed_is_not_doubled() {
    let document = "def f(items):\n    return it$0\n";
    assert_eq!(clean_at(document, PYTHON, "items").as_deref(), Some("ems"));
    // A suggestion that does not start with the typed word is inserted as is.
    assert_eq!(clean_at(document, PYTHON, "ems").as_deref(), Some("ems"));
}

#[test]
fn suffix_overlap_never_cuts_inside_an_identifier() {
    let document = "fn main() {\n    let x = f($0o);\n}\n";
    assert_eq!(clean_at(document, RUST, "zoo").as_deref(), Some("zoo"));
    // But an echoed rest of the line is dropped whole.
    let document = "fn main() {\n    let x = f($0, 2);\n}\n";
    assert_eq!(clean_at(document, RUST, "1, 2);").as_deref(), Some("1"));
}

#[test]
fn continuation_lines_written_from_column_zero_are_anchored_at_the_cursor_line() {
    let document = "def total(items):\n    result = 0\n    $0\n";
    assert_eq!(
        clean_at(document, PYTHON, "for item in items:\n    result += item\nreturn result").as_deref(),
        Some("for item in items:\n        result += item\n    return result")
    );
    // Already absolute: left alone.
    assert_eq!(
        clean_at(document, PYTHON, "for item in items:\n        result += item\n    return result").as_deref(),
        Some("for item in items:\n        result += item\n    return result")
    );
}

const GO: Option<Language> = Some(Language::Go);

#[test]
fn a_leading_line_break_does_not_insert_a_blank_line() {
    // GLM's content very often starts with "\n" after its reasoning.
    let document = "def add(a, b):\n    $0\n";
    assert_eq!(clean_at(document, PYTHON, "\nreturn a + b").as_deref(), Some("return a + b"));
    assert_eq!(clean_at(document, PYTHON, "\n\n  \nreturn a + b\n").as_deref(), Some("return a + b"));
    let document = "fn add(a: i32, b: i32) -> i32 {\n    $0\n}\n";
    assert_eq!(clean_at(document, RUST, "\na + b").as_deref(), Some("a + b"));
    // In a single-line context the first line is the answer, not the empty line before it.
    let document = "def main():\n    total = add(1, $0)\n";
    assert_eq!(clean_at(document, PYTHON, "\n2").as_deref(), Some("2"));
    // After an operator the answer continues the line.
    let document = "def main(items):\n    total = $0\n";
    assert_eq!(clean_at(document, PYTHON, "\nlen(items)").as_deref(), Some("len(items)"));
    let document = "fn main() {\n    let total = $0\n}\n";
    assert_eq!(clean_at(document, RUST, "\nitems.len();").as_deref(), Some("items.len();"));
}

#[test]
fn a_leading_line_break_stays_where_the_line_is_complete() {
    // A finished statement: the answer is the next line.
    let document = "fn main() {\n    let x = 1;$0\n}\n";
    assert_eq!(clean_at(document, RUST, "\nlet y = 2;").as_deref(), Some("\n    let y = 2;"));
    assert_eq!(clean_at(document, RUST, "\n    let y = 2;").as_deref(), Some("\n    let y = 2;"));
    // Python has no `;`: the answer only parses on its own line.
    let document = "def main():\n    x = 1$0\n";
    assert_eq!(clean_at(document, PYTHON, "\ny = 2").as_deref(), Some("\n    y = 2"));
    // A block opener.
    let document = "def add(a, b):$0\n";
    assert_eq!(clean_at(document, PYTHON, "\n    return a + b").as_deref(), Some("\n    return a + b"));
}

#[test]
fn an_answer_carrying_the_lines_indentation_is_not_indented_twice() {
    let document = "def add(a, b):\n    $0\n";
    for answer in
        ["    return a + b", "\n    return a + b", "```python\n    return a + b\n```", "```py\n\n    return a + b\n```"]
    {
        assert_eq!(clean_at(document, PYTHON, answer).as_deref(), Some("return a + b"), "{answer:?}");
    }
    // Tabs in a tab-indented file, and spaces written for one.
    let document = "package main\n\nfunc add(a, b int) int {\n\t$0\n}\n";
    for answer in ["\treturn a + b", "    return a + b", "\n\treturn a + b"] {
        assert_eq!(clean_at(document, GO, answer).as_deref(), Some("return a + b"), "{answer:?}");
    }
}

#[test]
fn whole_line_answers_keep_their_shape() {
    let document = "def total(items):\n    result = 0\n    $0\n";
    let expected = Some("for item in items:\n        result += item\n    return result");
    for answer in [
        // As the lines stand in the file.
        "    for item in items:\n        result += item\n    return result",
        "\n    for item in items:\n        result += item\n    return result\n",
        // From column 0.
        "for item in items:\n    result += item\nreturn result",
        // First line from the cursor, the rest as in the file.
        "for item in items:\n        result += item\n    return result",
    ] {
        assert_eq!(clean_at(document, PYTHON, answer).as_deref(), expected, "{answer:?}");
    }
    // A block whose first line is shallower than the cursor moves in as a whole.
    let document = "def f(items):\n    for item in items:\n        $0\n";
    assert_eq!(
        clean_at(document, PYTHON, "    if item:\n        print(item)").as_deref(),
        Some("if item:\n            print(item)")
    );
}

#[test]
fn a_space_the_line_already_ends_with_is_not_doubled() {
    let document = "def main(items):\n    total = $0\n";
    assert_eq!(clean_at(document, PYTHON, " len(items)").as_deref(), Some("len(items)"));
    let document = "fn main() {\n    let total = $0;\n}\n";
    assert_eq!(clean_at(document, RUST, " 1").as_deref(), Some("1"));
}

#[test]
fn continuation_lines_of_an_answer_written_from_column_zero_stay_deeper_than_its_first() {
    let javascript = Some(Language::JavaScript);
    // A chained call and a declaration list, each written relative to column 0.
    let document = "function escape(text) {\n\t$0\n}\n";
    assert_eq!(
        clean_at(document, javascript, "return text\n\t.replace(/</g, \"&lt;\")\n\t.replace(/>/g, \"&gt;\");")
            .as_deref(),
        Some("return text\n\t\t.replace(/</g, \"&lt;\")\n\t\t.replace(/>/g, \"&gt;\");")
    );
    assert_eq!(
        clean_at(document, javascript, "var first, second,\n\tthird = text;").as_deref(),
        Some("var first, second,\n\t\tthird = text;")
    );
    // Written as they stand in the file, they are left alone.
    assert_eq!(
        clean_at(document, javascript, "return text\n\t\t.replace(/</g, \"&lt;\");").as_deref(),
        Some("return text\n\t\t.replace(/</g, \"&lt;\");")
    );
}
