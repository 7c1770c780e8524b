//! The context engine: what the model is shown around the cursor.
//!
//! For a position it gathers the enclosing definitions' headers, the file's imports, a
//! window of text split at the cursor, and the signatures of the symbols the code at the
//! cursor uses, resolved by name (same file, then the user's open files, then the workspace
//! index) and cut to a token budget that is never exceeded. Pure: text and trees in, plain
//! data out; the only I/O is the workspace index reading files when it is built.

pub mod cli;
pub mod index;
pub mod privacy;
pub mod queries;
pub mod symbols;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use index::{IndexStats, IndexedSymbol, WorkspaceIndex, DEFAULT_MAX_FILE_BYTES};
pub use privacy::{redact, Exclude, DEFAULT_EXCLUDE};
pub use symbols::{Symbol, SymbolKind};

use crate::document::Document;
use crate::language::Language;
use crate::text::floor_char_boundary;

/// `context.budgetTokens` when the user sets nothing.
pub const DEFAULT_BUDGET_TOKENS: usize = 6000;
/// Where the cursor is in the cursor window of a prompt.
pub const CURSOR_MARKER: &str = "<|CURSOR|>";

/// At most this many lines before and after the cursor, whatever the budget: beyond that
/// definitions are worth more than distant text.
pub const MAX_PREFIX_LINES: usize = 160;
pub const MAX_SUFFIX_LINES: usize = 60;

/// Estimated tokens of `text`. GLM's tokenizer is not available offline, so count 3.5 bytes
/// per token, rounded up. Code averages 3.5-4.5 bytes per token with BPE tokenizers, and
/// CJK text (3 bytes per character, about 1.6 characters per token) comes out at 0.86
/// tokens per character against the real ~0.63, so the estimate errs on the high side and
/// a context cut to the budget does not overflow it.
pub fn estimate_tokens(text: &str) -> usize {
    (text.len() * 2).div_ceil(7)
}

/// Everything `gather` needs; plain borrowed data so a request can compute its context on
/// a snapshot without holding any lock.
#[derive(Debug, Clone, Copy)]
pub struct ContextInput<'a> {
    pub document: &'a Document,
    /// Byte offset of the cursor in `document`.
    pub offset: usize,
    /// Open documents, most recently edited first; may include `document`.
    pub open_documents: &'a [Document],
    pub workspace: &'a WorkspaceIndex,
    pub root: Option<&'a Path>,
    pub budget_tokens: usize,
    pub exclude: &'a Exclude,
}

/// The context for one position, ready to be rendered into a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Context {
    pub budget_tokens: usize,
    /// Estimated tokens of the rendered sections plus the cursor window; `<= budget_tokens`.
    pub estimated_tokens: usize,
    /// In prompt order: workspace, open files, imports, current file, enclosing scopes.
    pub sections: Vec<Section>,
    /// The cursor window: text before the cursor ...
    pub prefix: String,
    /// ... and after it.
    pub suffix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    /// Path relative to the workspace root (with `/`), or the absolute path or URI.
    pub file: String,
    /// Zero-based first and last line of the text in its file.
    pub start_line: usize,
    pub end_line: usize,
    pub symbol: Option<String>,
    pub text: String,
}

/// Where a section comes from; the order of the variants is the prompt order, from what
/// changes least to what changes most, so the provider's prefix cache keeps hitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// A definition from a workspace file that is not open.
    Workspace,
    /// A definition from another open document.
    OpenFile,
    /// The current file's imports.
    Imports,
    /// A definition from the current file, outside the cursor window.
    CurrentFile,
    /// The header of a scope around the cursor that starts above the cursor window.
    Enclosing,
}

impl SectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Workspace => "workspace",
            SectionKind::OpenFile => "open_file",
            SectionKind::Imports => "imports",
            SectionKind::CurrentFile => "current_file",
            SectionKind::Enclosing => "enclosing",
        }
    }
}

