//! Every verification run in flight, process-wide: the files it wrote (the bytes before and
//! the candidate's), and the process group its tests run in. A run's guard puts its files
//! back when the run ends however it ends, and [`restore_all`] does the same for every run
//! from the paths that skip destructors — a signal, the LSP `shutdown` or `exit`, the editor
//! closing the pipe — then refuses new runs. Either way the group is killed first, so nothing
//! writes after the restore, and a file is written back only while it still holds the
//! candidate: an edit the user made meanwhile stays.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The registry the real workbench uses.
static IN_FLIGHT: Registry = Registry::new();

/// Kills every run's tests and restores its files, then refuses new runs: the process is
/// about to end. Safe to call more than once, and beside the runs' own guards.
pub fn restore_all() {
    IN_FLIGHT.restore_all();
}

/// Starts a run in the process-wide registry; `Err` once [`restore_all`] was called.
pub fn begin() -> Result<RunGuard, Stopping> {
    IN_FLIGHT.begin()
}

/// The process is ending: no run may start or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopping;

impl std::fmt::Display for Stopping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "glm-lsp is stopping: the tests were not run")
    }
}

pub struct Registry {
    state: Mutex<State>,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::new()
    }
}

#[derive(Default)]
struct State {
    stopping: bool,
    next_id: u64,
    runs: Vec<Run>,
}

struct Run {
    id: u64,
    files: Vec<WrittenFile>,
    /// Folders the run created, outermost first.
    created_dirs: Vec<PathBuf>,
    process_group: Option<u32>,
}

struct WrittenFile {
    path: PathBuf,
    /// `None`: there was no file.
    original: Option<Vec<u8>>,
    candidate: Vec<u8>,
}

