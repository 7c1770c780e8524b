//! Definitions, references, imports and enclosing scopes read from a tree with the
//! language's queries, and a per-document cache that re-reads only what an edit touched.

use std::ops::Range;
use std::sync::Arc;

use dashmap::DashMap;
use streaming_iterator::StreamingIterator;
use tree_sitter::{InputEdit, Node, QueryCursor, Tree};

use super::queries::{self, QueryKind};
use crate::document::Document;
use crate::language::Language;

/// A definition: what a model needs to call or use it, not its body. Its texts are shared:
/// a clone (the open document's cache moving it after an edit, the workspace index keeping
/// it by file and by name) copies no string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: Arc<str>,
    pub kind: SymbolKind,
    /// The declaration without its body (`pub fn parse(input: &str) -> Result<Ast, Error>`),
    /// a class or type with its methods' bodies elided, or the whole text when it is small.
    pub signature: Arc<str>,
    /// Bytes of the whole definition in its file.
    pub range: Range<usize>,
    /// Zero-based first and last line of the definition.
    pub start_line: usize,
    pub end_line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SymbolKind {
    Function,
    Method,
    Class,
    Type,
    Constant,
    Module,
    Interface,
}

impl SymbolKind {
    fn from_capture(name: &str) -> Option<SymbolKind> {
        Some(match name.strip_prefix("definition.")? {
            "function" => SymbolKind::Function,
            "method" => SymbolKind::Method,
            "class" => SymbolKind::Class,
            "type" => SymbolKind::Type,
            "constant" => SymbolKind::Constant,
            "module" => SymbolKind::Module,
            "interface" => SymbolKind::Interface,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Class => "class",
            SymbolKind::Type => "type",
            SymbolKind::Constant => "constant",
            SymbolKind::Module => "module",
            SymbolKind::Interface => "interface",
        }
    }
}

/// A use of a name: a call or a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub range: Range<usize>,
}

/// Signatures longer than this many lines are cut (with a `...` line) so one huge class
/// cannot eat the whole budget.
pub const MAX_SIGNATURE_LINES: usize = 40;
/// Definitions up to this size are shown whole: their body is as cheap as a signature.
const SMALL_DEFINITION_BYTES: usize = 160;

/// Every definition in `text`, in source order.
pub fn extract(language: Language, text: &str, tree: &Tree) -> Vec<Symbol> {
    extract_in_range(language, text, tree, 0..text.len())
}

/// The definitions whose node intersects `range` (inclusive of both ends, so a zero-width
/// range at an edit still finds the definition around it).
pub fn extract_in_range(language: Language, text: &str, tree: &Tree, range: Range<usize>) -> Vec<Symbol> {
    let Some(query) = queries::get(language, QueryKind::Tags) else {
        return Vec::new();
    };
    let capture_names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let query_end = (range.end + 1).min(text.len()).max(range.start);
    cursor.set_byte_range(range.start..query_end);
    let mut symbols: Vec<(Symbol, usize)> = Vec::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(found) = matches.next() {
        let mut definition = None;
        let mut name = None;
        for capture in found.captures {
            let capture_name = capture_names[capture.index as usize];
            if capture_name == "name" {
                name = Some(capture.node);
            } else if let Some(kind) = SymbolKind::from_capture(capture_name) {
                definition = Some((capture.node, kind));
            }
        }
        let (Some((node, kind)), Some(name_node)) = (definition, name) else {
            continue;
        };
        let node = declaration_node(node);
        if node.start_byte() > range.end || node.end_byte() < range.start {
            continue;
        }
        // Constant patterns are not anchored at the root (a root-anchored pattern makes
        // every ranged query walk all top-level nodes); local variables are not definitions.
        if kind == SymbolKind::Constant && !is_top_level(node) {
            continue;
        }
        // A tree edited but not yet reparsed can hold a definition the edit emptied (all its
        // text deleted): it defines nothing.
        let Some(name) = text.get(name_node.byte_range()).filter(|name| !name.is_empty()) else {
            continue;
        };
        symbols.push((
            Symbol {
                name: name.into(),
                kind,
                signature: signature(text, node, kind).into(),
                range: node.byte_range(),
                start_line: node.start_position().row,
                end_line: node.end_position().row,
            },
            found.pattern_index,
        ));
    }
    // Two patterns can describe one node (a Python method is also a function in a block);
    // keep the earliest pattern, which the query files order from most to least specific.
    symbols.sort_by(|(a, a_pattern), (b, b_pattern)| {
        (a.range.start, std::cmp::Reverse(a.range.end), *a_pattern).cmp(&(
            b.range.start,
            std::cmp::Reverse(b.range.end),
            *b_pattern,
        ))
    });
    symbols.dedup_by(|(later, _), (earlier, _)| later.range == earlier.range && later.name == earlier.name);
    symbols.into_iter().map(|(symbol, _)| symbol).collect()
}

