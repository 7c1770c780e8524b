//! Definitions, references, imports and enclosing scopes read from a tree with the
//! language's queries, and a per-document cache that re-reads only what an edit touched.

use std::ops::Range;
use std::sync::Arc;

use dashmap::DashMap;
use streaming_iterator::StreamingIterator;
use tree_sitter::{InputEdit, Node, QueryCursor, Tree};

use super::queries::{self, QueryKind, TagsPart};
use crate::document::Document;
use crate::language::Language;
use crate::windowed;

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
    /// The type, trait, class or object the definition is a member of (`Usage` for
    /// `impl Usage { fn new() }`, `Context` for Go's `func (c *Context) Param`), so that
    /// `Usage::new` and `c.Param()` find it among every `new` and `Param`.
    pub container: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SymbolKind {
    Function,
    Method,
    Class,
    Type,
    Constant,
    /// A class field, reached only through an object (`this.cache`), never by a bare name.
    Field,
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
            "field" => SymbolKind::Field,
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
            SymbolKind::Field => "field",
            SymbolKind::Module => "module",
            SymbolKind::Interface => "interface",
        }
    }
}

/// A use of a name: a call, a type, or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub range: Range<usize>,
    pub kind: ReferenceKind,
    /// What the name is reached through: `Usage` in `Usage::new`, `url` in `url.copy_with()`,
    /// `self` in `self.flush()` (the last segment of a longer path).
    pub qualifier: Option<String>,
    /// Every segment of the qualifier, outermost first: `docs`, `usage` in
    /// `docs::usage::render_short()`; `util` in `util.normalize()`. A quoted first segment is
    /// a module specifier (`"./x"` in `require("./x").name`). Empty for a bare name or a
    /// qualifier that is not a plain path (`f().x`, `self.a.b` in Rust).
    pub path: Vec<String>,
}

