//! What the context shows for code not yet written: the cursor at the start of an empty
//! body, where the body cannot say what it will use (issue 21). Each fixture is a set of
//! `//- /path` files, the cursor marked `$0` in the first; the assertions are on the exact
//! text of the sections a user's prompt gets: a parameter type's members from another file,
//! a name the file imports for the body alone, the imported names sibling functions use, and
//! the receiver's methods defined in another file. Also one resolver rule these cases
//! turned up that holds with the body present too: a bare call is never the file's own method.

mod common;

use common::check;

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
