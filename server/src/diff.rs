//! Minimal edits between two versions of a text, and the three-way merge that rebases a
//! model's rewrite onto a document the user kept editing.
//!
//! `edits` is the one function every AI change goes through: a code action's new code becomes
//! the few byte-range replacements that really differ, so cursors, undo steps and formatting
//! elsewhere survive. It works in three passes of decreasing granularity:
//!
//! 1. whole lines shared at the start and the end are skipped without diffing (most rewrites
//!    touch a small region of a large text);
//! 2. `similar`'s Myers diff over the remaining lines, under a deadline, finds changed line
//!    blocks; lines it reports equal never get an edit;
//! 3. inside each replaced block, a diff over word/space/punctuation tokens, then a trim of the
//!    common characters of each changed token run, shrinks a renamed identifier to one small
//!    edit. Huge blocks, or a pass that runs out of time, fall back to one edit per block.
//!
//! Edits never split a UTF-8 character (tokens are made of whole `char`s) nor a `\r\n` pair
//! (a boundary between `\r` and `\n` is widened), are sorted, and do not overlap or touch.

use std::ops::Range;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, DiffTag, MergeResolution, TextMerge};

use crate::text::Edit;

/// The edits that turn `before` into `after`: sorted, non-overlapping byte ranges of `before`
/// with their replacements; empty when the texts are equal.
pub fn edits(before: &str, after: &str) -> Vec<Edit> {
    if before == after {
        return Vec::new();
    }
    let started = Instant::now();
    let old_lines: Vec<&str> = before.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = after.split_inclusive('\n').collect();
    let old_starts = line_starts(&old_lines);
    let new_starts = line_starts(&new_lines);

    let shared_prefix = old_lines.iter().zip(&new_lines).take_while(|(old, new)| old == new).count();
    let max_suffix = old_lines.len().min(new_lines.len()) - shared_prefix;
    let shared_suffix =
        old_lines.iter().rev().zip(new_lines.iter().rev()).take(max_suffix).take_while(|(old, new)| old == new).count();
    let old_middle = shared_prefix..old_lines.len() - shared_suffix;
    let new_middle = shared_prefix..new_lines.len() - shared_suffix;

    // Lines are compared without their line ending, so a line that only gained, lost or
    // changed its terminator is "equal" and gets an edit of just that terminator below.
    let old_contents: Vec<&str> = old_lines[old_middle.clone()].iter().map(|line| line_content(line)).collect();
    let new_contents: Vec<&str> = new_lines[new_middle.clone()].iter().map(|line| line_content(line)).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_contents,
        &new_contents,
        Some(started + LINE_DIFF_TIME_BUDGET),
    );
    let refine_deadline = started + TOTAL_TIME_BUDGET;
    let mut result = Vec::new();
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let old_range = old_middle.start + old_range.start..old_middle.start + old_range.end;
        let new_range = new_middle.start + new_range.start..new_middle.start + new_range.end;
        if tag == DiffTag::Equal {
            for (old_index, new_index) in old_range.zip(new_range) {
                let old_line = old_lines[old_index];
                let new_line = new_lines[new_index];
                if old_line != new_line {
                    let content = line_content(old_line).len();
                    result.push(Edit {
                        range: old_starts[old_index] + content..old_starts[old_index + 1],
                        new_text: new_line[content..].to_string(),
                    });
                }
            }
            continue;
        }
        let old_bytes = old_starts[old_range.start]..old_starts[old_range.end];
        let new_bytes = new_starts[new_range.start]..new_starts[new_range.end];
        if tag == DiffTag::Replace {
            refine_block(before, old_bytes, after, new_bytes, refine_deadline, &mut result);
        } else {
            result.push(Edit { range: old_bytes, new_text: after[new_bytes].to_string() });
        }
    }
    normalize(before, result)
}

/// Three-way merge of line-based changes: `ours` is `base` as the model rewrote it, `theirs`
/// is `base` as the user has it now. Changes to separate lines combine; changes to the same
/// or adjacent lines are a [`Conflict`] unless both sides made the very same change.
pub fn merge(base: &str, ours: &str, theirs: &str) -> Result<String, Conflict> {
    if ours == base || ours == theirs {
        return Ok(theirs.to_string());
    }
    if theirs == base {
        return Ok(ours.to_string());
    }
    merge_lines(base, ours, theirs)
}

/// Why a rebase failed: the regions where the model's change and the user's edits collide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_conflicts(.regions))]
pub struct Conflict {
    pub regions: Vec<ConflictRegion>,
}

