//! The context engine: what the model is shown around the cursor.
//!
//! For a position it gathers the enclosing definitions' headers, the file's imports, a
//! window of text split at the cursor, and the signatures of the symbols the code at the
//! cursor uses, resolved by name (same file, then the user's open files, then the workspace
//! index) and cut to a token budget that is never exceeded. Pure: text and trees in, plain
//! data out; the only I/O is the workspace index reading files when it is built.

mod above_cursor;
pub mod index;
pub mod inheritance;
pub mod modules;
pub mod queries;
pub mod receivers;
pub mod symbols;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::privacy::{redact, Exclude, DEFAULT_EXCLUDE};
pub use index::{IndexStats, IndexedSymbol, WorkspaceIndex, DEFAULT_MAX_FILE_BYTES};
use modules::ModuleFacts;
use symbols::ReferenceKind;
pub use symbols::{Symbol, SymbolKind};
use tree_sitter::Node;

use crate::document::Document;
use crate::language::Language;
use crate::text::{floor_char_boundary, is_name_char, trailing_word, whole_word_positions};

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
    // Made once per version and shared with the keystroke's cache update: no copy here.
    let text = document.full_text();
    let offset = floor_char_boundary(text, input.offset.min(text.len()));

    let mut remaining = input.budget_tokens.saturating_sub(estimate_tokens(CURSOR_MARKER));
    let window = cursor_window(document, text, offset, remaining * 2 / 5, remaining * 3 / 20);
    context.prefix = redact(&text[window.start..offset]).into_owned();
    context.suffix = redact(&text[offset..window.end]).into_owned();
    remaining = remaining.saturating_sub(estimate_tokens(&context.prefix) + estimate_tokens(&context.suffix));

    if let (Some(language), Some(tree)) = (document.language, document.tree.as_ref()) {
        let facts = input.workspace.open_documents().facts(document);
        let mut builder = SectionBuilder { sections: Vec::new(), remaining };
        let enclosing = symbols::enclosing(language, text, tree, offset);

        push_enclosing_headers(&mut builder, text, &enclosing, &window, &file);

        // Imports, capped so that a file with hundreds of imports leaves room for definitions.
        let import_budget = builder.remaining.min(input.budget_tokens * 3 / 20);
        if let Some(section) = imports_section(text, document, &facts.imports, &file, window.clone(), import_budget) {
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
        let references = symbols::references(language, text, tree, reference_range);
        let import_text: String =
            facts.imports.iter().filter_map(|range| text.get(range.clone())).collect::<Vec<_>>().join("\n");
        let imports = ImportNames::read(&import_text);
        let module_facts = modules::read(language, &module_statements(text, &facts.imports));
        let bindings = binding_types(input, &facts.symbols, language, text, &enclosing);
        let mut qualifiers = Qualifiers {
            text,
            language,
            enclosing: &enclosing,
            lineages: inheritance::Lineages::new(input, &facts.symbols, language, &import_text, &imports.aliases),
            receivers: Vec::new(),
            attributes: HashMap::new(),
            expanded: HashMap::new(),
        };
        qualifiers.receivers = qualifiers.lineages.expand(&receivers::receiver_types(text, &enclosing));
        let mut wanted = wanted_definitions(&references, offset, &imports, &bindings, &mut qualifiers);
        // Code not yet written: what is above the cursor stands in for the missing body.
        let priorities = above_cursor::is_empty_body(text, offset).then(|| {
            // The class and what it inherits, nearest first.
            let receiver_names: Vec<String> =
                qualifiers.receivers.iter().map(|ancestor| ancestor.name.clone()).collect();
            let above = above_cursor::AboveCursor {
                language,
                text,
                tree,
                offset,
                imports: &imports,
                import_ranges: &facts.imports,
                receivers: &receiver_names,
            };
            above.add_wanted(&mut wanted)
        });
        let mut candidates = resolve(
            input,
            &facts.symbols,
            &wanted,
            &Resolving {
                current_file: &file,
                current_path: document_path.as_deref(),
                window: &window,
                offset,
                import_text: &import_text,
                imports: &imports,
                language,
                references: &references,
                module_facts: &module_facts,
            },
        );
        if let Some(priorities) = &priorities {
            priorities.rerank(&mut candidates);
        }
        push_candidates(&mut builder, candidates);
        context.sections = builder.sections;
    }

    context.sections.sort_by(|a, b| {
        let key = |section: &Section| (section.kind, section.file.clone(), section.start_line, section.symbol.clone());
        key(a).cmp(&key(b))
    });
    keep_within_budget(&mut context, input.budget_tokens);
    context.estimated_tokens = context.estimate();
    context
}

/// Headers of the scopes around the cursor that the window does not show.
fn push_enclosing_headers(
    builder: &mut SectionBuilder,
    text: &str,
    enclosing: &[Node],
    window: &Range<usize>,
    file: &str,
) {
    for node in enclosing {
        if node.start_byte() >= window.start {
            continue;
        }
        let header = symbols::header(text, *node);
        let start_line = node.start_position().row;
        builder.push(Section {
            kind: SectionKind::Enclosing,
            file: file.to_string(),
            start_line,
            end_line: start_line + header.matches('\n').count(),
            symbol: node.child_by_field_name("name").and_then(|name| text.get(name.byte_range())).map(str::to_string),
            text: redact(&header).into_owned(),
        });
    }
}

/// The types the names of the innermost function have: a local of a generic type
/// (`value: &F`) has the generic's bounds, the generic itself (`F::MAX_EXPONENT`) too, and a
/// call's result has the type its function's definition says it returns.
fn binding_types(
    input: &ContextInput,
    current_symbols: &[Symbol],
    language: Language,
    text: &str,
    enclosing: &[Node],
) -> HashMap<String, Vec<String>> {
    let generics = receivers::generic_bounds(text, enclosing);
    let locals = match enclosing.last() {
        Some(innermost) if innermost.byte_range().len() <= 64 * 1024 => receivers::binding_types(text, *innermost),
        _ => HashMap::new(),
    };
    let mut bindings: HashMap<String, Vec<String>> = locals
        .into_iter()
        .filter_map(|(name, binding)| {
            let bound = match binding {
                receivers::Binding::Type(bound) => bound,
                receivers::Binding::ResultOf(function) => returned_type(input, current_symbols, language, &function)?,
            };
            let types = generics.get(&bound).cloned().unwrap_or_else(|| vec![bound]);
            Some((name, types))
        })
        .collect();
    for (generic, bounds) in generics {
        bindings.entry(generic).or_insert(bounds);
    }
    bindings
}

