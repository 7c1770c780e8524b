//! Test runs a hostile answer cannot abuse, through the built binary and the mock GLM server:
//! a model-written test cannot read any provider key (nor a variable the user hides), and a
//! run that hangs is killed with its whole process group, and the disk put back byte for
//! byte, however glm-lsp ends — Ctrl-C, SIGTERM or SIGHUP during `generate-tests --verify`, in
//! the server `shutdown`, `exit`, SIGTERM or the editor closing the pipe.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use glm_lsp_e2e::harness::{Setup, TempProject, TEST_KEY};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

const CALC_PY: &str = "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n";

/// The user's own test file; the candidate is written over it while the tests run.
const EXISTING_TESTS: &str =
    "from calc import add\n\n\n# Kept byte for byte: déjà vu\ndef test_adds():\n    assert add(1, 2) == 3\n";

fn fenced(code: &str) -> Reply {
    Reply::thinking_then("Cover the usual case.", format!("Here are the tests:\n```python\n{code}```\n"))
}

/// The existing tests plus one that starts a helper process, writes both process ids to
/// `pids` (atomically) and hangs.
fn hanging_answer(pids: &Path) -> String {
    let pids = pids.display();
    format!(
        "{EXISTING_TESTS}\n\ndef test_hangs():\n    import os, subprocess, time\n    helper = subprocess.Popen(['sleep', '300'])\n    with open('{pids}.tmp', 'w') as marker:\n        marker.write(f'{{os.getpid()}} {{helper.pid}}')\n    os.replace('{pids}.tmp', '{pids}')\n    time.sleep(300)\n"
    )
}

