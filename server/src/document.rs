//! Open documents: text in a rope, the editor's version, the language and an incrementally
//! maintained tree-sitter tree, with the log of recent edits that caches follow.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use ropey::Rope;
use tree_sitter::{InputEdit, Tree};

use crate::language::{large_parse_turn, with_parser_for, Language};
use crate::text::{offset_of, point_of, Position, PositionEncoding};
use crate::windowed;

/// Documents larger than this are kept as text but never parsed: a parse would cost more
/// than the context it buys.
pub const MAX_PARSED_BYTES: usize = 5 * 1024 * 1024;

/// How many edits the log keeps: caches more changes behind than this start over.
const MAX_LOGGED_EDITS: usize = 64;

/// Every parse gets a new id, unique in the process, so a tree's origin can be recognised
/// across snapshots, reopened documents and full-text changes.
static NEXT_PARSE_ID: AtomicU64 = AtomicU64::new(1);

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
    /// Which parse `tree` comes from (0: none). Two trees with the same id differ only by
    /// `Tree::edit`s, so a cache read from one knows the other's shape without comparing.
    pub parse_id: u64,
    /// The part of the text `tree` covers (`None`: all of it). A large document's tree covers
    /// the top-level statements around the last edit or the position a feature asked for
    /// (see `windowed`); its positions are those of the whole text.
    pub window: Option<Range<usize>>,
    /// A large document's top-level statement starts (`None` until the first parse): where
    /// a window may begin and end. Moved by every edit, refreshed by each window's parse.
    outline: Option<Arc<Vec<usize>>>,
    /// What the next parse of a large document must cover: the edits since its tree's
    /// parse, and a position a feature asked for.
    focus: Option<Range<usize>>,
    /// The edits of the last changes, so a cache can follow the document by what changed
    /// instead of comparing texts.
    edits: EditLog,
    /// The whole text as one string, made at most once per version and shared by every
    /// snapshot of that version (queries and context need a `&str`; the rope is in chunks).
    full_text: Arc<OnceLock<String>>,
}

/// The recent edits of a document, as (version before the change, one of its edits), oldest
/// first. Shared by snapshots; appending copies it only while a snapshot holds it.
#[derive(Debug, Clone, Default)]
struct EditLog {
    entries: Arc<VecDeque<(i32, InputEdit)>>,
}

impl EditLog {
    fn clear(&mut self) {
        if !self.entries.is_empty() {
            self.entries = Arc::default();
        }
    }

    fn record(&mut self, version_before: i32, edits: &[InputEdit]) {
        let entries = Arc::make_mut(&mut self.entries);
        entries.extend(edits.iter().map(|edit| (version_before, *edit)));
        // Drop whole changes, oldest first: a change cut in half would replay wrongly.
        while entries.len() > MAX_LOGGED_EDITS {
            let oldest = entries[0].0;
            while entries.front().is_some_and(|(version, _)| *version == oldest) {
                entries.pop_front();
            }
        }
    }

