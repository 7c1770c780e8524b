//! Open documents: text in a rope, the editor's version, the language and an incrementally
//! maintained tree-sitter tree.

use std::time::Instant;

use dashmap::DashMap;
use ropey::Rope;
use tree_sitter::{InputEdit, Tree};

use crate::language::{with_parser, Language};
use crate::text::{offset_of, point_of, Position, PositionEncoding};

/// Documents larger than this are kept as text but never parsed: a parse would cost more
/// than the context it buys.
pub const MAX_PARSED_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Document {
    pub uri: String,
    pub language_id: String,
    pub language: Option<Language>,
    pub version: i32,
    pub rope: Rope,
    pub tree: Option<Tree>,
    /// When the user last changed the text; ranks "recently edited" context.
    pub last_edited: Instant,
    /// Set when a change could not be applied: the editor's text and ours differ, so every
    /// later ranged change is refused (it would corrupt the text) until a full-text change.
    pub out_of_sync: bool,
    /// The tree has been edited (`Tree::edit`) but not reparsed since the last change: its
    /// positions are right, its shape may be a keystroke behind. Reparsing a large file takes
    /// milliseconds, so it happens after a pause in typing or when a feature needs it, not
    /// on every keystroke.
    pub tree_stale: bool,
    /// Where the last ranged change ended: the cursor, as far as the server can tell, for
    /// prefetching a completion after a pause in typing.
    pub last_edit_end: Option<usize>,
}

/// One `contentChanges` entry: a range in the negotiated encoding, or the whole text.
#[derive(Debug, Clone)]
pub struct ContentChange {
    pub range: Option<(Position, Position)>,
    pub text: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChangeError {
    #[error("change for version {got} arrived after version {current}; ignored")]
    StaleVersion { current: i32, got: i32 },
    #[error("change range {start:?}..{end:?} lies outside the document; it is out of sync until the editor sends the full text")]
    RangeOutOfBounds { start: Position, end: Position },
    #[error("the document is out of sync after an earlier bad change; reopen it to resynchronise")]
    OutOfSync,
}

impl Document {
    pub fn new(uri: String, language_id: String, version: i32, text: &str) -> Document {
        let language =
            Language::from_language_id(&language_id).or_else(|| Language::from_path(std::path::Path::new(&uri)));
        let mut document = Document {
            uri,
            language_id,
            language,
            version,
            rope: Rope::from_str(text),
            tree: None,
            last_edited: Instant::now(),
            out_of_sync: false,
            tree_stale: false,
            last_edit_end: None,
        };
        document.reparse();
        document
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies one `didChange`. Edits are validated before anything is touched, so a bad
    /// change leaves the document exactly as it was.
    pub fn apply_changes(
        &mut self,
        version: i32,
        changes: &[ContentChange],
        encoding: PositionEncoding,
    ) -> Result<(), ChangeError> {
        if version <= self.version {
            return Err(ChangeError::StaleVersion { current: self.version, got: version });
        }
        let resyncs = changes.iter().any(|change| change.range.is_none());
        if self.out_of_sync && !resyncs {
            self.version = version;
            return Err(ChangeError::OutOfSync);
        }
        // Each range refers to the text as left by the previous change in the same list, so
        // validate against a scratch copy (cheap: ropes share their nodes).
        let mut rope = self.rope.clone();
        let mut tree_edits = Vec::with_capacity(changes.len());
        let mut last_edit_end = None;
        let mut full_text = false;
        for change in changes {
            match change.range {
                None => {
                    rope = Rope::from_str(&change.text);
                    full_text = true;
                    last_edit_end = None;
                    tree_edits.clear();
                }
                Some((start, end)) => {
                    let (Some(start_byte), Some(end_byte)) =
                        (offset_of(&rope, start, encoding), offset_of(&rope, end, encoding))
                    else {
                        self.out_of_sync = true;
                        self.version = version;
                        return Err(ChangeError::RangeOutOfBounds { start, end });
                    };
                    if start_byte > end_byte {
                        self.out_of_sync = true;
                        self.version = version;
                        return Err(ChangeError::RangeOutOfBounds { start, end });
                    }
                    let start_point = point_of(&rope, start_byte);
                    let old_end_point = point_of(&rope, end_byte);
                    let start_char = rope.byte_to_char(start_byte);
                    let end_char = rope.byte_to_char(end_byte);
                    rope.remove(start_char..end_char);
                    rope.insert(start_char, &change.text);
                    let new_end_byte = start_byte + change.text.len();
                    last_edit_end = Some(new_end_byte);
                    tree_edits.push(InputEdit {
                        start_byte,
                        old_end_byte: end_byte,
                        new_end_byte,
                        start_position: start_point,
                        old_end_position: old_end_point,
                        new_end_position: point_of(&rope, new_end_byte),
                    });
                }
            }
        }
        self.rope = rope;
        self.version = version;
        self.out_of_sync = false;
        self.last_edit_end = last_edit_end;
        self.last_edited = Instant::now();
        if full_text {
            self.tree = None;
        } else if let Some(tree) = self.tree.as_mut() {
            for edit in &tree_edits {
                tree.edit(edit);
            }
        }
        self.tree_stale = self.language.is_some();
        Ok(())
    }

    /// Brings the tree up to date with the text: an incremental reparse of the edited tree
    /// (a fresh parse only after a full-text change).
    pub fn refresh_tree(&mut self) {
        if self.tree_stale {
            self.reparse();
            self.tree_stale = false;
        }
    }

    /// Parses the text, reusing the edited old tree so only changed regions are re-read.
    fn reparse(&mut self) {
        let Some(language) = self.language else {
            return;
        };
        if self.rope.len_bytes() > MAX_PARSED_BYTES {
            self.tree = None;
            return;
        }
        let rope = &self.rope;
        let old_tree = self.tree.take();
        self.tree = with_parser(language, |parser| {
            let mut read_chunk = |byte: usize, _point: tree_sitter::Point| -> &[u8] {
                if byte >= rope.len_bytes() {
                    return &[];
                }
                let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
                &chunk.as_bytes()[byte - chunk_start..]
            };
            parser.parse_with_options(&mut read_chunk, old_tree.as_ref(), None)
        });
    }
}

/// All open documents, keyed by URI. Mutations happen in synchronous handlers, in arrival
/// order; readers take short-lived guards or clones, never across an `.await`.
#[derive(Debug, Default)]
pub struct DocumentStore {
    documents: DashMap<String, Document>,
}

impl DocumentStore {
    pub fn open(&self, document: Document) {
        self.documents.insert(document.uri.clone(), document);
    }

