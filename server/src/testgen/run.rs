//! How each framework runs just some tests, and what its output says about each of them.
//! Pure: commands are data, output is text; [`super::workbench`] does the running.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::framework::Framework;
use super::items::TestItem;
use super::placement::{relative_path, Plan};

/// A command to run: a program with arguments, or (for the user's own `tests.command`) a
/// shell line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Program(Vec<String>),
    Shell(String),
}

impl std::fmt::Display for CommandLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandLine::Program(words) => {
                write!(f, "{}", words.iter().map(|word| shell_quote(word)).collect::<Vec<_>>().join(" "))
            }
            CommandLine::Shell(line) => write!(f, "{line}"),
        }
    }
}

/// Files to put on disk for the run, the command and where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    pub files: Vec<(PathBuf, String)>,
    pub command: CommandLine,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    /// What the run must not see beside the key variables, which are always hidden.
    pub hidden: super::hidden_env::Hidden,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutput {
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl RunOutput {
    /// Both streams, for the model and the user, cut to what is worth reading.
    pub fn combined(&self, max_chars: usize) -> String {
        let mut text = self.stdout.trim_end().to_string();
        if !self.stderr.trim().is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(self.stderr.trim_end());
        }
        if text.chars().count() <= max_chars {
            return text;
        }
        // Keep the start (compile errors) and the end (summaries).
        let head: String = text.chars().take(max_chars / 2).collect();
        let tail: Vec<char> = text.chars().rev().take(max_chars / 2).collect();
        format!("{head}\n[... output cut ...]\n{}", tail.into_iter().rev().collect::<String>())
    }
}

/// What a run said about the new tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Per new test (by path `a::b::name`): `None` passed, `Some(first line)` failed.
    Results(Vec<(TestItem, Option<String>)>),
    /// Nothing ran: the candidate does not compile, or the runner could not collect it.
    DoesNotBuild(String),
    /// The test runner is not installed (the reason names it).
    NoRunner(String),
    TimedOut,
}

/// The command that runs `new_tests` of the test file. `only_new`: the file has other tests,
/// so select by name. `custom`: the user's `tests.command` with `{file}` and `{names}`.
pub fn command(plan: &Plan, new_tests: &[TestItem], only_new: bool, custom: Option<&str>) -> CommandLine {
    let file = relative_path(&plan.run_dir, &plan.test_path);
    let file = file.strip_prefix("./").unwrap_or(&file).to_string();
    if let Some(custom) = custom {
        let names: Vec<String> = new_tests.iter().map(|item| shell_quote(&item.name)).collect();
        return CommandLine::Shell(custom.replace("{file}", &shell_quote(&file)).replace("{names}", &names.join(" ")));
    }
    let words = |words: &[&str]| words.iter().map(|word| word.to_string()).collect::<Vec<String>>();
    let mut args = match plan.framework {
        Framework::RustTest => {
            let mut args = words(&["cargo", "test"]);
            args.extend(plan.cargo_selector.iter().cloned());
            args.extend(words(&["--", "--exact"]));
            for item in new_tests {
                let mut path = plan.module_path.clone();
                path.extend(item.groups.iter().cloned());
                path.push(item.name.clone());
                args.push(path.join("::"));
            }
            return CommandLine::Program(args);
        }
        Framework::Pytest => {
            let mut args = words(&["python", "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-q", "--color=no"]);
            if only_new {
                args.extend(new_tests.iter().map(|item| format!("{file}::{}", item.path("::"))));
            } else {
                args.push(file);
            }
            args
        }
        Framework::Unittest => {
            let module = file.trim_end_matches(".py").replace('/', ".");
            let mut args = words(&["python", "-m", "unittest", "-v"]);
            if only_new {
                args.extend(new_tests.iter().map(|item| format!("{module}.{}", item.path("."))));
            } else {
                args.push(module);
            }
            args
        }
        Framework::GoTesting => {
            let names: Vec<String> = new_tests.iter().map(|item| regex::escape(&item.name)).collect();
            words(&["go", "test", "-count=1", "-v", "-run"])
                .into_iter()
                .chain([format!("^({})$", names.join("|")), ".".into()])
                .collect()
        }
        Framework::Vitest => {
            let mut args = words(&["npx", "--no", "vitest", "run", &file, "--reporter=json"]);
            if only_new {
                args.extend(["-t".to_string(), name_pattern(new_tests)]);
            }
            args
        }
        Framework::Jest => {
            let mut args = words(&["npx", "--no", "jest", "--json", "--runTestsByPath", &file]);
            if only_new {
                args.extend(["-t".to_string(), name_pattern(new_tests)]);
            }
            args
        }
        Framework::Mocha => {
            let mut args = words(&["npx", "--no", "mocha", "--reporter", "json", &file]);
            if only_new {
                args.extend(["--grep".to_string(), name_pattern(new_tests)]);
            }
            args
        }
        Framework::NodeTest => {
            let mut args = words(&["node", "--test", "--test-reporter=tap"]);
            if only_new {
                args.push(format!("--test-name-pattern={}", name_pattern(new_tests)));
            }
            args.push(file);
            args
        }
        // No standard runner: verification needs the user's `tests.command`.
        Framework::JUnit5 | Framework::JUnit4 | Framework::GoogleTest | Framework::PlainAssert => {
            return CommandLine::Shell(String::new())
        }
    };
    if matches!(plan.framework, Framework::Pytest | Framework::Unittest) {
        args[0] = python_program(&plan.run_dir);
    }
    CommandLine::Program(args)
}

