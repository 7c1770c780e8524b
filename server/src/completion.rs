//! Completions: the site of a request (context, prompt, how to clean the answer), and how a
//! suggestion is presented as an edit at the cursor.

pub mod engine;
pub mod postprocess;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::config::Config;
use crate::context::{gather, ContextInput, Exclude, WorkspaceIndex};
use crate::document::Document;
use crate::model::{ChatMessage, Prompt, Role};
use crate::rewrite;
use crate::text::{ceil_rope_boundary, floor_char_boundary, floor_rope_boundary};

pub use engine::{Answer, CompletionEngine, Notice, Settings, Site};

/// Everything around a completion request that is not the engine's business.
pub struct Surroundings<'a> {
    pub open_documents: &'a [Document],
    pub workspace: &'a Arc<WorkspaceIndex>,
    pub root: Option<&'a Path>,
    pub exclude: &'a Arc<Exclude>,
}

/// How much text before the cursor the engine keeps to recognise typing-through.
const BEFORE_WINDOW: usize = 4096;
/// How much text on each side of the cursor post-processing sees (about 800 lines of code).
const CLEAN_WINDOW: usize = 32 * 1024;

/// The site of a completion at byte `offset`, or `None` when the document must not be sent
/// (it matches `context.exclude`).
pub fn site(document: &Document, offset: usize, around: &Surroundings, config: &Config) -> Option<Site> {
    let budget_tokens = config.context.budget_tokens;
    let prompt = completion_prompt(document, offset, around, budget_tokens).ok()?;
    // For one retry when the provider finds the prompt too long (1261): the same site from
    // half the budget. It owns a snapshot of what it needs (documents are cheap to clone: a
    // rope and a tree share their data).
    let smaller_prompt: engine::PromptBuilder = {
        let document = document.clone();
        let open_documents = around.open_documents.to_vec();
        let workspace = around.workspace.clone();
        let root = around.root.map(Path::to_path_buf);
        let exclude = around.exclude.clone();
        let first = prompt.clone();
        Arc::new(move || {
            let around = Surroundings {
                open_documents: &open_documents,
                workspace: &workspace,
                root: root.as_deref(),
                exclude: &exclude,
            };
            // The same document was accepted for the first prompt.
            completion_prompt(&document, offset, &around, budget_tokens / 2).unwrap_or_else(|_| first.clone())
        })
    };
    // Post-processing looks at the lines around the cursor (its syntax check stops at the
    // nearest top-level lines, at most 200 lines away), so it gets a window, not two copies
    // of a large file.
    let window_start = floor_rope_boundary(&document.rope, offset.saturating_sub(CLEAN_WINDOW));
    let window_end = ceil_rope_boundary(&document.rope, (offset + CLEAN_WINDOW).min(document.rope.len_bytes()));
    let before: Arc<str> = Arc::from(document.rope.byte_slice(window_start..offset).to_string());
    let after: Arc<str> = Arc::from(document.rope.byte_slice(offset..window_end).to_string());
    let language = document.language;
    // The style of the code around the cursor, not of the strings and comments in the window:
    // a Go file's raw strings of space-indented shell must not make its tab-indented code
    // spaces. Read from the lines near the cursor only: finding the literals of a whole
    // window's syntax costs milliseconds on a large file.
    let cursor_line = document.rope.byte_to_line(offset);
    let style_start = document.rope.line_to_byte(cursor_line.saturating_sub(rewrite::NEARBY_LINES));
    let style_end =
        document.rope.line_to_byte((cursor_line + rewrite::NEARBY_LINES + 1).min(document.rope.len_lines()));
    let indent = rewrite::style_of_code_around(
        &document.rope.byte_slice(style_start..style_end).to_string(),
        style_start,
        offset - style_start..offset - style_start,
        document.tree.as_ref(),
    );
    let before_window_start = floor_char_boundary(&before, before.len().saturating_sub(BEFORE_WINDOW));
    let before_window = before[before_window_start..].to_string();
    let clean = move |raw: &str| {
        postprocess::clean(raw, &postprocess::CompletionSite { before: &before, after: &after, language, indent })
    };
    Some(Site {
        uri: document.uri.clone(),
        version: document.version,
        offset,
        prompt,
        before: before_window,
        follows_typing: true,
        clean: Arc::new(clean),
        smaller_prompt: Some(smaller_prompt),
    })
}

