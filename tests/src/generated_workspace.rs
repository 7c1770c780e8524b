//! A large workspace written for the index benchmark: a monorepo of packages in nine
//! languages with the mix of sizes real repositories have, plus what a checkout also holds
//! and an index must skip (`node_modules`, `target`, `dist`, `vendor`, `.venv`, `build`,
//! `__pycache__`, `.git`, folders named in `.gitignore`, generated and oversized files,
//! binaries, documentation and data).
//!
//! Deterministic: the same `files` and `seed` write the same tree, so figures compare across
//! runs. [`Manifest::indexable`] is what a correct index holds.

use std::path::{Path, PathBuf};

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Every file written.
    pub files: usize,
    /// Source files an index must hold: not skipped, not ignored, not generated, not oversized.
    pub indexable: usize,
    /// Files under skipped or ignored folders.
    pub in_skipped_folders: usize,
    /// Source files over the default size limit (1 MiB).
    pub oversized: usize,
    /// Source files that say they are generated.
    pub generated: usize,
    pub bytes: u64,
}

/// A Python file of the project defining [`PROBE_DEFINITION`], which a prompt that calls
/// it shows once the index holds the file.
pub const PROBE_FILE: &str = "packages/probe/src/probe_target.py";
pub const PROBE_DEFINITION: &str = "probe_workspace_definition";
/// Defined only under `node_modules`: no prompt may show it.
pub const SKIPPED_PROBE_DEFINITION: &str = "probe_skipped_definition";

/// Where `files` files go, as shares of the whole (the rest is project source).
const SKIPPED_SHARE: [(&str, u32); 9] = [
    ("node_modules", 90),
    (".git", 30),
    ("target", 20),
    ("dist", 15),
    ("vendor", 15),
    (".venv", 15),
    ("build", 10),
    ("__pycache__", 10),
    ("generated", 5), // named in `.gitignore`
];

/// Writes the workspace under `root` unless a previous run wrote the same one (a marker
/// beside `root` remembers it), and returns what it holds.
pub fn ensure(root: &Path, files: usize, seed: u64) -> std::io::Result<Manifest> {
    let marker = root.with_extension(format!("{files}-{seed}.manifest"));
    if let Ok(text) = std::fs::read_to_string(&marker) {
        if let Some(manifest) = Manifest::parse(&text) {
            return Ok(manifest);
        }
    }
    let _ = std::fs::remove_dir_all(root);
    let manifest = write(root, files, seed)?;
    std::fs::write(&marker, manifest.to_text())?;
    Ok(manifest)
}

/// Writes the workspace under `root` (which should not exist).
pub fn write(root: &Path, files: usize, seed: u64) -> std::io::Result<Manifest> {
    let mut writer = Writer { root: root.to_path_buf(), random: Random(seed | 1), manifest: Manifest::default() };
    writer.file(".gitignore", "# build output\ngenerated/\ncoverage/\n*.log\n".into(), Kind::Other)?;
    writer.file(
        PROBE_FILE,
        format!("def {PROBE_DEFINITION}(amount: int) -> int:\n    return amount * 2\n"),
        Kind::Indexable,
    )?;
    writer.file(
        "node_modules/probe/index.js",
        format!("function {SKIPPED_PROBE_DEFINITION}(amount) {{\n  return amount * 2;\n}}\n"),
        Kind::Skipped,
    )?;
    let skipped_total: u32 = SKIPPED_SHARE.iter().map(|(_, share)| share).sum();
    let skipped_files = files * skipped_total as usize / 1000;
    for (folder, share) in SKIPPED_SHARE {
        let count = skipped_files * share as usize / skipped_total as usize;
        for number in 0..count {
            writer.skipped_file(folder, number)?;
        }
    }
    let mut number = 0;
    while writer.manifest.files < files {
        writer.project_file(number)?;
        number += 1;
    }
    Ok(writer.manifest)
}

impl Manifest {
    fn to_text(&self) -> String {
        format!(
            "files={}\nindexable={}\nin_skipped_folders={}\noversized={}\ngenerated={}\nbytes={}\n",
            self.files, self.indexable, self.in_skipped_folders, self.oversized, self.generated, self.bytes
        )
    }