/// Adds the resolved definitions in rank order, skipping one nested in a definition already
/// included (a method inside its included class) when that definition's text shows it (a
/// long class is cut after its first lines).
fn push_candidates(builder: &mut SectionBuilder, mut candidates: Vec<Candidate>) {
    candidates.sort_by(|a, b| a.rank.cmp(&b.rank));
    let mut included: Vec<(Range<usize>, usize)> = Vec::new();
    for candidate in candidates {
        let section = &candidate.section;
        let declaration = declaration_line(section);
        let nested = included.iter().any(|(range, index)| {
            let outer = &builder.sections[*index];
            outer.file == section.file
                && range.start <= candidate.range.start
                && candidate.range.end <= range.end
                && outer.text.contains(declaration)
        });
        if nested {
            continue;
        }
        let range = candidate.range.clone();
        if builder.push(candidate.section) {
            included.push((range, builder.sections.len() - 1));
        }
    }
}

/// The line of a section that declares its symbol (past decorators and attributes),
/// trimmed: what an enclosing class's text must contain to show it.
fn declaration_line(section: &Section) -> &str {
    let symbol = section.symbol.as_deref().unwrap_or_default();
    let mut lines = section.text.lines().map(str::trim);
    let first = lines.clone().next().unwrap_or_default();
    lines.find(|line| contains_word(line, symbol)).unwrap_or(first)
}

/// Redaction and rendering only ever shrink or keep what was measured, but the budget is a
/// promise: drops from the least stable end until it holds.
fn keep_within_budget(context: &mut Context, budget_tokens: usize) {
    while context.estimate() > budget_tokens {
        if context.sections.pop().is_none() {
            let excess_bytes = (context.estimate() - budget_tokens) * 7 / 2 + 4;
            let keep = context.prefix.len().saturating_sub(excess_bytes);
            let cut = ceil_char_boundary(&context.prefix, context.prefix.len() - keep);
            context.prefix.drain(..cut);
            if context.estimate() > budget_tokens {
                context.suffix.clear();
                if context.estimate() > budget_tokens {
                    context.prefix.clear();
                }
            }
            break;
        }
    }
}

/// The type `function` returns, from the first of its definitions that writes one: in the
/// current file, the open files, then the workspace (where a name defined in many places
/// counts only when at most three definitions agree on the type).
fn returned_type(input: &ContextInput, current: &[Symbol], language: Language, function: &str) -> Option<String> {
    let read = |language: Language, symbol: &Symbol| {
        (matches!(symbol.kind, SymbolKind::Function | SymbolKind::Method) && *symbol.name == *function)
            .then(|| receivers::returned_type(language, &symbol.signature, function, symbol.container.as_deref()))
            .flatten()
    };
    if let Some(found) = current.iter().find_map(|symbol| read(language, symbol)) {
        return Some(found);
    }
    for open in input.open_documents.iter().filter(|open| open.uri != input.document.uri) {
        let Some(open_language) = open.language.filter(|_| open.tree.is_some()) else {
            continue;
        };
        let facts = input.workspace.open_documents().facts(open);
        if let Some(found) = facts.symbols.iter().find_map(|symbol| read(open_language, symbol)) {
            return Some(found);
        }
    }
    input.workspace.lookup_with(function, |hits| {
        if hits.len() > 3 {
            return None;
        }
        let mut types = hits.iter().filter_map(|hit| read(hit.language, &hit.symbol));
        let first = types.next()?;
        types.all(|other| other == first).then_some(first)
    })
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
    /// (tier: same file 0, open 1, workspace 2, a workspace member guessed by name 3; recency
    /// among open files; distance of the
    /// nearest use from the cursor; file; line) — the last two only make the order total.
    rank: (u8, usize, usize, String, usize),
    range: Range<usize>,
    /// The type the definition is a member of, if any.
    container: Option<std::sync::Arc<str>>,
    section: Section,
}

/// A definition the code at the cursor needs: a name, and the type it is reached through
/// when that is known (`Usage` for `Usage::new`, for `usage.render()` after
/// `let usage = Usage::new(…)`, for `self.render()` inside `impl Usage`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Wanted {
    /// The name as defined (an import's `as` alias is undone).
    name: String,
    container: Option<String>,
    /// Reached through a qualifier whose type is unknown (`Jwt.verify`, `utils.isDate`): not
    /// a definition of the current file's top level.
    member: bool,
    /// For a member of a class the qualifier's type inherits from: how many steps up, and
    /// the qualifier's type (`self` for the receiver). A member found on a nearer class
    /// hides the same name further up, as an override does.
    inherited: Option<(u8, String)>,
}

impl Wanted {
    fn depth(&self) -> u8 {
        self.inherited.as_ref().map_or(0, |(depth, _)| *depth)
    }
}

/// What qualifiers stand for in the innermost function: the receiver's class and what it
/// inherits, the class's typed attributes (`self.client`), and the lineage of each other
/// known type, read on demand.
struct Qualifiers<'a, 'tree> {
    text: &'a str,
    language: Language,
    enclosing: &'a [Node<'tree>],
    lineages: inheritance::Lineages<'a>,
    receivers: Vec<inheritance::Ancestor>,
    /// The type of each attribute asked about (`None`: not declared with a known type).
    attributes: HashMap<String, Option<String>>,
    expanded: HashMap<String, Vec<inheritance::Ancestor>>,
}

impl Qualifiers<'_, '_> {
    /// `type_name` and the classes it inherits from.
    fn lineage(&mut self, type_name: &str) -> Vec<inheritance::Ancestor> {
        if let Some(known) = self.expanded.get(type_name) {
            return known.clone();
        }
        let lineage = self.lineages.expand(&[inheritance::Ancestor { name: type_name.to_string(), depth: 0 }]);
        self.expanded.insert(type_name.to_string(), lineage.clone());
        lineage
    }