impl Section {
    /// The section as it appears in a prompt. Its estimated tokens are what the budget counts.
    pub fn render(&self) -> String {
        let mut rendered =
            format!("<context file=\"{}\" lines=\"{}-{}\"", self.file, self.start_line + 1, self.end_line + 1);
        if let Some(symbol) = &self.symbol {
            rendered.push_str(&format!(" symbol=\"{symbol}\""));
        }
        rendered.push_str(">\n");
        rendered.push_str(&self.text);
        if !self.text.ends_with('\n') {
            rendered.push('\n');
        }
        rendered.push_str("</context>\n");
        rendered
    }

    pub fn estimated_tokens(&self) -> usize {
        estimate_tokens(&self.render())
    }
}

impl Context {
    /// Estimated tokens of everything the budget covers: every rendered section and the
    /// cursor window with its marker.
    pub fn estimate(&self) -> usize {
        let window = if self.prefix.is_empty() && self.suffix.is_empty() {
            0
        } else {
            estimate_tokens(&self.prefix) + estimate_tokens(&self.suffix) + estimate_tokens(CURSOR_MARKER)
        };
        self.sections.iter().map(Section::estimated_tokens).sum::<usize>() + window
    }
}

/// The context at `input.offset`. Never exceeds `input.budget_tokens`; never includes a
/// file matching `input.exclude`; every text is passed through [`redact`].
pub fn gather(input: &ContextInput) -> Context {
    let document = input.document;
    let mut context = Context { budget_tokens: input.budget_tokens, ..Context::default() };
    let document_path = uri_to_path(&document.uri);
    if let Some(path) = &document_path {
        if input.exclude.is_excluded(path, input.root) {
            tracing::debug!(uri = %document.uri, "document is excluded from context");
            return context;
        }
    }
    let file = display_path(document_path.as_deref(), &document.uri, input.root);
    let text = document.rope.to_string();
    let offset = floor_char_boundary(&text, input.offset.min(text.len()));

    let mut remaining = input.budget_tokens.saturating_sub(estimate_tokens(CURSOR_MARKER));
    let window = cursor_window(document, &text, offset, remaining * 2 / 5, remaining * 3 / 20);
    context.prefix = redact(&text[window.start..offset]).into_owned();
    context.suffix = redact(&text[offset..window.end]).into_owned();
    remaining = remaining.saturating_sub(estimate_tokens(&context.prefix) + estimate_tokens(&context.suffix));

    if let (Some(language), Some(tree)) = (document.language, document.tree.as_ref()) {
        let facts = input.workspace.open_documents().facts(document, || text.clone());
        let mut builder = SectionBuilder { sections: Vec::new(), remaining };
        let enclosing = symbols::enclosing(language, &text, tree, offset);

        // Headers of the scopes around the cursor that the window does not show.
        for node in &enclosing {
            if node.start_byte() >= window.start {
                continue;
            }
            let header = symbols::header(&text, *node);
            let start_line = node.start_position().row;
            builder.push(Section {
                kind: SectionKind::Enclosing,
                file: file.clone(),
                start_line,
                end_line: start_line + header.matches('\n').count(),
                symbol: node
                    .child_by_field_name("name")
                    .and_then(|name| text.get(name.byte_range()))
                    .map(str::to_string),
                text: redact(&header).into_owned(),
            });
        }

        // Imports, capped so that a file with hundreds of imports leaves room for definitions.
        let import_budget = builder.remaining.min(input.budget_tokens * 3 / 20);
        if let Some(section) = imports_section(&text, document, &facts.imports, &file, window.clone(), import_budget) {
            builder.push(section);
        }

        // The symbols used by the code at the cursor.
        let mut reference_range = window.clone();
        if let Some(innermost) = enclosing.last() {
            if innermost.byte_range().len() <= 64 * 1024 {
                reference_range.start = reference_range.start.min(innermost.start_byte());
                reference_range.end = reference_range.end.max(innermost.end_byte());
            }
        }
        let references = symbols::references(language, &text, tree, reference_range);
        let mut nearest: HashMap<&str, usize> = HashMap::new();
        for reference in &references {
            let distance = reference.range.start.abs_diff(offset);
            let entry = nearest.entry(reference.name.as_str()).or_insert(distance);
            *entry = (*entry).min(distance);
        }
        let import_text: String =
            facts.imports.iter().filter_map(|range| text.get(range.clone())).collect::<Vec<_>>().join("\n");
        let mut candidates =
            resolve(input, &facts.symbols, &nearest, &file, document_path.as_deref(), &window, offset, &import_text);
        candidates.sort_by(|a, b| a.rank.cmp(&b.rank));
        let mut included: Vec<(String, Range<usize>)> = Vec::new();
        for candidate in candidates {
            let nested = included.iter().any(|(file, range)| {
                *file == candidate.section.file
                    && range.start <= candidate.range.start
                    && candidate.range.end <= range.end
            });
            if nested {
                continue;
            }
            let (file, range) = (candidate.section.file.clone(), candidate.range.clone());
            if builder.push(candidate.section) {
                included.push((file, range));
            }
        }
        context.sections = builder.sections;
    }

    context.sections.sort_by(|a, b| {
        let key = |section: &Section| (section.kind, section.file.clone(), section.start_line, section.symbol.clone());
        key(a).cmp(&key(b))
    });
    // Redaction and rendering only ever shrink or keep what was measured, but the budget is
    // a promise: drop from the least stable end until it holds.
    while context.estimate() > input.budget_tokens {
        if context.sections.pop().is_none() {
            let excess_bytes = (context.estimate() - input.budget_tokens) * 7 / 2 + 4;
            let keep = context.prefix.len().saturating_sub(excess_bytes);
            let cut = ceil_char_boundary(&context.prefix, context.prefix.len() - keep);
            context.prefix.drain(..cut);
            if context.estimate() > input.budget_tokens {
                context.suffix.clear();
                if context.estimate() > input.budget_tokens {
                    context.prefix.clear();
                }
            }
            break;
        }
    }
    context.estimated_tokens = context.estimate();
    context
}

