//! Precedent: the existing test files that already exercise the code under test, found by
//! what they call, not by their names. Flask's `Flask.make_response` is tested in
//! `tests/test_basic.py`, not in a `test_app.py`; gin's `render.WriteString` in
//! `render_test.go` through `String.Render`, which calls it. The file that calls the target
//! (or the module's functions that call it) most is where a maintainer adds the next test.
//!
//! Pure: files are read through [`ProjectFiles`]; the language-specific parts (which files
//! are tests, what links a file to the module) are the caller's.

use std::path::{Path, PathBuf};

use super::placement::ProjectFiles;
use super::target::{Target, TargetKind};
use crate::language::Language;
use crate::text::whole_word_positions;

/// At most this many test files are read per plan (a bounded look; test trees are small).
const MAX_FILES: usize = 400;
/// A test file larger than this is not read (generated fixtures, snapshots).
const MAX_FILE_BYTES: usize = 512 * 1024;

/// What a test file must mention to exercise the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The target's own name (`make_response`, `WriteString`).
    pub name: String,
    /// The type a method belongs to.
    pub owner: Option<String>,
    /// The module's other definitions that call the target (`Render` of `String` calls
    /// `WriteString`): a test of one of them exercises the target too. Methods as
    /// `(name, owner)`.
    pub callers: Vec<(String, Option<String>)>,
    /// A method's siblings: the other methods of its type in the same file. A file that
    /// calls several of them is where the type is tested.
    pub siblings: Vec<String>,
}

impl Subject {
    /// The target of `source` and the definitions of the same file that call it.
    pub fn of(language: Language, source: &str, target: &Target) -> Subject {
        let mut callers = Vec::new();
        let mut siblings = Vec::new();
        for definition in definitions(language, source) {
            let same_owner = target.kind == TargetKind::Method
                && definition.kind == TargetKind::Method
                && definition.owner == target.owner
                && definition.name != target.name;
            if same_owner && definition.name.len() > 2 && !siblings.contains(&definition.name) {
                siblings.push(definition.name.clone());
            }
            let inside_target =
                definition.range.start >= target.range.start && definition.range.end <= target.range.end;
            let encloses_target =
                definition.range.start <= target.range.start && definition.range.end >= target.range.end;
            if inside_target || encloses_target || definition.name == target.name {
                continue;
            }
            let body = source.get(definition.range.clone()).unwrap_or_default();
            let calls = whole_word_positions(body, &target.name).count() > 0;
            let entry = (definition.name.clone(), definition.owner.clone());
            if calls && definition.kind != TargetKind::Type && !callers.contains(&entry) {
                callers.push(entry);
            }
        }
        Subject {
            name: target.name.clone(),
            owner: (target.kind == TargetKind::Method).then(|| target.owner.clone()).flatten(),
            callers,
            siblings,
        }
    }
}

/// How one test file exercises the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    pub path: PathBuf,
    /// Mentions of the target's own name.
    pub calls: usize,
    /// Mentions of the callers that exercise it (`String.Render` for `WriteString`).
    pub through: Vec<String>,
    pub through_count: usize,
    /// The other methods of the target's type it calls (`to_long`, `is_long` for `to_value`).
    pub sibling_methods: Vec<String>,
}

impl Exercise {
    /// "calls make_response 12 times", "exercises it through String.Render (3 uses)".
    pub fn describe(&self, subject: &Subject) -> String {
        let times = |count: usize| if count == 1 { "once".to_string() } else { format!("{count} times") };
        if self.calls > 0 {
            format!("uses `{}` {}", subject.name, times(self.calls))
        } else if !self.through.is_empty() {
            format!("exercises it through `{}`, which calls it", self.through.join("`, `"))
        } else {
            let owner = subject.owner.as_deref().unwrap_or("its type");
            let shown: Vec<&str> = self.sibling_methods.iter().take(4).map(String::as_str).collect();
            format!("tests `{owner}`'s other methods (`{}`)", shown.join("`, `"))
        }
    }
}

/// Every test file in `candidates` that exercises `subject`, best first: the most uses of
/// the target itself, then of its callers. `linked` says whether a file's text reaches the
/// module at all (imports it, its package, or its crate) — a bare name (`get`, `run`) is not
/// enough on its own.
pub fn exercising(
    files: &dyn ProjectFiles,
    candidates: &[PathBuf],
    subject: &Subject,
    linked: &dyn Fn(&str) -> bool,
) -> Vec<Exercise> {
    let mut found = Vec::new();
    for path in candidates.iter().take(MAX_FILES) {
        let Some(text) = files.read(path).filter(|text| text.len() <= MAX_FILE_BYTES) else { continue };
        if !linked(&text) {
            continue;
        }
        let owner_seen = |owner: &Option<String>| {
            owner.as_deref().is_none_or(|owner| whole_word_positions(&text, owner).next().is_some())
        };
        // A method counts where it is called (`x.name(`, `Type::name(`), not where its name
        // is a variable (`let matches = …`).
        let calls = match &subject.owner {
            Some(_) => {
                text.matches(&format!(".{}(", subject.name)).count()
                    + text.matches(&format!("::{}(", subject.name)).count()
            }
            None => whole_word_positions(&text, &subject.name).count(),
        };
        let mut through = Vec::new();
        let mut through_count = 0;
        for (name, owner) in &subject.callers {
            let uses = whole_word_positions(&text, name).count();
            if uses > 0 && owner_seen(owner) {
                through.push(match owner {
                    Some(owner) => format!("{owner}.{name}"),
                    None => name.clone(),
                });
                through_count += uses;
            }
        }
        let sibling_methods: Vec<String> = subject
            .siblings
            .iter()
            .filter(|name| text.contains(&format!(".{name}(")) || text.contains(&format!("::{name}(")))
            .cloned()
            .collect();
        // Two methods of the type at least: one could be a common name of another type.
        if calls > 0 || through_count > 0 || sibling_methods.len() >= 2 {
            found.push(Exercise { path: path.clone(), calls, through, through_count, sibling_methods });
        }
    }
    found.sort_by(|a, b| {
        (b.calls, b.through_count, b.sibling_methods.len())
            .cmp(&(a.calls, a.through_count, a.sibling_methods.len()))
            .then_with(|| a.path.cmp(&b.path))
    });
    found
}