    /// The type of the attribute `qualifier` when the reference at `start` reads
    /// `self.qualifier.name` or `this.qualifier.name` (`?.` and `!.` too).
    fn attribute_type(&mut self, qualifier: &str, start: usize) -> Option<String> {
        let before = self.text.get(..start)?.strip_suffix('.')?;
        let before = before.strip_suffix(['?', '!']).unwrap_or(before);
        let receiver = before.strip_suffix(qualifier)?.strip_suffix('.')?;
        if !(receiver.ends_with("self") || receiver.ends_with("this")) {
            return None;
        }
        if let Some(known) = self.attributes.get(qualifier) {
            return known.clone();
        }
        // Declared in the class itself, else by the nearest base that declares it.
        let found = receivers::attribute_type(self.text, self.enclosing, qualifier)
            .or_else(|| self.lineages.declared_type(qualifier, &self.receivers));
        self.attributes.insert(qualifier.to_string(), found.clone());
        found
    }

    /// Whether the reference at `start` is reached through Python's `super()` or
    /// `super(Class, self)`.
    fn after_super_call(&self, start: usize) -> bool {
        let Some(before) = self.text.get(..start).and_then(|before| before.strip_suffix(").")) else {
            return false;
        };
        let call = &before[floor_char_boundary(before, before.len().saturating_sub(80))..];
        call.rfind("super(").is_some_and(|at| {
            let arguments = &call[at + "super(".len()..];
            !arguments.contains(['(', ')', '\n'])
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Use {
    /// Bytes from the cursor to the nearest use.
    distance: usize,
    /// The strongest use: a call or a type rather than a mere value.
    kind: ReferenceKind,
    /// Reached through a path into the current crate (`crate::Item`, `super::Usage`).
    in_crate: bool,
    /// Every use is a member of a value whose type is unknown or lacks it (`rows.map()`,
    /// `self.assertEqual()` with a base from a library): a bare definition of that name is a
    /// guess. A module, an import or a type name as the qualifier is no guess (`utils.isDate`,
    /// `Jwt.verify`, `error::Error`).
    guessed: bool,
}

/// The names a file's imports bring in: every identifier of its import statements, and the
/// `as` aliases they define (`use a::b as c`, `from .x import y as _y`,
/// `import { a as b }`), alias to original.
struct ImportNames {
    words: HashSet<String>,
    aliases: HashMap<String, String>,
}

impl ImportNames {
    fn read(import_text: &str) -> ImportNames {
        let mut words = HashSet::new();
        let mut aliases = HashMap::new();
        let mut previous: [Option<&str>; 2] = [None, None];
        for word in import_text.split(|character: char| !is_name_char(character)) {
            if word.is_empty() {
                continue;
            }
            // `original as alias`: the word before `as` is the original; `* as ns` has none.
            if let [Some(original), Some("as")] = previous {
                if original != "as" {
                    aliases.insert(word.to_string(), original.to_string());
                }
            }
            words.insert(word.to_string());
            previous = [previous[1], Some(word)];
        }
        // `const { constants: errorConstants } = require(…)`: `original: alias` (never `::`).
        let bytes = import_text.as_bytes();
        for (colon, _) in import_text.match_indices(':') {
            let doubled = bytes.get(colon + 1) == Some(&b':') || colon > 0 && bytes[colon - 1] == b':';
            if doubled {
                continue;
            }
            let original = import_text[..colon].trim_end();
            let original = trailing_word(original, is_name_char);
            let alias = import_text[colon + 1..].trim_start();
            let alias = &alias[..alias.find(|c: char| !is_name_char(c)).unwrap_or(alias.len())];
            if !original.is_empty() && !alias.is_empty() && !alias.starts_with(|c: char| c.is_ascii_digit()) {
                aliases.insert(alias.to_string(), original.to_string());
            }
        }
        // `* as ns`: the word before `as` came from an earlier clause; undo it.
        for (alias, _) in aliases.clone() {
            let star = format!("* as {alias}");
            if import_text.contains(&star) {
                aliases.remove(&alias);
            }
        }
        ImportNames { words, aliases }
    }
}

/// What resolving needs to know about the current file.
struct Resolving<'a> {
    current_file: &'a str,
    current_path: Option<&'a Path>,
    window: &'a Range<usize>,
    offset: usize,
    import_text: &'a str,
    imports: &'a ImportNames,
    language: Language,
    references: &'a [symbols::Reference],
    /// The current file's bindings: imports, `mod` declarations.
    module_facts: &'a ModuleFacts,
}

/// The definitions the references ask for, each with its nearest use. A qualified use
/// (`Usage::new`, `url.copy_with()`, `self.flush()`) asks for the member of the type the
/// qualifier names or is known to have; the resolver falls back to the bare name.
fn wanted_definitions(
    references: &[symbols::Reference],
    offset: usize,
    imports: &ImportNames,
    bindings: &HashMap<String, Vec<String>>,
    qualifiers: &mut Qualifiers,
) -> BTreeMap<Wanted, Use> {
    let mut wanted: BTreeMap<Wanted, Use> = BTreeMap::new();
    let mut add = |name: &str, container: Option<String>, member: bool, inherited: Option<(u8, String)>, usage: Use| {
        // A name imported under an alias is never the current file's own definition.
        let original = imports.aliases.get(name);
        let member = member || original.is_some();
        let name = original.map_or(name, String::as_str).to_string();
        let entry = wanted.entry(Wanted { name, container, member, inherited }).or_insert(usage);
        entry.distance = entry.distance.min(usage.distance);
        entry.kind = entry.kind.min(usage.kind);
        entry.in_crate |= usage.in_crate;
        entry.guessed &= usage.guessed;
    };
    let receiver = || "self".to_string();
    let rust = qualifiers.language == Language::Rust;
    for reference in references {
        let distance = reference.range.start.abs_diff(offset);
        let in_crate = rust && matches!(reference.qualifier.as_deref(), Some("crate" | "super"));
        let usage = Use { distance, kind: reference.kind, in_crate, guessed: false };
        // (container, inheritance steps from the qualifier's type, that type)
        let containers: Vec<(String, u8, String)> = match reference.qualifier.as_deref() {
            None if qualifiers.after_super_call(reference.range.start) => {
                let bases = qualifiers.receivers.iter().filter(|class| class.depth > 0);
                bases.map(|class| (class.name.clone(), class.depth, receiver())).collect()
            }
            None => Vec::new(),
            Some("crate" | "super") if rust => Vec::new(),
            Some("super") => {
                let bases = qualifiers.receivers.iter().filter(|class| class.depth > 0);
                bases.map(|class| (class.name.clone(), class.depth, receiver())).collect()
            }
            Some("self" | "this" | "Self" | "cls") => {
                qualifiers.receivers.iter().map(|class| (class.name.clone(), class.depth, receiver())).collect()
            }
            Some(qualifier) => {
                let types = match qualifiers.attribute_type(qualifier, reference.range.start) {
                    Some(attribute) => Some(vec![attribute]),
                    None => bindings.get(qualifier).cloned(),
                };
                match types {
                    Some(types) => types
                        .iter()
                        .flat_map(|root| {
                            let lineage = qualifiers.lineage(root);
                            lineage.into_iter().map(move |class| (class.name, class.depth, root.clone()))
                        })
                        .collect(),
                    None => {
                        let named = imports.aliases.get(qualifier).map_or(qualifier, String::as_str).to_string();
                        vec![(named.clone(), 0, named)]
                    }
                }
            }
        };
        // `require("./x").name`: a module's member, never the current file's own `name`.
        let member = !containers.is_empty() || reference.qualifier.is_none() && !reference.path.is_empty();
        for (container, depth, root) in containers {
            add(&reference.name, Some(container), false, Some((depth, root)), usage);
        }
        let guessed = member
            && !rust
            && reference.qualifier.as_deref().is_some_and(|qualifier| {
                !imports.words.contains(qualifier) && !qualifier.starts_with(|first: char| first.is_uppercase())
            });
        add(&reference.name, None, member, None, Use { guessed, ..usage });
    }
    wanted
}

/// Whether `path` is a test, an example or a benchmark: a definition there ranks below one
/// in the source.
fn is_test_or_example(path: &Path) -> bool {
    crate::language::is_test_file(path)
        || path.components().any(|part| {
            matches!(
                part.as_os_str().to_str(),
                Some("test" | "tests" | "testdata" | "examples" | "example" | "benches" | "fixtures" | "__tests__")
            )
        })
}

/// How many leading folders `other` shares with the current file: among several
/// definitions of a name, the nearest one is most often meant.
fn shared_folders(current: Option<&Path>, other: &Path) -> usize {
    let Some(current) = current.and_then(Path::parent) else {
        return 0;
    };
    let other = other.parent().unwrap_or(other);
    current.components().zip(other.components()).take_while(|(a, b)| a == b).count()
}

/// The `src` folder of the Rust crate the file is in.
fn crate_source_root(path: Option<&Path>) -> Option<&Path> {
    path?.ancestors().skip(1).find(|ancestor| ancestor.file_name().is_some_and(|name| name == "src"))
}

/// Whether two files are in one package: the same folder in Go and Java, where a package's
/// files use each other's names with no import.
fn same_package(language: Language, current: Option<&Path>, other: &Path) -> bool {
    matches!(language, Language::Go | Language::Java)
        && current.and_then(Path::parent).is_some_and(|folder| other.parent() == Some(folder))
}

/// The definitions `wanted` asks for, in tiers: the current file, the open files, then the
/// workspace index (members of a known type before bare names in the last two).
fn resolve(
    input: &ContextInput,
    current_symbols: &[Symbol],
    wanted: &BTreeMap<Wanted, Use>,
    resolving: &Resolving,
) -> Vec<Candidate> {
    let mut state = ResolveState::default();
    // Symbols are looked up by name: a 20,000-line file has thousands, the code at the
    // cursor uses a few hundred names.
    let wanted_names: HashSet<&str> = wanted.keys().map(|want| want.name.as_str()).collect();

    let open = OpenFiles::read(input, resolving);

    // 0. Module-qualified names, through the imports and re-exports to their one definition.
    resolve_through_modules(input, wanted, resolving, &open, &mut state);

    // 1. The same file.
    resolve_in_current_file(current_symbols, wanted, &wanted_names, resolving, &mut state);

    // 2. Open documents, most recently edited first, preferring a file the imports name.
    let mut open_by_name: HashMap<&str, Vec<(usize, &Symbol)>> = HashMap::new();
    for (file_index, file) in open.files.iter().enumerate() {
        for symbol in file.facts.symbols.iter().filter(|symbol| wanted_names.contains(&*symbol.name)) {
            open_by_name.entry(&*symbol.name).or_default().push((file_index, symbol));
        }
    }
    // Members of a known type are looked up in open files and then the workspace before any
    // bare name is: `one.area()` with `one: S` and `S extends Shape` means `Shape`'s `area`
    // even when only another type's `area` is open.
    // A class's own members before inherited ones, nearest base first, so an override hides
    // what it overrides whichever tier either is in.
    type Pass<'a> = Vec<(&'a Wanted, &'a Use)>;
    let (mut typed, bare): (Pass, Pass) = wanted.iter().partition(|(want, _)| want.container.is_some());
    typed.sort_by_key(|(want, _)| want.depth());
    let mut passes: Vec<Pass> = Vec::new();
    for entry in typed {
        match passes.last_mut() {
            Some(pass) if pass[0].0.depth() == entry.0.depth() => pass.push(entry),
            _ => passes.push(vec![entry]),
        }
    }
    passes.push(bare);
    for pass in passes {
        for &(want, usage) in &pass {
            if state.settled.contains(want) {
                continue;
            }
            let symbols = open_by_name.get(want.name.as_str()).map_or(&[][..], Vec::as_slice);
            let fits = |symbol: &Symbol| fits(resolving.language, want, usage, symbol);
            let Some((file_index, symbol)) = symbols.iter().find(|(_, symbol)| fits(symbol)) else {
                continue;
            };
            let file = &open.files[*file_index];
            state.settled.settle(want);
            if state.shown.insert((file.display.clone(), symbol.range.start)) {
                let rank = (1, file.recency, usage.distance);
                state.candidates.push(candidate(SectionKind::OpenFile, file.display.clone(), symbol, rank));
            }
        }

        // 3. The workspace index.
        for &(want, usage) in &pass {
            if state.settled.contains(want) {
                continue;
            }
            let Some(best) = workspace_definition(input, resolving, &open.paths, want, usage) else { continue };
            state.settled.settle(want);
            let file = display_path(Some(&best.path), "", input.root);
            if state.shown.insert((file.clone(), best.symbol.range.start)) {
                // A member guessed by its name alone (`rows.map`, an unknown `x.close()`)
                // comes after what a type, an import or the receiver's class vouches for.
                let tier = if usage.guessed { 3 } else { 2 };
                state.candidates.push(candidate(SectionKind::Workspace, file, &best.symbol, (tier, 0, usage.distance)));
            }
        }
    }
    state.candidates
}

/// Tier 0: references reached through a module (`util.normalize`, `docs::usage::render`,
/// `require("./x").name`) and names imported one by one (`use crate::Value`, `import { X }
/// from "./barrel"`), followed through the imports and re-exports to the one definition they
/// mean, ranked as any definition of the file it is in.
fn resolve_through_modules<'w>(
    input: &ContextInput,
    wanted: &'w BTreeMap<Wanted, Use>,
    resolving: &Resolving,
    open: &OpenFiles,
    state: &mut ResolveState<'w>,
) {
    let Some(current) = resolving.current_path else {
        return;
    };
    let files = ResolverFiles {
        input,
        open,
        roots: input.workspace.roots(),
        same_exclude: input.exclude.patterns() == input.workspace.exclude().patterns(),
        named: Default::default(),
        open_facts: Default::default(),
    };
    let resolver = modules::Resolver::new(&files, resolving.language, current, resolving.module_facts);
    // Each path once, at its nearest use.
    let mut asked: BTreeMap<Vec<String>, (usize, &symbols::Reference)> = BTreeMap::new();
    for reference in resolving.references {
        let segments: Vec<String> = if reference.path.is_empty() {
            match resolving.module_facts.binding(&reference.name) {
                Some(binding) if matches!(binding.imported, modules::Imported::Name(_)) => vec![reference.name.clone()],
                // A call or a type no import names may come through a glob import.
                None if reference.kind != ReferenceKind::Variable && resolver.has_globs() => {
                    vec![reference.name.clone()]
                }
                _ => continue,
            }
        } else {
            reference.path.iter().cloned().chain([reference.name.clone()]).collect()
        };
        if segments.len() > 1 && !resolver.binds(&segments[0]) {
            continue;
        }
        let distance = reference.range.start.abs_diff(resolving.offset);
        let entry = asked.entry(segments).or_insert((distance, reference));
        if distance < entry.0 {
            *entry = (distance, reference);
        }
    }
    let mut asked: Vec<(Vec<String>, (usize, &symbols::Reference))> = asked.into_iter().collect();
    asked.sort_by_key(|(_, (distance, _))| *distance);
    for (segments, (distance, reference)) in asked.into_iter().take(MAX_MODULE_REFERENCES) {
        let Some(resolved) = resolver.resolve(&segments) else {
            continue;
        };
        // What the other tiers would have guessed for this reference is settled by it.
        let original = resolving.imports.aliases.get(&reference.name).unwrap_or(&reference.name);
        let qualifier =
            reference.qualifier.as_deref().map(|q| resolving.imports.aliases.get(q).map_or(q, String::as_str));
        for (want, _) in wanted.iter() {
            let named = want.name == reference.name || want.name == *original;
            if named && (want.container.is_none() || want.container.as_deref() == qualifier) {
                state.settled.settle(want);
            }
        }
        let modules::Resolved::Definition(found) = resolved else {
            continue;
        };
        // Ranked as any definition of its file: by where it lives and its nearest use.
        let open_file = open.files.iter().find(|file| file.path.as_deref() == Some(found.path.as_path()));
        let (kind, file, rank) = match open_file {
            Some(open_file) => (SectionKind::OpenFile, open_file.display.clone(), (1, open_file.recency, distance)),
            None => (SectionKind::Workspace, display_path(Some(&found.path), "", input.root), (2, 0, distance)),
        };
        if state.shown.insert((file.clone(), found.symbol.range.start)) {
            state.candidates.push(candidate(kind, file, &found.symbol, rank));
        }
    }
}

/// Open files larger than this are not read for their re-exports on a request.
const MAX_SCANNED_OPEN_BYTES: usize = 256 * 1024;

/// Module-qualified references resolved per request, nearest first: each is a few lookups.
const MAX_MODULE_REFERENCES: usize = 64;

/// The files module resolution reads: the open files as they are in the editor, the rest
/// from the index; never an excluded one.
struct ResolverFiles<'a> {
    input: &'a ContextInput<'a>,
    open: &'a OpenFiles,
    roots: Vec<PathBuf>,
    same_exclude: bool,
    /// Definitions by name, looked up once per request.
    named: std::cell::RefCell<HashMap<String, Vec<(PathBuf, Symbol)>>>,
    /// Facts of open files, read from their text once per request.
    open_facts: std::cell::RefCell<HashMap<PathBuf, Option<std::sync::Arc<ModuleFacts>>>>,
}

impl ResolverFiles<'_> {
    /// Every readable definition named `name`, in source order within each file: the open
    /// files' as they are in the editor, the index's for the rest.
    fn definitions_named(&self, name: &str) -> Vec<(PathBuf, Symbol)> {
        let mut found: Vec<(PathBuf, Symbol)> = Vec::new();
        for file in &self.open.files {
            let Some(path) = &file.path else { continue };
            let symbols = file.facts.symbols.iter().filter(|symbol| *symbol.name == *name);
            found.extend(symbols.map(|symbol| (path.clone(), symbol.clone())));
        }
        self.input.workspace.lookup_with(name, |hits| {
            let mut hits: Vec<_> = hits
                .iter()
                .filter(|hit| !self.open.paths.contains(&*hit.path))
                .filter(|hit| self.same_exclude || !self.input.exclude.is_excluded(&hit.path, self.input.root))
                .collect();
            hits.sort_by_key(|hit| hit.symbol.range.start);
            found.extend(hits.into_iter().map(|hit| (hit.path.to_path_buf(), hit.symbol.clone())));
        });
        found
    }