    pub fn close(&self, uri: &str) -> Option<Document> {
        self.documents.remove(uri).map(|(_, document)| document)
    }

    pub fn change(
        &self,
        uri: &str,
        version: i32,
        changes: &[ContentChange],
        encoding: PositionEncoding,
    ) -> Option<Result<(), ChangeError>> {
        let mut document = self.documents.get_mut(uri)?;
        Some(document.apply_changes(version, changes, encoding))
    }

    /// Reparses a document whose tree is behind its text; returns whether it did. The parse
    /// runs on a snapshot, outside the map's lock, so requests and changes never wait for
    /// it; its tree is stored only if no change arrived meanwhile.
    pub fn refresh_tree(&self, uri: &str) -> bool {
        self.parsed_snapshot(uri).is_some_and(|(_, reparsed)| reparsed)
    }

    /// A snapshot with an up-to-date tree, for features that need the exact syntax.
    pub fn get_parsed(&self, uri: &str) -> Option<Document> {
        self.parsed_snapshot(uri).map(|(document, _)| document)
    }

    fn parsed_snapshot(&self, uri: &str) -> Option<(Document, bool)> {
        let mut snapshot = self.get(uri)?;
        if !snapshot.tree_stale {
            return Some((snapshot, false));
        }
        snapshot.refresh_tree();
        if let Some(mut document) = self.documents.get_mut(uri) {
            if document.version == snapshot.version && document.tree_stale {
                document.tree = snapshot.tree.clone();
                document.tree_stale = false;
            }
        }
        Some((snapshot, true))
    }

    /// A snapshot of a document (rope and tree clones are cheap and share structure). Its
    /// tree may be a keystroke behind the text (see `tree_stale`), which context gathering
    /// tolerates.
    pub fn get(&self, uri: &str) -> Option<Document> {
        self.documents.get(uri).map(|document| document.clone())
    }

    pub fn with<R>(&self, uri: &str, read: impl FnOnce(&Document) -> R) -> Option<R> {
        self.documents.get(uri).map(|document| read(&document))
    }

    /// Snapshots of every open document, most recently edited first.
    pub fn snapshot_all(&self) -> Vec<Document> {
        let mut documents: Vec<Document> = self.documents.iter().map(|entry| entry.value().clone()).collect();
        documents.sort_by_key(|document| std::cmp::Reverse(document.last_edited));
        documents
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> ContentChange {
        ContentChange {
            range: Some((Position::new(start.0, start.1), Position::new(end.0, end.1))),
            text: text.to_string(),
        }
    }

    #[test]
    fn incremental_edit_keeps_tree_equal_to_fresh_parse() {
        let mut document = Document::new("file:///a.rs".into(), "rust".into(), 1, "fn main() {\n    let x = 1;\n}\n");
        document.apply_changes(2, &[change((1, 12), (1, 13), "\"é😀\"")], PositionEncoding::Utf16).unwrap();
        assert_eq!(document.text(), "fn main() {\n    let x = \"é😀\";\n}\n");
        assert!(document.tree_stale);
        document.refresh_tree();
        let fresh = crate::language::parse_str(Language::Rust, &document.text()).unwrap();
        assert_eq!(document.tree.as_ref().unwrap().root_node().to_sexp(), fresh.root_node().to_sexp());
    }

    #[test]
    fn stale_and_out_of_range_changes_leave_the_document_untouched() {
        let mut document = Document::new("file:///a.py".into(), "python".into(), 5, "x = 1\n");
        assert_eq!(
            document.apply_changes(5, &[change((0, 0), (0, 0), "y")], PositionEncoding::Utf16),
            Err(ChangeError::StaleVersion { current: 5, got: 5 })
        );
        let result = document.apply_changes(
            6,
            &[change((0, 0), (0, 0), "ok"), change((9, 0), (9, 1), "bad")],
            PositionEncoding::Utf16,
        );
        assert!(matches!(result, Err(ChangeError::RangeOutOfBounds { .. })));
        assert_eq!(document.text(), "x = 1\n");
        assert!(document.out_of_sync);
        // Later ranged edits would be relative to text we do not have: refused.
        let later = document.apply_changes(7, &[change((0, 0), (0, 0), "z")], PositionEncoding::Utf16);
        assert_eq!(later, Err(ChangeError::OutOfSync));
        assert_eq!(document.text(), "x = 1\n");
        // A full-text change resynchronises.
        let full = ContentChange { range: None, text: "y = 2\n".into() };
        document.apply_changes(8, &[full], PositionEncoding::Utf16).unwrap();
        assert_eq!(document.text(), "y = 2\n");
        assert!(!document.out_of_sync);
    }

    #[test]
    fn huge_documents_are_not_parsed() {
        let text = "x = 1\n".repeat(MAX_PARSED_BYTES / 6 + 10);
        let document = Document::new("file:///big.py".into(), "python".into(), 1, &text);
        assert!(document.tree.is_none());
    }
}
