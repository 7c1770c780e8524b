//! Module-qualified names, one mechanism for every language: `util.normalize(…)` after
//! `import * as util from "./util.js"`, `docs::usage::render_short()` through `mod docs;`,
//! `errorConstants.MULTIPLE_DONE` after `const { constants: errorConstants } = require(…)`,
//! a bare `Value` after `use crate::Value` that `lib.rs` re-exports with `pub use value::Value`.
//!
//! A file's module facts are its bindings (imports, `mod` declarations, re-exports), read
//! from the text of its import statements. A reference's first segment resolves through the
//! current file's bindings to a module (a file) or a definition; each further segment is
//! looked up in that module's definitions and re-exports — recursively through barrels
//! (`export * from`, `export { x } from`), `pub use` and package `__init__.py` files, to a
//! depth limit — or, after a definition, among that definition's members.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::symbols::{Symbol, SymbolKind};
use crate::language::Language;
use crate::text::is_name_char;

/// Re-exports followed from one reference before giving up: barrels of barrels are common,
/// cycles (`use super::*` both ways) are not worth following.
pub const MAX_DEPTH: usize = 6;

/// Where a binding's module is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A specifier as written: `./util.js` (JavaScript, TypeScript), `.errors` or
    /// `pkg.sub` (Python).
    Spec(String),
    /// A Rust path: `crate`, `super`, `self`, a module or a crate name, then modules.
    Path(Vec<String>),
    /// A Rust `mod name;`: the child module `name`, at its `#[path = "…"]` when it has one.
    Child { name: String, path: Option<String> },
}

/// What a binding takes from its module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// The module itself: `import * as ns`, `const ns = require(…)`, `mod ns;`, `import pkg`.
    Module,
    /// One of its names, as the module defines it (`b` in `import { b as c }`).
    Name(String),
    /// All it exports: `export * from`, `use a::*`, `from x import *`.
    Glob,
}

/// A name a file binds to another module, or to a name of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The name in this file (empty for a glob).
    pub local: String,
    pub from: Source,
    pub imported: Imported,
    /// Visible to the module's importers: `pub use`, `export … from`, `mod`, a name a
    /// package's `__init__.py` imports.
    pub exported: bool,
}

/// The bindings of one file, in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    pub bindings: Vec<Binding>,
}

impl ModuleFacts {
    /// What importers of `path` can reach through it: the index keeps only these.
    pub fn exported_only(mut self, path: &Path) -> ModuleFacts {
        let package_init = path.file_name().is_some_and(|name| name == "__init__.py");
        self.bindings.retain(|binding| binding.exported || package_init);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// The binding a reference's first segment names, if any (never a glob).
    pub fn binding(&self, local: &str) -> Option<&Binding> {
        self.bindings.iter().find(|binding| binding.local == local && binding.imported != Imported::Glob)
    }
}

/// The module facts of `text`: a whole file, or a file's import statements joined by
/// newlines (each statement starting a line, as top-level statements do).
pub fn read(language: Language, text: &str) -> ModuleFacts {
    let bindings = match language {
        Language::Rust => read_rust(text),
        Language::JavaScript | Language::TypeScript | Language::Tsx => read_javascript(text),
        Language::Python => read_python(text),
        _ => Vec::new(),
    };
    ModuleFacts { bindings }
}

/// The top-level statements of `text` that start with one of `starts`: each from its line
/// to the line where its brackets close (at most 80 lines).
fn statements<'t>(text: &'t str, starts: &[&str]) -> Vec<(usize, &'t str)> {
    let mut found = Vec::new();
    let mut offset = 0;
    let mut skip_until = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start < skip_until || !starts.iter().any(|prefix| line.starts_with(prefix)) {
            continue;
        }
        let mut depth: isize = 0;
        let mut end = text.len();
        let mut lines = 0;
        for (index, character) in text[start..].char_indices() {
            match character {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                ';' if depth <= 0 => {
                    end = start + index + 1;
                    break;
                }
                '\n' => {
                    lines += 1;
                    let continued = text[start..start + index].trim_end().ends_with(['\\', ',', '=']);
                    if depth <= 0 && !continued || lines >= 80 {
                        end = start + index;
                        break;
                    }
                }
                _ => {}
            }
        }
        skip_until = end;
        found.push((start, &text[start..end]));
    }
    found
}

// ---- Rust ----

fn read_rust(text: &str) -> Vec<Binding> {
    let mut bindings = Vec::new();
    for (start, statement) in statements(text, &["pub", "use ", "mod "]) {
        let (exported, rest) = strip_visibility(statement);
        if let Some(rest) = rest.strip_prefix("mod ") {
            let name: String = rest.trim_start().chars().take_while(|c| is_name_char(*c)).collect();
            let declared_only = rest.trim_start()[name.len()..].trim_start().starts_with(';');
            if !name.is_empty() && declared_only {
                let path = path_attribute(&text[..start]);
                bindings.push(Binding {
                    local: name.clone(),
                    from: Source::Child { name, path },
                    imported: Imported::Module,
                    exported: true,
                });
            }
        } else if let Some(tree) = rest.strip_prefix("use ") {
            let tokens = use_tokens(tree.trim_end_matches(';'));
            let mut position = 0;
            use_tree(&tokens, &mut position, Vec::new(), exported, &mut bindings);
        }
    }
    bindings
}