/// One colliding region, as zero-based, end-exclusive line ranges of each of the three texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRegion {
    pub base_lines: Range<usize>,
    pub ours_lines: Range<usize>,
    pub theirs_lines: Range<usize>,
}

/// How much of `before` a whole-range replacement would rewrite compared with `edits`, for
/// benchmarks and logs: `(number of edits, bytes replaced + bytes inserted)`.
pub fn edit_cost(edits: &[Edit]) -> (usize, usize) {
    let changed = edits.iter().map(|edit| edit.range.len() + edit.new_text.len()).sum();
    (edits.len(), changed)
}

/// The line diff gets most of the budget: past it, `similar` returns a coarser but still
/// correct diff. Refinement stops (one edit per block) once the whole call has used its total.
const LINE_DIFF_TIME_BUDGET: Duration = Duration::from_millis(150);
const TOTAL_TIME_BUDGET: Duration = Duration::from_millis(250);

/// Blocks larger than this (either side) are not refined: a token diff of a rewritten file
/// section costs more than the few bytes it could save.
const MAX_REFINED_BLOCK_BYTES: usize = 64 * 1024;

/// A line without its `\n` or `\r\n`.
fn line_content(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

fn line_starts(lines: &[&str]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(lines.len() + 1);
    let mut offset = 0;
    starts.push(0);
    for line in lines {
        offset += line.len();
        starts.push(offset);
    }
    starts
}

/// Pushes the edits of one replaced line block: a token diff, each changed run trimmed to the
/// characters that differ, and runs separated by a short equal stretch merged (see
/// [`merge_short_gaps`]).
fn refine_block(
    before: &str,
    old_bytes: Range<usize>,
    after: &str,
    new_bytes: Range<usize>,
    deadline: Instant,
    out: &mut Vec<Edit>,
) {
    let old_block = &before[old_bytes.clone()];
    let new_block = &after[new_bytes.clone()];
    let too_big = old_block.len() > MAX_REFINED_BLOCK_BYTES || new_block.len() > MAX_REFINED_BLOCK_BYTES;
    if too_big || Instant::now() >= deadline {
        out.extend(trimmed_edit(old_block, new_block, old_bytes.start));
        return;
    }
    let old_tokens = tokenize(old_block);
    let new_tokens = tokenize(new_block);
    let old_token_starts = line_starts(&old_tokens);
    let new_token_starts = line_starts(&new_tokens);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &old_tokens, &new_tokens, Some(deadline));
    let mut block_edits = Vec::new();
    for op in ops {
        if let DiffOp::Equal { .. } = op {
            continue;
        }
        let old_range = op.old_range();
        let new_range = op.new_range();
        let old_part = &old_block[old_token_starts[old_range.start]..old_token_starts[old_range.end]];
        let new_part = &new_block[new_token_starts[new_range.start]..new_token_starts[new_range.end]];
        block_edits.extend(trimmed_edit(old_part, new_part, old_bytes.start + old_token_starts[old_range.start]));
    }
    out.extend(merge_short_gaps(before, block_edits));
}

/// One edit replacing `old` (found at byte `offset` of the original) by `new`, without their
/// common leading and trailing characters; `None` when they are equal.
fn trimmed_edit(old: &str, new: &str, offset: usize) -> Option<Edit> {
    if old == new {
        return None;
    }
    let prefix = common_prefix_len(old, new);
    let suffix = common_suffix_len(&old[prefix..], &new[prefix..]);
    Some(Edit {
        range: offset + prefix..offset + old.len() - suffix,
        new_text: new[prefix..new.len() - suffix].to_string(),
    })
}

/// Length in bytes of the longest common prefix, ending on a char boundary.
pub(crate) fn common_prefix_len(a: &str, b: &str) -> usize {
    let mut length = 0;
    for (left, right) in a.chars().zip(b.chars()) {
        if left != right {
            break;
        }
        length += left.len_utf8();
    }
    length
}

/// Length in bytes of the longest common suffix, starting on a char boundary.
pub(crate) fn common_suffix_len(a: &str, b: &str) -> usize {
    let mut length = 0;
    for (left, right) in a.chars().rev().zip(b.chars().rev()) {
        if left != right {
            break;
        }
        length += left.len_utf8();
    }
    length
}

