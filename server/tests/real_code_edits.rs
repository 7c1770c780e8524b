//! Actions and completions on real code (issue 19): functions of the ten open-source
//! repositories of the development set (`shared/context-devset/repos/*.tar.gz`: Python, Rust,
//! TypeScript, Go, JavaScript), found by the server's own target finding, each answered the
//! way models answer, and the file afterwards compared with the one expected, byte for byte.
//!
//! - Action "Improve this code", the answer being the function with one line changed, as it
//!   stands, dedented to column 0, and (tab-indented code) with its tabs as spaces: the file is
//!   the original with that line changed.
//! - Completion with the body's first lines erased and the cursor there, the model answering
//!   the erased lines back (plain, fenced, repeating the line before, dedented): the file is the
//!   original again.
//! - Next edit after renaming a parameter (or another name of the signature line) there: the
//!   model answering the editable region with the name's other uses in the function renamed
//!   (fenced, with the cursor marker left in, and tab-indented code with its tabs as spaces):
//!   the file is the one with every use renamed.
//!
//! The set is found at `$GLM_LSP_DEVSET`, else at `shared/context-devset` beside the checkout or
//! one of its ancestors; without it the test says so and passes. No third-party code is in this
//! repository: the archives are unpacked into a temporary folder at run time.
//!
//! `cargo test -p glm-lsp --test real_code_edits -- --nocapture` prints the counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use glm_lsp::actions::{apply_answer, offers, ActionError};
use glm_lsp::completion::{present, site, Surroundings};
use glm_lsp::config::Config;
use glm_lsp::context::{path_to_uri, Exclude, WorkspaceIndex};
use glm_lsp::document::Document;
use glm_lsp::language::Language;
use glm_lsp::model::{Finish, ModelAnswer};
use glm_lsp::next_edit::{predict, EditHistory, Region};
use glm_lsp::rewrite::literal_lines;
use glm_lsp::text::apply_edits;

/// Functions taken from each repository (spread over its files).
const FUNCTIONS_PER_REPOSITORY: usize = 8;
/// Lines a function may have to be taken: long enough to have a body, short enough to read.
const FUNCTION_LINES: std::ops::RangeInclusive<usize> = 4..=80;
/// How many of the body's first lines a completion case erases.
const ERASED_LINES: usize = 3;

