use proptest::strategy::Strategy as _;

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
    assert_eq!(replacement_for(target, code, IndentStyle::Tabs, &[]), "\tfn new() {\r\n\t\ty();\r\n\t}\r\n");
    assert_eq!(replacement_for("  a\n  b", "c\nd\n", IndentStyle::Spaces(2), &[]), "  c\n  d");
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

/// A Go function indented with tabs whose raw string holds a space-indented shell script.
const GO_WITH_SCRIPT: &str = "func install(dir string) error {\n\tscript := `#!/bin/sh\nif [ -d \"$1\" ]; then\n    echo ok\n    for f in *; do\n        echo \"$f\"\n        touch \"$f\"\n    done\n    exit 0\nfi\n`\n\tif dir == \"\" {\n\t\treturn errors.New(\"no dir\")\n\t}\n\t\n\treturn run(script, dir)\n}\n";

fn go_literal_lines(text: &str) -> Vec<bool> {
    let tree = crate::language::parse_str(crate::language::Language::Go, text);
    literal_lines(text, 0, tree.as_ref())
}

#[test]
fn the_lines_of_a_raw_string_are_literal_and_not_evidence_of_style() {
    let literal = go_literal_lines(GO_WITH_SCRIPT);
    let literal_text: Vec<&str> = GO_WITH_SCRIPT
        .split_inclusive('\n')
        .zip(&literal)
        .filter(|(_, literal)| **literal)
        .map(|(line, _)| line)
        .collect();
    assert_eq!(literal_text.len(), 9);
    assert_eq!((literal_text[0], literal_text[8]), ("if [ -d \"$1\" ]; then\n", "`\n"));
    // The whole text guesses spaces; the code alone says tabs.
    assert_eq!(IndentStyle::detect(GO_WITH_SCRIPT), IndentStyle::Spaces(4));
    let tree = crate::language::parse_str(crate::language::Language::Go, GO_WITH_SCRIPT);
    let focus = 0..GO_WITH_SCRIPT.len();
    assert_eq!(style_of_code_around(GO_WITH_SCRIPT, 0, focus, tree.as_ref()), IndentStyle::Tabs);
    // Without a tree nothing is known to be a string.
    assert!(literal_lines(GO_WITH_SCRIPT, 0, None).iter().all(|literal| !literal));
}

#[test]
fn an_answer_differing_only_in_whitespace_gives_back_the_target() {
    let literal = go_literal_lines(GO_WITH_SCRIPT);
    let fit = |answer: &str| replacement_for(GO_WITH_SCRIPT, answer, IndentStyle::Tabs, &literal);
    // As the model often writes it: tabs turned into four spaces, the blank line's tab dropped.
    let spaces = GO_WITH_SCRIPT.replace('\t', "    ").replace("    \n", "\n");
    assert_eq!(fit(&spaces), GO_WITH_SCRIPT);
    assert_eq!(fit(&GO_WITH_SCRIPT.replace(" {\n", " {   \n")), GO_WITH_SCRIPT);
    // One line changed: only it changes, with its tabs.
    let changed = spaces.replace("errors.New(\"no dir\")", "fmt.Errorf(\"no dir\")");
    assert_eq!(fit(&changed), GO_WITH_SCRIPT.replace("errors.New(\"no dir\")", "fmt.Errorf(\"no dir\")"));
}

#[test]
fn a_method_dedented_to_column_zero_keeps_its_indentation_and_blank_lines() {
    let target = "    def total(self):\n        result = 0\n        \n        for item in self.items:\n            result += item  \n        return result\n";
    let dedented =
        "def total(self):\n    result = 0\n\n    for item in self.items:\n        result += item\n    return result";
    assert_eq!(replacement_for(target, dedented, IndentStyle::Spaces(4), &[]), target);
    let changed = dedented.replace("result = 0", "result: int = 0");
    assert_eq!(
        replacement_for(target, &changed, IndentStyle::Spaces(4), &[]),
        target.replace("result = 0", "result: int = 0")
    );
    // A new line lands at its level among the original's.
    let added = dedented.replace("    return result", "    assert result >= 0\n    return result");
    assert_eq!(
        replacement_for(target, &added, IndentStyle::Spaces(4), &[]),
        target.replace("        return result", "        assert result >= 0\n        return result")
    );
}