/// The project's virtual environment's Python when it has one.
fn python_program(run_dir: &Path) -> String {
    for venv in [".venv", "venv"] {
        let python = run_dir.join(venv).join("bin").join("python");
        if python.is_file() {
            return python.to_string_lossy().into_owned();
        }
    }
    "python3".into()
}

fn name_pattern(tests: &[TestItem]) -> String {
    let names: Vec<String> = tests.iter().map(|item| regex::escape(&item.name)).collect();
    format!("^({})$", names.join("|"))
}

/// Reads the runner's output: which of `new_tests` passed, failed, or whether nothing ran.
pub fn verdict(framework: Framework, output: &RunOutput, new_tests: &[TestItem], custom: bool) -> Verdict {
    if output.timed_out {
        return Verdict::TimedOut;
    }
    let combined = output.combined(usize::MAX);
    if let Some(reason) = missing_runner(framework, output, &combined, custom) {
        return Verdict::NoRunner(reason);
    }
    let statuses = match framework {
        Framework::RustTest => cargo_statuses(&combined),
        Framework::Pytest => pytest_statuses(&combined),
        Framework::Unittest => unittest_statuses(&combined),
        Framework::GoTesting => go_statuses(&combined),
        Framework::Vitest | Framework::Jest => jest_json_statuses(&output.stdout),
        Framework::Mocha => mocha_json_statuses(&output.stdout),
        Framework::NodeTest => tap_statuses(&output.stdout),
        _ => HashMap::new(),
    };
    let passed = output.exit_code == Some(0);
    if statuses.is_empty() {
        if passed {
            return Verdict::Results(new_tests.iter().map(|item| (item.clone(), None)).collect());
        }
        if custom {
            let first = first_meaningful_line(&combined).unwrap_or_else(|| "the test command failed".into());
            return Verdict::Results(new_tests.iter().map(|item| (item.clone(), Some(first.clone()))).collect());
        }
        return Verdict::DoesNotBuild(
            first_meaningful_line(&combined)
                .unwrap_or_else(|| format!("the test command exited with {:?}", output.exit_code)),
        );
    }
    Verdict::Results(
        new_tests
            .iter()
            .map(|item| {
                let status = statuses
                    .iter()
                    .find(|(name, _)| test_matches(name, item))
                    .map(|(_, status)| status.clone())
                    .unwrap_or_else(|| Some("it did not run".into()));
                (item.clone(), status)
            })
            .collect(),
    )
}