/// `(true, rest)` for `pub use …`, `pub(crate) mod …`; `(false, statement)` otherwise.
fn strip_visibility(statement: &str) -> (bool, &str) {
    let Some(rest) = statement.strip_prefix("pub") else {
        return (false, statement);
    };
    let rest = match rest.strip_prefix('(') {
        Some(inside) => match inside.find(')') {
            Some(close) => &inside[close + 1..],
            None => return (false, statement),
        },
        None => rest,
    };
    if !rest.starts_with(char::is_whitespace) {
        return (false, statement);
    }
    (true, rest.trim_start())
}

/// The `#[path = "…"]` among the attribute lines just above a `mod` item.
fn path_attribute(before: &str) -> Option<String> {
    for line in before.lines().rev().take(4) {
        let line = line.trim();
        if !line.starts_with("#[") {
            break;
        }
        if let Some(rest) = line.strip_prefix("#[path") {
            return quoted(rest).map(str::to_string);
        }
    }
    None
}

fn use_tokens(tree: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = tree;
    while let Some(character) = rest.chars().next() {
        if character.is_whitespace() {
            rest = &rest[character.len_utf8()..];
        } else if rest.starts_with("::") {
            tokens.push("::");
            rest = &rest[2..];
        } else if is_name_char(character) {
            let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            tokens.push(&rest[..end]);
            rest = &rest[end..];
        } else {
            tokens.push(&rest[..character.len_utf8()]);
            rest = &rest[character.len_utf8()..];
        }
    }
    tokens
}

/// One use tree (`a::b::{c, d as e, f::*}`) at `tokens[*position]`, under `prefix`.
fn use_tree(tokens: &[&str], position: &mut usize, mut prefix: Vec<String>, exported: bool, out: &mut Vec<Binding>) {
    let mut depth_guard = 0;
    while let Some(token) = tokens.get(*position).copied() {
        depth_guard += 1;
        if depth_guard > 64 {
            return;
        }
        match token {
            "::" => *position += 1,
            "{" => {
                *position += 1;
                loop {
                    match tokens.get(*position).copied() {
                        None => return,
                        Some("}") => {
                            *position += 1;
                            return;
                        }
                        Some(",") => *position += 1,
                        Some(_) => {
                            let before = *position;
                            use_tree(tokens, position, prefix.clone(), exported, out);
                            if *position == before {
                                *position += 1;
                            }
                        }
                    }
                }
            }
            "*" => {
                *position += 1;
                if !prefix.is_empty() {
                    out.push(Binding {
                        local: String::new(),
                        from: Source::Path(prefix),
                        imported: Imported::Glob,
                        exported,
                    });
                }
                return;
            }
            name if name.chars().all(is_name_char) => {
                *position += 1;
                if tokens.get(*position) == Some(&"::") {
                    prefix.push(name.to_string());
                    continue;
                }
                let local = match (tokens.get(*position), tokens.get(*position + 1)) {
                    (Some(&"as"), Some(alias)) => {
                        *position += 2;
                        alias.to_string()
                    }
                    _ => name.to_string(),
                };
                if local == "_" {
                    return;
                }
                if name == "self" {
                    // `use a::b::{self}`: the module `a::b` itself.
                    if let Some(module) = prefix.last().cloned() {
                        let local = if local == "self" { module } else { local };
                        out.push(Binding { local, from: Source::Path(prefix), imported: Imported::Module, exported });
                    }
                } else if prefix.is_empty() {
                    // `use clap_lex;`, `use super;`: a crate or a module by itself.
                    out.push(Binding {
                        local,
                        from: Source::Path(vec![name.to_string()]),
                        imported: Imported::Module,
                        exported,
                    });
                } else {
                    out.push(Binding {
                        local,
                        from: Source::Path(prefix),
                        imported: Imported::Name(name.to_string()),
                        exported,
                    });
                }
                return;
            }
            _ => return,
        }
    }
}

// ---- JavaScript and TypeScript ----

fn read_javascript(text: &str) -> Vec<Binding> {
    let mut bindings = Vec::new();
    let mut local_exports: Vec<(String, String)> = Vec::new();
    let starts = ["import ", "export ", "const ", "let ", "var ", "module.exports", "exports."];
    for (_, statement) in statements(text, &starts) {
        if let Some(rest) = statement.strip_prefix("import ") {
            read_import(rest, &mut bindings);
        } else if let Some(rest) = statement.strip_prefix("export ") {
            read_export(rest, &mut bindings, &mut local_exports);
        } else if statement.starts_with("module.exports") || statement.starts_with("exports.") {
            read_commonjs_export(statement, &mut bindings);
        } else {
            read_require(statement, &mut bindings);
        }
    }
    // `import { a } from "./a"; export { a as b }`: the import, exported under its new name.
    for (local, exported_as) in local_exports {
        if let Some(binding) = bindings.iter().find(|binding| binding.local == local && !binding.exported).cloned() {
            bindings.push(Binding { local: exported_as, exported: true, ..binding });
        }
    }
    bindings
}