    fn open_file(&self, path: &Path) -> Option<&OpenFile> {
        self.open.files.iter().find(|file| file.path.as_deref() == Some(path))
    }

    fn open_document(&self, path: &Path) -> Option<&Document> {
        self.input.open_documents.iter().find(|document| uri_to_path(&document.uri).as_deref() == Some(path))
    }
}

impl modules::ModuleFiles for ResolverFiles<'_> {
    fn exists(&self, path: &Path) -> bool {
        if self.open.paths.contains(path) {
            return self.open_file(path).is_some();
        }
        self.input.workspace.contains_file(path)
            && (self.same_exclude || !self.input.exclude.is_excluded(path, self.input.root))
    }

    fn facts(&self, path: &Path) -> Option<std::sync::Arc<ModuleFacts>> {
        if self.open.paths.contains(path) {
            if let Some(facts) = self.open_facts.borrow().get(path) {
                return facts.clone();
            }
            let facts = self.open_file(path).and_then(|_| {
                let document = self.open_document(path)?;
                // A barrel is small; a very large open file is not scanned on a request.
                if document.full_text().len() > MAX_SCANNED_OPEN_BYTES {
                    return None;
                }
                let facts = modules::read(document.language?, document.full_text()).exported_only(path);
                Some(std::sync::Arc::new(facts))
            });
            self.open_facts.borrow_mut().insert(path.to_path_buf(), facts.clone());
            return facts;
        }
        self.input.workspace.module_facts(path)
    }

    fn definition(&self, path: &Path, name: &str, container: Option<&str>) -> Option<Symbol> {
        if !self.named.borrow().contains_key(name) {
            let found = self.definitions_named(name);
            self.named.borrow_mut().insert(name.to_string(), found);
        }
        let named = self.named.borrow();
        named.get(name)?.iter().find_map(|(file, symbol)| {
            (file.as_path() == path && symbol.container.as_deref() == container).then(|| symbol.clone())
        })
    }

    fn defining(&self, name: &str) -> Vec<PathBuf> {
        if !self.named.borrow().contains_key(name) {
            let found = self.definitions_named(name);
            self.named.borrow_mut().insert(name.to_string(), found);
        }
        let named = self.named.borrow();
        let definitions = named.get(name).map_or(&[][..], Vec::as_slice);
        definitions
            .iter()
            .filter(|(_, symbol)| symbol.container.is_none() || symbol.container.as_deref() == Some("exports"))
            .map(|(path, _)| path.clone())
            .collect()
    }

    fn roots(&self) -> &[PathBuf] {
        &self.roots
    }
}