#[test]
fn lines_the_model_moved_into_a_new_block_move() {
    // Wrapping lines in a block changes Python code: those lines are not "only whitespace".
    let target = "def load(path):\n    data = read(path)\n    return parse(data)\n";
    let wrapped = "def load(path):\n    try:\n        data = read(path)\n        return parse(data)\n    except OSError:\n        return None";
    assert_eq!(replacement_for(target, wrapped, IndentStyle::Spaces(4), &[]), format!("{wrapped}\n"));
    // The same, with the whole answer dedented and written with two spaces.
    let target = "\tdef load(path):\n\t\tdata = read(path)\n\t\treturn parse(data)\n";
    let wrapped =
        "def load(path):\n  try:\n    data = read(path)\n    return parse(data)\n  except OSError:\n    return None";
    assert_eq!(
        replacement_for(target, wrapped, IndentStyle::Tabs, &[]),
        "\tdef load(path):\n\t\ttry:\n\t\t\tdata = read(path)\n\t\t\treturn parse(data)\n\t\texcept OSError:\n\t\t\treturn None\n"
    );
}

#[test]
fn blank_lines_around_the_target_are_not_lost() {
    let target = "\n    a = 1\n    b = 2\n\n";
    assert_eq!(replacement_for(target, "a = 1\nb = 3", IndentStyle::Spaces(4), &[]), "\n    a = 1\n    b = 3\n\n");
}

/// How a model may rewrite the whitespace of an answer without changing its code.
#[derive(Debug, Clone, Copy)]
enum Respacing {
    AsIs,
    Dedented,
    /// Each leading tab as this many spaces (tab-indented targets).
    TabsAsSpaces(usize),
    /// Each level of spaces as a tab (space-indented targets).
    SpacesAsTabs,
}

/// A function-like target: `(level, content, trailing whitespace)` per line, a blank line when
/// the content is empty (its whitespace is then the line's whole text).
fn target_text(lines: &[(usize, String, String)], style: IndentStyle, base: usize) -> String {
    lines
        .iter()
        .map(|(level, content, trailing)| match content.is_empty() {
            true => format!("{trailing}\n"),
            false => format!("{}{content}{trailing}\n", style.unit().repeat(base + level)),
        })
        .collect()
}