#[test]
fn actions_and_completions_on_real_functions_give_the_exact_file() {
    let Some(devset) = find_devset() else {
        println!("real_code_edits: no dev set (set GLM_LSP_DEVSET or put shared/context-devset beside the checkout); skipped");
        return;
    };
    let unpacked = std::env::temp_dir().join(format!("glm-lsp-real-code-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(unpacked.clone());
    let mut tally = Tally::default();
    let mut repositories = 0;
    for archive in archives(&devset) {
        let file_name = archive.file_name().unwrap_or_default().to_string_lossy().to_string();
        let name = file_name.trim_end_matches(".tar.gz").to_string();
        let root = match unpack(&archive, &unpacked.join(&name)) {
            Ok(root) => root,
            Err(error) => panic!("{error}"),
        };
        repositories += 1;
        for function in functions(&root, FUNCTIONS_PER_REPOSITORY) {
            let case = format!("{name}/{}:{}", function.relative, function.line + 1);
            check_action(&function, &case, &mut tally);
            check_completion(&function, &case, &mut tally);
            check_next_edit(&function, &case, &mut tally);
        }
    }
    println!(
        "real_code_edits: {} functions from {repositories} repositories ({} Go functions with a raw string)",
        tally.functions, tally.go_raw_string_functions
    );
    for ((kind, language), (exact, total)) in &tally.counts {
        println!("  {kind:<10} {language:<10} {exact} of {total} exact");
    }
    let (exact, total) = tally.totals("action");
    println!("  actions: {exact} of {total} exact");
    let (exact, total) = tally.totals("completion");
    println!("  completions: {exact} of {total} exact");
    let (exact, total) = tally.totals("next edit");
    println!("  next edits: {exact} of {total} exact");
    for failure in &tally.failures {
        println!("FAILED {failure}");
    }
    assert!(repositories >= 10, "the dev set has {repositories} repositories, expected 10");
    assert!(tally.functions >= 60, "only {} functions were found", tally.functions);
    assert!(
        tally.go_raw_string_functions >= 4,
        "only {} Go functions with a raw string were taken",
        tally.go_raw_string_functions
    );
    assert!(
        tally.failures.is_empty(),
        "{} cases gave another file:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
}

/// The unpacked repositories are removed however the test ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
struct Tally {
    functions: usize,
    go_raw_string_functions: usize,
    /// (case kind, language) → (exact, total).
    counts: BTreeMap<(&'static str, &'static str), (usize, usize)>,
    failures: Vec<String>,
}

impl Tally {
    fn record(
        &mut self,
        kind: &'static str,
        language: Language,
        case: String,
        expected: &str,
        got: Result<String, String>,
    ) {
        let entry = self.counts.entry((kind, language.name())).or_default();
        entry.1 += 1;
        match got {
            Ok(text) if text == expected => entry.0 += 1,
            Ok(text) => self.failures.push(format!("{case}: {}", first_difference(expected, &text))),
            Err(error) => self.failures.push(format!("{case}: {error}")),
        }
    }

    fn totals(&self, kind: &str) -> (usize, usize) {
        self.counts
            .iter()
            .filter(|((counted, _), _)| *counted == kind)
            .fold((0, 0), |(exact, total), (_, (e, t))| (exact + e, total + t))
    }
}

/// The first line where two texts differ, both versions shown.
fn first_difference(expected: &str, got: &str) -> String {
    let expected_lines: Vec<&str> = expected.split('\n').collect();
    let got_lines: Vec<&str> = got.split('\n').collect();
    let at = expected_lines.iter().zip(&got_lines).take_while(|(a, b)| a == b).count();
    format!(
        "line {}: expected {:?}, got {:?}",
        at + 1,
        expected_lines.get(at).copied().unwrap_or("<end>"),
        got_lines.get(at).copied().unwrap_or("<end>")
    )
}

/// A function of a real file, as the server's "Improve this code" targets it.
struct Function {
    relative: String,
    language: Language,
    language_id: &'static str,
    text: String,
    /// The target: whole lines of `text`.
    target: std::ops::Range<usize>,
    /// The zero-based line of the target's first line.
    line: usize,
    /// Where the body's first line starts.
    body_line_start: usize,
    /// Which lines of the target lie inside strings or comments.
    literal: Vec<bool>,
    uri: String,
}

fn language_of(path: &Path) -> Option<(Language, &'static str)> {
    match path.extension()?.to_str()? {
        "py" => Some((Language::Python, "python")),
        "rs" => Some((Language::Rust, "rust")),
        "ts" => Some((Language::TypeScript, "typescript")),
        "go" => Some((Language::Go, "go")),
        "js" => Some((Language::JavaScript, "javascript")),
        _ => None,
    }
}

const FUNCTION_KINDS: [&str; 7] = [
    "function_definition",
    "function_item",
    "function_declaration",
    "method_definition",
    "method_declaration",
    "function_expression",
    "func_literal",
];

/// Up to `count` functions of the repository at `root`, round-robin over its source files
/// (sorted), Go functions holding a raw string first.
fn functions(root: &Path, count: usize) -> Vec<Function> {
    let mut files = Vec::new();
    collect_files(root, &mut files);
    files.sort();
    let mut per_file: Vec<Vec<Function>> = files.iter().map(|path| functions_of_file(root, path)).collect();
    for functions in &mut per_file {
        // Go with raw strings first (the case the issue found), then methods (indented: a
        // dedented answer moves them), then the file's order.
        functions.sort_by_key(|function| {
            let raw_string = function.language == Language::Go && has_raw_string(function);
            let method = function.text[function.target.clone()].starts_with([' ', '\t']);
            (!raw_string, !method)
        });
        functions.reverse();
    }
    // Files with such a Go function first, so several are taken.
    per_file.sort_by_key(|functions| {
        !functions.last().is_some_and(|function| function.language == Language::Go && has_raw_string(function))
    });
    let mut chosen = Vec::new();
    while chosen.len() < count && per_file.iter().any(|functions| !functions.is_empty()) {
        for functions in &mut per_file {
            if chosen.len() == count {
                break;
            }
            if let Some(function) = functions.pop() {
                chosen.push(function);
            }
        }
    }
    chosen
}

fn has_raw_string(function: &Function) -> bool {
    function.text[function.target.clone()].contains('`')
}

fn collect_files(directory: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else if language_of(&path).is_some() && !path.to_string_lossy().ends_with(".d.ts") {
            files.push(path);
        }
    }
}

fn functions_of_file(root: &Path, path: &Path) -> Vec<Function> {
    let (Some((language, language_id)), Ok(text)) = (language_of(path), std::fs::read_to_string(path)) else {
        return Vec::new();
    };
    let uri = path_to_uri(path);
    let document = Document::new(uri.clone(), language_id.to_string(), 1, &text);
    let Some(tree) = document.tree.as_ref() else { return Vec::new() };
    let config = Config::default();
    let mut found: Vec<Function> = Vec::new();
    let mut pending = vec![tree.root_node()];
    while let Some(node) = pending.pop() {
        let mut cursor = node.walk();
        pending.extend(node.children(&mut cursor));
        if !FUNCTION_KINDS.contains(&node.kind()) {
            continue;
        }
        let Some(body) = node.child_by_field_name("body") else { continue };
        let header_row = node.start_position().row;
        // The body's first line: the line after the opening brace, or a Python block's first.
        let body_row = if body.start_position().row == body.end_position().row {
            continue;
        } else if language == Language::Python {
            body.start_position().row
        } else {
            body.start_position().row + 1
        };
        let body_line_start = line_start(&text, body_row);
        let cursor_at = body_line_start + leading_whitespace(&text[body_line_start..]).len();
        // The server's own target: what "Improve this code" offers at a cursor in the body.
        let Some(target) = offers(&document, cursor_at..cursor_at, &[], &config)
            .into_iter()
            .find(|offer| offer.title == "GLM: Improve this code")
            .map(|offer| offer.data.target)
        else {
            continue;
        };
        let target_line = text[..target.start].matches('\n').count();
        let lines = text[target.clone()].lines().count();
        // Only targets that are this function (not an inner one around the body's first line).
        if target_line != header_row || !FUNCTION_LINES.contains(&lines) || body_row >= target_line + lines - 1 {
            continue;
        }
        if found.iter().any(|function| function.target == target) {
            continue;
        }
        let literal = literal_lines(&text[target.clone()], target.start, document.tree.as_ref());
        found.push(Function {
            relative: path.strip_prefix(root).unwrap_or(path).to_string_lossy().to_string(),
            language,
            language_id,
            text: text.clone(),
            target,
            line: target_line,
            body_line_start,
            literal,
            uri: uri.clone(),
        });
    }
    found.sort_by_key(|function| function.target.start);
    found
}

fn line_start(text: &str, row: usize) -> usize {
    text.split_inclusive('\n').take(row).map(str::len).sum()
}

fn leading_whitespace(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn fence_tag(language: Language) -> &'static str {
    match language {
        Language::Python => "python",
        Language::Rust => "rust",
        Language::Go => "go",
        Language::TypeScript => "ts",
        _ => "javascript",
    }
}

/// The target's lines with `line` (an index into them) changed: a comment appended.
fn with_changed_line(lines: &[&str], line: usize, language: Language) -> Vec<String> {
    let comment = if language == Language::Python { "  # checked" } else { " // checked" };
    lines
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let (content, ending) = split_ending(text);
            match index == line {
                true => format!("{}{comment}{ending}", content.trim_end()),
                false => text.to_string(),
            }
        })
        .collect()
}