/// The current file's import statements as module facts read them: each on lines of its
/// own, a Rust `mod` with the attributes above it (`#[path = "…"]`).
fn module_statements(text: &str, imports: &[Range<usize>]) -> String {
    let mut statements = String::new();
    for range in imports {
        let mut start = text[..range.start.min(text.len())].rfind('\n').map_or(0, |newline| newline + 1);
        // Up to three attribute lines above.
        for _ in 0..3 {
            let Some(above_end) = start.checked_sub(1) else { break };
            let above_start = text[..above_end].rfind('\n').map_or(0, |newline| newline + 1);
            if !text[above_start..above_end].trim_start().starts_with("#[") {
                break;
            }
            start = above_start;
        }
        if let Some(statement) = text.get(start..range.end) {
            statements.push_str(statement);
            statements.push('\n');
        }
    }
    statements
}

/// Whether `symbol` is a definition `want` can mean. A member asked for through a type
/// matches only definitions of that type; in languages with type names of their own, a
/// name used only as a type is not a function.
fn fits(language: Language, want: &Wanted, usage: &Use, symbol: &Symbol) -> bool {
    let typed_language = !matches!(language, Language::Python | Language::JavaScript);
    // In Rust, Python and Go a method is only ever reached through a receiver or its type:
    // a bare `write_help(…)` is the imported function, not the file's own method.
    let bare = !want.member && want.container.is_none();
    let methods_need_a_receiver = matches!(language, Language::Rust | Language::Python | Language::Go);
    *symbol.name == *want.name
        && (want.container.is_some() || symbol.kind != SymbolKind::Field)
        && want.container.as_ref().is_none_or(|container| symbol.container.as_deref() == Some(container.as_str()))
        && !(typed_language
            && usage.kind == ReferenceKind::Type
            && matches!(symbol.kind, SymbolKind::Function | SymbolKind::Method))
        && !(bare && methods_need_a_receiver && symbol.kind == SymbolKind::Method)
}

