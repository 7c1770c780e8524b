use proptest::prelude::*;

use super::*;
use crate::text::apply_edits;

/// Checks the round trip and returns the edits as `(old text, new text)` pairs for asserting.
fn check(before: &str, after: &str) -> Vec<(String, String)> {
    let edits = edits(before, after);
    assert_eq!(apply_edits(before, &edits), after, "edits {edits:?}");
    for pair in edits.windows(2) {
        assert!(pair[0].range.end < pair[1].range.start, "edits touch or overlap: {edits:?}");
    }
    edits.iter().map(|edit| (before[edit.range.clone()].to_string(), edit.new_text.clone())).collect()
}

const FUNCTION: &str = "fn total(items: &[Item]) -> u64 {\n    let mut count = 0;\n    for item in items {\n        count += item.price;\n    }\n    count\n}\n";

#[test]
fn equal_texts_need_no_edit() {
    assert!(edits("", "").is_empty());
    assert!(edits(FUNCTION, FUNCTION).is_empty());
}

#[test]
fn renaming_one_identifier_is_one_tiny_edit() {
    let after = FUNCTION.replacen("for item in items", "for entry in items", 1);
    assert_eq!(check(FUNCTION, &after), [("item".into(), "entry".into())]);
    // A suffix change inside one identifier keeps the shared part.
    let after = FUNCTION.replace("count", "counter");
    assert_eq!(check(FUNCTION, &after).len(), 3);
    assert!(check(FUNCTION, &after).iter().all(|(old, new)| old.is_empty() && new == "er"));
}

#[test]
fn inserted_line_is_a_pure_insertion_at_a_line_start() {
    let after = FUNCTION.replace("    count\n}", "    tracing::debug!(count);\n    count\n}");
    let edits = edits(FUNCTION, &after);
    assert_eq!(edits.len(), 1);
    assert!(edits[0].range.is_empty());
    assert_eq!(edits[0].new_text, "    tracing::debug!(count);\n");
    assert!(FUNCTION[..edits[0].range.start].ends_with('\n'));
}

#[test]
fn deleted_line_is_one_deletion() {
    let after = FUNCTION.replace("    let mut count = 0;\n", "");
    assert_eq!(check(FUNCTION, &after), [("    let mut count = 0;\n".into(), String::new())]);
}

#[test]
fn rewritten_line_is_one_readable_edit_not_fragments() {
    let before = "a\nlet value = compute(first, second);\nb\n";
    let after = "a\nreturn other_thing.call(x);\nb\n";
    let pairs = check(before, after);
    assert_eq!(pairs.len(), 1, "{pairs:?}");
}

#[test]
fn multibyte_characters_are_never_split() {
    // "é" and "è" share their first UTF-8 byte; the edit must still cover whole chars.
    assert_eq!(check("café\n", "cafè\n"), [("é".into(), "è".into())]);
    assert_eq!(check("let 主 = 1;\n", "let 主要 = 1;\n"), [(String::new(), "要".into())]);
    assert_eq!(check("x 😀 y\n", "x 😃 y\n"), [("😀".into(), "😃".into())]);
}

#[test]
fn crlf_pairs_are_never_split() {
    // Changing only the line ending: the edit covers the whole "\r\n".
    let pairs = check("a\r\nb\r\n", "a\nb\r\n");
    assert_eq!(pairs, [("\r\n".into(), "\n".into())]);
    // A line that only changes its ending gets an edit of just the ending.
    let pairs = check("a\nb\r\n", "a\r\nb\r\n");
    assert_eq!(pairs, [("\n".into(), "\r\n".into())]);
    check("one\r\ntwo\r\nthree", "one\r\ntwo!\r\nthree\r\n");
}

#[test]
fn no_trailing_newline_and_empty_texts() {
    assert_eq!(check("", "x"), [(String::new(), "x".into())]);
    assert_eq!(check("x", ""), [("x".into(), String::new())]);
    assert_eq!(check("a\nb", "a\nb\n"), [(String::new(), "\n".into())]);
    check("a\nb", "a\nc");
}

#[test]
fn huge_blocks_fall_back_to_one_edit_per_block() {
    let before: String = (0..20_000).map(|index| format!("a{index} ")).collect();
    let after: String = (0..20_000).map(|index| format!("b{index} ")).collect();
    let pairs = check(&before, &after);
    assert_eq!(pairs.len(), 1);
}

#[test]
fn merge_rebases_a_user_edit_above_the_target() {
    let base = "use a;\n\nfn target() {\n    old();\n}\n";
    let ours = "use a;\n\nfn target() {\n    new();\n}\n";
    let theirs = "use a;\nuse b;\n\nfn target() {\n    old();\n}\n";
    assert_eq!(merge_lines(base, ours, theirs).unwrap(), "use a;\nuse b;\n\nfn target() {\n    new();\n}\n");
}

