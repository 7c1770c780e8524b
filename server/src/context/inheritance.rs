//! The classes a type inherits from, wherever they are defined: `self.merge()` inside
//! `class Client(BaseClient)` means `BaseClient.merge` even when `BaseClient` lives in another
//! file and gets `merge` from its own base there. A class's bases are read from its header as
//! written (`class Client(_base.BaseClient, Generic[T]):`, `export class Pg extends Client<T>
//! implements Driver {`), found through the current file, the open files, then the workspace
//! index, breadth-first to [`MAX_DEPTH`] steps, each class once (a cycle ends the walk).

use std::collections::{HashMap, HashSet};

use super::receivers;
use super::symbols::{Symbol, SymbolKind};
use super::{is_imported, uri_to_path, ContextInput};
use crate::language::Language;
use crate::text::is_name_char;

/// Inheritance steps followed from a class: deeper than this, a member is as likely to be
/// a framework's as the project's.
pub const MAX_DEPTH: u8 = 4;
/// Classes in one lineage at most (wide multiple inheritance stays cheap).
const MAX_CLASSES: usize = 16;
/// A class name with more workspace definitions than this is trusted only where the
/// imports name the file.
const MAX_UNVOUCHED_DEFINITIONS: usize = 4;

/// A type a qualifier stands for, and how many inheritance steps it is from the
/// qualifier's own type (0: the type itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    pub name: String,
    pub depth: u8,
}

/// Looks up class headers for one request, remembering each class's bases.
pub struct Lineages<'a> {
    input: &'a ContextInput<'a>,
    current_symbols: &'a [Symbol],
    language: Language,
    import_text: &'a str,
    /// `alias -> original` of the current file's imports (`from ._base import Base as _Base`).
    aliases: &'a HashMap<String, String>,
    bases: HashMap<String, Vec<String>>,
    /// The classes and interfaces of the current file, by name, read on the first lookup ...
    current_classes: Option<HashMap<String, Vec<Symbol>>>,
    /// ... and of the open files, read on the first lookup the current file cannot answer.
    open_classes: Option<HashMap<String, Vec<(Language, Symbol)>>>,
}

fn is_class(symbol: &Symbol) -> bool {
    matches!(symbol.kind, SymbolKind::Class | SymbolKind::Interface)
}

