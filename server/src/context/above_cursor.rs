//! Code not yet written: the cursor at the start of an empty body (or where the rest of a
//! body is still to come). The body cannot say what it will use, so the definitions are
//! chosen from what is above and around the cursor, most telling first:
//!
//! 0. what the function being written already names: its signature's parameter and return
//!    types, the statements above the cursor;
//! 1. names the file imports and no code uses (within the nearby reach, 24 KB either side
//!    of the cursor): an import is written for a reason, and when the rest of the file does
//!    not use it, the body being written is where it goes;
//! 2. the definitions the nearby code of the same file uses (sibling functions' bodies), and
//!    the members of the signature's types and of the receiver's type (`self`, `this`, a Go
//!    receiver, their bases) that it calls, by uses per token (a signature type's members
//!    count double), so the budget holds as many likely definitions as it can;
//! 3. members of a type the file does not otherwise deal in, matched by name alone.
//!
//! Candidates are found by the resolver like any other reference (the same tiers and the
//! same vouching); this module only adds the wanted names and orders the result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::symbols::{self, ReferenceKind};
use super::{ceil_char_boundary, receivers, Candidate, ImportNames, Use, Wanted};
use crate::language::Language;
use crate::text::{floor_char_boundary, is_name_char};

/// How far around the cursor the rest of the file is read for uses: enough for the class or
/// the neighbouring functions, bounded so that a 20,000-line file stays cheap.
const NEARBY_BYTES: usize = 24 * 1024;
/// Use counts above this rank alike: a name used 300 times is no surer than one used 30.
const MAX_COUNTED_USES: usize = 30;

/// The words of import statements that name nothing imported.
const IMPORT_KEYWORDS: &[&str] = &[
    "import", "from", "as", "use", "crate", "self", "super", "require", "const", "let", "var", "pub", "mod", "type",
    "typeof", "default", "export", "package", "static", "extern", "include",
];

/// Whether nothing of the body follows the cursor: the rest of its line is blank and the
/// next code closes the scope (a closing bracket) or is indented less than the cursor's line
/// (Python's next definition), or the file ends.
pub(super) fn is_empty_body(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    let before = &text[line_start..offset];
    let indentation = before.len() - before.trim_start().len();
    let after = &text[offset..];
    let next_code = after.len() - after.trim_start().len();
    let Some(first) = after[next_code..].chars().next() else {
        return true;
    };
    if matches!(first, '}' | ')' | ']') {
        return true;
    }
    let crossed_line = after[..next_code].contains('\n');
    if !crossed_line {
        return false;
    }
    let next_line_start = offset + after[..next_code].rfind('\n').map_or(0, |newline| newline + 1);
    let next_indentation = offset + next_code - next_line_start;
    // A cursor on a line with only indentation: the body's indentation is where it stands.
    let body_indentation = if before.trim().is_empty() { before.len() } else { indentation };
    next_indentation < body_indentation
}

/// What ordering candidates for an empty body needs: each name's class (the numbers of the
/// module header; lower is surer) and how often the nearby code uses it.
pub(super) struct Priorities {
    by_name: HashMap<String, (u8, usize)>,
    /// The types of the function's parameters and result (the receiver's aside): their
    /// members' uses count double.
    signature_types: Vec<String>,
    /// Types the file is known to deal in: the receiver's, the signature's, the imported
    /// names and the types the nearby code names. A member of any other type (`x.clone()`
    /// on a value of unknown type, matched by name alone) ranks last.
    known_types: HashSet<String>,
}

/// What the current file offers for the function being written.
pub(super) struct AboveCursor<'a> {
    pub language: Language,
    pub text: &'a str,
    pub tree: &'a Tree,
    pub offset: usize,
    pub imports: &'a ImportNames,
    /// The byte ranges of the file's import statements.
    pub import_ranges: &'a [Range<usize>],
    /// The types `self`, `this` and the like stand for.
    pub receivers: &'a [String],
}