/// Why the runner could not even start: the shell's "not found", Python without pytest,
/// npx refusing to download a runner the project does not have.
fn missing_runner(framework: Framework, output: &RunOutput, combined: &str, custom: bool) -> Option<String> {
    let runner = match framework {
        _ if custom => "the test command",
        Framework::Pytest => "pytest",
        Framework::Vitest => "vitest",
        Framework::Jest => "jest",
        Framework::Mocha => "mocha",
        _ => "the test command",
    };
    if output.exit_code == Some(127) {
        return Some(format!("{runner} is not installed ({})", first_meaningful_line(combined).unwrap_or_default()));
    }
    let missing = match framework {
        Framework::Pytest => combined.contains("No module named pytest"),
        Framework::Vitest | Framework::Jest | Framework::Mocha => {
            combined.contains("could not determine executable to run")
                || combined.contains("npx canceled due to missing packages")
                || combined.contains("missing packages and no YES option")
        }
        _ => false,
    };
    missing.then(|| format!("{runner} is not installed in the project; install it to verify tests"))
}

/// A runner's name for a test (`calc::tests::adds`, `tests/test_calc.py::TestX::test_a`,
/// `TestAdd`, `add > adds`) refers to `item` when its last part is the name and the groups match.
fn test_matches(runner_name: &str, item: &TestItem) -> bool {
    let path = item.path("::");
    runner_name == item.name
        || runner_name.ends_with(&format!("::{path}"))
        || runner_name == path
        || runner_name.ends_with(&format!(".{}", item.path(".")))
        || runner_name.ends_with(&format!(" {}", item.name))
            && item.groups.iter().all(|group| runner_name.contains(group.as_str()))
}

type Statuses = HashMap<String, Option<String>>;

fn cargo_statuses(output: &str) -> Statuses {
    let mut statuses = Statuses::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix("test ") else { continue };
        if let Some(name) = rest.strip_suffix(" ... ok") {
            statuses.insert(name.to_string(), None);
        } else if let Some(name) = rest.strip_suffix(" ... FAILED") {
            statuses.insert(name.to_string(), Some(cargo_failure(output, name)));
        }
    }
    statuses
}

/// The panic message of a failed cargo test: the line after `panicked at`.
fn cargo_failure(output: &str, name: &str) -> String {
    let header = format!("---- {name} stdout ----");
    let Some(start) = output.find(&header) else {
        return "failed".into();
    };
    output[start + header.len()..]
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("thread '") && !line.starts_with("note:"))
        .unwrap_or("failed")
        .to_string()
}

fn pytest_statuses(output: &str) -> Statuses {
    let mut statuses = Statuses::new();
    for line in output.lines() {
        if let Some(id) = line.strip_prefix("PASSED ") {
            statuses.insert(id.trim().to_string(), None);
        } else if let Some(rest) = line.strip_prefix("FAILED ").or_else(|| line.strip_prefix("ERROR ")) {
            let (id, message) = rest.split_once(" - ").unwrap_or((rest, "failed"));
            if !id.contains("::") {
                continue; // a collection error, not a test
            }
            statuses.insert(id.trim().to_string(), Some(message.trim().to_string()));
        }
    }
    statuses
}

fn unittest_statuses(output: &str) -> Statuses {
    // `test_a (tests.test_calc.TestCalc.test_a) ... ok` (3.11) or `(tests.test_calc.TestCalc)`.
    let pattern = regex::Regex::new(r"^(\w+) \(([\w.]+)\)(?: \.\.\.|\n)").unwrap();
    let mut statuses = Statuses::new();
    for line in output.lines() {
        let Some(captures) = pattern.captures(line) else { continue };
        let name = &captures[1];
        let id = if captures[2].ends_with(name) { captures[2].to_string() } else { format!("{}.{name}", &captures[2]) };
        if line.trim_end().ends_with("... ok") {
            statuses.insert(id, None);
        } else if line.contains("... FAIL") || line.contains("... ERROR") {
            let message = unittest_failure(output, name).unwrap_or_else(|| "failed".into());
            statuses.insert(id, Some(message));
        }
    }
    statuses
}

fn unittest_failure(output: &str, name: &str) -> Option<String> {
    let start = output.find(&format!("FAIL: {name} ")).or_else(|| output.find(&format!("ERROR: {name} ")))?;
    let block = &output[start..];
    let traceback_end = block.find("\n\n").unwrap_or(block.len());
    block[..block.len().min(traceback_end + 400)]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.contains("Error") || line.contains("assert"))
        .map(str::to_string)
}