/// Splits text into diff tokens: runs of identifier characters, runs of spaces and tabs, and
/// every other character on its own (so `(`, `;`, `\r`, `\n` and each emoji are tokens).
fn tokenize(text: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Space,
        Other,
    }
    fn class_of(character: char) -> Class {
        if character.is_alphanumeric() || character == '_' {
            Class::Word
        } else if character == ' ' || character == '\t' {
            Class::Space
        } else {
            Class::Other
        }
    }
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut current: Option<Class> = None;
    for (index, character) in text.char_indices() {
        let class = class_of(character);
        let continues = match (&current, &class) {
            (Some(previous), next) => previous == next && *next != Class::Other,
            (None, _) => false,
        };
        if !continues && index > start {
            tokens.push(&text[start..index]);
            start = index;
        }
        current = Some(class);
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// Merges two neighbouring edits when the unchanged stretch between them is no longer than
/// the smaller of the two changes (the "semantic cleanup" rule of diff-match-patch): a line
/// rewritten from scratch becomes one readable replacement instead of fragments glued
/// around matching spaces and brackets, while two renames far apart stay two edits. Gaps
/// holding a line break are kept, so a line whose content is unchanged is never rewritten.
fn merge_short_gaps(before: &str, edits: Vec<Edit>) -> Vec<Edit> {
    let mut merged: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        if let Some(previous) = merged.last_mut() {
            let gap = previous.range.end..edit.range.start;
            let previous_size = previous.range.len().max(previous.new_text.len());
            let next_size = edit.range.len().max(edit.new_text.len());
            if gap.len() <= previous_size.min(next_size) && !before[gap.clone()].contains('\n') {
                previous.new_text.push_str(&before[gap]);
                previous.new_text.push_str(&edit.new_text);
                previous.range.end = edit.range.end;
                continue;
            }
        }
        merged.push(edit);
    }
    merged
}

/// Widens edit boundaries that fall between `\r` and `\n`, then merges edits that touch, so
/// the result is sorted, disjoint and separated by at least one unchanged byte.
fn normalize(before: &str, mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.retain(|edit| !(edit.range.is_empty() && edit.new_text.is_empty()));
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let edits = merge_touching(before, edits);
    let bytes = before.as_bytes();
    let inside_crlf =
        |offset: usize| offset > 0 && offset < bytes.len() && bytes[offset - 1] == b'\r' && bytes[offset] == b'\n';
    let widened = edits
        .into_iter()
        .map(|mut edit| {
            if inside_crlf(edit.range.start) {
                edit.range.start -= 1;
                edit.new_text.insert(0, '\r');
            }
            if inside_crlf(edit.range.end) {
                edit.range.end += 1;
                edit.new_text.push('\n');
            }
            edit
        })
        .collect();
    merge_touching(before, widened)
}

fn merge_touching(before: &str, edits: Vec<Edit>) -> Vec<Edit> {
    let mut merged: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        if let Some(previous) = merged.last_mut() {
            if edit.range.start <= previous.range.end {
                // Edits come from disjoint diff ops, so "touching" is the only overlap left;
                // `max` keeps this total even if that ever changed.
                let gap_end = edit.range.start.max(previous.range.end);
                previous.new_text.push_str(&before[previous.range.end..gap_end]);
                previous.new_text.push_str(&edit.new_text);
                previous.range.end = previous.range.end.max(edit.range.end);
                continue;
            }
        }
        merged.push(edit);
    }
    merged
}

/// The merge itself, without the fast paths of [`merge`] (so tests exercise it directly).
fn merge_lines(base: &str, ours: &str, theirs: &str) -> Result<String, Conflict> {
    let merged = TextMerge::from_lines(base, ours, theirs);
    let regions: Vec<ConflictRegion> = merged
        .regions()
        .iter()
        .filter(|region| region.resolution() == MergeResolution::Conflict)
        .map(|region| ConflictRegion {
            base_lines: region.base_range(),
            ours_lines: region.ours_range(),
            theirs_lines: region.theirs_range(),
        })
        .collect();
    if regions.is_empty() {
        Ok(merged.to_string())
    } else {
        Err(Conflict { regions })
    }
}

fn describe_conflicts(regions: &[ConflictRegion]) -> String {
    let described: Vec<String> = regions
        .iter()
        .map(|region| {
            format!(
                "the change to {} overlaps edits made since the request (now {})",
                describe_lines(&region.base_lines),
                describe_lines(&region.theirs_lines),
            )
        })
        .collect();
    described.join("; ")
}

fn describe_lines(lines: &Range<usize>) -> String {
    match lines.len() {
        0 => format!("the point before line {}", lines.start + 1),
        1 => format!("line {}", lines.start + 1),
        _ => format!("lines {}-{}", lines.start + 1, lines.end),
    }
}

#[cfg(test)]
mod tests;
