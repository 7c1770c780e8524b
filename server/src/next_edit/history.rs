//! The recent edits across documents, as line hunks, newest last: what a next-edit prompt
//! shows the model as "what the user just did".
//!
//! The history is taken at pauses, not per keystroke: `checkpoint` compares a document's text
//! with its text at the previous pause, so the keystrokes in between become one edit. An edit
//! inside the lines the document's newest edit produced is merged into it (typing a word over
//! three pauses is one edit), and an edit that restores what was there before (an undo, or
//! typing then deleting) removes the edit it reverses. Excluded files never enter it, and
//! every line is redacted as it is recorded, so neither reaches a prompt from here. It is
//! bounded by [`MAX_EDITS`] edits and [`MAX_LINES`] lines of diff across all files.

use std::collections::{HashMap, VecDeque};

use similar::{Algorithm, DiffTag};

use crate::privacy::redact;

/// Edits kept (the prompt shows the newest `nextEdit.maxHistoryEdits` of them).
pub const MAX_EDITS: usize = 50;
/// Lines of diff (removed plus added) kept across all files; the oldest edits go first.
pub const MAX_LINES: usize = 300;
/// Documents larger than this keep no baseline (a copy of their text) and record no edits.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// One coalesced edit of whole lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEdit {
    pub uri: String,
    /// The file as the prompt names it (relative to the workspace root).
    pub file: String,
    /// The first line of the hunk in the document as it is after the edit (0-based).
    pub start_line: usize,
    /// The lines before and after the edit, each with its line break (redacted).
    pub old_lines: Vec<String>,
    pub new_lines: Vec<String>,
}

impl RecordedEdit {
    fn diff_lines(&self) -> usize {
        self.old_lines.len() + self.new_lines.len()
    }

    /// The edit as a unified diff hunk with its file header.
    pub fn unified_diff(&self) -> String {
        // A file outside any workspace is named by its absolute path.
        let file = self.file.trim_start_matches('/');
        let mut diff = format!("--- a/{file}\n+++ b/{file}\n");
        diff.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            self.start_line + 1,
            self.old_lines.len(),
            self.start_line + 1,
            self.new_lines.len()
        ));
        for (sign, lines) in [('-', &self.old_lines), ('+', &self.new_lines)] {
            for line in lines {
                diff.push(sign);
                diff.push_str(line.trim_end_matches(['\n', '\r']));
                diff.push('\n');
            }
        }
        diff
    }
}

#[derive(Debug, Default)]
pub struct EditHistory {
    /// Each document's text at its last checkpoint.
    baselines: HashMap<String, String>,
    edits: VecDeque<RecordedEdit>,
}

impl EditHistory {
    /// Records the edits that turned the document's text at its last checkpoint into `text`.
    /// The first checkpoint of a document only takes its text (opening is not an edit). An
    /// `excluded` document is forgotten, its past edits included.
    pub fn checkpoint(&mut self, uri: &str, file: &str, text: &str, excluded: bool) {
        if text.len() > MAX_DOCUMENT_BYTES {
            self.forget_document(uri);
            return;
        }
        if excluded {
            self.forget_document(uri);
            self.edits.retain(|edit| edit.uri != uri);
            return;
        }
        let Some(baseline) = self.baselines.get(uri) else {
            self.baselines.insert(uri.to_string(), text.to_string());
            return;
        };
        if baseline == text {
            return;
        }
        let hunks = line_hunks(baseline, text);
        // Bottom to top, so each hunk's old line numbers still hold when it is applied.
        for hunk in hunks.into_iter().rev() {
            self.record(uri, file, hunk);
        }
        self.baselines.insert(uri.to_string(), text.to_string());
        self.enforce_bounds();
    }

    /// Drops a closed document's baseline; its edits stay history.
    pub fn forget_document(&mut self, uri: &str) {
        self.baselines.remove(uri);
    }

    /// The newest `count` edits, oldest first.
    pub fn recent(&self, count: usize) -> Vec<&RecordedEdit> {
        self.edits.iter().skip(self.edits.len().saturating_sub(count)).collect()
    }

    /// The document's newest edit, if it is the newest edit of all (the one the user just made).
    pub fn last_edit_of(&self, uri: &str) -> Option<&RecordedEdit> {
        self.edits.back().filter(|edit| edit.uri == uri)
    }

