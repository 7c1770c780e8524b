//! What to test: the function, method or type around a position, found in the tree.

use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::language::Language;

/// A definition tests can be generated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Bytes of the whole definition (attributes, decorators and doc comments excluded).
    pub range: Range<usize>,
    /// The type a method belongs to (`impl Stack`, `class Stack`, a Go receiver).
    pub owner: Option<String>,
    /// Visible outside its module: `pub` in Rust, exported in Go/JS, `public` in Java, no
    /// leading underscore in Python.
    pub public: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Function,
    Method,
    /// A class, struct, enum, impl block or interface: its public behaviour is tested.
    Type,
}

impl Target {
    /// How titles and prompts name it: `parse`, `Stack.push`, `Stack`.
    pub fn display_name(&self) -> String {
        match (&self.owner, self.kind) {
            (Some(owner), TargetKind::Method) => format!("{owner}.{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// The innermost function or method around `range` and the innermost type around it, as
/// far as they exist. A range of at most one character is a cursor (Helix sends one).
pub fn targets_at(language: Language, text: &str, tree: &Tree, range: Range<usize>) -> Vec<Target> {
    let start = range.start.min(text.len());
    let end = if range.end.saturating_sub(range.start) <= 4 && is_one_char(text, &range) {
        start
    } else {
        range.end.min(text.len()).max(start)
    };
    let Some(node) = tree.root_node().descendant_for_byte_range(start, end) else {
        return Vec::new();
    };
    // In a doc comment or attribute, the definition they lead is what is meant.
    let mut node = led_definition(text, node).unwrap_or(node);
    let mut function = None;
    let mut owner_type = None;
    loop {
        // A wrapping statement (`export`, decorators, `const f =`, `exports.f =`) holds the
        // cursor in its leading part: the definition inside it is meant.
        let mut probe = Some(node);
        while let Some(candidate) = probe {
            if function.is_none() && owner_type.is_none() {
                function = as_function(language, text, candidate);
            }
            if owner_type.is_none() {
                owner_type = as_type(language, text, candidate);
            }
            if function.is_some() || owner_type.is_some() {
                break;
            }
            probe = wrapped(candidate);
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => break,
        }
    }
    function.into_iter().chain(owner_type).collect()
}

/// Statements that wrap a definition without being one.
const WRAPPERS: &[&str] = &[
    "export_statement",
    "decorated_definition",
    "lexical_declaration",
    "variable_declaration",
    "expression_statement",
    "template_declaration",
    "ambient_declaration",
];

/// Comments and attributes that lead a definition.
fn is_leading(kind: &str) -> bool {
    matches!(kind, "comment" | "line_comment" | "block_comment" | "attribute_item" | "decorator")
}

/// The definition a wrapper statement holds: `export function f`, `@cache def f`, `const f = …`.
fn wrapped(node: Node) -> Option<Node> {
    if !WRAPPERS.contains(&node.kind()) {
        return None;
    }
    let mut cursor = node.walk();
    let inner = node.named_children(&mut cursor).find(|child| !is_leading(child.kind()));
    inner
}

/// When `node` is in a comment or attribute directly above a definition (no blank line
/// between them), the statement of that definition.
fn led_definition<'tree>(text: &str, node: Node<'tree>) -> Option<Node<'tree>> {
    let mut leading = node;
    while !is_leading(leading.kind()) {
        leading = leading.parent()?;
    }
    let adjacent = |before: Node, after: Node| {
        text.get(before.end_byte()..after.start_byte()).is_some_and(|gap| gap.matches('\n').count() <= 1)
    };
    let mut previous = leading;
    let mut next = leading.next_named_sibling();
    while let Some(sibling) = next {
        if !adjacent(previous, sibling) {
            return None;
        }
        if !is_leading(sibling.kind()) {
            return Some(sibling);
        }
        previous = sibling;
        next = sibling.next_named_sibling();
    }
    None
}

/// A function as a value: what `const f =`, `exports.f =` and `{ f: … }` assign.
fn is_function_value(node: Node) -> bool {
    matches!(node.kind(), "arrow_function" | "function_expression" | "function" | "generator_function")
}

/// The object an object literal's functions belong to, as callers name it: `const utils = {…}`
/// → `utils`, `Tween.prototype = {…}` → `Tween`; `module.exports = {…}` and anything else →
/// none (they are plain functions).
fn object_owner(text: &str, object: Node) -> Option<String> {
    let parent = object.parent()?;
    let holder = match parent.kind() {
        "variable_declarator" => field_text(text, parent, "name")?,
        "assignment_expression" => field_text(text, parent, "left")?,
        _ => return None,
    };
    if matches!(holder, "module.exports" | "exports") {
        return None;
    }
    let holder = holder.strip_suffix(".prototype").unwrap_or(holder);
    Some(holder.rsplit('.').next().unwrap_or(holder).to_string())
}

/// `exports.f = …`, `module.exports = function f () {}`, `Stack.prototype.push = …`,
/// `obj.f = …`: the name, whether it is a method, and its owner.
fn assigned_function(text: &str, node: Node) -> Option<(String, bool, Option<String>)> {
    let value = node.child_by_field_name("right")?;
    if !is_function_value(value) {
        return None;
    }
    let left = node.child_by_field_name("left")?;
    match left.kind() {
        "identifier" => Some((node_text(text, left).to_string(), false, None)),
        "member_expression" => {
            let object = field_text(text, left, "object")?;
            let property = field_text(text, left, "property")?.to_string();
            if object == "module" && property == "exports" {
                // The function's own name; an anonymous one has none to test it by.
                return Some((field_text(text, value, "name")?.to_string(), false, None));
            }
            if object == "exports" || object == "module.exports" {
                return Some((property, false, None));
            }
            let owner = object.strip_suffix(".prototype").unwrap_or(object);
            Some((property, true, Some(owner.rsplit('.').next().unwrap_or(owner).to_string())))
        }
        _ => None,
    }
}

fn is_one_char(text: &str, range: &Range<usize>) -> bool {
    let (Some(start), Some(end)) = (text.get(..range.start), text.get(..range.end.min(text.len()))) else {
        return false;
    };
    end.chars().count() <= start.chars().count() + 1
}

fn node_text<'a>(text: &'a str, node: Node) -> &'a str {
    text.get(node.byte_range()).unwrap_or_default()
}