struct SectionBuilder {
    sections: Vec<Section>,
    remaining: usize,
}

impl SectionBuilder {
    /// Adds the section if it fits the remaining budget.
    fn push(&mut self, section: Section) -> bool {
        let cost = section.estimated_tokens();
        if cost > self.remaining {
            return false;
        }
        self.remaining -= cost;
        self.sections.push(section);
        true
    }
}

struct Candidate {
    /// (tier: same file 0, open 1, workspace 2; recency among open files; distance of the
    /// nearest use from the cursor; file; line) — the last two only make the order total.
    rank: (u8, usize, usize, String, usize),
    range: Range<usize>,
    section: Section,
}

#[allow(clippy::too_many_arguments)]
fn resolve(
    input: &ContextInput,
    current_symbols: &[Symbol],
    nearest: &HashMap<&str, usize>,
    current_file: &str,
    current_path: Option<&Path>,
    window: &Range<usize>,
    offset: usize,
    import_text: &str,
) -> Vec<Candidate> {
    let visible = |range: &Range<usize>| {
        range.start < window.end && range.end > window.start || (range.start <= offset && offset < range.end)
    };
    let mut candidates = Vec::new();
    let mut resolved: HashSet<&str> = HashSet::new();

    // 1. The same file.
    for symbol in current_symbols {
        let Some(&distance) = nearest.get(symbol.name.as_str()) else {
            continue;
        };
        resolved.insert(symbol.name.as_str());
        if visible(&symbol.range) {
            continue;
        }
        candidates.push(candidate(SectionKind::CurrentFile, current_file.to_string(), symbol, (0, 0, distance)));
    }

    // 2. Open documents, most recently edited first; then 3. the workspace index. A name is
    // resolved by the first file that defines it, preferring a file the imports name.
    let mut open_paths: HashSet<PathBuf> = HashSet::new();
    let mut open_candidates: Vec<(bool, usize, Candidate)> = Vec::new();
    for (recency, open) in input.open_documents.iter().enumerate() {
        if open.uri == input.document.uri {
            continue;
        }
        let path = uri_to_path(&open.uri);
        if let Some(path) = &path {
            open_paths.insert(path.clone());
            if input.exclude.is_excluded(path, input.root) {
                continue;
            }
        }
        if open.tree.is_none() {
            continue;
        }
        let facts = input.workspace.open_documents().facts(open, || open.rope.to_string());
        let file = display_path(path.as_deref(), &open.uri, input.root);
        let imported = is_imported(import_text, path.as_deref());
        for symbol in facts.symbols.iter() {
            let Some(&distance) = nearest.get(symbol.name.as_str()) else {
                continue;
            };
            if resolved.contains(symbol.name.as_str()) {
                continue;
            }
            open_candidates.push((
                !imported,
                recency,
                candidate(SectionKind::OpenFile, file.clone(), symbol, (1, recency, distance)),
            ));
        }
    }
    open_candidates.sort_by(|a, b| (a.0, a.1, a.2.range.start).cmp(&(b.0, b.1, b.2.range.start)));
    let mut taken: HashSet<String> = HashSet::new(); // names resolved by open files
    for (_, _, open_candidate) in open_candidates {
        if let Some(name) = open_candidate.section.symbol.clone() {
            if taken.insert(name) {
                candidates.push(open_candidate);
            }
        }
    }

    let mut names: Vec<&&str> = nearest.keys().collect();
    names.sort();
    for name in names {
        if resolved.contains(*name) || taken.contains(*name) {
            continue;
        }
        let distance = nearest[*name];
        // Prefer the file the imports name; a name defined in many unrelated files (`new`,
        // `get`) is noise unless the imports disambiguate it.
        let best = input.workspace.lookup_with(name, |hits| {
            // The index never holds files its own globs exclude; check again only when the
            // request's globs differ (settings changed since the build).
            let same_exclude = input.exclude.patterns() == input.workspace.exclude().patterns();
            let mut usable = hits.iter().filter(|hit| {
                Some(&*hit.path) != current_path
                    && !open_paths.contains(&*hit.path)
                    && (same_exclude || !input.exclude.is_excluded(&hit.path, input.root))
            });
            let mut count = 0;
            let mut best: Option<(bool, &IndexedSymbol)> = None;
            for hit in usable.by_ref() {
                count += 1;
                let imported = is_imported(import_text, Some(&hit.path));
                let better = match best {
                    None => true,
                    Some((best_imported, best_hit)) => {
                        (!imported, &hit.path, hit.symbol.range.start)
                            < (!best_imported, &best_hit.path, best_hit.symbol.range.start)
                    }
                };
                if better {
                    best = Some((imported, hit));
                }
            }
            match best {
                Some((imported, hit)) if imported || count <= 3 => Some(hit.clone()),
                _ => None,
            }
        });
        let Some(best) = best else { continue };
        let file = display_path(Some(&best.path), "", input.root);
        candidates.push(candidate(SectionKind::Workspace, file, &best.symbol, (2, 0, distance)));
    }
    candidates
}

