//! Turning a model's answer into replacement code: the code out of its Markdown, fitted over
//! the lines it replaces (a line the answer did not change keeps the original; others get the
//! indentation characters of the code around them) in the document's line endings.
//!
//! All functions are pure and total: any input string gives an answer, never a panic.

mod fit;
mod literals;

use std::ops::Range;

pub use literals::{literal_lines, style_of_code_around, NEARBY_LINES};

/// How a document indents: with tabs, or with a number of spaces per level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndentStyle {
    Tabs,
    Spaces(u8),
}

impl Default for IndentStyle {
    fn default() -> Self {
        IndentStyle::Spaces(4)
    }
}

impl IndentStyle {
    /// Guesses the style of `text` from its indented lines: tabs when most indented lines
    /// start with a tab, otherwise spaces with the most frequent step between the indentation
    /// of consecutive lines. Four spaces when there is no evidence.
    pub fn detect(text: &str) -> IndentStyle {
        Self::detect_with_evidence(text).unwrap_or_default()
    }

    /// Like [`IndentStyle::detect`], but `None` when no line shows how the text indents.
    pub fn detect_with_evidence(text: &str) -> Option<IndentStyle> {
        Self::detect_in_lines(text.lines())
    }

    /// Like [`IndentStyle::detect_with_evidence`], over chosen lines (code lines only, say).
    pub fn detect_in_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Option<IndentStyle> {
        let mut tab_lines = 0usize;
        let mut space_lines = 0usize;
        // How often each step (2..=8 spaces) occurs between consecutive indented lines.
        let mut steps = [0usize; 9];
        let mut previous_spaces: Option<usize> = None;
        for line in lines.take(10_000) {
            if line.trim().is_empty() {
                continue;
            }
            let indent = leading_whitespace(line);
            if indent.starts_with('\t') {
                tab_lines += 1;
                previous_spaces = None;
                continue;
            }
            if indent.contains('\t') {
                previous_spaces = None;
                continue;
            }
            let spaces = indent.len();
            // A lone space before `*` continues a block comment: it says nothing about style.
            if spaces % 2 == 1 && line[spaces..].starts_with('*') {
                continue;
            }
            if spaces > 0 {
                space_lines += 1;
            }
            if let Some(previous) = previous_spaces {
                let step = spaces.abs_diff(previous);
                if (2..=8).contains(&step) {
                    steps[step] += 1;
                }
            }
            previous_spaces = Some(spaces);
        }
        if tab_lines > space_lines {
            return Some(IndentStyle::Tabs);
        }
        if space_lines == 0 {
            return None;
        }
        let best = (2..=8).max_by_key(|&step| (steps[step], std::cmp::Reverse(step)))?;
        if steps[best] == 0 {
            return None;
        }
        Some(IndentStyle::Spaces(best as u8))
    }

    /// The text of one indentation level.
    pub fn unit(self) -> String {
        match self {
            IndentStyle::Tabs => "\t".to_string(),
            IndentStyle::Spaces(width) => " ".repeat(usize::from(width.max(1))),
        }
    }

    /// Columns per level; a tab counts as four columns when measuring mixed indentation.
    fn columns(self) -> usize {
        match self {
            IndentStyle::Tabs => TAB_COLUMNS,
            IndentStyle::Spaces(width) => usize::from(width.max(1)),
        }
    }
}

