//! Positions: the one place where LSP line/character pairs become byte offsets and back.
//!
//! Everything inside the server works on byte offsets into a document's text (the unit
//! tree-sitter uses too); a `Position` exists only at the protocol edge. Lines end at `\n`,
//! `\r\n` or a lone `\r`, exactly as LSP defines them: the rope is built with `cr_lines` and
//! without Unicode line breaks (U+2028 and friends are ordinary characters to LSP).

use ropey::Rope;

/// How the `character` of an LSP position counts, negotiated at `initialize` (LSP 3.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

impl PositionEncoding {
    /// The server's pick from what the client offers: UTF-8 is cheapest for us (no
    /// recounting), then UTF-32, and UTF-16 — the mandatory default — otherwise.
    pub fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> PositionEncoding {
        let offered: Vec<&str> = offered.into_iter().collect();
        if offered.contains(&"utf-8") {
            PositionEncoding::Utf8
        } else if offered.contains(&"utf-32") {
            PositionEncoding::Utf32
        } else {
            PositionEncoding::Utf16
        }
    }

    pub fn as_lsp_str(self) -> &'static str {
        match self {
            PositionEncoding::Utf8 => "utf-8",
            PositionEncoding::Utf16 => "utf-16",
            PositionEncoding::Utf32 => "utf-32",
        }
    }
}

/// A zero-based line and a column counted in the negotiated encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

impl Position {
    pub fn new(line: u32, character: u32) -> Position {
        Position { line, character }
    }
}

/// A replacement of the bytes `range` of a text by `new_text`: the server's own edit type,
/// turned into LSP `TextEdit`s only at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: std::ops::Range<usize>,
    pub new_text: String,
}

/// Applies edits given against the same original text (sorted, not overlapping).
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut result = String::with_capacity(text.len());
    let mut cursor = 0;
    for edit in edits {
        result.push_str(&text[cursor..edit.range.start]);
        result.push_str(&edit.new_text);
        cursor = edit.range.end;
    }
    result.push_str(&text[cursor..]);
    result
}

/// The byte offset just past the last character of `line`, before its line ending.
fn line_content_end_byte(rope: &Rope, line: usize) -> usize {
    let start = rope.line_to_byte(line);
    let slice = rope.line(line);
    let mut len = slice.len_bytes();
    let mut chars = slice.chars_at(slice.len_chars());
    match chars.prev() {
        Some('\n') => {
            len -= 1;
            if chars.prev() == Some('\r') {
                len -= 1;
            }
        }
        Some('\r') => len -= 1,
        _ => {}
    }
    start + len
}

/// The byte offset of `position`, or `None` when its line is past the end of the text.
/// A character past the end of its line is clamped to the line's end, as LSP prescribes;
/// one inside a multi-unit character (half a surrogate pair) rounds down to its start.
pub fn offset_of(rope: &Rope, position: Position, encoding: PositionEncoding) -> Option<usize> {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return None;
    }
    let line_start_byte = rope.line_to_byte(line);
    let line_end_byte = line_content_end_byte(rope, line);
    let character = position.character as usize;
    let byte = match encoding {
        PositionEncoding::Utf8 => {
            let byte = (line_start_byte + character).min(line_end_byte);
            rope.char_to_byte(rope.byte_to_char(byte))
        }
        PositionEncoding::Utf16 => {
            let line_start_char = rope.byte_to_char(line_start_byte);
            let line_end_char = rope.byte_to_char(line_end_byte);
            let start_unit = rope.char_to_utf16_cu(line_start_char);
            let end_unit = rope.char_to_utf16_cu(line_end_char);
            let unit = (start_unit + character).min(end_unit);
            rope.char_to_byte(rope.utf16_cu_to_char(unit))
        }
        PositionEncoding::Utf32 => {
            let line_start_char = rope.byte_to_char(line_start_byte);
            let line_end_char = rope.byte_to_char(line_end_byte);
            rope.char_to_byte((line_start_char + character).min(line_end_char))
        }
    };
    Some(byte)
}

/// The position of a byte offset (clamped to the text's length, floored to a char boundary).
pub fn position_of(rope: &Rope, byte: usize, encoding: PositionEncoding) -> Position {
    let byte = byte.min(rope.len_bytes());
    let char_index = rope.byte_to_char(byte);
    let line = rope.char_to_line(char_index);
    let line_start_char = rope.line_to_char(line);
    let character = match encoding {
        PositionEncoding::Utf8 => rope.char_to_byte(char_index) - rope.line_to_byte(line),
        PositionEncoding::Utf16 => rope.char_to_utf16_cu(char_index) - rope.char_to_utf16_cu(line_start_char),
        PositionEncoding::Utf32 => char_index - line_start_char,
    };
    Position::new(line as u32, character as u32)
}

/// The tree-sitter point (row, byte column) of a byte offset. Tree-sitter counts rows at `\n`
/// only, so in a file with lone `\r` line ends the row is approximate; nothing here reads
/// rows back, byte offsets are what matter.
pub fn point_of(rope: &Rope, byte: usize) -> tree_sitter::Point {
    let line = rope.byte_to_line(byte);
    tree_sitter::Point::new(line, byte - rope.line_to_byte(line))
}

/// Whether `character` can be part of a name in the languages we read (`$` for JavaScript).
pub fn is_name_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_' || character == '$'
}

