//! The one decision on whether a path on disk may be read into a prompt or written: it must
//! lie inside the workspace root once symlinks are resolved, must not match `context.exclude`
//! (nor the default secret patterns), and must be a regular file. Paths are often built from
//! repository text (a crate name, a Java `package` line), so a `../` or absolute component is
//! refused here rather than by whatever happens to parse it later.
//!
//! Editor buffers are not disk reads: their text arrives over the protocol. Everything the
//! server reads from disk for a prompt, and every file it writes or asks the editor to write,
//! goes through [`PathGuard`].

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::privacy::Exclude;

/// Why a path may not be used; the message is for the user and names the path as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{path} is outside the workspace ({resolved}); glm-lsp reads and writes only inside it")]
    Outside { path: String, resolved: String },
    #[error("{path} matches context.exclude; glm-lsp never reads it into a prompt nor writes it")]
    Excluded { path: String },
    #[error("{path} is not a regular file; glm-lsp reads and writes only regular files")]
    NotRegular { path: String },
    #[error("{path} climbs out of its folder with `..`; glm-lsp does not follow it")]
    Climbs { path: String },
    #[error("cannot use {path}: {error}")]
    Io { path: String, error: String },
}

/// The workspace root a feature reads from and writes to, with the user's exclusions.
#[derive(Debug, Clone)]
pub struct PathGuard {
    root: PathBuf,
    /// The root with its symlinks resolved: containment is judged on resolved paths.
    resolved_root: PathBuf,
    exclude: Arc<Exclude>,
}

impl PathGuard {
    /// A guard for `root` (which must exist).
    pub fn new(root: &Path, exclude: Arc<Exclude>) -> Result<PathGuard, Refused> {
        let resolved_root = std::fs::canonicalize(root).map_err(|error| io_error(root, &error))?;
        Ok(PathGuard { root: root.to_path_buf(), resolved_root, exclude })
    }

