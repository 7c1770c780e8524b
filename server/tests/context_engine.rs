//! The context engine's invariants beyond the fixtures: incremental symbols equal a fresh
//! extraction, excluded files never reach a prompt, credentials are redacted, the CLI view.

use glm_lsp::context::symbols::{self, FileFacts, SymbolCache};
use glm_lsp::context::{gather, path_to_uri, ContextInput, Exclude, WorkspaceIndex};
use glm_lsp::document::{ContentChange, Document};
use glm_lsp::text::{position_in_str, PositionEncoding};
use proptest::prelude::*;

const RUST_SOURCE: &str = "use std::fmt;\n\npub struct Point {\n    x: f64,\n}\n\nimpl Point {\n    pub fn new(x: f64) -> Point {\n        Point { x }\n    }\n\n    pub fn norm(&self) -> f64 {\n        self.x.abs()\n    }\n}\n\nfn helper(p: &Point) -> f64 {\n    p.norm() /* é😀 */\n}\n\nconst LIMIT: usize = 10;\n";

const PYTHON_SOURCE: &str = "import os\nfrom typing import List\n\nLIMIT = 10\n\n\nclass Point:\n    \"\"\"A point.\"\"\"\n\n    def __init__(self, x):\n        self.x = x\n\n    def norm(self):\n        return abs(self.x)  # é😀\n\n\ndef helper(p: Point) -> float:\n    return p.norm()\n\n\nasync def fetch(url):\n    return await get(url)\n";

