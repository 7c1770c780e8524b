//! Large documents parsed a window at a time. The tree of a 20,000-line file is about 15 MB
//! (20 bytes per byte of text), as much as the rest of the server, and what the features
//! read from it is near the cursor. So a document over `LARGE_DOCUMENT_BYTES` keeps the tree
//! of a window of whole top-level statements around the last edit (or the position a
//! feature asked for), parsed with tree-sitter's included ranges so its positions are those
//! of the whole text; the definitions of the rest are read chunk by chunk, one small tree
//! at a time, and kept by the symbol cache.

use std::ops::Range;

use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

use crate::language::{with_parser, Language};

/// Documents larger than this are parsed a window at a time (a tree of about 5 MB).
pub const LARGE_DOCUMENT_BYTES: usize = 256 * 1024;

/// How much a chunk of a chunked reading parses at once (a tree of about 1.3 MB).
const CHUNK_BYTES: usize = 64 * 1024;

/// How far a window reaches before and after what it is parsed for: well past the text
/// around the cursor that a completion's context shows (about 8 KB before and 3 KB after it
/// at the default budget) and the function the cursor is in.
const WINDOW_BEFORE: usize = 32 * 1024;
const WINDOW_AFTER: usize = 16 * 1024;

/// A text tree-sitter can read a part of.
pub trait Source {
    fn len_bytes(&self) -> usize;
    /// The bytes from `byte` on, as many as are at hand (at least one before the end).
    fn bytes_at(&self, byte: usize) -> &[u8];
    fn point_at(&self, byte: usize) -> Point;
}

impl Source for Rope {
    fn len_bytes(&self) -> usize {
        Rope::len_bytes(self)
    }

    fn bytes_at(&self, byte: usize) -> &[u8] {
        let (chunk, chunk_start, _, _) = self.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - chunk_start..]
    }

    fn point_at(&self, byte: usize) -> Point {
        let row = self.byte_to_line(byte);
        Point { row, column: byte - self.line_to_byte(row) }
    }
}

/// A string with its line starts, for text that is not an open document.
pub struct Lines<'text> {
    text: &'text str,
    line_starts: Vec<usize>,
}

impl<'text> Lines<'text> {
    pub fn new(text: &'text str) -> Lines<'text> {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect();
        Lines { text, line_starts }
    }
}

impl Source for Lines<'_> {
    fn len_bytes(&self) -> usize {
        self.text.len()
    }

    fn bytes_at(&self, byte: usize) -> &[u8] {
        &self.text.as_bytes()[byte..]
    }

    fn point_at(&self, byte: usize) -> Point {
        let row = self.line_starts.partition_point(|&start| start <= byte) - 1;
        Point { row, column: byte - self.line_starts[row] }
    }
}

/// Whether a document this large is parsed a window at a time.
pub fn is_large(len_bytes: usize) -> bool {
    len_bytes > LARGE_DOCUMENT_BYTES
}

/// Parses `range` of `source` alone (positions as in the whole text), reusing `old_tree`.
/// Takes no large-parse turn: a caller reading a large text holds it (see `large_parse_turn`).
pub fn parse_range(
    language: Language,
    source: &impl Source,
    range: Range<usize>,
    old_tree: Option<&Tree>,
) -> Option<Tree> {
    let included = tree_sitter::Range {
        start_byte: range.start,
        end_byte: range.end,
        start_point: source.point_at(range.start),
        end_point: source.point_at(range.end),
    };
    with_parser(language, |parser| {
        parser.set_included_ranges(&[included]).ok()?;
        let mut read = |byte: usize, _point: Point| -> &[u8] {
            if byte >= range.end {
                return &[];
            }
            let bytes = source.bytes_at(byte);
            &bytes[..bytes.len().min(range.end - byte)]
        };
        let tree = parser.parse_with_options(&mut read, old_tree, None);
        // The parser is shared: the next parse of this thread reads the whole text again.
        let _ = parser.set_included_ranges(&[]);
        tree
    })
}

/// The start of every top-level statement of `tree` in `range`.
fn statement_starts(tree: &Tree, range: &Range<usize>) -> Vec<usize> {
    top_level(tree).into_iter().map(|(start, _)| start).filter(|at| range.contains(at)).collect()
}

/// The (start, end) of every top-level statement, walked with a cursor (`Node::child`
/// counts from the first child at every call).
fn top_level(tree: &Tree) -> Vec<(usize, usize)> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.children(&mut cursor).map(|child| (child.start_byte(), child.end_byte())).collect()
}

