//! One prediction: the editable region around the cursor, the prompt (recent edits as
//! diffs, newest last; definitions from the context engine; the region with a cursor
//! marker), how the answer (the region rewritten, in one fenced block) is fitted over the
//! region, and the suggestion as the minimal edit between region and rewrite.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::history::RecordedEdit;
use crate::completion::{Site, Surroundings};
use crate::config::Config;
use crate::context::{gather, ContextInput, Section, SectionKind, CURSOR_MARKER};
use crate::document::Document;
use crate::model::{ChatMessage, Excluded, Prompt};
use crate::privacy::redact;
use crate::rewrite;
use crate::text::Edit;

/// Whole lines around the cursor that the model may rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Byte range in the document: whole lines, the last one's line break included.
    pub range: Range<usize>,
    pub text: String,
    /// Zero-based line of the region's first line.
    pub first_line: usize,
    /// The cursor's byte offset in the document.
    pub cursor: usize,
}

impl Region {
    /// `lines` lines above and below the cursor's line.
    pub fn around(document: &Document, cursor: usize, lines: u32) -> Region {
        let rope = &document.rope;
        let cursor = cursor.min(rope.len_bytes());
        let cursor_line = rope.byte_to_line(cursor);
        let first_line = cursor_line.saturating_sub(lines as usize);
        let last_line = (cursor_line + lines as usize).min(rope.len_lines().saturating_sub(1));
        let start = rope.line_to_byte(first_line);
        let end = rope.line_to_byte((last_line + 1).min(rope.len_lines()));
        let end = if last_line + 1 >= rope.len_lines() { rope.len_bytes() } else { end };
        Region { range: start..end, text: rope.byte_slice(start..end).to_string(), first_line, cursor }
    }

    /// The region with the cursor marker, as the prompt shows it.
    fn with_cursor_marker(&self) -> String {
        let at = self.cursor - self.range.start;
        format!("{}{CURSOR_MARKER}{}", &self.text[..at], &self.text[at..])
    }
}

const SYSTEM_PROMPT: &str = "You predict the next edit a programmer makes. You receive the edits they just \
made (unified diffs, oldest first), definitions the code uses, and an editable region of the file they are in, \
with their cursor marked <|CURSOR|>. Edits come in chains: a renamed parameter is renamed at its uses, a new \
field gets its initialiser, a changed call gets its siblings changed the same way. Reply with the whole \
editable region rewritten with the next edit applied, in exactly one fenced code block, without the cursor \
marker. Change only what the next edit needs; keep every other line exactly as it is. Do not undo or repeat the \
user's own edits. If there is no clear next edit, reply with the region unchanged.";

/// The prompt for a next edit in `region`: the model sees `history` (newest last) and the
/// context engine's definitions outside the region.
pub fn prompt(
    document: &Document,
    region: &Region,
    history: &[&RecordedEdit],
    around: &Surroundings,
    budget_tokens: usize,
) -> Result<Prompt, Excluded> {
    let path = crate::context::uri_to_path(&document.uri);
    let file = crate::context::display_uri(&document.uri, around.root);
    let language = crate::context::language_name(document);
    let definitions = definitions_outside(document, region, around, budget_tokens);
    let mut user = String::new();
    if !definitions.is_empty() {
        user.push_str("Definitions the code may use:\n");
        for section in &definitions {
            user.push_str(&section.render());
        }
        user.push('\n');
    }
    if !history.is_empty() {
        user.push_str("The user's recent edits, oldest first:\n```diff\n");
        for edit in history {
            user.push_str(&edit.unified_diff());
        }
        user.push_str("```\n\n");
    }
    let last_line = region.first_line + region.text.trim_end_matches('\n').matches('\n').count();
    user.push_str(&format!(
        "The editable region of `{file}` (lines {}-{}), the cursor at {CURSOR_MARKER}:\n```{language}\n{}\n```\n\n\
         Reply with the editable region rewritten with the user's next edit, in one ```{language} fenced block.",
        region.first_line + 1,
        last_line + 1,
        region.with_cursor_marker().trim_end_matches('\n'),
    ));
    // Every quoted file: the document and the files of the edits shown (already checked
    // when they were recorded; the exclude may have changed since).
    let history_paths: Vec<_> = history.iter().filter_map(|edit| crate::context::uri_to_path(&edit.uri)).collect();
    let quoted: Vec<&Path> =
        path.as_deref().into_iter().chain(history_paths.iter().map(|path| path.as_path())).collect();
    Prompt::assemble(
        vec![ChatMessage::system(SYSTEM_PROMPT), ChatMessage::user(user)],
        &quoted,
        around.exclude,
        around.root,
    )
}