fn field_text<'a>(text: &'a str, node: Node, field: &str) -> Option<&'a str> {
    node.child_by_field_name(field).map(|child| node_text(text, child))
}

/// The name of a type without generics or references: `Stack<T>` → `Stack`.
fn bare_type_name(name: &str) -> String {
    let name = name.trim().trim_start_matches('&').trim_start_matches("mut ").trim_start_matches('*');
    let end = name.find(['<', '[', '(', ' ']).unwrap_or(name.len());
    let name = &name[..end];
    name.rsplit("::").next().unwrap_or(name).to_string()
}

fn as_function(language: Language, text: &str, node: Node) -> Option<Target> {
    let kind = node.kind();
    let (name, is_method, owner) = match language {
        Language::Rust if kind == "function_item" => {
            let owner = node
                .parent()
                .filter(|parent| parent.kind() == "declaration_list")
                .and_then(|list| list.parent())
                .and_then(|container| match container.kind() {
                    "impl_item" => field_text(text, container, "type").map(bare_type_name),
                    "trait_item" => field_text(text, container, "name").map(str::to_string),
                    _ => None,
                });
            (field_text(text, node, "name")?.to_string(), owner.is_some(), owner)
        }
        Language::Python if kind == "function_definition" => {
            let class = enclosing_of(node, "class_definition", &["function_definition"]);
            let owner = class.and_then(|class| field_text(text, class, "name")).map(str::to_string);
            (field_text(text, node, "name")?.to_string(), owner.is_some(), owner)
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => match kind {
            "function_declaration" | "generator_function_declaration" => {
                (field_text(text, node, "name")?.to_string(), false, None)
            }
            "method_definition" if node.parent().is_some_and(|parent| parent.kind() == "object") => {
                let owner = node.parent().and_then(|object| object_owner(text, object));
                (field_text(text, node, "name")?.to_string(), owner.is_some(), owner)
            }
            "pair" => {
                if !node.child_by_field_name("value").is_some_and(is_function_value) {
                    return None;
                }
                let key = field_text(text, node, "key")?.trim_matches(['"', '\'', '`']).to_string();
                let owner = node.parent().and_then(|object| object_owner(text, object));
                (key, owner.is_some(), owner)
            }
            "assignment_expression" => assigned_function(text, node)?,
            "method_definition" => {
                let class = enclosing_of(node, "class_declaration", &[])
                    .or_else(|| enclosing_of(node, "class", &[]))
                    .or_else(|| enclosing_of(node, "abstract_class_declaration", &[]));
                let owner = class.and_then(|class| field_text(text, class, "name")).map(str::to_string);
                (field_text(text, node, "name")?.to_string(), true, owner)
            }
            "variable_declarator" => {
                let value = node.child_by_field_name("value")?;
                if !is_function_value(value) {
                    return None;
                }
                (field_text(text, node, "name")?.to_string(), false, None)
            }
            _ => return None,
        },
        Language::Go => match kind {
            "function_declaration" => (field_text(text, node, "name")?.to_string(), false, None),
            "method_declaration" => {
                let receiver = node.child_by_field_name("receiver").map(|receiver| node_text(text, receiver));
                let owner = receiver.and_then(go_receiver_type);
                (field_text(text, node, "name")?.to_string(), true, owner)
            }
            _ => return None,
        },
        Language::Java if matches!(kind, "method_declaration" | "constructor_declaration") => {
            let class = node.parent().and_then(|body| body.parent());
            let owner = class.and_then(|class| field_text(text, class, "name")).map(str::to_string);
            (field_text(text, node, "name")?.to_string(), true, owner)
        }
        Language::C | Language::Cpp if kind == "function_definition" => {
            let declarator = node.child_by_field_name("declarator")?;
            let name = c_function_name(text, declarator)?;
            let (owner, name) = match name.rsplit_once("::") {
                Some((owner, name)) => (Some(bare_type_name(owner)), name.to_string()),
                None => {
                    let class = enclosing_of(node, "class_specifier", &[])
                        .or_else(|| enclosing_of(node, "struct_specifier", &[]));
                    (class.and_then(|class| field_text(text, class, "name")).map(str::to_string), name)
                }
            };
            (name, owner.is_some(), owner)
        }
        _ => return None,
    };
    if name.is_empty() {
        return None;
    }
    Some(Target {
        public: is_public(language, text, node, &name),
        kind: if is_method { TargetKind::Method } else { TargetKind::Function },
        name,
        range: definition_node(node).byte_range(),
        owner,
    })
}

fn as_type(language: Language, text: &str, node: Node) -> Option<Target> {
    let kind = node.kind();
    let name = match (language, kind) {
        (Language::Rust, "struct_item" | "enum_item" | "trait_item" | "union_item") => field_text(text, node, "name")?,
        (Language::Rust, "impl_item") => field_text(text, node, "type")?,
        (Language::Python, "class_definition") => field_text(text, node, "name")?,
        (
            Language::JavaScript | Language::TypeScript | Language::Tsx,
            "class_declaration" | "abstract_class_declaration" | "interface_declaration",
        ) => field_text(text, node, "name")?,
        (Language::Go, "type_spec") => field_text(text, node, "name")?,
        (Language::Java, "class_declaration" | "interface_declaration" | "enum_declaration" | "record_declaration") => {
            field_text(text, node, "name")?
        }
        (Language::C | Language::Cpp, "class_specifier" | "struct_specifier")
            if node.child_by_field_name("body").is_some() =>
        {
            field_text(text, node, "name")?
        }
        _ => return None,
    };
    let name = bare_type_name(name);
    if name.is_empty() {
        return None;
    }
    let declaration = if kind == "type_spec" { node.parent().unwrap_or(node) } else { definition_node(node) };
    Some(Target {
        public: is_public(language, text, node, &name),
        name,
        kind: TargetKind::Type,
        range: declaration.byte_range(),
        owner: None,
    })
}

/// The node that holds the whole declaration: an `export` or a `const` around a JS
/// function, a decorated Python definition.
fn definition_node(node: Node) -> Node {
    let mut current = node;
    while let Some(parent) = current.parent() {
        match parent.kind() {
            "export_statement"
            | "decorated_definition"
            | "lexical_declaration"
            | "variable_declaration"
            | "expression_statement"
            | "template_declaration" => current = parent,
            _ => break,
        }
    }
    current
}

/// The nearest ancestor of `kind`, unless one of `stop_at` comes first.
fn enclosing_of<'tree>(node: Node<'tree>, kind: &str, stop_at: &[&str]) -> Option<Node<'tree>> {
    let mut current = node.parent();
    while let Some(candidate) = current {
        if candidate.kind() == kind {
            return Some(candidate);
        }
        if stop_at.contains(&candidate.kind()) {
            return None;
        }
        current = candidate.parent();
    }
    None
}