fn split_ending(line: &str) -> (&str, &str) {
    let content = line.trim_end_matches(['\n', '\r']);
    (content, &line[content.len()..])
}

/// Leading tabs as four spaces each.
fn tabs_as_spaces(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let content = line.trim_start_matches('\t');
            format!("{}{content}", "    ".repeat(line.len() - content.len()))
        })
        .collect()
}

/// Removes the indentation all non-blank lines share, as models return methods.
fn dedent(text: &str) -> String {
    let common = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(leading_whitespace)
        .reduce(|common, indent| {
            let shared = common.chars().zip(indent.chars()).take_while(|(a, b)| a == b).count();
            &common[..shared]
        })
        .unwrap_or("");
    text.split_inclusive('\n')
        .map(|line| line.strip_prefix(common).unwrap_or(if line.trim().is_empty() { "\n" } else { line }))
        .collect()
}

/// A line that can take a trailing comment and stay valid: code, not inside a string or
/// comment, not continued by a backslash, not the last line (a closing `}` may end the file).
fn changeable_line(function: &Function, lines: &[&str]) -> Option<usize> {
    let candidates: Vec<usize> = (1..lines.len().saturating_sub(1))
        .filter(|&index| {
            let content = lines[index].trim();
            !content.is_empty()
                && !function.literal.get(index).copied().unwrap_or(false)
                && !function.literal.get(index + 1).copied().unwrap_or(false)
                && !content.ends_with('\\')
                && !content.contains('`')
                && !content.contains("\"\"\"")
                && !content.contains("'''")
                && !content.contains("/*")
                && !content.contains("*/")
        })
        .collect();
    candidates.get(candidates.len() / 2).copied()
}