/// One step of an editing session, as the server sees it.
#[derive(Debug, Clone)]
enum Step {
    /// One `didChange` of one or more edits, each (start, length, new text) in the text as
    /// the previous edit of the list left it.
    Change(Vec<(usize, usize, &'static str)>),
    /// The reparse after a pause in typing.
    Reparse,
    /// A reparse of the text before a change, finished after it: its tree is adopted with
    /// the change replayed onto it (as when typing goes on during a slow reparse).
    ReparseBehind(Vec<(usize, usize, &'static str)>, Adoption),
    /// A completion asks for the facts.
    Check,
}

/// Who reads facts around the adoption of a reparse that finished behind the text.
#[derive(Debug, Clone, Copy)]
enum Adoption {
    /// The document, once it has the tree.
    ReadAfter,
    /// The reparse first, as the server's reparse after a pause does.
    ReparseReadsFirst,
    /// The reparse first, then a completion on the document before it has the tree: those
    /// facts must already be the adopted tree's.
    AskedBetween,
}

fn steps(snippets: Vec<&'static str>) -> impl Strategy<Value = Vec<Step>> {
    let edit = (0usize..600, 0usize..12, prop::sample::select(snippets));
    let edits = prop::collection::vec(edit, 1..3);
    let step = prop_oneof![
        6 => edits.clone().prop_map(Step::Change),
        2 => Just(Step::Reparse),
        6 => (edits, prop::sample::select(vec![Adoption::ReadAfter, Adoption::ReparseReadsFirst, Adoption::AskedBetween]))
            .prop_map(|(edits, adoption)| Step::ReparseBehind(edits, adoption)),
        3 => Just(Step::Check),
    ];
    prop::collection::vec(step, 1..14)
}

fn change(document: &mut Document, edits: &[(usize, usize, &str)]) {
    // Each range refers to the text left by the previous edit of the list, as in LSP.
    let mut text = document.text();
    let mut changes = Vec::new();
    for &(start, length, new_text) in edits {
        let start = floor(&text, start);
        let end = floor(&text, start + length);
        changes.push(ContentChange {
            range: Some((
                position_in_str(&text, start, PositionEncoding::Utf8),
                position_in_str(&text, end, PositionEncoding::Utf8),
            )),
            text: new_text.to_string(),
        });
        text.replace_range(start..end, new_text);
    }
    document.apply_changes(document.version + 1, &changes, PositionEncoding::Utf8).unwrap();
    assert_eq!(document.full_text(), text);
}

fn floor(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Runs the steps on a document whose cache is updated after every change and reparse, as
/// the server does, and checks the cache against a full extraction from the same text and
/// tree.
fn check_session(language_id: &str, uri: &str, source: &str, steps: &[Step]) -> Result<(), TestCaseError> {
    let cache = SymbolCache::new();
    let mut document = Document::new(uri.into(), language_id.into(), 1, source);
    cache.facts(&document);
    for step in steps.iter().chain([&Step::Check]) {
        match step {
            Step::Change(edits) => {
                change(&mut document, edits);
                cache.facts(&document);
            }
            Step::Reparse => {
                document.refresh_tree();
                cache.facts(&document);
            }
            Step::ReparseBehind(edits, adoption) => {
                let mut behind = document.clone();
                change(&mut document, edits);
                cache.facts(&document);
                behind.refresh_tree();
                let asked_between = match adoption {
                    Adoption::ReadAfter => None,
                    Adoption::ReparseReadsFirst => {
                        cache.facts(&behind);
                        None
                    }
                    Adoption::AskedBetween => {
                        cache.facts(&behind);
                        Some(cache.facts(&document))
                    }
                };
                prop_assert!(document.adopt_tree(&behind));
                match asked_between {
                    Some(asked) => expect_fresh(&asked, &document, steps)?,
                    None => {
                        cache.facts(&document);
                    }
                }
            }
            Step::Check => expect_fresh(&cache.facts(&document), &document, steps)?,
        }
    }
    Ok(())
}

/// `facts` are exactly what a full extraction finds in the document's text and tree.
fn expect_fresh(facts: &FileFacts, document: &Document, steps: &[Step]) -> Result<(), TestCaseError> {
    let (language, text, tree) = (document.language.unwrap(), document.full_text(), document.tree.as_ref().unwrap());
    let fresh = symbols::extract(language, text, tree);
    prop_assert_eq!(facts.symbols.as_ref(), &fresh, "symbols after {:?}, text {:?}", steps, text);
    let fresh_imports = symbols::imports(language, text, tree);
    prop_assert_eq!(facts.imports.as_ref(), &fresh_imports, "imports after {:?}, text {:?}", steps, text);
    Ok(())
}

/// The case the property test found: a deletion after a reparse merges `LIMIT = 1` and the
/// `Point:` after it into one statement, and `Tree::changed_ranges` reports nothing for the
/// reparse that follows. Replayed as steps, since a saved seed means another case once the
/// strategy changes.
#[test]
fn statements_merged_by_a_deletion_are_read_again_after_the_reparse() {
    let steps = [Step::Change(vec![(44, 7, "\n")]), Step::Reparse, Step::Change(vec![(37, 11, "")]), Step::Reparse];
    check_session("python", "file:///p.py", PYTHON_SOURCE, &steps).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Whatever the edits, reparses and their interleaving, the cache's symbols and imports
    /// are exactly what a full extraction finds in the same text and tree.
    #[test]
    fn incremental_symbols_equal_full_extraction_rust(steps in steps(vec![
        "", "x", "}", "{", "fn f() {}\n", "struct S;\n", "/*", "*/", "\n", "impl Point {\n fn g(&self) {}\n}\n", "é", "use std::fmt;\n",
    ])) {
        check_session("rust", "file:///p.rs", RUST_SOURCE, &steps)?;
    }

    #[test]
    fn incremental_symbols_equal_full_extraction_python(steps in steps(vec![
        "", "x", ":", "(", ")", "\n", "    ", "def f():\n    pass\n", "class C:\n    def m(self):\n        return 1\n",
        "import sys\n", "from a import b\n", "é", "\"\"\"", "#", "@decorator\n",
    ])) {
        check_session("python", "file:///p.py", PYTHON_SOURCE, &steps)?;
    }
}

/// One step of an editing session on a document large enough to be parsed a window at a
/// time. The edits keep the brackets and the indentation balanced: a broken statement in a
/// large file breaks its window's parse only, not everything after it as a whole parse would.
#[derive(Debug, Clone)]
enum WindowStep {
    /// A balanced snippet at the start of a line near the last edit (`Near`) or anywhere.
    Insert(Place, &'static str),
    /// One letter typed, or one removed, near the last edit or anywhere.
    Type(Place),
    Erase(Place),
    Reparse,
    /// A reparse that finishes after a letter typed meanwhile, read first and then adopted,
    /// as the server's reparse after a pause is.
    ReparseBehind(Place),
    /// A feature asks for the tree somewhere (a code action far from the edits).
    ParseAround(Place),
    Check,
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Near(usize),
    /// A thousandth of the text.
    Anywhere(usize),
}

fn window_steps(snippets: Vec<&'static str>) -> impl Strategy<Value = Vec<WindowStep>> {
    let place = prop_oneof![3 => (0usize..3000).prop_map(Place::Near), 1 => (0usize..1000).prop_map(Place::Anywhere)];
    let step = prop_oneof![
        3 => (place.clone(), prop::sample::select(snippets)).prop_map(|(place, snippet)| WindowStep::Insert(place, snippet)),
        4 => place.clone().prop_map(WindowStep::Type),
        3 => place.clone().prop_map(WindowStep::Erase),
        2 => Just(WindowStep::Reparse),
        2 => place.clone().prop_map(WindowStep::ReparseBehind),
        1 => place.prop_map(WindowStep::ParseAround),
        2 => Just(WindowStep::Check),
    ];
    prop::collection::vec(step, 1..12)
}

/// Types a letter at the end of the first word from `from` on, as typing does (a letter
/// between two words or in the indentation would be a syntax error); returns where the
/// cursor is after it.
fn type_letter(document: &mut Document, from: usize) -> Option<usize> {
    let text = document.text();
    let (offset, _) = text[from..].char_indices().find(|(offset, c)| {
        !c.is_alphanumeric() && text[..from + offset].ends_with(|before: char| before.is_ascii_alphanumeric())
    })?;
    change(document, &[(from + offset, 0, "x")]);
    Some(from + offset + 1)
}

/// Runs the steps on a large document and checks its cache against a full extraction from
/// a whole parse of the same text.
fn check_windowed_session(
    language_id: &str,
    uri: &str,
    source: &str,
    steps: &[WindowStep],
) -> Result<(), TestCaseError> {
    // Opened as the server does: the facts read from the chunks of the first parse, the
    // same as a separate reading of the chunks.
    let cache = SymbolCache::new();
    let mut document = cache.open(uri.into(), language_id.into(), 1, source);
    prop_assert!(document.window.is_some(), "a large document");
    let (opened, read_again) = (cache.facts(&document), SymbolCache::new().facts(&document));
    prop_assert_eq!(&opened.symbols, &read_again.symbols);
    prop_assert_eq!(&opened.imports, &read_again.imports);
    let mut last = source.len() / 2;
    let at = |place: Place, text: &str, last: usize| match place {
        Place::Near(delta) => floor(text, last.saturating_sub(1500) + delta),
        Place::Anywhere(thousandths) => floor(text, text.len() * thousandths / 1000),
    };
    for step in steps.iter().chain([&WindowStep::Check]) {
        let text = document.text();
        match *step {
            WindowStep::Insert(place, snippet) => {
                let line_start = text[..at(place, &text, last)].rfind('\n').map_or(0, |newline| newline + 1);
                change(&mut document, &[(line_start, 0, snippet)]);
                last = line_start + snippet.len();
                cache.facts(&document);
            }
            WindowStep::Type(place) => {
                if let Some(typed) = type_letter(&mut document, at(place, &text, last)) {
                    last = typed;
                    cache.facts(&document);
                }
            }
            WindowStep::ReparseBehind(place) => {
                let mut behind = document.clone();
                if let Some(typed) = type_letter(&mut document, at(place, &text, last)) {
                    last = typed;
                }
                cache.facts(&document);
                behind.refresh_tree();
                cache.facts(&behind);
                prop_assert!(document.adopt_tree(&behind));
                cache.facts(&document);
            }
            WindowStep::Erase(place) => {
                let from = at(place, &text, last);
                // The last letter of a word longer than one (a word erased whole would join
                // its neighbours).
                let last_letter = text[from..].char_indices().find(|(offset, c)| {
                    let at = from + offset;
                    c.is_ascii_alphanumeric()
                        && text[..at].ends_with(|before: char| before.is_ascii_alphanumeric())
                        && !text[at + 1..].starts_with(|after: char| after.is_alphanumeric())
                });
                if let Some((offset, _)) = last_letter {
                    last = from + offset;
                    change(&mut document, &[(last, 1, "")]);
                    cache.facts(&document);
                }
            }
            WindowStep::Reparse => {
                document.refresh_tree();
                cache.facts(&document);
            }
            WindowStep::ParseAround(place) => {
                let offset = at(place, &text, last);
                document.parse_around(offset..offset);
                prop_assert!(document.covers(&(offset..offset)));
                cache.facts(&document);
            }
            WindowStep::Check => {
                // After the reparse, with the window where the user typed (the server moves
                // it there before a completion's context when it is not).
                document.parse_around(last..last);
                let facts = cache.facts(&document);
                let (language, text) = (document.language.unwrap(), document.full_text());
                let whole = glm_lsp::language::parse_str(language, text).unwrap();
                // A syntax error can reach far in a whole parse (a class that runs to the end
                // of the file) and only to its window's end here: compare sound text only.
                if whole.root_node().has_error() {
                    continue;
                }
                let fresh = symbols::extract(language, text, &whole);
                if facts.symbols.as_ref() != &fresh {
                    let first = facts
                        .symbols
                        .iter()
                        .zip(&fresh)
                        .position(|(a, b)| a != b)
                        .unwrap_or(fresh.len().min(facts.symbols.len()));
                    let around = |list: &[symbols::Symbol]| {
                        list.iter()
                            .skip(first.saturating_sub(1))
                            .take(3)
                            .map(|s| format!("{} {:?} {:?} {:?}", s.name, s.range, s.start_line, s.container))
                            .collect::<Vec<_>>()
                    };
                    prop_assert!(
                        false,
                        "symbols differ at {} of {}/{}: cache {:?} whole {:?}; window {:?} after {:?}",
                        first,
                        facts.symbols.len(),
                        fresh.len(),
                        around(&facts.symbols),
                        around(&fresh),
                        document.window,
                        steps
                    );
                }
                prop_assert_eq!(
                    facts.imports.as_ref(),
                    &symbols::imports(language, text, &whole),
                    "imports after {:?}",
                    steps
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// A large document's facts, kept from chunks, windows and edits, are those of a whole
    /// parse, wherever the edits and the features' requests land.
    #[test]
    fn windowed_symbols_equal_full_extraction_rust(steps in window_steps(vec![
        "fn f() {}\n", "struct S;\n", "impl Point {\n    fn g(&self) {}\n}\n", "use std::fmt;\n", "\n", "// é\n",
    ])) {
        check_windowed_session("rust", "file:///big.rs", &RUST_SOURCE.repeat(1 + 300 * 1024 / RUST_SOURCE.len()), &steps)?;
    }

    #[test]
    fn windowed_symbols_equal_full_extraction_python(steps in window_steps(vec![
        "def f():\n    pass\n", "class C:\n    def m(self):\n        return 1\n", "import sys\n",
        "from a import b\n", "\n", "# é\n", "@decorator\ndef g():\n    pass\n",
    ])) {
        check_windowed_session("python", "file:///big.py", &PYTHON_SOURCE.repeat(1 + 300 * 1024 / PYTHON_SOURCE.len()), &steps)?;
    }
}

#[test]
fn symbols_have_signatures_without_bodies() {
    let document = Document::new("file:///p.rs".into(), "rust".into(), 1, RUST_SOURCE);
    let found = symbols::extract(document.language.unwrap(), RUST_SOURCE, document.tree.as_ref().unwrap());
    let summary: Vec<(String, &str, String)> =
        found.iter().map(|s| (s.name.to_string(), s.kind.as_str(), s.signature.to_string())).collect();
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
    assert_eq!(&*found[0].signature, "pub fn parse(input: &str) -> Result<u32, String> { ... }");
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
    workspace.build(std::slice::from_ref(&scratch.0));
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
    workspace.build(std::slice::from_ref(&scratch.0));
    assert_eq!(workspace.lookup("Alpha").len(), 1);
    for skipped in ["Beta", "Gamma", "Delta"] {
        assert!(workspace.lookup(skipped).is_empty(), "{skipped}");
    }
    std::fs::write(&path, "package a\n\nfunc Omega() int { return 2 }\n").unwrap();
    workspace.update_path(&path);
    assert!(workspace.lookup("Alpha").is_empty());
    assert_eq!(&*workspace.lookup("Omega")[0].symbol.signature, "func Omega() int { return 2 }");
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
    let config = glm_lsp::config::Config::default();
    let options = |line: u32, json: bool, budget_tokens: Option<usize>| glm_lsp::cli::context::Options {
        file: main_path.clone(),
        line,
        character: 2,
        root: scratch.0.clone(),
        open: Vec::new(),
        json,
        budget_tokens,
    };
    let text = glm_lsp::cli::context::run(&options(5, false, None), &config).unwrap();
    assert!(text.contains("func Distance(a Point, b Point) float64"), "{text}");
    assert!(text.contains("<|CURSOR|>"));
    let json = glm_lsp::cli::context::run(&options(5, true, Some(300)), &config).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["budget_tokens"], 300);
    assert!(value["estimated_tokens"].as_u64().unwrap() <= 300);
    let sections = value["sections"].as_array().unwrap();
    for key in ["kind", "file", "start_line", "end_line", "symbol", "text"] {
        assert!(sections.iter().all(|section| section.get(key).is_some()), "{key}");
    }
    assert!(sections.iter().any(|section| section["kind"] == "workspace" && section["file"] == "mathutil.go"));
    assert!(glm_lsp::cli::context::run(&options(500, false, None), &config).is_err());
    // The configuration's exclusions apply, as they do in the server.
    let mut private = config.clone();
    private.context.exclude.push("mathutil.go".into());
    let json = glm_lsp::cli::context::run(&options(5, true, None), &private).unwrap();
    assert!(!json.contains("mathutil.go"), "{json}");
}