/// The code in a model's answer: the fenced block (``` or ~~~, tagged or not; of several, the
/// largest one tagged with `language`, else the largest), or the answer itself when it has no
/// fence and reads as code (an introductory "Here is …:" line and trailing prose are dropped).
/// Leading and trailing blank lines are removed and there is no final line break. `None`
/// when nothing usable is left. `language` is a fence tag or LSP language id (`rust`, `py`…).
pub fn extract_code(answer: &str, language: Option<&str>) -> Option<String> {
    let blocks = fenced_blocks(answer);
    if !blocks.is_empty() {
        let wanted = language.map(canonical_language);
        let usable: Vec<&FencedBlock> = blocks.iter().filter(|block| !block.code.trim().is_empty()).collect();
        let tagged: Vec<&FencedBlock> = usable
            .iter()
            .copied()
            .filter(|block| wanted.is_some() && block.tag.as_deref().map(canonical_language) == wanted)
            .collect();
        let candidates = if tagged.is_empty() { usable } else { tagged };
        // `max_by_key` keeps the last of equals; prefer the first block on a tie instead.
        let best = candidates.iter().rev().max_by_key(|block| block.code.trim().len())?;
        return non_empty(trim_blank_lines(&best.code));
    }
    bare_code(answer)
}

/// Shifts `code` so that its least-indented line starts with `target_indent`, keeping the
/// relative indentation of the others. Indentation levels are written in the style of
/// `target_indent` (tabs if it has one; otherwise the code's own unit, as spaces).
pub fn reindent(code: &str, target_indent: &str) -> String {
    let code_style = IndentStyle::detect(code);
    let style = if target_indent.contains('\t') {
        IndentStyle::Tabs
    } else if target_indent.is_empty() {
        code_style
    } else {
        match code_style {
            IndentStyle::Spaces(width) => IndentStyle::Spaces(width),
            IndentStyle::Tabs => IndentStyle::Spaces(TAB_COLUMNS as u8),
        }
    };
    reindent_as(code, target_indent, style)
}

/// Like [`reindent`], writing every relative level in `style` (the document's): tabs become
/// spaces or the reverse, and a two-space answer in a four-space file gets four per level.
pub fn reindent_as(code: &str, target_indent: &str, style: IndentStyle) -> String {
    let code_style = IndentStyle::detect(code);
    let code_unit_columns = code_style.columns();
    let lines: Vec<&str> = code.split('\n').collect();
    let least_columns = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| indent_columns(leading_whitespace(line)))
        .min()
        .unwrap_or(0);
    let mut result = String::with_capacity(code.len() + lines.len() * target_indent.len());
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            result.push('\n');
        }
        let (content, carriage_return) = match line.strip_suffix('\r') {
            Some(content) => (content, "\r"),
            None => (*line, ""),
        };
        if content.trim().is_empty() {
            result.push_str(carriage_return);
            continue;
        }
        let indent = leading_whitespace(content);
        let relative = indent_columns(indent).saturating_sub(least_columns);
        result.push_str(target_indent);
        for _ in 0..relative / code_unit_columns {
            result.push_str(&style.unit());
        }
        result.push_str(&" ".repeat(relative % code_unit_columns));
        result.push_str(&content[indent.len()..]);
        result.push_str(carriage_return);
    }
    result
}

/// The code as it should replace `target` (whole lines of a document indented in `style`):
/// the one place an answer is fitted before it is diffed. Every line the answer did not change
/// (equal but for whitespace) keeps the original exactly; changed and new lines get the
/// indentation characters of the target's code (see [`fit`]). `literal[i]` says whether the
/// target's line `i` lies inside a string or comment ([`literal_lines`]). The result has the
/// target's line endings and ends with a line break exactly when the target does.
pub fn replacement_for(target: &str, code: &str, style: IndentStyle, literal: &[bool]) -> String {
    fit::fit(target, code, style, literal)
}