fn go_statuses(output: &str) -> Statuses {
    let mut statuses = Statuses::new();
    let lines: Vec<&str> = output.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if line.starts_with("    ") {
            continue; // subtests: the top-level result decides
        }
        if let Some(rest) = trimmed.strip_prefix("--- PASS: ") {
            statuses.insert(rest.split_whitespace().next().unwrap_or_default().to_string(), None);
        } else if let Some(rest) = trimmed.strip_prefix("--- FAIL: ") {
            let name = rest.split_whitespace().next().unwrap_or_default().to_string();
            // The first log line of the test, or of its first failing subtest.
            let message = lines[index + 1..]
                .iter()
                .map(|line| line.trim())
                .find(|line| line.contains(".go:"))
                .map(|line| line.to_string())
                .or_else(|| {
                    lines[..index]
                        .iter()
                        .rev()
                        .map(|line| line.trim())
                        .find(|line| line.contains("_test.go:"))
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "failed".into());
            statuses.insert(name, Some(message));
        }
    }
    statuses
}

/// Jest's `--json` and Vitest's JSON reporter share a shape.
fn jest_json_statuses(stdout: &str) -> Statuses {
    let mut statuses = Statuses::new();
    let Some(report) = json_object_with(stdout, "testResults") else {
        return statuses;
    };
    let mut suite_failed = false;
    for suite in report["testResults"].as_array().into_iter().flatten() {
        let assertions = suite["assertionResults"].as_array().cloned().unwrap_or_default();
        if assertions.is_empty() && suite["status"] == "failed" {
            suite_failed = true;
        }
        for assertion in assertions {
            let name = assertion["fullName"].as_str().or(assertion["title"].as_str()).unwrap_or_default().to_string();
            let status = match assertion["status"].as_str() {
                Some("passed") => None,
                Some("failed") => Some(
                    assertion["failureMessages"][0]
                        .as_str()
                        .and_then(first_meaningful_line)
                        .unwrap_or_else(|| "failed".into()),
                ),
                _ => continue, // skipped or todo: not run
            };
            statuses.insert(name, status);
        }
    }
    if suite_failed && statuses.is_empty() {
        return Statuses::new();
    }
    statuses
}

fn mocha_json_statuses(stdout: &str) -> Statuses {
    let mut statuses = Statuses::new();
    let Some(report) = json_object_with(stdout, "stats") else {
        return statuses;
    };
    for test in report["passes"].as_array().into_iter().flatten() {
        statuses.insert(test["fullTitle"].as_str().unwrap_or_default().to_string(), None);
    }
    for test in report["failures"].as_array().into_iter().flatten() {
        let message =
            test["err"]["message"].as_str().and_then(first_meaningful_line).unwrap_or_else(|| "failed".into());
        statuses.insert(test["fullTitle"].as_str().unwrap_or_default().to_string(), Some(message));
    }
    statuses
}

/// Node's TAP: `ok 1 - name`, `not ok 2 - name` followed by a YAML block with the error.
fn tap_statuses(stdout: &str) -> Statuses {
    let mut statuses = Statuses::new();
    let lines: Vec<&str> = stdout.lines().collect();
    let mut groups: Vec<(usize, String)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("# Subtest: ") {
            groups.retain(|(level, _)| *level < indent);
            groups.push((indent, name.to_string()));
            continue;
        }
        let (failed, rest) = if let Some(rest) = trimmed.strip_prefix("not ok ") {
            (true, rest)
        } else if let Some(rest) = trimmed.strip_prefix("ok ") {
            (false, rest)
        } else {
            continue;
        };
        let Some((_, name)) = rest.split_once(" - ") else { continue };
        let name = name.split(" # ").next().unwrap_or(name).trim().to_string();
        // A group's own result line closes it; it has nested results, a test has none.
        let is_group =
            lines[..index].iter().rev().take_while(|line| !line.trim_start().starts_with("# Subtest: ")).any(|line| {
                let inner = line.len() - line.trim_start().len();
                inner > indent && (line.trim_start().starts_with("ok ") || line.trim_start().starts_with("not ok "))
            });
        groups.retain(|(level, _)| *level < indent);
        if is_group || name.ends_with(".js") || name.ends_with(".ts") || name.ends_with(".mjs") {
            continue;
        }
        let message = failed.then(|| {
            lines[index + 1..]
                .iter()
                .take_while(|line| {
                    !line.trim_start().starts_with("...")
                        && !line.trim_start().starts_with("ok ")
                        && !line.trim_start().starts_with("not ok ")
                })
                .map(|line| line.trim())
                .find_map(|line| {
                    line.strip_prefix("error: ")
                        .map(|error| error.trim_matches(['\'', '"', '|', '-', ' ']).to_string())
                        .filter(|error| !error.is_empty())
                })
                .or_else(|| {
                    lines[index + 1..]
                        .iter()
                        .map(|line| line.trim())
                        .skip_while(|line| !line.starts_with("error:"))
                        .nth(1)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "failed".into())
        });
        let mut full: Vec<String> = groups.iter().map(|(_, group)| group.clone()).collect();
        full.push(name.clone());
        statuses.insert(full.join(" "), message);
    }
    statuses
}