    fn parse(text: &str) -> Option<Manifest> {
        let field = |name: &str| {
            text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix('=')).and_then(|v| v.parse().ok())
        };
        Some(Manifest {
            files: field("files")? as usize,
            indexable: field("indexable")? as usize,
            in_skipped_folders: field("in_skipped_folders")? as usize,
            oversized: field("oversized")? as usize,
            generated: field("generated")? as usize,
            bytes: field("bytes")?,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Indexable,
    Skipped,
    Oversized,
    Generated,
    Other,
}

struct Writer {
    root: PathBuf,
    random: Random,
    manifest: Manifest,
}

impl Writer {
    fn file(&mut self, relative: &str, text: String, kind: Kind) -> std::io::Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        self.manifest.bytes += text.len() as u64;
        std::fs::write(path, text)?;
        self.manifest.files += 1;
        match kind {
            Kind::Indexable => self.manifest.indexable += 1,
            Kind::Skipped => self.manifest.in_skipped_folders += 1,
            Kind::Oversized => self.manifest.oversized += 1,
            Kind::Generated => self.manifest.generated += 1,
            Kind::Other => {}
        }
        Ok(())
    }

    /// A file in a folder the index must not enter, with content that would be indexed
    /// anywhere else (so a walk that enters the folder is caught by the count).
    fn skipped_file(&mut self, folder: &str, number: usize) -> std::io::Result<()> {
        let package = number / 40;
        let (relative, language) = match folder {
            "node_modules" => (format!("node_modules/dep-{package}/lib/module_{number}.js"), Lang::JavaScript),
            ".git" => (format!(".git/objects/{:02x}/{number:038x}", number % 256), Lang::Binary),
            "target" => (format!("target/debug/build/crate-{package}/out/bindings_{number}.rs"), Lang::Rust),
            "dist" => (format!("web/dist/chunk_{number}.js"), Lang::JavaScript),
            "vendor" => (format!("vendor/github.com/lib{package}/pkg/file_{number}.go"), Lang::Go),
            ".venv" => (format!(".venv/lib/python3.12/site-packages/pkg{package}/module_{number}.py"), Lang::Python),
            "build" => (format!("packages/build/lib/module_{number}.py"), Lang::Python),
            "__pycache__" => (format!("packages/pkg{package}/__pycache__/module_{number}.py"), Lang::Python),
            _ => (format!("packages/pkg{package}/generated/model_{number}.ts"), Lang::TypeScript),
        };
        let count = self.definition_count();
        let text = self.source(language, number, count);
        self.file(&relative, text, Kind::Skipped)
    }

    fn project_file(&mut self, number: usize) -> std::io::Result<()> {
        // Packages of about 200 files, modules of about 20: a realistic depth.
        let package = number / 200;
        let module = number / 20;
        let roll = self.random.below(1000);
        let (language, extension) = match roll {
            0..=219 => (Lang::Python, "py"),
            220..=379 => (Lang::TypeScript, "ts"),
            380..=419 => (Lang::TypeScript, "tsx"),
            420..=499 => (Lang::JavaScript, "js"),
            500..=589 => (Lang::Go, "go"),
            590..=669 => (Lang::Rust, "rs"),
            670..=729 => (Lang::Java, "java"),
            730..=769 => (Lang::C, if roll < 750 { "c" } else { "h" }),
            770..=799 => (Lang::Cpp, "cpp"),
            800..=859 => (Lang::Markdown, "md"),
            860..=919 => (Lang::Json, "json"),
            920..=959 => (Lang::Yaml, "yaml"),
            960..=979 => (Lang::Binary, "png"),
            _ => (Lang::Text, "txt"),
        };
        let relative = format!("packages/pkg{package}/src/module{module}/file_{number}.{extension}");
        let special = self.random.below(1000);
        if language.is_source() && special == 0 {
            // A vendored bundle or data table checked in as source: over the size limit.
            let mut text = String::new();
            let mut definition = 0;
            while text.len() <= 1024 * 1024 + 1024 {
                text.push_str(&self.source(language, number * 1000 + definition, 50));
                definition += 50;
            }
            return self.file(&relative, text, Kind::Oversized);
        }
        if language.is_source() && special <= 5 {
            let text = format!("{}\n{}", language.generated_banner(), self.source(language, number, 30));
            return self.file(&relative, text, Kind::Generated);
        }
        let count = self.definition_count();
        let text = self.source(language, number, count);
        let kind = if language.is_source() { Kind::Indexable } else { Kind::Other };
        self.file(&relative, text, kind)
    }

    /// Most files hold a few definitions, some dozens, a few hundreds.
    fn definition_count(&mut self) -> usize {
        match self.random.below(1000) {
            0..=649 => 2 + self.random.below(9),
            650..=929 => 10 + self.random.below(21),
            930..=994 => 30 + self.random.below(71),
            _ => 100 + self.random.below(301),
        }
    }

    fn source(&mut self, language: Lang, file_number: usize, definitions: usize) -> String {
        let mut text = language.header(file_number);
        for definition in 0..definitions {
            let name = self.name();
            let lines = 3 + self.random.below(18);
            let shape = self.random.below(10);
            language.definition(&mut text, &name, file_number * 1000 + definition, lines, shape);
        }
        text
    }

    /// Identifiers as people write them: a verb and one or two nouns; some very common.
    fn name(&mut self) -> [String; 2] {
        const VERBS: &[&str] = &[
            "get",
            "set",
            "load",
            "save",
            "parse",
            "render",
            "build",
            "create",
            "update",
            "delete",
            "find",
            "fetch",
            "validate",
            "resolve",
            "apply",
            "handle",
            "compute",
            "format",
            "read",
            "write",
            "open",
            "close",
            "merge",
            "split",
            "encode",
            "decode",
            "register",
            "dispatch",
            "schedule",
            "normalize",
        ];
        const NOUNS: &[&str] = &[
            "user", "config", "request", "response", "token", "session", "cache", "record", "order", "invoice",
            "payment", "account", "profile", "message", "event", "queue", "worker", "job", "file", "path", "node",
            "tree", "graph", "edge", "matrix", "vector", "buffer", "stream", "channel", "router", "handler", "schema",
            "table", "column", "index", "query", "result", "error", "options", "settings", "context", "state", "store",
            "item", "entry", "batch", "chunk", "page", "view", "model",
        ];
        let verb = VERBS[self.random.below(VERBS.len())];
        let noun = NOUNS[self.random.below(NOUNS.len())];
        let second = NOUNS[self.random.below(NOUNS.len())];
        let (snake, camel) = if self.random.below(3) == 0 {
            (format!("{verb}_{noun}"), format!("{verb}{}", capitalized(noun)))
        } else {
            (format!("{verb}_{noun}_{second}"), format!("{verb}{}{}", capitalized(noun), capitalized(second)))
        };
        [snake, camel]
    }
}

fn capitalized(word: &str) -> String {
    let mut characters = word.chars();
    characters.next().map(|first| first.to_ascii_uppercase().to_string() + characters.as_str()).unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    TypeScript,
    JavaScript,
    Go,
    Rust,
    Java,
    C,
    Cpp,
    Markdown,
    Json,
    Yaml,
    Text,
    Binary,
}

impl Lang {
    fn is_source(self) -> bool {
        !matches!(self, Lang::Markdown | Lang::Json | Lang::Yaml | Lang::Text | Lang::Binary)
    }

