//! Module-qualified references (issue 21): names reached through a module rather than
//! imported one by one, and names re-exported through barrels and `pub use`. Each fixture is
//! a set of `//- /path` files, the cursor marked `$0` in the first; every project also holds
//! several unrelated definitions of the same name (more than the resolver takes on name
//! alone), so only following the module finds the right one. The assertions are on the exact
//! section text a prompt gets.

mod common;

use common::{sections_of, Project};

/// Checks that the context shows exactly these `(file, symbol, text)` sections for the
/// symbols named, and no other definition of those names.
fn check(fixture: &str, expected: &[(&str, &str, &str)]) {
    let project = Project::new(fixture);
    let context = project.context(&[]);
    for (file, symbol, text) in expected {
        let shown: Vec<_> =
            context.sections.iter().filter(|section| section.symbol.as_deref() == Some(*symbol)).collect();
        assert!(
            shown.len() == 1 && shown[0].file == *file && shown[0].text == *text,
            "{symbol} should be shown once, from {file}:\n{}",
            sections_of(&context)
        );
    }
}

/// Four unrelated definitions of `name` in `folder` (TypeScript).
fn ts_decoys(name: &str) -> String {
    (1..=4)
        .map(|n| {
            format!("//- /src/other{n}/{name}.ts\nexport function {name}(x{n}: number): number {{\n  return x{n}\n}}\n")
        })
        .collect()
}

fn rust_decoys(name: &str, item: &str) -> String {
    (1..=4)
        .map(|n| format!("//- /other{n}/src/lib.rs\n{}\n", item.replace("{n}", &n.to_string()).replace("{name}", name)))
        .collect()
}

#[test]
fn a_typescript_namespace_import_through_an_export_star_barrel() {
    let fixture = format!(
        r#"//- /src/app.ts
import * as util from "./util/index.js"

export function load(path: string): string {{
  return util.normalize(path)$0
}}
//- /src/util/index.ts
export * from "./paths.js"
export * from "./strings.js"
//- /src/util/strings.ts
export const EMPTY = ""
//- /src/util/paths.ts
export function normalize(path: string, separator = "/"): string {{
  return path.split("\\").join(separator)
}}
{}"#,
        ts_decoys("normalize")
    );
    check(&fixture, &[("src/util/paths.ts", "normalize", "export function normalize(path: string, separator = \"/\"): string {\n  return path.split(\"\\\\\").join(separator)\n}")]);
}

#[test]
fn a_typescript_type_through_a_namespace_and_a_named_re_export() {
    let fixture = format!(
        r#"//- /src/parser.ts
import * as errors from "./errors"

export function fail(at: number): never {{
  throw new errors.ParseError(at)$0
}}
//- /src/errors/index.ts
export {{ SyntaxFailure as ParseError }} from "./syntax"
//- /src/errors/syntax.ts
export class SyntaxFailure extends Error {{
  constructor(readonly at: number) {{
    super(`syntax error at ${{at}}`)
  }}
}}
{}"#,
        (1..=4).map(|n| format!("//- /src/o{n}/syntax.ts\nexport class SyntaxFailure {{}}\n")).collect::<String>()
    );
    check(
        &fixture,
        &[(
            "src/errors/syntax.ts",
            "SyntaxFailure",
            "export class SyntaxFailure extends Error {\n  constructor(readonly at: number) {\n    super(`syntax error at ${at}`)\n  }\n}",
        )],
    );
}

#[test]
fn javascript_entries_of_an_exported_object_destructured_from_require() {
    let fixture = format!(
        r#"//- /lib/runner.js
const {{ ERR_TIMEOUT, ERR_ABORTED }} = require("./errors");

function stop(reason) {{
  return reason === "timeout" ? ERR_TIMEOUT : ERR_ABORTED;$0
}}
//- /lib/errors.js
function createError(code, message) {{
  return {{ code, message }};
}}

module.exports = {{
  ERR_TIMEOUT: createError("E_TIMEOUT", "the run took too long"),
  ERR_ABORTED: createError("E_ABORTED", "the run was stopped"),
}};
{}"#,
        (1..=4)
            .map(|n| format!(
                "//- /lib/other{n}.js\nmodule.exports = {{\n  ERR_TIMEOUT: {n},\n  ERR_ABORTED: {n},\n}};\n"
            ))
            .collect::<String>()
    );
    check(
        &fixture,
        &[
            ("lib/errors.js", "ERR_TIMEOUT", "ERR_TIMEOUT: createError(\"E_TIMEOUT\", \"the run took too long\"),"),
            ("lib/errors.js", "ERR_ABORTED", "ERR_ABORTED: createError(\"E_ABORTED\", \"the run was stopped\"),"),
        ],
    );
}

