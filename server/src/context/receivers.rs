//! The types a function's names are known to have, read from its own syntax: the type the
//! method belongs to (`self`, `this`, a Go receiver) and its base classes, annotated
//! parameters (`arg: &Arg`, `c *gin.Context`, `url: URL`), and locals built from a type
//! (`let usage = Usage::new(cmd)`, `url = URL(raw)`, `hook = new Hook()`, `x := &Mux{}`).
//! A generic parameter stands for the traits or classes that bound it (`F: Float`,
//! `where F: Float`, `T extends Base`), so `F::MAX_EXPONENT` asks for `Float`'s constant.
//! The resolver looks a method up on that type first instead of by bare name. Only the
//! nodes of the enclosing function are visited, never the whole file.

use std::collections::HashMap;

use tree_sitter::Node;

use super::inheritance::Ancestor;
use super::symbols::type_name;
use crate::language::Language;
use crate::text::{is_name_char, trailing_word, whole_word_positions};

/// Upper bound on the nodes visited in one function, so a generated 60 KB function stays
/// cheap.
const MAX_VISITED_NODES: usize = 20_000;
/// Mentions of one attribute read at most when looking for its declaration.
const MAX_ATTRIBUTE_MENTIONS: usize = 256;

/// The names `self`, `this`, `Self` and `cls` stand for inside `enclosing` (outermost first):
/// the enclosing impl's or class's type (depth 0), then the base classes its header names
/// (depth 1); [`super::inheritance`] follows the bases further.
pub fn receiver_types(text: &str, enclosing: &[Node]) -> Vec<Ancestor> {
    let mut types: Vec<Ancestor> = Vec::new();
    let mut add = |name: Option<String>, depth: u8| {
        if let Some(name) = name {
            if !types.iter().any(|known| known.name == name) {
                types.push(Ancestor { name, depth });
            }
        }
    };
    for node in enclosing.iter().rev() {
        match node.kind() {
            "impl_item" => add(node.child_by_field_name("type").and_then(|t| type_name(text, t)), 0),
            "trait_item"
            | "class_declaration"
            | "abstract_class_declaration"
            | "class"
            | "class_definition"
            | "class_specifier"
            | "struct_specifier"
            | "record_declaration" => {
                add(
                    node.child_by_field_name("name").and_then(|name| text.get(name.byte_range())).map(str::to_string),
                    0,
                );
                for base in base_types(text, *node) {
                    add(Some(base), 1);
                }
            }
            "method_declaration" => {
                if let Some(receiver) = node.child_by_field_name("receiver") {
                    add(type_name(text, receiver), 0);
                }
            }
            _ => {}
        }
    }
    types
}

/// The type of the innermost enclosing class's attribute `name`, so that
/// `self.client.send()` asks for `Client.send`: Python's `self.client: Client = …`,
/// `self._transport = HTTPTransport(…)` and class-level `client: Client`; TypeScript's
/// `private cache: Cache` fields and `constructor(private cache: Cache)` parameters;
/// `this.cache = new Cache()` in both JavaScript and TypeScript. Only the places the class's
/// text names the attribute are visited, not the class's whole tree.
pub fn attribute_type(text: &str, enclosing: &[Node], name: &str) -> Option<String> {
    let class = enclosing.iter().rev().find(|node| {
        matches!(node.kind(), "class_definition" | "class_declaration" | "abstract_class_declaration" | "class")
    })?;
    let class_text = text.get(class.byte_range())?;
    for at in whole_word_positions(class_text, name).take(MAX_ATTRIBUTE_MENTIONS) {
        let start = class.start_byte() + at;
        let mut node = class.descendant_for_byte_range(start, start + name.len())?;
        // From the name up to the declaration that gives it: attribute, assignment, statement.
        for _ in 0..4 {
            if let Some((declared, type_name)) = attribute(text, node, *class) {
                if declared == name {
                    return Some(type_name);
                }
                break;
            }
            node = match node.parent() {
                Some(parent) if parent != *class => parent,
                _ => break,
            };
        }
    }
    None
}

