//! The types a function's names are known to have, read from its own syntax: the type the
//! method belongs to (`self`, `this`, a Go receiver) and its base classes, annotated
//! parameters (`arg: &Arg`, `c *gin.Context`, `url: URL`), and locals built from a type
//! (`let usage = Usage::new(cmd)`, `url = URL(raw)`, `hook = new Hook()`, `x := &Mux{}`).
//! The resolver looks a method up on that type first instead of by bare name. Only the
//! nodes of the enclosing function are visited, never the whole file.

use std::collections::HashMap;

use tree_sitter::Node;

use super::symbols::type_name;

/// Upper bound on the nodes visited in one function, so a generated 60 KB function stays
/// cheap.
const MAX_VISITED_NODES: usize = 20_000;

/// The names `self`, `this`, `Self` and `cls` stand for inside `enclosing` (outermost first):
/// the enclosing impl's or class's type, then its base classes.
pub fn receiver_types(text: &str, enclosing: &[Node]) -> Vec<String> {
    let mut types = Vec::new();
    for node in enclosing.iter().rev() {
        match node.kind() {
            "impl_item" => types.extend(node.child_by_field_name("type").and_then(|t| type_name(text, t))),
            "trait_item"
            | "class_declaration"
            | "abstract_class_declaration"
            | "class"
            | "class_definition"
            | "class_specifier"
            | "struct_specifier"
            | "record_declaration" => {
                types.extend(
                    node.child_by_field_name("name").and_then(|name| text.get(name.byte_range())).map(str::to_string),
                );
                types.extend(base_types(text, *node));
            }
            "method_declaration" => {
                if let Some(receiver) = node.child_by_field_name("receiver") {
                    types.extend(type_name(text, receiver));
                }
            }
            _ => {}
        }
    }
    types.dedup();
    types
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

/// Local names of `function` with the type they are annotated with or built from.
pub fn binding_types(text: &str, function: Node) -> HashMap<String, String> {
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

/// `(name, type)` when `node` binds a plain name to a known type.
fn binding(text: &str, node: Node) -> Option<(String, String)> {
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
        .or_else(|| value.and_then(|value| constructed_type(text, value)))?;
    Some((text.get(name.byte_range())?.to_string(), bound))
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