#[test]
fn javascript_a_member_of_an_inline_require() {
    let fixture = r#"//- /lib/mocha.js
function Mocha() {}

Mocha.unloadFile = function (file) {
  return require("./nodejs/file-unloader.js").unloadFile(file);$0
};
//- /lib/nodejs/file-unloader.js
exports.unloadFile = (file) => {
  delete require.cache[require.resolve(file)];
};
"#;
    check(
        fixture,
        &[(
            "lib/nodejs/file-unloader.js",
            "unloadFile",
            "exports.unloadFile = (file) => {\n  delete require.cache[require.resolve(file)];\n};",
        )],
    );
}

#[test]
fn a_rust_path_through_modules_to_a_sibling_file() {
    let fixture = format!(
        r#"//- /app/src/cli.rs
use crate::docs;

pub fn help() -> String {{
    docs::usage::render_short()$0
}}
//- /app/src/lib.rs
mod cli;
mod docs;
//- /app/src/docs/mod.rs
pub mod usage;
//- /app/src/docs/usage.rs
pub fn render_short() -> String {{
    String::from("usage: app [OPTIONS]")
}}
{}"#,
        rust_decoys("render_short", "pub fn {name}(width: u{n}) -> String {\n    String::new()\n}")
    );
    check(
        &fixture,
        &[(
            "app/src/docs/usage.rs",
            "render_short",
            "pub fn render_short() -> String {\n    String::from(\"usage: app [OPTIONS]\")\n}",
        )],
    );
}

#[test]
fn a_rust_crate_path_through_a_module_file_and_its_folder() {
    let fixture = format!(
        r##"//- /app/src/complete.rs
pub fn script(shell: &str) -> String {{
    match shell {{
        "zsh" => crate::shells::zsh::emit(),$0
        _ => String::new(),
    }}
}}
//- /app/src/lib.rs
mod complete;
pub mod shells;
//- /app/src/shells.rs
pub mod zsh;
//- /app/src/shells/zsh.rs
pub fn emit() -> String {{
    String::from("#compdef app")
}}
{}"##,
        rust_decoys("emit", "pub fn {name}(out: &mut Vec<u{n}>) {\n    out.clear();\n}")
    );
    check(
        &fixture,
        &[("app/src/shells/zsh.rs", "emit", "pub fn emit() -> String {\n    String::from(\"#compdef app\")\n}")],
    );
}

#[test]
fn a_rust_constant_in_a_module_declared_with_a_path_attribute() {
    let fixture = format!(
        r#"//- /app/src/flags.rs
#[path = "generated/bit_table.rs"]
mod bits;

pub fn masked(value: u32) -> u32 {{
    value & bits::MASK$0
}}
//- /app/src/lib.rs
mod flags;
//- /app/src/generated/bit_table.rs
pub const MASK: u32 = 0x00ff_ff00;
{}"#,
        rust_decoys("MASK", "pub const {name}: u{n} = {n};")
    );
    check(&fixture, &[("app/src/generated/bit_table.rs", "MASK", "pub const MASK: u32 = 0x00ff_ff00;")]);
}

#[test]
fn a_rust_type_re_exported_by_the_crate_root_and_named_bare() {
    let fixture = format!(
        r#"//- /toml/src/de.rs
use crate::Value;

pub fn parse(text: &str) -> Value {{
    Value::from_text(text)$0
}}
//- /toml/src/lib.rs
mod de;
mod value;
pub use value::Value;
//- /toml/src/array.rs
/// An unrelated `Value` of the same crate, in a file that sorts first.
pub struct Value(u8);
//- /toml/src/value.rs
pub enum Value {{
    String(String),
    Integer(i64),
}}
{}"#,
        rust_decoys("Value", "pub struct {name}(u{n});")
    );
    check(&fixture, &[("toml/src/value.rs", "Value", "pub enum Value {\n    String(String),\n    Integer(i64),\n}")]);
}

