//! Fitting a model's answer over the lines it replaces, so that an edit never changes what the
//! answer did not change.
//!
//! Models hand code back re-indented: dedented to column 0 (as methods often are), tabs turned
//! into spaces, trailing whitespace dropped, blank lines emptied. The answer's lines are matched
//! to the target's by their content without surrounding whitespace; a matched line keeps the
//! original exactly — indentation characters, trailing whitespace, a whitespace-only line's
//! spaces — unless the model moved it to another nesting level relative to the rest of its
//! answer (wrapping lines in a new block, which in Python changes the code). Changed and new
//! lines get their level from the answer and the indentation characters of the original: an
//! existing line's indentation at that level, else the target's style.
//!
//! How the answer's indentation maps onto the original's is learned from the matched lines:
//! each side is read in its own unit (the answer's detected from its code lines), and the
//! answer's offset is that of its least-indented matched line. Lines inside strings and
//! comments (`literal`) are data: they always keep the original when matched, and are not
//! evidence of how either side indents.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffTag};

use super::{leading_whitespace, trim_blank_lines, IndentStyle, TAB_COLUMNS};

/// A target of thousands of lines is diffed coarsely rather than slowly.
const DIFF_TIME_BUDGET: Duration = Duration::from_millis(50);

/// `code` (the model's answer for `target`, whole lines of a document indented in `style`) as
/// it should replace `target`. `literal[i]` says whether the target's line `i` is inside a
/// string or comment (missing entries: code). The result ends with a line break exactly when
/// `target` does, and its new lines use the target's line ending.
pub fn fit(target: &str, code: &str, style: IndentStyle, literal: &[bool]) -> String {
    let default_break = if target.contains("\r\n") { "\r\n" } else { "\n" };
    let originals: Vec<Original> = target
        .split_inclusive('\n')
        .enumerate()
        .map(|(index, line)| {
            let content = line.strip_suffix('\n').map_or(line, |line| line.strip_suffix('\r').unwrap_or(line));
            Original {
                content,
                terminator: &line[content.len()..],
                literal: literal.get(index).copied().unwrap_or(false),
            }
        })
        .collect();
    let normalized = code.replace("\r\n", "\n");
    // An answer in a fence cannot start or end with blank lines: the target's stay.
    let is_blank = |original: &&Original| original.content.trim().is_empty();
    let (leading_blanks, trailing_blanks) = match originals.iter().all(|original| is_blank(&original)) {
        true => (0, 0),
        false => (originals.iter().take_while(is_blank).count(), originals.iter().rev().take_while(is_blank).count()),
    };
    let answer: Vec<&str> = std::iter::repeat_n("", leading_blanks)
        .chain(trim_blank_lines(&normalized).trim_end().split('\n'))
        .chain(std::iter::repeat_n("", trailing_blanks))
        .collect();
    let pairing = pair_lines(&originals, &answer);
    let layout = Layout::learn(&originals, &answer, &pairing, style);

    let mut result = String::with_capacity(target.len() + code.len());
    for (index, (line, pair)) in answer.iter().zip(&pairing).enumerate() {
        let (text, terminator) = match *pair {
            Pair::Equal(old) => {
                let original = &originals[old];
                let terminator = if original.terminator.is_empty() { default_break } else { original.terminator };
                if line.trim().is_empty() || original.literal || layout.keeps(original.content, line) {
                    (original.content.to_string(), terminator)
                } else {
                    let original_indent = leading_whitespace(original.content);
                    let indent = layout.indentation_for(leading_whitespace(line), None);
                    (format!("{indent}{}", &original.content[original_indent.len()..]), terminator)
                }
            }
            Pair::New(replaced) => {
                let content = line.trim_end();
                if content.is_empty() {
                    (String::new(), default_break)
                } else {
                    let answer_indent = leading_whitespace(content);
                    let indent = layout.indentation_for(answer_indent, replaced.map(|old| originals[old].content));
                    (format!("{indent}{}", &content[answer_indent.len()..]), default_break)
                }
            }
        };
        result.push_str(&text);
        if index + 1 < answer.len() || target.ends_with('\n') {
            result.push_str(terminator);
        }
    }
    // The target's last line is blank and unterminated (the end of the file): it stays as it
    // was, when the answer's own lines left it empty after their last line break.
    if !target.ends_with('\n') && result.ends_with('\n') {
        if let Some(last) = originals.last().filter(|original| original.content.trim().is_empty()) {
            result.push_str(last.content);
        }
    }
    result
}