/// The target widened over the lines that `code` (the model's answer for `target`, whole
/// lines of `text`) repeats from just above or just below it, so that they are replaced by
/// the answer's copy instead of appearing twice — typically the enclosing `def` or `fn`
/// line re-stated by an answer for a few lines of a body, or a `return` after them.
///
/// Lines are compared without their indentation. An answer that starts (ends) like the
/// target itself keeps its own first (last) lines, so a closing `}` that both the target and
/// the next line have is not taken twice; a run of blank lines and brackets alone is no
/// evidence; at least one line of the answer is left for the target.
pub fn widen_over_repeated_lines(text: &str, target: Range<usize>, code: &str) -> Range<usize> {
    let (Some(before), Some(inside), Some(after)) =
        (text.get(..target.start), text.get(target.clone()), text.get(target.end..))
    else {
        return target;
    };
    let code_lines: Vec<&str> = code.lines().map(str::trim).collect();
    let target_lines: Vec<&str> = inside.lines().map(str::trim).collect();
    let above: Vec<&str> = before.lines().rev().take(code_lines.len()).map(str::trim).collect::<Vec<_>>();
    let below: Vec<&str> = after.lines().take(code_lines.len()).map(str::trim).collect();
    let has_words = |lines: &[&str]| lines.iter().any(|line| line.chars().any(char::is_alphanumeric));

    let mut above_taken = 0;
    if code_lines.first() != target_lines.first() {
        // `above` is nearest first: the answer's first k lines are above[k-1], ..., above[0].
        above_taken = (1..code_lines.len().min(above.len() + 1))
            .rev()
            .find(|&k| code_lines[..k].iter().eq(above[..k].iter().rev()) && has_words(&code_lines[..k]))
            .unwrap_or(0);
    }
    let mut below_taken = 0;
    if code_lines.last() != target_lines.last() {
        let room = code_lines.len() - above_taken;
        below_taken = (1..room.min(below.len() + 1))
            .rev()
            .find(|&m| {
                let tail = &code_lines[code_lines.len() - m..];
                tail == &below[..m] && has_words(tail)
            })
            .unwrap_or(0);
    }
    let mut start = target.start;
    for _ in 0..above_taken {
        // The start of the line before `start` (which is a line start itself).
        start = text[..start.saturating_sub(1)].rfind('\n').map_or(0, |index| index + 1);
    }
    let mut end = target.end;
    for _ in 0..below_taken {
        end = text[end..].find('\n').map_or(text.len(), |index| end + index + 1);
    }
    start..end
}

/// Expands the byte range `start..end` of `text` to whole lines, terminators included. A
/// range ending at the very start of a line (a selection up to column 0) does not take that
/// line. Offsets are clamped to the text and rounded down to char boundaries.
pub fn line_range_for(text: &str, start: usize, end: usize) -> Range<usize> {
    let clamp = |offset: usize| {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    };
    let (start, end) = (clamp(start.min(end)), clamp(start.max(end)));
    let line_start = text[..start].rfind('\n').map_or(0, |index| index + 1);
    let at_line_start = end == 0 || text.as_bytes()[end - 1] == b'\n';
    let line_end = if end > start && at_line_start {
        end
    } else {
        text[end..].find('\n').map_or(text.len(), |index| end + index + 1)
    };
    line_start..line_end
}

/// The leading spaces and tabs of `line`.
pub fn leading_whitespace(line: &str) -> &str {
    let content = line.trim_start_matches([' ', '\t']);
    &line[..line.len() - content.len()]
}

const TAB_COLUMNS: usize = 4;

fn indent_columns(indent: &str) -> usize {
    indent.chars().map(|character| if character == '\t' { TAB_COLUMNS } else { 1 }).sum()
}

struct FencedBlock {
    tag: Option<String>,
    code: String,
}

struct OpenFence<'a> {
    fence_char: char,
    fence_len: usize,
    indent: usize,
    tag: Option<String>,
    lines: Vec<&'a str>,
}