/// The first JSON object in `text` that has `key` (runners print other lines around it).
fn json_object_with(text: &str, key: &str) -> Option<serde_json::Value> {
    let mut search = 0;
    while let Some(offset) = text[search..].find('{') {
        let start = search + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(value)) = stream.next() {
            if value.get(key).is_some() {
                return Some(value);
            }
        }
        search = start + 1;
    }
    None
}

/// The first line worth showing of a failure message or compiler output.
pub fn first_meaningful_line(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    lines
        .iter()
        .find(|line| line.starts_with("error") || line.contains("Error:") || line.contains("error:"))
        .or_else(|| lines.first())
        .map(|line| {
            let line: String = line.chars().take(200).collect();
            line
        })
}

pub fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(groups: &[&str], name: &str) -> TestItem {
        TestItem { name: name.into(), groups: groups.iter().map(|g| g.to_string()).collect(), range: 0..0 }
    }

    fn output(stdout: &str, code: i32) -> RunOutput {
        RunOutput { exit_code: Some(code), stdout: stdout.into(), ..RunOutput::default() }
    }

    fn failures(verdict: Verdict) -> Vec<(String, Option<String>)> {
        match verdict {
            Verdict::Results(results) => results.into_iter().map(|(item, status)| (item.name, status)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cargo_output() {
        let out = "running 2 tests\ntest calc::tests::adds ... ok\ntest calc::tests::empty ... FAILED\n\nfailures:\n\n---- calc::tests::empty stdout ----\n\nthread 'calc::tests::empty' panicked at src/calc.rs:20:9:\nassertion `left == right` failed\n  left: 1\n right: 0\nnote: run with `RUST_BACKTRACE=1`\n";
        let result = verdict(
            Framework::RustTest,
            &output(out, 101),
            &[item(&["tests"], "adds"), item(&["tests"], "empty")],
            false,
        );
        assert_eq!(
            failures(result),
            [("adds".into(), None), ("empty".into(), Some("assertion `left == right` failed".into()))]
        );
        let compile = "error[E0425]: cannot find function `ad` in this scope\n --> src/calc.rs:12:9\n";
        assert_eq!(
            verdict(
                Framework::RustTest,
                &RunOutput { exit_code: Some(101), stderr: compile.into(), ..Default::default() },
                &[item(&[], "a")],
                false
            ),
            Verdict::DoesNotBuild("error[E0425]: cannot find function `ad` in this scope".into())
        );
    }

    #[test]
    fn pytest_output() {
        let out = "..F\n=== short test summary info ===\nPASSED tests/test_calc.py::test_adds\nPASSED tests/test_calc.py::TestCalc::test_sub\nFAILED tests/test_calc.py::test_empty - assert 1 == 0\n1 failed, 2 passed in 0.01s\n";
        let tests = [item(&[], "test_adds"), item(&["TestCalc"], "test_sub"), item(&[], "test_empty")];
        assert_eq!(
            failures(verdict(Framework::Pytest, &output(out, 1), &tests, false)),
            [
                ("test_adds".into(), None),
                ("test_sub".into(), None),
                ("test_empty".into(), Some("assert 1 == 0".into()))
            ]
        );
        let collect = "ERROR tests/test_calc.py - ImportError: cannot import name 'ad'\n";
        assert!(matches!(verdict(Framework::Pytest, &output(collect, 2), &tests, false), Verdict::DoesNotBuild(_)));
    }

    #[test]
    fn a_missing_runner_is_not_a_failing_test() {
        let out = RunOutput {
            exit_code: Some(1),
            stderr: "/usr/bin/python3: No module named pytest\n".into(),
            ..Default::default()
        };
        assert!(
            matches!(verdict(Framework::Pytest, &out, &[item(&[], "test_a")], false), Verdict::NoRunner(reason) if reason.starts_with("pytest is not installed"))
        );
        let out = RunOutput {
            exit_code: Some(1),
            stderr: "npm ERR! could not determine executable to run\n".into(),
            ..Default::default()
        };
        assert!(matches!(verdict(Framework::Vitest, &out, &[item(&[], "a")], false), Verdict::NoRunner(_)));
    }

    #[test]
    fn go_output() {
        let out = "=== RUN   TestAdd\n--- PASS: TestAdd (0.00s)\n=== RUN   TestDiv\n    div_test.go:12: Div(1, 0) = 1, want 0\n--- FAIL: TestDiv (0.00s)\nFAIL\n";
        assert_eq!(
            failures(verdict(
                Framework::GoTesting,
                &output(out, 1),
                &[item(&[], "TestAdd"), item(&[], "TestDiv")],
                false
            )),
            [("TestAdd".into(), None), ("TestDiv".into(), Some("div_test.go:12: Div(1, 0) = 1, want 0".into()))]
        );
    }

    #[test]
    fn jest_and_vitest_json() {
        let out = r#"{"numFailedTests":1,"testResults":[{"status":"failed","assertionResults":[{"title":"adds","fullName":"add adds","status":"passed","failureMessages":[]},{"title":"empty","fullName":"add empty","status":"failed","failureMessages":["Error: expect(received).toBe(expected)\n\nExpected: 0"]}]}]}"#;
        assert_eq!(
            failures(verdict(
                Framework::Jest,
                &output(out, 1),
                &[item(&["add"], "adds"), item(&["add"], "empty")],
                false
            )),
            [("adds".into(), None), ("empty".into(), Some("Error: expect(received).toBe(expected)".into()))]
        );
    }

    #[test]
    fn node_tap() {
        let out = "TAP version 13\n# Subtest: slug\n    # Subtest: lowercases\n    ok 1 - lowercases\n      ---\n      duration_ms: 0.5\n      ...\n    # Subtest: trims\n    not ok 2 - trims\n      ---\n      duration_ms: 0.6\n      failureType: 'testCodeFailure'\n      error: |-\n        Expected values to be strictly equal:\n      ...\n    1..2\nnot ok 1 - slug\n  ---\n  ...\n# Subtest: top\nok 2 - top\n  ---\n  ...\n1..2\n";
        let tests = [item(&["slug"], "lowercases"), item(&["slug"], "trims"), item(&[], "top")];
        assert_eq!(
            failures(verdict(Framework::NodeTest, &output(out, 1), &tests, false)),
            [
                ("lowercases".into(), None),
                ("trims".into(), Some("Expected values to be strictly equal:".into())),
                ("top".into(), None)
            ]
        );
    }

    #[test]
    fn commands_select_the_new_tests() {
        let plan = Plan {
            language: crate::language::Language::Rust,
            framework: Framework::RustTest,
            test_path: "/w/src/calc.rs".into(),
            destination: super::super::placement::Destination::InlineModule { existing: None },
            subject_imports: vec![],
            framework_imports: vec![],
            run_dir: "/w".into(),
            import_root: None,
            cargo_selector: vec!["--lib".into()],
            module_path: vec!["calc".into()],
            notes: vec![],
            missing_runner: None,
        };
        let command = command(&plan, &[item(&["tests"], "adds")], true, None);
        assert_eq!(command.to_string(), "cargo test --lib -- --exact calc::tests::adds");
        let custom = super::command(
            &plan,
            &[item(&["tests"], "adds"), item(&[], "it's")],
            true,
            Some("make test FILE={file} NAMES='{names}'"),
        );
        assert_eq!(custom, CommandLine::Shell("make test FILE=src/calc.rs NAMES='adds 'it'\\''s''".into()));
    }
}
