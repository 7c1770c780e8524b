//! Post-processing of a completion answer: from what the model wrote to exactly the text to
//! insert at the cursor, or nothing.
//!
//! The steps run in this order, each undoing one habit of chat models asked to fill in code:
//! 1. take the code out of a Markdown fence;
//! 2. drop an echoed cursor marker (`<|CURSOR|>` and friends);
//! 3. drop the line break GLM puts before its answers: always when the cursor has only
//!    indentation before it or code after it on its line; after code, only when the answer
//!    still parses without it and the line does not end a statement or open a block;
//! 4. drop text repeated from before the cursor (the current line, or the last few lines);
//! 5. in a single-line context (text after the cursor on its line), keep the first line only;
//! 6. drop text repeated from after the cursor (a closing `)` or `}`, the rest of the line,
//!    the next lines), but only closing brackets the suggestion itself leaves unmatched;
//! 7. trim trailing whitespace, re-indent in the document's style, and place the lines: an
//!    answer written as whole lines repeats the indentation the cursor already has (the
//!    first line lands at the cursor, the others keep their place relative to it);
//! 8. discard what is empty or only repeats the document;
//! 9. parse the cursor's surroundings with tree-sitter with and without the suggestion: a
//!    suggestion that adds ERROR or MISSING nodes is cut back to its longest prefix ending at a
//!    line or statement boundary that does not, or discarded.
//!
//! The root cause of most misplaced answers is one: the model writes lines as they stand in
//! a file, from column 0, while the insertion starts at the cursor, after whatever the line
//! already has. Steps 3 and 7 reconcile the two for every language.
//!
//! The text the suggestion is written in uses the document's line endings.

use crate::language::{parse_str, Language};
use crate::rewrite::{self, IndentStyle};

/// Where a completion goes: the document's text on both sides of the cursor.
#[derive(Debug, Clone, Copy)]
pub struct CompletionSite<'a> {
    /// The document's text before the cursor.
    pub before: &'a str,
    /// The document's text after the cursor.
    pub after: &'a str,
    pub language: Option<Language>,
    pub indent: IndentStyle,
}

/// The text to insert at the cursor for the model's `raw` answer, or `None` when nothing
/// useful is left.
pub fn clean(raw: &str, site: &CompletionSite) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    let code = if raw.contains("```") || raw.contains("~~~") {
        rewrite::extract_code(&raw, site.language.map(Language::name))?
    } else {
        raw
    };
    let code = strip_cursor_markers(&code);
    let line_before = &site.before[site.before.rfind('\n').map_or(0, |index| index + 1)..];
    let line_before = line_before.strip_suffix('\r').unwrap_or(line_before);
    let single_line = !current_line_after(site.after).trim().is_empty();
    let Some(without_break) = without_leading_blank_lines(&code) else {
        return clean_code(&code, site, line_before, single_line).map(|(code, _)| code);
    };
    let cursor_at_line_start = line_before.trim().is_empty();
    let line_ends_a_statement = line_before.trim_end().ends_with([';', '{', '}', ')', ']', ',', ':']);
    if cursor_at_line_start || single_line {
        return clean_code(without_break, site, line_before, single_line).map(|(code, _)| code);
    }
    if line_ends_a_statement {
        return clean_code(&code, site, line_before, single_line).map(|(code, _)| code);
    }
    // Code before the cursor: the break is GLM's habit unless the answer only parses with it
    // (`x = 1` followed by `y = 2`).
    let joined = clean_code(without_break, site, line_before, single_line);
    if matches!(joined, Some((_, true))) {
        return joined.map(|(code, _)| code);
    }
    match clean_code(&code, site, line_before, single_line) {
        Some((code, true)) => Some(code),
        broken => joined.or(broken).map(|(code, _)| code),
    }
}

/// The answer without the blank lines it starts with, when it starts with any.
fn without_leading_blank_lines(code: &str) -> Option<&str> {
    let mut start = 0;
    for line in code.split_inclusive('\n') {
        if !line.ends_with('\n') || !line.trim().is_empty() {
            break;
        }
        start += line.len();
    }
    (start > 0).then(|| &code[start..])
}

