use super::*;

#[test]
fn extracts_the_single_fenced_block_with_or_without_a_tag() {
    let answer = "Here is the improved code:\n\n```rust\nfn a() {\n    b();\n}\n```\n\nThis avoids a copy.";
    assert_eq!(extract_code(answer, Some("rust")).as_deref(), Some("fn a() {\n    b();\n}"));
    let answer = "```\nx = 1\n```";
    assert_eq!(extract_code(answer, None).as_deref(), Some("x = 1"));
    let answer = "~~~python\n\n\ndef f():\n    pass\n\n~~~";
    assert_eq!(extract_code(answer, Some("python")).as_deref(), Some("def f():\n    pass"));
}

#[test]
fn prefers_the_block_tagged_with_the_language_then_the_largest() {
    let answer = "```bash\ncargo build --release --all-targets\n```\nand\n```rs\nfn f() {}\n```\n";
    assert_eq!(extract_code(answer, Some("rust")).as_deref(), Some("fn f() {}"));
    let answer = "```\nsmall\n```\n```\nthe larger block\nwith two lines\n```";
    assert_eq!(extract_code(answer, None).as_deref(), Some("the larger block\nwith two lines"));
    // Aliases on both sides: an LSP language id against a short fence tag.
    let answer = "```ts\nlet a = 1;\n```\n```js\nlet bb = 22;\n```";
    assert_eq!(extract_code(answer, Some("typescript")).as_deref(), Some("let a = 1;"));
}

#[test]
fn handles_longer_fences_indented_fences_and_unclosed_fences() {
    let answer = "````md\n```rust\ninner\n```\n````";
    assert_eq!(extract_code(answer, None).as_deref(), Some("```rust\ninner\n```"));
    let answer = "  ```go\n  func f() {}\n  ```";
    assert_eq!(extract_code(answer, Some("go")).as_deref(), Some("func f() {}"));
    let answer = "```rust\nfn truncated() {\n";
    assert_eq!(extract_code(answer, Some("rust")).as_deref(), Some("fn truncated() {"));
    let answer = "```rust\r\nfn crlf() {}\r\n```\r\n";
    assert_eq!(extract_code(answer, Some("rust")).as_deref(), Some("fn crlf() {}"));
}

#[test]
fn bare_code_is_returned_trimmed_and_prose_is_rejected() {
    assert_eq!(extract_code("\n\nfn a() {}\n\n", None).as_deref(), Some("fn a() {}"));
    assert_eq!(
        extract_code("Here is the fixed version:\nlet x = compute();\nx + 1", None).as_deref(),
        Some("let x = compute();\nx + 1")
    );
    assert_eq!(extract_code("I cannot help with that request, sorry.", None), None);
    assert_eq!(extract_code("", None), None);
    assert_eq!(extract_code("```rust\n\n```", Some("rust")), None);
    assert_eq!(extract_code("   \n\t\n", None), None);
}

#[test]
fn reindent_shifts_to_the_target_and_keeps_relative_indentation() {
    let code = "fn a() {\n    if x {\n        y();\n    }\n}";
    assert_eq!(reindent(code, "    "), "    fn a() {\n        if x {\n            y();\n        }\n    }");
    // Over-indented answers are pulled back; blank lines carry no whitespace.
    let code = "        a();\n\n            b();";
    assert_eq!(reindent(code, "\t"), "\ta();\n\n\t\tb();");
    assert_eq!(reindent("x", ""), "x");
    assert_eq!(reindent("", "  "), "");
}

#[test]
fn reindent_as_converts_between_tabs_and_spaces() {
    let tabbed = "if x {\n\ty();\n\tif z {\n\t\tw();\n\t}\n}";
    assert_eq!(
        reindent_as(tabbed, "  ", IndentStyle::Spaces(2)),
        "  if x {\n    y();\n    if z {\n      w();\n    }\n  }"
    );
    let two_spaces = "if x {\n  y();\n  if z {\n    w();\n  }\n}";
    assert_eq!(
        reindent_as(two_spaces, "\t", IndentStyle::Tabs),
        "\tif x {\n\t\ty();\n\t\tif z {\n\t\t\tw();\n\t\t}\n\t}"
    );
    assert_eq!(
        reindent_as(two_spaces, "", IndentStyle::Spaces(4)),
        "if x {\n    y();\n    if z {\n        w();\n    }\n}"
    );
}

#[test]
fn detects_indentation_style() {
    assert_eq!(IndentStyle::detect("a\n\tb\n\t\tc\n"), IndentStyle::Tabs);
    assert_eq!(IndentStyle::detect("a\n  b\n    c\n  d\n"), IndentStyle::Spaces(2));
    assert_eq!(IndentStyle::detect("a\n    b\n        c\n    d\n"), IndentStyle::Spaces(4));
    assert_eq!(IndentStyle::detect("no indentation\nat all\n"), IndentStyle::Spaces(4));
    assert_eq!(IndentStyle::detect_with_evidence("flat\n"), None);
    // Block comment continuation lines are not evidence of one-space indentation.
    assert_eq!(IndentStyle::detect("/**\n * doc\n */\nfn a() {\n  b();\n}\n"), IndentStyle::Spaces(2));
}