/// The names called or used as types inside `range`.
pub fn references(language: Language, text: &str, tree: &Tree, range: Range<usize>) -> Vec<Reference> {
    let Some(query) = queries::get(language, QueryKind::Tags) else {
        return Vec::new();
    };
    let capture_names = query.capture_names();
    let mut cursor = QueryCursor::new();
    cursor.set_byte_range(range.clone());
    let mut references = Vec::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(found) = matches.next() {
        let is_reference =
            found.captures.iter().any(|capture| capture_names[capture.index as usize].starts_with("reference."));
        if !is_reference {
            continue;
        }
        for capture in found.captures {
            if capture_names[capture.index as usize] != "name" {
                continue;
            }
            let node_range = capture.node.byte_range();
            if node_range.end < range.start || node_range.start > range.end {
                continue;
            }
            if let Some(name) = text.get(node_range.clone()) {
                references.push(Reference { name: name.to_string(), range: node_range });
            }
        }
    }
    references.sort_by_key(|reference| reference.range.start);
    references.dedup();
    references
}

/// The byte ranges of the file's import statements, in order. Only top-level statements
/// are considered, so this stays cheap on very long files.
pub fn imports(language: Language, text: &str, tree: &Tree) -> Vec<Range<usize>> {
    imports_in(language, text, tree, None)
}

fn imports_in(language: Language, text: &str, tree: &Tree, region: Option<Range<usize>>) -> Vec<Range<usize>> {
    let Some(query) = queries::get(language, QueryKind::Imports) else {
        return Vec::new();
    };
    let mut cursor = QueryCursor::new();
    cursor.set_max_start_depth(Some(1));
    if let Some(region) = region {
        cursor.set_byte_range(region);
    }
    let import_index = query.capture_index_for_name("import");
    let mut ranges = Vec::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(found) = matches.next() {
        for capture in found.captures {
            // An edit can empty a statement of a tree not yet reparsed: it imports nothing.
            if Some(capture.index) == import_index && !capture.node.byte_range().is_empty() {
                ranges.push(capture.node.byte_range());
            }
        }
    }
    ranges.sort_by_key(|range| range.start);
    ranges.dedup();
    ranges
}

/// The scopes around `offset` matched by `context.scm`, outermost first.
pub fn enclosing<'tree>(language: Language, text: &str, tree: &'tree Tree, offset: usize) -> Vec<Node<'tree>> {
    let Some(query) = queries::get(language, QueryKind::Context) else {
        return Vec::new();
    };
    let mut cursor = QueryCursor::new();
    cursor.set_byte_range(offset..(offset + 1).min(text.len()).max(offset));
    let mut nodes: Vec<Node<'tree>> = Vec::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(found) = matches.next() {
        for capture in found.captures {
            let node = capture.node;
            // Strictly inside: a cursor just after a closing brace is no longer in the scope.
            if node.start_byte() < offset && offset < node.end_byte() && !nodes.contains(&node) {
                nodes.push(node);
            }
        }
    }
    nodes.sort_by_key(|node| (node.start_byte(), std::cmp::Reverse(node.end_byte())));
    nodes
}

/// The text of a scope's header: everything before its body, at most three lines.
pub fn header(text: &str, node: Node) -> String {
    let end = body_of(node).map_or(node.end_byte(), |body| body.start_byte());
    let header = text.get(node.start_byte()..end).unwrap_or_default().trim_end();
    let header = first_lines(header, 3);
    let header = header.trim_end_matches(['{', ':']).trim_end();
    header.to_string()
}

/// The node whose text is the declaration: a Go `type_spec` alone lacks its `type` keyword,
/// a JavaScript `variable_declarator` its `const`.
fn declaration_node(node: Node) -> Node {
    const WRAPPERS: &[&str] = &[
        "type_declaration",
        "const_declaration",
        "var_declaration",
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
    ];
    match node.parent() {
        Some(parent) if WRAPPERS.contains(&parent.kind()) && parent.named_child_count() == 1 => parent,
        _ => node,
    }
}