/// CommonMark-style fences: an opening line of three or more backticks or tildes (indented at
/// most three spaces) with an optional info string, closed by a line of at least as many of
/// the same character. An unclosed fence runs to the end of the answer.
fn fenced_blocks(answer: &str) -> Vec<FencedBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<OpenFence> = None;
    for line in answer.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        match &mut open {
            None => {
                if indent > 3 {
                    continue;
                }
                let Some(fence_char) = rest.chars().next().filter(|c| *c == '`' || *c == '~') else {
                    continue;
                };
                let fence_len = rest.len() - rest.trim_start_matches(fence_char).len();
                if fence_len < 3 {
                    continue;
                }
                let info = rest[fence_len..].trim();
                if fence_char == '`' && info.contains('`') {
                    continue;
                }
                let tag = info
                    .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
                    .next()
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_lowercase);
                open = Some(OpenFence { fence_char, fence_len, indent, tag, lines: Vec::new() });
            }
            Some(fence) => {
                let trimmed = line.trim();
                let closing_len = trimmed.len() - trimmed.trim_start_matches(fence.fence_char).len();
                if indent <= 3 && closing_len >= fence.fence_len && closing_len == trimmed.len() {
                    if let Some(fence) = open.take() {
                        blocks.push(FencedBlock { tag: fence.tag, code: fence.lines.join("\n") });
                    }
                    continue;
                }
                // Content lines lose up to the fence's own indentation.
                let strip = indent.min(fence.indent);
                fence.lines.push(&line[strip..]);
            }
        }
    }
    if let Some(fence) = open {
        blocks.push(FencedBlock { tag: fence.tag, code: fence.lines.join("\n") });
    }
    blocks
}

/// An answer without fences: drop an introduction ("Here is the fixed code:") and trailing
/// prose; what is left must read mostly as code.
fn bare_code(answer: &str) -> Option<String> {
    let trimmed = trim_blank_lines(answer);
    let mut lines: Vec<&str> = trimmed.split('\n').collect();
    while lines.first().is_some_and(|line| is_prose(line) && line.trim_end().ends_with(':')) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|line| is_prose(line) || line.trim().is_empty()) {
        lines.pop();
    }
    let content_lines: Vec<&&str> = lines.iter().filter(|line| !line.trim().is_empty()).collect();
    let prose_lines = content_lines.iter().filter(|line| is_prose(line)).count();
    if content_lines.is_empty() || prose_lines * 2 > content_lines.len() {
        return None;
    }
    non_empty(trim_blank_lines(&lines.join("\n")))
}

/// Whether a line reads as an English (or other natural-language) sentence rather than code:
/// it starts with a capital letter, has at least three words, and either ends like a sentence
/// or has none of the symbols code is made of. Comments are code.
fn is_prose(line: &str) -> bool {
    let line = line.trim();
    let Some(first) = line.chars().next() else {
        return false;
    };
    if !first.is_uppercase() {
        return false;
    }
    let words = line.split_whitespace().count();
    if words < 3 {
        return false;
    }
    let ends_like_sentence = line.ends_with(['.', ':', '!', '?']) && !line.ends_with("::");
    let has_code_symbols = line.contains(['{', '}', ';', '=', '(', '[', '<', '>', '"']);
    ends_like_sentence || !has_code_symbols
}

/// The text without its leading and trailing blank lines (inner ones stay), and without the
/// final line break.
fn trim_blank_lines(text: &str) -> &str {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if !line.trim().is_empty() {
            break;
        }
        start += line.len();
    }
    let rest = &text[start..];
    let mut end = rest.len();
    for line in rest.split_inclusive('\n').collect::<Vec<_>>().into_iter().rev() {
        if !line.trim().is_empty() {
            break;
        }
        end -= line.len();
    }
    let kept = &rest[..end];
    let kept = kept.strip_suffix('\n').unwrap_or(kept);
    kept.strip_suffix('\r').unwrap_or(kept)
}

fn non_empty(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_string())
}

/// Maps fence tags and LSP language ids that mean the same language to one name.
fn canonical_language(tag: &str) -> String {
    let tag = tag.trim().to_lowercase();
    let canonical = match tag.as_str() {
        "rs" => "rust",
        "py" | "python3" | "py3" => "python",
        "js" | "jsx" | "javascriptreact" | "mjs" | "cjs" => "javascript",
        "ts" | "mts" | "cts" => "typescript",
        "typescriptreact" => "tsx",
        "golang" => "go",
        "c++" | "cc" | "cxx" | "hpp" => "cpp",
        "h" => "c",
        "jsonc" => "json",
        other => return other.to_string(),
    };
    canonical.to_string()
}

#[cfg(test)]
mod tests;