fn go_receiver_type(receiver: &str) -> Option<String> {
    // `(s *Stack[T])` → `Stack`
    let inner = receiver.trim().trim_start_matches('(').trim_end_matches(')');
    let type_part = inner.split_whitespace().last()?;
    Some(bare_type_name(type_part)).filter(|name| !name.is_empty())
}

fn c_function_name(text: &str, declarator: Node) -> Option<String> {
    let mut current = declarator;
    loop {
        match current.kind() {
            "function_declarator" => {
                let inner = current.child_by_field_name("declarator")?;
                return Some(node_text(text, inner).to_string());
            }
            "pointer_declarator" | "reference_declarator" | "parenthesized_declarator" => {
                current = current.child_by_field_name("declarator").or_else(|| current.named_child(0))?;
            }
            _ => return None,
        }
    }
}

fn is_public(language: Language, text: &str, node: Node, name: &str) -> bool {
    match language {
        Language::Rust => {
            let mut cursor = node.walk();
            let visible = node.children(&mut cursor).any(|child| child.kind() == "visibility_modifier");
            // Trait methods are as visible as the trait.
            visible || node.parent().and_then(|list| list.parent()).is_some_and(|item| item.kind() == "trait_item")
        }
        Language::Python => !name.starts_with('_') || (name.starts_with("__") && name.ends_with("__")),
        Language::Go => name.chars().next().is_some_and(char::is_uppercase),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            let mut current = Some(node);
            while let Some(candidate) = current {
                if candidate.kind() == "export_statement" {
                    return true;
                }
                current = candidate.parent();
            }
            exported_by_name(text, name)
        }
        Language::Java => {
            let mut cursor = node.walk();
            let modifiers = node.children(&mut cursor).find(|child| child.kind() == "modifiers");
            modifiers.is_some_and(|modifiers| node_text(text, modifiers).contains("public"))
        }
        _ => true,
    }
}

