//! The rim where tests really run: candidate files go on disk, the test command runs in its
//! own process group under a timeout, with the provider keys (and the user's `tests.hideEnv`)
//! out of its environment, and every file is put back as it was however the run ends:
//! success, failure, timeout, cancellation (the future dropped), a panic, or the process
//! ending (through [`super::inflight::restore_all`]).

use std::process::Stdio;

use futures::future::BoxFuture;
use tokio::io::AsyncReadExt;

use super::hidden_env::HiddenEnv;
use super::inflight;
use super::run::{CommandLine, RunOutput, TestRun};

/// Runs a candidate; the core only sees this trait, so its logic is tested with a fake.
pub trait Workbench: Send + Sync {
    fn run(&self, run: TestRun) -> BoxFuture<'static, Result<RunOutput, String>>;
}

/// The real one: the disk and a child process. Candidates are written only where `guard`
/// allows.
pub struct DiskWorkbench {
    pub guard: crate::workspace_path::PathGuard,
}

/// One run at a time: two runs writing the same file would restore each other's candidate.
static RUN_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Output beyond this is dropped while reading: a runaway test must not fill the memory.
const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

impl Workbench for DiskWorkbench {
    fn run(&self, run: TestRun) -> BoxFuture<'static, Result<RunOutput, String>> {
        let path_guard = self.guard.clone();
        Box::pin(async move {
            let _one_at_a_time = RUN_LOCK.lock().await;
            // Registered before the first write, so every exit path knows what to put back.
            let guard = inflight::begin().map_err(|stopping| stopping.to_string())?;
            for (path, content) in &run.files {
                let path = &path_guard.check_write(path).map_err(|refused| refused.to_string())?;
                guard
                    .write(path, content.as_bytes())
                    .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            }
            let mut command = match &run.command {
                CommandLine::Program(words) => {
                    let (program, args) = words.split_first().ok_or("empty test command")?;
                    let mut command = tokio::process::Command::new(program);
                    command.args(args);
                    command
                }
                CommandLine::Shell(line) => {
                    let mut command = tokio::process::Command::new("sh");
                    command.arg("-c").arg(line);
                    command
                }
            };
            let hidden = HiddenEnv::new(&run.hidden);
            command
                .current_dir(&run.cwd)
                .envs(
                    run.env
                        .iter()
                        .filter(|(key, value)| !hidden.hides(key, value.as_ref()))
                        .map(|(key, value)| (key, value)),
                )
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            for name in hidden.names_to_remove(std::env::vars_os()) {
                command.env_remove(name);
            }
            #[cfg(unix)]
            command.process_group(0);
            let mut child = command.spawn().map_err(|error| format!("cannot start `{}`: {error}", run.command))?;
            if let Some(group) = child.id() {
                if !guard.set_process_group(group) {
                    return Err(inflight::Stopping.to_string());
                }
            }
            let mut stdout = child.stdout.take().expect("piped");
            let mut stderr = child.stderr.take().expect("piped");
            let work = async {
                let (mut out, mut err) = (Vec::new(), Vec::new());
                let (_, _, status) =
                    tokio::join!(read_capped(&mut stdout, &mut out), read_capped(&mut stderr, &mut err), child.wait());
                (out, err, status)
            };
            let result = match tokio::time::timeout(run.timeout, work).await {
                Ok((out, err, status)) => {
                    // The runner is done; anything it left running in its group goes too.
                    guard.kill_group();
                    RunOutput {
                        exit_code: status.ok().and_then(|status| status.code()),
                        stdout: String::from_utf8_lossy(&out).into_owned(),
                        stderr: String::from_utf8_lossy(&err).into_owned(),
                        timed_out: false,
                    }
                }
                Err(_) => {
                    guard.kill_group();
                    RunOutput { timed_out: true, ..RunOutput::default() }
                }
            };
            drop(guard);
            Ok(result)
        })
    }
}