/// The context engine's definitions, less the current file's sections inside the region
/// (the region shows them already).
fn definitions_outside(
    document: &Document,
    region: &Region,
    around: &Surroundings,
    budget_tokens: usize,
) -> Vec<Section> {
    let context = gather(&ContextInput {
        document,
        offset: region.cursor,
        open_documents: around.open_documents,
        workspace: around.workspace,
        root: around.root,
        budget_tokens,
        exclude: around.exclude,
    });
    let region_lines = region.first_line..region.first_line + region.text.matches('\n').count().max(1);
    context
        .sections
        .into_iter()
        .filter(|section| {
            let in_this_file =
                matches!(section.kind, SectionKind::CurrentFile | SectionKind::Enclosing | SectionKind::Imports);
            !(in_this_file && section.start_line < region_lines.end && section.end_line >= region_lines.start)
        })
        .collect()
}

/// The engine's site for the prediction: the rewrite, fitted over the region, is its answer.
pub fn site(document: &Document, region: &Region, prompt: Prompt) -> Site {
    let region_text: Arc<str> = Arc::from(region.text.as_str());
    let language_id = document.language_id.clone();
    let literal = rewrite::literal_lines(&region.text, region.range.start, document.tree.as_ref());
    let style = rewrite::style_of_code_around(
        &region.text,
        region.range.start,
        region.cursor - region.range.start..region.cursor - region.range.start,
        document.tree.as_ref(),
    );
    let clean = move |raw: &str| {
        let code = rewrite::extract_code(raw, Some(&language_id))?.replace(CURSOR_MARKER, "");
        Some(rewrite::replacement_for(&region_text, &code, style, &literal))
    };
    Site {
        uri: document.uri.clone(),
        version: document.version,
        offset: region.cursor,
        prompt,
        before: String::new(),
        follows_typing: false,
        clean: Arc::new(clean),
        smaller_prompt: None,
    }
}

/// A suggested edit of the document: one replacement, so that accepting it is one undo step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggested {
    pub range: Range<usize>,
    pub new_text: String,
}

/// The suggestion in `rewrite` of `region`, or `None` when it changes nothing or only undoes
/// or repeats `last_edit` (the user's own newest edit in this document, in the current
/// text's lines). The minimal edits (`diff::edits`) are joined into one replacement spanning
/// them.
pub fn suggestion(
    document_text: &str,
    region: &Region,
    rewrite: &str,
    last_edit: Option<&RecordedEdit>,
) -> Option<Suggested> {
    let mut edits: Vec<Edit> = crate::diff::edits(&region.text, rewrite)
        .into_iter()
        .map(|edit| Edit { range: edit.range.start + region.range.start..edit.range.end + region.range.start, ..edit })
        .collect();
    if let Some(last) = last_edit {
        drop_repeats_of(document_text, &mut edits, last);
    }
    let span = edits.first()?.range.start..edits.last()?.range.end;
    let mut new_text = String::new();
    let mut copied = span.start;
    for edit in &edits {
        new_text.push_str(&document_text[copied..edit.range.start]);
        new_text.push_str(&edit.new_text);
        copied = edit.range.end;
    }
    new_text.push_str(&document_text[copied..span.end]);
    Some(Suggested { range: span, new_text })
}