/// `export { name }`, `module.exports = { name }` or `exports.name =` somewhere in the file.
fn exported_by_name(text: &str, name: &str) -> bool {
    let word = |haystack: &str| crate::text::whole_word_positions(haystack, name).next().is_some();
    text.match_indices("export {").any(|(index, _)| word(text[index..].split('}').next().unwrap_or_default()))
        || text.match_indices("module.exports").any(|(index, _)| {
            word(text[index..].split([';', '}']).next().unwrap_or_default())
                || word(text[index..].lines().next().unwrap_or_default())
        })
        || text.contains(&format!("exports.{name}"))
}

/// Whether the definition at `range` is itself test code (a `#[test]` function, anything
/// inside a `#[cfg(test)]` module): no "Generate tests" there.
pub fn is_inside_tests(language: Language, text: &str, tree: &Tree, offset: usize) -> bool {
    if language != Language::Rust {
        return false;
    }
    let Some(mut node) = tree.root_node().descendant_for_byte_range(offset, offset) else {
        return false;
    };
    loop {
        if matches!(node.kind(), "mod_item" | "function_item")
            && attributes_before(text, node).iter().any(|attribute| {
                let attribute = attribute.replace(' ', "");
                attribute.contains("cfg(test)") || attribute.ends_with("test]") || attribute.ends_with("::test]")
            })
        {
            return true;
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => return false,
        }
    }
}

