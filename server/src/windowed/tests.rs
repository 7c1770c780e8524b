use super::*;
use crate::language::parse_str;

/// Top-level statement starts of a whole parse.
fn whole_outline(language: Language, text: &str) -> Vec<usize> {
    let tree = parse_str(language, text).unwrap();
    statement_starts(&tree, &(0..text.len()))
}

fn python_file(functions: usize) -> String {
    let mut text = String::from("import os\nfrom typing import List\n\n");
    for index in 0..functions {
        text.push_str(&format!(
            "@decorator\ndef function_{index}(values: List[int]) -> int:\n    \"\"\"Adds the values.\n\nA docstring line at column 0.\n    \"\"\"\n    total = 0\n    for value in values:\n        total += value * {index}\n    return total\n\n\nclass Holder{index}:\n    limit = {index}\n\n    def method(self):\n        return (\n            self.limit\n        )\n\n"
        ));
    }
    text
}

fn rust_file(functions: usize) -> String {
    let mut text = String::from("use std::collections::HashMap;\n\n");
    for index in 0..functions {
        text.push_str(&format!(
            "/// Doc comment.\n#[inline]\npub fn function_{index}(values: &[i64]) -> i64 {{\n    let text = \"a string\n}} at column 0\";\n    values.iter().map(|value| value * {index}).sum::<i64>() + text.len() as i64\n}}\n\nimpl Holder{index} {{\n    pub const LIMIT: usize = {index};\n}}\n\n"
        ));
    }
    text
}

#[test]
fn chunks_tile_the_text_and_find_the_statements_a_whole_parse_finds() {
    for (language, text) in [(Language::Python, python_file(3000)), (Language::Rust, rust_file(3000))] {
        assert!(text.len() > 4 * CHUNK_BYTES, "{language:?}: several chunks");
        let mut chunks: Vec<Range<usize>> = Vec::new();
        let outline = read_in_chunks(language, &Lines::new(&text), |_, range| chunks.push(range));
        assert_eq!(outline, whole_outline(language, &text), "{language:?}");
        assert_eq!(chunks.first().unwrap().start, 0);
        assert_eq!(chunks.last().unwrap().end, text.len());
        assert!(chunks.windows(2).all(|pair| pair[0].end == pair[1].start), "{language:?}: the chunks tile");
        assert!(chunks.len() > 4, "{language:?}: {} chunks", chunks.len());
    }
}

#[test]
fn a_statement_longer_than_a_chunk_is_read_whole() {
    let body: String = (0..8000).map(|index| format!("    value_{index} = {index}\n")).collect();
    let text = format!("def first():\n    pass\n\ndef long():\n{body}\ndef last():\n    pass\n");
    assert!(text.len() > 2 * CHUNK_BYTES);
    let outline = read_in_chunks(Language::Python, &Lines::new(&text), |_, _| {});
    assert_eq!(outline, whole_outline(Language::Python, &text));
    assert_eq!(outline.len(), 3);
}

#[test]
fn a_window_is_whole_statements_around_its_focus() {
    let text = python_file(3000);
    let outline = whole_outline(Language::Python, &text);
    let focus = text.len() / 2..text.len() / 2 + 1;
    let window = window_around(&outline, text.len(), focus.clone());
    assert!(outline.contains(&window.start) && outline.contains(&window.end));
    assert!(window.start + WINDOW_BEFORE <= focus.start && focus.end + WINDOW_AFTER <= window.end);
    assert!(window.len() < WINDOW_BEFORE + WINDOW_AFTER + 2_000, "{}", window.len());
    assert!(still_serves(&window, text.len(), &focus));
    // At the edges, the window reaches the text's ends.
    assert_eq!(window_around(&outline, text.len(), 0..0).start, 0);
    assert_eq!(window_around(&outline, text.len(), text.len()..text.len()).end, text.len());

    // The window's tree has the whole parse's nodes, at the same positions.
    let whole = parse_str(Language::Python, &text).unwrap();
    let part = parse_range(Language::Python, &Lines::new(&text), window.clone(), None).unwrap();
    let node_at = |tree: &Tree| {
        let node = tree.root_node().descendant_for_byte_range(focus.start, focus.start).unwrap();
        (node.kind(), node.byte_range(), node.start_position(), node.parent().map(|parent| parent.to_sexp()))
    };
    assert_eq!(node_at(&part), node_at(&whole));
    let mut outline_after = outline.clone();
    refresh_outline(&mut outline_after, &part, &window);
    assert_eq!(outline_after, outline);
}

#[test]
fn the_outline_follows_edits() {
    let edit = |start: usize, old_end: usize, new_end: usize| InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: Point::default(),
        old_end_position: Point::default(),
        new_end_position: Point::default(),
    };
    let mut outline = vec![0, 10, 20, 30];
    move_outline(&mut outline, &edit(10, 10, 13));
    assert_eq!(outline, [0, 10, 23, 33], "an insertion at a start keeps it");
    move_outline(&mut outline, &edit(5, 25, 6));
    assert_eq!(outline, [0, 14], "the starts inside a deletion are gone");
    assert_eq!(move_range(&(10..20), &edit(0, 2, 5)), 13..23);
    assert_eq!(move_range(&(10..20), &edit(15, 25, 16)), 10..16);
    assert_eq!(move_range(&(10..20), &edit(30, 31, 30)), 10..20);
}