fn candidate(
    kind: SectionKind,
    file: String,
    symbol: &Symbol,
    (tier, recency, distance): (u8, usize, usize),
) -> Candidate {
    Candidate {
        rank: (tier, recency, distance, file.clone(), symbol.start_line),
        range: symbol.range.clone(),
        section: Section {
            kind,
            file,
            start_line: symbol.start_line,
            end_line: symbol.start_line + symbol.signature.matches('\n').count(),
            symbol: Some(symbol.name.clone()),
            text: redact(&symbol.signature).into_owned(),
        },
    }
}

/// Whether the file's imports name `path`: its stem appears as a word in an import
/// (`use crate::geometry::Point`, `from geometry import`, `import "./geometry"`,
/// `#include "geometry.h"`, `import com.acme.Point;`).
fn is_imported(import_text: &str, path: Option<&Path>) -> bool {
    let Some(stem) = path.and_then(Path::file_stem).and_then(|stem| stem.to_str()) else {
        return false;
    };
    if stem.is_empty() || import_text.is_empty() {
        return false;
    }
    import_text.match_indices(stem).any(|(index, _)| {
        let before = import_text[..index].chars().next_back();
        let after = import_text[index + stem.len()..].chars().next();
        !before.is_some_and(is_identifier_char) && !after.is_some_and(is_identifier_char)
    })
}

fn is_identifier_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