#[test]
fn merge_refuses_an_edit_inside_the_target() {
    let base = "fn target() {\n    old();\n    keep();\n}\n";
    let ours = "fn target() {\n    new();\n    keep();\n}\n";
    let theirs = "fn target() {\n    old(1);\n    keep();\n}\n";
    let conflict = merge(base, ours, theirs).unwrap_err();
    assert_eq!(conflict.regions.len(), 1);
    assert_eq!(conflict.regions[0].base_lines, 1..2);
    assert!(conflict.to_string().contains("line 2"), "{conflict}");
}

#[test]
fn merge_treats_adjacent_changes_as_a_conflict_and_identical_ones_as_fine() {
    let base = "a\nb\nc\n";
    assert!(merge(base, "A\nb\nc\n", "a\nB\nc\n").is_err());
    assert_eq!(merge_lines(base, "a\nB\nc\n", "a\nB\nc\n").unwrap(), "a\nB\nc\n");
    assert_eq!(merge_lines(base, "A\nb\nc\n", "a\nb\nC\n").unwrap(), "A\nb\nC\n");
}

#[test]
fn merge_keeps_crlf_line_endings() {
    let base = "a\r\nb\r\nc\r\n";
    assert_eq!(merge_lines(base, "A\r\nb\r\nc\r\n", "a\r\nb\r\nC\r\n").unwrap(), "A\r\nb\r\nC\r\n");
}

/// Random text from an alphabet that stresses the edge cases: CRLF, tabs, CJK, emoji,
/// combining marks, and code punctuation.
fn text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\n"),
        Just("\r\n"),
        Just("\r"),
        Just("\t"),
        Just(" "),
        Just("a"),
        Just("b"),
        Just("foo"),
        Just("bar_baz"),
        Just("("),
        Just(")"),
        Just("{"),
        Just("}"),
        Just(";"),
        Just("主"),
        Just("要"),
        Just("😀"),
        Just("😃"),
        Just("é"),
        Just("e\u{301}"),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

/// Real code and a mutation of it: renames, inserted and deleted lines, line ending changes.
fn code_pair_strategy() -> impl Strategy<Value = (String, String)> {
    const SAMPLES: [&str; 3] = [
        FUNCTION,
        "def greet(name):\r\n\tif not name:\r\n\t\treturn \"你好\"\r\n\treturn f\"hi {name} 👋\"\r\n",
        "function add(a, b) {\n  // 加法\n  return a + b;\n}\n\nexport { add };",
    ];
    (0..SAMPLES.len(), proptest::collection::vec((0..6usize, 0..40usize, text_strategy()), 0..4)).prop_map(
        |(sample, mutations)| {
            let before = SAMPLES[sample].to_string();
            let mut lines: Vec<String> = before.split_inclusive('\n').map(str::to_string).collect();
            for (kind, at, text) in mutations {
                if lines.is_empty() {
                    lines.push(text);
                    continue;
                }
                let index = at % lines.len();
                match kind {
                    0 => lines.insert(index, format!("{text}\n")),
                    1 => {
                        lines.remove(index);
                    }
                    2 => lines[index] = lines[index].replace("a", "value"),
                    3 => lines[index] = lines[index].replace("\r\n", "\n"),
                    4 => lines[index].insert_str(0, &text),
                    _ => lines[index] = lines[index].replacen("name", "名前", 1),
                }
            }
            (before, lines.concat())
        },
    )
}