/// `import d, * as ns from "x"`, `import { a, b as c } from "x"`.
fn read_import(rest: &str, out: &mut Vec<Binding>) {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("type ").unwrap_or(rest);
    let Some((clause, spec)) = split_from(rest) else {
        return;
    };
    let from = || Source::Spec(spec.to_string());
    let (outside, braces) = split_braces(clause);
    for (original, local) in braces.map(named_list).unwrap_or_default() {
        out.push(Binding { local, from: from(), imported: Imported::Name(original), exported: false });
    }
    for part in outside.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let local = match part.strip_prefix('*') {
            Some(namespace) => namespace.trim_start().strip_prefix("as").map(str::trim),
            None => Some(part),
        };
        if let Some(local) = local.filter(|local| is_name(local)) {
            // A default import is the module's default export; members reached through it
            // (`d.member`) are most often the module's own (a CommonJS module object).
            out.push(Binding { local: local.to_string(), from: from(), imported: Imported::Module, exported: false });
        }
    }
}

/// `export * from "x"`, `export * as ns from "x"`, `export { a, b as c } from "x"`,
/// `export { a as b }`.
fn read_export(rest: &str, out: &mut Vec<Binding>, local_exports: &mut Vec<(String, String)>) {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("type ").unwrap_or(rest);
    if let Some(star) = rest.strip_prefix('*') {
        let Some((clause, spec)) = split_from(star) else {
            return;
        };
        let from = Source::Spec(spec.to_string());
        match clause.trim().strip_prefix("as").map(str::trim).filter(|local| is_name(local)) {
            Some(local) => {
                out.push(Binding { local: local.to_string(), from, imported: Imported::Module, exported: true })
            }
            None => out.push(Binding { local: String::new(), from, imported: Imported::Glob, exported: true }),
        }
        return;
    }
    if !rest.starts_with('{') {
        return;
    }
    let (_, braces) = split_braces(rest);
    let names = braces.map(named_list).unwrap_or_default();
    match split_from(rest) {
        Some((_, spec)) => {
            for (original, local) in names {
                let from = Source::Spec(spec.to_string());
                out.push(Binding { local, from, imported: Imported::Name(original), exported: true });
            }
        }
        None => local_exports.extend(names),
    }
}

/// `const x = require("x")`, `const x = require("x").y`, `const { a, b: c } = require("x")`.
fn read_require(statement: &str, out: &mut Vec<Binding>) {
    let Some(equals) = statement.find('=') else {
        return;
    };
    let target = statement[..equals].split_once(' ').map_or("", |(_, target)| target.trim());
    let Some((spec, after)) = require_spec(&statement[equals + 1..]) else {
        return;
    };
    let from = || Source::Spec(spec.to_string());
    let member = after.strip_prefix('.').map(|member| member.split(|c: char| !is_name_char(c)).next().unwrap_or(""));
    if target.starts_with('{') {
        let (_, braces) = split_braces(target);
        for (original, local) in braces.map(destructured_list).unwrap_or_default() {
            let imported = Imported::Name(original);
            out.push(Binding { local, from: from(), imported, exported: false });
        }
    } else if is_name(target) {
        let imported = match member.filter(|member| is_name(member)) {
            Some(member) => Imported::Name(member.to_string()),
            None => Imported::Module,
        };
        out.push(Binding { local: target.to_string(), from: from(), imported, exported: false });
    }
}

/// `module.exports = require("x")`, `exports.a = require("x")`, `exports.a = require("x").b`.
fn read_commonjs_export(statement: &str, out: &mut Vec<Binding>) {
    let Some(equals) = statement.find('=') else {
        return;
    };
    let Some((spec, after)) = require_spec(&statement[equals + 1..]) else {
        return;
    };
    let from = Source::Spec(spec.to_string());
    let target = statement[..equals].trim();
    let name = target.strip_prefix("module.").unwrap_or(target).strip_prefix("exports").unwrap_or("");
    match name.strip_prefix('.').filter(|name| is_name(name)) {
        Some(name) => {
            let member = after.strip_prefix('.').map(|m| m.split(|c: char| !is_name_char(c)).next().unwrap_or(""));
            let imported = match member.filter(|member| is_name(member)) {
                Some(member) => Imported::Name(member.to_string()),
                None => Imported::Module,
            };
            out.push(Binding { local: name.to_string(), from, imported, exported: true });
        }
        None if name.is_empty() && ends_statement(after) => {
            out.push(Binding { local: String::new(), from, imported: Imported::Glob, exported: true })
        }
        None => {}
    }
}

/// Nothing but a statement's end follows.
fn ends_statement(text: &str) -> bool {
    text.trim().trim_start_matches(';').trim().is_empty()
}

/// The specifier of the first `require("…")` in `text` and the text after its call.
fn require_spec(text: &str) -> Option<(&str, &str)> {
    let at = text.find("require(")?;
    let inside = &text[at + "require(".len()..];
    let spec = quoted(inside)?;
    let close = inside.find(')')?;
    Some((spec, &inside[close + 1..]))
}

/// The clause before `from` and the quoted specifier after it.
fn split_from(text: &str) -> Option<(&str, &str)> {
    let at = text.rfind("from")?;
    let spec = quoted(&text[at + 4..])?;
    Some((&text[..at], spec))
}