/// The type a field or class attribute's declaration gives `name`, read from its text as
/// written: `private cache: Cache`, `client: t.Optional[Client] = None`, `pool = Pool(…)`,
/// `#queue = new Queue()`. For an attribute a base class declares, where only its indexed
/// text is at hand.
pub fn declared_type(language: Language, declaration: &str, name: &str) -> Option<String> {
    let at = whole_word_positions(declaration, name).next()?;
    let rest = declaration[at + name.len()..].trim_start();
    let rest = rest.strip_prefix(['?', '!']).unwrap_or(rest).trim_start();
    if let Some(annotation) = rest.strip_prefix(':') {
        let end = annotation.find(['=', ';', '\n']).unwrap_or(annotation.len());
        return first_type_in(language, &annotation[..end], None);
    }
    let value = rest.strip_prefix('=')?.trim_start();
    let value = value.strip_prefix("new ").unwrap_or(value).trim_start();
    let called = &value[..value.find(|c: char| !is_name_char(c) && c != '.').unwrap_or(value.len())];
    let class = called.rsplit('.').next().unwrap_or(called);
    let constructed = value[called.len()..].starts_with(['(', '<']) && class.starts_with(|c: char| c.is_uppercase());
    constructed.then(|| class.to_string())
}

/// `(attribute, type)` when `node` declares an attribute of `class` with a known type.
fn attribute(text: &str, node: Node, class: Node) -> Option<(String, String)> {
    let is_receiver = |object: Node| matches!(text.get(object.byte_range()), Some("self" | "this"));
    let (name, annotation, value) = match node.kind() {
        "assignment" | "assignment_expression" => {
            let left = node.child_by_field_name("left")?;
            let name = match left.kind() {
                "attribute" if is_receiver(left.child_by_field_name("object")?) => {
                    left.child_by_field_name("attribute")?
                }
                "member_expression" if is_receiver(left.child_by_field_name("object")?) => {
                    left.child_by_field_name("property")?
                }
                // A class-level annotation: `client: Client` in the class's own block.
                "identifier" => {
                    let block = node.parent()?.parent()?;
                    (block.parent()? == class).then_some(left)?
                }
                _ => return None,
            };
            (name, node.child_by_field_name("type"), node.child_by_field_name("right"))
        }
        "public_field_definition" | "field_definition" => (
            node.child_by_field_name("name").or_else(|| node.child_by_field_name("property"))?,
            node.child_by_field_name("type"),
            node.child_by_field_name("value"),
        ),
        // `constructor(private readonly cache: Cache)`.
        "required_parameter" | "optional_parameter" => {
            let mut children = node.walk();
            let declares = node
                .children(&mut children)
                .any(|child| matches!(child.kind(), "accessibility_modifier" | "readonly" | "override_modifier"));
            if !declares {
                return None;
            }
            (node.child_by_field_name("pattern")?, node.child_by_field_name("type"), None)
        }
        _ => return None,
    };
    // Python writes optional attributes `Optional[Client]`, `t.Optional[Client]` or
    // `Client | None`: the class is the first type past the wrapper.
    let annotated = |annotation: Node| match node.kind() {
        "assignment" => first_type_in(Language::Python, text.get(annotation.byte_range())?, None),
        _ => type_name(text, annotation),
    };
    let type_name = annotation.and_then(annotated).or_else(|| value.and_then(|value| constructed_type(text, value)))?;
    Some((text.get(name.byte_range())?.to_string(), type_name))
}