/// Removes the edits inside the lines of the user's newest edit that only undo it (the lines
/// would read as before it) or type its text again, and, when that edit added whole lines,
/// the edits anywhere that add those lines again.
fn drop_repeats_of(text: &str, edits: &mut Vec<Edit>, last: &RecordedEdit) {
    let added_lines = last.new_lines.concat();
    if last.old_lines.is_empty() && !added_lines.trim().is_empty() {
        edits.retain(|edit| !redact(&edit.new_text).contains(added_lines.trim()));
    }
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect();
    let Some(&block_start) = line_starts.get(last.start_line) else { return };
    let block_end = line_starts.get(last.start_line + last.new_lines.len()).copied().unwrap_or(text.len());
    let inside = |edit: &Edit| edit.range.start >= block_start && edit.range.end <= block_end;
    let inside_edits: Vec<Edit> = edits.iter().filter(|edit| inside(edit)).cloned().collect();
    if inside_edits.is_empty() {
        return;
    }
    let relative: Vec<Edit> = inside_edits
        .iter()
        .map(|edit| Edit { range: edit.range.start - block_start..edit.range.end - block_start, ..edit.clone() })
        .collect();
    let block_after = crate::text::apply_edits(&text[block_start..block_end], &relative);
    let undoes = redact(&block_after) == last.old_lines.concat();
    let typed: Vec<String> = crate::diff::edits(&last.old_lines.concat(), &last.new_lines.concat())
        .into_iter()
        .map(|edit| edit.new_text)
        .filter(|typed| !typed.trim().is_empty())
        .collect();
    // Typed again, whole or in part (the diff may cut the repeated word differently).
    let repeats = inside_edits.iter().all(|edit| {
        let inserted = redact(&edit.new_text);
        !inserted.trim().is_empty()
            && typed.iter().any(|typed| typed.contains(inserted.as_ref()) || inserted.contains(typed.as_str()))
    });
    if undoes || repeats {
        edits.retain(|edit| !inside(edit));
    }
}

/// "`old line` → `new line`" for the suggestion's first changed line (or "insert …",
/// "delete …" when lines are only added or removed), short enough for a menu.
pub fn summary(document_text: &str, suggested: &Suggested) -> String {
    let line_start = document_text[..suggested.range.start].rfind('\n').map_or(0, |newline| newline + 1);
    let line_end =
        document_text[suggested.range.end..].find('\n').map_or(document_text.len(), |at| suggested.range.end + at);
    let old = &document_text[line_start..line_end];
    let new = format!(
        "{}{}{}",
        &document_text[line_start..suggested.range.start],
        suggested.new_text,
        &document_text[suggested.range.end..line_end]
    );
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let changed = old_lines.iter().zip(&new_lines).position(|(old, new)| old != new);
    let more = |shown: usize, total: usize| match total.saturating_sub(shown) {
        0 => String::new(),
        rest => format!(" (+{rest} more {})", if rest == 1 { "line" } else { "lines" }),
    };
    match changed {
        Some(at) => {
            let changed_after = old_lines.len().max(new_lines.len()) - at - 1;
            format!(
                "`{}` → `{}`{}",
                short(old_lines[at]),
                short(new_lines[at]),
                more(0, changed_after.min(new_lines.len().saturating_sub(at + 1)))
            )
        }
        None if new_lines.len() > old_lines.len() => {
            format!("insert `{}`{}", short(new_lines[old_lines.len()]), more(old_lines.len() + 1, new_lines.len()))
        }
        None if old_lines.len() > new_lines.len() => format!("delete `{}`", short(old_lines[new_lines.len()])),
        None => "change whitespace".into(),
    }
}

fn short(line: &str) -> String {
    let line = line.trim();
    let mut shown: String = line.chars().take(48).collect();
    if shown.len() < line.len() {
        shown.push('…');
    }
    shown
}