/// Reads `source` from the start in chunks of whole top-level statements, one tree at a
/// time: `read` sees each chunk's tree with the range it stands for (the chunks tile the
/// text). Returns the start of every top-level statement. A chunk is parsed a little past
/// its end and the statements reaching into that margin wait for the next one, as their
/// end may have been cut; one statement longer than a chunk gets a chunk as long as it.
pub fn read_in_chunks(
    language: Language,
    source: &impl Source,
    mut read: impl FnMut(&Tree, Range<usize>),
) -> Vec<usize> {
    let len = source.len_bytes();
    let mut outline = Vec::new();
    let (mut start, mut size) = (0, CHUNK_BYTES);
    while start < len {
        let end = (start + size).min(len);
        let Some(tree) = parse_range(language, source, start..end, None) else {
            break;
        };
        if end == len {
            outline.extend(statement_starts(&tree, &(start..len)));
            read(&tree, start..len);
            break;
        }
        let margin_start = end - size / 4;
        let cut = top_level(&tree)
            .into_iter()
            .find(|(_, child_end)| *child_end > margin_start)
            .map(|(child_start, _)| child_start)
            .filter(|&cut| cut > start);
        match cut {
            Some(cut) => {
                outline.extend(statement_starts(&tree, &(start..cut)));
                read(&tree, start..cut);
                (start, size) = (cut, CHUNK_BYTES);
            }
            None => size *= 2,
        }
    }
    outline
}

/// The window to parse for `focus`: from the last statement starting at or before
/// `WINDOW_BEFORE` ahead of it to the first starting at or after `WINDOW_AFTER` past it.
pub fn window_around(outline: &[usize], len: usize, focus: Range<usize>) -> Range<usize> {
    let wanted_start = focus.start.saturating_sub(WINDOW_BEFORE);
    let wanted_end = (focus.end + WINDOW_AFTER).min(len);
    let before = outline.partition_point(|&start| start <= wanted_start);
    let start = if before == 0 { 0 } else { outline[before - 1] };
    let after = outline.partition_point(|&start| start < wanted_end);
    let end = if after == outline.len() { len } else { outline[after] };
    start..end.max(start)
}

/// Whether `window` serves `focus` without moving: it reaches half its usual distance on
/// each side (or the text's edge), so typing does not move the window at every keystroke.
pub fn still_serves(window: &Range<usize>, len: usize, focus: &Range<usize>) -> bool {
    let start = focus.start.saturating_sub(WINDOW_BEFORE / 2);
    let end = (focus.end + WINDOW_AFTER / 2).min(len);
    window.start <= start && end <= window.end
}

/// The next statement start after `end` (or the text's end): a window whose last statement
/// did not parse reaches one statement further.
pub fn next_boundary(outline: &[usize], len: usize, end: usize) -> usize {
    outline.get(outline.partition_point(|&start| start <= end)).copied().unwrap_or(len)
}

/// After a window's parse, its statement starts replace what the outline had there.
pub fn refresh_outline(outline: &mut Vec<usize>, tree: &Tree, window: &Range<usize>) {
    let from = outline.partition_point(|&start| start < window.start);
    let to = outline.partition_point(|&start| start < window.end);
    outline.splice(from..to, statement_starts(tree, window));
}

/// Moves a range through an edit: before it, unchanged; after it, shifted; touching it,
/// stretched over the edit's new text.
pub fn move_range(range: &Range<usize>, edit: &InputEdit) -> Range<usize> {
    let (start, old_end, new_end) = (edit.start_byte, edit.old_end_byte, edit.new_end_byte);
    let shift = |at: usize| (at as isize + new_end as isize - old_end as isize) as usize;
    if range.end < start {
        range.clone()
    } else if range.start > old_end {
        shift(range.start)..shift(range.end)
    } else {
        range.start.min(start)..if range.end > old_end { shift(range.end) } else { new_end }
    }
}

/// Moves statement starts through an edit: those inside the replaced text are gone (the
/// next parse of the window finds what is there now), those after it shift.
pub fn move_outline(outline: &mut Vec<usize>, edit: &InputEdit) {
    let (start, old_end, new_end) = (edit.start_byte, edit.old_end_byte, edit.new_end_byte);
    let first_inside = outline.partition_point(|&at| at <= start);
    let first_after = outline.partition_point(|&at| at < old_end).max(first_inside);
    outline.drain(first_inside..first_after);
    for at in &mut outline[first_inside..] {
        *at = *at - old_end + new_end;
    }
}

#[cfg(test)]
mod tests;