/// The text outside the first `{…}` and the text inside it.
fn split_braces(text: &str) -> (String, Option<&str>) {
    match (text.find('{'), text.find('}')) {
        (Some(open), Some(close)) if open < close => {
            (format!("{}{}", &text[..open], &text[close + 1..]), Some(&text[open + 1..close]))
        }
        _ => (text.to_string(), None),
    }
}

/// `a, b as c, type d, default as e` → (original, local) pairs.
fn named_list(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|item| {
            let item = item.trim();
            let item = item.strip_prefix("type ").unwrap_or(item).trim();
            let (original, local) = match item.split_once(" as ") {
                Some((original, local)) => (original.trim(), local.trim()),
                None => (item, item),
            };
            (is_name(original) && is_name(local)).then(|| (original.to_string(), local.to_string()))
        })
        .collect()
}

/// `a, b: c, d = 1, ...rest` → (original, local) pairs.
fn destructured_list(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|item| {
            let item = item.split('=').next().unwrap_or("").trim();
            let (original, local) = match item.split_once(':') {
                Some((original, local)) => (original.trim(), local.trim()),
                None => (item, item),
            };
            (is_name(original) && is_name(local)).then(|| (original.to_string(), local.to_string()))
        })
        .collect()
}

fn quoted(text: &str) -> Option<&str> {
    let start = text.find(['"', '\'', '`'])?;
    let quote = text[start..].chars().next()?;
    let inside = &text[start + 1..];
    let end = inside.find(quote)?;
    Some(&inside[..end])
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(is_name_char) && !text.starts_with(|c: char| c.is_ascii_digit())
}

// ---- Python ----

fn read_python(text: &str) -> Vec<Binding> {
    let mut bindings = Vec::new();
    for (_, statement) in statements(text, &["from ", "import "]) {
        if let Some(rest) = statement.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            let from = || Source::Spec(module.trim().to_string());
            let names = names.replace(['(', ')', '\\'], " ");
            for item in names.split(',').map(str::trim).filter(|item| !item.is_empty()) {
                let item = item.split('#').next().unwrap_or("").trim();
                if item == "*" {
                    bindings.push(Binding {
                        local: String::new(),
                        from: from(),
                        imported: Imported::Glob,
                        exported: false,
                    });
                    continue;
                }
                let (original, local) = match item.split_once(" as ") {
                    Some((original, local)) => (original.trim(), local.trim()),
                    None => (item, item),
                };
                if is_name(original) && is_name(local) {
                    let imported = Imported::Name(original.to_string());
                    bindings.push(Binding { local: local.to_string(), from: from(), imported, exported: false });
                }
            }
        } else if let Some(rest) = statement.strip_prefix("import ") {
            for item in rest.split(',').map(str::trim) {
                let (module, local) = match item.split_once(" as ") {
                    Some((module, local)) => (module.trim(), local.trim().to_string()),
                    // `import a.b` binds `a`; `a.b.f()` walks from it.
                    None => (item.split('.').next().unwrap_or(""), item.split('.').next().unwrap_or("").to_string()),
                };
                if is_name(&local) && module.split('.').all(is_name) {
                    let from = Source::Spec(module.to_string());
                    bindings.push(Binding { local, from, imported: Imported::Module, exported: false });
                }
            }
        }
    }
    bindings
}

// ---- Resolving ----

/// What resolving needs from the files: which exist, their definitions, their facts.
pub trait ModuleFiles {
    /// Whether `path` is a file the context may read (indexed or open, not excluded).
    fn exists(&self, path: &Path) -> bool;
    /// The module facts of `path` (what it exports, and its `mod` declarations).
    fn facts(&self, path: &Path) -> Option<Arc<ModuleFacts>>;
    /// The definition named `name` in `path`: top-level for `None`, else a member of
    /// `container`.
    fn definition(&self, path: &Path, name: &str, container: Option<&str>) -> Option<Symbol>;
    /// The files that define `name` (at the top level or as a CommonJS export).
    fn defining(&self, name: &str) -> Vec<PathBuf>;
    /// The workspace folders, to find a sibling Rust crate by name.
    fn roots(&self) -> &[PathBuf];
}

/// A definition a module-qualified reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub symbol: Symbol,
    /// Modules and re-exports passed on the way: the import distance.
    pub hops: usize,
}

/// What a reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Definition(Found),
    /// A module (`docs::usage`, `util` of `import * as util`): nothing to show but the
    /// definitions reached through it.
    Module,
}

#[derive(Debug, Clone)]
enum Target {
    Module(PathBuf),
    Definition(PathBuf, Symbol),
}

/// Resolves references of one file.
pub struct Resolver<'a> {
    files: &'a dyn ModuleFiles,
    language: Language,
    current: &'a Path,
    /// All of the current file's bindings (not only the exported ones).
    current_facts: Arc<ModuleFacts>,
    /// Module files already found, by the file they are named from and how: every member
    /// of a barrel asks for the same ones.
    found_files: RefCell<HashMap<PathBuf, HashMap<Source, Option<PathBuf>>>>,
    glob_targets: RefCell<HashMap<PathBuf, Rc<Vec<GlobTarget>>>>,
}

/// A module a glob re-exports.
struct GlobTarget {
    path: PathBuf,
    facts: Option<Arc<ModuleFacts>>,
}