/// The texts of the attribute items directly before a Rust item.
pub fn attributes_before<'a>(text: &'a str, node: Node) -> Vec<&'a str> {
    let mut attributes = Vec::new();
    let mut previous = node.prev_sibling();
    while let Some(sibling) = previous {
        match sibling.kind() {
            "attribute_item" => attributes.push(node_text(text, sibling)),
            "line_comment" | "block_comment" => {}
            _ => break,
        }
        previous = sibling.prev_sibling();
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::parse_str;

    fn at(language: Language, fixture: &str) -> Vec<Target> {
        let offset = fixture.find("$0").unwrap();
        let text = fixture.replacen("$0", "", 1);
        let tree = parse_str(language, &text).unwrap();
        targets_at(language, &text, &tree, offset..offset)
    }

    fn names(targets: &[Target]) -> Vec<String> {
        targets.iter().map(Target::display_name).collect()
    }

    #[test]
    fn finds_the_function_and_its_type_in_every_language() {
        let cases: &[(Language, &str, &[&str])] = &[
            (Language::Rust, "pub fn add(a: i32) -> i32 {\n    a $0+ 1\n}\n", &["add"]),
            (
                Language::Rust,
                "struct Stack<T>(Vec<T>);\nimpl<T> Stack<T> {\n    pub fn push(&mut self, v: T) { self.0.$0push(v) }\n}\n",
                &["Stack.push", "Stack"],
            ),
            (Language::Rust, "pub struct Po$0int { x: i32 }\n", &["Point"]),
            (Language::Python, "class Stack:\n    def push(self, v):\n        self.items.$0append(v)\n", &["Stack.push", "Stack"]),
            (Language::Python, "@cache\ndef fib(n):\n    return $0n\n", &["fib"]),
            (Language::TypeScript, "export const add = (a: number) => a $0+ 1;\n", &["add"]),
            (Language::TypeScript, "export class Stack {\n  push(v: number) { this.items.$0push(v); }\n}\n", &["Stack.push", "Stack"]),
            (Language::JavaScript, "function slug(s) {\n  return s.$0trim();\n}\nmodule.exports = { slug };\n", &["slug"]),
            (Language::Go, "package a\n\nfunc (s *Stack) Push(v int) {\n\ts.items = $0append(s.items, v)\n}\n", &["Stack.Push"]),
            (Language::Java, "public class Calc {\n  public int add(int a) {\n    return $0a;\n  }\n}\n", &["Calc.add", "Calc"]),
            (Language::Cpp, "int Calc::add(int a) {\n  return $0a;\n}\n", &["Calc.add"]),
            (Language::C, "static int add(int a, int b) {\n  return a $0+ b;\n}\n", &["add"]),
        ];
        for (language, fixture, expected) in cases {
            assert_eq!(names(&at(*language, fixture)), *expected, "{language:?}: {fixture}");
        }
    }

    #[test]
    fn the_whole_statement_of_a_definition_targets_it() {
        let cases: &[(Language, &str, &[&str])] = &[
            (Language::TypeScript, "$0export function add(a: number) {\n  return a;\n}\n", &["add"]),
            (Language::TypeScript, "$0export const add = (a: number) => a + 1;\n", &["add"]),
            (Language::TypeScript, "/** Adds. */\n$0export default function add() {}\n", &["add"]),
            (Language::TypeScript, "$0/** Adds. */\nexport function add() {}\n", &["add"]),
            (Language::TypeScript, "$0export class Stack {}\n", &["Stack"]),
            (Language::JavaScript, "$0const add = function () {};\n", &["add"]),
            (Language::JavaScript, "$0exports.add = (a) => a + 1;\n", &["add"]),
            (Language::JavaScript, "$0module.exports = function slug (s) {\n  return s;\n};\n", &["slug"]),
            (
                Language::JavaScript,
                "module.exports = {\n  $0slug: function (s) { return s; },\n  trim(s) {}\n};\n",
                &["slug"],
            ),
            (Language::JavaScript, "module.exports = {\n  slug: (s) => s,\n  $0trim(s) {}\n};\n", &["trim"]),
            (Language::JavaScript, "$0jQuery.trim = function (s) {\n  return s;\n};\n", &["jQuery.trim"]),
            (
                Language::JavaScript,
                "Stack.prototype.push = function (v) {\n  $0this.items.push(v);\n};\n",
                &["Stack.push"],
            ),
            (
                Language::JavaScript,
                "Tween.prototype = {\n  $0run: function (p) {\n    return p;\n  }\n};\n",
                &["Tween.run"],
            ),
            (Language::Python, "$0@app.route(\"/\")\ndef index():\n    return 1\n", &["index"]),
            (Language::Python, "class A:\n    $0@property\n    def size(self):\n        return 1\n", &["A.size", "A"]),
            (Language::Rust, "$0/// Adds.\n#[inline]\npub fn add(a: i32) -> i32 {\n    a\n}\n", &["add"]),
            (Language::Rust, "/// Adds.\n$0#[inline]\npub fn add(a: i32) -> i32 {\n    a\n}\n", &["add"]),
            (Language::Rust, "$0pub fn add(a: i32) -> i32 {\n    a\n}\n", &["add"]),
            (Language::Go, "package a\n\n$0// Add adds.\nfunc Add(a int) int {\n\treturn a\n}\n", &["Add"]),
            (
                Language::Java,
                "class C {\n  $0/** Adds. */\n  @Deprecated\n  public int add(int a) { return a; }\n}\n",
                &["C.add", "C"],
            ),
            (
                Language::Java,
                "class C {\n  /** Adds. */\n  $0@Deprecated\n  public int add(int a) { return a; }\n}\n",
                &["C.add", "C"],
            ),
        ];
        for (language, fixture, expected) in cases {
            assert_eq!(names(&at(*language, fixture)), *expected, "{language:?}: {fixture}");
        }
        // A comment separated by a blank line leads nothing.
        assert!(at(Language::Rust, "$0// Notes.\n\nfn a() {}\n").is_empty());
    }

    #[test]
    fn nothing_outside_definitions() {
        assert!(at(Language::Rust, "use std::io;$0\n\nfn a() {}\n").is_empty());
        assert!(at(Language::Python, "import os\n$0\n").is_empty());
    }

    #[test]
    fn visibility() {
        assert!(at(Language::Rust, "pub fn a() { $0 }").first().unwrap().public);
        assert!(!at(Language::Rust, "fn a() { $0 }").first().unwrap().public);
        assert!(at(Language::TypeScript, "export function a() { $0 }").first().unwrap().public);
        assert!(!at(Language::TypeScript, "function a() { $0 }").first().unwrap().public);
        assert!(at(Language::JavaScript, "function a() { $0 }\nexport { a };").first().unwrap().public);
        assert!(!at(Language::Go, "package a\nfunc add() { $0 }").first().unwrap().public);
    }

    #[test]
    fn a_one_character_range_is_a_cursor() {
        let text = "fn a() {}\nfn b() {\n    1\n}\n";
        let tree = parse_str(Language::Rust, text).unwrap();
        let start = text.find("    1").unwrap();
        assert_eq!(names(&targets_at(Language::Rust, text, &tree, start..start + 1)), ["b"]);
    }

    #[test]
    fn rust_tests_are_not_targets() {
        let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { assert!(true); }\n}\n";
        let tree = parse_str(Language::Rust, text).unwrap();
        assert!(is_inside_tests(Language::Rust, text, &tree, text.find("assert").unwrap()));
        assert!(!is_inside_tests(Language::Rust, text, &tree, text.find("{}").unwrap()));
    }
}