struct Original<'a> {
    /// The line without its terminator.
    content: &'a str,
    terminator: &'a str,
    literal: bool,
}

/// What an answer line stands for in the target.
#[derive(Debug, Clone, Copy)]
enum Pair {
    /// The target's line, equal but for whitespace.
    Equal(usize),
    /// A new or changed line, replacing the target's line at that place when there is one.
    New(Option<usize>),
}

/// Each answer line's counterpart, by a line diff over contents without surrounding whitespace.
fn pair_lines(originals: &[Original], answer: &[&str]) -> Vec<Pair> {
    let old_keys: Vec<&str> = originals.iter().map(|line| line.content.trim()).collect();
    let new_keys: Vec<&str> = answer.iter().map(|line| line.trim()).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_keys,
        &new_keys,
        Some(Instant::now() + DIFF_TIME_BUDGET),
    );
    let mut pairing = vec![Pair::New(None); answer.len()];
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (old, new) in old_range.zip(new_range) {
                    pairing[new] = Pair::Equal(old);
                }
            }
            DiffTag::Replace | DiffTag::Insert => {
                for (offset, new) in new_range.enumerate() {
                    let old = old_range.start + offset;
                    pairing[new] = Pair::New((old < old_range.end).then_some(old));
                }
            }
            DiffTag::Delete => {}
        }
    }
    pairing
}

/// How the answer's indentation maps onto the original's.
struct Layout<'a> {
    /// The target's style: how new levels are written.
    style: IndentStyle,
    /// Columns of one level in the answer (a tab in the answer counts as one level).
    answer_unit: usize,
    /// Answer columns minus the original's (read in the answer's unit) for the lines the model
    /// left at their level.
    shift: isize,
    /// An indentation of the target's code for each depth, keyed by its columns in the answer's
    /// unit (before the shift): new lines at that depth take these very characters.
    existing: HashMap<usize, &'a str>,
}