/// Where `word` stands in `text` as a whole name, not inside a longer one.
pub fn whole_word_positions<'a>(text: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(word).map(|(at, _)| at).filter(move |&at| {
        !word.is_empty()
            && !text[..at].chars().next_back().is_some_and(is_name_char)
            && !text[at + word.len()..].chars().next().is_some_and(is_name_char)
    })
}

/// The run of `is_word` characters that `text` ends with (empty when it ends with another
/// character). Found by characters, so a multi-byte character before the word never splits.
pub fn trailing_word(text: &str, is_word: impl Fn(char) -> bool) -> &str {
    let start = text.char_indices().rev().find(|(_, c)| !is_word(*c)).map_or(0, |(at, c)| at + c.len_utf8());
    &text[start..]
}

/// The largest char boundary of `text` at or before `index` (clamped to its length).
pub fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The same for a rope: the start of the character holding byte `byte`.
pub fn floor_rope_boundary(rope: &Rope, byte: usize) -> usize {
    rope.char_to_byte(rope.byte_to_char(byte.min(rope.len_bytes())))
}

/// The end of the character holding byte `byte` (the byte itself when it starts one).
pub fn ceil_rope_boundary(rope: &Rope, byte: usize) -> usize {
    let floor = floor_rope_boundary(rope, byte);
    if floor == byte {
        byte
    } else {
        rope.char_to_byte(rope.byte_to_char(byte) + 1)
    }
}

/// The position of a byte offset in a plain string (for text not held in a rope).
pub fn position_in_str(text: &str, byte: usize, encoding: PositionEncoding) -> Position {
    position_of(&Rope::from_str(text), byte, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_are_not_parts_of_longer_names() {
        let found: Vec<usize> = whole_word_positions("get get_user $get target get", "get").collect();
        assert_eq!(found, [0, 25]);
        assert_eq!(whole_word_positions("naïveget get", "get").collect::<Vec<_>>(), [10]);
        assert_eq!(whole_word_positions("anything", "").count(), 0);
    }

    #[test]
    fn trailing_words_never_split_a_character() {
        let word = |c: char| c.is_alphanumeric() || c == '_';
        assert_eq!(trailing_word("from x import (a,  # see —", word), "");
        assert_eq!(trailing_word("café—naïve_1", word), "naïve_1");
        assert_eq!(trailing_word("Config", word), "Config");
        assert_eq!(trailing_word("", word), "");
    }

    fn round_trip(text: &str, encoding: PositionEncoding) {
        let rope = Rope::from_str(text);
        for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
            if text[..byte].ends_with('\r') && text[byte..].starts_with('\n') {
                continue; // inside a line break: no position points there
            }
            let position = position_of(&rope, byte, encoding);
            assert_eq!(position, independent_position(text, byte, encoding));
            let at_line_end_terminator = text[byte..].starts_with('\n') && text[..byte].ends_with('\r');
            if !at_line_end_terminator {
                assert_eq!(offset_of(&rope, position, encoding), Some(byte), "{text:?} at {byte}");
            }
        }
    }

    /// A slow, obviously correct position: split lines as LSP does, then count units.
    fn independent_position(text: &str, byte: usize, encoding: PositionEncoding) -> Position {
        let normalized = text[..byte].replace("\r\n", "\n").replace('\r', "\n");
        let mut lines = normalized.split('\n');
        let line = lines.clone().count() - 1;
        let column = lines.next_back().unwrap();
        let character = match encoding {
            PositionEncoding::Utf8 => column.len(),
            PositionEncoding::Utf16 => column.encode_utf16().count(),
            PositionEncoding::Utf32 => column.chars().count(),
        };
        let _ = lines.next();
        Position::new(line as u32, character as u32)
    }

    #[test]
    fn positions_round_trip_in_every_encoding() {
        let text = "fn 主() {\r\n    let 😀 = \"é\";\n}\r\tlast\r";
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
            round_trip(text, encoding);
        }
    }

    #[test]
    fn utf16_counts_surrogate_pairs_as_two_units() {
        let rope = Rope::from_str("a😀b");
        assert_eq!(position_of(&rope, 5, PositionEncoding::Utf16), Position::new(0, 3));
        assert_eq!(position_of(&rope, 5, PositionEncoding::Utf32), Position::new(0, 2));
        // Half a surrogate pair rounds down to the emoji's start.
        assert_eq!(offset_of(&rope, Position::new(0, 2), PositionEncoding::Utf16), Some(1));
    }

    #[test]
    fn out_of_range_positions_clamp_or_fail() {
        let rope = Rope::from_str("ab\r\ncd");
        assert_eq!(offset_of(&rope, Position::new(0, 99), PositionEncoding::Utf16), Some(2));
        assert_eq!(offset_of(&rope, Position::new(1, 99), PositionEncoding::Utf8), Some(6));
        assert_eq!(offset_of(&rope, Position::new(2, 0), PositionEncoding::Utf16), None);
    }

    #[test]
    fn negotiation_prefers_utf8() {
        assert_eq!(PositionEncoding::negotiate(["utf-16", "utf-8"]), PositionEncoding::Utf8);
        assert_eq!(PositionEncoding::negotiate(["utf-32"]), PositionEncoding::Utf32);
        assert_eq!(PositionEncoding::negotiate([]), PositionEncoding::Utf16);
    }
}
