//! What the context shows of the definitions a body uses, on small multi-file projects
//! written for these tests: each fixture is a set of `//- /path` files, the cursor marked
//! `$0` in the first; the assertions are on the exact text of the sections a user's prompt
//! gets. One test per class of reference or rendering (issue 11), per language it applies to.

use std::path::PathBuf;

use glm_lsp::context::{gather, path_to_uri, Context, ContextInput, Exclude, Section, SectionKind, WorkspaceIndex};
use glm_lsp::document::Document;
use glm_lsp::language::Language;

/// A fixture written to a temporary folder: the first file holds the `$0` cursor.
struct Project {
    root: PathBuf,
    files: Vec<(String, String)>,
    cursor: usize,
}

impl Project {
    fn new(fixture: &str) -> Project {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let serial = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("glm-lsp-recall-{}-{serial}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut files: Vec<(String, String)> = Vec::new();
        for line in fixture.lines() {
            if let Some(path) = line.trim().strip_prefix("//- /") {
                files.push((path.to_string(), String::new()));
            } else if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
                text.push('\n');
            }
        }
        let (_, main_text) = files.first_mut().expect("a fixture has files");
        let cursor = main_text.find("$0").expect("the first file has a $0 cursor");
        *main_text = main_text.replacen("$0", "", 1);
        for (path, text) in &files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Project { root, files, cursor }
    }

    fn document(&self, relative: &str) -> Document {
        let (_, text) = self.files.iter().find(|(path, _)| path == relative).expect("the file is in the fixture");
        let path = self.root.join(relative);
        let language = Language::from_path(&path).unwrap();
        Document::new(path_to_uri(&path), language.name().to_string(), 1, text)
    }

    /// The context at the cursor with `open` open beside the first file and the rest of the
    /// project in the workspace index.
    fn context(&self, open: &[&str]) -> Context {
        let exclude = Exclude::default();
        let workspace = WorkspaceIndex::new(&exclude);
        workspace.build(std::slice::from_ref(&self.root));
        let document = self.document(&self.files[0].0);
        let mut open_documents = vec![document.clone()];
        open_documents.extend(open.iter().map(|file| self.document(file)));
        let context = gather(&ContextInput {
            document: &document,
            offset: self.cursor,
            open_documents: &open_documents,
            workspace: &workspace,
            root: Some(&self.root),
            budget_tokens: 6000,
            exclude: &exclude,
        });
        assert!(context.estimated_tokens <= 6000);
        context
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn sections_of(context: &Context) -> String {
    context
        .sections
        .iter()
        .map(|section| {
            format!(
                "{:?} {}:{} {:?}\n{}\n",
                section.kind, section.file, section.start_line, section.symbol, section.text
            )
        })
        .collect()
}

/// The section showing `symbol` from `file`; fails with every section when there is none.
fn section<'a>(context: &'a Context, file: &str, symbol: &str) -> &'a Section {
    context
        .sections
        .iter()
        .find(|section| section.file == file && section.symbol.as_deref() == Some(symbol))
        .unwrap_or_else(|| panic!("no section for {symbol} from {file}:\n{}", sections_of(context)))
}

/// Checks that the context at the cursor shows each `(file, symbol, text)` exactly.
fn check(fixture: &str, open: &[&str], expected: &[(&str, &str, &str)]) -> Context {
    let project = Project::new(fixture);
    let context = project.context(open);
    for (file, symbol, text) in expected {
        assert_eq!(section(&context, file, symbol).text, *text, "{symbol} from {file}:\n{}", sections_of(&context));
    }
    context
}

fn check_absent(context: &Context, symbol: &str) {
    assert!(
        context.sections.iter().all(|section| section.symbol.as_deref() != Some(symbol)),
        "{symbol} should not be shown:\n{}",
        sections_of(context)
    );
}

// Definitions as written: the first line exactly, with its `export` / `pub` lead, the
// signature through its opening brace, the body elided.

#[test]
fn typescript_definitions_keep_their_export_lead() {
    let body = "  const total = 1\n".repeat(8);
    check(
        &format!(
            "//- /src/main.ts
import {{ joinPath, Router, makeId }} from './paths'
export function run(): string {{
  $0return joinPath('a', 'b') + new Router().name + makeId()
}}
//- /src/paths.ts
export function joinPath(left: string, right: string): string {{
{body}  return left + right
}}
export default class Router {{
  name = 'router'
  route(path: string): void {{
{body}  }}
}}
export const makeId = (): string => {{
{body}  return 'id'
}}
"
        ),
        &[],
        &[
            ("src/paths.ts", "joinPath", "export function joinPath(left: string, right: string): string { ... }"),
            (
                "src/paths.ts",
                "Router",
                "export default class Router {\n  name = 'router'\n  route(path: string): void { ... }\n}",
            ),
            ("src/paths.ts", "makeId", "export const makeId = (): string => { ... }"),
        ],
    );
}

#[test]
fn javascript_definitions_keep_their_export_lead() {
    let body = "  const total = 1;\n".repeat(8);
    check(
        &format!(
            "//- /main.js
import {{ clamp }} from './util.js';
export function run(x) {{
  $0return clamp(x);
}}
//- /util.js
export function clamp(value) {{
{body}  return value;
}}
"
        ),
        &[],
        &[("util.js", "clamp", "export function clamp(value) { ... }")],
    );
}

#[test]
fn rust_definitions_keep_their_visibility_and_brace() {
    let body = "    let _unused = 1;\n".repeat(8);
    check(
        &format!(
            "//- /src/main.rs
mod usage;
use crate::usage::render;
fn main() {{
    $0render(3);
}}
//- /src/usage.rs
pub(crate) fn render(
    width: usize,
) -> String {{
{body}    String::new()
}}
"
        ),
        &[],
        &[("src/usage.rs", "render", "pub(crate) fn render(\n    width: usize,\n) -> String { ... }")],
    );
}

#[test]
fn python_definitions_keep_their_decorators() {
    let body = "        total = 1\n".repeat(8);
    check(
        &format!(
            "//- /main.py
from shapes import Circle
def run():
    $0return Circle.unit()
//- /shapes.py
class Circle:
    @classmethod
    def unit(cls) -> \"Circle\":
{body}        return cls()
"
        ),
        &[],
        &[("shapes.py", "Circle", "class Circle:\n    @classmethod\n    def unit(cls) -> \"Circle\": ...")],
    );
}

#[test]
fn go_functions_show_their_opening_brace() {
    let body = "\ttotal := 1\n\t_ = total\n".repeat(6);
    check(
        &format!(
            "//- /main.go
package main

func run() {{
\t$0debugPrint(\"x\")
}}
//- /debug.go
package main

func debugPrint(format string, values ...any) {{
{body}}}
"
        ),
        &[],
        &[("debug.go", "debugPrint", "func debugPrint(format string, values ...any) { ... }")],
    );
}