impl<'a> Resolver<'a> {
    pub fn new(files: &'a dyn ModuleFiles, language: Language, current: &'a Path, facts: &ModuleFacts) -> Resolver<'a> {
        Resolver {
            files,
            language,
            current,
            current_facts: Arc::new(facts.clone()),
            found_files: RefCell::default(),
            glob_targets: RefCell::default(),
        }
    }

    /// Whether a reference with this first segment can be module-qualified at all: the
    /// file binds it, or it is a Rust path keyword or a quoted specifier.
    pub fn binds(&self, first: &str) -> bool {
        self.current_facts.binding(first).is_some()
            || first.starts_with('"')
            || self.language == Language::Rust
                && (matches!(first, "crate" | "super" | "self") || could_be_a_crate(first))
    }

    /// Whether the file has glob imports (`use crate::prelude::*`, `from .x import *`) a bare
    /// name may come through.
    pub fn has_globs(&self) -> bool {
        self.current_facts.bindings.iter().any(|binding| binding.imported == Imported::Glob)
    }

    /// The definition `segments` (the qualifier's segments, then the name) mean.
    pub fn resolve(&self, segments: &[String]) -> Option<Resolved> {
        let (first, rest) = segments.split_first()?;
        let mut hops = 0;
        let mut visited = HashSet::new();
        let mut target = self.first_segment(first, &mut hops, &mut visited)?;
        for segment in rest {
            target = self.step(target, segment, &mut hops, &mut visited)?;
        }
        Some(match target {
            Target::Definition(path, symbol) => Resolved::Definition(Found { path, symbol, hops }),
            Target::Module(_) => Resolved::Module,
        })
    }

    fn first_segment(&self, first: &str, hops: &mut usize, visited: &mut Visited) -> Option<Target> {
        if let Some(spec) = first.strip_prefix('"').and_then(|spec| spec.strip_suffix('"')) {
            return self.module_file(self.current, &Source::Spec(spec.to_string())).map(Target::Module);
        }
        if self.language == Language::Rust {
            match first {
                "crate" => return crate_root(self.files, self.current).map(Target::Module),
                "self" => return Some(Target::Module(self.current.to_path_buf())),
                "super" => return parent_module(self.files, self.current).map(Target::Module),
                _ => {}
            }
        }
        if let Some(binding) = self.current_facts.binding(first) {
            return self.follow(self.current, binding, hops, visited);
        }
        if self.language == Language::Rust && could_be_a_crate(first) {
            let path = Source::Path(vec![first.to_string()]);
            if let Some(module) = self.module_file(self.current, &path) {
                return Some(Target::Module(module));
            }
        }
        // A name no import binds may come through one of the file's globs.
        if self.has_globs() {
            let facts = self.current_facts.clone();
            for target in self.glob_targets(self.current, &facts).iter() {
                if let Some(found) = self.lookup(&target.path, first, 1, hops, visited) {
                    *hops += 1;
                    return Some(found);
                }
            }
        }
        None
    }

    fn step(&self, target: Target, name: &str, hops: &mut usize, visited: &mut Visited) -> Option<Target> {
        match target {
            Target::Module(module) => {
                *hops += 1;
                self.lookup(&module, name, 0, hops, visited)
            }
            Target::Definition(path, symbol) => {
                let member = self.files.definition(&path, name, Some(&symbol.name))?;
                Some(Target::Definition(path, member))
            }
        }
    }

    /// Where `binding` (of `file`) leads.
    fn follow(&self, file: &Path, binding: &Binding, hops: &mut usize, visited: &mut Visited) -> Option<Target> {
        let module = self.module_file(file, &binding.from)?;
        match &binding.imported {
            Imported::Module => Some(Target::Module(module)),
            Imported::Name(name) => {
                *hops += 1;
                self.lookup(&module, name, 0, hops, visited)
            }
            Imported::Glob => None,
        }
    }

    /// `name` in the module `module`: its definition, a child module, or what a re-export
    /// of it leads to.
    fn lookup(
        &self,
        module: &Path,
        name: &str,
        depth: usize,
        hops: &mut usize,
        visited: &mut Visited,
    ) -> Option<Target> {
        if depth > MAX_DEPTH || !visited.insert((module.to_path_buf(), name.to_string())) {
            return None;
        }
        // A `mod name;` declaration is a binding, followed below; not a definition to show.
        let definition = self.files.definition(module, name, None).filter(|symbol| symbol.kind != SymbolKind::Module);
        if let Some(symbol) = definition {
            return Some(Target::Definition(module.to_path_buf(), symbol));
        }
        let scripts = matches!(self.language, Language::JavaScript | Language::TypeScript | Language::Tsx);
        if scripts {
            // CommonJS: `exports.name = …`, `module.exports = { name: … }`.
            if let Some(symbol) = self.files.definition(module, name, Some("exports")) {
                return Some(Target::Definition(module.to_path_buf(), symbol));
            }
        }
        let facts = self.facts_of(module);
        if let Some(binding) = facts.as_deref().and_then(|facts| facts.binding(name)) {
            let binding = binding.clone();
            if let Some(found) = self.follow_nested(module, &binding, depth, hops, visited) {
                return Some(found);
            }
        }
        if self.language == Language::Python && module.file_name().is_some_and(|file| file == "__init__.py") {
            if let Some(child) = python_module(self.files, module.parent()?, &[name]) {
                return Some(Target::Module(child));
            }
        }
        let facts = facts.filter(|facts| facts.bindings.iter().any(|b| b.imported == Imported::Glob))?;
        let defining = self.files.defining(name);
        for target in self.glob_targets(module, &facts).iter() {
            // Most modules of a barrel neither define nor pass on the name: skip them before
            // the walk's bookkeeping.
            let passes_on = target.facts.as_deref().is_some_and(|facts| {
                facts.bindings.iter().any(|binding| binding.local == name || binding.imported == Imported::Glob)
            });
            let promising = passes_on || self.language == Language::Python || defining.contains(&target.path);
            if !promising {
                continue;
            }
            if let Some(found) = self.lookup(&target.path, name, depth + 1, hops, visited) {
                *hops += 1;
                return Some(found);
            }
        }
        None
    }

    /// The modules `module`'s globs (`export * from`, `pub use a::*`) lead to, with their
    /// facts: read once per request, since every name looked up in a barrel walks them.
    fn glob_targets(&self, module: &Path, facts: &ModuleFacts) -> Rc<Vec<GlobTarget>> {
        if let Some(targets) = self.glob_targets.borrow().get(module) {
            return targets.clone();
        }
        let globs = facts.bindings.iter().filter(|binding| binding.imported == Imported::Glob);
        let targets: Vec<GlobTarget> = globs
            .filter(|glob| glob.exported || module == self.current)
            .filter_map(|glob| self.module_file(module, &glob.from))
            .map(|path| GlobTarget { facts: self.facts_of(&path), path })
            .collect();
        let targets = Rc::new(targets);
        self.glob_targets.borrow_mut().insert(module.to_path_buf(), targets.clone());
        targets
    }

    fn follow_nested(
        &self,
        file: &Path,
        binding: &Binding,
        depth: usize,
        hops: &mut usize,
        visited: &mut Visited,
    ) -> Option<Target> {
        let module = self.module_file(file, &binding.from)?;
        match &binding.imported {
            Imported::Module => Some(Target::Module(module)),
            Imported::Name(name) => {
                *hops += 1;
                self.lookup(&module, name, depth + 1, hops, visited)
            }
            Imported::Glob => None,
        }
    }

    fn facts_of(&self, path: &Path) -> Option<Arc<ModuleFacts>> {
        if path == self.current {
            return Some(self.current_facts.clone());
        }
        self.files.facts(path)
    }

    /// The file of the module `source` names, seen from `file`.
    fn module_file(&self, file: &Path, source: &Source) -> Option<PathBuf> {
        if let Some(found) = self.found_files.borrow().get(file).and_then(|by_source| by_source.get(source)) {
            return found.clone();
        }
        let found = self.find_module_file(file, source);
        self.found_files.borrow_mut().entry(file.to_path_buf()).or_default().insert(source.clone(), found.clone());
        found
    }

    fn find_module_file(&self, file: &Path, source: &Source) -> Option<PathBuf> {
        match source {
            Source::Spec(spec) => match self.language {
                Language::Python => python_spec(self.files, file, spec),
                _ => script_spec(self.files, file, spec),
            },
            Source::Child { name, path } => child_module(self.files, file, name, path.as_deref()),
            Source::Path(segments) => self.rust_path(file, segments),
        }
    }

    /// The module a Rust path names, seen from `file`.
    fn rust_path(&self, file: &Path, segments: &[String]) -> Option<PathBuf> {
        let (first, rest) = segments.split_first()?;
        let mut module = match first.as_str() {
            "crate" => crate_root(self.files, file)?,
            "self" => file.to_path_buf(),
            "super" => parent_module(self.files, file)?,
            name => {
                let facts = self.facts_of(file);
                let child = facts.as_deref().and_then(|facts| {
                    facts
                        .bindings
                        .iter()
                        .find(|binding| binding.local == name && matches!(binding.from, Source::Child { .. }))
                });
                match child {
                    Some(binding) => self.module_file(file, &binding.from)?,
                    None => sibling_crate(self.files, file, name)?,
                }
            }
        };
        for segment in rest {
            module = match segment.as_str() {
                "super" => parent_module(self.files, &module)?,
                "self" => module,
                name => {
                    let facts = self.facts_of(&module)?;
                    let binding = facts.binding(name)?.clone();
                    match binding.from {
                        Source::Child { .. } => self.module_file(&module, &binding.from)?,
                        _ if binding.imported == Imported::Module => self.module_file(&module, &binding.from)?,
                        _ => return None,
                    }
                }
            };
        }
        Some(module)
    }
}