    fn record(&mut self, uri: &str, file: &str, hunk: Hunk) {
        let shift = hunk.new_lines.len() as isize - hunk.old_lines.len() as isize;
        let newest_here = self.edits.iter().rposition(|edit| edit.uri == uri);
        if let Some(index) = newest_here {
            let edit = &self.edits[index];
            let edit_end = edit.start_line + edit.new_lines.len();
            if hunk.old_start >= edit.start_line && hunk.old_start + hunk.old_lines.len() <= edit_end {
                let mut merged = self.edits.remove(index).expect("index from rposition");
                let from = hunk.old_start - merged.start_line;
                merged.new_lines.splice(from..from + hunk.old_lines.len(), hunk.new_lines);
                self.shift_below(uri, hunk.old_start + hunk.old_lines.len(), shift);
                if merged.old_lines != merged.new_lines {
                    self.edits.push_back(merged);
                }
                return;
            }
        }
        // The exact reverse of an earlier edit of this document (an undo) removes it.
        let reversed = self.edits.iter().rposition(|edit| {
            edit.uri == uri
                && edit.start_line == hunk.old_start
                && edit.new_lines == hunk.old_lines
                && edit.old_lines == hunk.new_lines
        });
        self.shift_below(uri, hunk.old_start + hunk.old_lines.len(), shift);
        if let Some(index) = reversed {
            self.edits.remove(index);
            return;
        }
        self.edits.push_back(RecordedEdit {
            uri: uri.to_string(),
            file: file.to_string(),
            start_line: hunk.old_start,
            old_lines: hunk.old_lines,
            new_lines: hunk.new_lines,
        });
    }

    /// Moves the document's edits that start at or below `line` by `shift` lines, so their
    /// line numbers stay those of the current text.
    fn shift_below(&mut self, uri: &str, line: usize, shift: isize) {
        for edit in self.edits.iter_mut().filter(|edit| edit.uri == uri && edit.start_line >= line) {
            edit.start_line = edit.start_line.saturating_add_signed(shift);
        }
    }

    fn enforce_bounds(&mut self) {
        let mut lines: usize = self.edits.iter().map(RecordedEdit::diff_lines).sum();
        while self.edits.len() > MAX_EDITS || lines > MAX_LINES {
            let Some(oldest) = self.edits.pop_front() else { break };
            lines -= oldest.diff_lines();
        }
    }
}

/// Lines replaced between two texts, as `old_lines` at `old_start` of the old text.
#[derive(Debug)]
struct Hunk {
    old_start: usize,
    old_lines: Vec<String>,
    new_lines: Vec<String>,
}