/// Whether a declaration sits at file level (directly, or inside an `export`).
fn is_top_level(node: Node) -> bool {
    match node.parent() {
        None => true,
        Some(parent) if parent.parent().is_none() => true,
        Some(parent) => {
            matches!(parent.kind(), "export_statement" | "const_declaration" | "var_declaration")
                && parent.parent().is_some_and(|grand| grand.parent().is_none())
                || matches!(parent.kind(), "class_body" | "declaration_list" | "field_declaration_list")
        }
    }
}

fn is_function_like(node: Node) -> bool {
    let kind = node.kind();
    (kind.contains("function") || kind.contains("method") || kind.contains("constructor") || kind.contains("lambda"))
        && !kind.contains("signature")
        && !kind.contains("declarator")
        && !kind.contains("type")
}

/// The body of a function, class or declaration (through a JS `const f = () => {}`).
fn body_of(node: Node) -> Option<Node> {
    if let Some(body) = node.child_by_field_name("body") {
        return Some(body);
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if child.kind() == "variable_declarator" {
            return child.child_by_field_name("value").and_then(|value| value.child_by_field_name("body"));
        }
    }
    node.child_by_field_name("value").and_then(|value| value.child_by_field_name("body"))
}

fn signature(text: &str, node: Node, kind: SymbolKind) -> String {
    let Some(whole) = text.get(node.byte_range()) else {
        return String::new();
    };
    if whole.len() <= SMALL_DEFINITION_BYTES {
        return whole.to_string();
    }
    let signature = match kind {
        SymbolKind::Function | SymbolKind::Method => match body_of(node) {
            Some(body) if body.start_byte() > node.start_byte() => {
                let header = text[node.start_byte()..body.start_byte()].trim_end();
                header.trim_end_matches('{').trim_end().to_string()
            }
            _ => whole.to_string(),
        },
        SymbolKind::Constant => whole.to_string(),
        _ => elide_bodies(text, node),
    };
    limit_lines(&signature, MAX_SIGNATURE_LINES)
}

/// The text of `node` with the bodies of the functions inside it replaced by `{ ... }`
/// (or `...` where the body is an indented block), so a class reads as its interface.
fn elide_bodies(text: &str, node: Node) -> String {
    let mut elided: Vec<Range<usize>> = Vec::new();
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        let mut cursor = current.walk();
        for child in current.named_children(&mut cursor) {
            if is_function_like(child) {
                if let Some(body) = body_of(child) {
                    elided.push(body.byte_range());
                    continue;
                }
            }
            if child.named_child_count() > 0 {
                stack.push(child);
            }
        }
    }
    elided.sort_by_key(|range| range.start);
    let mut result = String::new();
    let mut position = node.start_byte();
    for body in elided {
        if body.start < position {
            continue;
        }
        result.push_str(text[position..body.start].trim_end_matches([' ', '\t', '\n', '\r']));
        result.push_str(if text[body.clone()].starts_with('{') { " { ... }" } else { " ..." });
        position = body.end;
    }
    result.push_str(&text[position..node.end_byte()]);
    result
}