#[test]
fn a_python_module_of_a_package_that_re_exports_its_submodules_names() {
    let fixture = format!(
        r#"//- /pkg/app.py
from . import strings


def run(text):
    return strings.clean(text)$0
//- /pkg/__init__.py
//- /pkg/strings/__init__.py
from .cleaning import clean
//- /pkg/strings/cleaning.py
def clean(text, strip=True):
    return text.strip() if strip else text
{}"#,
        (1..=4)
            .map(|n| format!("//- /other{n}/tools.py\ndef clean(value{n}):\n    return value{n}\n"))
            .collect::<String>()
    );
    check(
        &fixture,
        &[(
            "pkg/strings/cleaning.py",
            "clean",
            "def clean(text, strip=True):\n    return text.strip() if strip else text",
        )],
    );
}

#[test]
fn a_rust_path_inside_a_macros_arguments() {
    let fixture = format!(
        r#"//- /app/src/raw.rs
pub fn to_raw(value: u32) -> Result<String, String> {{
    let text = tri!(crate::ser::to_string(value));$0
    Ok(text)
}}
//- /app/src/lib.rs
mod raw;
mod ser;
//- /app/src/ser.rs
pub fn to_string(value: u32) -> Result<String, String> {{
    Ok(value.to_string())
}}
{}"#,
        rust_decoys("to_string", "pub fn {name}(value: u{n}) -> String {\n    String::new()\n}")
    );
    check(
        &fixture,
        &[(
            "app/src/ser.rs",
            "to_string",
            "pub fn to_string(value: u32) -> Result<String, String> {\n    Ok(value.to_string())\n}",
        )],
    );
}

#[test]
fn a_crate_path_in_a_macro_definition() {
    let fixture = format!(
        r#"//- /app/src/macros.rs
macro_rules! object {{
    () => {{
        $crate::map::Map::new()$0
    }};
}}
//- /app/src/lib.rs
mod macros;
pub mod map;
//- /app/src/map/mod.rs
pub struct Map {{
    entries: Vec<(String, String)>,
}}
{}"#,
        rust_decoys("Map", "pub struct {name}(u{n});")
    );
    check(&fixture, &[("app/src/map/mod.rs", "Map", "pub struct Map {\n    entries: Vec<(String, String)>,\n}")]);
}

#[test]
fn a_rust_name_through_a_glob_import_and_a_crate_named_by_its_path() {
    let fixture = format!(
        r#"//- /crates/app/src/run.rs
use crate::prelude::*;

pub fn run(text: &str) -> Settings {{
    let table = toml_lite::parse::parse_table(text);
    load_settings(table)$0
}}
//- /crates/app/src/lib.rs
mod prelude;
mod run;
mod settings;
//- /crates/app/src/prelude.rs
pub use crate::settings::*;
//- /crates/app/src/settings.rs
pub fn load_settings(table: Vec<(String, String)>) -> Settings {{
    Settings {{ table }}
}}
//- /crates/toml_lite/src/lib.rs
pub mod parse;
//- /crates/toml_lite/src/parse.rs
pub fn parse_table(text: &str) -> Vec<(String, String)> {{
    Vec::new()
}}
{}{}"#,
        rust_decoys("load_settings", "pub fn {name}(path: u{n}) {}"),
        rust_decoys("parse_table", "pub fn {name}(bytes: u{n}) {}").replace("/other", "/more")
    );
    check(
        &fixture,
        &[
            (
                "crates/app/src/settings.rs",
                "load_settings",
                "pub fn load_settings(table: Vec<(String, String)>) -> Settings {\n    Settings { table }\n}",
            ),
            (
                "crates/toml_lite/src/parse.rs",
                "parse_table",
                "pub fn parse_table(text: &str) -> Vec<(String, String)> {\n    Vec::new()\n}",
            ),
        ],
    );
}
