//! The workspace index: definitions of the files under the workspace folders, looked up by
//! name. Built once in the background, then kept current file by file (saves, watched-file
//! events).
//!
//! Memory is proportional to the definitions, not to the files: no file text is kept, each
//! definition is stored once (under its name) with its file's path shared by all of the
//! file's definitions, and a file remembers only which names it defines.

mod walk;

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use dashmap::{DashMap, DashSet};

pub use self::walk::{DEFAULT_MAX_FILE_BYTES, SKIPPED_FOLDERS};
use super::modules::{self, ModuleFacts};
use super::symbols::{self, Symbol, SymbolCache};
use crate::language::{large_parse_turn, with_parser, Language};
use crate::privacy::Exclude;

/// A definition found in a workspace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedSymbol {
    pub path: Arc<Path>,
    pub language: Language,
    pub symbol: Symbol,
}

/// Counts and text sizes of an index ([`WorkspaceIndex::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub files: usize,
    pub definitions: usize,
    /// Distinct names, each stored once.
    pub names: usize,
    pub name_bytes: usize,
    /// Room reserved in the per-name lists (in definitions).
    pub list_capacity: usize,
    pub signature_bytes: usize,
    pub path_bytes: usize,
}

/// Definitions of workspace files by name, plus the cache of open documents' symbols.
/// `Send + Sync`: share it in an `Arc`; lookups never block on a build in progress for
/// longer than one file's insertion.
#[derive(Debug)]
pub struct WorkspaceIndex {
    exclude: Exclude,
    roots: RwLock<Vec<PathBuf>>,
    max_file_bytes: AtomicU64,
    /// The names each indexed file defines, to take its definitions out again. Lock order:
    /// a `files` entry, then `by_name` entries, never the reverse.
    files: DashMap<Arc<Path>, Box<[Arc<str>]>>,
    by_name: DashMap<Arc<str>, Vec<IndexedSymbol>>,
    /// What a file re-exports and its `mod` declarations, for the files that have any: a
    /// module-qualified name is followed through them.
    modules: DashMap<Arc<Path>, Arc<ModuleFacts>>,
    open: SymbolCache,
    /// Files open in the editor. Their definitions come from the open document (the
    /// resolver never takes an open file's from the index), so the index does not parse
    /// them: a second tree of a large file being edited would double the memory it costs.
    /// Closing one reads it again.
    editing: DashSet<PathBuf>,
}

/// What reading one file found.
enum FileRead {
    Indexable(Language, Vec<Symbol>, ModuleFacts),
    /// Not source, too large, generated, excluded or unreadable: out of the index.
    Unindexable,
    /// Open in the editor: left as it is until it is closed.
    Open,
}

impl WorkspaceIndex {
    pub fn new(exclude: &Exclude) -> WorkspaceIndex {
        WorkspaceIndex {
            exclude: exclude.clone(),
            roots: RwLock::new(Vec::new()),
            max_file_bytes: AtomicU64::new(DEFAULT_MAX_FILE_BYTES),
            files: DashMap::new(),
            by_name: DashMap::new(),
            modules: DashMap::new(),
            open: SymbolCache::new(),
            editing: DashSet::new(),
        }
    }