fn check_action(function: &Function, case: &str, tally: &mut Tally) {
    let target_text = &function.text[function.target.clone()];
    let lines: Vec<&str> = target_text.split_inclusive('\n').collect();
    let Some(changed) = changeable_line(function, &lines) else { return };
    tally.functions += 1;
    if function.language == Language::Go && has_raw_string(function) {
        tally.go_raw_string_functions += 1;
    }
    let new_target: String = with_changed_line(&lines, changed, function.language).concat();
    let expected =
        format!("{}{new_target}{}", &function.text[..function.target.start], &function.text[function.target.end..]);
    let document = Document::new(function.uri.clone(), function.language_id.to_string(), 1, &function.text);
    let config = Config::default();
    let cursor = function.body_line_start;
    let Some(data) = offers(&document, cursor..cursor, &[], &config)
        .into_iter()
        .find(|offer| offer.title == "GLM: Improve this code")
        .map(|offer| offer.data)
    else {
        return tally.record("action", function.language, case.to_string(), &expected, Err("no action".into()));
    };
    let mut variants = vec![("as-is", new_target.clone()), ("dedented", dedent(&new_target))];
    if new_target.lines().any(|line| line.starts_with('\t')) {
        // Tabs turned into spaces, as models often return tab-indented code.
        variants.push(("tabs as spaces", dedent(&tabs_as_spaces(&new_target))));
    }
    for (variant, code) in variants {
        let answer = ModelAnswer {
            content: format!(
                "Here is the improved code:\n\n```{}\n{}\n```\n",
                fence_tag(function.language),
                code.trim_end_matches(['\n', '\r'])
            ),
            finish: Finish::Complete,
            reasoning_chars: 0,
        };
        let got = match apply_answer(&function.text, &data, &answer, &document) {
            Ok(edit) => Ok(apply_edits(&function.text, &edit.edits)),
            Err(ActionError::Unchanged) => Ok(function.text.clone()),
            Err(error) => Err(error.to_string()),
        };
        tally.record("action", function.language, format!("{case} action {variant}"), &expected, got);
    }
}

