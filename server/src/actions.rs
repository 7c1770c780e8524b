//! AI code actions: what to offer at a range (instantly, without the model), what to ask the
//! model, and how its answer becomes the smallest safe edit of the user's current text.
//!
//! An action's `data` carries everything needed to redo the work (URI, version, target
//! range, kind), so resolving or running it needs no state kept since the listing.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::document::Document;
use crate::model::{ChatMessage, Finish, ModelAnswer};
use crate::privacy::REDACTED;
use crate::rewrite;
use crate::text::Edit;

/// A diagnostic from any language server, as sent in the code-action request's context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub range: Range<usize>,
    pub message: String,
    pub code: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ActionKind {
    Fix {
        diagnostic: Diagnostic,
    },
    Improve,
    Document,
    Custom {
        title: String,
        prompt: String,
    },
    /// Unit tests for the function, method or type `name` whose definition is `target`.
    GenerateTests {
        name: String,
    },
}

/// What an action acts on; serialized into the LSP action's `data` and command arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionData {
    pub uri: String,
    pub version: i32,
    /// The target: whole lines of the document, in bytes.
    pub target: Range<usize>,
    pub action: ActionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub title: String,
    /// The LSP code action kind (`quickfix`, `refactor.rewrite`, ...).
    pub kind: String,
    pub data: ActionData,
}

/// The actions that apply to `selection` (a byte range; empty for a bare cursor). A range of
/// at most one character is a cursor too: Helix always selects the character under its
/// cursor, and a one-line target there would make "Improve" rewrite a single line.
pub fn offers(document: &Document, selection: Range<usize>, diagnostics: &[Diagnostic], config: &Config) -> Vec<Offer> {
    let text = document.text();
    let selection = if is_cursor(&text, &selection) { selection.start..selection.start } else { selection };
    let mut offers = Vec::new();
    let offer = |title: String, kind: &str, target: Range<usize>, action: ActionKind| Offer {
        title,
        kind: kind.to_string(),
        data: ActionData { uri: document.uri.clone(), version: document.version, target, action },
    };
    for diagnostic in diagnostics {
        // The diagnostic's own lines plus the enclosing definition when there is one, so the
        // model sees (and may change) the code the fix needs.
        let around = enclosing_definition(document, &text, diagnostic.range.start)
            .map(|scope| scope.start.min(diagnostic.range.start)..scope.end.max(diagnostic.range.end))
            .unwrap_or(diagnostic.range.clone());
        let target = rewrite::line_range_for(&text, around.start, around.end);
        let first_line = diagnostic.message.lines().next().unwrap_or_default();
        offers.push(offer(
            format!("GLM: Fix: {first_line}"),
            "quickfix",
            target,
            ActionKind::Fix { diagnostic: diagnostic.clone() },
        ));
    }
    let selected = (!selection.is_empty()).then(|| rewrite::line_range_for(&text, selection.start, selection.end));
    let definition = enclosing_definition(document, &text, selection.start)
        .map(|scope| rewrite::line_range_for(&text, scope.start, scope.end));
    if let Some(target) = selected.clone().or(definition.clone()) {
        offers.push(offer("GLM: Improve this code".into(), "refactor.rewrite", target.clone(), ActionKind::Improve));
        for custom in &config.actions.custom {
            offers.push(offer(
                format!("GLM: {}", custom.title),
                &custom.kind,
                target.clone(),
                ActionKind::Custom { title: custom.title.clone(), prompt: custom.prompt.clone() },
            ));
        }
    }
    if let Some(target) = definition {
        offers.push(offer("GLM: Add documentation".into(), "refactor.rewrite", target, ActionKind::Document));
    }
    for target in test_targets(document, &text, selection) {
        offers.push(offer(
            format!("GLM: Generate tests for `{}`", target.name),
            "source",
            target.range.clone(),
            ActionKind::GenerateTests { name: target.name },
        ));
    }
    offers
}

/// Whether `selection` of `text` spans at most one character (a line break counts as one).
fn is_cursor(text: &str, selection: &Range<usize>) -> bool {
    let Some(selected) = text.get(selection.clone()) else {
        return selection.is_empty();
    };
    selected == "\r\n" || selected.chars().nth(1).is_none()
}

/// What tests can be generated for at `selection`: nothing in test code, nor in a document
/// that is not a file (the tests need a place on disk).
pub fn test_targets(document: &Document, text: &str, selection: Range<usize>) -> Vec<crate::testgen::Target> {
    let (Some(language), Some(tree)) = (document.language, document.tree.as_ref()) else {
        return Vec::new();
    };
    let Some(path) = crate::context::uri_to_path(&document.uri) else {
        return Vec::new();
    };
    if crate::language::is_test_file(&path)
        || crate::testgen::target::is_inside_tests(language, text, tree, selection.start)
    {
        return Vec::new();
    }
    crate::testgen::target::targets_at(language, text, tree, selection)
}