impl Registry {
    pub const fn new() -> Registry {
        Registry { state: Mutex::new(State { stopping: false, next_id: 0, runs: Vec::new() }) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data: every step is one push or take.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub fn begin(&'static self) -> Result<RunGuard, Stopping> {
        let mut state = self.lock();
        if state.stopping {
            return Err(Stopping);
        }
        state.next_id += 1;
        let id = state.next_id;
        state.runs.push(Run { id, files: Vec::new(), created_dirs: Vec::new(), process_group: None });
        Ok(RunGuard { registry: self, id })
    }

    pub fn restore_all(&self) {
        let runs = {
            let mut state = self.lock();
            state.stopping = true;
            std::mem::take(&mut state.runs)
        };
        for run in runs {
            restore(run);
        }
    }

    /// Writes `content` to `path` for run `id`, remembering what was there. Under the lock, so
    /// `restore_all` sees either no write or a write it knows about.
    fn write(&self, id: u64, path: &Path, content: &[u8]) -> std::io::Result<()> {
        let mut state = self.lock();
        let Some(run) = state.runs.iter_mut().find(|run| run.id == id) else {
            return Err(std::io::Error::other(Stopping.to_string()));
        };
        if !run.files.iter().any(|file| file.path == path) {
            let original = match std::fs::read(path) {
                Ok(bytes) => Some(bytes),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            };
            run.files.push(WrittenFile { path: path.to_path_buf(), original, candidate: Vec::new() });
        }
        if let Some(parent) = path.parent() {
            let mut missing = Vec::new();
            let mut dir = parent;
            while !dir.exists() {
                missing.push(dir.to_path_buf());
                match dir.parent() {
                    Some(up) => dir = up,
                    None => break,
                }
            }
            std::fs::create_dir_all(parent)?;
            run.created_dirs.extend(missing.into_iter().rev());
        }
        let file = run.files.iter_mut().find(|file| file.path == path).expect("recorded above");
        file.candidate = content.to_vec();
        std::fs::write(path, content)
    }

    /// `false` when the run was already restored (the process is stopping): the caller's
    /// group must die at once.
    fn set_process_group(&self, id: u64, group: u32) -> bool {
        let mut state = self.lock();
        match state.runs.iter_mut().find(|run| run.id == id) {
            Some(run) => {
                run.process_group = Some(group);
                true
            }
            None => false,
        }
    }

    fn kill_group(&self, id: u64) {
        let group = self.lock().runs.iter_mut().find(|run| run.id == id).and_then(|run| run.process_group.take());
        if let Some(group) = group {
            kill_process_group(group);
        }
    }

    fn finish(&self, id: u64) {
        let run = {
            let mut state = self.lock();
            let index = state.runs.iter().position(|run| run.id == id);
            index.map(|index| state.runs.remove(index))
        };
        if let Some(run) = run {
            restore(run);
        }
    }
}

/// One run's handle: writes through the registry and restores on drop.
pub struct RunGuard {
    registry: &'static Registry,
    id: u64,
}

impl RunGuard {
    pub fn write(&self, path: &Path, content: &[u8]) -> std::io::Result<()> {
        self.registry.write(self.id, path, content)
    }

    /// Records the group the tests run in; `false` (the group already killed) when the
    /// process is stopping.
    pub fn set_process_group(&self, group: u32) -> bool {
        if self.registry.set_process_group(self.id, group) {
            return true;
        }
        kill_process_group(group);
        false
    }

    /// Kills what is left of the tests' group (the runner finished, or the time is up).
    pub fn kill_group(&self) {
        self.registry.kill_group(self.id);
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        self.registry.finish(self.id);
    }
}

fn kill_process_group(group: u32) {
    #[cfg(unix)]
    // SAFETY: killpg only sends a signal; the group is the one the test runner leads.
    unsafe {
        libc::killpg(group as libc::pid_t, libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = group;
}

/// Kills the run's group, then puts back each file that still holds the candidate (newest
/// first), then removes the folders it created if they are empty.
fn restore(mut run: Run) {
    if let Some(group) = run.process_group.take() {
        kill_process_group(group);
    }
    for file in run.files.drain(..).rev() {
        match std::fs::read(&file.path) {
            Ok(now) if now == file.candidate => {}
            // Edited (or removed) since the candidate was written: the user's change stays.
            _ => {
                tracing::warn!(path = %file.path.display(), "not restored after the test run: the file changed meanwhile");
                continue;
            }
        }
        let restored = match &file.original {
            Some(bytes) => std::fs::write(&file.path, bytes),
            None => std::fs::remove_file(&file.path).or_else(|error| {
                if error.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(error)
                }
            }),
        };
        if let Err(error) = restored {
            tracing::error!(path = %file.path.display(), "could not restore the file after a test run: {error}");
        }
    }
    // Innermost first; a folder something else put files in stays.
    for dir in run.created_dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("glm-lsp-inflight-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn registry() -> &'static Registry {
        Box::leak(Box::new(Registry::new()))
    }

    #[test]
    fn restore_all_puts_back_every_run_and_then_refuses_new_ones() {
        let dir = scratch("all");
        std::fs::write(dir.join("a.py"), "before a").unwrap();
        std::fs::write(dir.join("b.py"), "before b").unwrap();
        let registry = registry();
        let first = registry.begin().unwrap();
        let second = registry.begin().unwrap();
        first.write(&dir.join("a.py"), b"candidate a").unwrap();
        second.write(&dir.join("b.py"), b"candidate b").unwrap();
        second.write(&dir.join("new/deep/test_b.py"), b"new").unwrap();
        registry.restore_all();
        assert_eq!(std::fs::read_to_string(dir.join("a.py")).unwrap(), "before a");
        assert_eq!(std::fs::read_to_string(dir.join("b.py")).unwrap(), "before b");
        assert!(!dir.join("new").exists());
        assert_eq!(registry.begin().err(), Some(Stopping));
        // A run caught between its writes cannot write again, and its guard finds nothing to do.
        assert!(first.write(&dir.join("a.py"), b"again").is_err());
        std::fs::write(dir.join("a.py"), "the user's edit").unwrap();
        drop(first);
        drop(second);
        assert_eq!(std::fs::read_to_string(dir.join("a.py")).unwrap(), "the user's edit");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_edited_during_the_run_is_left_as_the_user_made_it() {
        let dir = scratch("edited");
        std::fs::write(dir.join("calc.rs"), "fn add() {}\n").unwrap();
        let registry = registry();
        let run = registry.begin().unwrap();
        run.write(&dir.join("calc.rs"), b"fn add() {}\nmod tests {}\n").unwrap();
        run.write(&dir.join("test_new.py"), b"def test(): pass\n").unwrap();
        std::fs::write(dir.join("calc.rs"), "fn add() {}\nmod tests {}\n// typed meanwhile\n").unwrap();
        std::fs::write(dir.join("test_new.py"), "def test(): pass\n# mine now\n").unwrap();
        drop(run);
        assert_eq!(
            std::fs::read_to_string(dir.join("calc.rs")).unwrap(),
            "fn add() {}\nmod tests {}\n// typed meanwhile\n"
        );
        assert_eq!(std::fs::read_to_string(dir.join("test_new.py")).unwrap(), "def test(): pass\n# mine now\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_group_started_after_restore_all_is_killed_at_once() {
        let registry = registry();
        let run = registry.begin().unwrap();
        registry.restore_all();
        let mut child = std::process::Command::new("sleep");
        std::os::unix::process::CommandExt::process_group(&mut child, 0);
        let mut child = child.arg("30").spawn().unwrap();
        assert!(!run.set_process_group(child.id()));
        let status = child.wait().unwrap();
        assert!(!status.success());
    }
}