impl AboveCursor<'_> {
    /// Adds to `wanted` what the empty body may use, and says how to rank it.
    pub(super) fn add_wanted(&self, wanted: &mut BTreeMap<Wanted, Use>) -> Priorities {
        let text = self.text;
        let mut by_name: HashMap<String, (u8, usize)> = HashMap::new();
        let nearby = floor_char_boundary(text, self.offset.saturating_sub(NEARBY_BYTES))
            ..ceil_char_boundary(text, (self.offset + NEARBY_BYTES).min(text.len()));
        // What brings names in: import statements, and top-level objects destructured from an
        // imported module (`const { isString, getMochaID } = utils`).
        let mut bringing_in = self.import_ranges.to_vec();
        bringing_in.extend(self.destructured_imports());
        let references: Vec<symbols::Reference> = symbols::references(self.language, text, self.tree, nearby)
            .into_iter()
            .filter(|reference| !bringing_in.iter().any(|range| range.contains(&reference.range.start)))
            .collect();
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for reference in &references {
            *uses.entry(&reference.name).or_default() += 1;
        }
        let count = |name: &str| uses.get(name).copied().unwrap_or(0).min(MAX_COUNTED_USES);

        // 0. The function being written: its signature and what is above the cursor.
        let function = function_being_written(self.tree, text, self.offset);
        let written = function.map_or(self.offset..self.offset, |function| function.start_byte()..self.offset);
        let mut signature_types: Vec<String> = Vec::new();
        if let Some(function) = function {
            for binding in receivers::binding_types(text, function).into_values() {
                if let receivers::Binding::Type(bound) = binding {
                    signature_types.push(bound);
                }
            }
            signature_types.extend(self.returned_type(function));
        }
        signature_types.retain(|bound| !self.receivers.contains(bound));
        signature_types.sort();
        signature_types.dedup();
        let typed: Vec<&String> = self.receivers.iter().chain(&signature_types).collect();

        // 2 (and 0): what the nearby code uses, the function being written included.
        let mut member_names: HashSet<&str> = HashSet::new();
        // Names the code uses (comments and strings do not count as a use of an import).
        let mut used: HashSet<&str> = HashSet::new();
        for reference in &references {
            used.insert(&reference.name);
            used.extend(reference.qualifier.as_deref());
            let usage = Use {
                distance: reference.range.start.abs_diff(self.offset),
                kind: reference.kind,
                in_crate: matches!(reference.qualifier.as_deref(), Some("crate" | "super")),
                // Only names through an import or a known type are wanted below.
                guessed: false,
            };
            // Through a qualifier: a member of an imported name (`utils.isString`,
            // `Usage::new`), or of a value whose type only the signature may tell.
            let container = match reference.qualifier.as_deref() {
                None | Some("crate" | "super") => None,
                Some(qualifier) => {
                    member_names.insert(&reference.name);
                    let imported = self
                        .imports
                        .aliases
                        .get(qualifier)
                        .map(String::as_str)
                        .or_else(|| self.imports.words.contains(qualifier).then_some(qualifier));
                    match imported {
                        Some(module_or_type) => Some(module_or_type.to_string()),
                        None => continue,
                    }
                }
            };
            let name = self.imports.aliases.get(&reference.name).unwrap_or(&reference.name);
            let class = if written.contains(&reference.range.start) { 0 } else { 2 };
            let entry = by_name.entry(name.clone()).or_insert((class, count(name)));
            entry.0 = entry.0.min(class);
            let member = container.is_some();
            if container.is_some() {
                add(wanted, Wanted { name: name.clone(), container, member: false, inherited: None }, usage);
            }
            add(wanted, Wanted { name: name.clone(), container: None, member, inherited: None }, usage);
        }

        // 2. Members of the signature's and the receiver's types that the nearby code calls.
        for name in member_names {
            for container in &typed {
                let usage =
                    Use { distance: usize::MAX / 2, kind: ReferenceKind::Call, in_crate: false, guessed: false };
                let want = Wanted {
                    name: name.to_string(),
                    container: Some(container.to_string()),
                    member: false,
                    inherited: None,
                };
                add(wanted, want, usage);
            }
            let entry = by_name.entry(name.to_string()).or_insert((2, count(name)));
            entry.0 = entry.0.min(2);
        }

        // 1. Imported names no nearby code uses.
        let imported = imported_names(text, &bringing_in);
        for &word in &imported {
            if used.contains(word) {
                continue;
            }
            // How the body will use it is unknown; a call is the commonest use of an import.
            let usage = Use { distance: usize::MAX / 2, kind: ReferenceKind::Call, in_crate: false, guessed: false };
            add(wanted, Wanted { name: word.to_string(), container: None, member: false, inherited: None }, usage);
            let entry = by_name.entry(word.to_string()).or_insert((1, 0));
            entry.0 = entry.0.min(1);
        }
        let mut known_types: HashSet<String> = typed.iter().map(|name| name.to_string()).collect();
        known_types.extend(imported.into_iter().map(str::to_string));
        known_types.extend(self.imports.aliases.values().cloned());
        for reference in references.iter().filter(|reference| reference.kind == ReferenceKind::Type) {
            known_types.insert(reference.name.clone());
        }
        Priorities { by_name, signature_types, known_types }
    }

    /// Top-level declarations that destructure an imported module or a `require` call.
    fn destructured_imports(&self) -> Vec<Range<usize>> {
        let root = self.tree.root_node();
        let mut ranges = Vec::new();
        let mut cursor = root.walk();
        for declaration in root.named_children(&mut cursor) {
            if !matches!(declaration.kind(), "lexical_declaration" | "variable_declaration") {
                continue;
            }
            let mut declarators = declaration.walk();
            let destructures_module = declaration.named_children(&mut declarators).any(|declarator| {
                let pattern = declarator.child_by_field_name("name");
                let value = declarator.child_by_field_name("value");
                let from_module = value
                    .and_then(|value| self.text.get(value.byte_range()))
                    .is_some_and(|value| self.imports.words.contains(value) || value.starts_with("require("));
                pattern.is_some_and(|pattern| pattern.kind() == "object_pattern") && from_module
            });
            if destructures_module {
                ranges.push(declaration.byte_range());
            }
        }
        ranges
    }

    /// The type the function being written says it returns.
    fn returned_type(&self, function: Node) -> Option<String> {
        let name = function.child_by_field_name("name").and_then(|name| self.text.get(name.byte_range()))?;
        let end = function.child_by_field_name("body").map_or(function.end_byte(), |body| body.start_byte());
        let signature = self.text.get(function.start_byte()..end)?;
        receivers::returned_type(self.language, signature, name, self.receivers.first().map(String::as_str))
    }
}