    fn generated_banner(self) -> &'static str {
        match self {
            Lang::Python => "# Code generated by protoc-gen-py. DO NOT EDIT.",
            Lang::Go => "// Code generated by mockgen. DO NOT EDIT.",
            _ => "// @generated by codegen; do not edit by hand",
        }
    }

    fn header(self, number: usize) -> String {
        match self {
            Lang::Python => format!("\"\"\"Module {number}.\"\"\"\n\nimport os\nfrom typing import Any, Optional\n\n"),
            Lang::TypeScript => format!("// module {number}\nimport {{ Logger }} from \"../common/logger\";\n\n"),
            Lang::JavaScript => format!("'use strict';\n// module {number}\nconst path = require('path');\n\n"),
            Lang::Go => format!("package module{}\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n", number % 97),
            Lang::Rust => format!("//! Module {number}.\n\nuse std::collections::HashMap;\n\n"),
            Lang::Java => format!("package com.example.module{};\n\nimport java.util.List;\n\n", number % 97),
            Lang::C | Lang::Cpp => format!("/* module {number} */\n#include <stdio.h>\n#include <stdlib.h>\n\n"),
            Lang::Markdown => format!("# Module {number}\n\nNotes about this module.\n\n"),
            Lang::Json => "{\n  \"entries\": [\n".to_string(),
            Lang::Yaml => format!("name: module-{number}\nentries:\n"),
            Lang::Text => String::new(),
            Lang::Binary => "\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR".to_string(),
        }
    }

