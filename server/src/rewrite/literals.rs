//! Which lines of a text are the inside of a string or a comment rather than code, and the
//! indentation style of the code alone.
//!
//! A raw string's lines (a shell script in a Go file, an SQL query, a docstring) are data: their
//! indentation says nothing about how the file indents, so a guess over the whole file can pick
//! spaces for a file whose code is indented with tabs. Style is therefore read from code lines
//! only, nearest first: the target's own lines, then the lines around it.

use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::IndentStyle;

/// How many lines on each side of the focus are read when the focus itself shows no style.
pub const NEARBY_LINES: usize = 200;

/// For each line of `text` (`split_inclusive('\n')`), whether it starts inside a string or
/// comment that began on an earlier line. `tree` is a parse of a document of which `text`
/// starts at byte `text_offset`; without a tree every line is code.
pub fn literal_lines(text: &str, text_offset: usize, tree: Option<&Tree>) -> Vec<bool> {
    let line_starts: Vec<usize> = line_starts(text).map(|start| start + text_offset).collect();
    let mut literal = vec![false; line_starts.len()];
    let Some(tree) = tree else {
        return literal;
    };
    let span = text_offset..text_offset + text.len();
    // Iterative: generated code can nest deeper than a worker thread's stack.
    let mut pending = vec![tree.root_node()];
    while let Some(node) = pending.pop() {
        if node.end_byte() <= span.start || node.start_byte() >= span.end {
            continue;
        }
        if node.start_position().row == node.end_position().row {
            continue;
        }
        if is_literal(&node) {
            let inside = node.start_byte() + 1..node.end_byte();
            let first = line_starts.partition_point(|&start| start < inside.start);
            for index in first..line_starts.len() {
                if line_starts[index] >= inside.end {
                    break;
                }
                literal[index] = true;
            }
            continue;
        }
        let mut cursor = node.walk();
        pending.extend(node.children(&mut cursor));
    }
    literal
}

/// Whether a node is a string, a comment or another text literal, by the kind names the
/// grammars use (`raw_string_literal`, `template_string`, `block_comment`, `text_block`…).
fn is_literal(node: &Node) -> bool {
    let kind = node.kind();
    kind.contains("string") || kind.contains("comment") || kind == "text_block" || kind.contains("heredoc")
}

fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.split_inclusive('\n').scan(0, |start, line| {
        let this = *start;
        *start += line.len();
        Some(this)
    })
}

/// The indentation style of the code at `focus` (a byte range of `text`, which starts at byte
/// `text_offset` of the document `tree` parsed): the focus's own code lines when they show
/// one, else the code lines up to [`NEARBY_LINES`] around it, else the whole text's lines.
/// Lines inside strings and comments are never evidence when there is a tree.
pub fn style_of_code_around(text: &str, text_offset: usize, focus: Range<usize>, tree: Option<&Tree>) -> IndentStyle {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let literal = literal_lines(text, text_offset, tree);
    let starts: Vec<usize> = line_starts(text).collect();
    let line_of = |offset: usize| starts.partition_point(|&start| start <= offset).saturating_sub(1);
    let first = line_of(focus.start.min(text.len()));
    let last = if focus.end > focus.start { line_of(focus.end - 1) } else { first };
    let code_lines = |range: Range<usize>| {
        let range = range.start.min(lines.len())..range.end.min(lines.len());
        let chosen: Vec<&str> = range.filter(|&index| !literal[index]).map(|index| lines[index]).collect();
        IndentStyle::detect_in_lines(chosen.into_iter())
    };
    code_lines(first..last + 1)
        .or_else(|| code_lines(first.saturating_sub(NEARBY_LINES)..last + 1 + NEARBY_LINES))
        .or_else(|| code_lines(0..lines.len()))
        .unwrap_or_default()
}