/// How a name is used; calls and types are the surest signs of a definition elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferenceKind {
    Call,
    Type,
    Variable,
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
    let Some(query) = queries::tags(language, TagsPart::Definitions) else {
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
        let entry = node.kind() == "pair";
        if kind == SymbolKind::Constant && !entry && !is_top_level(node) {
            continue;
        }
        // Members of object literals count only in objects that are themselves module-level
        // (`module.exports = {…}`, `export default {…}`, `jQuery.extend({…})`), not in
        // every options object of every function; entries that are not functions only in
        // objects a module exports (`module.exports = { ERR_A: createError(…) }`,
        // `export const constants = {…}`), where each entry is a definition importers use.
        if entry && !is_module_level_object(node)
            || entry && kind == SymbolKind::Constant && !is_exported_object(text, node)
        {
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
                container: container_of(text, node).map(Arc::from),
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

/// The names called, used as types or used as values inside `range`, with what each is
/// reached through. A name captured twice (a call is also an identifier) keeps its
/// strongest kind.
pub fn references(language: Language, text: &str, tree: &Tree, range: Range<usize>) -> Vec<Reference> {
    let Some(query) = queries::tags(language, TagsPart::References) else {
        return Vec::new();
    };
    let capture_names = query.capture_names();
    let mut cursor = QueryCursor::new();
    cursor.set_byte_range(range.clone());
    let mut references = Vec::new();
    let mut parents = Parents::new(tree);
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(found) = matches.next() {
        let kind = found.captures.iter().find_map(|capture| match capture_names[capture.index as usize] {
            "reference.call" => Some(ReferenceKind::Call),
            "reference.type" => Some(ReferenceKind::Type),
            "reference.variable" => Some(ReferenceKind::Variable),
            _ => None,
        });
        let Some(kind) = kind else {
            continue;
        };
        for capture in found.captures {
            if capture_names[capture.index as usize] != "name" {
                continue;
            }
            let node_range = capture.node.byte_range();
            if node_range.end < range.start || node_range.start > range.end {
                continue;
            }
            let parent = parents.of(capture.node);
            if parent.is_some_and(|parent| is_declared_name(parent, capture.node)) {
                continue;
            }
            if let Some(name) = text.get(node_range.clone()) {
                let object = parent.and_then(|parent| qualifier_node(parent, capture.node));
                let mut qualifier = object.and_then(|object| last_segment(text, object));
                let mut path = object.map(|object| qualifier_path(language, text, object)).unwrap_or_default();
                if parent.is_some_and(|parent| parent.kind() == "token_tree") {
                    // A macro's arguments are tokens, not expressions: `tri!(crate::to_string(v))`.
                    path = token_path(text, capture.node);
                    qualifier = path.last().cloned();
                }
                references.push(Reference { name: name.to_string(), range: node_range, kind, qualifier, path });
            }
        }
    }
    references.sort_by_key(|reference| (reference.range.start, reference.range.end, reference.kind));
    references.dedup_by(|later, earlier| later.range == earlier.range);
    references
}

/// Parents of nodes met in document order, found from the path to the last one.
/// `Node::parent` walks down from the root, past every earlier child at each level: on a
/// file of 2,500 top-level definitions, that is most of a request's reference search.
struct Parents<'tree> {
    /// The path from the root to the last node asked about.
    path: Vec<Node<'tree>>,
}

impl<'tree> Parents<'tree> {
    fn new(tree: &'tree Tree) -> Parents<'tree> {
        Parents { path: vec![tree.root_node()] }
    }

    fn of(&mut self, node: Node<'tree>) -> Option<Node<'tree>> {
        // Back up to the deepest node of the path that can contain `node`, then walk down.
        while self.path.len() > 1 {
            let last = self.path[self.path.len() - 1];
            if last.start_byte() <= node.start_byte() && node.end_byte() <= last.end_byte() && last.id() != node.id() {
                break;
            }
            self.path.pop();
        }
        loop {
            let deepest = *self.path.last()?;
            match deepest.child_with_descendant(node) {
                Some(child) if child.id() == node.id() => {
                    self.path.push(child);
                    return Some(deepest);
                }
                Some(child) => self.path.push(child),
                // A node with the same range that is not an ancestor (empty nodes side by
                // side): ask the tree.
                None => {
                    self.path.truncate(1);
                    return node.parent();
                }
            }
        }
    }
}

/// Whether `node` (a child of `parent`) is the name a declaration gives (`close` in
/// `def close(self)`, a keyword argument's keyword): a use of nothing, though the broad
/// value patterns match it.
fn is_declared_name(parent: Node, node: Node) -> bool {
    let kind = parent.kind();
    let declares = kind.ends_with("_definition")
        || kind.ends_with("_declaration")
        || kind.ends_with("_item")
        || kind.ends_with("_signature")
        || kind.ends_with("_spec")
        || kind == "keyword_argument";
    declares && parent.child_by_field_name("name") == Some(node)
}

/// What `name` is reached through in `a.name`, `a::name`, `a.b.name` (`a.b`), `self.name`;
/// `None` for a bare name. `parent` is `name`'s.
fn qualifier_node<'tree>(parent: Node<'tree>, name: Node<'tree>) -> Option<Node<'tree>> {
    let object = match parent.kind() {
        "field_expression" | "member_expression" | "attribute" | "selector_expression" | "field_access" => {
            let object = parent
                .child_by_field_name("value")
                .or_else(|| parent.child_by_field_name("object"))
                .or_else(|| parent.child_by_field_name("operand"))?;
            (object != name).then_some(object)?
        }
        "scoped_identifier" | "scoped_type_identifier" | "qualified_identifier" => {
            let path = parent.child_by_field_name("path").or_else(|| parent.child_by_field_name("scope"))?;
            (path != name).then_some(path)?
        }
        "nested_type_identifier" => parent.child_by_field_name("module").filter(|module| *module != name)?,
        "method_invocation" => parent.child_by_field_name("object")?,
        _ => return None,
    };
    Some(object)
}

/// The path before a name among a macro's tokens: `crate`, `ser` for `to_string` in
/// `tri!(crate::ser::to_string(v))`; empty when `::` does not precede it.
fn token_path(text: &str, name: Node) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = name;
    while segments.len() < 8 {
        let Some(separator) = current.prev_sibling().filter(|separator| separator.kind() == "::") else {
            break;
        };
        let Some(segment) = separator.prev_sibling() else {
            break;
        };
        // `$crate` in a macro's definition is the crate that defines it.
        match text
            .get(segment.byte_range())
            .map(|word| word.strip_prefix('$').filter(|w| *w == "crate").unwrap_or(word))
        {
            Some(word) if !word.is_empty() && word.chars().all(crate::text::is_name_char) => {
                segments.push(word.to_string());
                current = segment;
            }
            _ => break,
        }
    }
    segments.reverse();
    segments
}

/// The segments of a qualifier that is a plain path of names (`a::b`, `a.b`, `a.b.c` in a
/// type), or a `require("…")` call and names after it; empty for anything else.
fn qualifier_path(language: Language, text: &str, object: Node) -> Vec<String> {
    let mut segments = Vec::new();
    if path_segments(language, text, object, &mut segments, 0) {
        segments
    } else {
        Vec::new()
    }
}

fn path_segments(language: Language, text: &str, node: Node, out: &mut Vec<String>, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    let child = |field: &str, out: &mut Vec<String>| {
        node.child_by_field_name(field).is_some_and(|child| path_segments(language, text, child, out, depth + 1))
    };
    match node.kind() {
        "identifier" | "type_identifier" | "property_identifier" | "field_identifier" | "crate" | "super" | "self" => {
            match text.get(node.byte_range()) {
                Some(name) => {
                    out.push(name.to_string());
                    true
                }
                None => false,
            }
        }
        "scoped_identifier" | "scoped_type_identifier" => {
            // `::name` (no path) names an external crate: nothing to resolve here.
            child("path", out) && child("name", out)
        }
        // In Rust `a.b` is a field, never a module.
        "member_expression" => child("object", out) && child("property", out),
        "attribute" => child("object", out) && child("attribute", out),
        "nested_type_identifier" => child("module", out) && child("name", out),
        "call_expression" if out.is_empty() && language != Language::Rust => {
            let is_require = node
                .child_by_field_name("function")
                .and_then(|function| text.get(function.byte_range()))
                .is_some_and(|function| function == "require" || function == "import");
            let spec = node
                .child_by_field_name("arguments")
                .and_then(|arguments| arguments.named_child(0))
                .filter(|argument| argument.kind() == "string")
                .and_then(|argument| text.get(argument.byte_range()));
            // Quotes on both ends: a string the parser closed with a missing quote is not one.
            let unquoted = spec
                .filter(|_| is_require)
                .and_then(|spec| spec.strip_prefix(['"', '\'']))
                .and_then(|spec| spec.strip_suffix(['"', '\'']));
            match unquoted {
                Some(spec) => {
                    out.push(format!("\"{spec}\""));
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// The last plain name of a path or member chain: `Usage` in `crate::output::Usage`, `url` in
/// `self.url`, `self` itself.
fn last_segment(text: &str, node: Node) -> Option<String> {
    let mut node = node;
    loop {
        let next = match node.kind() {
            "scoped_identifier" | "scoped_type_identifier" => node.child_by_field_name("name"),
            "field_expression" => node.child_by_field_name("field"),
            "member_expression" => node.child_by_field_name("property"),
            "attribute" => node.child_by_field_name("attribute"),
            "selector_expression" => node.child_by_field_name("field"),
            "field_access" => node.child_by_field_name("field"),
            "generic_type" => node.child_by_field_name("type"),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => break,
        }
    }
    let segment = text.get(node.byte_range())?;
    let is_name = !segment.is_empty() && segment.chars().all(crate::text::is_name_char);
    is_name.then(|| segment.to_string())
}

/// The type, trait, class or module-level object `node` is a member of.
fn container_of(text: &str, node: Node) -> Option<String> {
    if node.kind() == "method_declaration" {
        // Go: `func (c *Context) Param(key string) string`.
        if let Some(receiver) = node.child_by_field_name("receiver") {
            return type_name(text, receiver);
        }
    }
    if let Some(assigned) = assigned_member(node) {
        // `Runnable.prototype.timeout = function` belongs to `Runnable`.
        let object = assigned.child_by_field_name("object")?;
        let object = match object.kind() {
            "member_expression"
                if object.child_by_field_name("property").and_then(|p| text.get(p.byte_range()))
                    == Some("prototype") =>
            {
                object.child_by_field_name("object")?
            }
            _ => object,
        };
        return last_segment(text, object);
    }
    let mut current = node.parent();
    let mut depth = 0;
    while let Some(ancestor) = current {
        depth += 1;
        if depth > 12 {
            return None;
        }
        match ancestor.kind() {
            "impl_item" => return ancestor.child_by_field_name("type").and_then(|t| type_name(text, t)),
            "trait_item"
            | "class_definition"
            | "class_declaration"
            | "abstract_class_declaration"
            | "interface_declaration"
            | "class_specifier"
            | "struct_specifier"
            | "enum_declaration"
            | "record_declaration"
            | "class" => {
                return ancestor
                    .child_by_field_name("name")
                    .and_then(|name| text.get(name.byte_range()))
                    .map(str::to_string)
            }
            "object" => return object_name(text, ancestor),
            "function_item" | "function_definition" | "function_declaration" | "method_definition" => return None,
            _ => {}
        }
        current = ancestor.parent();
    }
    None
}

/// `exports.isString` in `exports.isString = function …` (through its statement).
fn assigned_member(node: Node) -> Option<Node> {
    let assignment = match node.kind() {
        "assignment_expression" => node,
        "expression_statement" => node.named_child(0).filter(|child| child.kind() == "assignment_expression")?,
        _ => return None,
    };
    assignment.child_by_field_name("left").filter(|left| left.kind() == "member_expression")
}

/// The name a module-level object literal goes by: the variable it initialises, the member
/// it is assigned to, or the object a call on it extends (`jQuery` in `jQuery.extend({…})`).
fn object_name(text: &str, object: Node) -> Option<String> {
    let parent = object.parent()?;
    match parent.kind() {
        "variable_declarator" => parent.child_by_field_name("name").and_then(|name| last_segment(text, name)),
        "assignment_expression" => parent.child_by_field_name("left").and_then(|left| last_segment(text, left)),
        "arguments" => {
            let call = parent.parent()?;
            let mut callee = call.child_by_field_name("function")?;
            while callee.kind() == "member_expression" {
                callee = callee.child_by_field_name("object")?;
            }
            last_segment(text, callee)
        }
        _ => None,
    }
}

/// The first type name inside a type (or receiver, or parameter): `Usage` in `Usage<'a>`,
/// `Context` in `*Context` and `&mut Context`, `ValueParser` in `super::ValueParser`.
pub(crate) fn type_name(text: &str, node: Node) -> Option<String> {
    // Grammars with type identifiers (Rust, Go, TypeScript, Java, C) name types by them;
    // Python annotations are plain identifiers.
    let found = first_descendant(node, &|candidate| candidate.kind() == "type_identifier").or_else(|| {
        first_descendant(node, &|candidate| {
            candidate.kind() == "identifier"
                && !candidate.parent().is_some_and(|parent| parent.child_by_field_name("name") == Some(candidate))
        })
    })?;
    text.get(found.byte_range()).map(str::to_string)
}

fn first_descendant<'tree>(node: Node<'tree>, wanted: &dyn Fn(Node) -> bool) -> Option<Node<'tree>> {
    let mut stack = vec![node];
    let mut visited = 0;
    while let Some(current) = stack.pop() {
        visited += 1;
        if visited > 256 {
            return None;
        }
        if wanted(current) {
            return Some(current);
        }
        let mut cursor = current.walk();
        let children: Vec<Node> = current.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}

/// Whether an object literal member sits in an object the module exports: `export const x =
/// {…}`, `export default {…}`, `module.exports = {…}`, `exports.x = {…}`.
fn is_exported_object(text: &str, pair: Node) -> bool {
    let Some(object) = pair.parent().filter(|object| object.kind() == "object") else {
        return false;
    };
    let Some(parent) = object.parent() else {
        return false;
    };
    match parent.kind() {
        "variable_declarator" => parent
            .parent()
            .and_then(|declaration| declaration.parent())
            .is_some_and(|statement| statement.kind() == "export_statement"),
        "assignment_expression" => parent.child_by_field_name("left").is_some_and(|left| {
            let mut root = left;
            while root.kind() == "member_expression" {
                match root.child_by_field_name("object") {
                    Some(object) => root = object,
                    None => return false,
                }
            }
            left.kind() == "member_expression" && matches!(text.get(root.byte_range()), Some("module" | "exports"))
        }),
        "export_statement" => true,
        _ => false,
    }
}

/// Whether an object literal member sits in a module-level object.
fn is_module_level_object(pair: Node) -> bool {
    let Some(mut current) = pair.parent().filter(|object| object.kind() == "object") else {
        return false;
    };
    for _ in 0..6 {
        let Some(parent) = current.parent() else {
            return false;
        };
        match parent.kind() {
            "program" => return true,
            "variable_declarator"
            | "lexical_declaration"
            | "variable_declaration"
            | "arguments"
            | "call_expression"
            | "assignment_expression"
            | "expression_statement"
            | "export_statement"
            | "parenthesized_expression" => current = parent,
            _ => return false,
        }
    }
    false
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

/// The node whose text is the declaration as the author wrote it: a Go `type_spec` alone
/// lacks its `type` keyword, a JavaScript `variable_declarator` its `const`, a declaration
/// its `export` (or `export default`), a Python function its decorators (`@property`,
/// `@staticmethod` change how it is called). The model needs the lead to know a name can
/// be imported and how it is used.
fn declaration_node(node: Node) -> Node {
    const WRAPPERS: &[&str] = &[
        "type_declaration",
        "const_declaration",
        "var_declaration",
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
    ];
    let mut node = match node.parent() {
        Some(parent) if WRAPPERS.contains(&parent.kind()) && parent.named_child_count() == 1 => parent,
        _ => node,
    };
    while let Some(parent) = node.parent() {
        let wraps = match parent.kind() {
            "export_statement" => {
                parent.child_by_field_name("declaration") == Some(node)
                    || parent.child_by_field_name("value") == Some(node)
            }
            "decorated_definition" => parent.child_by_field_name("definition") == Some(node),
            _ => false,
        };
        if !wraps {
            break;
        }
        node = parent;
    }
    node
}

/// Whether a declaration sits at file level (directly, or inside an `export`, a Go
/// `const`/`var` block), or is a member of a type (an associated `const`, a class attribute).
fn is_top_level(node: Node) -> bool {
    const WRAPPERS: &[&str] = &[
        "export_statement",
        "const_declaration",
        "var_declaration",
        "var_spec_list",
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
        "decorated_definition",
    ];
    let mut current = node;
    while let Some(parent) = current.parent() {
        if WRAPPERS.contains(&parent.kind()) {
            current = parent;
            continue;
        }
        return parent.parent().is_none()
            || matches!(parent.kind(), "class_body" | "declaration_list" | "field_declaration_list")
            || parent.kind() == "block" && parent.parent().is_some_and(|owner| owner.kind() == "class_definition");
    }
    true
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
    let wrapped = match node.kind() {
        "export_statement" => node.child_by_field_name("declaration").or_else(|| node.child_by_field_name("value")),
        "decorated_definition" => node.child_by_field_name("definition"),
        _ => None,
    };
    if let Some(inner) = wrapped {
        return body_of(inner);
    }
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
    // An object's entry as written: with the comma that ends its line.
    let comma = node.kind() == "pair" && text.get(node.end_byte()..).is_some_and(|after| after.starts_with(','));
    let end = node.end_byte() + usize::from(comma);
    let Some(whole) = text.get(node.start_byte()..end) else {
        return String::new();
    };
    if whole.len() <= SMALL_DEFINITION_BYTES {
        return whole.to_string();
    }
    let signature = match kind {
        SymbolKind::Function | SymbolKind::Method => match body_of(node) {
            // The header exactly as written, through its opening brace (or colon, or `=>`),
            // so its first line is the source's first line.
            Some(body) if body.start_byte() > node.start_byte() => {
                let header = text[node.start_byte()..body.start_byte()].trim_end();
                let body_text = &text[body.byte_range()];
                if body_text.starts_with('{') {
                    format!("{header} {{ ... }}")
                } else if header.ends_with(':') {
                    header.to_string()
                } else {
                    format!("{header} ...")
                }
            }
            _ => whole.to_string(),
        },
        SymbolKind::Constant | SymbolKind::Field => whole.to_string(),
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
    /// The part of the text that tree covers (`Document::window`).
    window: Option<Range<usize>>,
    /// Regions read from a tree that was edited but not reparsed: their facts follow the old
    /// shape and are read again after the next reparse. `Tree::changed_ranges` does not
    /// always report them (two statements merged by a deletion; the property test found it).
    provisional: Arc<Vec<Range<usize>>>,
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
        if let (Some(window), Some(previous)) = (&document.window, &previous) {
            if previous.facts.version > document.version {
                // A large document's snapshot older than the cached facts (a reparse that
                // finished behind the typing, a request that raced a keystroke): the edits
                // back to it are unknown and a full reading takes a tenth of a second. Its
                // window's facts serve the one reader (not kept); after the adoption the
                // cache follows the edits as usual.
                return FileFacts {
                    version: document.version,
                    symbols: Arc::new(extract_in_range(language, text, tree, window.clone())),
                    imports: Arc::new(imports_in(language, text, tree, Some(window.clone()))),
                };
            }
        }
        let edits =
            previous.as_ref().and_then(|previous| Some((previous, document.edits_since(previous.facts.version)?)));
        // A snapshot taken just before its document adopted a newer parse whose facts are
        // cached (the reparse after a pause reads them first): follow that parse, moved by the
        // edits since, as the document does once it adopts it, instead of comparing trees
        // backwards.
        let newer_parse =
            edits.as_ref().filter(|(previous, _)| previous.parse_id > document.parse_id).map(|(previous, edits)| {
                let mut moved = previous.tree.clone();
                let mut window = previous.window.clone();
                for edit in edits {
                    moved.edit(edit);
                    window = window.map(|window| windowed::move_range(&window, edit));
                }
                let stale = !edits.is_empty() || !previous.provisional.is_empty();
                (moved, previous.parse_id, window, stale)
            });
        let (tree, parse_id, window, stale) = match &newer_parse {
            Some((moved, parse_id, window, stale)) => (moved, *parse_id, window.clone(), *stale),
            None => (tree, document.parse_id, document.window.clone(), document.tree_stale),
        };
        let (symbols, imports, read) = match edits {
            Some((previous, edits)) => update(language, text, tree, window.as_ref(), parse_id, previous, &edits),
            None if document.window.is_some() => {
                let (symbols, imports) = extract_in_chunks(language, text, &document.rope);
                (symbols, imports, std::iter::once(0..text.len()).collect())
            }
            None => {
                (extract(language, text, tree), imports(language, text, tree), std::iter::once(0..text.len()).collect())
            }
        };
        let provisional = if stale { read } else { Vec::new() };
        let facts = FileFacts { version: document.version, symbols: Arc::new(symbols), imports: Arc::new(imports) };
        let entry = CacheEntry {
            facts: facts.clone(),
            tree: tree.clone(),
            parse_id,
            window,
            provisional: Arc::new(provisional),
        };
        // The newest parse wins, then the newest version: a reparse's facts at an older
        // version are the better start for the next update (the edits since, no tree
        // comparison), and an update from an older tree must not replace them.
        match self.entries.entry(document.uri.clone()) {
            dashmap::mapref::entry::Entry::Occupied(mut occupied) => {
                let cached = occupied.get();
                if (cached.parse_id, cached.facts.version) <= (parse_id, document.version) {
                    occupied.insert(entry);
                }
            }
            dashmap::mapref::entry::Entry::Vacant(vacant) => {
                vacant.insert(entry);
            }
        }
        facts
    }

    /// Opens a document with its facts: a large one's are read from the chunks its first
    /// parse reads anyway (one pass over the file, not two).
    pub fn open(&self, uri: String, language_id: String, version: i32, text: &str) -> Document {
        let mut read = (Vec::new(), Vec::new());
        let document = Document::new_reading(uri, language_id, version, text, |language, tree, chunk| {
            read_chunk(language, text, tree, chunk, &mut read)
        });
        match (&document.window, &document.tree) {
            (Some(window), Some(tree)) => {
                let (symbols, imports) = read;
                let entry = CacheEntry {
                    facts: FileFacts { version, symbols: Arc::new(symbols), imports: Arc::new(imports) },
                    tree: tree.clone(),
                    parse_id: document.parse_id,
                    window: Some(window.clone()),
                    provisional: Arc::default(),
                };
                self.entries.insert(document.uri.clone(), entry);
            }
            _ => {
                self.facts(&document);
            }
        }
        document
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

/// The definitions and imports of a large document, read chunk by chunk: one small tree at
/// a time instead of the whole text's.
pub fn extract_in_chunks(
    language: Language,
    text: &str,
    source: &impl windowed::Source,
) -> (Vec<Symbol>, Vec<Range<usize>>) {
    let mut facts = (Vec::new(), Vec::new());
    windowed::read_in_chunks(language, source, |tree, chunk| read_chunk(language, text, tree, chunk, &mut facts));
    facts
}

/// The definitions and imports that start in `chunk` (each once, in the chunk it starts in).
fn read_chunk(
    language: Language,
    text: &str,
    tree: &Tree,
    chunk: Range<usize>,
    (symbols, imports): &mut (Vec<Symbol>, Vec<Range<usize>>),
) {
    let starts_here = |range: &Range<usize>| chunk.contains(&range.start);
    symbols.extend(
        extract_in_range(language, text, tree, chunk.clone()).into_iter().filter(|symbol| starts_here(&symbol.range)),
    );
    imports
        .extend(imports_in(language, text, tree, Some(chunk.clone())).into_iter().filter(|range| starts_here(range)));
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
/// regions, moved by the edits, plus those read again inside them. Also returns the regions
/// read (with the previous provisional ones, moved), provisional while the tree is stale.
fn update(
    language: Language,
    text: &str,
    tree: &Tree,
    window: Option<&Range<usize>>,
    parse_id: u64,
    previous: &CacheEntry,
    edits: &[InputEdit],
) -> (Vec<Symbol>, Vec<Range<usize>>, Vec<Range<usize>>) {
    let Moved { mut symbols, imports, mut regions, mut provisional } = move_through_edits(previous, edits);
    // A reparse since the cached tree: what it changed in the syntax is read again too.
    let old_tree = (parse_id != previous.parse_id).then(|| {
        let mut edited = previous.tree.clone();
        for edit in edits {
            edited.edit(edit);
        }
        regions.extend(edited.changed_ranges(tree).map(|changed| changed.start_byte..changed.end_byte));
        regions.append(&mut provisional);
        edited
    });
    // A tree of a window knows nothing outside it: what lies there is kept as it was, moved
    // (the edits since its parse are inside the next window, which reads them again).
    if let Some(window) = window {
        regions = regions
            .into_iter()
            .filter_map(|region| {
                let clipped = region.start.max(window.start)..region.end.min(window.end);
                (clipped.start <= clipped.end).then_some(clipped)
            })
            .collect();
    }
    // A member's container is read from the header around it (`impl Point`, the callee of
    // `jQuery.extend({…})`), which no definition's range covers: an edit there re-reads the
    // members.
    let containers: Vec<Range<usize>> =
        regions.iter().filter_map(|region| container_header_around(tree, region.clone())).collect();
    regions.extend(containers);
    let (fresh, mut regions) = read_regions_again(language, text, tree, &symbols, merge_regions(regions));
    let outside_every_region =
        |range: &Range<usize>| regions.iter().all(|region| range.end < region.start || range.start > region.end);
    // What lies outside a window's tree was not read again: kept, whatever region touches it.
    let outside_window =
        |range: &Range<usize>| window.is_some_and(|window| range.end <= window.start || range.start >= window.end);
    symbols.retain(|symbol| outside_every_region(&symbol.range) || outside_window(&symbol.range));
    symbols.extend(fresh);
    symbols.sort_by(|a, b| {
        (a.range.start, std::cmp::Reverse(a.range.end)).cmp(&(b.range.start, std::cmp::Reverse(b.range.end)))
    });
    symbols.dedup_by(|later, earlier| later.range == earlier.range && later.name == earlier.name);
    let imports = imports_after_update(language, text, tree, window, old_tree.as_ref(), imports, &regions);
    // Still provisional after the same parse: what was, and what was read now.
    regions.append(&mut provisional);
    (symbols, imports, merge_regions(regions))
}

/// The cached facts carried through a run of edits.
struct Moved {
    /// Symbols the edits did not touch, moved to their new place.
    symbols: Vec<Symbol>,
    /// Imports the edits did not touch, moved.
    imports: Vec<Range<usize>>,
    /// What must be read again: each edit's new text and the (stretched) extent of every
    /// symbol it touched.
    regions: Vec<Range<usize>>,
    /// The cache's provisional regions, moved.
    provisional: Vec<Range<usize>>,
}

/// Maps the old symbols and imports through each edit. Those touching an edit keep their
/// (stretched) extent only to widen the region that is read again.
fn move_through_edits(previous: &CacheEntry, edits: &[InputEdit]) -> Moved {
    let mut symbols: Vec<Symbol> = previous.facts.symbols.as_ref().clone();
    let mut imports: Vec<Range<usize>> = previous.facts.imports.as_ref().clone();
    let mut regions: Vec<Range<usize>> = Vec::with_capacity(edits.len() + 2);
    let mut provisional: Vec<Range<usize>> = previous.provisional.as_ref().clone();
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
        for region in regions.iter_mut().chain(provisional.iter_mut()) {
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
    Moved { symbols, imports, regions, provisional }
}

/// Reads the definitions in `regions` again, growing the regions until no old (`kept`) or
/// new definition straddles an edge, so every definition is either reused whole or
/// re-extracted whole. Returns the fresh definitions and the final regions.
fn read_regions_again(
    language: Language,
    text: &str,
    tree: &Tree,
    kept: &[Symbol],
    mut regions: Vec<Range<usize>>,
) -> (Vec<Symbol>, Vec<Range<usize>>) {
    let intersects =
        |range: &Range<usize>, region: &Range<usize>| range.start <= region.end && range.end >= region.start;
    loop {
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
            for symbol in kept.iter().filter(|symbol| intersects(&symbol.range, &reach)) {
                region.start = region.start.min(symbol.range.start);
                region.end = region.end.max(symbol.range.end);
            }
        }
        let grown_regions = merge_regions(grown_regions);
        if grown_regions == regions {
            return (fresh, regions);
        }
        regions = grown_regions;
    }
}

/// The imports after an update: `moved` holds the previous ones the edits did not touch,
/// `regions` what was read again, `old_tree` the previous parse edited (when there was a
/// reparse).
fn imports_after_update(
    language: Language,
    text: &str,
    tree: &Tree,
    window: Option<&Range<usize>>,
    old_tree: Option<&Tree>,
    mut imports: Vec<Range<usize>>,
    regions: &[Range<usize>],
) -> Vec<Range<usize>> {
    let outside_every_region =
        |range: &Range<usize>| regions.iter().all(|region| range.end < region.start || range.start > region.end);
    let outside_window =
        |range: &Range<usize>| window.is_some_and(|window| range.end <= window.start || range.start >= window.end);
    match (old_tree, window) {
        // A window's new parse: its imports are read again whole (a query of its top-level
        // statements); error recovery can move a statement to the top level outside the
        // changed ranges.
        (Some(_), Some(window)) => {
            imports.retain(|range| range.end <= window.start || range.start >= window.end);
            imports.extend(imports_in(language, text, tree, Some(window.clone())));
            imports.sort_by_key(|range| range.start);
            imports.dedup();
            imports
        }
        // The same parse: the tree's shape is unchanged outside the edits, so the imports
        // outside the regions are those of before, moved.
        (None, _) => {
            imports.retain(|range| outside_every_region(range) || outside_window(range));
            for region in regions {
                // One byte wider on each side: a node that only touches the region counts.
                let query = region.start.saturating_sub(1)..(region.end + 1).min(text.len());
                let found = imports_in(language, text, tree, Some(query));
                imports.extend(found.into_iter().filter(|range| !outside_every_region(range)));
            }
            imports.sort_by_key(|range| range.start);
            imports.dedup();
            imports
        }
        (Some(old_tree), None) => update_imports(language, text, tree, old_tree, imports, regions),
    }
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

/// The range of the impl block or the object-extending call whose header (the part before
/// the members) contains `edited` or begins just after it, if any.
fn container_header_around(tree: &Tree, edited: Range<usize>) -> Option<Range<usize>> {
    container_header_above(tree, edited.clone(), edited.start, edited.end)
        // The node just after the edit too: error recovery can leave a header that begins
        // there (`impl P` deleted up to `oint {`) outside every node the edit is in.
        .or_else(|| container_header_above(tree, edited.clone(), edited.end, edited.end + 1))
}

fn container_header_above(tree: &Tree, edited: Range<usize>, start: usize, end: usize) -> Option<Range<usize>> {
    let end = end.min(tree.root_node().end_byte());
    let mut current = tree.root_node().descendant_for_byte_range(start.min(end), end);
    while let Some(node) = current {
        let members_start = match node.kind() {
            "impl_item" => node.child_by_field_name("body").map(|body| body.start_byte()),
            "call_expression" => node
                .child_by_field_name("arguments")
                .filter(|arguments| {
                    let mut cursor = arguments.walk();
                    let has_object = arguments.named_children(&mut cursor).any(|argument| argument.kind() == "object");
                    has_object
                })
                .map(|arguments| arguments.start_byte()),
            _ => None,
        };
        if members_start.is_some_and(|members_start| edited.start <= members_start) {
            return Some(node.byte_range());
        }
        current = node.parent();
    }
    None
}

fn shift(value: usize, delta: isize) -> usize {
    (value as isize + delta).max(0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn every_node(tree: &Tree) -> Vec<Node<'_>> {
        let mut nodes = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            nodes.push(cursor.node());
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        nodes
    }

    proptest! {
        /// Whatever the order nodes are asked in (queries yield them nearly in document
        /// order), and however broken the code (empty and missing nodes side by side), the
        /// parent found from the path is the tree's.
        #[test]
        fn parents_from_the_path_are_the_trees(
            pieces in prop::collection::vec(prop::sample::select(vec![
                "def f(a, b=1):\n", "    return a.b(c)\n", "class C(B):\n", "    x: int = 2\n", "(", ")", ":",
                "\"\"\"", "fn g(x: &T) -> u8 {", "}", "impl P {", "let y = a::b(c);", "\n", " ", "é", "@d\n",
            ]), 0..30),
            rust in any::<bool>(),
            order in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        ) {
            let text: String = pieces.concat();
            let language = if rust { Language::Rust } else { Language::Python };
            let tree = crate::language::parse_str(language, &text).unwrap();
            let nodes = every_node(&tree);
            let mut parents = Parents::new(&tree);
            for node in &nodes {
                prop_assert_eq!(parents.of(*node), node.parent(), "{:?} in {:?}", node, text);
            }
            for index in &order {
                let node = nodes[index.index(nodes.len())];
                prop_assert_eq!(parents.of(node), node.parent(), "{:?} in {:?}", node, text);
            }
        }
    }
}