#[test]
fn line_range_expands_to_whole_lines() {
    let text = "one\ntwo\r\nthree";
    assert_eq!(line_range_for(text, 5, 6), 4..9);
    assert_eq!(line_range_for(text, 0, 0), 0..4);
    // A selection ending at column 0 does not take the next line.
    assert_eq!(line_range_for(text, 0, 4), 0..4);
    assert_eq!(line_range_for(text, 10, 12), 9..14);
    assert_eq!(line_range_for(text, 12, 3), 0..14);
    assert_eq!(line_range_for(text, 999, 999), 9..14);
    assert_eq!(line_range_for("", 0, 5), 0..0);
    // Offsets inside a multi-byte char round down instead of panicking.
    assert_eq!(line_range_for("é\nx", 1, 1), 0..3);
}

#[test]
fn replacement_for_matches_the_target_layout() {
    let target = "\tfn old() {\r\n\t\tx();\r\n\t}\r\n";
    let code = "fn new() {\n    y();\n}";
    assert_eq!(replacement_for(target, code, IndentStyle::Tabs), "\tfn new() {\r\n\t\ty();\r\n\t}\r\n");
    assert_eq!(replacement_for("  a\n  b", "c\nd\n", IndentStyle::Spaces(2)), "  c\n  d");
}

const COMPUTE: &str = "def compute():\n    total = add(1, )\n    return total\n";

fn line_of(text: &str, line: usize) -> Range<usize> {
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    start..start + text.split_inclusive('\n').nth(line).map_or(0, str::len)
}

#[test]
fn an_answer_restating_the_enclosing_header_is_aligned_on_it() {
    let target = line_of(COMPUTE, 1);
    let widened = widen_over_repeated_lines(COMPUTE, target, "def compute():\n    total = add(1, 2)");
    assert_eq!(widened, 0..line_of(COMPUTE, 1).end);
    // Both sides at once: the header above and the return below.
    let widened =
        widen_over_repeated_lines(COMPUTE, line_of(COMPUTE, 1), "def compute():\n    t = add(1, 2)\n    return total");
    assert_eq!(widened, 0..COMPUTE.len());
}

#[test]
fn an_answer_restating_the_line_below_is_aligned_on_it() {
    let widened = widen_over_repeated_lines(COMPUTE, line_of(COMPUTE, 1), "total = add(1, 2)\nreturn total");
    assert_eq!(widened, line_of(COMPUTE, 1).start..COMPUTE.len());
}

#[test]
fn lines_the_target_itself_starts_or_ends_with_are_kept() {
    let text = "fn a() {\n    if x {\n        y();\n    }\n}\n";
    let target = line_of(text, 1).start..line_of(text, 3).end;
    assert_eq!(widen_over_repeated_lines(text, target.clone(), "if x {\n    z();\n}"), target);
    let text = "x += 1\nx += 1\nprint(x)\n";
    let target = line_of(text, 1).start..text.len();
    assert_eq!(widen_over_repeated_lines(text, target.clone(), "x += 1\nprint(x, end='')"), target);
}

#[test]
fn brackets_and_blank_lines_alone_are_no_evidence_and_one_line_is_left() {
    let text = "if a {\n}\nfoo();\n";
    let target = line_of(text, 2);
    assert_eq!(widen_over_repeated_lines(text, target.clone(), "}\nfoo(1);"), target);
    let text = "a = 1\nb = 2\n";
    assert_eq!(widen_over_repeated_lines(text, line_of(text, 1), "a = 1"), line_of(text, 1));
    // CRLF documents widen by whole lines too.
    let text = "def f():\r\n    x = 1\r\n";
    assert_eq!(widen_over_repeated_lines(text, line_of(text, 1), "def f():\n    x = 2"), 0..text.len());
}

proptest::proptest! {
    #[test]
    fn widening_keeps_the_target_and_whole_lines(
        lines in proptest::collection::vec("[a-c }\t]{0,4}", 0..8),
        code in proptest::collection::vec("[a-c }]{0,4}", 1..6),
        first in 0usize..8,
        count in 0usize..8,
    ) {
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let line_count = lines.len();
        let first = first.min(line_count);
        let last = (first + count).min(line_count);
        let start: usize = lines[..first].iter().map(|line| line.len() + 1).sum();
        let end: usize = lines[..last].iter().map(|line| line.len() + 1).sum();
        let widened = widen_over_repeated_lines(&text, start..end, &code.join("\n"));
        proptest::prop_assert!(widened.start <= start && end <= widened.end && widened.end <= text.len());
        proptest::prop_assert!(widened.start == 0 || text.as_bytes()[widened.start - 1] == b'\n');
        proptest::prop_assert!(widened.end == 0 || widened.end == text.len() || text.as_bytes()[widened.end - 1] == b'\n');
    }
}
