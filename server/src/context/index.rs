//! The workspace index: definitions of the files under the workspace folders, looked up by
//! name. Built once in the background, then kept current file by file.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use dashmap::DashMap;

use super::privacy::Exclude;
use super::symbols::{self, Symbol, SymbolCache};
use crate::language::{parse_str, Language};

/// Files larger than this are not indexed: they are data or generated code, and parsing
/// them costs more than their definitions are worth.
pub const MAX_INDEXED_BYTES: u64 = 1024 * 1024;

/// A definition found in a workspace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedSymbol {
    pub path: Arc<Path>,
    pub language: Language,
    pub symbol: Symbol,
}

/// Definitions of workspace files by name, plus the cache of open documents' symbols.
/// `Send + Sync`: share it in an `Arc`; lookups never block on a build in progress for
/// longer than one file's insertion.
#[derive(Debug)]
pub struct WorkspaceIndex {
    exclude: Exclude,
    roots: RwLock<Vec<PathBuf>>,
    files: DashMap<PathBuf, Arc<[IndexedSymbol]>>,
    by_name: DashMap<String, Vec<IndexedSymbol>>,
    open: SymbolCache,
}

impl WorkspaceIndex {
    pub fn new(exclude: &Exclude) -> WorkspaceIndex {
        WorkspaceIndex {
            exclude: exclude.clone(),
            roots: RwLock::new(Vec::new()),
            files: DashMap::new(),
            by_name: DashMap::new(),
            open: SymbolCache::new(),
        }
    }

    /// Indexes every source file under `roots`, respecting `.gitignore`, skipping hidden,
    /// excluded, binary, generated and oversized files. Blocking: run it on a blocking thread.
    pub fn build(&self, roots: &[PathBuf]) {
        if let Ok(mut known) = self.roots.write() {
            for root in roots {
                if !known.contains(root) {
                    known.push(root.clone());
                }
            }
        }
        let Some((first, rest)) = roots.split_first() else {
            return;
        };
        let mut builder = ignore::WalkBuilder::new(first);
        for root in rest {
            builder.add(root);
        }
        let threads = std::thread::available_parallelism().map_or(1, |count| count.get()).min(4);
        builder.threads(threads).max_filesize(Some(MAX_INDEXED_BYTES)).require_git(false);
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                if let Ok(entry) = entry {
                    if entry.file_type().is_some_and(|kind| kind.is_file()) {
                        self.update_path(entry.path());
                    }
                }
                ignore::WalkState::Continue
            })
        });
        tracing::info!(files = self.file_count(), "workspace index built");
    }

    /// Re-reads one file (after a save or a watched-file change); removes it when it is
    /// gone or no longer indexable.
    pub fn update_path(&self, path: &Path) {
        match self.read_symbols(path) {
            Some(symbols) => self.insert(path, symbols),
            None => self.remove_path(path),
        }
    }

    pub fn remove_path(&self, path: &Path) {
        let Some((_, old)) = self.files.remove(path) else {
            return;
        };
        for symbol in old.iter() {
            if let Some(mut entries) = self.by_name.get_mut(&*symbol.symbol.name) {
                entries.retain(|entry| *entry.path != *path);
                let empty = entries.is_empty();
                drop(entries);
                if empty {
                    self.by_name.remove_if(&*symbol.symbol.name, |_, entries| entries.is_empty());
                }
            }
        }
    }

    /// Every indexed definition named `name`, ordered by path for stable prompts.
    pub fn lookup(&self, name: &str) -> Vec<IndexedSymbol> {
        let mut found = self.by_name.get(name).map(|entries| entries.clone()).unwrap_or_default();
        found.sort_by(|a, b| (&a.path, a.symbol.range.start).cmp(&(&b.path, b.symbol.range.start)));
        found
    }

    /// Runs `read` on the definitions named `name` (in no particular order) without cloning
    /// them: common names can have thousands.
    pub fn lookup_with<R>(&self, name: &str, read: impl FnOnce(&[IndexedSymbol]) -> R) -> R {
        match self.by_name.get(name) {
            Some(entries) => read(&entries),
            None => read(&[]),
        }
    }

    /// The indexed definitions of one file.
    pub fn file_symbols(&self, path: &Path) -> Option<Arc<[IndexedSymbol]>> {
        self.files.get(path).map(|entry| entry.clone())
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    pub fn symbol_count(&self) -> usize {
        self.files.iter().map(|entry| entry.len()).sum()
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().map(|roots| roots.clone()).unwrap_or_default()
    }

    pub fn exclude(&self) -> &Exclude {
        &self.exclude
    }

    /// The incremental symbol cache of open documents.
    pub fn open_documents(&self) -> &SymbolCache {
        &self.open
    }

    fn root_of(&self, path: &Path) -> Option<PathBuf> {
        let roots = self.roots.read().ok()?;
        roots.iter().find(|root| path.starts_with(root)).cloned()
    }

    fn insert(&self, path: &Path, symbols: Vec<IndexedSymbol>) {
        self.remove_path(path);
        let mut names: HashMap<&str, Vec<IndexedSymbol>> = HashMap::new();
        for symbol in &symbols {
            names.entry(&*symbol.symbol.name).or_default().push(symbol.clone());
        }
        for (name, entries) in names {
            self.by_name.entry(name.to_string()).or_default().extend(entries);
        }
        self.files.insert(path.to_path_buf(), symbols.into());
    }

    fn read_symbols(&self, path: &Path) -> Option<Vec<IndexedSymbol>> {
        let language = Language::from_path(path)?;
        let root = self.root_of(path);
        // Judge folders by the path inside the workspace: a workspace that itself lives in
        // a folder named `build` is still indexed.
        let relative = root.as_deref().and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path);
        if matches!(language, Language::Json | Language::Toml) || is_generated_name(relative) {
            return None;
        }
        if self.exclude.is_excluded(path, root.as_deref()) {
            return None;
        }
        let text = read_source(path)?;
        if is_generated_text(&text) {
            return None;
        }
        let tree = parse_str(language, &text)?;
        let shared_path: Arc<Path> = Arc::from(path);
        Some(
            symbols::extract(language, &text, &tree)
                .into_iter()
                .map(|symbol| IndexedSymbol { path: shared_path.clone(), language, symbol })
                .collect(),
        )
    }
}

/// Reads a file as UTF-8 source, or `None` when it is too large, binary or unreadable.
fn read_source(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_INDEXED_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_INDEXED_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_INDEXED_BYTES || bytes[..bytes.len().min(8192)].contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn is_generated_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return true;
    };
    const SUFFIXES: &[&str] =
        &[".min.js", ".min.mjs", ".bundle.js", ".pb.go", "_pb2.py", "_pb2_grpc.py", ".pb.h", ".pb.cc", ".d.ts.map"];
    SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
        || name.contains(".generated.")
        || name.contains(".g.")
        || path.components().any(|part| {
            matches!(
                part.as_os_str().to_str(),
                Some("node_modules" | "target" | "dist" | "build" | "__pycache__" | "vendor")
            )
        })
}

/// Generated files announce themselves near the top (Go's `Code generated ... DO NOT EDIT.`,
/// `@generated`); minified files have enormous lines.
fn is_generated_text(text: &str) -> bool {
    let head = &text[..crate::text::floor_char_boundary(text, 2048)];
    head.contains("@generated")
        || head.contains("DO NOT EDIT")
        || head.contains("auto-generated")
        || head.contains("autogenerated")
        || text.lines().take(20).any(|line| line.len() > 2000)
}