type Visited = HashSet<(PathBuf, String)>;

/// `folder` joined with a relative path as written (`./a`, `../b/c`), its `.` and `..`
/// applied without touching the disk (and without touching `folder`: the workspace's own
/// path is kept as the index knows it).
fn join_relative(folder: &Path, relative: &str) -> PathBuf {
    let mut joined = folder.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                joined.pop();
            }
            other => joined.push(other),
        }
    }
    joined
}

fn first_existing(files: &dyn ModuleFiles, candidates: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    candidates.into_iter().find(|candidate| files.exists(candidate))
}

/// A relative JavaScript or TypeScript specifier: the file itself, `.js` written for a
/// `.ts` source, the extension left out, or a folder's `index`.
fn script_spec(files: &dyn ModuleFiles, file: &Path, spec: &str) -> Option<PathBuf> {
    if !spec.starts_with('.') {
        return None;
    }
    let base = join_relative(file.parent()?, spec);
    const EXTENSIONS: [&str; 8] = ["ts", "tsx", "js", "mjs", "cjs", "jsx", "mts", "cts"];
    let mut candidates = vec![base.clone()];
    if let Some(extension) = base.extension().and_then(|extension| extension.to_str()) {
        let swapped: &[&str] = match extension {
            "js" | "jsx" => &["ts", "tsx"],
            "mjs" => &["mts"],
            "cjs" => &["cts"],
            _ => &[],
        };
        candidates.extend(swapped.iter().map(|swapped| base.with_extension(swapped)));
    }
    let with = |path: &Path, extension: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(".");
        name.push(extension);
        PathBuf::from(name)
    };
    candidates.extend(EXTENSIONS.iter().map(|extension| with(&base, extension)));
    candidates.extend(EXTENSIONS.iter().map(|extension| with(&base.join("index"), extension)));
    first_existing(files, candidates)
}