/// The files under `folders` (recursively, to `depth` levels, skipping dependencies,
/// fixtures and hidden folders) whose names `is_test` accepts, in path order.
pub fn test_files(
    files: &dyn ProjectFiles,
    folders: &[PathBuf],
    depth: usize,
    is_test: &dyn Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    const NOT_TESTS: [&str; 12] = [
        "node_modules",
        "target",
        "dist",
        "build",
        "fixtures",
        "fixture",
        "__fixtures__",
        "__snapshots__",
        "snapshots",
        "__pycache__",
        "vendor",
        "testdata",
    ];
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut pending: std::collections::VecDeque<(PathBuf, usize)> =
        folders.iter().map(|folder| (folder.clone(), 0)).collect();
    let mut visited = 0;
    while let Some((folder, level)) = pending.pop_front() {
        if !seen.insert(folder.clone()) {
            continue;
        }
        visited += 1;
        if visited > 600 || found.len() >= MAX_FILES {
            break;
        }
        let mut listed = files.list(&folder);
        listed.sort();
        for path in listed {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if files.is_dir(&path) {
                if level < depth && !name.starts_with('.') && !NOT_TESTS.contains(&name) {
                    pending.push_back((path, level + 1));
                }
            } else if is_test(&path) && !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

/// The functions, methods and types defined in `source`.
fn definitions(language: Language, source: &str) -> Vec<Target> {
    let Some(tree) = crate::language::parse_str(language, source) else { return Vec::new() };
    let mut found: Vec<Target> = Vec::new();
    let mut pending = vec![tree.root_node()];
    let mut visited = 0;
    while let Some(node) = pending.pop() {
        visited += 1;
        if visited > 20_000 {
            break;
        }
        // Definitions are not nested in expressions deep down: the top levels suffice.
        let offset = (node.start_byte() + 1).min(source.len());
        if node.is_named() && node.start_byte() < node.end_byte() && node.child_count() > 0 && may_define(node.kind()) {
            for candidate in super::target::targets_at(language, source, &tree, offset..offset) {
                if candidate.range.start >= node.start_byte() && !found.contains(&candidate) {
                    found.push(candidate);
                }
            }
        }
        if node.start_byte() == 0 || is_container(node.kind()) {
            pending.extend((0..node.named_child_count()).filter_map(|index| node.named_child(index as u32)));
        }
    }
    found
}

/// Nodes that can be (or wrap) a definition: only these are asked what they define.
fn may_define(kind: &str) -> bool {
    [
        "function",
        "method",
        "class",
        "struct",
        "impl",
        "declaration",
        "definition",
        "assignment",
        "pair",
        "export",
        "lexical",
        "variable",
        "type",
        "enum",
        "trait",
        "interface",
        "item",
        "decorated",
        "property",
    ]
    .iter()
    .any(|part| kind.contains(part))
}

/// Nodes whose children can be definitions (modules, classes, impls and their bodies).
fn is_container(kind: &str) -> bool {
    kind.contains("class")
        || kind.contains("impl")
        || kind.contains("declaration_list")
        || kind.contains("body")
        || kind.contains("block")
        || kind.contains("export")
        || kind.contains("decorated")
        || kind.contains("mod_item")
        || kind.contains("program")
        || kind.contains("module")
        || kind.contains("source_file")
        || kind.contains("statement")
        || kind.contains("expression")
        || kind.contains("object")
        || kind.contains("pair")
        || kind.contains("assignment")
        || kind.contains("declarator")
        || kind.contains("lexical")
        || kind.contains("variable")
        || kind == "method_declaration"
        || kind == "function_declaration"
        || kind == "function_definition"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(language: Language, source: &str, name: &str) -> Target {
        crate::testgen::find_by_name(language, source, name).unwrap()
    }

    #[test]
    fn callers_in_the_same_module_exercise_the_target() {
        let go = "package render\n\ntype String struct{ Data string }\n\nfunc (r String) Render(w int) error {\n\treturn WriteString(w, r.Data)\n}\n\nfunc WriteString(w int, s string) error {\n\treturn nil\n}\n";
        let subject = Subject::of(Language::Go, go, &target(Language::Go, go, "WriteString"));
        assert_eq!(subject.callers, [("Render".to_string(), Some("String".to_string()))]);

        let python = "def helper(x):\n    return x\n\ndef outer(y):\n    return helper(y) + 1\n\nclass A:\n    def m(self):\n        return helper(2)\n";
        let mut subject = Subject::of(Language::Python, python, &target(Language::Python, python, "helper"));
        subject.callers.sort();
        assert_eq!(subject.callers, [("m".to_string(), Some("A".to_string())), ("outer".to_string(), None)]);
    }
}