/// What resolving has found so far.
#[derive(Default)]
struct ResolveState<'w> {
    candidates: Vec<Candidate>,
    settled: Settled<'w>,
    /// (file, start) of every definition already a candidate.
    shown: HashSet<(String, usize)>,
}

/// What is settled: a wanted definition found, and (for bare names) the name itself.
#[derive(Default)]
struct Settled<'w> {
    wanted: HashSet<&'w Wanted>,
    /// Names settled by a member or typed lookup, and by any lookup: a bare name is not looked
    /// up again once either settled it (a member lookup only after a member or typed one).
    strongly: HashSet<String>,
    names: HashSet<String>,
    /// (name, the qualifier's type) → the fewest inheritance steps it was found at.
    nearest: HashMap<(&'w str, &'w str), u8>,
}

impl<'w> Settled<'w> {
    fn settle(&mut self, want: &'w Wanted) {
        self.wanted.insert(want);
        if want.member || want.container.is_some() {
            self.strongly.insert(want.name.clone());
        }
        self.names.insert(want.name.clone());
        if let Some((depth, root)) = &want.inherited {
            let nearest = self.nearest.entry((want.name.as_str(), root.as_str())).or_insert(*depth);
            *nearest = (*nearest).min(*depth);
        }
    }

    fn contains(&self, want: &Wanted) -> bool {
        let overridden = want.inherited.as_ref().is_some_and(|(depth, root)| {
            self.nearest.get(&(want.name.as_str(), root.as_str())).is_some_and(|nearest| nearest < depth)
        });
        overridden
            || self.wanted.contains(want)
            || want.container.is_none()
                && (self.strongly.contains(&want.name) || !want.member && self.names.contains(&want.name))
    }
}

/// Tier 1: definitions of the current file that the window does not already show.
fn resolve_in_current_file<'w>(
    current_symbols: &[Symbol],
    wanted: &'w BTreeMap<Wanted, Use>,
    wanted_names: &HashSet<&str>,
    resolving: &Resolving,
    state: &mut ResolveState<'w>,
) {
    let Resolving { current_file, window, offset, language, .. } = *resolving;
    let visible = |range: &Range<usize>| {
        range.start < window.end && range.end > window.start || (range.start <= offset && offset < range.end)
    };
    let mut current_by_name: HashMap<&str, Vec<&Symbol>> = HashMap::new();
    for symbol in current_symbols.iter().filter(|symbol| wanted_names.contains(&*symbol.name)) {
        current_by_name.entry(&*symbol.name).or_default().push(symbol);
    }
    let mut nearest_first: Vec<(&Wanted, &Use)> = wanted.iter().filter(|(want, _)| !want.member).collect();
    nearest_first.sort_by_key(|(want, _)| want.depth());
    for (want, usage) in nearest_first {
        if state.settled.contains(want) {
            continue;
        }
        let symbols = current_by_name.get(want.name.as_str()).map_or(&[][..], Vec::as_slice);
        for symbol in symbols.iter().filter(|symbol| fits(language, want, usage, symbol)) {
            state.settled.settle(want);
            if visible(&symbol.range) || !state.shown.insert((current_file.to_string(), symbol.range.start)) {
                continue;
            }
            let section = candidate(SectionKind::CurrentFile, current_file.to_string(), symbol, (0, 0, usage.distance));
            state.candidates.push(section);
        }
    }
}

