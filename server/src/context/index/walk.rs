//! Which files the workspace index reads. The walk over the workspace folders prunes
//! skipped folders before entering them and follows `.gitignore` through the `ignore` crate;
//! a single path (a save, a watched-file event) is held to the same rules, so an event cannot
//! bring in a file the walk would have left out.

use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;
use ignore::Match;

/// Folders of generated, downloaded or vendored code, and of version control: never
/// entered, at any depth inside a workspace folder. Their definitions are not the project's,
/// and `node_modules` alone can hold more files than the project.
pub const SKIPPED_FOLDERS: &[&str] =
    &["node_modules", "target", "dist", "build", "vendor", "__pycache__", ".venv", "venv", ".git", ".hg", ".svn"];

/// The default of `context.maxFileBytes`: larger files are data, bundles or generated
/// code, and parsing them costs more than their definitions are worth.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Walks `roots` in parallel and calls `visit` with every file that passes the folder,
/// hidden-file, `.gitignore` / `.ignore` and size rules. Blocking.
pub fn walk(roots: &[PathBuf], max_file_bytes: u64, visit: &(dyn Fn(&Path) + Sync)) {
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    let threads = std::thread::available_parallelism().map_or(1, |count| count.get()).min(4);
    builder
        .threads(threads)
        .max_filesize(Some(max_file_bytes))
        // Respect `.gitignore` in a folder that is not (yet) a repository too.
        .require_git(false)
        .filter_entry(|entry| {
            entry.depth() == 0
                || !entry.file_type().is_some_and(|kind| kind.is_dir())
                || !entry.file_name().to_str().is_some_and(|name| SKIPPED_FOLDERS.contains(&name))
        });
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            if let Ok(entry) = entry {
                if entry.file_type().is_some_and(|kind| kind.is_file()) {
                    visit(entry.path());
                }
            }
            ignore::WalkState::Continue
        })
    });
}

/// Whether the walk from `root` would leave `path` out: it lies in a skipped or hidden
/// folder, is hidden itself, or a `.gitignore` / `.ignore` between `root` and it (or the
/// repository's `info/exclude`, or the user's global excludes) ignores it or a folder above it.
pub fn is_skipped(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let names: Vec<&str> = relative.components().filter_map(|part| part.as_os_str().to_str()).collect();
    if names.len() != relative.components().count() {
        return true; // not UTF-8: the walk's rules cannot be checked, and no language matches
    }
    let Some((_, folders)) = names.split_last() else {
        return false;
    };
    if names.iter().any(|name| name.starts_with('.')) || folders.iter().any(|name| SKIPPED_FOLDERS.contains(name)) {
        return true;
    }
    is_ignored(root, relative)
}

/// Follows git's rules: the deepest rule file that matches decides for a path, and nothing
/// inside an ignored folder can be re-included.
fn is_ignored(root: &Path, relative: &Path) -> bool {
    let mut rule_files: Vec<Gitignore> = Vec::new();
    let global = Gitignore::global().0;
    let repository_excludes = Gitignore::new(root.join(".git/info/exclude")).0;
    let mut folder = root.to_path_buf();
    let mut parts = relative.components().peekable();
    while let Some(part) = parts.next() {
        // The rules of `folder` apply to everything below it, `.ignore` before `.gitignore`.
        for name in [".gitignore", ".ignore"] {
            let path = folder.join(name);
            if path.is_file() {
                rule_files.push(Gitignore::new(path).0);
            }
        }
        folder.push(part);
        let is_dir = parts.peek().is_some();
        let decided = rule_files
            .iter()
            .rev()
            .chain([&repository_excludes, &global])
            .map(|rules| rules.matched(&folder, is_dir))
            .find(|matched| !matched.is_none());
        if matches!(decided, Some(Match::Ignore(_))) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("glm-lsp-walk-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    fn walked(root: &Path) -> Vec<String> {
        let found = std::sync::Mutex::new(Vec::new());
        walk(&[root.to_path_buf()], DEFAULT_MAX_FILE_BYTES, &|path| {
            found.lock().unwrap().push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"))
        });
        let mut found = found.into_inner().unwrap();
        found.sort();
        found
    }

    const FILES: &[(&str, &str)] = &[
        (".gitignore", "out/\n*.log\n/generated.py\nlib/*.py\n!lib/keep.py\n"),
        ("src/app.py", "def app(): pass\n"),
        ("src/generated.py", "x = 1\n"),
        ("generated.py", "x = 1\n"),
        ("out/bundle.js", "function f() {}\n"),
        ("debug.log", "log\n"),
        ("lib/drop.py", "x = 1\n"),
        ("lib/keep.py", "x = 1\n"),
        ("pkg/.gitignore", "local.py\n"),
        ("pkg/local.py", "x = 1\n"),
        ("pkg/shared.py", "x = 1\n"),
        ("web/node_modules/dep/index.js", "function dep() {}\n"),
        ("crate/target/debug/out.rs", "fn f() {}\n"),
        ("dist/app.js", "function f() {}\n"),
        ("vendor/lib/lib.go", "package lib\n"),
        (".venv/lib/site.py", "x = 1\n"),
        ("build/lib/setup.py", "x = 1\n"),
        ("src/__pycache__/app.py", "x = 1\n"),
        (".git/config", "[core]\n"),
        (".github/workflows/ci.js", "x\n"),
    ];

    #[test]
    fn the_walk_skips_vendored_generated_hidden_and_ignored_files() {
        let root = project(FILES);
        let expected = ["lib/keep.py", "pkg/shared.py", "src/app.py", "src/generated.py"];
        assert_eq!(walked(&root), expected);
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn a_single_path_is_judged_as_the_walk_judges_it() {
        let root = project(FILES);
        let walked = walked(&root);
        for (path, _) in FILES {
            let kept = !is_skipped(&root, &root.join(path));
            assert_eq!(kept, walked.iter().any(|found| found == path), "{path}");
        }
        // A workspace that itself lives in a folder named `build` is still indexed.
        let nested = project(&[("build/project/src/app.py", "x = 1\n")]);
        assert!(!is_skipped(&nested.join("build/project"), &nested.join("build/project/src/app.py")));
        std::fs::remove_dir_all(&root).ok();
        std::fs::remove_dir_all(&nested).ok();
    }
}