/// The innermost function, method, class or type around `offset`, as found by the
/// language's `context.scm`; a cursor on a definition's first character is in it.
pub fn enclosing_definition(document: &Document, text: &str, offset: usize) -> Option<Range<usize>> {
    let (language, tree) = (document.language?, document.tree.as_ref()?);
    let enclosing = |at: usize| crate::context::symbols::enclosing(language, text, tree, at);
    let next_char = text.get(offset..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8);
    let starting_here = enclosing(offset + next_char).into_iter().filter(|node| node.start_byte() == offset);
    enclosing(offset)
        .into_iter()
        .chain(starting_here)
        .min_by_key(|node| node.end_byte() - node.start_byte())
        .map(|node| node.start_byte()..node.end_byte())
}

const SYSTEM_PROMPT: &str = "You are an expert software engineer editing code in the user's editor. \
You receive a target region of a file and a task. Reply with the complete new version of the target \
region, and nothing else of the file, in exactly one fenced code block. Keep everything the task does \
not require changing exactly as it is: names, formatting, comments, blank lines and indentation. Do not \
add explanations outside the code block.";

/// The chat for an action: stable instructions first (cache-friendly), then the file's
/// surroundings, then the target and the task.
/// `file` is the document's path as the prompt shows it (relative to the workspace root).
pub fn prompt(document: &Document, file: &str, text: &str, data: &ActionData, context: &str) -> Vec<ChatMessage> {
    let language = document.language.map_or(document.language_id.as_str(), |language| language.name());
    let target = &text[data.target.clone()];
    let start_line = text[..data.target.start].matches('\n').count() + 1;
    let end_line = start_line + target.trim_end_matches('\n').matches('\n').count();
    let task = match &data.action {
        ActionKind::Fix { diagnostic } => {
            let mut task = format!("Fix this problem reported by the tooling:\n{}", diagnostic.message);
            if let Some(code) = &diagnostic.code {
                task.push_str(&format!("\n(code: {code})"));
            }
            if let Some(source) = &diagnostic.source {
                task.push_str(&format!("\n(source: {source})"));
            }
            let line = text[..diagnostic.range.start].matches('\n').count() + 1;
            task.push_str(&format!("\nIt is reported at line {line}: `{}`", text[diagnostic.range.clone()].trim()));
            task
        }
        ActionKind::Improve => "Improve this code: make it clearer, more idiomatic and more robust, without \
                                changing what it does. Keep changes focused; do not rename public items."
            .to_string(),
        ActionKind::Document => format!(
            "Add documentation to this {language} code in the language's convention (doc comments such as \
             `///` for Rust, docstrings for Python, JSDoc for JavaScript/TypeScript, Javadoc for Java, Go doc \
             comments), for the definition and its public members. Change no code, only add documentation."
        ),
        ActionKind::Custom { prompt, .. } => prompt.replace("{code}", target).replace("{language}", language),
        // Test generation has its own prompts (`testgen::prompt`); this is never sent.
        ActionKind::GenerateTests { name } => format!("Write unit tests for `{name}`."),
    };
    let mut user = String::new();
    if !context.is_empty() {
        user.push_str("Context from the workspace (for reference only, do not repeat it):\n");
        user.push_str(context);
        user.push_str("\n\n");
    }
    user.push_str(&format!(
        "File: {}\nLanguage: {language}\nTarget region (lines {start_line}-{end_line}):\n```{language}\n{}\n```\n\nTask: {task}\n\n\
         Reply with the complete new version of the target region in one ```{language} fenced block.",
        file,
        target.trim_end_matches('\n'),
    ));
    vec![ChatMessage::system(SYSTEM_PROMPT), ChatMessage::user(user)]
}

/// Why an action changed nothing; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(
        "the model's answer was cut off (it hit maxTokens); nothing was changed. Raise actions.maxTokens and try again"
    )]
    Truncated,
    #[error("the provider's content filter blocked the answer; nothing was changed")]
    Blocked,
    #[error("the model's answer had no code; nothing was changed")]
    NoCode,
    #[error("the model suggested no changes")]
    Unchanged,
    #[error("the document was closed before the answer arrived; nothing was changed")]
    Closed,
    #[error("the document changed since the action was offered; run it again")]
    Stale,
    #[error("you edited the same lines while the model was thinking, so its change was not applied ({0})")]
    Conflict(String),
    #[error("the model's answer ended unexpectedly ({0}); nothing was changed")]
    Incomplete(String),
    #[error(
        "the model's answer would not parse in place (a syntax error at line {line}); nothing was changed. Try again"
    )]
    WouldNotParse { line: usize },
    #[error(
        "the model changed a line holding a credential it was shown only as [REDACTED], so its change was not applied"
    )]
    Redacted,
    /// The model could not be asked (key, account, network…): its words say why.
    #[error("{0}; nothing was changed")]
    Failed(String),
}