/// The open documents other than the current one, in the order their definitions are
/// preferred: those the imports or the package vouch for first, then by recency.
struct OpenFiles {
    /// Every open file's path, excluded ones too: the index never answers for an open file.
    paths: HashSet<PathBuf>,
    files: Vec<OpenFile>,
}

struct OpenFile {
    recency: usize,
    display: String,
    facts: symbols::FileFacts,
    path: Option<PathBuf>,
}

impl OpenFiles {
    fn read(input: &ContextInput, resolving: &Resolving) -> OpenFiles {
        let mut paths: HashSet<PathBuf> = HashSet::new();
        let mut files = Vec::new();
        for (recency, open) in input.open_documents.iter().enumerate() {
            if open.uri == input.document.uri {
                continue;
            }
            let path = uri_to_path(&open.uri);
            if let Some(path) = &path {
                paths.insert(path.clone());
                if input.exclude.is_excluded(path, input.root) {
                    continue;
                }
            }
            if open.tree.is_none() {
                continue;
            }
            let facts = input.workspace.open_documents().facts(open);
            let display = display_path(path.as_deref(), &open.uri, input.root);
            let vouched = is_imported(resolving.import_text, path.as_deref())
                || path.as_deref().is_some_and(|path| same_package(resolving.language, resolving.current_path, path));
            files.push((!vouched, OpenFile { recency, display, facts, path }));
        }
        files.sort_by_key(|(not_vouched, file)| (*not_vouched, file.recency));
        OpenFiles { paths, files: files.into_iter().map(|(_, file)| file).collect() }
    }
}

/// Tier 3: the workspace index's definition of `want`, if one is vouched for. A bare name
/// with many definitions (`new`, `get`) is noise unless the imports, the package or its type
/// single one out; a name used only as a value is most often a local, so it needs the imports
/// or the package to vouch for it.
fn workspace_definition(
    input: &ContextInput,
    resolving: &Resolving,
    open_paths: &HashSet<PathBuf>,
    want: &Wanted,
    usage: &Use,
) -> Option<IndexedSymbol> {
    let Resolving { current_path, import_text, imports, language, .. } = *resolving;
    let imported_name = imports.words.contains(&want.name);
    // A bare value nothing vouches for is a local: not worth a lookup (common names have
    // thousands of definitions).
    let package_language = matches!(language, Language::Go | Language::Java);
    if usage.kind == ReferenceKind::Variable
        && want.container.is_none()
        && !imported_name
        && !package_language
        && !usage.in_crate
    {
        return None;
    }
    let same_exclude = input.exclude.patterns() == input.workspace.exclude().patterns();
    input.workspace.lookup_with(&want.name, |hits| {
        let usable = hits.iter().filter(|hit| {
            Some(&*hit.path) != current_path
                && !open_paths.contains(&*hit.path)
                && (same_exclude || !input.exclude.is_excluded(&hit.path, input.root))
                && (want.container.is_some() || hit.symbol.kind != SymbolKind::Field)
                && want
                    .container
                    .as_ref()
                    .is_none_or(|container| hit.symbol.container.as_deref() == Some(container.as_str()))
        });
        // Which hits the imports or the package vouch for is cheap to know; the rest of
        // the ranking is computed only among the hits that can still win, since a common
        // name can have thousands.
        let usable: Vec<(bool, &IndexedSymbol)> = usable
            .map(|hit| {
                let vouched =
                    is_imported(import_text, Some(&hit.path)) || same_package(language, current_path, &hit.path);
                (vouched, hit)
            })
            .collect();
        let count = usable.len();
        let any_vouched = usable.iter().any(|(vouched, _)| *vouched);
        if !any_vouched && count > 3 && !imported_name && want.container.is_none() && !usage.in_crate {
            return None;
        }
        let (vouched, hit) = best_workspace_hit(input, current_path, want, usable, any_vouched)?;
        // `crate::Item`: the definition in this crate, wherever it is re-exported from.
        let in_this_crate = usage.in_crate
            && crate_source_root(current_path).is_some_and(|source_root| hit.path.starts_with(source_root));
        let accepted = if usage.kind == ReferenceKind::Variable {
            vouched && (imported_name || same_package(language, current_path, &hit.path))
                || (imported_name || want.container.is_some()) && count <= 3
                || in_this_crate
        } else {
            vouched || imported_name || count <= 3 || want.container.is_some() || in_this_crate
        };
        accepted.then(|| hit.clone())
    })
}

/// The best of the usable hits (with whether it is vouched for). Lower is better: (not
/// vouched for, a member where a bare name is meant, in tests or examples, fewer folders
/// shared with the current file, path, position). A name used bare means a top-level
/// definition, not a member of some type (`crate::Item` is the enum, not an iterator's
/// `type Item`).
fn best_workspace_hit<'h>(
    input: &ContextInput,
    current_path: Option<&Path>,
    want: &Wanted,
    usable: Vec<(bool, &'h IndexedSymbol)>,
    any_vouched: bool,
) -> Option<(bool, &'h IndexedSymbol)> {
    type Key = (bool, bool, bool, std::cmp::Reverse<usize>);
    let mut best: Option<(Key, &IndexedSymbol)> = None;
    for (vouched, hit) in usable.into_iter().filter(|(vouched, _)| *vouched || !any_vouched) {
        let relative = hit.path.strip_prefix(input.root.unwrap_or(Path::new(""))).unwrap_or(&hit.path);
        let key = (
            !vouched,
            !want.member && want.container.is_none() && hit.symbol.container.is_some(),
            is_test_or_example(relative),
            std::cmp::Reverse(shared_folders(current_path, &hit.path)),
        );
        let better = match &best {
            None => true,
            Some((best_key, best_hit)) => {
                (key, &hit.path, hit.symbol.range.start) < (*best_key, &best_hit.path, best_hit.symbol.range.start)
            }
        };
        if better {
            best = Some((key, hit));
        }
    }
    best.map(|((not_vouched, _, _, _), hit)| (!not_vouched, hit))
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
        container: symbol.container.clone(),
        section: Section {
            kind,
            file,
            start_line: symbol.start_line,
            end_line: symbol.start_line + symbol.signature.matches('\n').count(),
            symbol: Some(symbol.name.to_string()),
            text: redact(&symbol.signature).into_owned(),
        },
    }
}