impl<'a> Lineages<'a> {
    pub fn new(
        input: &'a ContextInput<'a>,
        current_symbols: &'a [Symbol],
        language: Language,
        import_text: &'a str,
        aliases: &'a HashMap<String, String>,
    ) -> Lineages<'a> {
        Lineages {
            input,
            current_symbols,
            language,
            import_text,
            aliases,
            bases: HashMap::new(),
            current_classes: None,
            open_classes: None,
        }
    }

    /// `seeds` (types at known depths, nearest first) and every class they inherit from,
    /// breadth-first, each once.
    pub fn expand(&mut self, seeds: &[Ancestor]) -> Vec<Ancestor> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut lineage: Vec<Ancestor> = Vec::new();
        let mut queue: std::collections::VecDeque<Ancestor> =
            seeds.iter().map(|seed| Ancestor { name: self.original(&seed.name), depth: seed.depth }).collect();
        while let Some(class) = queue.pop_front() {
            if lineage.len() >= MAX_CLASSES {
                break;
            }
            if !seen.insert(class.name.clone()) {
                continue;
            }
            if class.depth < MAX_DEPTH {
                for base in self.bases_of(&class.name) {
                    if !seen.contains(&base) {
                        queue.push_back(Ancestor { name: base, depth: class.depth + 1 });
                    }
                }
            }
            lineage.push(class);
        }
        lineage
    }

    /// The type the nearest of `classes` declares its field or attribute `name` with
    /// (`client: Client` in a base class's body, `protected cache: Cache`): the current
    /// file's declaration, else an open file's, else the workspace's.
    pub fn declared_type(&self, name: &str, classes: &[Ancestor]) -> Option<String> {
        let declares = |symbol: &Symbol, class: &str| {
            *symbol.name == *name
                && matches!(symbol.kind, SymbolKind::Field | SymbolKind::Constant)
                && symbol.container.as_deref() == Some(class)
        };
        let read = |language: Language, symbol: &Symbol| receivers::declared_type(language, &symbol.signature, name);
        for class in classes {
            let class = class.name.as_str();
            if let Some(symbol) = self.current_symbols.iter().find(|symbol| declares(symbol, class)) {
                return read(self.language, symbol);
            }
            for open in self.input.open_documents.iter().filter(|open| open.uri != self.input.document.uri) {
                let Some(language) = open.language.filter(|_| open.tree.is_some()) else {
                    continue;
                };
                let facts = self.input.workspace.open_documents().facts(open);
                if let Some(symbol) = facts.symbols.iter().find(|symbol| declares(symbol, class)) {
                    return read(language, symbol);
                }
            }
            let found = self.input.workspace.lookup_with(name, |hits| {
                hits.iter().find(|hit| declares(&hit.symbol, class)).map(|hit| read(hit.language, &hit.symbol))
            });
            if let Some(found) = found {
                return found;
            }
        }
        None
    }

    fn original(&self, name: &str) -> String {
        self.aliases.get(name).cloned().unwrap_or_else(|| name.to_string())
    }

    /// The bases named by the headers of the classes called `class`: the current file's
    /// definitions, else the open files', else the workspace's.
    fn bases_of(&mut self, class: &str) -> Vec<String> {
        if let Some(known) = self.bases.get(class) {
            return known.clone();
        }
        let mut bases: Vec<String> = Vec::new();
        let mut add = |language: Language, symbol: &Symbol, aliases: Option<&HashMap<String, String>>| {
            for base in bases_in_header(language, &symbol.signature) {
                let base = aliases.and_then(|aliases| aliases.get(&base)).cloned().unwrap_or(base);
                if base != class && !bases.contains(&base) {
                    bases.push(base);
                }
            }
        };
        let (input, current_symbols) = (self.input, self.current_symbols);
        let current_classes = self.current_classes.get_or_insert_with(|| {
            let mut known: HashMap<String, Vec<Symbol>> = HashMap::new();
            for symbol in current_symbols.iter().filter(|symbol| is_class(symbol)) {
                known.entry(symbol.name.to_string()).or_default().push(symbol.clone());
            }
            known
        });
        let mut found = false;
        for symbol in current_classes.get(class).into_iter().flatten() {
            add(self.language, symbol, Some(self.aliases));
            found = true;
        }
        if found {
            self.bases.insert(class.to_string(), bases.clone());
            return bases;
        }
        let open_classes = self.open_classes.get_or_insert_with(|| {
            let mut known: HashMap<String, Vec<(Language, Symbol)>> = HashMap::new();
            for open in input.open_documents.iter().filter(|open| open.uri != input.document.uri) {
                let Some(language) = open.language.filter(|_| open.tree.is_some()) else {
                    continue;
                };
                if uri_to_path(&open.uri).is_some_and(|path| input.exclude.is_excluded(&path, input.root)) {
                    continue;
                }
                let facts = input.workspace.open_documents().facts(open);
                for symbol in facts.symbols.iter().filter(|symbol| is_class(symbol)) {
                    known.entry(symbol.name.to_string()).or_default().push((language, symbol.clone()));
                }
            }
            known
        });
        for (language, symbol) in open_classes.get(class).into_iter().flatten() {
            add(*language, symbol, None);
            found = true;
        }
        if !found {
            let current_path = uri_to_path(&self.input.document.uri);
            let import_text = self.import_text;
            self.input.workspace.lookup_with(class, |hits| {
                let classes: Vec<_> = hits
                    .iter()
                    .filter(|hit| {
                        is_class(&hit.symbol)
                            && Some(&*hit.path) != current_path.as_deref()
                            && !self.input.exclude.is_excluded(&hit.path, self.input.root)
                    })
                    .collect();
                let trusted = classes.len() <= MAX_UNVOUCHED_DEFINITIONS;
                for hit in classes {
                    if trusted || is_imported(import_text, Some(&hit.path)) {
                        add(hit.language, &hit.symbol, None);
                    }
                }
            });
        }
        self.bases.insert(class.to_string(), bases.clone());
        bases
    }
}