/// Steps 4 to 9 for one reading of the answer; `true` when it was kept whole by the syntax
/// check (not cut back).
fn clean_code(code: &str, site: &CompletionSite, line_before: &str, single_line: bool) -> Option<(String, bool)> {
    let code = strip_prefix_overlap(code, site.before);
    let code = if single_line { code.split('\n').next().unwrap_or("").to_string() } else { code };
    let code = strip_suffix_overlap(&code, site.after, single_line);
    let code = trim_trailing_whitespace(&code);
    if code.trim().is_empty() {
        return None;
    }
    let whole_lines = line_before.trim().is_empty() && code.starts_with([' ', '\t']);
    let code = reindent(&code, site.indent, whole_lines);
    let code = match place_whole_lines(&code, line_before, site.indent) {
        Some(placed) => placed,
        None => anchor_relative_continuation(&drop_doubled_space(&code, line_before), line_before, site.indent),
    };
    if code.trim().is_empty() || repeats_existing_text(&code, site.before, site.after) {
        return None;
    }
    let uses_crlf = uses_crlf(site);
    let code = if uses_crlf { code.replace('\n', "\r\n") } else { code };
    match site.language {
        Some(language) => keep_if_it_parses(&code, site, language),
        None => Some((code, true)),
    }
}

/// After code that ends in a space (`x = `), an answer starting with one would double it.
fn drop_doubled_space(code: &str, line_before: &str) -> String {
    if !line_before.trim().is_empty() && line_before.ends_with([' ', '\t']) {
        return code.trim_start_matches([' ', '\t']).to_string();
    }
    code.to_string()
}

/// Cursor markers models echo back from prompts that mark the cursor, matched
/// case-insensitively with their `<|…|>`, `<…>` or `{{…}}` wrapping.
const CURSOR_MARKER_NAMES: [&str; 5] = ["cursor", "fill_here", "fill_me", "fim_middle", "caret"];

fn strip_cursor_markers(code: &str) -> String {
    let mut result = code.to_string();
    for name in CURSOR_MARKER_NAMES {
        for (open, close) in [("<|", "|>"), ("<", ">"), ("{{", "}}"), ("[", "]")] {
            let marker = format!("{open}{name}{close}");
            while let Some(index) = find_ignore_ascii_case(&result, &marker) {
                result.replace_range(index..index + marker.len(), "");
            }
        }
    }
    result
}

fn find_ignore_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack.as_bytes().windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

/// Whether the document ends its lines with `\r\n`, judged by the line break nearest the
/// cursor (without scanning a large document).
fn uses_crlf(site: &CompletionSite) -> bool {
    if let Some(index) = site.before.rfind('\n') {
        return site.before[..index].ends_with('\r');
    }
    site.after.find('\n').is_some_and(|index| site.after[..index].ends_with('\r'))
}

fn current_line_after(after: &str) -> &str {
    let line = &after[..after.find('\n').unwrap_or(after.len())];
    line.strip_suffix('\r').unwrap_or(line)
}

/// How many lines before the cursor an echo may repeat.
const MAX_ECHOED_LINES: usize = 10;

/// Drops the longest run of document text just before the cursor that the answer starts
/// with: the last lines up to the cursor (with or without the current line's indentation).
fn strip_prefix_overlap(code: &str, before: &str) -> String {
    let before_tail = tail_lines(before, MAX_ECHOED_LINES).replace("\r\n", "\n");
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(before_tail.match_indices('\n').map(|(index, _)| index + 1)).collect();
    // From the most lines to the current line alone.
    for &start in &line_starts {
        let echoed = &before_tail[start..];
        if echoed.trim().is_empty() {
            continue;
        }
        for candidate in [echoed, echoed.trim_start()] {
            if let Some(rest) = code.strip_prefix(candidate) {
                return rest.to_string();
            }
        }
    }
    // The identifier being typed, repeated as the start of a longer identifier: the model
    // wrote the whole word (`名前` after `名`), which reads far more often than a word that
    // really doubles its own prefix.
    let partial_word_start = before_tail
        .char_indices()
        .rev()
        .take_while(|(_, character)| is_identifier_char(*character))
        .last()
        .map_or(before_tail.len(), |(index, _)| index);
    let partial_word = &before_tail[partial_word_start..];
    if !partial_word.is_empty() {
        if let Some(rest) = code.strip_prefix(partial_word) {
            if rest.chars().next().is_some_and(is_identifier_char) {
                return rest.to_string();
            }
        }
    }
    code.to_string()
}