/// Whether the file's imports name `path`: its stem appears as a word in an import
/// (`use crate::geometry::Point`, `from geometry import`, `import "./geometry"`,
/// `#include "geometry.h"`, `import com.acme.Point;`).
fn is_imported(import_text: &str, path: Option<&Path>) -> bool {
    let Some(path) = path else {
        return false;
    };
    let Some(stem) = path.file_stem().and_then(|stem| stem.to_str()) else {
        return false;
    };
    // A folder's entry file is imported by the folder's name (`./utils/jwt` is
    // `utils/jwt/index.ts`, `crate::de` is `de/mod.rs`), and a Go package is its folder.
    let by_folder =
        matches!(stem, "index" | "mod" | "__init__") || path.extension().is_some_and(|extension| extension == "go");
    let folder = by_folder.then(|| path.parent().and_then(Path::file_name).and_then(|name| name.to_str())).flatten();
    contains_word(import_text, stem) || folder.is_some_and(|folder| contains_word(import_text, folder))
}

fn contains_word(text: &str, word: &str) -> bool {
    whole_word_positions(text, word).next().is_some()
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

    // Before the cursor: the cursor line's start, then whole lines while they fit (the
    // first line starting at or after the earliest byte the budget reaches).
    let start = if estimate_tokens(&text[line_start..offset]) > prefix_budget {
        ceil_char_boundary(text, offset.saturating_sub(bytes_within(prefix_budget)))
    } else {
        let earliest = offset.saturating_sub(bytes_within(prefix_budget));
        let mut first_fitting = rope.byte_to_line(earliest);
        if rope.line_to_byte(first_fitting) < earliest {
            first_fitting += 1;
        }
        let first_line = first_fitting.max(cursor_line.saturating_sub(MAX_PREFIX_LINES)).min(cursor_line);
        let snapped = first_line.div_ceil(8) * 8;
        rope.line_to_byte(snapped.min(cursor_line))
    };

    // After the cursor: the rest of the cursor line, then whole lines while they fit (up
    // to the last line ending at or before the latest byte the budget reaches).
    let line_end = if cursor_line + 1 < rope.len_lines() { rope.line_to_byte(cursor_line + 1) } else { text.len() };
    let end = if estimate_tokens(&text[offset..line_end]) > suffix_budget {
        floor_char_boundary(text, offset + bytes_within(suffix_budget))
    } else {
        let latest = offset + bytes_within(suffix_budget);
        let last_line = rope.len_lines() - 1;
        // The last line that may end the window: the one before the line `latest` is in,
        // or the document's last line when the budget reaches the end.
        let last_fitting = if latest >= text.len() { last_line } else { rope.byte_to_line(latest).saturating_sub(1) };
        let last = last_fitting.min(cursor_line + MAX_SUFFIX_LINES).min(last_line);
        match last {
            last if last <= cursor_line => line_end,
            last if last + 1 < rope.len_lines() => rope.line_to_byte(last + 1),
            _ => text.len(),
        }
    };
    start..end
}

/// The most bytes whose estimate fits `budget` tokens: the inverse of [`estimate_tokens`].
fn bytes_within(budget: usize) -> usize {
    budget * 7 / 2
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The window as first written, one line at a time: what `cursor_window` must equal.
    fn window_line_by_line(
        document: &Document,
        text: &str,
        offset: usize,
        prefix: usize,
        suffix: usize,
    ) -> Range<usize> {
        let rope = &document.rope;
        let cursor_line = rope.byte_to_line(offset);
        let line_start = rope.line_to_byte(cursor_line);
        let start = if estimate_tokens(&text[line_start..offset]) > prefix {
            ceil_char_boundary(text, offset.saturating_sub(prefix * 7 / 2))
        } else {
            let mut first_line = cursor_line;
            while first_line > 0 && cursor_line - first_line < MAX_PREFIX_LINES {
                if estimate_tokens(&text[rope.line_to_byte(first_line - 1)..offset]) > prefix {
                    break;
                }
                first_line -= 1;
            }
            rope.line_to_byte((first_line.div_ceil(8) * 8).min(cursor_line))
        };
        let line_end = if cursor_line + 1 < rope.len_lines() { rope.line_to_byte(cursor_line + 1) } else { text.len() };
        let mut end = line_end;
        if estimate_tokens(&text[offset..line_end]) > suffix {
            end = floor_char_boundary(text, offset + suffix * 7 / 2);
        } else {
            let mut last_line = cursor_line + 1;
            while last_line < rope.len_lines() && last_line - cursor_line <= MAX_SUFFIX_LINES {
                let candidate =
                    if last_line + 1 < rope.len_lines() { rope.line_to_byte(last_line + 1) } else { text.len() };
                if estimate_tokens(&text[offset..candidate]) > suffix {
                    break;
                }
                end = candidate;
                last_line += 1;
            }
        }
        start..end
    }

    proptest! {
        #[test]
        fn the_window_is_whole_lines_within_the_budget(
            lines in prop::collection::vec(("[a-z é]{0,40}", prop::sample::select(vec!["\n", "\r\n", "\r"])), 0..400),
            at in any::<prop::sample::Index>(),
            prefix in 0usize..3000,
            suffix in 0usize..1000,
        ) {
            let text: String = lines.iter().map(|(line, end)| format!("{line}{end}")).collect();
            let document = Document::new("file:///w.txt".into(), "plaintext".into(), 1, &text);
            let offset = floor_char_boundary(&text, at.index(text.len() + 1));
            prop_assert_eq!(
                cursor_window(&document, &text, offset, prefix, suffix),
                window_line_by_line(&document, &text, offset, prefix, suffix)
            );
        }
    }
}