    /// The edits that turned the text of `version` into the current one, or `None` when
    /// the log does not reach back that far (or a full-text change came between).
    fn since(&self, version: i32, current: i32) -> Option<Vec<InputEdit>> {
        if version == current {
            return Some(Vec::new());
        }
        let first = self.entries.iter().position(|(before, _)| *before == version)?;
        Some(self.entries.iter().skip(first).map(|(_, edit)| *edit).collect())
    }
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
        Document::new_reading(uri, language_id, version, text, |_, _, _| {})
    }

    /// `new`, showing `read` each chunk of a large document as its outline is read, so its
    /// facts can be read in the same pass (`SymbolCache::open`) instead of a second one.
    pub fn new_reading(
        uri: String,
        language_id: String,
        version: i32,
        text: &str,
        mut read: impl FnMut(Language, &Tree, Range<usize>),
    ) -> Document {
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
            parse_id: 0,
            window: None,
            outline: None,
            focus: None,
            edits: EditLog::default(),
            full_text: Arc::default(),
        };
        document.reparse_reading(&mut read);
        document
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// The whole text, borrowed: made from the rope once per version, then shared by every
    /// snapshot of this version (the keystroke's cache update makes it, the completion
    /// request that follows reads it).
    pub fn full_text(&self) -> &str {
        self.full_text.get_or_init(|| {
            let mut text = String::with_capacity(self.rope.len_bytes());
            for chunk in self.rope.chunks() {
                text.push_str(chunk);
            }
            text
        })
    }

    /// The edits that turned the text at `version` into this one (empty at this version),
    /// or `None` when they are no longer known: the caller starts over from the text.
    pub fn edits_since(&self, version: i32) -> Option<Vec<InputEdit>> {
        self.edits.since(version, self.version)
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
            self.edits.clear();
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
                        self.mark_out_of_sync(version);
                        return Err(ChangeError::RangeOutOfBounds { start, end });
                    };
                    if start_byte > end_byte {
                        self.mark_out_of_sync(version);
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
        let version_before = self.version;
        self.rope = rope;
        self.version = version;
        self.out_of_sync = false;
        self.last_edit_end = last_edit_end;
        self.last_edited = Instant::now();
        self.full_text = Arc::default();
        if full_text {
            self.tree = None;
            self.parse_id = 0;
            self.window = None;
            self.outline = None;
            self.focus = None;
            self.edits.clear();
        } else {
            if let Some(tree) = self.tree.as_mut() {
                for edit in &tree_edits {
                    tree.edit(edit);
                }
            }
            self.follow_edits(&tree_edits);
            self.edits.record(version_before, &tree_edits);
        }
        self.tree_stale = self.language.is_some();
        Ok(())
    }

    fn mark_out_of_sync(&mut self, version: i32) {
        self.out_of_sync = true;
        self.version = version;
        self.edits.clear();
    }

    /// Brings the tree up to date with the text: an incremental reparse of the edited tree
    /// (a fresh parse only after a full-text change).
    pub fn refresh_tree(&mut self) {
        if self.tree_stale {
            self.reparse();
            self.tree_stale = false;
        }
    }

    /// Moves the window, the outline and the focus through edits made to the text.
    fn follow_edits(&mut self, edits: &[InputEdit]) {
        for edit in edits {
            if let Some(window) = self.window.as_mut() {
                *window = windowed::move_range(window, edit);
            }
            if let Some(outline) = self.outline.as_mut() {
                windowed::move_outline(Arc::make_mut(outline), edit);
            }
            let edited = edit.start_byte..edit.new_end_byte;
            self.focus = Some(match self.focus.as_ref().map(|focus| windowed::move_range(focus, edit)) {
                Some(focus) => focus.start.min(edited.start)..focus.end.max(edited.end),
                None => edited,
            });
        }
    }

    /// Whether the tree covers `range` (all of a document that is not large).
    pub fn covers(&self, range: &Range<usize>) -> bool {
        self.tree.is_some()
            && self.window.as_ref().is_none_or(|window| window.start <= range.start && range.end <= window.end)
    }

    /// Brings the tree up to date and, for a large document, makes its window cover `range`
    /// (a feature's target away from the last edit). Returns whether it parsed.
    pub fn parse_around(&mut self, range: Range<usize>) -> bool {
        if self.covers(&range) && !self.tree_stale {
            return false;
        }
        // The range joins the focus even when the stale tree covers it: the edits since may
        // be elsewhere, and the window goes where the focus is.
        if self.window.is_some() {
            let len = self.rope.len_bytes();
            let range = range.start.min(len)..range.end.min(len);
            self.focus = Some(match self.focus.take() {
                Some(focus) => focus.start.min(range.start)..focus.end.max(range.end),
                None => range,
            });
        }
        self.reparse();
        self.tree_stale = false;
        true
    }

    /// Parses the text, reusing the edited old tree so only changed regions are re-read.
    fn reparse(&mut self) {
        self.reparse_reading(&mut |_, _, _| {});
    }

    /// `reparse`, showing `read` the chunks of a large document's first reading.
    fn reparse_reading(&mut self, read: &mut dyn FnMut(Language, &Tree, Range<usize>)) {
        let Some(language) = self.language else {
            return;
        };
        if self.rope.len_bytes() > MAX_PARSED_BYTES {
            self.tree = None;
            self.parse_id = 0;
            return;
        }
        if windowed::is_large(self.rope.len_bytes()) {
            self.reparse_window(language, read);
            return;
        }
        self.window = None;
        self.outline = None;
        self.focus = None;
        let rope = &self.rope;
        let old_tree = self.tree.take();
        self.parse_id = NEXT_PARSE_ID.fetch_add(1, Ordering::Relaxed);
        self.tree = with_parser_for(language, rope.len_bytes(), |parser| {
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

    /// A large document's parse: the window around the focus (the edits since the last
    /// parse), or the same window while it still serves; at first, the text is read in
    /// chunks for its outline.
    fn reparse_window(&mut self, language: Language, read: &mut dyn FnMut(Language, &Tree, Range<usize>)) {
        let len = self.rope.len_bytes();
        let _turn = large_parse_turn(len);
        let mut outline = match self.outline.take() {
            Some(outline) => outline,
            None => Arc::new(windowed::read_in_chunks(language, &self.rope, |tree, chunk| read(language, tree, chunk))),
        };
        let focus = self.focus.take();
        let mut window = match (&self.window, &focus) {
            (Some(window), Some(focus)) if windowed::still_serves(window, len, focus) => window.clone(),
            (Some(window), None) => window.clone(),
            (_, focus) => windowed::window_around(&outline, len, focus.clone().unwrap_or(0..0)),
        };
        let old_tree = self.tree.take();
        self.parse_id = NEXT_PARSE_ID.fetch_add(1, Ordering::Relaxed);
        let mut tree = windowed::parse_range(language, &self.rope, window.clone(), old_tree.as_ref());
        // A window whose last statement does not parse may end inside it (an edit merged
        // it with the next one): reach one statement further, a few times at most.
        for _ in 0..3 {
            let Some(parsed) = &tree else { break };
            let root = parsed.root_node();
            let last_broken =
                root.child(root.child_count().saturating_sub(1) as u32).is_some_and(|last| last.has_error());
            if window.end >= len || !last_broken {
                break;
            }
            window.end = windowed::next_boundary(&outline, len, window.end);
            tree = windowed::parse_range(language, &self.rope, window.clone(), tree.as_ref());
        }
        if let Some(tree) = &tree {
            windowed::refresh_outline(Arc::make_mut(&mut outline), tree, &window);
        }
        self.tree = tree;
        self.window = Some(window);
        self.outline = Some(outline);
    }

    /// Takes the tree of `parsed`, a reparsed snapshot of this document at the same or an
    /// earlier version: moved by the edits made since, it is this text's tree with the shape
    /// of a newer parse. Returns false (and changes nothing) when those edits are unknown.
    pub fn adopt_tree(&mut self, parsed: &Document) -> bool {
        let Some(edits) = self.edits_since(parsed.version) else {
            return false;
        };
        let Some(mut tree) = parsed.tree.clone() else {
            return false;
        };
        for edit in &edits {
            tree.edit(edit);
        }
        self.tree = Some(tree);
        self.parse_id = parsed.parse_id;
        self.tree_stale = !edits.is_empty();
        // The parse's window and outline, moved the same way; the focus is what came since.
        self.window = parsed.window.clone();
        self.outline = parsed.outline.clone();
        self.focus = None;
        self.follow_edits(&edits);
        true
    }
}

/// All open documents, keyed by URI. Mutations happen in synchronous handlers, in arrival
/// order; readers take short-lived guards or clones, never across an `.await`.
#[derive(Debug, Default)]
pub struct DocumentStore {
    documents: DashMap<String, Document>,
    /// Documents being reparsed after a pause in typing, and whether another pause asked
    /// for a reparse meanwhile: one reparse per document at a time, however fast the typing.
    reparsing: DashMap<String, bool>,
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

    /// After a `didChange` whose handler failed part way (a panic): its text can no longer be
    /// trusted, so the document refuses requests until the editor sends its full text, as
    /// after a change that does not fit.
    pub fn mark_out_of_sync(&self, uri: &str, version: i32) {
        if let Some(mut document) = self.documents.get_mut(uri) {
            let version = version.max(document.version);
            document.mark_out_of_sync(version);
        }
    }

    /// Reparses a document whose tree is behind its text; returns whether it did. The parse
    /// runs on a snapshot, outside the map's lock, so requests and changes never wait for
    /// it; changes that arrived meanwhile are replayed onto its tree.
    pub fn refresh_tree(&self, uri: &str) -> bool {
        self.parsed_snapshot(uri, |_| {}).is_some_and(|(_, reparsed)| reparsed)
    }

    /// The reparse after a pause in typing (blocking: run it on a blocking thread). At most
    /// one runs per document: a pause while one is running asks it to parse once more when
    /// it is done, so a large file's slow parses never pile up while the user types. Returns
    /// whether it reparsed. `reparsed` sees each new parse before the document takes it
    /// (to read its facts there, so a request that finds the new tree finds them ready).
    pub fn refresh_tree_after_pause(&self, uri: &str, reparsed: impl Fn(&Document)) -> bool {
        match self.reparsing.entry(uri.to_string()) {
            Entry::Occupied(mut running) => {
                *running.get_mut() = true;
                return false;
            }
            Entry::Vacant(idle) => {
                idle.insert(false);
            }
        }
        let _running = ReparseGuard { reparsing: &self.reparsing, uri };
        let mut any = false;
        loop {
            any |= self.parsed_snapshot(uri, &reparsed).is_some_and(|(_, reparsed)| reparsed);
            // Done unless a pause in typing asked again meanwhile (checked and cleared
            // under the map's lock, so no request is lost between the two).
            let mut again = false;
            self.reparsing.remove_if_mut(uri, |_, asked| {
                again = std::mem::take(asked);
                !again
            });
            if !again {
                return any;
            }
        }
    }

    /// A snapshot with an up-to-date tree, for features that need the exact syntax.
    pub fn get_parsed(&self, uri: &str) -> Option<Document> {
        self.parsed_snapshot(uri, |_| {}).map(|(document, _)| document)
    }

    /// A snapshot with an up-to-date tree that covers `range` (a large document's window is
    /// moved there when it does not), for features aimed at a place the user did not edit.
    pub fn get_parsed_around(&self, uri: &str, range: Range<usize>) -> Option<Document> {
        let mut snapshot = self.get(uri)?;
        let stale_parse = snapshot.parse_id;
        if snapshot.parse_around(range) {
            if let Some(mut document) = self.documents.get_mut(uri) {
                if document.parse_id == stale_parse {
                    document.adopt_tree(&snapshot);
                }
            }
        }
        Some(snapshot)
    }

    fn parsed_snapshot(&self, uri: &str, reparsed: impl Fn(&Document)) -> Option<(Document, bool)> {
        let mut snapshot = self.get(uri)?;
        if !snapshot.tree_stale {
            return Some((snapshot, false));
        }
        let stale_parse = snapshot.parse_id;
        snapshot.refresh_tree();
        reparsed(&snapshot);
        if let Some(mut document) = self.documents.get_mut(uri) {
            // Unless another parse got there first, or the text was replaced.
            if document.parse_id == stale_parse {
                document.adopt_tree(&snapshot);
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

/// Clears a document's reparse-in-progress mark if the reparse panics (it is cleared under
/// the lock when it ends normally: by then another reparse may own the mark).
struct ReparseGuard<'a> {
    reparsing: &'a DashMap<String, bool>,
    uri: &'a str,
}

impl Drop for ReparseGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.reparsing.remove(self.uri);
        }
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
    fn the_edit_log_replays_changes_until_the_text_is_replaced() {
        let mut document = Document::new("file:///a.py".into(), "python".into(), 1, "x = 1\n");
        document
            .apply_changes(2, &[change((0, 4), (0, 5), "22"), change((0, 0), (0, 0), "y")], PositionEncoding::Utf16)
            .unwrap();
        document.apply_changes(3, &[change((0, 0), (0, 1), "")], PositionEncoding::Utf16).unwrap();
        let since_first: Vec<(usize, usize, usize)> = document
            .edits_since(1)
            .unwrap()
            .iter()
            .map(|edit| (edit.start_byte, edit.old_end_byte, edit.new_end_byte))
            .collect();
        assert_eq!(since_first, [(4, 5, 6), (0, 0, 1), (0, 1, 0)]);
        assert_eq!(document.edits_since(2).unwrap().len(), 1);
        assert!(document.edits_since(3).unwrap().is_empty());
        // A reparse of the text at version 1, adopted at version 3, is that text's tree.
        let mut behind = Document::new("file:///a.py".into(), "python".into(), 1, "x = 1\n");
        behind.refresh_tree();
        assert!(document.adopt_tree(&behind));
        assert!(document.tree_stale);
        document.refresh_tree();
        let fresh = crate::language::parse_str(Language::Python, &document.text()).unwrap();
        assert_eq!(document.tree.as_ref().unwrap().root_node().to_sexp(), fresh.root_node().to_sexp());

        let full = ContentChange { range: None, text: "z = 3\n".into() };
        document.apply_changes(4, &[full], PositionEncoding::Utf16).unwrap();
        assert!(document.edits_since(3).is_none(), "a full-text change breaks the chain");
        assert_eq!(document.full_text(), "z = 3\n");
    }

    #[test]
    fn one_reparse_after_a_pause_at_a_time() {
        let store = DocumentStore::default();
        let uri = "file:///a.rs";
        store.open(Document::new(uri.into(), "rust".into(), 1, "fn main() {}\n"));
        store.change(uri, 2, &[change((0, 3), (0, 3), "x")], PositionEncoding::Utf16).unwrap().unwrap();
        // Another pause while one reparse runs only asks it to run again.
        store.reparsing.insert(uri.into(), false);
        assert!(!store.refresh_tree_after_pause(uri, |_| panic!("no parse while one runs")));
        assert_eq!(store.reparsing.get(uri).map(|asked| *asked), Some(true));
        store.reparsing.remove(uri);
        // The new parse is shown before the document takes it.
        let shown = std::cell::Cell::new(0);
        assert!(store.refresh_tree_after_pause(uri, |reparsed| {
            assert!(!reparsed.tree_stale);
            assert!(store.get(uri).unwrap().tree_stale, "not adopted yet");
            shown.set(shown.get() + 1);
        }));
        assert_eq!(shown.get(), 1);
        assert!(store.reparsing.is_empty());
        let document = store.get(uri).unwrap();
        assert!(!document.tree_stale);
        assert_eq!(
            document.tree.unwrap().root_node().to_sexp(),
            crate::language::parse_str(Language::Rust, "fn xmain() {}\n").unwrap().root_node().to_sexp()
        );
    }

    #[test]
    fn huge_documents_are_not_parsed() {
        let text = "x = 1\n".repeat(MAX_PARSED_BYTES / 6 + 10);
        let document = Document::new("file:///big.py".into(), "python".into(), 1, &text);
        assert!(document.tree.is_none());
    }
}