/// Base classes named in a class header: Python's `class Flask(App)`, JavaScript's and
/// TypeScript's `extends`, Java's `extends`.
fn base_types(text: &str, class: Node) -> Vec<String> {
    let mut bases = Vec::new();
    let mut cursor = class.walk();
    for child in class.named_children(&mut cursor) {
        match child.kind() {
            // Python: the argument list after the name.
            "argument_list" => {
                let mut arguments = child.walk();
                for argument in child.named_children(&mut arguments) {
                    if matches!(argument.kind(), "identifier" | "attribute") {
                        bases.extend(last_name(text, argument));
                    }
                }
            }
            "class_heritage" | "superclass" => {
                let mut parts = child.walk();
                for part in child.named_children(&mut parts) {
                    match part.kind() {
                        "extends_clause" => {
                            if let Some(value) = part.child_by_field_name("value") {
                                bases.extend(last_name(text, value));
                            }
                        }
                        "identifier" | "member_expression" | "type_identifier" => bases.extend(last_name(text, part)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    bases
}

fn last_name(text: &str, node: Node) -> Option<String> {
    let node = match node.kind() {
        "attribute" => node.child_by_field_name("attribute")?,
        "member_expression" => node.child_by_field_name("property")?,
        _ => node,
    };
    text.get(node.byte_range()).map(str::to_string)
}

/// The bounds of the generic parameters declared by `enclosing` (the function and the impl,
/// trait or class around it): Rust's `<F: Float>` and `where F: Float + Copy`, TypeScript's
/// `<T extends Base>`, Java's `<T extends Base & Named>`. Only the declarations' own
/// headers are read.
pub fn generic_bounds(text: &str, enclosing: &[Node]) -> HashMap<String, Vec<String>> {
    let mut bounds: HashMap<String, Vec<String>> = HashMap::new();
    let mut add = |name: Node, bound: Node| {
        let (Some(name), Some(bound)) = (text.get(name.byte_range()), type_name(text, bound)) else {
            return;
        };
        let known = bounds.entry(name.to_string()).or_default();
        if !known.contains(&bound) {
            known.push(bound);
        }
    };
    for node in enclosing {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            let mut parameters = child.walk();
            match child.kind() {
                "type_parameters" => {
                    for parameter in child.named_children(&mut parameters).filter(|p| p.kind() == "type_parameter") {
                        // Rust `name: bounds`, TypeScript `name extends constraint`, Java
                        // `type_identifier type_bound`.
                        let name = parameter.child_by_field_name("name").or_else(|| parameter.named_child(0));
                        let listed = parameter
                            .child_by_field_name("bounds")
                            .or_else(|| parameter.child_by_field_name("constraint"))
                            .or_else(|| {
                                let mut parts = parameter.walk();
                                let bound = parameter.named_children(&mut parts).find(|p| p.kind() == "type_bound");
                                bound
                            });
                        if let (Some(name), Some(listed)) = (name, listed) {
                            let mut each = listed.walk();
                            for bound in listed.named_children(&mut each) {
                                add(name, bound);
                            }
                        }
                    }
                }
                "where_clause" => {
                    for predicate in child.named_children(&mut parameters).filter(|p| p.kind() == "where_predicate") {
                        let (Some(left), Some(listed)) =
                            (predicate.child_by_field_name("left"), predicate.child_by_field_name("bounds"))
                        else {
                            continue;
                        };
                        if left.kind() != "type_identifier" {
                            continue;
                        }
                        let mut each = listed.walk();
                        for bound in listed.named_children(&mut each) {
                            add(left, bound);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Lifetimes and `?Sized` name no type.
    bounds.retain(|_, listed| !listed.is_empty());
    bounds
}

/// What a local name is known to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// Annotated with or built from a type: `arg: &Arg`, `Usage::new(cmd)`, `URL(raw)`.
    Type(String),
    /// The result of a call to a function whose definition tells its type:
    /// `let config = load_config(path)?`, `user = await get_user(id)`, `res, err := serve(c)`.
    ResultOf(String),
}

/// Local names of `function` with the type they are annotated with or built from, or the
/// function whose result they hold.
pub fn binding_types(text: &str, function: Node) -> HashMap<String, Binding> {
    let mut bindings = HashMap::new();
    let mut cursor = function.walk();
    let mut visited = 0;
    'walk: loop {
        visited += 1;
        if visited > MAX_VISITED_NODES {
            break;
        }
        let node = cursor.node();
        if let Some((name, type_name)) = binding(text, node) {
            bindings.entry(name).or_insert(type_name);
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() || cursor.node() == function {
                break 'walk;
            }
        }
    }
    bindings
}

/// `(name, what it is)` when `node` binds a plain name to a known type or a call's result.
fn binding(text: &str, node: Node) -> Option<(String, Binding)> {
    let (name, annotation, value) = match node.kind() {
        // Rust, TypeScript, Java, Go parameters and Rust `let`.
        "parameter" | "required_parameter" | "optional_parameter" | "formal_parameter" | "let_declaration" => (
            node.child_by_field_name("pattern").or_else(|| node.child_by_field_name("name"))?,
            node.child_by_field_name("type"),
            node.child_by_field_name("value"),
        ),
        "parameter_declaration" | "var_spec" | "typed_default_parameter" | "variable_declarator" => (
            node.child_by_field_name("name")?,
            node.child_by_field_name("type").or_else(|| node.parent()?.child_by_field_name("type")),
            node.child_by_field_name("value"),
        ),
        // Python: `url: URL` and `x: T = …` parameters, `x = T(…)` assignments.
        "typed_parameter" => (node.named_child(0)?, node.child_by_field_name("type"), None),
        "assignment" => {
            (node.child_by_field_name("left")?, node.child_by_field_name("type"), node.child_by_field_name("right"))
        }
        // Go: `x := &Mux{}`.
        "short_var_declaration" => {
            (node.child_by_field_name("left")?.named_child(0)?, None, node.child_by_field_name("right")?.named_child(0))
        }
        _ => return None,
    };
    if name.kind() != "identifier" {
        return None;
    }
    let bound = annotation
        .and_then(|annotation| type_name(text, annotation))
        .or_else(|| value.and_then(|value| constructed_type(text, value)))
        .map(Binding::Type)
        .or_else(|| value.and_then(|value| called_function(text, value)).map(Binding::ResultOf))?;
    Some((text.get(name.byte_range())?.to_string(), bound))
}

/// The name of the function or method `value` calls (`load_config` in
/// `load_config(path)?`, `config::load(path)`, `self.client.get(url)`, `await fetch_user()`).
fn called_function(text: &str, value: Node) -> Option<String> {
    let name = match value.kind() {
        "try_expression" | "await_expression" | "await" | "parenthesized_expression" => {
            return called_function(text, value.named_child(0)?)
        }
        "call_expression" | "call" => {
            let function = value.child_by_field_name("function")?;
            match function.kind() {
                "identifier" => function,
                "scoped_identifier" => function.child_by_field_name("name")?,
                "field_expression" | "selector_expression" => function.child_by_field_name("field")?,
                "attribute" => function.child_by_field_name("attribute")?,
                "member_expression" => function.child_by_field_name("property")?,
                _ => return None,
            }
        }
        "method_invocation" => value.child_by_field_name("name")?,
        _ => return None,
    };
    text.get(name.byte_range()).map(str::to_string)
}

/// The type a function's declaration says it returns, read from its signature as written:
/// Rust's `-> Result<Config, Error>`, Python's `-> Config:`, TypeScript's
/// `): Promise<Config>`, Go's `(*Config, error)`, Java's `public Config load(`. Wrappers
/// that hand back what they hold (`Result`, `Option`, `Box`, `Promise`, `Optional`, …) are
/// looked through; `Self` and `this` are `container`. `None` when no type is written.
pub fn returned_type(language: Language, signature: &str, name: &str, container: Option<&str>) -> Option<String> {
    // Decorators and attributes above the declaration are not part of it.
    let start: usize = signature
        .split_inclusive('\n')
        .take_while(|line| line.trim_start().starts_with(['@', '#']))
        .map(str::len)
        .sum();
    let declaration = &signature[start..];
    let at = whole_word_positions(declaration, name).next()?;
    let written = match language {
        // The return type comes first: `public static Config load(`, `Config *load(`.
        Language::Java | Language::C | Language::Cpp => {
            let before = declaration[..at].trim_end_matches(|c: char| !is_name_char(c));
            trailing_word(before, is_name_char)
        }
        _ => {
            let open = at + declaration[at..].find('(')?;
            let close = matching_paren(declaration, open)?;
            let rest = &declaration[close + 1..];
            let end = rest.find(['{', '\n']).unwrap_or(rest.len());
            let rest = &rest[..end];
            rest.split(" where ").next().unwrap_or(rest)
        }
    };
    first_type_in(language, written, container)
}

fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, character) in text[open..].char_indices() {
        match character {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + at);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first type named in a written return type, past wrappers, qualifiers (`io::`,
/// `t.`, `pkg.`), keywords and lifetimes.
fn first_type_in(language: Language, written: &str, container: Option<&str>) -> Option<String> {
    const LOOKED_THROUGH: &[&str] = &[
        "Result",
        "Option",
        "Box",
        "Arc",
        "Rc",
        "Cow",
        "Ref",
        "RefMut",
        "Pin",
        "Promise",
        "PromiseLike",
        "Optional",
        "Awaitable",
        "Coroutine",
        "Future",
        "Readonly",
        "impl",
        "dyn",
        "mut",
        "const",
        "async",
        "static",
        "final",
        "public",
        "private",
        "protected",
        "abstract",
        "synchronized",
        "native",
        "extern",
        "inline",
        "virtual",
        "struct",
        "unsigned",
        "signed",
    ];
    let bytes = written.as_bytes();
    let mut at = 0;
    while at < written.len() {
        let start = at + written[at..].find(is_name_char)?;
        let end = written[start..].find(|c: char| !is_name_char(c)).map_or(written.len(), |i| start + i);
        at = end;
        let word = &written[start..end];
        let lifetime = start > 0 && bytes[start - 1] == b'\'';
        let qualifier = written[end..].starts_with("::") || written[end..].starts_with('.');
        if lifetime || qualifier || LOOKED_THROUGH.contains(&word) || word.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if matches!(word, "Self" | "this" | "self") {
            return container.map(str::to_string);
        }
        // Most languages capitalise their type names; Go's package-private ones are not.
        let typed = word.starts_with(|c: char| c.is_uppercase()) || language == Language::Go;
        return (typed && !is_builtin_type(word)).then(|| word.to_string());
    }
    None
}

fn is_builtin_type(word: &str) -> bool {
    matches!(
        word,
        "String"
            | "Vec"
            | "HashMap"
            | "HashSet"
            | "BTreeMap"
            | "Iterator"
            | "List"
            | "Dict"
            | "Set"
            | "Tuple"
            | "Any"
            | "None"
            | "Boolean"
            | "Integer"
            | "Long"
            | "Double"
            | "Object"
            | "Array"
            | "Map"
            | "Record"
            | "Partial"
            | "Error"
            | "error"
            | "string"
            | "int"
            | "int64"
            | "int32"
            | "uint"
            | "float64"
            | "bool"
            | "byte"
            | "rune"
            | "any"
            | "interface"
            | "func"
            | "map"
            | "chan"
            | "void"
            | "Void"
    )
}

/// The type an expression builds: `Usage::new(cmd)` and `Usage::new(cmd)?` (Rust),
/// `URL(raw)` (Python, capitalised), `new Hook()` (JavaScript), `&Mux{}` (Go), `Point { x }`.
fn constructed_type(text: &str, value: Node) -> Option<String> {
    match value.kind() {
        "try_expression" | "await_expression" | "await" | "parenthesized_expression" => {
            constructed_type(text, value.named_child(0)?)
        }
        "unary_expression" => {
            constructed_type(text, value.child_by_field_name("operand").or_else(|| value.named_child(0))?)
        }
        "call_expression" | "call" => {
            let function = value.child_by_field_name("function")?;
            match function.kind() {
                "scoped_identifier" => {
                    let path = function.child_by_field_name("path")?;
                    let path = match path.kind() {
                        "scoped_identifier" => path.child_by_field_name("name")?,
                        _ => path,
                    };
                    text.get(path.byte_range()).map(str::to_string)
                }
                "identifier" => {
                    let name = text.get(function.byte_range())?;
                    name.starts_with(|first: char| first.is_uppercase()).then(|| name.to_string())
                }
                _ => None,
            }
        }
        "new_expression" => text.get(value.child_by_field_name("constructor")?.byte_range()).map(str::to_string),
        "struct_expression" => type_name(text, value.child_by_field_name("name")?),
        "composite_literal" => type_name(text, value.child_by_field_name("type")?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (language, signature, function name, its container, the type it returns)
    type Case = (Language, &'static str, &'static str, Option<&'static str>, Option<&'static str>);

    #[test]
    fn attribute_types_as_declarations_write_them() {
        let cases: &[(Language, &str, &str, Option<&str>)] = &[
            (Language::TypeScript, "private cache: Cache", "cache", Some("Cache")),
            (Language::TypeScript, "protected readonly pool?: Pool<Client> = undefined", "pool", Some("Pool")),
            (Language::TypeScript, "queue = new Queue()", "queue", Some("Queue")),
            (Language::TypeScript, "depth = 0", "depth", None),
            (Language::Python, "client: t.Optional[Client] = None", "client", Some("Client")),
            (Language::Python, "pool = _pool.Pool(size=4)", "pool", Some("Pool")),
            (Language::Python, "name: str = \"x\"", "name", None),
        ];
        for (language, declaration, name, expected) in cases {
            assert_eq!(declared_type(*language, declaration, name).as_deref(), *expected, "{declaration}");
        }
    }

    #[test]
    fn return_types_as_written_in_each_language() {
        let cases: &[Case] = &[
            (
                Language::Rust,
                "pub fn load_config(path: &Path) -> Result<Config, Error> {",
                "load_config",
                None,
                Some("Config"),
            ),
            (Language::Rust, "pub fn new(name: &str) -> Self {", "new", Some("Parser"), Some("Parser")),
            (Language::Rust, "fn entry<'a>(&'a self) -> &'a Entry<'a> {", "entry", None, Some("Entry")),
            (
                Language::Rust,
                "fn open(path: &Path) -> io::Result<Arc<File>>\nwhere\n    P: AsRef<Path>,\n{",
                "open",
                None,
                Some("File"),
            ),
            (Language::Rust, "fn entries(&self) -> impl Iterator<Item = &Entry> {", "entries", None, None),
            (Language::Rust, "fn name(&self) -> String {", "name", None, None),
            (Language::Python, "@property\ndef session(self) -> \"Session\":", "session", None, Some("Session")),
            (
                Language::Python,
                "def get(self, url: str, get_timeout=None) -> t.Optional[Response]:",
                "get",
                None,
                Some("Response"),
            ),
            (Language::Python, "def load(path):", "load", None, None),
            (
                Language::TypeScript,
                "export async function fetchUser(id: string): Promise<User> {",
                "fetchUser",
                None,
                Some("User"),
            ),
            (
                Language::TypeScript,
                "export const makeStore = (initial: State): Store => {",
                "makeStore",
                None,
                Some("Store"),
            ),
            (Language::TypeScript, "clone(): this {", "clone", Some("Request"), Some("Request")),
            (Language::Go, "func Open(name string) (*File, error) {", "Open", None, Some("File")),
            (Language::Go, "func (c *Context) Query(key string) string {", "Query", None, None),
            (Language::Go, "func newTree(root string) *node {", "newTree", None, Some("node")),
            (Language::Java, "public static Config load(String path) {", "load", None, Some("Config")),
        ];
        for (language, signature, name, container, expected) in cases {
            assert_eq!(
                returned_type(*language, signature, name, *container).as_deref(),
                *expected,
                "{language:?} {signature:?}"
            );
        }
    }
}