    /// A guard for the project holding `file` when the editor named no workspace folder: the
    /// nearest folder above it marked by `.git` or `glm-lsp.toml`, else the file's own folder.
    pub fn around_file(file: &Path, exclude: Arc<Exclude>) -> Result<PathGuard, Refused> {
        let folder = file.parent().unwrap_or(file);
        let root = folder
            .ancestors()
            .find(|dir| dir.join(".git").exists() || dir.join("glm-lsp.toml").is_file())
            .unwrap_or(folder);
        PathGuard::new(root, exclude)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn exclude(&self) -> &Arc<Exclude> {
        &self.exclude
    }

    /// The path to read `path` through, when its content may go into a prompt: an existing
    /// regular file inside the root, not excluded.
    pub fn check_read(&self, path: &Path) -> Result<PathBuf, Refused> {
        let resolved = std::fs::canonicalize(self.absolute(path)).map_err(|error| io_error(path, &error))?;
        self.judge_existing(path, resolved)
    }

    /// The path to write `path` through: an existing regular file inside the root, not
    /// excluded, or a new file whose nearest existing folder is inside the root and whose
    /// missing part has no `..`.
    pub fn check_write(&self, path: &Path) -> Result<PathBuf, Refused> {
        let absolute = self.absolute(path);
        if std::fs::symlink_metadata(&absolute).is_ok() {
            // Existing (a dangling link too: canonicalize fails and the write is refused).
            let resolved = std::fs::canonicalize(&absolute).map_err(|error| io_error(path, &error))?;
            return self.judge_existing(path, resolved);
        }
        let mut missing = Vec::new();
        let mut existing = absolute.as_path();
        while std::fs::symlink_metadata(existing).is_err() {
            let (Some(parent), Some(name)) = (existing.parent(), existing.components().next_back()) else {
                return Err(io_error(path, &std::io::Error::from(std::io::ErrorKind::NotFound)));
            };
            match name {
                Component::Normal(name) => missing.push(name.to_os_string()),
                _ => return Err(Refused::Climbs { path: shown(path) }),
            }
            existing = parent;
        }
        let mut resolved = std::fs::canonicalize(existing).map_err(|error| io_error(path, &error))?;
        if !resolved.is_dir() {
            return Err(Refused::NotRegular { path: shown(existing) });
        }
        resolved.extend(missing.iter().rev());
        self.judge_location(path, &resolved)?;
        Ok(resolved)
    }

    /// Reads `path` for a prompt, through [`PathGuard::check_read`]; at most `max_bytes`.
    pub fn read(&self, path: &Path, max_bytes: u64) -> Result<String, Refused> {
        let resolved = self.check_read(path)?;
        let file = std::fs::File::open(&resolved).map_err(|error| io_error(path, &error))?;
        let mut bytes = Vec::new();
        file.take(max_bytes).read_to_end(&mut bytes).map_err(|error| io_error(path, &error))?;
        String::from_utf8(bytes).map_err(|_| Refused::Io { path: shown(path), error: "not UTF-8 text".into() })
    }

    /// Writes `content` to `path` through [`PathGuard::check_write`], creating its folders.
    pub fn write(&self, path: &Path, content: &str) -> Result<(), Refused> {
        let resolved = self.check_write(path)?;
        if let Some(parent) = resolved.parent() {
            std::fs::create_dir_all(parent).map_err(|error| io_error(path, &error))?;
        }
        std::fs::write(&resolved, content).map_err(|error| io_error(path, &error))
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    fn judge_existing(&self, path: &Path, resolved: PathBuf) -> Result<PathBuf, Refused> {
        self.judge_location(path, &resolved)?;
        // Regular files only: a FIFO would block a read forever, a device is not source.
        let metadata = std::fs::metadata(&resolved).map_err(|error| io_error(path, &error))?;
        if !metadata.is_file() {
            return Err(Refused::NotRegular { path: shown(path) });
        }
        Ok(resolved)
    }

    /// Inside the root and not excluded, judged on the resolved path and on the path as
    /// named (a link named `tests/test_calc.py` to `.env` is excluded by what it leads to).
    fn judge_location(&self, path: &Path, resolved: &Path) -> Result<(), Refused> {
        if !resolved.starts_with(&self.resolved_root) {
            return Err(Refused::Outside { path: shown(path), resolved: shown(resolved) });
        }
        if self.exclude.is_excluded(resolved, Some(&self.resolved_root))
            || self.exclude.is_excluded(&self.absolute(path), Some(&self.root))
        {
            return Err(Refused::Excluded { path: shown(path) });
        }
        Ok(())
    }
}

/// `a/./b/../c` → `a/c`, without touching the disk.
pub fn lexically_normal(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

/// Whether `path` is inside `root` once both are resolved: the index's test for a watched
/// path before it reads it or walks it. `false` when either cannot be resolved.
pub fn is_inside(root: &Path, path: &Path) -> bool {
    match (std::fs::canonicalize(root), std::fs::canonicalize(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => false,
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn io_error(path: &Path, error: &std::io::Error) -> Refused {
    Refused::Io { path: shown(path), error: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> (PathBuf, PathBuf) {
        let base = std::env::temp_dir().join(format!("glm-lsp-guard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("project");
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(root.join(".env"), "PASSWORD=hunter2hunter2hunter2\n").unwrap();
        std::fs::write(root.join("calc.py"), "def add(a, b):\n    return a + b\n").unwrap();
        std::fs::write(base.join("outside.py"), "SECRET = 1\n").unwrap();
        (base, root)
    }

    fn guard(root: &Path) -> PathGuard {
        PathGuard::new(root, Arc::new(Exclude::default())).unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_or_to_excluded_files_are_refused_for_reading_and_writing() {
        let (base, root) = scratch("links");
        let guard = guard(&root);
        std::os::unix::fs::symlink("../.env", root.join("tests/test_calc.py")).unwrap();
        std::os::unix::fs::symlink(base.join("outside.py"), root.join("tests/test_out.py")).unwrap();
        std::os::unix::fs::symlink("/", root.join("everything")).unwrap();
        std::os::unix::fs::symlink("../calc.py", root.join("tests/alias.py")).unwrap();
        let calc_link = root.join("tests/test_calc.py");
        assert!(matches!(guard.check_read(&calc_link), Err(Refused::Excluded { .. })));
        assert!(matches!(guard.check_write(&calc_link), Err(Refused::Excluded { .. })));
        assert!(matches!(guard.check_read(&root.join("tests/test_out.py")), Err(Refused::Outside { .. })));
        assert!(matches!(guard.check_write(&root.join("tests/test_out.py")), Err(Refused::Outside { .. })));
        assert!(matches!(guard.check_write(&root.join("everything/tmp/new.py")), Err(Refused::Outside { .. })));
        assert!(guard.read(&root.join("tests/alias.py"), 1 << 20).unwrap().contains("def add"));
        assert!(guard.write(&root.join("tests/test_out.py"), "x").is_err());
        assert_eq!(std::fs::read_to_string(base.join("outside.py")).unwrap(), "SECRET = 1\n");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn new_files_are_written_inside_and_never_through_dot_dot() {
        let (base, root) = scratch("new");
        let guard = guard(&root);
        guard.write(&root.join("tests/unit/test_calc.py"), "def test(): pass\n").unwrap();
        assert!(root.join("tests/unit/test_calc.py").is_file());
        for path in ["tests/../../escape.py", "tests/missing/../../../escape.py", "../escape.py"] {
            assert!(guard.check_write(&root.join(path)).is_err(), "{path}");
        }
        assert!(guard.check_write(Path::new("/tmp/glm-lsp-guard-absolute.py")).is_err());
        assert!(!base.join("escape.py").exists());
        assert!(matches!(guard.check_write(&root.join("config/.env")), Err(Refused::Excluded { .. })));
        assert!(matches!(guard.check_read(&root.join(".env")), Err(Refused::Excluded { .. })));
        assert!(matches!(guard.check_read(&root.join("tests")), Err(Refused::NotRegular { .. })));
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_not_read() {
        let (base, root) = scratch("fifo");
        let fifo = root.join("tests/test_pipe.py");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            assert!(matches!(guard(&root).check_read(&fifo), Err(Refused::NotRegular { .. })));
            assert!(matches!(guard(&root).check_write(&fifo), Err(Refused::NotRegular { .. })));
        }
        std::fs::remove_dir_all(&base).unwrap();
    }

    /// The guard is only "the one place" while nothing else writes: a new write must come here
    /// (the workbench writes only paths it got from the guard, through the in-flight registry,
    /// which puts them back).
    #[test]
    fn no_other_module_writes_files() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut pending = vec![src.clone()];
        let mut writers = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                if path.extension().is_none_or(|ext| ext != "rs")
                    || path.file_name().is_some_and(|name| name == "tests.rs")
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                if ["fs::write(", "File::create(", "OpenOptions::new("].iter().any(|call| code.contains(call)) {
                    writers.push(path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        writers.sort();
        assert_eq!(writers, ["testgen/inflight.rs", "workspace_path.rs"]);
    }

    #[cfg(unix)]
    #[test]
    fn is_inside_resolves_links() {
        let (base, root) = scratch("inside");
        std::os::unix::fs::symlink("/", root.join("everything")).unwrap();
        assert!(!is_inside(&root, &root.join("everything")));
        assert!(is_inside(&root, &root.join("calc.py")));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
