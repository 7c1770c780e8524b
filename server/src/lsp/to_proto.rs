//! The server's own types in, protocol types out.

use ropey::Rope;
use tower_lsp_server::ls_types as lsp;

use crate::text::{position_of, Edit, Position, PositionEncoding};

pub fn position(position: Position) -> lsp::Position {
    lsp::Position::new(position.line, position.character)
}

pub fn range(rope: &Rope, bytes: std::ops::Range<usize>, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range::new(
        position(position_of(rope, bytes.start, encoding)),
        position(position_of(rope, bytes.end, encoding)),
    )
}

pub fn text_edit(rope: &Rope, edit: &Edit, encoding: PositionEncoding) -> lsp::TextEdit {
    lsp::TextEdit::new(range(rope, edit.range.clone(), encoding), edit.new_text.clone())
}

pub fn position_encoding(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}