    /// Files larger than this are not indexed (`context.maxFileBytes`); applies to files
    /// read from now on.
    pub fn set_max_file_bytes(&self, bytes: u64) {
        self.max_file_bytes.store(bytes, Ordering::Relaxed);
    }

    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes.load(Ordering::Relaxed)
    }

    /// Indexes every source file under `roots`, respecting `.gitignore` and skipping
    /// vendored, generated, hidden, excluded, binary and oversized files. Blocking: run it
    /// on a blocking thread.
    pub fn build(&self, roots: &[PathBuf]) {
        self.build_with_progress(roots, &|_| {});
    }

    /// [`WorkspaceIndex::build`], calling `before_file` with the number of files read so far
    /// before it reads each file (from the walk's threads).
    pub fn build_with_progress(&self, roots: &[PathBuf], before_file: &(dyn Fn(usize) + Sync)) {
        self.add_roots(roots);
        let count = AtomicUsize::new(0);
        walk::walk(roots, self.max_file_bytes(), &|path| {
            before_file(count.fetch_add(1, Ordering::Relaxed));
            self.index_walked(path);
        });
        tracing::info!(files = self.file_count(), "workspace index built");
    }

    /// Makes `roots` workspace folders: paths under them are indexed by [`WorkspaceIndex::update_path`].
    pub fn add_roots(&self, roots: &[PathBuf]) {
        if let Ok(mut known) = self.roots.write() {
            for root in roots {
                if !known.contains(root) {
                    known.push(root.clone());
                }
            }
        }
    }

    /// Re-reads a path after a save or a watched-file change: a file is indexed again (or
    /// removed when it is no longer indexable), a folder is walked, a path that is gone is
    /// removed with everything under it. Held to the walk's rules (`.gitignore`, skipped
    /// folders), so an event cannot bring in a file the build would have left out; a changed
    /// `.gitignore` or `.ignore` re-walks its folder. Links are not followed, as the walk
    /// does not follow them: a watched link to `/` must not bring the disk into prompts.
    pub fn update_path(&self, path: &Path) {
        let Some(root) = self.root_of(path) else {
            return; // outside the workspace folders
        };
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_symlink());
        if is_link || (path.exists() && !crate::workspace_path::is_inside(&root, path)) {
            self.remove_path(path);
            return;
        }
        let is_rules_file = path.file_name().is_some_and(|name| name == ".gitignore" || name == ".ignore");
        if is_rules_file {
            if let Some(folder) = path.parent() {
                self.reindex_folder(&root, folder);
            }
            return;
        }
        match std::fs::metadata(path) {
            Err(_) => self.remove_path(path),
            Ok(metadata) if metadata.is_dir() => self.reindex_folder(&root, path),
            Ok(_) if walk::is_skipped(&root, path) => self.remove_path(path),
            Ok(_) => self.index_walked(path),
        }
    }

    /// Forgets a file, or every file under a folder (a deleted folder is reported once).
    pub fn remove_path(&self, path: &Path) {
        if self.remove_file(path) {
            return;
        }
        let inside: Vec<Arc<Path>> =
            self.files.iter().filter(|entry| entry.key().starts_with(path)).map(|entry| entry.key().clone()).collect();
        for file in inside {
            self.remove_file(&file);
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

    /// The indexed definitions of one file, in source order.
    pub fn file_symbols(&self, path: &Path) -> Option<Vec<IndexedSymbol>> {
        let names = self.files.get(path)?;
        let mut found: Vec<IndexedSymbol> = names
            .iter()
            .filter_map(|name| self.by_name.get(name))
            .flat_map(|entries| entries.iter().filter(|entry| *entry.path == *path).cloned().collect::<Vec<_>>())
            .collect();
        found.sort_by_key(|entry| entry.symbol.range.start);
        Some(found)
    }

    /// Whether `path` is an indexed file.
    pub fn contains_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// What an indexed file re-exports and declares as modules, if anything.
    pub fn module_facts(&self, path: &Path) -> Option<Arc<ModuleFacts>> {
        self.modules.get(path).map(|facts| facts.clone())
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    pub fn symbol_count(&self) -> usize {
        self.by_name.iter().map(|entry| entry.len()).sum()
    }

    /// What the index holds, to see where its memory goes. Walks every entry: not for
    /// request paths.
    pub fn stats(&self) -> IndexStats {
        let mut stats = IndexStats { files: self.files.len(), names: self.by_name.len(), ..IndexStats::default() };
        for entry in self.by_name.iter() {
            stats.name_bytes += entry.key().len();
            stats.definitions += entry.len();
            stats.list_capacity += entry.capacity();
            for definition in entry.iter() {
                stats.signature_bytes += definition.symbol.signature.len();
            }
        }
        for entry in self.files.iter() {
            stats.path_bytes += entry.key().as_os_str().len();
        }
        stats
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

    /// Marks a file open in the editor, before the editor's text is parsed: a build or an
    /// update reaching it meanwhile leaves it alone.
    pub fn document_opened(&self, path: &Path) {
        self.editing.insert(path.to_path_buf());
    }

    /// Marks a file closed; `true` when it was open, and the caller should have it read
    /// again ([`WorkspaceIndex::update_path`]), since the index left it alone meanwhile.
    pub fn document_closed(&self, path: &Path) -> bool {
        self.editing.remove(path).is_some()
    }

    fn root_of(&self, path: &Path) -> Option<PathBuf> {
        let roots = self.roots.read().ok()?;
        // The innermost folder: a workspace folder can lie inside another.
        roots.iter().filter(|root| path.starts_with(root)).max_by_key(|root| root.as_os_str().len()).cloned()
    }

    /// Forgets the files under `folder`, then walks it again with the walk's rules.
    fn reindex_folder(&self, root: &Path, folder: &Path) {
        if folder != root && walk::is_skipped(root, folder) {
            self.remove_path(folder);
            return;
        }
        let inside: Vec<Arc<Path>> = self
            .files
            .iter()
            .filter(|entry| entry.key().starts_with(folder))
            .map(|entry| entry.key().clone())
            .collect();
        let walked = std::sync::Mutex::new(HashSet::new());
        walk::walk(&[folder.to_path_buf()], self.max_file_bytes(), &|path| {
            // The walk starts below the workspace root: judge the folders above it too.
            if folder == root || !walk::is_skipped(root, path) {
                self.index_walked(path);
                walked.lock().unwrap_or_else(|poison| poison.into_inner()).insert(path.to_path_buf());
            }
        });
        let walked = walked.into_inner().unwrap_or_else(|poison| poison.into_inner());
        for file in inside {
            if !walked.contains(&*file) {
                self.remove_file(&file);
            }
        }
    }

    /// Indexes a file the walk's folder rules allow (or removes it when its content makes it
    /// unindexable).
    fn index_walked(&self, path: &Path) {
        // Read and parse outside every lock: that takes milliseconds.
        let found = match self.read_symbols(path) {
            FileRead::Open => return,
            FileRead::Indexable(language, symbols, facts) => Some((language, symbols, facts)),
            FileRead::Unindexable => None,
        };
        // Replace under the file's entry lock, so two updates of one file cannot interleave.
        match self.files.entry(Arc::from(path)) {
            dashmap::Entry::Occupied(mut entry) => {
                self.remove_definitions(entry.key(), entry.get());
                self.modules.remove(entry.key());
                match found {
                    Some((language, symbols, facts)) => {
                        let names = self.add_definitions(entry.key(), language, symbols);
                        self.add_module_facts(entry.key(), facts);
                        entry.insert(names);
                    }
                    None => {
                        entry.remove();
                    }
                }
            }
            dashmap::Entry::Vacant(entry) => {
                if let Some((language, symbols, facts)) = found {
                    let names = self.add_definitions(entry.key(), language, symbols);
                    self.add_module_facts(entry.key(), facts);
                    entry.insert(names);
                }
            }
        }
    }

    /// Files its definitions under their names and returns the names (each once), sharing
    /// the name's key (symbol texts are exact-size shared strings already).
    fn add_definitions(&self, path: &Arc<Path>, language: Language, symbols: Vec<Symbol>) -> Box<[Arc<str>]> {
        let mut names: Vec<Arc<str>> = Vec::with_capacity(symbols.len());
        for symbol in symbols {
            let name = symbol.name.clone();
            let definition = IndexedSymbol { path: path.clone(), language, symbol };
            let key = match self.by_name.get_mut(&*name) {
                Some(mut entries) => {
                    push_compact(&mut entries, definition);
                    entries.key().clone()
                }
                None => {
                    let mut entries = self.by_name.entry(name).or_default();
                    push_compact(&mut entries, definition);
                    entries.key().clone()
                }
            };
            names.push(key);
        }
        names.sort_unstable();
        names.dedup();
        names.into_boxed_slice()
    }

    fn add_module_facts(&self, path: &Arc<Path>, facts: ModuleFacts) {
        if !facts.is_empty() {
            self.modules.insert(path.clone(), Arc::new(facts));
        }
    }

    /// Takes a file's definitions out of `by_name`; `true` when it was indexed.
    fn remove_file(&self, path: &Path) -> bool {
        match self.files.entry(Arc::from(path)) {
            dashmap::Entry::Occupied(entry) => {
                self.remove_definitions(entry.key(), entry.get());
                self.modules.remove(entry.key());
                entry.remove();
                true
            }
            dashmap::Entry::Vacant(_) => false,
        }
    }

    fn remove_definitions(&self, path: &Path, names: &[Arc<str>]) {
        for name in names {
            if let Some(mut entries) = self.by_name.get_mut(name) {
                entries.retain(|entry| *entry.path != *path);
                let empty = entries.is_empty();
                drop(entries);
                if empty {
                    self.by_name.remove_if(name, |_, entries| entries.is_empty());
                }
            }
        }
    }

    fn read_symbols(&self, path: &Path) -> FileRead {
        if self.editing.contains(path) {
            return FileRead::Open;
        }
        let Some(language) = Language::from_path(path) else {
            return FileRead::Unindexable;
        };
        let root = self.root_of(path);
        // Judge names by the path inside the workspace: a workspace that itself lives in a
        // folder named `build` is still indexed.
        let relative = root.as_deref().and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path);
        if matches!(language, Language::Json | Language::Toml)
            || is_generated_name(relative)
            || self.exclude.is_excluded(path, root.as_deref())
        {
            return FileRead::Unindexable;
        }
        let Some(text) = read_source(path, self.max_file_bytes()).filter(|text| !is_generated_text(text)) else {
            return FileRead::Unindexable;
        };
        // The tree lives only while its symbols are read: one large tree at a time, this one
        // or an editor's, and none for a file the editor opened while this one waited.
        let _turn = large_parse_turn(text.len());
        if self.editing.contains(path) {
            return FileRead::Open;
        }
        let facts = modules::read(language, &text).exported_only(path);
        if crate::windowed::is_large(text.len()) {
            let (symbols, _) = symbols::extract_in_chunks(language, &text, &crate::windowed::Lines::new(&text));
            return FileRead::Indexable(language, symbols, facts);
        }
        match with_parser(language, |parser| parser.parse(&text, None)) {
            Some(tree) => FileRead::Indexable(language, symbols::extract(language, &text, &tree), facts),
            None => FileRead::Unindexable,
        }
    }
}

/// Most names have one or two definitions: grow their lists one at a time rather than by
/// doubling (a first push reserves four), and only long lists by doubling.
fn push_compact(entries: &mut Vec<IndexedSymbol>, definition: IndexedSymbol) {
    if entries.len() < 16 {
        entries.reserve_exact(1);
    }
    entries.push(definition);
}

/// Reads a file as UTF-8 source, or `None` when it is too large, binary or unreadable.
fn read_source(path: &Path, max_bytes: u64) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > max_bytes {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > max_bytes || bytes[..bytes.len().min(8192)].contains(&0) {
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
        || path.components().any(|part| part.as_os_str().to_str().is_some_and(|part| SKIPPED_FOLDERS.contains(&part)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let root = std::env::temp_dir().join(format!("glm-lsp-index-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    fn definitions(index: &WorkspaceIndex, name: &str) -> Vec<String> {
        index.lookup(name).iter().map(|found| found.symbol.signature.to_string()).collect()
    }

    #[test]
    fn files_over_the_size_limit_are_left_out() {
        let big = format!("def big_table():\n    return 1\n{}", "# padding\n".repeat(300));
        let root = project("limit", &[("small.py", "def small():\n    return 1\n"), ("big.py", &big)]);
        let index = WorkspaceIndex::new(&Exclude::none());
        index.set_max_file_bytes(1024);
        index.build(std::slice::from_ref(&root));
        assert_eq!((index.file_count(), definitions(&index, "big_table").len()), (1, 0));
        // A larger limit applies to the next read.
        index.set_max_file_bytes(DEFAULT_MAX_FILE_BYTES);
        index.update_path(&root.join("big.py"));
        assert_eq!(definitions(&index, "big_table"), ["def big_table():\n    return 1"]);
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn open_files_are_left_alone_until_they_are_closed() {
        let root = project("open", &[("src/a.py", "def edited():\n    return 1\n")]);
        let index = WorkspaceIndex::new(&Exclude::none());
        let path = root.join("src/a.py");
        index.document_opened(&path);
        index.build(std::slice::from_ref(&root));
        index.update_path(&path);
        assert_eq!((index.file_count(), definitions(&index, "edited").len()), (0, 0));
        assert!(index.document_closed(&path));
        assert!(!index.document_closed(&path), "closed once");
        index.update_path(&path);
        assert_eq!(definitions(&index, "edited"), ["def edited():\n    return 1"]);
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn updates_replace_a_files_definitions_and_removals_take_them_all() {
        let root = project(
            "updates",
            &[("src/a.py", "def shared():\n    return 1\n"), ("src/b.py", "def shared():\n    return 2\n")],
        );
        let index = WorkspaceIndex::new(&Exclude::none());
        index.build(std::slice::from_ref(&root));
        index.update_path(&root.join("src/a.py"));
        index.update_path(&root.join("src/a.py"));
        assert_eq!(definitions(&index, "shared").len(), 2, "one definition per file, however often it is read");
        std::fs::write(root.join("src/a.py"), "def renamed():\n    return 1\n").unwrap();
        index.update_path(&root.join("src/a.py"));
        assert_eq!(definitions(&index, "shared"), ["def shared():\n    return 2"]);
        assert_eq!(index.stats().names, 2);
        std::fs::remove_dir_all(root.join("src")).unwrap();
        index.update_path(&root.join("src"));
        assert_eq!((index.file_count(), index.stats()), (0, IndexStats::default()));
        std::fs::remove_dir_all(&root).ok();
    }

    #[cfg(unix)]
    #[test]
    fn watched_links_out_of_the_root_are_not_followed() {
        let outside = project("outside", &[("leak.py", "def leaked():\n    return 1\n")]);
        let root = project("links", &[("a.py", "def kept():\n    return 1\n")]);
        std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
        std::os::unix::fs::symlink(outside.join("leak.py"), root.join("leak_link.py")).unwrap();
        let index = WorkspaceIndex::new(&Exclude::none());
        index.build(std::slice::from_ref(&root));
        for path in ["linked", "linked/leak.py", "leak_link.py"] {
            index.update_path(&root.join(path));
        }
        assert!(definitions(&index, "leaked").is_empty());
        assert_eq!(index.file_count(), 1);
        std::fs::remove_dir_all(&root).ok();
        std::fs::remove_dir_all(&outside).ok();
    }
}