/// A text of uniquely tagged lines and a version where only chosen lines changed, so that
/// which lines are "untouched" is unambiguous. Returns `(before, after, touched old lines)`.
fn tagged_pair_strategy() -> impl Strategy<Value = (String, String, Vec<bool>)> {
    let line_edit = prop_oneof![
        Just(None),
        text_strategy().prop_map(|text| Some((0u8, text))),
        text_strategy().prop_map(|text| Some((1u8, text))),
        Just(Some((2u8, String::new()))),
    ];
    (proptest::collection::vec((text_strategy(), line_edit), 1..25), prop::bool::ANY, prop::bool::ANY).prop_map(
        |(lines, crlf, trailing_newline)| {
            let ending = if crlf { "\r\n" } else { "\n" };
            let clean = |text: &str| text.replace(['\r', '\n'], "");
            let mut before = Vec::new();
            let mut after = Vec::new();
            let mut touched = Vec::new();
            for (index, (text, line_edit)) in lines.iter().enumerate() {
                // `§` never occurs in generated text, so tagged lines are unique and never
                // equal to a changed line.
                let original = format!("§{index}§{}", clean(text));
                before.push(original.clone());
                match line_edit {
                    None => {
                        after.push(original);
                        touched.push(false);
                    }
                    // Replaced: rewritten content keeps part of the line to make char-level
                    // refinement interesting.
                    Some((0, new_text)) => {
                        after.push(format!("~{index}~{}{}", clean(text), clean(new_text)));
                        touched.push(true);
                    }
                    // A new line inserted after this unchanged one.
                    Some((1, new_text)) => {
                        after.push(original);
                        after.push(format!("+{}", clean(new_text)));
                        touched.push(false);
                    }
                    _ => touched.push(true),
                }
            }
            let join = |lines: &[String]| {
                let mut text = lines.join(ending);
                if trailing_newline && !text.is_empty() {
                    text.push_str(ending);
                }
                text
            };
            (join(&before), join(&after), touched)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applying_the_edits_gives_the_new_text(before in text_strategy(), after in text_strategy()) {
        check(&before, &after);
    }

    #[test]
    fn applying_the_edits_to_real_code_gives_the_new_code((before, after) in code_pair_strategy()) {
        check(&before, &after);
    }

    #[test]
    fn untouched_lines_get_no_edit((before, after, touched) in tagged_pair_strategy()) {
        let edits = edits(&before, &after);
        prop_assert_eq!(apply_edits(&before, &edits), after.clone());
        // Byte span of each old line, terminator included.
        let mut spans = Vec::new();
        let mut offset = 0;
        for line in before.split_inclusive('\n') {
            spans.push(offset..offset + line.len());
            offset += line.len();
        }
        for edit in &edits {
            for (index, span) in spans.iter().enumerate() {
                let overlaps = edit.range.start < span.end && span.start < edit.range.end;
                let inserts_inside = edit.range.is_empty()
                    && span.start < edit.range.start
                    && edit.range.start < span.end;
                if (overlaps || inserts_inside) && !touched[index] {
                    // The only legitimate touch of an unchanged line is its terminator when the
                    // next line was deleted or the last line lost/gained its line ending.
                    let terminator_start = span.end - if before[span.clone()].ends_with("\r\n") { 2 } else if before[span.clone()].ends_with('\n') { 1 } else { 0 };
                    prop_assert!(
                        edit.range.start >= terminator_start,
                        "edit {:?} changes untouched line {} of {:?} -> {:?}", edit, index, before, after
                    );
                }
            }
        }
    }

    #[test]
    fn merge_with_one_side_unchanged_takes_the_other(base in text_strategy(), changed in text_strategy()) {
        prop_assert_eq!(merge_lines(&base, &changed, &base).unwrap(), changed.clone());
        prop_assert_eq!(merge_lines(&base, &base, &changed).unwrap(), changed.clone());
        prop_assert_eq!(merge(&base, &changed, &base).unwrap(), changed.clone());
    }

    #[test]
    fn merge_combines_changes_to_separate_lines(
        lines in proptest::collection::vec("[a-z]{0,6}", 4..20),
        ours_at in 0..100usize,
        theirs_gap in 2..10usize,
        ours_text in "[A-Z]{1,6}",
        theirs_text in "[A-Z]{1,6}",
    ) {
        let lines: Vec<String> = lines.iter().enumerate().map(|(index, text)| format!("{index}{text}\n")).collect();
        let ours_index = ours_at % (lines.len() - 2);
        let theirs_index = (ours_index + theirs_gap).min(lines.len() - 1);
        prop_assume!(theirs_index >= ours_index + 2);
        let base = lines.concat();
        let mut ours = lines.clone();
        ours[ours_index] = format!("{ours_text}\n");
        let mut theirs = lines.clone();
        theirs[theirs_index] = format!("{theirs_text}\n");
        let mut expected = lines.clone();
        expected[ours_index] = ours[ours_index].clone();
        expected[theirs_index] = theirs[theirs_index].clone();
        prop_assert_eq!(merge_lines(&base, &ours.concat(), &theirs.concat()).unwrap(), expected.concat());
    }
}

#[test]
fn completely_different_large_texts_stay_fast_and_correct() {
    let before: String = (0..5_000).map(|index| format!("let alpha_{index} = {index};\n")).collect();
    let after: String = (0..5_000).map(|index| format!("beta({}, \"{index}\");\n", index * 7)).collect();
    let started = std::time::Instant::now();
    let edits = edits(&before, &after);
    let elapsed = started.elapsed();
    assert_eq!(apply_edits(&before, &edits), after);
    // The budgets are 250 ms of diffing; leave room for a slow, unoptimized test build.
    assert!(elapsed < std::time::Duration::from_secs(5), "took {elapsed:?}");
}