    /// One definition of `lines` body lines; `shape` picks a function, a type with methods
    /// or a constant in the proportions code has.
    fn definition(self, text: &mut String, [snake, camel]: &[String; 2], unique: usize, lines: usize, shape: usize) {
        use std::fmt::Write;
        let body = |text: &mut String, indent: &str, terminator: &str| {
            for line in 0..lines {
                let _ = writeln!(text, "{indent}total = total + {line} * value{terminator}");
            }
        };
        let type_name = capitalized(camel);
        match self {
            Lang::Python => match shape {
                0..=5 => {
                    let _ = writeln!(text, "def {snake}_{unique}(value: int, options: Optional[Any] = None) -> int:");
                    let _ = writeln!(text, "    \"\"\"Computes the {snake} total.\"\"\"\n    total = 0");
                    body(text, "    ", "");
                    let _ = writeln!(text, "    return total\n\n");
                }
                6..=8 => {
                    let _ = writeln!(text, "class {type_name}{unique}:\n    \"\"\"A {snake}.\"\"\"\n");
                    let _ = writeln!(text, "    def __init__(self, value: int) -> None:\n        self.value = value\n");
                    let _ = writeln!(text, "    def {snake}(self, value: int) -> int:\n        total = 0");
                    body(text, "        ", "");
                    let _ = writeln!(text, "        return total\n\n");
                }
                _ => {
                    let _ = writeln!(text, "{}_{unique} = {}\n", snake.to_uppercase(), unique % 1000);
                }
            },
            Lang::TypeScript | Lang::JavaScript => {
                let typed = self == Lang::TypeScript;
                let (parameter, result) = if typed { ("value: number", ": number") } else { ("value", "") };
                match shape {
                    0..=5 => {
                        let _ =
                            writeln!(text, "export function {camel}{unique}({parameter}){result} {{\n  let total = 0;");
                        body(text, "  ", ";");
                        let _ = writeln!(text, "  return total;\n}}\n");
                    }
                    6..=8 => {
                        let _ = writeln!(text, "export class {type_name}{unique} {{");
                        let _ = writeln!(text, "  constructor({parameter}) {{\n    this.value = value;\n  }}\n");
                        let _ = writeln!(text, "  {camel}({parameter}){result} {{\n    let total = 0;");
                        body(text, "    ", ";");
                        let _ = writeln!(text, "    return total;\n  }}\n}}\n");
                    }
                    _ => {
                        let _ = writeln!(text, "export const {}_{unique} = {};\n", snake.to_uppercase(), unique % 1000);
                    }
                }
            }
            Lang::Go => match shape {
                0..=5 => {
                    let _ = writeln!(text, "// {type_name}{unique} computes the {snake} total.");
                    let _ = writeln!(text, "func {type_name}{unique}(value int) int {{\n\ttotal := 0");
                    body(text, "\t", "");
                    let _ = writeln!(text, "\treturn total\n}}\n");
                }
                6..=8 => {
                    let _ = writeln!(text, "type {type_name}{unique} struct {{\n\tValue int\n\tName  string\n}}\n");
                    let _ = writeln!(text, "func (s *{type_name}{unique}) {type_name}(value int) int {{\n\ttotal := 0");
                    body(text, "\t", "");
                    let _ = writeln!(text, "\treturn total\n}}\n");
                }
                _ => {
                    let _ = writeln!(text, "const {type_name}Limit{unique} = {}\n", unique % 1000);
                }
            },
            Lang::Rust => match shape {
                0..=5 => {
                    let _ = writeln!(text, "/// Computes the {snake} total.");
                    let _ = writeln!(text, "pub fn {snake}_{unique}(value: i64) -> i64 {{\n    let mut total = 0;");
                    body(text, "    ", ";");
                    let _ = writeln!(text, "    total\n}}\n");
                }
                6..=8 => {
                    let _ = writeln!(text, "pub struct {type_name}{unique} {{\n    pub value: i64,\n}}\n");
                    let _ = writeln!(text, "impl {type_name}{unique} {{");
                    let _ =
                        writeln!(text, "    pub fn {snake}(&self, value: i64) -> i64 {{\n        let mut total = 0;");
                    body(text, "        ", ";");
                    let _ = writeln!(text, "        total\n    }}\n}}\n");
                }
                _ => {
                    let _ = writeln!(text, "pub const {}_{unique}: i64 = {};\n", snake.to_uppercase(), unique % 1000);
                }
            },
            Lang::Java => {
                let _ = writeln!(text, "class {type_name}{unique} {{");
                let _ = writeln!(text, "    public int {camel}(int value) {{\n        int total = 0;");
                body(text, "        ", ";");
                let _ = writeln!(text, "        return total;\n    }}\n}}\n");
            }
            Lang::C | Lang::Cpp => {
                if shape >= 8 {
                    let _ = writeln!(text, "struct {snake}_{unique} {{\n    int value;\n    const char *name;\n}};\n");
                } else {
                    let _ = writeln!(text, "int {snake}_{unique}(int value) {{\n    int total = 0;");
                    body(text, "    ", ";");
                    let _ = writeln!(text, "    return total;\n}}\n");
                }
            }
            Lang::Markdown => {
                let _ = writeln!(text, "## {camel}\n\nCall `{snake}_{unique}` to compute the total.\n");
            }
            Lang::Json => {
                let _ = writeln!(text, "    {{ \"name\": \"{snake}\", \"id\": {unique} }},");
            }
            Lang::Yaml => {
                let _ = writeln!(text, "  - name: {snake}\n    id: {unique}");
            }
            Lang::Text => {
                let _ = writeln!(text, "{snake} {unique}");
            }
            Lang::Binary => {
                text.push_str("\0\u{1}\u{2}IDAT\0\0");
            }
        }
    }
}

/// xorshift64*: deterministic and dependency-free.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound.max(1)
    }
}