fn imports_section(
    text: &str,
    document: &Document,
    imports: &[Range<usize>],
    file: &str,
    window: Range<usize>,
    budget: usize,
) -> Option<Section> {
    let mut section = Section {
        kind: SectionKind::Imports,
        file: file.to_string(),
        start_line: 0,
        end_line: 0,
        symbol: None,
        text: String::new(),
    };
    let mut first_line = None;
    for range in imports.iter().filter(|range| range.end <= window.start || range.start >= window.end) {
        let Some(statement) = text.get(range.clone()) else {
            continue;
        };
        let mut candidate = section.clone();
        if !candidate.text.is_empty() {
            candidate.text.push('\n');
        }
        candidate.text.push_str(&redact(statement));
        let start_line = *first_line.get_or_insert_with(|| document.rope.byte_to_line(range.start));
        candidate.start_line = start_line;
        candidate.end_line = document.rope.byte_to_line(range.end.saturating_sub(1).max(range.start));
        if candidate.estimated_tokens() > budget {
            break;
        }
        section = candidate;
    }
    (!section.text.is_empty()).then_some(section)
}

/// The byte range of the cursor window: whole lines before the cursor (its start snapped to
/// a multiple of 8 lines so that it stays put while the user types, which keeps the
/// prompt's prefix cacheable) and after it, each within its token share.
fn cursor_window(
    document: &Document,
    text: &str,
    offset: usize,
    prefix_budget: usize,
    suffix_budget: usize,
) -> Range<usize> {
    let rope = &document.rope;
    let cursor_line = rope.byte_to_line(offset);
    let line_start = rope.line_to_byte(cursor_line);

    // Before the cursor: the cursor line's start, then whole lines while they fit.
    let start = if estimate_tokens(&text[line_start..offset]) > prefix_budget {
        ceil_char_boundary(text, offset.saturating_sub(prefix_budget * 7 / 2))
    } else {
        let mut first_line = cursor_line;
        while first_line > 0 && cursor_line - first_line < MAX_PREFIX_LINES {
            let candidate = rope.line_to_byte(first_line - 1);
            if estimate_tokens(&text[candidate..offset]) > prefix_budget {
                break;
            }
            first_line -= 1;
        }
        let snapped = first_line.div_ceil(8) * 8;
        rope.line_to_byte(snapped.min(cursor_line))
    };

    // After the cursor: the rest of the cursor line, then whole lines while they fit.
    let line_end = if cursor_line + 1 < rope.len_lines() { rope.line_to_byte(cursor_line + 1) } else { text.len() };
    let mut end = line_end;
    if estimate_tokens(&text[offset..line_end]) > suffix_budget {
        end = floor_char_boundary(text, offset + suffix_budget * 7 / 2);
    } else {
        let mut last_line = cursor_line + 1;
        while last_line < rope.len_lines() && last_line - cursor_line <= MAX_SUFFIX_LINES {
            let candidate =
                if last_line + 1 < rope.len_lines() { rope.line_to_byte(last_line + 1) } else { text.len() };
            if estimate_tokens(&text[offset..candidate]) > suffix_budget {
                break;
            }
            end = candidate;
            last_line += 1;
        }
    }
    start..end
}

/// The local path of a `file://` URI (percent-decoded), or `None` for other schemes.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///C:/x` on Windows, `file://host/share` is not supported.
    let rest =
        if rest.len() > 3 && rest.as_bytes()[0] == b'/' && rest.as_bytes()[2] == b':' { &rest[1..] } else { rest };
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
            if let Some(value) = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                decoded.push(value);
                index += 3;
                continue;
            }
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    Some(PathBuf::from(String::from_utf8(decoded).ok()?))
}

/// A `file://` URI for a path, percent-encoding what URIs do not allow.
pub fn path_to_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file://");
    if !text.starts_with('/') {
        uri.push('/');
    }
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~:".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// How prompts name a document: relative to the workspace root when inside it, else its
/// path, else its URI.
pub fn display_uri(uri: &str, root: Option<&Path>) -> String {
    display_path(uri_to_path(uri).as_deref(), uri, root)
}

fn display_path(path: Option<&Path>, uri: &str, root: Option<&Path>) -> String {
    let Some(path) = path else {
        return uri.to_string();
    };
    let shown = root.and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path);
    shown.to_string_lossy().replace('\\', "/")
}

fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// The language name used in prompts for a document, or its language id for plain text.
pub fn language_name(document: &Document) -> &str {
    document.language.map(Language::name).unwrap_or(&document.language_id)
}