/// The completion prompt at `offset` from a context of `budget_tokens`.
fn completion_prompt(
    document: &Document,
    offset: usize,
    around: &Surroundings,
    budget_tokens: usize,
) -> Result<Prompt, crate::model::Excluded> {
    let path = crate::context::uri_to_path(&document.uri);
    let context = gather(&ContextInput {
        document,
        offset,
        open_documents: around.open_documents,
        workspace: around.workspace,
        root: around.root,
        budget_tokens,
        exclude: around.exclude,
    });
    let file = crate::context::display_uri(&document.uri, around.root);
    let messages = crate::prompt::completion_messages(&context, crate::context::language_name(document), &file)
        .into_iter()
        .map(|message| ChatMessage {
            role: if message.role == "system" { Role::System } else { Role::User },
            content: message.content,
        })
        .collect();
    Prompt::assemble(messages, path.as_deref().as_slice(), around.exclude, around.root)
}

/// A suggestion as the editor inserts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// What the edit replaces: the identifier being typed before the cursor (often empty).
    pub replace: Range<usize>,
    pub new_text: String,
    /// One line for a menu: the first line, trimmed and shortened, with `⋯` when more follows.
    pub label: String,
    /// Matches what the user keeps typing, so the item stays visible: the first line (menus
    /// match it against the word at the cursor, which never spans lines).
    pub filter_text: String,
}

/// Menus show one line per item; longer labels are cut here rather than by each editor.
const LABEL_CHARS: usize = 80;

pub fn present(text_before_cursor: &str, offset: usize, suggestion: &str) -> Presented {
    let word_length: usize = text_before_cursor
        .chars()
        .rev()
        .take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '$')
        .map(char::len_utf8)
        .sum();
    let word = &text_before_cursor[text_before_cursor.len() - word_length..];
    let new_text = format!("{word}{suggestion}");
    let first_line = new_text.lines().next().unwrap_or_default();
    let first_content_line = new_text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default();
    let mut label: String = first_content_line.chars().take(LABEL_CHARS).collect();
    let cut = label.len() < first_content_line.len();
    if cut || new_text.trim().lines().nth(1).is_some() || first_line.trim().is_empty() {
        label.push_str(" ⋯");
    }
    Presented { replace: offset - word_length..offset, filter_text: first_line.to_string(), new_text, label }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_replaces_the_word_being_typed() {
        let before = "let total = compu";
        let presented = present(before, before.len(), "te_total(&items);");
        assert_eq!(presented.replace, 12..17);
        assert_eq!(presented.new_text, "compute_total(&items);");
        assert_eq!(presented.label, "compute_total(&items);");
        let multi = present("fn main() {\n    ", 16, "if x {\n        y();\n    }");
        assert_eq!(multi.replace, 16..16);
        assert_eq!(multi.label, "if x { ⋯");
        assert_eq!(multi.filter_text, "if x {");
    }

    #[test]
    fn labels_are_one_short_line() {
        let long = format!("let values = [{}];", "1, ".repeat(100));
        let presented = present("", 0, &format!("\n{long}\nnext();"));
        assert!(!presented.label.contains('\n'));
        assert_eq!(presented.label.chars().count(), LABEL_CHARS + 2);
        assert!(presented.label.starts_with("let values = [1, 1, "));
        assert_eq!(presented.filter_text, "");
        assert_eq!(present("", 0, "x\n\n").label, "x");
    }

    #[test]
    fn presentation_counts_multibyte_words() {
        let before = "let 名前";
        let presented = present(before, before.len(), "を = 1;");
        assert_eq!(&before[presented.replace.clone()], "名前");
    }
}