fn check_completion(function: &Function, case: &str, tally: &mut Tally) {
    let text = &function.text;
    let body_end = line_start(text, function.line + text[function.target.clone()].lines().count() - 1);
    // The body's first line with code: a blank line leads nothing to complete.
    let mut first = function.body_line_start;
    while first < body_end && text[first..].split_inclusive('\n').next().is_some_and(|line| line.trim().is_empty()) {
        first += text[first..].split_inclusive('\n').next().map_or(0, str::len);
    }
    // The body's first lines (up to ERASED_LINES, before the closing line), ending on code.
    let mut lines: Vec<&str> = text[first..body_end].split_inclusive('\n').take(ERASED_LINES).collect();
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        return;
    }
    let erased_end = first + lines.iter().map(|line| line.len()).sum::<usize>() - 1;
    let erased = &text[first..erased_end];
    let erased = erased.trim_end_matches('\r');
    let erased_end = first + erased.len();
    let indent = leading_whitespace(erased);
    let before = format!("{}{indent}", &text[..first]);
    let document_text = format!("{before}{}", &text[erased_end..]);
    let offset = before.len();
    // What a model repeats: the text before the cursor from the last line with code on.
    let code_before = text[..first].trim_end();
    let line_before = text[code_before.rfind('\n').map_or(0, |index| index + 1)..first].trim_start();
    let line_before = line_before.strip_suffix('\n').unwrap_or(line_before);
    let tag = fence_tag(function.language);
    let styles: [(&str, String); 4] = [
        ("plain", erased[indent.len()..].to_string()),
        ("fenced", format!("```{tag}\n{erased}\n```")),
        ("repeating the line before", format!("{line_before}\n{erased}")),
        ("dedented", dedent(erased).trim_end().to_string()),
    ];
    let exclude = Arc::new(Exclude::default());
    let workspace = Arc::new(WorkspaceIndex::new(&exclude));
    let document = Document::new(function.uri.clone(), function.language_id.to_string(), 1, &document_text);
    let around = Surroundings { open_documents: &[], workspace: &workspace, root: None, exclude: &exclude };
    let config = Config::default();
    for (style, answer) in styles {
        let got = match site(&document, offset, &around, &config) {
            None => Err("no completion site".to_string()),
            Some(site) => match (site.clean)(&answer) {
                None => Err(format!("the answer was discarded: {answer:?}")),
                Some(suggestion) => {
                    let presented = present(&document_text[..offset], offset, &suggestion);
                    let mut result = document_text.clone();
                    result.replace_range(presented.replace, &presented.new_text);
                    Ok(result)
                }
            },
        };
        tally.record("completion", function.language, format!("{case} completion {style}"), text, got);
    }
}

/// Lines of the editable region on each side of the cursor (`nextEdit.regionLines`' default).
const REGION_LINES: u32 = 12;

/// The whole-word occurrences of `name` in `line`, as byte ranges.
fn word_occurrences(line: &str, name: &str) -> Vec<std::ops::Range<usize>> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    line.match_indices(name)
        .filter(|(at, _)| {
            !line[..*at].chars().next_back().is_some_and(is_word)
                && !line[at + name.len()..].chars().next().is_some_and(is_word)
        })
        .map(|(at, _)| at..at + name.len())
        .collect()
}

fn renamed(line: &str, name: &str, new_name: &str) -> String {
    let mut out = String::new();
    let mut copied = 0;
    for occurrence in word_occurrences(line, name) {
        out.push_str(&line[copied..occurrence.start]);
        out.push_str(new_name);
        copied = occurrence.end;
    }
    out.push_str(&line[copied..]);
    out
}

