//! The context engine's invariants beyond the fixtures: incremental symbols equal a fresh
//! extraction, excluded files never reach a prompt, credentials are redacted, the CLI view.

use glm_lsp::context::symbols::{self, SymbolCache};
use glm_lsp::context::{gather, path_to_uri, ContextInput, Exclude, WorkspaceIndex};
use glm_lsp::document::{ContentChange, Document};
use glm_lsp::text::{position_in_str, PositionEncoding};
use proptest::prelude::*;

const RUST_SOURCE: &str = "use std::fmt;\n\npub struct Point {\n    x: f64,\n}\n\nimpl Point {\n    pub fn new(x: f64) -> Point {\n        Point { x }\n    }\n\n    pub fn norm(&self) -> f64 {\n        self.x.abs()\n    }\n}\n\nfn helper(p: &Point) -> f64 {\n    p.norm() /* é😀 */\n}\n\nconst LIMIT: usize = 10;\n";

fn edit(document: &mut Document, start: usize, end: usize, new_text: &str) {
    let text = document.text();
    let change = ContentChange {
        range: Some((
            position_in_str(&text, start, PositionEncoding::Utf8),
            position_in_str(&text, end, PositionEncoding::Utf8),
        )),
        text: new_text.to_string(),
    };
    document.apply_changes(document.version + 1, &[change], PositionEncoding::Utf8).unwrap();
    // The server reparses after a pause in typing; the cache must then agree with the tree.
    document.refresh_tree();
}

fn floor(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Whatever the edits, the cache's symbols are exactly what a full extraction finds.
    #[test]
    fn incremental_symbols_equal_full_extraction(
        edits in prop::collection::vec((0usize..400, 0usize..12, prop::sample::select(vec![
            "", "x", "}", "{", "fn f() {}\n", "struct S;\n", "/*", "*/", "\n", "impl Point {\n fn g(&self) {}\n}\n", "é", "use std::fmt;\n",
        ])), 1..8)
    ) {
        let cache = SymbolCache::new();
        let mut document = Document::new("file:///p.rs".into(), "rust".into(), 1, RUST_SOURCE);
        cache.facts(&document, || document.text());
        for (start, length, new_text) in edits {
            let text = document.text();
            let start = floor(&text, start);
            let end = floor(&text, start + length);
            edit(&mut document, start, end, new_text);
            let text = document.text();
            let cached = cache.facts(&document, || text.clone());
            let fresh = symbols::extract(document.language.unwrap(), &text, document.tree.as_ref().unwrap());
            prop_assert_eq!(cached.symbols.as_ref(), &fresh, "after editing to {:?}", text);
            let fresh_imports = symbols::imports(document.language.unwrap(), &text, document.tree.as_ref().unwrap());
            prop_assert_eq!(cached.imports.as_ref(), &fresh_imports, "imports after editing to {:?}", text);
        }
    }
}

#[test]
fn symbols_have_signatures_without_bodies() {
    let document = Document::new("file:///p.rs".into(), "rust".into(), 1, RUST_SOURCE);
    let found = symbols::extract(document.language.unwrap(), RUST_SOURCE, document.tree.as_ref().unwrap());
    let summary: Vec<(String, &str, String)> =
        found.iter().map(|s| (s.name.clone(), s.kind.as_str(), s.signature.clone())).collect();
    assert!(summary.contains(&("Point".into(), "class", "pub struct Point {\n    x: f64,\n}".into())), "{summary:#?}");
    assert!(summary.contains(&(
        "new".into(),
        "method",
        "pub fn new(x: f64) -> Point {\n        Point { x }\n    }".into()
    )));
    assert!(summary.contains(&("LIMIT".into(), "constant", "const LIMIT: usize = 10;".into())));
    // Long bodies are cut to the declaration, through its opening brace as written.
    let long = format!("pub fn parse(input: &str) -> Result<u32, String> {{\n{}}}\n", "    let _x = 1;\n".repeat(20));
    let tree = glm_lsp::language::parse_str(glm_lsp::language::Language::Rust, &long).unwrap();
    let found = symbols::extract(glm_lsp::language::Language::Rust, &long, &tree);
    assert_eq!(found[0].signature, "pub fn parse(input: &str) -> Result<u32, String> { ... }");
}

struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let root = std::env::temp_dir().join(format!("glm-lsp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Scratch(root)
    }

    fn write(&self, relative: &str, text: &str) -> std::path::PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn excluded_files_never_reach_the_context_and_secrets_are_redacted() {
    let scratch = Scratch::new("privacy");
    let main = "from config import load_settings\n\ndef run():\n    token = \"sk-abcdefghijklmnopqrstuvwxyz123456\"\n    settings = load_settings()\n    \n";
    let main_path = scratch.write("main.py", main);
    // `load_settings` is defined only in files the user excluded.
    let excluded_path =
        scratch.write("secrets.py", "def load_settings():\n    return {'password': 'hunter2hunter2hunter2'}\n");
    scratch.write(".env.py", "def load_settings():\n    return 1\n");
    let exclude = Exclude::default();
    let workspace = WorkspaceIndex::new(&exclude);
    workspace.build(&[scratch.0.clone()]);
    assert!(workspace.lookup("load_settings").is_empty(), "excluded files are not indexed");

    let document = Document::new(path_to_uri(&main_path), "python".into(), 1, main);
    let excluded = Document::new(
        path_to_uri(&excluded_path),
        "python".into(),
        1,
        &std::fs::read_to_string(&excluded_path).unwrap(),
    );
    let open = vec![excluded.clone(), document.clone()];
    let context = gather(&ContextInput {
        document: &document,
        offset: main.len() - 1,
        open_documents: &open,
        workspace: &workspace,
        root: Some(&scratch.0),
        budget_tokens: 6000,
        exclude: &exclude,
    });
    assert!(context.sections.iter().all(|section| !section.file.contains("secrets")), "{context:#?}");
    assert!(context.prefix.contains("token = \"[REDACTED]\""), "{}", context.prefix);
    assert!(!context.prefix.contains("sk-abc"));

    // An excluded document gets no context at all, not even its own text.
    let context = gather(&ContextInput {
        document: &excluded,
        offset: 10,
        open_documents: &open,
        workspace: &workspace,
        root: Some(&scratch.0),
        budget_tokens: 6000,
        exclude: &exclude,
    });
    assert!(context.sections.is_empty() && context.prefix.is_empty() && context.suffix.is_empty());
}

#[test]
fn workspace_index_updates_and_removes_files() {
    let scratch = Scratch::new("index");
    let path = scratch.write("src/a.go", "package a\n\nfunc Alpha() int { return 1 }\n");
    scratch.write("node_modules/dep/b.js", "function Beta() {}\n");
    scratch.write("gen.go", "// Code generated by tool. DO NOT EDIT.\npackage a\nfunc Gamma() {}\n");
    scratch.write("blob.c", "int Delta(void) { return 0; }\n\0\0binary");
    let workspace = WorkspaceIndex::new(&Exclude::default());
    workspace.build(&[scratch.0.clone()]);
    assert_eq!(workspace.lookup("Alpha").len(), 1);
    for skipped in ["Beta", "Gamma", "Delta"] {
        assert!(workspace.lookup(skipped).is_empty(), "{skipped}");
    }
    std::fs::write(&path, "package a\n\nfunc Omega() int { return 2 }\n").unwrap();
    workspace.update_path(&path);
    assert!(workspace.lookup("Alpha").is_empty());
    assert_eq!(workspace.lookup("Omega")[0].symbol.signature, "func Omega() int { return 2 }");
    workspace.remove_path(&path);
    assert!(workspace.lookup("Omega").is_empty());
    assert_eq!(workspace.file_count(), 0);
}

#[test]
fn plain_text_gets_a_line_window_only() {
    let text = "line one\nline two\nline three\n";
    let document = Document::new("file:///notes.txt".into(), "plaintext".into(), 1, text);
    let exclude = Exclude::none();
    let workspace = WorkspaceIndex::new(&exclude);
    let context = gather(&ContextInput {
        document: &document,
        offset: 13,
        open_documents: &[],
        workspace: &workspace,
        root: None,
        budget_tokens: 6000,
        exclude: &exclude,
    });
    assert!(context.sections.is_empty());
    assert_eq!((context.prefix.as_str(), context.suffix.as_str()), ("line one\nline", " two\nline three\n"));
}

#[test]
fn cli_prints_the_prompt_context_and_json() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/context/go");
    let scratch = Scratch::new("cli");
    for name in ["geometry.go", "mathutil.go", "unrelated.go"] {
        std::fs::copy(fixture.join(name), scratch.0.join(name)).unwrap();
    }
    let main = std::fs::read_to_string(fixture.join("main.go")).unwrap().replace("$0", "");
    let main_path = scratch.write("main.go", &main);
    let text = glm_lsp::context::cli::run(&main_path, 5, 2, &scratch.0, &[], false, 6000).unwrap();
    assert!(text.contains("func Distance(a Point, b Point) float64"), "{text}");
    assert!(text.contains("<|CURSOR|>"));
    let json = glm_lsp::context::cli::run(&main_path, 5, 2, &scratch.0, &[], true, 300).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["budget_tokens"], 300);
    assert!(value["estimated_tokens"].as_u64().unwrap() <= 300);
    let sections = value["sections"].as_array().unwrap();
    for key in ["kind", "file", "start_line", "end_line", "symbol", "text"] {
        assert!(sections.iter().all(|section| section.get(key).is_some()), "{key}");
    }
    assert!(sections.iter().any(|section| section["kind"] == "workspace" && section["file"] == "mathutil.go"));
    assert!(glm_lsp::context::cli::run(&main_path, 500, 0, &scratch.0, &[], false, 6000).is_err());
}