impl<'a> Layout<'a> {
    fn learn(originals: &[Original<'a>], answer: &[&str], pairing: &[Pair], style: IndentStyle) -> Layout<'a> {
        let code_pairs: Vec<(&str, &str)> = answer
            .iter()
            .zip(pairing)
            .filter_map(|(line, pair)| match *pair {
                Pair::Equal(old) if !originals[old].literal && !line.trim().is_empty() => {
                    Some((leading_whitespace(originals[old].content), leading_whitespace(line)))
                }
                _ => None,
            })
            .collect();
        let answer_code_lines = answer.iter().zip(pairing).filter_map(|(line, pair)| match *pair {
            Pair::Equal(old) if originals[old].literal => None,
            _ => Some(*line),
        });
        let detected = IndentStyle::detect_in_lines(answer_code_lines)
            .or_else(|| answer.iter().any(|line| line.starts_with('\t')).then_some(IndentStyle::Tabs));
        let fallback = match style {
            IndentStyle::Spaces(_) => style.columns(),
            IndentStyle::Tabs => TAB_COLUMNS,
        };
        // The answer's own unit: its steps say how it indents (an as-is or dedented answer has
        // the target's, a converted one its new width, a block the model added the same).
        let answer_unit = detected.map_or(fallback, IndentStyle::columns);
        let shift = shift_of(&code_pairs, answer_unit, style)
            .unwrap_or_else(|| fallback_shift(originals, answer, pairing, answer_unit, style));
        let mut existing = HashMap::new();
        for original in originals.iter().filter(|original| !original.literal && !original.content.trim().is_empty()) {
            let indent = leading_whitespace(original.content);
            existing.entry(expected(indent, answer_unit, style) as usize).or_insert(indent);
        }
        Layout { style, answer_unit, shift, existing }
    }

    /// Whether a matched line stays at the level it had in the original.
    fn keeps(&self, original: &str, line: &str) -> bool {
        answer_columns(leading_whitespace(line), self.answer_unit) as isize - self.shift
            == expected(leading_whitespace(original), self.answer_unit, self.style)
    }

    /// The original's indentation for an answer line indented `indent`: the replaced line's own
    /// when the level is the same, else an existing line's at that level, else written in the
    /// target's style.
    fn indentation_for(&self, indent: &str, replaced: Option<&'a str>) -> String {
        let columns = (answer_columns(indent, self.answer_unit) as isize - self.shift).max(0);
        if let Some(replaced) = replaced.filter(|replaced| !replaced.trim().is_empty()) {
            let replaced_indent = leading_whitespace(replaced);
            if expected(replaced_indent, self.answer_unit, self.style) == columns {
                return replaced_indent.to_string();
            }
        }
        let columns = columns as usize;
        if let Some(existing) = self.existing.get(&columns) {
            return existing.to_string();
        }
        let (levels, rest) = (columns / self.answer_unit, columns % self.answer_unit);
        match self.style {
            IndentStyle::Tabs => format!("{}{}", "\t".repeat(levels), " ".repeat(rest)),
            IndentStyle::Spaces(_) => " ".repeat(levels * self.style.columns() + rest),
        }
    }
}

/// The answer's offset read from its least-indented matched code lines (their most common
/// offset): the outermost level anchors the rest, so lines a model wrapped in a new block
/// show as moved rather than the block's header.
fn shift_of(code_pairs: &[(&str, &str)], unit: usize, style: IndentStyle) -> Option<isize> {
    let least = code_pairs.iter().map(|(original, _)| expected(original, unit, style)).min()?;
    let mut counts: Vec<(isize, usize)> = Vec::new();
    for (original, line) in code_pairs {
        if expected(original, unit, style) != least {
            continue;
        }
        let shift = answer_columns(line, unit) as isize - least;
        match counts.iter_mut().find(|(seen, _)| *seen == shift) {
            Some((_, count)) => *count += 1,
            None => counts.push((shift, 1)),
        }
    }
    // `max_by_key` keeps the last of equals: reversed, the first seen wins a tie.
    counts.into_iter().rev().max_by_key(|&(_, count)| count).map(|(shift, _)| shift)
}

/// Without matched code lines: the answer's least-indented line goes where the target's is.
fn fallback_shift(originals: &[Original], answer: &[&str], pairing: &[Pair], unit: usize, style: IndentStyle) -> isize {
    let target_least = originals
        .iter()
        .filter(|original| !original.literal && !original.content.trim().is_empty())
        .map(|original| expected(leading_whitespace(original.content), unit, style))
        .min()
        .unwrap_or(0);
    let answer_least = answer
        .iter()
        .zip(pairing)
        .filter(|(line, pair)| !line.trim().is_empty() && !matches!(pair, Pair::Equal(old) if originals[*old].literal))
        .map(|(line, _)| answer_columns(leading_whitespace(line), unit) as isize)
        .min()
        .unwrap_or(0);
    answer_least - target_least
}

/// Columns of an answer's indentation, a tab counting as one level of `unit` columns.
fn answer_columns(indent: &str, unit: usize) -> usize {
    indent.chars().map(|character| if character == '\t' { unit } else { 1 }).sum()
}

/// The columns an original indentation has when its levels (tabs in a tab-indented target,
/// steps of the style's width otherwise) are written `unit` columns wide; spaces that are not a
/// whole level (alignment) stay as they are.
fn expected(indent: &str, unit: usize, style: IndentStyle) -> isize {
    let tabs = indent.chars().filter(|character| *character == '\t').count();
    let spaces = indent.len() - tabs;
    let (levels, rest) = match style {
        IndentStyle::Tabs => (tabs, spaces),
        IndentStyle::Spaces(width) => {
            let width = usize::from(width.max(1));
            (tabs + spaces / width, spaces % width)
        }
    };
    (levels * unit + rest) as isize
}
