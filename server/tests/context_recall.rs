//! What the context shows of the definitions a body uses, on small multi-file projects
//! written for these tests: each fixture is a set of `//- /path` files, the cursor marked
//! `$0` in the first; the assertions are on the exact text of the sections a user's prompt
//! gets. One test per class of reference or rendering (issue 11), per language it applies to.

mod common;

use common::{check, check_absent, section, sections_of, Project};

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

// Names used as values: constants, statics, module-level variables, identifier arguments.

#[test]
fn rust_constants_and_statics_used_as_values() {
    check(
        "//- /src/encode.rs
use crate::table::{DEFAULT_TABLE_DECOR, LIMIT};
fn encode() -> usize {
    let decor = DEFAULT_TABLE_DECOR;
    $0decor.0.len() + LIMIT
}
//- /src/table.rs
pub(crate) const DEFAULT_TABLE_DECOR: (&str, &str) = (\"\\n\", \"\");
pub static LIMIT: usize = 10;
//- /src/other.rs
pub(crate) const UNUSED: usize = 1;
",
        &[],
        &[
            (
                "src/table.rs",
                "DEFAULT_TABLE_DECOR",
                "pub(crate) const DEFAULT_TABLE_DECOR: (&str, &str) = (\"\\n\", \"\");",
            ),
            ("src/table.rs", "LIMIT", "pub static LIMIT: usize = 10;"),
        ],
    );
}

#[test]
fn go_package_mates_need_no_import() {
    check(
        "//- /mux.go
package chi

func (mx *Mux) Mount(pattern string) {
\t$0if mx.methods&mALL == mSTUB {
\t\tdebugPrint(pattern)
\t}
}
//- /tree.go
package chi

const (
\tmSTUB methodTyp = 1 << iota
\tmGET
)

var mALL = mSTUB | mGET
//- /debug.go
package chi

func debugPrint(format string) {}
//- /middleware/debug.go
package middleware

func debugPrint(format string) { println(format) }
",
        &[],
        &[
            ("tree.go", "mSTUB", "mSTUB methodTyp = 1 << iota"),
            ("tree.go", "mALL", "var mALL = mSTUB | mGET"),
            ("debug.go", "debugPrint", "func debugPrint(format string) {}"),
        ],
    );
}

#[test]
fn typescript_and_javascript_module_constants_used_as_values() {
    check(
        "//- /src/route.ts
import { COMPOSED_HANDLER, urlRE } from './constants'
export function route(path: string): string {
  $0return urlRE.test(path) ? COMPOSED_HANDLER : path
}
//- /src/constants.ts
export const COMPOSED_HANDLER = '__COMPOSED_HANDLER'
export const urlRE: RegExp = /(\\?|&)url(?:&|$)/
",
        &[],
        &[
            ("src/constants.ts", "COMPOSED_HANDLER", "export const COMPOSED_HANDLER = '__COMPOSED_HANDLER'"),
            ("src/constants.ts", "urlRE", "export const urlRE: RegExp = /(\\?|&)url(?:&|$)/"),
        ],
    );
    check(
        "//- /src/css.js
import { rtrimCSS } from './var/rtrimCSS.js';
export function trim( value ) {
\t$0return value.replace( rtrimCSS, '' );
}
//- /src/var/rtrimCSS.js
export var rtrimCSS = new RegExp( '^\\\\s+|\\\\s+$', 'g' );
",
        &[],
        &[("src/var/rtrimCSS.js", "rtrimCSS", "export var rtrimCSS = new RegExp( '^\\\\s+|\\\\s+$', 'g' );")],
    );
}

#[test]
fn python_module_variables_and_identifier_arguments() {
    check(
        "//- /app/render.py
from .globals import request, session
from .signals import template_rendered
def render(app):
    $0template_rendered.send(app, request=request, session=session)
//- /app/globals.py
request: Request = LocalProxy(_cv_request, \"request\")
session = LocalProxy(_cv_request, \"session\")
//- /app/signals.py
template_rendered = _signals.signal(\"template-rendered\")
",
        &[],
        &[
            ("app/globals.py", "request", "request: Request = LocalProxy(_cv_request, \"request\")"),
            ("app/globals.py", "session", "session = LocalProxy(_cv_request, \"session\")"),
            ("app/signals.py", "template_rendered", "template_rendered = _signals.signal(\"template-rendered\")"),
        ],
    );
}

#[test]
fn a_local_named_like_a_distant_constant_is_not_shown() {
    let context = check(
        "//- /src/main.ts
export function total(items: number[]): number {
  const limit = 3
  $0return items.length + limit
}
//- /src/config.ts
export const limit = 100
",
        &[],
        &[],
    );
    check_absent(&context, "limit");
}

// Enum variants and associated items reached through a path.

#[test]
fn rust_paths_reach_enums_associated_consts_and_constructors() {
    check(
        "//- /src/encode.rs
use crate::repr::Decor;
use crate::usage::Usage;
fn encode(cmd: &str) -> usize {
    let decor = Decor::EMPTY;
    let value = crate::Value::Null;
    $0Usage::new(cmd).width()
}
//- /src/repr.rs
pub struct Decor;
impl Decor {
    pub(crate) const EMPTY: Self = Self;
}
//- /src/value.rs
pub enum Value {
    Null,
    Bool(bool),
}
//- /src/usage.rs
pub struct Usage;
impl Usage {
    pub(crate) fn new(cmd: &str) -> Self { Usage }
}
//- /src/styled.rs
pub struct Styled;
impl Styled {
    pub fn new() -> Self { Styled }
}
//- /src/a.rs
impl A { pub fn new() -> Self { A } }
//- /src/b.rs
impl B { pub fn new() -> Self { B } }
",
        &[],
        &[
            ("src/repr.rs", "EMPTY", "pub(crate) const EMPTY: Self = Self;"),
            ("src/value.rs", "Value", "pub enum Value {\n    Null,\n    Bool(bool),\n}"),
            ("src/usage.rs", "new", "pub(crate) fn new(cmd: &str) -> Self { Usage }"),
        ],
    );
}

// Names that arrive under another name.

#[test]
fn rust_use_as_alias() {
    check(
        "//- /src/parser.rs
use crate::error::Error as ClapError;
fn parse() -> Result<(), ClapError> {
    $0Err(ClapError::new())
}
//- /src/error.rs
pub struct Error {
    kind: u8,
}
",
        &[],
        &[("src/error.rs", "Error", "pub struct Error {\n    kind: u8,\n}")],
    );
}

#[test]
fn python_from_import_as_alias() {
    check(
        "//- /pkg/client.py
from ._urls import URL as _URL
def redirect(location):
    $0return _URL(location)
//- /pkg/_urls.py
class URL:
    def __init__(self, url: str) -> None:
        self._url = url
",
        &[],
        &[("pkg/_urls.py", "URL", "class URL:\n    def __init__(self, url: str) -> None:\n        self._url = url")],
    );
}

#[test]
fn typescript_import_as_alias_and_namespace_import() {
    check(
        "//- /src/dom/server.ts
import { renderToReadableStream as renderHono } from '../streaming'
import * as paths from '../paths'
export const renderToReadableStream = (node: string) => {
  $0return renderHono(paths.join(node))
}
//- /src/streaming.ts
export const renderToReadableStream = (node: string): string => node
//- /src/paths.ts
export function join(node: string): string { return node }
",
        &[],
        &[
            (
                "src/streaming.ts",
                "renderToReadableStream",
                "export const renderToReadableStream = (node: string): string => node",
            ),
            ("src/paths.ts", "join", "export function join(node: string): string { return node }"),
        ],
    );
}

#[test]
fn javascript_commonjs_exports_and_destructured_aliases() {
    check(
        "//- /lib/suite.js
var utils = require('./utils.cjs');
const { constants: errorConstants } = require('./error-constants.js');
function Suite(title) {
  $0if (!utils.isString(title)) throw errorConstants.INVALID;
}
//- /lib/utils.cjs
exports.isString = function (obj) {
  return typeof obj === 'string';
};
//- /lib/error-constants.js
export const constants = { INVALID: 'ERR_INVALID' };
",
        &[],
        &[
            ("lib/utils.cjs", "isString", "exports.isString = function (obj) {\n  return typeof obj === 'string';\n};"),
            ("lib/error-constants.js", "constants", "export const constants = { INVALID: 'ERR_INVALID' };"),
        ],
    );
}

#[test]
fn javascript_members_of_default_exported_and_extended_objects() {
    check(
        "//- /src/format.js
import utils from './utils.js';
import jQuery from './core.js';
export function format( date ) {
\t$0return utils.isDate( date ) && jQuery.merge( [], date );
}
//- /src/utils.js
export default {
\tisDate: function( value ) { return value instanceof Date; },
};
//- /src/core.js
jQuery.extend( {
\tmerge: function( first, second ) { return first; },
} );
",
        &[],
        &[
            ("src/utils.js", "isDate", "isDate: function( value ) { return value instanceof Date; },"),
            ("src/core.js", "merge", "merge: function( first, second ) { return first; },"),
        ],
    );
}

// Methods on a receiver whose type the function shows.

#[test]
fn rust_methods_resolve_on_the_parameter_and_local_types() {
    let context = check(
        "//- /src/parser.rs
use crate::arg::Arg;
use crate::usage::Usage;
fn push(arg: &Arg, cmd: &str) {
    let usage = Usage::new(cmd);
    $0usage.render(arg.get_id());
}
//- /src/arg.rs
pub struct Arg;
impl Arg {
    pub fn get_id(&self) -> &str { \"arg\" }
}
//- /src/group.rs
pub struct Group;
impl Group {
    pub fn get_id(&self) -> &str { \"group\" }
}
//- /src/usage.rs
pub struct Usage;
impl Usage {
    pub fn render(&self, id: &str) -> String { id.to_string() }
}
",
        &[],
        &[
            ("src/arg.rs", "get_id", "pub fn get_id(&self) -> &str { \"arg\" }"),
            ("src/usage.rs", "render", "pub fn render(&self, id: &str) -> String { id.to_string() }"),
        ],
    );
    assert!(section(&context, "src/arg.rs", "get_id").file == "src/arg.rs");
    assert!(context.sections.iter().all(|section| section.file != "src/group.rs"), "{}", sections_of(&context));
}

#[test]
fn python_methods_resolve_on_annotated_parameters_and_self() {
    let context = check(
        "//- /pkg/client.py
from ._urls import URL
from ._base import BaseClient
class Client(BaseClient):
    def redirect(self, url: URL):
        $0return self.merge(url.copy_with(path=\"/\"))
//- /pkg/_urls.py
class URL:
    def copy_with(self, **kwargs) -> \"URL\":
        return self
//- /pkg/_base.py
class BaseClient:
    def merge(self, url):
        return url
//- /pkg/_other.py
class Other:
    def copy_with(self, **kwargs):
        return 1
",
        &[],
        &[
            ("pkg/_urls.py", "URL", "class URL:\n    def copy_with(self, **kwargs) -> \"URL\":\n        return self"),
            ("pkg/_base.py", "merge", "def merge(self, url):\n        return url"),
        ],
    );
    assert!(context.sections.iter().all(|section| section.file != "pkg/_other.py"), "{}", sections_of(&context));
}

#[test]
fn go_methods_resolve_on_the_receiver_and_parameter_types() {
    let context = check(
        "//- /gin.go
package gin

func (engine *Engine) handle(c *Context) {
\t$0engine.addRoute(c.Param(\"id\"))
}
//- /routes.go
package gin

func (engine *Engine) addRoute(path string) {}
//- /context.go
package gin

func (c *Context) Param(key string) string { return key }
//- /render/render.go
package render

func (r *Render) Param(key string) string { return \"\" }
",
        &[],
        &[
            ("routes.go", "addRoute", "func (engine *Engine) addRoute(path string) {}"),
            ("context.go", "Param", "func (c *Context) Param(key string) string { return key }"),
        ],
    );
    assert!(context.sections.iter().all(|section| section.file != "render/render.go"), "{}", sections_of(&context));
}

#[test]
fn typescript_methods_resolve_on_annotated_parameters() {
    check(
        "//- /src/handler.ts
import type { Context } from './context'
export function handle(c: Context): string {
  $0return c.text('ok')
}
//- /src/context.ts
export class Context {
  text(value: string): string { return value }
}
//- /src/response.ts
export class Response {
  text(value: string): string { return '' }
}
",
        &[],
        &[("src/context.ts", "Context", "export class Context {\n  text(value: string): string { return value }\n}")],
    );
}

// Ranking: among several definitions, tests and examples come last.

#[test]
fn source_definitions_rank_above_tests_and_examples() {
    let context = check(
        "//- /src/main.rs
fn main() {
    $0resolve_address(&[]);
}
//- /examples/demo.rs
pub fn resolve_address(addr: &[&str]) -> String { String::from(\"demo\") }
//- /src/net.rs
pub fn resolve_address(addr: &[&str]) -> String { String::new() }
",
        &[],
        &[("src/net.rs", "resolve_address", "pub fn resolve_address(addr: &[&str]) -> String { String::new() }")],
    );
    assert!(context.sections.iter().all(|section| section.file != "examples/demo.rs"), "{}", sections_of(&context));
}

// Generic parameters stand for their bounds.

#[test]
fn rust_generic_parameters_reach_their_bounds_constants() {
    let context = check(
        "//- /src/lexical/parse.rs
use crate::lexical::num::Float;
pub struct Parser<F> { value: F }
impl<F> Parser<F>
where
    F: Float + Copy,
{
    pub fn exponent(&self) -> i32 {
        $0F::MAX_EXPONENT - F::MANTISSA_SIZE
    }
}
fn round<I: Integer>(value: I) -> I {
    value.round()
}
//- /src/lexical/num.rs
pub trait Float {
    const MAX_EXPONENT: i32;
    const MANTISSA_SIZE: i32;
}
pub trait Integer {
    const MAX_EXPONENT: i32;
    fn round(self) -> Self;
}
",
        &[],
        &[
            ("src/lexical/num.rs", "MAX_EXPONENT", "const MAX_EXPONENT: i32;"),
            ("src/lexical/num.rs", "MANTISSA_SIZE", "const MANTISSA_SIZE: i32;"),
        ],
    );
    let shown: Vec<usize> = context
        .sections
        .iter()
        .filter(|section| section.symbol.as_deref() == Some("MAX_EXPONENT"))
        .map(|section| section.start_line)
        .collect();
    assert_eq!(shown, [1], "only Float's constant, not Integer's:\n{}", sections_of(&context));
}

#[test]
fn typescript_generic_parameters_reach_their_constraint_members() {
    let context = check(
        "//- /src/measure.ts
import { Shape } from './shape'
export function total<S extends Shape>(shapes: S[], one: S): number {
  $0return one.area()
}
//- /src/shape.ts
export class Shape {
  area(): number { return 0 }
}
//- /src/room.ts
export class Room {
  area(): number { return 1 }
}
",
        &["src/room.ts"],
        &[("src/shape.ts", "Shape", "export class Shape {\n  area(): number { return 0 }\n}")],
    );
    assert!(context.sections.iter().all(|section| section.file != "src/room.ts"), "{}", sections_of(&context));
}

// A local holding a call's result has the type the called function's definition returns.

#[test]
fn rust_call_results_have_the_functions_return_type() {
    let context = check(
        "//- /src/app.rs
use crate::loader::load_config;
fn run(path: &str) -> Result<(), String> {
    let config = load_config(path)?;
    $0config.validate();
    Ok(())
}
//- /src/loader.rs
use crate::model::Config;
pub fn load_config(path: &str) -> Result<Config, String> { Ok(Config) }
//- /src/model.rs
pub struct Config;
impl Config {
    pub fn validate(&self) -> bool { true }
}
//- /src/audit.rs
pub struct Audit;
impl Audit {
    pub fn validate(&self) -> bool { false }
}
",
        &[],
        &[("src/model.rs", "validate", "pub fn validate(&self) -> bool { true }")],
    );
    assert!(context.sections.iter().all(|section| section.file != "src/audit.rs"), "{}", sections_of(&context));
}

#[test]
fn python_call_results_have_the_functions_return_type() {
    let context = check(
        "//- /app/main.py
from app.loader import load_config


def run(path):
    config = load_config(path)
    $0config.validate()
//- /app/loader.py
from app.model import Config


def load_config(path: str) -> Config:
    return Config(path)
//- /app/model.py
class Config:
    def validate(self) -> bool:
        return True
//- /app/audit.py
class Audit:
    def validate(self) -> bool:
        return False
",
        &[],
        &[("app/loader.py", "load_config", "def load_config(path: str) -> Config:\n    return Config(path)")],
    );
    assert!(context.sections.iter().any(|section| section.file == "app/model.py"), "{}", sections_of(&context));
    assert!(context.sections.iter().all(|section| section.file != "app/audit.py"), "{}", sections_of(&context));
}

#[test]
fn go_call_results_have_the_functions_return_type() {
    let context = check(
        "//- /server/handler.go
package server

func Handle(path string) {
\tres, err := serve(path)
\t$0res.Flush()
}
//- /server/serve.go
package server

func serve(path string) (*Response, error) { return nil, nil }
//- /server/response.go
package server

type Response struct{}

func (r *Response) Flush() {}
//- /server/buffer.go
package server

type Buffer struct{}

func (b *Buffer) Flush() {}
",
        &[],
        &[("server/response.go", "Flush", "func (r *Response) Flush() {}")],
    );
    assert!(context.sections.iter().all(|section| section.file != "server/buffer.go"), "{}", sections_of(&context));
}

#[test]
fn import_comments_with_wide_characters_before_a_colon_are_read_safely() {
    check(
        "//- /app/main.py
from app.rates import (
    tax_rate,  # as in “rates”: see docs/rates.md
)


def total(amount, region):
    return amount * $0tax_rate(region)
//- /app/rates.py
def tax_rate(region: str) -> float:
    return 0.2
",
        &[],
        &[("app/rates.py", "tax_rate", "def tax_rate(region: str) -> float:\n    return 0.2")],
    );
}

#[test]
fn a_declarations_own_name_is_not_a_use() {
    // `close` and `__init__` are declared near the cursor and used nowhere: the other
    // `close` far below (outside the window) is not worth a section.
    let padding = "\n".repeat(120);
    let fixture = format!(
        "//- /app/streams.py
class BoundStream:
    def __init__(self, stream):
        self._stream = stream

    def close(self):
        self._stream = None


def total(amount, rate=None):
    return amount * $0rate
{padding}
class FarAway:
    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True
"
    );
    let context = Project::new(&fixture).context(&[]);
    check_absent(&context, "close");
    check_absent(&context, "__init__");
}

#[test]
fn a_bare_name_means_the_top_level_definition_not_a_member() {
    let context = check(
        "//- /src/de/value.rs
fn kind(input: &crate::Item) -> &'static str {
    match input {
        $0crate::Item::None => \"none\",
        _ => \"some\",
    }
}
//- /src/array.rs
pub struct Array;
impl Iterator for Array {
    type Item = u8;
    fn next(&mut self) -> Option<u8> { None }
}
//- /src/item.rs
pub enum Item {
    None,
    Value(u8),
}
",
        &[],
        &[("src/item.rs", "Item", "pub enum Item {\n    None,\n    Value(u8),\n}")],
    );
    assert!(context.sections.iter().all(|section| section.file != "src/array.rs"), "{}", sections_of(&context));
}

// Inheritance (issue 21): a member used through `self`, `this`, `super` or a typed attribute
// that the class does not define is its base class's, wherever that class is.

#[test]
fn python_self_methods_inherited_through_an_aliased_base_two_levels_up() {
    let context = check(
        "//- /pkg/client.py
from ._base import BaseClient as _BaseClient


class Client(_BaseClient):
    def send(self, request):
        $0self._prepare(request)
        return self.transport_for(request.url)
//- /pkg/_base.py
from . import _core


class BaseClient(_core.Core):
    def _prepare(self, request):
        request.headers = {}
        return request
//- /pkg/_core.py
class Core:
    @property
    def timeout(self):
        return 5

    def transport_for(self, url: str) -> \"Transport\":
        return self._mounts.get(url, self._transport)
//- /pkg/_other.py
class Alpha:
    def _prepare(self, *args):
        return None

    def transport_for(self, *args):
        return None

class Beta:
    def _prepare(self, *args):
        return None

    def transport_for(self, *args):
        return None

class Gamma:
    def _prepare(self, *args):
        return None

    def transport_for(self, *args):
        return None

class Delta:
    def _prepare(self, *args):
        return None

    def transport_for(self, *args):
        return None

",
        &[],
        &[
            ("pkg/_base.py", "_prepare", "def _prepare(self, request):\n        request.headers = {}\n        return request"),
            (
                "pkg/_core.py",
                "transport_for",
                "def transport_for(self, url: str) -> \"Transport\":\n        return self._mounts.get(url, self._transport)",
            ),
        ],
    );
    assert!(context.sections.iter().all(|section| section.file != "pkg/_other.py"), "{}", sections_of(&context));
}

#[test]
fn python_inherited_properties_class_attributes_and_super_calls() {
    let context = check(
        "//- /app/views.py
from app import base


class ListView(base.View):
    def dispatch(self, request):
        $0if self.is_cached and self.max_age:
            return super().dispatch(request)
        return None
//- /app/base.py
class View:
    max_age = 60

    @property
    def is_cached(self) -> bool:
        return self.cache is not None and self.cache.enabled

    def dispatch(self, request):
        handler = getattr(self, request.method.lower())
        return handler(request)
//- /app/other.py
class Alpha:
    def dispatch(self, *args):
        return None

    def is_cached(self, *args):
        return None

class Beta:
    def dispatch(self, *args):
        return None

    def is_cached(self, *args):
        return None

class Gamma:
    def dispatch(self, *args):
        return None

    def is_cached(self, *args):
        return None

class Delta:
    def dispatch(self, *args):
        return None

    def is_cached(self, *args):
        return None

",
        &[],
        &[
            (
                "app/base.py",
                "is_cached",
                "@property\n    def is_cached(self) -> bool:\n        return self.cache is not None and self.cache.enabled",
            ),
            ("app/base.py", "max_age", "max_age = 60"),
            ("app/base.py", "dispatch", "def dispatch(self, request):\n        handler = getattr(self, request.method.lower())\n        return handler(request)"),
        ],
    );
    assert!(context.sections.iter().all(|section| section.file != "app/other.py"), "{}", sections_of(&context));
}

#[test]
fn python_typed_attributes_reach_their_class_and_its_bases() {
    check(
        "//- /pkg/client.py
from ._transports import HTTPTransport
from ._auth import Auth


class Client:
    auth: t.Optional[Auth] = None

    def __init__(self):
        self._transport = HTTPTransport(retries=3)

    def send(self, request):
        $0self.auth.sign(request)
        return self._transport.handle_request(request)
//- /pkg/_transports.py
from ._base import BaseTransport


class HTTPTransport(BaseTransport):
    def close(self):
        pass
//- /pkg/_base.py
class BaseTransport:
    def handle_request(self, request: \"Request\") -> \"Response\":
        raise NotImplementedError()
//- /pkg/_auth.py
class Auth:
    def sign(self, request):
        return request
//- /pkg/_other.py
class Alpha:
    def sign(self, *args):
        return None

    def handle_request(self, *args):
        return None

class Beta:
    def sign(self, *args):
        return None

    def handle_request(self, *args):
        return None

class Gamma:
    def sign(self, *args):
        return None

    def handle_request(self, *args):
        return None

class Delta:
    def sign(self, *args):
        return None

    def handle_request(self, *args):
        return None

",
        &[],
        &[
            (
                "pkg/_base.py",
                "handle_request",
                "def handle_request(self, request: \"Request\") -> \"Response\":\n        raise NotImplementedError()",
            ),
            ("pkg/_auth.py", "sign", "def sign(self, request):\n        return request"),
        ],
    );
}

#[test]
fn an_override_hides_the_method_it_overrides() {
    let context = check(
        "//- /pkg/client.py
from ._mid import Mid


class Client(Mid):
    def send(self, request):
        $0return self.build(request)
//- /pkg/_mid.py
from ._base import BaseClient


class Mid(BaseClient):
    pass
//- /pkg/_base.py
from ._core import Core


class BaseClient(Core):
    def build(self, request):
        return request
//- /pkg/_core.py
class Core:
    def build(self, request):
        raise NotImplementedError()
//- /pkg/_other.py
class Alpha:
    def build(self, *args):
        return None

class Beta:
    def build(self, *args):
        return None

class Gamma:
    def build(self, *args):
        return None

class Delta:
    def build(self, *args):
        return None

",
        &[],
        &[("pkg/_base.py", "build", "def build(self, request):\n        return request")],
    );
    assert!(context.sections.iter().all(|section| section.file != "pkg/_other.py"), "{}", sections_of(&context));
    assert!(context.sections.iter().all(|section| section.file != "pkg/_core.py"), "{}", sections_of(&context));
}

#[test]
fn typescript_this_members_inherited_across_files_and_typed_fields() {
    let context = check(
        "//- /src/driver/postgres.ts
import { BaseDriver } from './base'
import type { LruCache } from '../lru'
export class PostgresDriver extends BaseDriver<Options> {
  private cache: LruCache
  connect(): void {
    $0this.escape(this.cache.lookup('k'))
    super.release()
  }
}
//- /src/driver/base.ts
import { Driver } from './driver'
export abstract class BaseDriver<T extends object> extends Driver {
  abstract connect(): void
}
//- /src/driver/driver.ts
export class Driver {
  protected escape(value: string): string {
    return value
  }
  release(): void {
    this.pool = undefined
  }
}
//- /src/lru.ts
import { Cache } from './store'
export class LruCache extends Cache {
  evict(): void {}
}
//- /src/store.ts
export class Cache {
  lookup(key: string): string | undefined {
    return undefined
  }
}
//- /src/other.ts
export class Alpha {
  escape(value: string): string { return '' }
  lookup(value: string): string { return '' }
  release(value: string): string { return '' }
}
export class Beta {
  escape(value: string): string { return '' }
  lookup(value: string): string { return '' }
  release(value: string): string { return '' }
}
export class Gamma {
  escape(value: string): string { return '' }
  lookup(value: string): string { return '' }
  release(value: string): string { return '' }
}
export class Delta {
  escape(value: string): string { return '' }
  lookup(value: string): string { return '' }
  release(value: string): string { return '' }
}
",
        &[],
        &[
            ("src/driver/driver.ts", "escape", "protected escape(value: string): string {\n    return value\n  }"),
            ("src/driver/driver.ts", "release", "release(): void {\n    this.pool = undefined\n  }"),
            ("src/store.ts", "lookup", "lookup(key: string): string | undefined {\n    return undefined\n  }"),
        ],
    );
    assert!(context.sections.iter().all(|section| section.file != "src/other.ts"), "{}", sections_of(&context));
}

#[test]
fn typescript_inherited_class_fields() {
    check(
        "//- /src/runner/postgres.ts
import { BaseQueryRunner } from './base'
export class PostgresQueryRunner extends BaseQueryRunner {
  release(): void {
    $0this.isReleased = this.dataSource.close()
  }
}
//- /src/runner/base.ts
import type { DataSource } from '../data-source'
export abstract class BaseQueryRunner {
  dataSource: DataSource
  protected isReleased = false
}
",
        &[],
        &[
            ("src/runner/base.ts", "dataSource", "dataSource: DataSource"),
            ("src/runner/base.ts", "isReleased", "protected isReleased = false"),
        ],
    );
}

#[test]
fn a_member_past_the_cut_of_its_long_class_is_shown_on_its_own() {
    check(
        "//- /pkg/json_request.py
from pkg.request import Request


class JsonRequest(Request):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        $0names = Request.attributes
        self.headers.setdefault(\"Content-Type\", \"application/json\")
//- /pkg/request.py
class Request:
    attributes = (\"url\", \"method\")

    def method_0(self):
        return 0

    def method_1(self):
        return 1

    def method_2(self):
        return 2

    def method_3(self):
        return 3

    def method_4(self):
        return 4

    def method_5(self):
        return 5

    def method_6(self):
        return 6

    def method_7(self):
        return 7

    def method_8(self):
        return 8

    def method_9(self):
        return 9

    def method_10(self):
        return 10

    def method_11(self):
        return 11

    def method_12(self):
        return 12

    def method_13(self):
        return 13

    def method_14(self):
        return 14

    def method_15(self):
        return 15

    def method_16(self):
        return 16

    def method_17(self):
        return 17

    def method_18(self):
        return 18

    def method_19(self):
        return 19

    def method_20(self):
        return 20

    def method_21(self):
        return 21

    def method_22(self):
        return 22

    def method_23(self):
        return 23

    def method_24(self):
        return 24

    def method_25(self):
        return 25

    def method_26(self):
        return 26

    def method_27(self):
        return 27

    def method_28(self):
        return 28

    def method_29(self):
        return 29

    @property
    def headers(self) -> dict:
        if self._headers is None:
            self._headers = {}
        return self._headers
",
        &[],
        &[(
            "pkg/request.py",
            "headers",
            "@property\n    def headers(self) -> dict:\n        if self._headers is None:\n            self._headers = {}\n        return self._headers",
        )],
    );
}

#[test]
fn a_local_named_like_a_class_field_elsewhere_is_not_that_field() {
    let context = check(
        "//- /src/runner.ts
export function plan(queries: string[]): string[] {
  const upQueries: string[] = []
  $0upQueries.push(...queries)
  return upQueries
}
//- /src/memory.ts
export class SqlInMemory {
  upQueries: string[] = []
}
",
        &[],
        &[],
    );
    check_absent(&context, "upQueries");
}

#[test]
fn attributes_a_base_class_declares_have_their_type() {
    check(
        "//- /pkg/spider.py
from pkg.base import Base


class Spider(Base):
    def fetch(self, url):
        $0return self.session.request(url)
//- /pkg/base.py
from pkg.sessions import Session


class Base:
    session: Session
//- /pkg/sessions.py
class Session:
    def request(self, url):
        return url
//- /pkg/others.py
class Alpha:
    def request(self, url):
        return 1
class Beta:
    def request(self, url):
        return 2
class Gamma:
    def request(self, url):
        return 3
class Delta:
    def request(self, url):
        return 4
",
        &[],
        &[("pkg/sessions.py", "request", "def request(self, url):\n        return url")],
    );
    check(
        "//- /src/postgres.ts
import { Base } from './base'
export class Postgres extends Base {
  connect(): string {
    $0return this.cache.lookup('k')
  }
}
//- /src/base.ts
import type { Cache } from './store'
export class Base {
  protected cache: Cache
}
//- /src/store.ts
export class Cache {
  lookup(key: string): string { return key }
}
//- /src/others.ts
export class Alpha { lookup(key: string): string { return '1' } }
export class Beta { lookup(key: string): string { return '2' } }
export class Gamma { lookup(key: string): string { return '3' } }
export class Delta { lookup(key: string): string { return '4' } }
",
        &[],
        &[("src/store.ts", "lookup", "lookup(key: string): string { return key }")],
    );
}