fn is_identifier_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// The last `count` lines of `text` (the last one possibly without a line break).
fn tail_lines(text: &str, count: usize) -> &str {
    let mut start = text.rfind('\n').map_or(0, |index| index + 1);
    for _ in 1..count {
        if start == 0 {
            break;
        }
        // `start - 1` is the previous line's `\n`, a char boundary.
        start = text[..start - 1].rfind('\n').map_or(0, |index| index + 1);
    }
    &text[start..]
}

/// Drops a tail of the answer that the document already has right after the cursor.
/// Single-line: the longest suffix of the answer that is a prefix of the rest of the line.
/// Multi-line: trailing answer lines equal (trimmed) to the next lines of the document. A
/// tail with closing brackets is dropped only if the answer leaves those brackets unmatched,
/// so `foo()` before an existing `)` keeps its own parenthesis.
fn strip_suffix_overlap(code: &str, after: &str, single_line: bool) -> String {
    let after_head = head_lines(after, MAX_ECHOED_LINES).replace("\r\n", "\n");
    if single_line {
        let rest_of_line = after_head.split('\n').next().unwrap_or("");
        let code_trimmed = code.trim_end();
        let boundaries: Vec<usize> =
            code_trimmed.char_indices().map(|(index, _)| index).chain([code_trimmed.len()]).collect();
        for &start in &boundaries {
            let tail = &code_trimmed[start..];
            if tail.is_empty() || !rest_of_line.trim_start().starts_with(tail.trim_start()) {
                continue;
            }
            if tail.trim().is_empty() {
                continue;
            }
            let kept = &code_trimmed[..start];
            // Never cut inside an identifier: `zoo` before an existing `o` stays `zoo`.
            let splits_word = kept.chars().next_back().is_some_and(is_identifier_char)
                && tail.chars().next().is_some_and(is_identifier_char);
            if !splits_word && closers_are_unmatched(kept, tail) {
                return kept.to_string();
            }
        }
        return code.to_string();
    }
    // Multi-line: compare whole trimmed lines, from the most lines down.
    let document_lines: Vec<&str> = after_head.split('\n').map(str::trim).filter(|line| !line.is_empty()).collect();
    let code_lines: Vec<&str> = code.split('\n').collect();
    let content_count = code_lines.iter().filter(|line| !line.trim().is_empty()).count();
    for count in (1..=document_lines.len().min(content_count)).rev() {
        // Index of the first code line of the last `count` non-blank ones.
        let mut seen = 0;
        let mut cut = code_lines.len();
        for (index, line) in code_lines.iter().enumerate().rev() {
            if !line.trim().is_empty() {
                seen += 1;
                if seen == count {
                    cut = index;
                    break;
                }
            }
        }
        let tail: Vec<&str> =
            code_lines[cut..].iter().map(|line| line.trim()).filter(|line| !line.is_empty()).collect();
        if tail[..] != document_lines[..count] {
            continue;
        }
        let kept = code_lines[..cut].join("\n");
        let tail_text = code_lines[cut..].join("\n");
        if closers_are_unmatched(&kept, &tail_text) {
            return kept;
        }
    }
    code.to_string()
}

fn head_lines(text: &str, count: usize) -> &str {
    let mut end = 0;
    for _ in 0..count {
        match text[end..].find('\n') {
            Some(index) => end += index + 1,
            None => return text,
        }
    }
    &text[..end]
}