impl Priorities {
    /// Orders the candidates for an empty body: by class, then the most used, then the
    /// resolver's own order (same file, open files, workspace; nearest use).
    pub(super) fn rerank(&self, candidates: &mut [Candidate]) {
        for candidate in candidates {
            let name = candidate.section.symbol.as_deref().unwrap_or("");
            let (mut class, mut uses) = self.by_name.get(name).copied().unwrap_or((2, 0));
            if candidate.container.as_deref().is_some_and(|container| !self.known_types.contains(container)) {
                class = class.max(3);
            }
            let of_signature_type = candidate
                .container
                .as_deref()
                .is_some_and(|container| self.signature_types.iter().any(|bound| bound == container));
            if of_signature_type {
                uses = (uses * 2).min(MAX_COUNTED_USES);
            }
            let (tier, _, distance, _, _) = candidate.rank;
            candidate.rank.0 = class;
            // Uses per token: the budget holds more of the likely definitions when a
            // 40-line struct has to earn its place against five one-line functions.
            let tokens = candidate.section.estimated_tokens();
            let uses_per_token = uses * 1024 / (tokens + 16);
            candidate.rank.1 = (MAX_COUNTED_USES * 1024 - uses_per_token) * 4 + usize::from(tier);
            candidate.rank.2 = distance;
        }
    }
}