/// Waits until the hanging test wrote its process ids.
async fn running_test_pids(pids: &Path) -> Vec<u32> {
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(pids) {
            return text.split_whitespace().map(|pid| pid.parse().unwrap()).collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the test never started (no {})", pids.display());
}

/// A process that exited (even if not yet reaped) no longer runs.
fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

async fn assert_none_running(pids: &[u32]) {
    for _ in 0..50 {
        if !pids.iter().any(|pid| is_running(*pid)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left: Vec<&u32> = pids.iter().filter(|pid| is_running(**pid)).collect();
    panic!("test processes still running: {left:?}");
}

fn send_signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status().unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

/// A user configuration folder (`XDG_CONFIG_HOME`) holding `config_toml`.
fn user_config(marks: &TempProject, config_toml: &str) -> PathBuf {
    marks.write("config/glm-lsp/config.toml", config_toml);
    marks.path("config")
}

/// Starts `glm-lsp generate-tests ARGS` in `project` as a user would in a terminal.
fn spawn_cli(
    project: &TempProject,
    mock: &MockGlm,
    config_home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(glm_lsp_e2e::lsp_client::server_binary());
    command
        .arg("generate-tests")
        .args(args)
        .current_dir(&project.dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", config_home)
        .env("GLM_BASE_URL", mock.base_url())
        .env("GLM_API_KEY", TEST_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

async fn finish(child: tokio::process::Child) -> std::process::Output {
    tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("glm-lsp ended after the signal")
        .unwrap()
}

/// Sends `signal` to `generate-tests --verify` while the model's test hangs in a file that
/// already had tests; glm-lsp must exit with `code` and leave the project as it was.
async fn signal_during_cli_verify(name: &str, signal: &str, code: i32) {
    let marks = TempProject::new(&format!("{name}-marks"), &[]);
    let project = TempProject::new(name, &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let mock = MockGlm::start().await;
    mock.add_rule("Task: write unit tests", fenced(&hanging_answer(&marks.path("pids"))));
    let config_home = user_config(&marks, "");
    let child = spawn_cli(&project, &mock, &config_home, &["calc.py", "--function", "add", "--verify"], &[]);
    let pids = running_test_pids(&marks.path("pids")).await;
    assert!(project.read("test_calc.py").unwrap().contains("def test_hangs"), "the candidate is on disk meanwhile");
    send_signal(child.id().unwrap(), signal);
    let output = finish(child).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("restored"), "{stderr}");
    assert_eq!(std::fs::read(project.path("test_calc.py")).unwrap(), EXISTING_TESTS.as_bytes());
    assert_eq!(std::fs::read(project.path("calc.py")).unwrap(), CALC_PY.as_bytes());
    assert_eq!(project.files(), ["calc.py", "test_calc.py"]);
    assert_none_running(&pids).await;
}

#[tokio::test]
async fn ctrl_c_during_cli_verify_restores_the_test_file_and_kills_the_tests() {
    signal_during_cli_verify("runs-int", "INT", 130).await;
}

#[tokio::test]
async fn a_closed_terminal_during_cli_verify_restores_the_test_file_and_kills_the_tests() {
    signal_during_cli_verify("runs-hup", "HUP", 129).await;
}

#[tokio::test]
async fn sigterm_during_cli_verify_with_the_users_test_command_removes_the_new_file_and_kills_it() {
    let marks = TempProject::new("runs-term-marks", &[]);
    let project = TempProject::new("runs-term", &[("calc.py", CALC_PY)]);
    let mock = MockGlm::start().await;
    mock.add_rule(
        "Task: write unit tests",
        fenced("from calc import div\n\n\ndef test_divides():\n    assert div(6, 3) == 2\n"),
    );
    // The user's own `tests.command` hangs, with a background child of its own.
    let pids = marks.path("pids");
    let command = format!("sleep 300 & echo \"$$ $!\" > {0}.tmp && mv {0}.tmp {0}; wait", pids.display());
    let config_home = user_config(&marks, &format!("[tests]\ncommand = '{command}'\n"));
    let child = spawn_cli(&project, &mock, &config_home, &["calc.py", "--function", "div", "--verify"], &[]);
    let pids = running_test_pids(&pids).await;
    assert!(project.read("test_calc.py").is_some(), "the candidate is on disk meanwhile");
    send_signal(child.id().unwrap(), "TERM");
    let output = finish(child).await;
    assert_eq!(output.status.code(), Some(143), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(project.files(), ["calc.py"], "the created test file is gone");
    assert_eq!(std::fs::read(project.path("calc.py")).unwrap(), CALC_PY.as_bytes());
    assert_none_running(&pids).await;
}

#[tokio::test]
async fn a_model_written_test_reads_no_provider_key_nor_a_hidden_variable() {
    let marks = TempProject::new("runs-env-marks", &[]);
    let project = TempProject::new("runs-env", &[("calc.py", CALC_PY)]);
    let mock = MockGlm::start().await;
    let dump = marks.path("environment.json");
    let answer = format!(
        "import json\nimport os\n\nfrom calc import add\n\n\ndef test_adds():\n    with open('{}', 'w') as out:\n        json.dump(dict(os.environ), out)\n    assert add(1, 2) == 3\n",
        dump.display()
    );
    mock.add_rule("Task: write unit tests", fenced(&answer));
    let config_home = user_config(&marks, "[tests]\nhideEnv = [\"MY_*_TOKEN\"]\n");
    let secrets = [
        ("RUNAPI_KEY", "runapi-secret-11"),
        ("COMETAPI_KEY", "cometapi-secret-22"),
        ("ZHIPUAI_API_KEY", "zhipu-secret-33"),
        ("ZAI_API_KEY", "zai-secret-44"),
        ("MY_CI_TOKEN", "ci-secret-55"),
    ];
    let mut env = secrets.to_vec();
    env.push(("GLM_LSP_E2E_VISIBLE", "shown"));
    // The key in use, also under a name no preset knows (as an editor's own variable).
    env.push(("SOME_GATEWAY_TOKEN", TEST_KEY));
    let child = spawn_cli(&project, &mock, &config_home, &["calc.py", "--function", "add", "--verify", "--json"], &env);
    let output = finish(child).await;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["tests"][0]["status"], "passed", "{report}");
    let seen = std::fs::read_to_string(&dump).expect("the test ran and wrote its environment");
    let seen: serde_json::Map<String, Value> = serde_json::from_str(&seen).unwrap();
    assert_eq!(seen.get("GLM_LSP_E2E_VISIBLE"), Some(&json!("shown")), "the dump holds the environment");
    for (name, value) in secrets.iter().chain([&("GLM_API_KEY", TEST_KEY), &("SOME_GATEWAY_TOKEN", TEST_KEY)]) {
        assert!(!seen.contains_key(*name), "{name} reached the test");
        assert!(!seen.values().any(|seen| seen.as_str().is_some_and(|seen| seen.contains(value))), "{name}'s value");
    }
}

/// An editor with verification on, running "Generate tests" on `add` whose answer hangs;
/// returns once the test runs, with its process ids.
async fn editor_running_a_hanging_test(project: &TempProject, marks: &TempProject) -> (Setup, Vec<u32>) {
    let options = ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: json!({ "tests": { "verify": true } }),
        ..ClientOptions::default()
    };
    let mut setup = Setup::with_options(options).await;
    setup.mock.add_rule("Task: write unit tests", fenced(&hanging_answer(&marks.path("pids"))));
    let uri = project.uri("calc.py");
    setup.client.open(&uri, "python", CALC_PY).await.unwrap();
    let position = setup.client.position_after(&uri, "return a +");
    let started = setup
        .client
        .request(
            "workspace/executeCommand",
            json!({ "command": "glm-lsp.generateTests", "arguments": [{ "textDocument": { "uri": uri }, "position": position }] }),
        )
        .await
        .unwrap();
    assert!(started.is_null());
    // The editor answers the server meanwhile (the job's progress is created first).
    for _ in 0..600 {
        if marks.path("pids").exists() {
            break;
        }
        setup.client.idle(Duration::from_millis(100)).await;
    }
    let pids = running_test_pids(&marks.path("pids")).await;
    assert!(project.read("test_calc.py").unwrap().contains("def test_hangs"), "the candidate is on disk meanwhile");
    (setup, pids)
}

fn assert_restored(project: &TempProject) {
    assert_eq!(std::fs::read(project.path("test_calc.py")).unwrap(), EXISTING_TESTS.as_bytes());
    assert_eq!(std::fs::read(project.path("calc.py")).unwrap(), CALC_PY.as_bytes());
    assert_eq!(project.files(), ["calc.py", "test_calc.py"]);
}

#[tokio::test]
async fn an_editor_that_closes_the_pipe_mid_run_leaves_the_disk_as_it_was() {
    let marks = TempProject::new("runs-eof-marks", &[]);
    let project = TempProject::new("runs-eof", &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let (setup, pids) = editor_running_a_hanging_test(&project, &marks).await;
    let code = setup.client.disconnect(Duration::from_secs(30)).await;
    assert!(code.is_some(), "the server ended when its input closed");
    assert_restored(&project);
    assert_none_running(&pids).await;
}

#[tokio::test]
async fn shutdown_mid_run_restores_before_answering_and_exit_ends_the_server() {
    let marks = TempProject::new("runs-shutdown-marks", &[]);
    let project = TempProject::new("runs-shutdown", &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let (mut setup, pids) = editor_running_a_hanging_test(&project, &marks).await;
    setup.client.request("shutdown", Value::Null).await.unwrap();
    assert_restored(&project);
    assert_none_running(&pids).await;
    setup.client.notify("exit", Value::Null).await.unwrap();
    let status = setup.client.wait_exit(Duration::from_secs(30)).await.expect("the server exits after `exit`");
    assert_eq!(status.code(), Some(0));
    assert_restored(&project);
}

#[tokio::test]
async fn sigterm_to_the_server_mid_run_restores_and_kills_the_tests() {
    let marks = TempProject::new("runs-server-term-marks", &[]);
    let project = TempProject::new("runs-server-term", &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let (mut setup, pids) = editor_running_a_hanging_test(&project, &marks).await;
    send_signal(setup.client.pid().unwrap(), "TERM");
    let status = setup.client.wait_exit(Duration::from_secs(30)).await.expect("the server ends on SIGTERM");
    assert_eq!(status.code(), Some(143));
    assert_restored(&project);
    assert_none_running(&pids).await;
}

#[tokio::test]
async fn an_edit_made_during_the_run_is_kept_when_the_run_is_cancelled() {
    let marks = TempProject::new("runs-edited-marks", &[]);
    let project = TempProject::new("runs-edited", &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let (mut setup, pids) = editor_running_a_hanging_test(&project, &marks).await;
    // The user saves the file from elsewhere while the candidate is in it.
    let edited = format!("{}# typed while the tests ran\n", project.read("test_calc.py").unwrap());
    project.write("test_calc.py", &edited);
    let token = setup
        .client
        .take_notifications("$/progress")
        .iter()
        .find_map(|progress| {
            progress["token"].as_str().filter(|token| token.starts_with("glm-lsp/tests/")).map(String::from)
        })
        .expect("the job's progress");
    setup.client.notify("window/workDoneProgress/cancel", json!({ "token": token })).await.unwrap();
    assert_eq!(setup.action_progress_end(Duration::from_secs(60)).await, "cancelled; nothing was changed");
    assert_eq!(project.read("test_calc.py").unwrap(), edited, "the user's file is not overwritten");
    assert_none_running(&pids).await;
    setup.client.take_notifications("window/showMessage");
    setup.shutdown().await;
}

/// An editor whose `codeAction/resolve` for "Generate tests" is verifying a test that hangs;
/// returns when the test runs, with its process ids.
async fn editor_resolving_a_hanging_test(project: &TempProject, marks: &TempProject) -> (Setup, Vec<u32>) {
    let options = ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: json!({ "tests": { "verify": true, "timeoutSecs": 300 }, "actions": { "resolve": true } }),
        ..ClientOptions::default()
    };
    let mut setup = Setup::with_options(options).await;
    setup.mock.add_rule("Task: write unit tests", fenced(&hanging_answer(&marks.path("pids"))));
    let uri = project.uri("calc.py");
    setup.client.open(&uri, "python", CALC_PY).await.unwrap();
    let position = setup.client.position_after(&uri, "return a +");
    let actions = setup.code_actions(&uri, json!({ "start": position, "end": position })).await;
    let action = actions
        .iter()
        .find(|action| action["title"] == "GLM: Generate tests for `add`")
        .unwrap_or_else(|| panic!("{actions:#?}"))
        .clone();
    // The run happens inside this request, which stays unanswered.
    setup.client.send_request("codeAction/resolve", action).await.unwrap();
    for _ in 0..600 {
        if marks.path("pids").exists() {
            break;
        }
        setup.client.idle(Duration::from_millis(100)).await;
    }
    let pids = running_test_pids(&marks.path("pids")).await;
    (setup, pids)
}

#[tokio::test]
async fn an_editor_that_closes_the_pipe_while_a_resolve_request_verifies_leaves_the_disk_as_it_was() {
    let marks = TempProject::new("runs-resolve-eof-marks", &[]);
    let project = TempProject::new("runs-resolve-eof", &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let (setup, pids) = editor_resolving_a_hanging_test(&project, &marks).await;
    let code = setup.client.disconnect(Duration::from_secs(30)).await;
    assert!(code.is_some(), "the server ended when its input closed");
    assert_restored(&project);
    assert_none_running(&pids).await;
}

/// `exit` without `shutdown` while a resolve request verifies, the pipe kept open: the server
/// ends at once, and with it the run (not at the test's five-minute timeout).
#[tokio::test]
async fn exit_without_shutdown_while_a_resolve_request_verifies_restores_at_once() {
    let marks = TempProject::new("runs-resolve-exit-marks", &[]);
    let project = TempProject::new("runs-resolve-exit", &[("calc.py", CALC_PY), ("test_calc.py", EXISTING_TESTS)]);
    let (mut setup, pids) = editor_resolving_a_hanging_test(&project, &marks).await;
    setup.client.notify("exit", Value::Null).await.unwrap();
    let status = setup.client.wait_exit(Duration::from_secs(30)).await;
    assert!(status.is_some(), "the server ended after exit, long before the test's timeout");
    assert_restored(&project);
    assert_none_running(&pids).await;
}