/// The edit to send: against `version` of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionEdit {
    pub version: i32,
    pub edits: Vec<Edit>,
}

/// Turns the model's answer into edits of the document as it is *now*. `base` is the text
/// the model saw; when the user typed meanwhile, the model's change is rebased onto the
/// current text with a three-way merge, and refused when the two touch the same lines.
pub fn apply_answer(
    base: &str,
    data: &ActionData,
    answer: &ModelAnswer,
    current: &Document,
) -> Result<ActionEdit, ActionError> {
    match &answer.finish {
        Finish::Complete => {}
        Finish::Truncated => return Err(ActionError::Truncated),
        Finish::Blocked => return Err(ActionError::Blocked),
        Finish::Other(reason) => return Err(ActionError::Incomplete(reason.clone())),
    }
    let language = current.language.map(|language| language.name());
    let code = rewrite::extract_code(&answer.content, language).ok_or(ActionError::NoCode)?;
    if code.trim().is_empty() {
        return Err(ActionError::NoCode);
    }
    let original = base.get(data.target.clone()).ok_or(ActionError::Stale)?;
    // `model::ask` put the user's credentials back on the lines the answer repeats; one left
    // is on a line the model changed, and writing the placeholder would lose the secret.
    if code.matches(REDACTED).count() > original.matches(REDACTED).count() {
        return Err(ActionError::Redacted);
    }
    // Lines the answer repeats from around the target are aligned on, not inserted twice.
    let target_range = rewrite::widen_over_repeated_lines(base, data.target.clone(), &code);
    let target = &base[target_range.clone()];
    // One parse of the text the model saw: which lines are strings or comments (their
    // indentation is data, not style), and the baseline for the syntax check.
    let base_tree = current
        .language
        .filter(|_| base.len() <= crate::document::MAX_PARSED_BYTES)
        .and_then(|language| crate::language::parse_str(language, base));
    let literal = rewrite::literal_lines(target, target_range.start, base_tree.as_ref());
    let style = rewrite::style_of_code_around(base, 0, target_range.clone(), base_tree.as_ref());
    let replacement = rewrite::replacement_for(target, &code, style, &literal);
    let mut ours = String::with_capacity(base.len() + replacement.len());
    ours.push_str(&base[..target_range.start]);
    ours.push_str(&replacement);
    ours.push_str(&base[target_range.end..]);
    if ours == base {
        return Err(ActionError::Unchanged);
    }
    if let (Some(language), Some(base_tree)) = (current.language, base_tree.as_ref()) {
        let replaced = target_range.start..target_range.start + replacement.len();
        if let Some(error_at) = new_syntax_error(language, base_tree, target_range, &ours, replaced) {
            return Err(ActionError::WouldNotParse { line: ours[..error_at].matches('\n').count() + 1 });
        }
    }
    let now = current.text();
    let merged = if now == base {
        ours
    } else {
        crate::diff::merge(base, &ours, &now).map_err(|conflict| ActionError::Conflict(conflict.to_string()))?
    };
    let edits = crate::diff::edits(&now, &merged);
    if edits.is_empty() {
        return Err(ActionError::Unchanged);
    }
    Ok(ActionEdit { version: current.version, edits })
}

/// Where the rewritten text `ours` has a syntax error that the base text (parsed: `before`) had not: an error in the
/// replaced region where the original region had none, or any error in a file that had none
/// (an unbalanced bracket shows up far from where it was written). `None` when it parses as
/// well as before, or when the file is too large to check.
fn new_syntax_error(
    language: crate::language::Language,
    before: &tree_sitter::Tree,
    original: Range<usize>,
    ours: &str,
    replaced: Range<usize>,
) -> Option<usize> {
    if ours.len() > crate::document::MAX_PARSED_BYTES {
        return None;
    }
    let after = crate::language::parse_str(language, ours)?;
    if !after.root_node().has_error() {
        return None;
    }
    if !before.root_node().has_error() {
        return first_error(after.root_node(), 0..ours.len());
    }
    match first_error(before.root_node(), original) {
        Some(_) => None,
        None => first_error(after.root_node(), replaced),
    }
}

/// The start of the first error or missing node overlapping `range` (iterative: generated
/// code can nest deeper than a worker thread's stack).
fn first_error(root: tree_sitter::Node, range: Range<usize>) -> Option<usize> {
    let overlaps = |node: &tree_sitter::Node| {
        node.start_byte() < range.end.max(range.start + 1) && range.start < node.end_byte().max(node.start_byte() + 1)
    };
    let mut pending = vec![root];
    while let Some(node) = pending.pop() {
        if !overlaps(&node) || !node.has_error() && !node.is_missing() {
            continue;
        }
        if node.is_error() || node.is_missing() {
            return Some(node.start_byte());
        }
        // Children in reverse, so the first one is looked at first.
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        pending.extend(children.into_iter().rev());
    }
    None
}

#[cfg(test)]
mod tests;