/// The user renames a name of the function's first line there (the longest one used again in
/// the function's code within the region); the model's answer renames its other uses.
fn check_next_edit(function: &Function, case: &str, tally: &mut Tally) {
    let text = &function.text;
    let lines: Vec<&str> = text[function.target.clone()].split_inclusive('\n').collect();
    let last_line = (function.line + REGION_LINES as usize).min(function.line + lines.len() - 1);
    let code_lines: Vec<usize> = (1..=last_line - function.line).filter(|&index| !function.literal[index]).collect();
    let header = lines[0];
    let mut names: Vec<&str> = header
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|word| word.len() >= 3 && !word.starts_with(|c: char| c.is_ascii_digit()))
        .filter(|word| word_occurrences(header, word).len() == 1)
        .filter(|word| code_lines.iter().any(|&index| !word_occurrences(lines[index], word).is_empty()))
        .collect();
    names.sort_by_key(|word| std::cmp::Reverse(word.len()));
    let Some(name) = names.first().copied() else { return };
    let new_name = format!("{name}Next");
    let header_start = function.target.start;
    let at = header_start + word_occurrences(header, name)[0].start;
    let after_rename = format!("{}{new_name}{}", &text[..at], &text[at + name.len()..]);
    let cursor = at + new_name.len();
    // What the user's rename leads to: the name's uses in the function's code lines renamed.
    let mut expected = after_rename.clone();
    for &index in code_lines.iter().rev() {
        let start = line_start(&after_rename, function.line + index);
        let end = start + lines[index].len();
        expected.replace_range(start..end, &renamed(lines[index], name, &new_name));
    }
    let mut history = EditHistory::default();
    history.checkpoint(&function.uri, &function.relative, text, false);
    history.checkpoint(&function.uri, &function.relative, &after_rename, false);
    let last_edit = history.last_edit_of(&function.uri).cloned();
    let document = Document::new(function.uri.clone(), function.language_id.to_string(), 2, &after_rename);
    let region = Region::around(&document, cursor, REGION_LINES);
    let rewritten_region =
        expected[region.range.start..region.range.end + (expected.len() - after_rename.len())].to_string();
    let tag = fence_tag(function.language);
    let marker_at = cursor - region.range.start;
    let mut styles: Vec<(&str, String)> = vec![
        ("fenced", format!("```{tag}\n{rewritten_region}```")),
        (
            "with the cursor marker left in",
            format!("```{tag}\n{}<|CURSOR|>{}```", &rewritten_region[..marker_at], &rewritten_region[marker_at..]),
        ),
    ];
    if rewritten_region.contains('\t') {
        styles.push(("tabs as spaces", format!("```{tag}\n{}```", tabs_as_spaces(&rewritten_region))));
    }
    let exclude = Arc::new(Exclude::default());
    let workspace = Arc::new(WorkspaceIndex::new(&exclude));
    let around = Surroundings { open_documents: &[], workspace: &workspace, root: None, exclude: &exclude };
    let shown: Vec<_> = history.recent(8);
    for (style, answer) in styles {
        let got = match predict::prompt(&document, &region, &shown, &around, 3000) {
            Err(error) => Err(format!("no prompt: {error:?}")),
            Ok(prompt) => match (predict::site(&document, &region, prompt).clean)(&answer) {
                None => Err(format!("the answer was discarded: {answer:?}")),
                Some(rewrite) => match predict::suggestion(&after_rename, &region, &rewrite, last_edit.as_ref()) {
                    None => Err(format!("nothing suggested for {rewrite:?}")),
                    Some(suggested) => {
                        let mut result = after_rename.clone();
                        result.replace_range(suggested.range, &suggested.new_text);
                        Ok(result)
                    }
                },
            },
        };
        tally.record(
            "next edit",
            function.language,
            format!("{case} next edit renaming {name}, {style}"),
            &expected,
            got,
        );
    }
}

fn archives(devset: &Path) -> Vec<PathBuf> {
    let mut archives: Vec<PathBuf> = std::fs::read_dir(devset.join("repos"))
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    archives.retain(|path| path.to_string_lossy().ends_with(".tar.gz"));
    archives.sort();
    archives
}

/// The dev set as `benches/devset.rs` finds it.
fn find_devset() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GLM_LSP_DEVSET") {
        let path = PathBuf::from(path);
        return path.join("repos").is_dir().then_some(path);
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    checkout
        .ancestors()
        .skip(1)
        .map(|ancestor| ancestor.join("shared/context-devset"))
        .find(|candidate| candidate.join("repos").is_dir())
}

fn unpack(archive: &Path, directory: &Path) -> Result<PathBuf, String> {
    let _ = std::fs::remove_dir_all(directory);
    std::fs::create_dir_all(directory).map_err(|error| format!("cannot create {}: {error}", directory.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(directory)
        .status()
        .map_err(|error| format!("cannot run tar: {error}"))?;
    if !status.success() {
        return Err(format!("tar could not unpack {}", archive.display()));
    }
    Ok(directory.to_path_buf())
}