/// A Python module: `.x` and `..pkg.x` from the file's package, `pkg.x` from the nearest
/// folder above the file that has it.
fn python_spec(files: &dyn ModuleFiles, file: &Path, spec: &str) -> Option<PathBuf> {
    let dots = spec.chars().take_while(|c| *c == '.').count();
    let parts: Vec<&str> = spec[dots..].split('.').filter(|part| !part.is_empty()).collect();
    if dots > 0 {
        let mut base = file.parent()?;
        for _ in 1..dots {
            base = base.parent()?;
        }
        if parts.is_empty() {
            return first_existing(files, [base.join("__init__.py")]);
        }
        return python_module(files, base, &parts);
    }
    file.ancestors().skip(1).take(8).find_map(|folder| python_module(files, folder, &parts))
}

fn python_module(files: &dyn ModuleFiles, folder: &Path, parts: &[&str]) -> Option<PathBuf> {
    let joined: PathBuf = parts.iter().collect();
    first_existing(files, [folder.join(&joined).with_extension("py"), folder.join(&joined).join("__init__.py")])
}

/// The file of `mod name;` declared in `file`: at its `#[path]`, else in the module's own
/// folder (`name.rs`, `name/mod.rs`).
fn child_module(files: &dyn ModuleFiles, file: &Path, name: &str, path: Option<&str>) -> Option<PathBuf> {
    if let Some(path) = path {
        // Relative to the folder of the declaring file.
        return first_existing(files, [join_relative(file.parent()?, path)]);
    }
    let folder = own_folder(file)?;
    first_existing(files, [folder.join(format!("{name}.rs")), folder.join(name).join("mod.rs")])
}

/// The folder a Rust module's children live in: beside `mod.rs`, `lib.rs` and `main.rs`,
/// else a folder named after the file.
fn own_folder(file: &Path) -> Option<PathBuf> {
    let stem = file.file_stem()?.to_str()?;
    let folder = file.parent()?;
    Some(if matches!(stem, "mod" | "lib" | "main") { folder.to_path_buf() } else { folder.join(stem) })
}

/// `lib.rs` or `main.rs` of the crate `file` is in.
fn crate_root(files: &dyn ModuleFiles, file: &Path) -> Option<PathBuf> {
    let source = file.ancestors().skip(1).find(|folder| folder.file_name().is_some_and(|name| name == "src"))?;
    first_existing(files, [source.join("lib.rs"), source.join("main.rs")])
}

/// The module that declares `file`'s module (`super`).
fn parent_module(files: &dyn ModuleFiles, file: &Path) -> Option<PathBuf> {
    let stem = file.file_stem()?.to_str()?;
    if matches!(stem, "lib" | "main") {
        return None;
    }
    let folder = if stem == "mod" { file.parent()?.parent()? } else { file.parent()? };
    first_existing(
        files,
        [folder.join("mod.rs"), folder.join("lib.rs"), folder.join("main.rs"), folder.with_extension("rs")],
    )
}

/// A Rust path's first segment that may name a crate of the workspace (not the standard
/// library's, not a type).
fn could_be_a_crate(name: &str) -> bool {
    is_name(name) && name.starts_with(|c: char| c.is_ascii_lowercase()) && !matches!(name, "std" | "core" | "alloc")
}