/// The settings of a next-edit request, from the configuration.
pub fn settings(config: &Config) -> crate::completion::Settings {
    crate::completion::Settings {
        // The handler waits for the pause itself, before the history is taken.
        debounce: std::time::Duration::ZERO,
        max_wait: None,
        thinking: config.next_edit.thinking,
        // The rewritten region plus the thinking: as much room as a completion gets.
        max_tokens: config.completion.max_tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(text: &str) -> Document {
        Document::new("file:///w/src/lib.rs".into(), "rust".into(), 1, text)
    }

    fn recorded(start_line: usize, old: &[&str], new: &[&str]) -> RecordedEdit {
        RecordedEdit {
            uri: "file:///w/src/lib.rs".into(),
            file: "src/lib.rs".into(),
            start_line,
            old_lines: old.iter().map(|line| line.to_string()).collect(),
            new_lines: new.iter().map(|line| line.to_string()).collect(),
        }
    }

    fn applied(suggested: &Suggested) -> String {
        let mut text = RENAMED.to_string();
        text.replace_range(suggested.range.clone(), &suggested.new_text);
        text
    }

    const RENAMED: &str = "fn area(width: u32, h: u32) -> u32 {\n    let w2 = w * 2;\n    w * h\n}\n";

    #[test]
    fn the_region_is_whole_lines_around_the_cursor() {
        let text = "a\nb\nc\nd\ne\n";
        let region = Region::around(&document(text), text.find('c').unwrap(), 1);
        assert_eq!((region.text.as_str(), region.first_line, region.range.clone()), ("b\nc\nd\n", 1, 2..8));
        let whole = Region::around(&document("x\ny"), 3, 10);
        assert_eq!((whole.text.as_str(), whole.range.clone()), ("x\ny", 0..3));
    }

    #[test]
    fn the_suggestion_is_one_minimal_replacement_spanning_the_changes() {
        let region = Region::around(&document(RENAMED), 10, 5);
        let rewrite = RENAMED.replace("w * 2", "width * 2").replace("w * h", "width * h");
        let suggested = suggestion(RENAMED, &region, &rewrite, None).unwrap();
        // Only what differs: `idth` after each `w`, and the text between them.
        assert_eq!(&RENAMED[suggested.range.clone()], " * 2;\n    w");
        assert_eq!(suggested.new_text, "idth * 2;\n    width");
        assert_eq!(applied(&suggested), rewrite);
        assert_eq!(summary(RENAMED, &suggested), "`let w2 = w * 2;` → `let w2 = width * 2;` (+1 more line)");
        assert_eq!(suggestion(RENAMED, &region, RENAMED, None), None, "nothing when the rewrite equals the region");
    }

    #[test]
    fn a_rewrite_that_only_undoes_or_repeats_the_users_edit_is_not_offered() {
        let region = Region::around(&document(RENAMED), 10, 5);
        let last = recorded(0, &["fn area(w: u32, h: u32) -> u32 {\n"], &["fn area(width: u32, h: u32) -> u32 {\n"]);
        let undo = RENAMED.replacen("width", "w", 1);
        assert_eq!(suggestion(RENAMED, &region, &undo, Some(&last)), None);
        let again = RENAMED.replacen("width", "widthwidth", 1);
        assert_eq!(suggestion(RENAMED, &region, &again, Some(&last)), None);
        // Lines the user just added, added again elsewhere.
        let with_import = format!("import os\n{RENAMED}");
        let region = Region::around(&document(&with_import), 0, 5);
        let added = recorded(0, &[], &["import os\n"]);
        let again = format!("{with_import}import os\n");
        assert_eq!(suggestion(&with_import, &region, &again, Some(&added)), None);
        let region = Region::around(&document(RENAMED), 10, 5);
        // The undo beside the real next edit: only the next edit is offered.
        let both = undo.replacen("w * 2", "width * 2", 1);
        let suggested = suggestion(RENAMED, &region, &both, Some(&last)).unwrap();
        assert_eq!(applied(&suggested), RENAMED.replacen("w * 2", "width * 2", 1));
    }

    /// The prompt for a scripted chain (a field added to a struct in one file, then its
    /// constructor edited in another): the definition from the other open file, both edits as
    /// diffs newest last, the region with the cursor marker; and the site's answer fitted.
    #[test]
    fn the_prompt_of_an_edit_chain_and_its_answer() {
        use crate::context::{Exclude, WorkspaceIndex};
        use crate::next_edit::EditHistory;

        let shapes_v1 = "pub struct Point {\n    pub x: i32,\n    pub y: i32,\n}\n";
        let shapes_v2 = "pub struct Point {\n    pub x: i32,\n    pub y: i32,\n    pub z: i32,\n}\n";
        let main_v1 = "use crate::shapes::Point;\n\nfn origin() -> Point {\n    Point { x: 0, y: 0 }\n}\n";
        let main_v2 = "use crate::shapes::Point;\n\nfn origin() -> Point {\n    Point { x: 0, y: 0, z }\n}\n";
        let mut history = EditHistory::default();
        for (uri, file, before, after) in [
            ("file:///w/src/shapes.rs", "src/shapes.rs", shapes_v1, shapes_v2),
            ("file:///w/src/main.rs", "src/main.rs", main_v1, main_v2),
        ] {
            history.checkpoint(uri, file, before, false);
            history.checkpoint(uri, file, after, false);
        }
        let shapes = Document::new("file:///w/src/shapes.rs".into(), "rust".into(), 2, shapes_v2);
        let main = Document::new("file:///w/src/main.rs".into(), "rust".into(), 2, main_v2);
        let exclude = Arc::new(Exclude::default());
        let workspace = Arc::new(WorkspaceIndex::new(&exclude));
        let open = [main.clone(), shapes];
        let around = Surroundings {
            open_documents: &open,
            workspace: &workspace,
            root: Some(Path::new("/w")),
            exclude: &exclude,
        };
        let cursor = main_v2.find(", z").unwrap() + 3;
        let region = Region::around(&main, cursor, 12);
        let prompt = prompt(&main, &region, &history.recent(8), &around, 3000).unwrap();
        assert_eq!(prompt[0].content, SYSTEM_PROMPT);
        let user = &prompt[1].content;
        let expected_tail = "The user's recent edits, oldest first:\n```diff\n\
            --- a/src/shapes.rs\n+++ b/src/shapes.rs\n@@ -4,0 +4,1 @@\n+    pub z: i32,\n\
            --- a/src/main.rs\n+++ b/src/main.rs\n@@ -4,1 +4,1 @@\n-    Point { x: 0, y: 0 }\n+    Point { x: 0, y: 0, z }\n```\n\n\
            The editable region of `src/main.rs` (lines 1-5), the cursor at <|CURSOR|>:\n```rust\n\
            use crate::shapes::Point;\n\nfn origin() -> Point {\n    Point { x: 0, y: 0, z<|CURSOR|> }\n}\n```\n\n\
            Reply with the editable region rewritten with the user's next edit, in one ```rust fenced block.";
        assert!(user.ends_with(expected_tail), "{user}");
        let definitions = &user[..user.len() - expected_tail.len()];
        assert!(definitions.starts_with("Definitions the code may use:\n<context file=\"src/shapes.rs\""), "{user}");
        assert!(definitions.contains("pub z: i32,"), "{user}");

        // The answer: the region rewritten (re-indented by the model), fitted over the region.
        let site = site(&main, &region, prompt);
        let answer =
            "Next:\n```rust\nuse crate::shapes::Point;\n\nfn origin() -> Point {\n  Point { x: 0, y: 0, z: 0 }\n}\n```";
        let rewrite = (site.clean)(answer).unwrap();
        assert_eq!(rewrite, main_v2.replace("z }", "z: 0 }"));
        let suggested = suggestion(main_v2, &region, &rewrite, history.last_edit_of(&main.uri)).unwrap();
        assert_eq!((&main_v2[suggested.range.clone()], suggested.new_text.as_str()), ("", ": 0"));
    }
}
