//! The server's own types in, protocol types out.

use ropey::Rope;
use tower_lsp_server::ls_types as lsp;

use super::capabilities::{ClientSupport, DocumentationFormat};
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

/// A suggestion's code as completion documentation, in the form the client reads: a fenced
/// Markdown block, or the code itself as plain text.
pub fn code_documentation(support: &ClientSupport, language: &str, code: &str) -> lsp::Documentation {
    match support.completion_documentation {
        DocumentationFormat::Markdown => lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: fenced(language, code),
        }),
        DocumentationFormat::PlainText => lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::PlainText,
            value: code.to_string(),
        }),
        DocumentationFormat::String => lsp::Documentation::String(code.to_string()),
    }
}

/// The code as a Markdown code block, fenced with more backticks than it contains.
fn fenced(language: &str, code: &str) -> String {
    let longest_run = code.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}{language}\n{code}\n{fence}")
}

/// A code action as the client takes it: a `CodeAction` literal, or only its command for a
/// client without `codeActionLiteralSupport`.
pub fn code_action_or_command(support: &ClientSupport, action: lsp::CodeAction) -> lsp::CodeActionOrCommand {
    match (support.code_action_literals, action.command.clone()) {
        (false, Some(command)) => lsp::CodeActionOrCommand::Command(command),
        _ => lsp::CodeActionOrCommand::CodeAction(action),
    }
}