async fn read_capped(reader: &mut (impl AsyncReadExt + Unpin), into: &mut Vec<u8>) {
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                if into.len() < MAX_OUTPUT_BYTES {
                    into.extend_from_slice(&buffer[..read.min(MAX_OUTPUT_BYTES - into.len())]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("glm-lsp-workbench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn bench(dir: &Path) -> DiskWorkbench {
        DiskWorkbench { guard: crate::workspace_path::PathGuard::new(dir, std::sync::Arc::default()).unwrap() }
    }

    #[tokio::test]
    async fn candidates_are_not_written_through_a_link_out_of_the_workspace() {
        let dir = scratch("link");
        let outside = scratch("link-outside");
        std::fs::write(outside.join("victim.py"), "before").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.join("victim.py"), dir.join("test_link.py")).unwrap();
        let run = TestRun {
            files: vec![(dir.join("test_link.py"), "during".into())],
            command: CommandLine::Shell("true".into()),
            cwd: dir.clone(),
            env: vec![],
            hidden: Default::default(),
            timeout: Duration::from_secs(20),
        };
        let refused = bench(&dir).run(run).await.unwrap_err();
        assert!(refused.contains("outside the workspace"), "{refused}");
        assert_eq!(std::fs::read_to_string(outside.join("victim.py")).unwrap(), "before");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();
    }

    #[tokio::test]
    async fn files_are_restored_after_a_run_and_new_ones_removed() {
        let dir = scratch("restore");
        std::fs::write(dir.join("kept.txt"), "before").unwrap();
        let run = TestRun {
            files: vec![(dir.join("kept.txt"), "during".into()), (dir.join("new/deep/file.txt"), "new".into())],
            command: CommandLine::Shell("cat kept.txt new/deep/file.txt; echo oops >&2; exit 3".into()),
            cwd: dir.clone(),
            env: vec![],
            hidden: Default::default(),
            timeout: Duration::from_secs(20),
        };
        let output = bench(&dir).run(run).await.unwrap();
        assert_eq!(output.stdout, "duringnew");
        assert_eq!(output.stderr, "oops\n");
        assert_eq!(output.exit_code, Some(3));
        assert_eq!(std::fs::read_to_string(dir.join("kept.txt")).unwrap(), "before");
        assert!(!dir.join("new").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group_and_restores() {
        let dir = scratch("timeout");
        std::fs::write(dir.join("a.txt"), "before").unwrap();
        let run = TestRun {
            files: vec![(dir.join("a.txt"), "during".into())],
            // A grandchild that would write after the restore if it survived.
            command: CommandLine::Shell("(sleep 1; echo late > a.txt) & sleep 30".into()),
            cwd: dir.clone(),
            env: vec![],
            hidden: Default::default(),
            timeout: Duration::from_millis(300),
        };
        let started = std::time::Instant::now();
        let output = bench(&dir).run(run).await.unwrap();
        assert!(output.timed_out);
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "before");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_dropped_run_restores_at_once() {
        let dir = scratch("cancel");
        std::fs::write(dir.join("a.txt"), "before").unwrap();
        let run = TestRun {
            files: vec![(dir.join("a.txt"), "during".into())],
            command: CommandLine::Shell("sleep 30".into()),
            cwd: dir.clone(),
            env: vec![],
            hidden: Default::default(),
            timeout: Duration::from_secs(60),
        };
        let future = bench(&dir).run(run);
        let _ = tokio::time::timeout(Duration::from_millis(300), future).await;
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "before");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn no_key_variable_nor_a_listed_one_is_passed_to_tests() {
        let dir = scratch("env");
        for name in ["ZAI_API_KEY", "RUNAPI_KEY", "COMETAPI_KEY", "GLM_LSP_WORKBENCH_TOKEN"] {
            std::env::set_var(name, "secret-for-the-test");
        }
        std::env::set_var("GLM_LSP_WORKBENCH_VISIBLE", "shown");
        let run = TestRun {
            files: vec![],
            command: CommandLine::Shell(
                "echo \"[$ZAI_API_KEY$RUNAPI_KEY$COMETAPI_KEY$GLM_LSP_WORKBENCH_TOKEN$OURS][$GLM_LSP_WORKBENCH_VISIBLE]\""
                    .into(),
            ),
            cwd: dir.clone(),
            env: vec![("OURS".into(), "x".into())],
            hidden: super::super::hidden_env::Hidden {
                patterns: vec!["GLM_LSP_WORKBENCH_T*".into(), "OURS".into()],
                key: None,
            },
            timeout: Duration::from_secs(20),
        };
        let output = bench(&dir).run(run).await.unwrap();
        assert_eq!(output.stdout, "[][shown]\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