fn add(wanted: &mut BTreeMap<Wanted, Use>, want: Wanted, usage: Use) {
    let entry = wanted.entry(want).or_insert(usage);
    entry.distance = entry.distance.min(usage.distance);
    entry.kind = entry.kind.min(usage.kind);
    entry.in_crate |= usage.in_crate;
}

/// The names import statements bring in: their words less keywords, module paths
/// (`builder` in `use crate::builder::Arg`, `collections` in `import collections.abc`) and
/// what is quoted (`"./utils/jwt"`).
fn imported_names<'t>(text: &'t str, import_ranges: &[Range<usize>]) -> Vec<&'t str> {
    let mut names = Vec::new();
    for range in import_ranges {
        let Some(statement) = text.get(range.clone()) else { continue };
        let mut quoted: Option<char> = None;
        let mut start = None;
        for (at, character) in statement.char_indices().chain([(statement.len(), ' ')]) {
            if quoted.is_some() {
                if Some(character) == quoted {
                    quoted = None;
                }
                continue;
            }
            if is_name_char(character) {
                start.get_or_insert(at);
                continue;
            }
            if let Some(word_start) = start.take() {
                let word = &statement[word_start..at];
                let before = statement[..word_start].chars().next_back().unwrap_or(' ');
                let path_segment = matches!(character, ':' | '.' | '/') || matches!(before, '/' | '.');
                let keyword = IMPORT_KEYWORDS.contains(&word);
                if !path_segment && !keyword && word.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                    names.push(word);
                }
            }
            if matches!(character, '"' | '\'' | '`') {
                quoted = Some(character);
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The function whose body the cursor is in, or (Python, where a function ends at its last
/// statement) the one whose last statement is just above the cursor.
fn function_being_written<'t>(tree: &'t Tree, text: &str, offset: usize) -> Option<Node<'t>> {
    let before = text[..offset].trim_end();
    let last = before.len().checked_sub(1)?;
    let mut node = tree.root_node().descendant_for_byte_range(last, last)?;
    loop {
        if is_function(node.kind()) {
            return Some(node);
        }
        node = node.parent()?;
    }
}

fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_definition"
            | "function_declaration"
            | "function_item"
            | "method_declaration"
            | "method_definition"
            | "constructor_declaration"
            | "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function_declaration"
            | "func_literal"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn reading_any_text_at_any_cursor_never_panics(
            text in "[a-z{}() \n\té'\":./]{0,200}",
            at in any::<prop::sample::Index>(),
        ) {
            let offset = floor_char_boundary(&text, at.index(text.len() + 1));
            let _ = is_empty_body(&text, offset);
            let whole = 0..text.len();
            let _ = imported_names(&text, std::slice::from_ref(&whole));
        }
    }

    #[test]
    fn an_empty_body_is_one_that_closes_or_dedents_after_the_cursor() {
        let cases = [
            ("fn a() {\n    $0\n}\n", true),
            ("fn a() {\n    $0}\n", true),
            ("fn a() {\n    $0let x = 1;\n}\n", false),
            ("fn a() {\n    let x = 1;\n    $0\n    x\n}\n", false),
            ("class A:\n    def a(self):\n        $0\n\n    def b(self):\n        pass\n", true),
            ("def a():\n    $0\n    return 1\n", false),
            ("def a():\n    $0", true),
        ];
        for (fixture, expected) in cases {
            let offset = fixture.find("$0").unwrap();
            let text = fixture.replace("$0", "");
            assert_eq!(is_empty_body(&text, offset), expected, "{fixture:?}");
        }
    }

    #[test]
    fn imported_names_leave_out_keywords_module_paths_and_quoted_paths() {
        let text = "use crate::builder::{Arg, Command as Cmd};\nimport { parseDate } from './utils/dates'\n";
        let first_end = text.find('\n').unwrap();
        let statements = [0..first_end, first_end + 1..text.len()];
        assert_eq!(imported_names(text, &statements), ["Arg", "Cmd", "Command", "parseDate"]);
    }
}
