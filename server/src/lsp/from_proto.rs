//! Protocol types in, the server's own types out.

use tower_lsp_server::ls_types as lsp;

use crate::document::ContentChange;
use crate::text::Position;

pub fn position(position: lsp::Position) -> Position {
    Position::new(position.line, position.character)
}

pub fn content_change(change: lsp::TextDocumentContentChangeEvent) -> ContentChange {
    ContentChange { range: change.range.map(|range| (position(range.start), position(range.end))), text: change.text }
}

pub fn uri(uri: &lsp::Uri) -> String {
    uri.as_str().to_string()
}

pub fn file_path(uri: &lsp::Uri) -> Option<std::path::PathBuf> {
    uri.to_file_path().map(|path| path.into_owned())
}