fn respaced(target: &str, respacing: Respacing, style: IndentStyle, trim_trailing: bool, empty_blanks: bool) -> String {
    let mut lines: Vec<String> = target.lines().map(str::to_string).collect();
    match respacing {
        Respacing::AsIs => {}
        Respacing::Dedented => {
            let common = lines
                .iter()
                .filter(|line| !line.trim().is_empty())
                .map(|line| leading_whitespace(line).to_string())
                .reduce(|common, indent| {
                    common.chars().zip(indent.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect()
                })
                .unwrap_or_default();
            for line in &mut lines {
                if let Some(rest) = line.strip_prefix(common.as_str()) {
                    *line = rest.to_string();
                }
            }
        }
        Respacing::TabsAsSpaces(width) => {
            for line in &mut lines {
                let indent = leading_whitespace(line).to_string();
                *line = format!("{}{}", indent.replace('\t', &" ".repeat(width)), &line[indent.len()..]);
            }
        }
        Respacing::SpacesAsTabs => {
            let unit = style.unit();
            for line in &mut lines {
                let indent = leading_whitespace(line).to_string();
                let levels = indent.len() / unit.len();
                let rest = &indent[levels * unit.len()..];
                *line = format!("{}{rest}{}", "\t".repeat(levels), &line[indent.len()..]);
            }
        }
    }
    for line in &mut lines {
        if (trim_trailing && !line.trim().is_empty()) || (empty_blanks && line.trim().is_empty()) {
            *line = line.trim_end().to_string();
        }
    }
    lines.join("\n")
}

/// Levels that nest as code does: each line at most one deeper than the one before.
fn function_lines() -> impl proptest::strategy::Strategy<Value = Vec<(usize, String, String)>> {
    use proptest::prelude::*;
    let line = (0usize..3, "[a-z]{1,6}( [a-z(){}=]{1,4}){0,2}", prop_oneof![Just(""), Just(" "), Just("\t  ")], 0u8..8);
    proptest::collection::vec(line, 1..14).prop_map(|lines| {
        let mut level = 0usize;
        let mut result = vec![(0, "func head() {".to_string(), String::new())];
        for (step, content, trailing, kind) in lines {
            // Now and then a blank line, empty or holding whitespace; it opens no level.
            if kind == 0 {
                result.push((level, String::new(), trailing.to_string()));
                continue;
            }
            level = match step {
                0 => level.saturating_sub(1),
                1 => level,
                _ => level + 1,
            }
            .max(1);
            result.push((level, content, trailing.to_string()));
        }
        result.push((0, "}".to_string(), String::new()));
        result
    })
}

fn respacing_for(style: IndentStyle) -> impl proptest::strategy::Strategy<Value = Respacing> {
    use proptest::prelude::*;
    match style {
        IndentStyle::Tabs => prop_oneof![
            Just(Respacing::AsIs),
            Just(Respacing::Dedented),
            Just(Respacing::TabsAsSpaces(2)),
            Just(Respacing::TabsAsSpaces(4)),
            Just(Respacing::TabsAsSpaces(8)),
        ]
        .boxed(),
        IndentStyle::Spaces(_) => {
            prop_oneof![Just(Respacing::AsIs), Just(Respacing::Dedented), Just(Respacing::SpacesAsTabs)].boxed()
        }
    }
}

fn style_strategy() -> impl proptest::strategy::Strategy<Value = IndentStyle> {
    use proptest::prelude::*;
    prop_oneof![Just(IndentStyle::Tabs), Just(IndentStyle::Spaces(2)), Just(IndentStyle::Spaces(4))]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(512))]

    #[test]
    fn whitespace_only_answers_change_nothing_and_a_changed_line_keeps_its_indentation(
        (style, respacing) in style_strategy().prop_flat_map(|style| (proptest::strategy::Just(style), respacing_for(style))),
        lines in function_lines(),
        base in 0usize..3,
        trim_trailing: bool,
        empty_blanks: bool,
        changed in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let target = target_text(&lines, style, base);
        let answer = respaced(&target, respacing, style, trim_trailing, empty_blanks);
        let fitted = replacement_for(&target, &answer, style, &[]);
        proptest::prop_assert_eq!(&fitted, &target, "answer {:?}", answer);
        proptest::prop_assert!(crate::diff::edits(&target, &fitted).is_empty());

        // One content line changed in the answer: that line alone changes, indented as before.
        let content_lines: Vec<usize> = (0..lines.len()).filter(|&index| !lines[index].1.is_empty()).collect();
        let line = content_lines[changed.index(content_lines.len())];
        let replace_content = |text: &str| -> String {
            text.split_inclusive('\n')
                .enumerate()
                .map(|(index, text_line)| {
                    if index != line {
                        return text_line.to_string();
                    }
                    let ending = if text_line.ends_with('\n') { "\n" } else { "" };
                    format!("{}changed_line(){ending}", leading_whitespace(text_line))
                })
                .collect()
        };
        let fitted = replacement_for(&target, &replace_content(&answer), style, &[]);
        proptest::prop_assert_eq!(&fitted, &replace_content(&target), "answer {:?}", replace_content(&answer));
        // The edits stay inside that line.
        let line_start: usize = target.split_inclusive('\n').take(line).map(str::len).sum();
        let line_end = line_start + target.split_inclusive('\n').nth(line).map_or(0, str::len);
        let edits = crate::diff::edits(&target, &fitted);
        proptest::prop_assert!(!edits.is_empty());
        proptest::prop_assert!(edits.iter().all(|edit| line_start <= edit.range.start && edit.range.end <= line_end));
    }
}

proptest::proptest! {
    #[test]
    fn fitting_any_answer_over_any_target_is_total(
        target in "[a-c{}\t \n\r`]{0,60}",
        code in "[a-c{}\t \n\r`]{0,60}",
        literal in proptest::collection::vec(proptest::prelude::any::<bool>(), 0..12),
        style in style_strategy(),
    ) {
        let fitted = replacement_for(&target, &code, style, &literal);
        // Actions refuse an answer without code before fitting it.
        proptest::prop_assume!(!code.trim().is_empty());
        proptest::prop_assert_eq!(fitted.ends_with('\n'), target.ends_with('\n'));
    }
}

/// Found by the property below: a target ending in an unterminated blank line (spaces, or
/// a lone `\r`, at the end of the file) gained a line break at the end of the file.
#[test]
fn a_blank_unterminated_last_line_stays_unterminated() {
    for style in [IndentStyle::Tabs, IndentStyle::Spaces(4)] {
        assert_eq!(replacement_for("{\n\r", "{\n\n`", style, &[]), "{\n\r\n`\n\r");
    }
    assert_eq!(replacement_for("a {\n  ", "a {\n  b", IndentStyle::Spaces(2), &[]), "a {\n  b\n  ");
}