/// The changed line blocks between `before` and `after`, top to bottom, each line redacted.
fn line_hunks(before: &str, after: &str) -> Vec<Hunk> {
    let old_lines: Vec<&str> = before.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = after.split_inclusive('\n').collect();
    let prefix = old_lines.iter().zip(&new_lines).take_while(|(old, new)| old == new).count();
    let max_suffix = old_lines.len().min(new_lines.len()) - prefix;
    let suffix =
        old_lines.iter().rev().zip(new_lines.iter().rev()).take(max_suffix).take_while(|(old, new)| old == new).count();
    let old_middle = &old_lines[prefix..old_lines.len() - suffix];
    let new_middle = &new_lines[prefix..new_lines.len() - suffix];
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(20);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, old_middle, new_middle, Some(deadline));
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut open: Option<Hunk> = None;
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            hunks.extend(open.take());
            continue;
        }
        let hunk = open.get_or_insert_with(|| Hunk {
            old_start: prefix + old_range.start,
            old_lines: Vec::new(),
            new_lines: Vec::new(),
        });
        hunk.old_lines.extend(old_middle[old_range].iter().map(|line| redact(line).into_owned()));
        hunk.new_lines.extend(new_middle[new_range].iter().map(|line| redact(line).into_owned()));
    }
    hunks.extend(open);
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "file:///w/src/lib.rs";

    fn history_after(texts: &[&str]) -> EditHistory {
        let mut history = EditHistory::default();
        for text in texts {
            history.checkpoint(URI, "src/lib.rs", text, false);
        }
        history
    }

    fn diffs(history: &EditHistory) -> Vec<String> {
        history.recent(usize::MAX).iter().map(|edit| edit.unified_diff()).collect()
    }

    #[test]
    fn opening_is_not_an_edit_and_a_change_is_one_hunk() {
        let history = history_after(&["fn f(n: u32) {\n    g(n);\n}\n", "fn f(count: u32) {\n    g(n);\n}\n"]);
        assert_eq!(
            diffs(&history),
            ["--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,1 +1,1 @@\n-fn f(n: u32) {\n+fn f(count: u32) {\n"]
        );
    }

    #[test]
    fn keystrokes_across_pauses_on_the_same_line_coalesce_into_one_edit() {
        let history =
            history_after(&["let a = 1;\nlet b = 2;\n", "let ab = 1;\nlet b = 2;\n", "let abc = 1;\nlet b = 2;\n"]);
        let edits = history.recent(10);
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].old_lines, ["let a = 1;\n"]);
        assert_eq!(edits[0].new_lines, ["let abc = 1;\n"]);
    }

    #[test]
    fn an_edit_elsewhere_is_a_new_edit_newest_last() {
        let history = history_after(&["a\nb\nc\nd\n", "a2\nb\nc\nd\n", "a2\nb\nc\nd2\n", "a2\ninserted\nb\nc\nd2\n"]);
        let edits: Vec<(usize, Vec<String>)> =
            history.recent(10).iter().map(|edit| (edit.start_line, edit.new_lines.clone())).collect();
        // The edit of `d` moved down a line when a line was inserted above it.
        assert_eq!(
            edits,
            [(0, vec!["a2\n".to_string()]), (4, vec!["d2\n".to_string()]), (1, vec!["inserted\n".to_string()])]
        );
    }

    #[test]
    fn typing_then_deleting_leaves_no_edit_and_an_undo_removes_the_edit_it_reverses() {
        let typed_and_deleted = history_after(&["x = 1\n", "x = 12\n", "x = 1\n"]);
        assert!(typed_and_deleted.recent(10).is_empty());
        // An undo of an older edit, after an edit elsewhere.
        let undone = history_after(&["a\nb\nc\n", "a1\nb\nc\n", "a1\nb\nc1\n", "a\nb\nc1\n"]);
        let left: Vec<Vec<String>> = undone.recent(10).iter().map(|edit| edit.new_lines.clone()).collect();
        assert_eq!(left, [vec!["c1\n".to_string()]]);
    }

    #[test]
    fn bounded_in_edits_and_in_lines_dropping_the_oldest() {
        // Lines apart from each other, so no edit merges into the one before.
        let rows = 2 * (MAX_EDITS + 10);
        let mut lines: Vec<String> = (0..rows).map(|i| format!("line {i}\n")).collect();
        let mut texts = vec![lines.concat()];
        for i in 0..(MAX_EDITS + 10) {
            lines[2 * i] = format!("line {} changed\n", 2 * i);
            texts.push(lines.concat());
        }
        let history = history_after(&texts.iter().map(String::as_str).collect::<Vec<_>>());
        let edits = history.recent(usize::MAX);
        assert_eq!(edits.len(), MAX_EDITS);
        assert_eq!(edits.last().unwrap().new_lines, [format!("line {} changed\n", 2 * (MAX_EDITS + 9))]);
        assert_eq!(edits[0].new_lines, ["line 20 changed\n"], "the ten oldest were dropped");

        // 150 lines replaced (300 lines of diff), then one more line: the big edit goes.
        let mut rows: Vec<String> = (0..400).map(|i| format!("row {i}\n")).collect();
        let before = rows.concat();
        for row in rows.iter_mut().take(150) {
            *row = row.replace("row", "ROW");
        }
        let big = rows.concat();
        rows[300] = "row 300 changed\n".into();
        let history = history_after(&[&before, &big, &rows.concat()]);
        let kept: Vec<Vec<String>> = history.recent(usize::MAX).iter().map(|edit| edit.new_lines.clone()).collect();
        assert_eq!(kept, [vec!["row 300 changed\n".to_string()]]);
    }

    #[test]
    fn excluded_documents_and_secrets_never_enter() {
        let mut history = EditHistory::default();
        history.checkpoint(URI, "src/lib.rs", "a\n", false);
        history.checkpoint(URI, "src/lib.rs", "a\nb\n", false);
        // The document became excluded (the user's exclude changed): its edits go too.
        history.checkpoint(URI, "src/lib.rs", "a\nb\nc\n", true);
        history.checkpoint(URI, "src/lib.rs", "a\nb\nc\nd\n", true);
        assert!(history.recent(10).is_empty());

        let secret = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";
        let history = history_after(&["KEY = ''\n", &format!("API_KEY = \"{secret}\"\n")]);
        let diff = diffs(&history).concat();
        assert!(!diff.contains(secret), "{diff}");
        assert!(diff.contains("[REDACTED]"), "{diff}");
    }
}
