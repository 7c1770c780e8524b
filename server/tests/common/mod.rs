//! The multi-file fixture projects the context tests share: a fixture is a set of `//- /path`
//! files, the cursor marked `$0` in the first, written to a temporary folder; the helpers
//! gather the context at the cursor and compare the exact section text a prompt gets.
// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

use std::path::PathBuf;

use glm_lsp::context::{gather, path_to_uri, Context, ContextInput, Exclude, Section, WorkspaceIndex};
use glm_lsp::document::Document;
use glm_lsp::language::Language;

/// A fixture written to a temporary folder: the first file holds the `$0` cursor.
pub struct Project {
    pub root: PathBuf,
    pub files: Vec<(String, String)>,
    pub cursor: usize,
}

impl Project {
    pub fn new(fixture: &str) -> Project {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let serial = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("glm-lsp-fixture-{}-{serial}", std::process::id()));
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

    pub fn document(&self, relative: &str) -> Document {
        let (_, text) = self.files.iter().find(|(path, _)| path == relative).expect("the file is in the fixture");
        let path = self.root.join(relative);
        let language = Language::from_path(&path).unwrap();
        Document::new(path_to_uri(&path), language.name().to_string(), 1, text)
    }

    /// The context at the cursor with `open` open beside the first file and the rest of the
    /// project in the workspace index.
    pub fn context(&self, open: &[&str]) -> Context {
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

pub fn sections_of(context: &Context) -> String {
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
pub fn section<'a>(context: &'a Context, file: &str, symbol: &str) -> &'a Section {
    context
        .sections
        .iter()
        .find(|section| section.file == file && section.symbol.as_deref() == Some(symbol))
        .unwrap_or_else(|| panic!("no section for {symbol} from {file}:\n{}", sections_of(context)))
}

/// Checks that the context at the cursor shows each `(file, symbol, text)` exactly.
pub fn check(fixture: &str, open: &[&str], expected: &[(&str, &str, &str)]) -> Context {
    let project = Project::new(fixture);
    let context = project.context(open);
    for (file, symbol, text) in expected {
        assert_eq!(section(&context, file, symbol).text, *text, "{symbol} from {file}:\n{}", sections_of(&context));
    }
    context
}

pub fn check_absent(context: &Context, symbol: &str) {
    assert!(
        context.sections.iter().all(|section| section.symbol.as_deref() != Some(symbol)),
        "{symbol} should not be shown:\n{}",
        sections_of(context)
    );
}