/// Whether dropping `tail` from the end of the suggestion `kept + tail` leaves the
/// suggestion's own brackets intact: every closing bracket in `tail` must close nothing the
/// suggestion opened (it duplicates a closer of the document's), and a quote in `tail` must not
/// close a string `kept` opened (an odd number of that quote in `kept`).
fn closers_are_unmatched(kept: &str, tail: &str) -> bool {
    // Open brackets, each with whether the tail opened it.
    let mut open_stack: Vec<(char, bool)> = Vec::new();
    for character in kept.chars() {
        match character {
            '(' | '[' | '{' => open_stack.push((character, false)),
            ')' | ']' | '}' if open_stack.last().map(|(open, _)| *open) == Some(opener_of(character)) => {
                open_stack.pop();
            }
            _ => {}
        }
    }
    for character in tail.chars() {
        match character {
            '(' | '[' | '{' => open_stack.push((character, true)),
            ')' | ']' | '}' => match open_stack.last() {
                Some(&(open, from_tail)) if open == opener_of(character) => {
                    if !from_tail {
                        return false;
                    }
                    open_stack.pop();
                }
                _ => {}
            },
            _ => {}
        }
    }
    ['"', '\'', '`'].into_iter().all(|quote| !tail.contains(quote) || kept.matches(quote).count() % 2 == 0)
}

fn opener_of(closer: char) -> char {
    match closer {
        ')' => '(',
        ']' => '[',
        _ => '{',
    }
}