/// The bases a class or interface header names, last segment of each (`BaseClient` for
/// `_base.BaseClient`, `Client` for `Client<T>`), in order: Python's parenthesised list
/// (keywords such as `metaclass=` skipped), `extends` and `implements` elsewhere.
pub fn bases_in_header(language: Language, signature: &str) -> Vec<String> {
    let Some(header) = header(language, signature) else {
        return Vec::new();
    };
    let listed: Vec<&str> = if language == Language::Python {
        let Some(open) = header.find('(') else {
            return Vec::new();
        };
        let close = header.rfind(')').unwrap_or(header.len());
        if close <= open {
            return Vec::new();
        }
        split_top_level(&header[open + 1..close]).into_iter().filter(|item| !is_keyword_argument(item)).collect()
    } else {
        let mut listed = Vec::new();
        for keyword in ["extends", "implements"] {
            if let Some(after) = after_top_level_word(header, keyword) {
                let end = ["implements", "extends"]
                    .iter()
                    .filter_map(|stop| top_level_word(after, stop))
                    .min()
                    .unwrap_or(after.len());
                listed.extend(split_top_level(&after[..end]));
            }
        }
        listed
    };
    listed
        .into_iter()
        .filter_map(|item| {
            // A call (`mixin(A)`) names no class; generic arguments (`Generic[T]`, `Base<T>`)
            // are not the base.
            if item.contains('(') {
                return None;
            }
            let item = item.split(['[', '<']).next().unwrap_or("").trim();
            let name = item.rsplit('.').next().unwrap_or("").trim();
            let plain = !name.is_empty() && name.chars().all(is_name_char);
            (plain && !matches!(name, "object" | "Generic" | "Protocol" | "ABC")).then(|| name.to_string())
        })
        .collect()
}

/// The header of a class or interface: from its keyword to its body (`:` in Python, `{`
/// elsewhere), past decorators and the lead (`export default abstract`).
fn header(language: Language, signature: &str) -> Option<&str> {
    let start = ["class", "interface"].iter().filter_map(|keyword| top_level_word(signature, keyword)).min()?;
    let rest = &signature[start..];
    let body = if language == Language::Python { ':' } else { '{' };
    let mut depth = 0i32;
    for (at, character) in rest.char_indices() {
        match character {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' | '>' => depth -= 1,
            _ if character == body && depth <= 0 => return Some(&rest[..at]),
            _ => {}
        }
    }
    Some(rest)
}

/// `key=value` in a Python base list (`metaclass=ABCMeta`, `total=False`).
fn is_keyword_argument(item: &str) -> bool {
    item.find('=').is_some_and(|at| !item[at + 1..].starts_with('='))
}

/// The comma-separated items of `list` outside brackets, trimmed, empty ones dropped.
fn split_top_level(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (at, character) in list.char_indices() {
        match character {
            '(' | '[' | '<' | '{' => depth += 1,
            ')' | ']' | '>' | '}' => depth -= 1,
            ',' if depth <= 0 => {
                items.push(list[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(list[start..].trim());
    items.retain(|item| !item.is_empty());
    items
}

/// Where `word` first stands as a whole word outside `<…>` and `(…)` (so the `extends` of
/// `class A<T extends B>` is not the class's).
fn top_level_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    for (at, character) in text.char_indices() {
        match character {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' | '>' => depth -= 1,
            _ if depth <= 0 && text[at..].starts_with(word) => {
                let before = at == 0 || !is_name_char(text[..at].chars().next_back().unwrap_or(' '));
                let after = bytes.get(at + word.len()).is_none_or(|&next| !is_name_char(next as char));
                if before && after {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

fn after_top_level_word<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    top_level_word(text, word).map(|at| &text[at + word.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_as_headers_write_them() {
        let cases: &[(Language, &str, &[&str])] = &[
            (Language::Python, "class Client(BaseClient):\n    def get(self): ...", &["BaseClient"]),
            (
                Language::Python,
                "@dataclass\nclass Pool(_base.Pool, Generic[T], metaclass=ABCMeta):\n    x = 1",
                &["Pool"],
            ),
            (Language::Python, "class Plain:\n    pass", &[]),
            (Language::Python, "class Old(object):\n    pass", &[]),
            (
                Language::TypeScript,
                "export default abstract class Pg<T extends Base> extends client.Client<T> implements Driver, Closer {\n  x() { ... }\n}",
                &["Client", "Driver", "Closer"],
            ),
            (Language::TypeScript, "export interface Options extends Base, Other<string> {\n  a: string\n}", &["Base", "Other"]),
            (Language::JavaScript, "class Runner extends EventEmitter {\n}", &["EventEmitter"]),
            (Language::JavaScript, "class Mixed extends mixin(A, B) {\n}", &[]),
            (Language::Java, "public final class Point extends Shape implements Named {", &["Shape", "Named"]),
        ];
        for (language, signature, expected) in cases {
            assert_eq!(bases_in_header(*language, signature), *expected, "{signature}");
        }
    }
}