/// A crate of the workspace by the name code uses for it (`toml_edit`): beside the current
/// crate's folder, or in a `crates` folder, up to the workspace folders.
fn sibling_crate(files: &dyn ModuleFiles, file: &Path, name: &str) -> Option<PathBuf> {
    if !is_name(name) || name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let source = file.ancestors().skip(1).find(|folder| folder.file_name().is_some_and(|n| n == "src"))?;
    let names = [name.to_string(), name.replace('_', "-")];
    let mut candidates = Vec::new();
    for folder in source.ancestors().skip(1).take(4) {
        for name in &names {
            candidates.push(folder.join(name).join("src/lib.rs"));
            candidates.push(folder.join("crates").join(name).join("src/lib.rs"));
        }
        if files.roots().iter().any(|root| root == folder) {
            break;
        }
    }
    first_existing(files, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings(language: Language, text: &str) -> Vec<(String, Source, Imported, bool)> {
        read(language, text)
            .bindings
            .into_iter()
            .map(|binding| (binding.local, binding.from, binding.imported, binding.exported))
            .collect()
    }

    fn spec(text: &str) -> Source {
        Source::Spec(text.to_string())
    }

    fn path(segments: &[&str]) -> Source {
        Source::Path(segments.iter().map(|segment| segment.to_string()).collect())
    }

    fn name(text: &str) -> Imported {
        Imported::Name(text.to_string())
    }

    #[test]
    fn rust_uses_mods_and_re_exports() {
        let text = "use crate::output::{fmt::Colorizer, Usage as U, self};\nuse std::io;\npub use value::Value;\n\
                    pub(crate) use crate::de::*;\n#[cfg(unix)]\n#[path = \"gen/bits.rs\"]\nmod bits;\npub mod zsh;\n\
                    mod inline {\n    use super::x;\n}\n";
        assert_eq!(
            bindings(Language::Rust, text),
            vec![
                ("Colorizer".into(), path(&["crate", "output", "fmt"]), name("Colorizer"), false),
                ("U".into(), path(&["crate", "output"]), name("Usage"), false),
                ("output".into(), path(&["crate", "output"]), Imported::Module, false),
                ("io".into(), path(&["std"]), name("io"), false),
                ("Value".into(), path(&["value"]), name("Value"), true),
                (String::new(), path(&["crate", "de"]), Imported::Glob, true),
                (
                    "bits".into(),
                    Source::Child { name: "bits".into(), path: Some("gen/bits.rs".into()) },
                    Imported::Module,
                    true
                ),
                ("zsh".into(), Source::Child { name: "zsh".into(), path: None }, Imported::Module, true),
            ]
        );
    }

    #[test]
    fn script_imports_requires_and_barrels() {
        let text = "import * as util from \"./util.js\"\nimport core, { a, b as c } from './core'\n\
                    import type { T } from './types'\nexport * from './paths.js'\nexport * as errors from './errors'\n\
                    export {\n  d,\n  e as f,\n} from './more'\nconst { g, h: i } = require('./cjs');\n\
                    var j = require(\"./j\").k;\nexport { a as renamed }\nexports.l = require('./l');\n";
        assert_eq!(
            bindings(Language::TypeScript, text),
            vec![
                ("util".into(), spec("./util.js"), Imported::Module, false),
                ("a".into(), spec("./core"), name("a"), false),
                ("c".into(), spec("./core"), name("b"), false),
                ("core".into(), spec("./core"), Imported::Module, false),
                ("T".into(), spec("./types"), name("T"), false),
                (String::new(), spec("./paths.js"), Imported::Glob, true),
                ("errors".into(), spec("./errors"), Imported::Module, true),
                ("d".into(), spec("./more"), name("d"), true),
                ("f".into(), spec("./more"), name("e"), true),
                ("g".into(), spec("./cjs"), name("g"), false),
                ("i".into(), spec("./cjs"), name("h"), false),
                ("j".into(), spec("./j"), name("k"), false),
                ("l".into(), spec("./l"), Imported::Module, true),
                ("renamed".into(), spec("./core"), name("a"), true),
            ]
        );
    }

    #[test]
    fn python_imports() {
        let text =
            "from . import helpers\nfrom .x import (\n    a,\n    b as c,\n)\nimport os.path\nimport pkg.sub as s\n";
        assert_eq!(
            bindings(Language::Python, text),
            vec![
                ("helpers".into(), spec("."), name("helpers"), false),
                ("a".into(), spec(".x"), name("a"), false),
                ("c".into(), spec(".x"), name("b"), false),
                ("os".into(), spec("os"), Imported::Module, false),
                ("s".into(), spec("pkg.sub"), Imported::Module, false),
            ]
        );
    }

    proptest::proptest! {
        /// Whatever the text (statements cut anywhere, multi-byte characters next to quotes
        /// and brackets), reading module facts never panics.
        #[test]
        fn reading_never_panics(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "use ", "pub(crate) ", "mod ", "#[path = \"é/x.rs\"]\n", "a::", "{", "}", "*", " as ", ",", ";", "\n",
                "import ", "export ", "* as ns ", " from ", "\"./x.js\"", "'é", "const ", "{ a: b }", " = require(",
                ")", ".y", "from ", " import ", "(", "é", "\\", "=", "exports.", "module.exports",
            ]), 0..40),
        ) {
            let text: String = pieces.concat();
            for language in [Language::Rust, Language::TypeScript, Language::JavaScript, Language::Python] {
                let _ = read(language, &text);
            }
        }
    }

    #[test]
    fn broken_statements_bind_nothing_and_never_panic() {
        for text in
            ["use a::{b, ", "import { a from", "export * from", "const { = require(", "from . import", "pub(", "mod"]
        {
            for language in [Language::Rust, Language::TypeScript, Language::Python] {
                let _ = read(language, text);
            }
        }
        assert!(read(Language::TypeScript, "import { a from").bindings.is_empty());
    }
}