fn trim_trailing_whitespace(code: &str) -> String {
    let lines: Vec<&str> = code.split('\n').map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// Writes the indentation of every line after the first in the document's style, keeping its
/// level: a two-space answer in a tab-indented file gets one tab per two spaces. The first
/// line continues the cursor's line and keeps whatever it has, unless the answer is whole
/// lines (`whole_lines`: the cursor is in the line's indentation and the first line brings
/// its own), when it is re-indented like the others.
fn reindent(code: &str, style: IndentStyle, whole_lines: bool) -> String {
    let (first, rest) = match (whole_lines, code.split_once('\n')) {
        (true, _) => ("", code),
        (false, Some(parts)) => parts,
        (false, None) => return code.to_string(),
    };
    let code_style = match IndentStyle::detect_with_evidence(rest) {
        Some(detected) => detected,
        None if rest.lines().any(|line| line.starts_with('\t')) => IndentStyle::Tabs,
        None => match style {
            // Without evidence, assume the model used the document's own width.
            IndentStyle::Spaces(_) => style,
            IndentStyle::Tabs => IndentStyle::Spaces(4),
        },
    };
    if code_style == style {
        return code.to_string();
    }
    let code_unit_columns = match code_style {
        IndentStyle::Tabs => 1,
        IndentStyle::Spaces(width) => usize::from(width.max(1)),
    };
    let mut result = first.to_string();
    for (index, line) in rest.split('\n').enumerate() {
        if index > 0 || !whole_lines {
            result.push('\n');
        }
        let indent = rewrite::leading_whitespace(line);
        let columns: usize =
            indent.chars().map(|character| if character == '\t' { code_unit_columns } else { 1 }).sum();
        for _ in 0..columns / code_unit_columns {
            result.push_str(&style.unit());
        }
        result.push_str(&" ".repeat(columns % code_unit_columns));
        result.push_str(&line[indent.len()..]);
    }
    result
}

/// Columns of an indentation, a tab counting as one level of `style`.
fn indent_columns(indent: &str, style: IndentStyle) -> usize {
    let tab_columns = match style {
        IndentStyle::Tabs => 4,
        IndentStyle::Spaces(width) => usize::from(width.max(1)),
    };
    indent.chars().map(|character| if character == '\t' { tab_columns } else { 1 }).sum()
}

/// An indentation of `columns` columns written in `style`.
fn indentation(columns: usize, style: IndentStyle) -> String {
    let unit_columns = indent_columns("\t", style);
    let mut text = style.unit().repeat(columns / unit_columns);
    text.push_str(&" ".repeat(columns % unit_columns));
    text
}

/// An answer written as whole lines, placed at a cursor that has only indentation before
/// it: the first line's own indentation says where the model put the block. When it reaches
/// the cursor's, the block stands where the model wrote it and the first line drops what the
/// cursor already has; when it is shallower, the block moves in so that the first line starts
/// at the cursor. `None` when the answer's first line has no indentation of its own (its
/// continuation lines are placed by [`anchor_relative_continuation`]).
fn place_whole_lines(code: &str, line_before: &str, style: IndentStyle) -> Option<String> {
    if !line_before.trim().is_empty() {
        return None;
    }
    let first_indent = rewrite::leading_whitespace(code);
    if first_indent.is_empty() {
        return None;
    }
    let cursor_columns = indent_columns(line_before, style);
    let first_columns = indent_columns(first_indent, style);
    let (first_extra, shift): (usize, isize) = if first_columns >= cursor_columns {
        (first_columns - cursor_columns, 0)
    } else {
        (0, (cursor_columns - first_columns) as isize)
    };
    let mut lines = code.split('\n');
    let first = lines.next().unwrap_or_default();
    let mut result = indentation(first_extra, style);
    result.push_str(&first[first_indent.len()..]);
    for line in lines {
        result.push('\n');
        if line.trim().is_empty() {
            continue;
        }
        let indent = rewrite::leading_whitespace(line);
        let columns = (indent_columns(indent, style) as isize + shift).max(0) as usize;
        result.push_str(&indentation(columns, style));
        result.push_str(&line[indent.len()..]);
    }
    Some(result)
}

/// Models write the lines after the first either as they stand in the file or relative to
/// column 0 (as if the snippet stood alone). The second kind shows itself by a continuation
/// less indented than the cursor's line, or by a block opened on the first line (or a line
/// continuing it with an operator or a declaration list) not indented past that line; such lines get the cursor
/// line's indentation added.
fn anchor_relative_continuation(code: &str, line_before: &str, style: IndentStyle) -> String {
    let Some((first, rest)) = code.split_once('\n') else {
        return code.to_string();
    };
    let base = rewrite::leading_whitespace(line_before);
    if base.is_empty() {
        return code.to_string();
    }
    let tab_columns = match style {
        IndentStyle::Tabs => 4,
        IndentStyle::Spaces(width) => usize::from(width.max(1)),
    };
    let columns = |indent: &str| -> usize { indent.chars().map(|c| if c == '\t' { tab_columns } else { 1 }).sum() };
    let base_columns = columns(base);
    let Some(next) = rest.split('\n').find(|line| !line.trim().is_empty()) else {
        return code.to_string();
    };
    let next_columns = columns(rewrite::leading_whitespace(next));
    let opens_block = first.trim_end().ends_with(['{', ':', '(', '[']) || first.trim_end().ends_with("=>");
    // A line that starts with an operator continues the first one (`.replace(…)`, `&& b`), so
    // it stands deeper than it in the file.
    // So does the next name of a declaration list (`var a, b,` then `c = 1`).
    let continues_first = [".", "&&", "||", "?", ":"].iter().any(|operator| next.trim_start().starts_with(operator))
        && !next.trim_start().starts_with("...")
        || ["var ", "let ", "const "].iter().any(|keyword| first.trim_start().starts_with(keyword))
            && first.trim_end().ends_with(',');
    let relative = next_columns < base_columns || ((opens_block || continues_first) && next_columns <= base_columns);
    if !relative {
        return code.to_string();
    }
    let mut result = first.to_string();
    for line in rest.split('\n') {
        result.push('\n');
        if !line.trim().is_empty() {
            result.push_str(base);
        }
        result.push_str(line);
    }
    result
}

/// A suggestion that the document already has right after the cursor, or that only repeats
/// the lines just before it, adds nothing.
fn repeats_existing_text(code: &str, before: &str, after: &str) -> bool {
    let suggestion = code.trim();
    let after = head_lines(after, MAX_ECHOED_LINES).replace("\r\n", "\n");
    if after.trim_start().starts_with(suggestion) {
        return true;
    }
    let suggestion_lines: Vec<&str> = suggestion.lines().map(str::trim).collect();
    let before = tail_lines(before, MAX_ECHOED_LINES).replace("\r\n", "\n");
    let previous_lines: Vec<&str> = before
        .lines()
        .rev()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(suggestion_lines.len())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    suggestion_lines.len() > 1 && suggestion_lines == previous_lines
}

/// How far around the cursor the syntax check parses, in lines each way. Parsing a whole
/// 20,000-line file twice per suggestion would cost milliseconds; see [`check_window`].
const CHECK_WINDOW_LINES: usize = 200;

/// At most this many shorter prefixes are tried when a suggestion breaks the syntax.
const MAX_TRIM_ATTEMPTS: usize = 24;

/// Keeps the suggestion if inserting it adds no syntax errors around the cursor; otherwise
/// the longest prefix ending at a line break or `;` that adds none; otherwise `None`. The flag
/// says whether the suggestion was kept whole.
fn keep_if_it_parses(code: &str, site: &CompletionSite, language: Language) -> Option<(String, bool)> {
    let (window_before, window_after) = check_window(site.before, site.after);
    let Some(errors_without) = count_errors(language, &format!("{window_before}{window_after}")) else {
        // No tree (the parser gave up): nothing to compare against, so no reason to discard.
        return Some((code.to_string(), true));
    };
    let adds_errors =
        |candidate: &str| match count_errors(language, &format!("{window_before}{candidate}{window_after}")) {
            Some(errors) => errors > errors_without,
            None => true,
        };
    if !adds_errors(code) {
        return Some((code.to_string(), true));
    }
    let mut cut_points: Vec<usize> = code
        .char_indices()
        .filter(|(_, character)| *character == '\n' || *character == ';')
        .map(|(index, character)| if character == ';' { index + 1 } else { index })
        .filter(|&index| index > 0 && index < code.len())
        .collect();
    cut_points.dedup();
    for &cut in cut_points.iter().rev().take(MAX_TRIM_ATTEMPTS) {
        let candidate = code[..cut].trim_end();
        if candidate.trim().is_empty() {
            continue;
        }
        if !adds_errors(candidate) {
            return Some((candidate.to_string(), false));
        }
    }
    None
}

/// The text around the cursor that the syntax check parses: from the start of the nearest
/// top-level line (one starting at column 0 with anything but a closing bracket) at or above
/// the cursor, up to `CHECK_WINDOW_LINES` lines back, to just before the next top-level line
/// after the cursor's line, up to `CHECK_WINDOW_LINES` lines on. Such a window usually holds
/// the whole enclosing definition, so the error counts compare like with like; a window cut
/// inside a construct adds the same errors to both counts.
fn check_window<'a>(before: &'a str, after: &'a str) -> (&'a str, &'a str) {
    let is_top_level = |line: &str| {
        line.chars().next().is_some_and(|first| !first.is_whitespace() && !matches!(first, ')' | ']' | '}'))
    };
    let mut start = before.rfind('\n').map_or(0, |index| index + 1);
    for _ in 0..CHECK_WINDOW_LINES {
        if start == 0 || is_top_level(&before[start..]) {
            break;
        }
        start = before[..start - 1].rfind('\n').map_or(0, |index| index + 1);
    }
    let mut end = match after.find('\n') {
        Some(index) => index + 1,
        None => return (&before[start..], after),
    };
    for _ in 0..CHECK_WINDOW_LINES {
        if end >= after.len() || is_top_level(&after[end..]) {
            break;
        }
        end = after[end..].find('\n').map_or(after.len(), |index| end + index + 1);
    }
    (&before[start..], &after[..end])
}

/// The number of ERROR and MISSING nodes in `text`'s syntax tree.
fn count_errors(language: Language, text: &str) -> Option<usize> {
    let tree = parse_str(language, text)?;
    let mut cursor = tree.walk();
    let mut count = 0;
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        // Subtrees without errors are skipped whole.
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return Some(count);
            }
        }
    }
}

#[cfg(test)]
mod tests;