fn first_lines(text: &str, count: usize) -> &str {
    match text.match_indices('\n').nth(count.saturating_sub(1)) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

fn limit_lines(text: &str, count: usize) -> String {
    let kept = first_lines(text, count);
    if kept.len() == text.len() {
        text.to_string()
    } else {
        format!("{}\n    ...", kept.trim_end())
    }
}

/// What the context engine knows about one open document at one version. Cloning it is
/// two reference counts.
#[derive(Debug, Clone)]
pub struct FileFacts {
    pub version: i32,
    pub symbols: Arc<Vec<Symbol>>,
    pub imports: Arc<Vec<Range<usize>>>,
}

/// Symbols and imports of open documents, kept current by the edits of each change: only
/// the edited region is queried again, the rest is moved by the edit (symbols share their
/// text, so moving one copies no string), and a reparse adds the regions whose syntax it
/// changed. The server updates it on every keystroke, so a completion request finds it ready.
#[derive(Debug, Default)]
pub struct SymbolCache {
    entries: DashMap<String, CacheEntry>,
}

#[derive(Debug, Clone)]
struct CacheEntry {
    facts: FileFacts,
    /// The tree the facts were read from, and its parse (`Document::parse_id`).
    tree: Tree,
    parse_id: u64,
}

impl SymbolCache {
    pub fn new() -> SymbolCache {
        SymbolCache::default()
    }

    /// The facts of `document`: the cached ones, brought up to date by the edits and the
    /// reparse since (a full extraction only when the cache has nothing to start from).
    pub fn facts(&self, document: &Document) -> FileFacts {
        let (Some(language), Some(tree)) = (document.language, document.tree.as_ref()) else {
            return FileFacts { version: document.version, symbols: Arc::default(), imports: Arc::default() };
        };
        let previous = self.entries.get(&document.uri).map(|entry| entry.clone());
        if let Some(previous) = &previous {
            if previous.facts.version == document.version && previous.parse_id == document.parse_id {
                return previous.facts.clone();
            }
        }
        let text = document.full_text();
        let edits =
            previous.as_ref().and_then(|previous| Some((previous, document.edits_since(previous.facts.version)?)));
        let (symbols, imports) = match edits {
            Some((previous, edits)) => update(language, text, tree, document.parse_id, previous, &edits),
            None => (extract(language, text, tree), imports(language, text, tree)),
        };
        let facts = FileFacts { version: document.version, symbols: Arc::new(symbols), imports: Arc::new(imports) };
        let entry = CacheEntry { facts: facts.clone(), tree: tree.clone(), parse_id: document.parse_id };
        // A slower update for an older version (a reparse's) must not replace a newer one.
        match self.entries.entry(document.uri.clone()) {
            dashmap::mapref::entry::Entry::Occupied(mut occupied) => {
                if occupied.get().facts.version <= document.version {
                    occupied.insert(entry);
                }
            }
            dashmap::mapref::entry::Entry::Vacant(vacant) => {
                vacant.insert(entry);
            }
        }
        facts
    }

    pub fn remove(&self, uri: &str) {
        self.entries.remove(uri);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Regions sorted and merged where they overlap or touch.
fn merge_regions(mut regions: Vec<Range<usize>>) -> Vec<Range<usize>> {
    regions.sort_by_key(|region| region.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(regions.len());
    for region in regions {
        match merged.last_mut() {
            // Touching regions merge: both ends are inclusive for the queries.
            Some(last) if region.start <= last.end => last.end = last.end.max(region.end),
            _ => merged.push(region),
        }
    }
    merged
}

/// The symbols and imports after `edits` (in order) and, when the document was reparsed
/// since, the syntax changes of that reparse: the previous symbols outside the edited
/// regions, moved by the edits, plus those read again inside them.
fn update(
    language: Language,
    text: &str,
    tree: &Tree,
    parse_id: u64,
    previous: &CacheEntry,
    edits: &[InputEdit],
) -> (Vec<Symbol>, Vec<Range<usize>>) {
    // Map the old symbols and imports through each edit. Those touching an edit keep their
    // (stretched) extent only to widen the region that is read again.
    let mut symbols: Vec<Symbol> = previous.facts.symbols.as_ref().clone();
    let mut imports: Vec<Range<usize>> = previous.facts.imports.as_ref().clone();
    let mut regions: Vec<Range<usize>> = Vec::with_capacity(edits.len() + 2);
    for edit in edits {
        let (start, old_end, new_end) = (edit.start_byte, edit.old_end_byte, edit.new_end_byte);
        let byte_delta = new_end as isize - old_end as isize;
        let line_delta = edit.new_end_position.row as isize - edit.old_end_position.row as isize;
        // A region or a definition through the edit: before it, unchanged; after it, moved;
        // touching it, stretched over the edit's new text.
        let move_through = |range: &Range<usize>| -> Range<usize> {
            if range.end < start {
                range.clone()
            } else if range.start > old_end {
                shift(range.start, byte_delta)..shift(range.end, byte_delta)
            } else {
                range.start.min(start)..if range.end > old_end { shift(range.end, byte_delta) } else { new_end }
            }
        };
        for region in regions.iter_mut() {
            *region = move_through(region);
        }
        regions.push(start..new_end);
        symbols.retain_mut(|symbol| {
            if symbol.range.end < start {
                true
            } else if symbol.range.start > old_end {
                symbol.range = shift(symbol.range.start, byte_delta)..shift(symbol.range.end, byte_delta);
                symbol.start_line = shift(symbol.start_line, line_delta);
                symbol.end_line = shift(symbol.end_line, line_delta);
                true
            } else {
                regions.push(move_through(&symbol.range));
                false
            }
        });
        // An import the edit touched is found again by the query of the edit's region.
        imports.retain_mut(|range| {
            if range.end <= start {
                true
            } else if range.start >= old_end {
                *range = shift(range.start, byte_delta)..shift(range.end, byte_delta);
                true
            } else {
                false
            }
        });
    }
    // A reparse since the cached tree: what it changed in the syntax is read again too.
    let same_parse = parse_id == previous.parse_id;
    let mut old_tree = None;
    if !same_parse {
        let mut edited = previous.tree.clone();
        for edit in edits {
            edited.edit(edit);
        }
        regions.extend(edited.changed_ranges(tree).map(|changed| changed.start_byte..changed.end_byte));
        old_tree = Some(edited);
    }
    let mut regions = merge_regions(regions);
    // Read the regions again; grow them until no old or new definition straddles an edge, so
    // every definition is either reused whole or re-extracted whole.
    let fresh = loop {
        let intersects =
            |range: &Range<usize>, region: &Range<usize>| range.start <= region.end && range.end >= region.start;
        let mut fresh: Vec<Symbol> = Vec::new();
        let mut grown_regions: Vec<Range<usize>> = Vec::with_capacity(regions.len());
        for region in &regions {
            let mut grown = region.clone();
            for symbol in extract_in_range(language, text, tree, region.clone()) {
                if intersects(&symbol.range, region) {
                    grown.start = grown.start.min(symbol.range.start);
                    grown.end = grown.end.max(symbol.range.end);
                    fresh.push(symbol);
                }
            }
            grown_regions.push(grown);
        }
        for region in grown_regions.iter_mut() {
            let reach = region.clone();
            for symbol in symbols.iter().filter(|symbol| intersects(&symbol.range, &reach)) {
                region.start = region.start.min(symbol.range.start);
                region.end = region.end.max(symbol.range.end);
            }
        }
        let grown_regions = merge_regions(grown_regions);
        if grown_regions == regions {
            break fresh;
        }
        regions = grown_regions;
    };
    let outside_every_region =
        |range: &Range<usize>| regions.iter().all(|region| range.end < region.start || range.start > region.end);
    symbols.retain(|symbol| outside_every_region(&symbol.range));
    symbols.extend(fresh);
    symbols.sort_by(|a, b| {
        (a.range.start, std::cmp::Reverse(a.range.end)).cmp(&(b.range.start, std::cmp::Reverse(b.range.end)))
    });
    symbols.dedup_by(|later, earlier| later.range == earlier.range && later.name == earlier.name);

    let imports = match old_tree {
        // The same parse: the tree's shape is unchanged outside the edits, so the imports
        // outside the regions are those of before, moved.
        None => {
            imports.retain(|range| outside_every_region(range));
            for region in &regions {
                // One byte wider on each side: a node that only touches the region counts.
                let query = region.start.saturating_sub(1)..(region.end + 1).min(text.len());
                let found = imports_in(language, text, tree, Some(query));
                imports.extend(found.into_iter().filter(|range| !outside_every_region(range)));
            }
            imports.sort_by_key(|range| range.start);
            imports.dedup();
            imports
        }
        Some(old_tree) => update_imports(language, text, tree, &old_tree, imports, &regions),
    };
    (symbols, imports)
}

/// Imports are captured on top-level nodes, so after a reparse only the top-level nodes that
/// touch a read region can have changed — provided every other top-level node is still
/// there, same kind, same place. Error recovery can break that (a `use` moves between the top
/// level and a nested node outside the edit; the property test found one), and then the whole
/// file is queried again. `moved` holds the previous imports outside the edits, moved by them.
fn update_imports(
    language: Language,
    text: &str,
    tree: &Tree,
    old_tree: &Tree,
    moved: Vec<Range<usize>>,
    regions: &[Range<usize>],
) -> Vec<Range<usize>> {
    let outside =
        |range: &Range<usize>| regions.iter().all(|region| range.end < region.start || range.start > region.end);
    let top_level = |tree: &Tree| -> Vec<(u16, Range<usize>)> {
        let root = tree.root_node();
        let mut cursor = root.walk();
        root.children(&mut cursor).map(|node| (node.kind_id(), node.byte_range())).collect()
    };
    let new_children = top_level(tree);
    let unchanged_old: Vec<(u16, Range<usize>)> =
        top_level(old_tree).into_iter().filter(|(_, range)| outside(range)).collect();
    let unchanged_new: Vec<(u16, Range<usize>)> =
        new_children.iter().filter(|(_, range)| outside(range)).cloned().collect();
    if unchanged_old != unchanged_new {
        return imports(language, text, tree);
    }
    let mut result: Vec<Range<usize>> = moved.into_iter().filter(|range| outside(range)).collect();
    let touched: Vec<Range<usize>> =
        new_children.iter().filter(|(_, range)| !outside(range)).map(|(_, range)| range.clone()).collect();
    for region in merge_regions(touched) {
        result.extend(imports_in(language, text, tree, Some(region)).into_iter().filter(|range| !outside(range)));
    }
    result.sort_by_key(|range| range.start);
    result.dedup();
    result
}

fn shift(value: usize, delta: isize) -> usize {
    (value as isize + delta).max(0) as usize
}
