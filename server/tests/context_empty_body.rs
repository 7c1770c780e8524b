//! What the context shows for code not yet written: the cursor at the start of an empty
//! body, where the body cannot say what it will use (issue 21). Each fixture is a set of
//! `//- /path` files, the cursor marked `$0` in the first; the assertions are on the exact
//! text of the sections a user's prompt gets: a parameter type's members from another file,
//! a name the file imports for the body alone, the imported names sibling functions use, and
//! the receiver's methods defined in another file. Also one resolver rule these cases
//! turned up that holds with the body present too: a bare call is never the file's own method.

use std::path::PathBuf;

use glm_lsp::context::{gather, path_to_uri, Context, ContextInput, Exclude, Section, WorkspaceIndex};
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
        let root = std::env::temp_dir().join(format!("glm-lsp-empty-body-{}-{serial}", std::process::id()));
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

// Definitions as written: the first line exactly, with its `export` / `pub` lead, the
// signature through its opening brace, the body elided.

/// Comment lines that keep what is beyond them out of the cursor window (160 lines before
/// the cursor, 60 after), as in a real file: the imports far above, the siblings far below.
fn filler(comment: &str) -> String {
    format!("{comment} (a long stretch of unrelated code)\n").repeat(170)
}

#[test]
fn python_empty_method_gets_imports_parameter_members_and_inherited_methods() {
    let (top, filler) = (filler("#"), filler("    #"));
    check(
        &format!(
            "//- /app/service.py
from app.base import Base
from app.log import audit, report
from app.shapes import Circle, scale

{top}
class Service(Base):
    def measure(self, shape: Circle) -> float:
        $0

{filler}
    def describe(self, first, second):
        report(first.area())
        self.reset()
//- /app/shapes.py
class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self) -> float:
        return 3.14159 * self.radius * self.radius * self.radius / self.radius


def scale(shape: Circle, factor: float) -> Circle:
    return Circle(shape.radius * factor * 1.0 + 0.0 - 0.0 + 0.0 - 0.0 + 0.0 - 0.0 + 0.0 - 0.0)
//- /app/log.py
def report(value: float) -> None:
    print(\"report\", value, value, value, value, value, value, value, value, value, value, value)


def audit(value: float) -> None:
    print(\"audit\", value, value, value, value, value, value, value, value, value, value, value)
//- /app/base.py
class Base:
    def reset(self) -> None:
        self.count = 0
        self.total = 0
        self.items = []
        self.names = []
        self.seen = set()
        self.last = None
        self.first = None
"
        ),
        &[],
        &[
            // Imported and used nowhere else: the body being written is where it goes.
            ("app/shapes.py", "scale", "def scale(shape: Circle, factor: float) -> Circle:\n    return Circle(shape.radius * factor * 1.0 + 0.0 - 0.0 + 0.0 - 0.0 + 0.0 - 0.0 + 0.0 - 0.0)"),
            ("app/log.py", "audit", "def audit(value: float) -> None:\n    print(\"audit\", value, value, value, value, value, value, value, value, value, value, value)"),
            // Imported and used by a sibling method beyond the cursor window.
            ("app/log.py", "report", "def report(value: float) -> None:\n    print(\"report\", value, value, value, value, value, value, value, value, value, value, value)"),
            // The parameter's type with its members, and the receiver's base with its methods.
            ("app/shapes.py", "Circle", "class Circle:\n    def __init__(self, radius): ...\n\n    def area(self) -> float: ..."),
            ("app/base.py", "Base", "class Base:\n    def reset(self) -> None: ..."),
        ],
    );
}

#[test]
fn typescript_empty_function_gets_unused_imports_and_what_siblings_import() {
    let filler = filler("//");
    check(
        &format!(
            "//- /src/routes.ts
import {{ formatDate, parseDate }} from './dates'
import {{ Store }} from './store'
{filler}
export function showOrder(store: Store, id: string): string {{
  $0
}}

{filler}
export function listOrders(store: Store): string[] {{
  return store.ids().map((id) => formatDate(store.created(id)))
}}
//- /src/dates.ts
export function formatDate(date: Date): string {{
  return date.toISOString().slice(0, 10) + ' ' + date.getTimezoneOffset().toString() + ' ' + date.getDay()
}}

export function parseDate(text: string): Date {{
  return new Date(Date.parse(text.trim().replace('/', '-').replace('/', '-').replace('.', '-')))
}}
//- /src/store.ts
export class Store {{
  private orders = new Map<string, {{ created: Date; total: number }}>()

  ids(): string[] {{
    return Array.from(this.orders.keys()).filter((id) => id.length > 0 && !id.startsWith('draft-'))
  }}

  created(id: string): Date {{
    return this.orders.get(id)?.created ?? new Date(0)
  }}
}}
"
        ),
        &[],
        &[
            ("src/dates.ts", "parseDate", "export function parseDate(text: string): Date {\n  return new Date(Date.parse(text.trim().replace('/', '-').replace('/', '-').replace('.', '-')))\n}"),
            ("src/dates.ts", "formatDate", "export function formatDate(date: Date): string {\n  return date.toISOString().slice(0, 10) + ' ' + date.getTimezoneOffset().toString() + ' ' + date.getDay()\n}"),
            ("src/store.ts", "Store", "export class Store {\n  private orders = new Map<string, { created: Date; total: number }>()\n\n  ids(): string[] { ... }\n\n  created(id: string): Date { ... }\n}"),
        ],
    );
}

#[test]
fn rust_empty_method_gets_parameter_type_members_and_the_receivers_other_methods() {
    let (top, filler) = (filler("//"), filler("    //"));
    check(
        &format!(
            "//- /src/parser.rs
use crate::ledger::Ledger;
use crate::tokens::{{count_tokens, Token}};
{top}
pub struct Parser {{
    pub depth: usize,
}}

impl Parser {{
    pub fn total(&self, ledger: &Ledger) -> u64 {{
        $0
    }}

{filler}
    pub fn report(&self, other: &Ledger) -> String {{
        let sum = other.balance_of(\"cash\");
        self.indent(sum.to_string())
    }}
}}
//- /src/ledger.rs
pub struct Ledger {{
    entries: Vec<(String, u64)>,
}}

impl Ledger {{
    pub fn balance_of(&self, account: &str) -> u64 {{
        self.entries.iter().filter(|(name, _)| name == account).map(|(_, amount)| amount).sum::<u64>()
    }}
}}
//- /src/parser/format.rs
use super::Parser;

impl Parser {{
    pub(crate) fn indent(&self, text: String) -> String {{
        format!(\"{{}}{{}}\", \" \".repeat(self.depth * 4), text.trim_end_matches(char::is_whitespace).to_owned())
    }}
}}
//- /src/tokens.rs
pub struct Token(pub u32);

pub fn count_tokens(text: &str) -> usize {{
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|word| !word.is_empty()).count()
}}
"
        ),
        &[],
        &[
            ("src/ledger.rs", "balance_of", "pub fn balance_of(&self, account: &str) -> u64 {\n        self.entries.iter().filter(|(name, _)| name == account).map(|(_, amount)| amount).sum::<u64>()\n    }"),
            ("src/parser/format.rs", "indent", "pub(crate) fn indent(&self, text: String) -> String { ... }"),
            ("src/tokens.rs", "count_tokens", "pub fn count_tokens(text: &str) -> usize {\n    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|word| !word.is_empty()).count()\n}"),
        ],
    );
}

#[test]
fn a_bare_call_is_the_imported_function_not_the_files_own_method_of_that_name() {
    let top = filler("//");
    check(
        &format!(
            "//- /src/command.rs
use crate::output::write_help;
{top}
pub struct Command;

impl Command {{
    pub fn write_help(&mut self, out: &mut String) {{
        out.push_str(\"usage\");
    }}

    pub fn render(&self) -> String {{
        let mut out = String::new();
        write_help(&mut out, self$0);
        out
    }}
}}
//- /src/output.rs
pub fn write_help(out: &mut String, cmd: &crate::command::Command) {{
    out.push_str(\"help\");
}}
"
        ),
        &[],
        &[(
            "src/output.rs",
            "write_help",
            "pub fn write_help(out: &mut String, cmd: &crate::command::Command) {\n    out.push_str(\"help\");\n}",
        )],
    );
}
