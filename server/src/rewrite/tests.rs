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
