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
            args.push("--".into());
            // rstest and test_case name each case `test_x::case_1`, which `--exact test_x` skips.
            if !new_tests.iter().any(|item| item.cases) {
                args.push("--exact".into());
            }
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
            let mut args = words(&["npx", "--no", "--", "vitest", "run", &file, "--reporter=json"]);
            if only_new {
                args.extend(["-t".to_string(), name_pattern(new_tests)]);
            }
            args
        }
        Framework::Jest => {
            let mut args = words(&["npx", "--no", "--", "jest", "--json", "--runTestsByPath", &file]);
            if only_new {
                args.extend(["-t".to_string(), name_pattern(new_tests)]);
            }
            args
        }
        Framework::Mocha => {
            let mut args = words(&["npx", "--no", "--", "mocha", "--reporter", "json", &file]);
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
        // AVA, node-tap and QUnit's CLI all speak TAP.
        Framework::Ava => {
            let mut args = words(&["npx", "--no", "--", "ava", "--tap", &file]);
            if only_new {
                // `--match` takes titles with `*` wildcards, once per title.
                for item in new_tests {
                    args.extend(["--match".to_string(), super::items::title_glob(&item.name)]);
                }
            }
            args
        }
        Framework::Tap => words(&["npx", "--no", "--", "tap", "--reporter=tap", &file]),
        Framework::QUnit => {
            let mut args = words(&["npx", "--no", "--", "qunit", &file]);
            if only_new && new_tests.len() == 1 && !super::items::is_name_template(&new_tests[0].name) {
                args.extend(["--filter".to_string(), new_tests[0].name.clone()]);
            }
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

/// Ends each run of a [`repeated`] command: on stdout with the run's exit status, on stderr bare.
const RUN_END: &str = "@@glm-lsp-run-end";

/// `command` run `times` times in a row in one process (one write of the test file, so a
/// `cargo test` compiles once), each run's output ended by a marker [`split_repeated`] reads.
pub fn repeated(command: &CommandLine, times: u32) -> CommandLine {
    let once = match command {
        CommandLine::Program(_) => command.to_string(),
        CommandLine::Shell(line) => format!("( {line}\n)"),
    };
    let end = format!("status=$?; echo; echo '{RUN_END}' \"$status\"; echo '{RUN_END}' >&2");
    CommandLine::Shell((0..times).map(|_| format!("{once}; {end}")).collect::<Vec<_>>().join("; "))
}

/// The output of each run of a [`repeated`] command; a run whose end is missing (the whole
/// batch timed out or its output was cut) is reported timed out.
pub fn split_repeated(output: &RunOutput, times: u32) -> Vec<RunOutput> {
    let (stdout_end, stderr_end) = (format!("\n{RUN_END} "), format!("{RUN_END}\n"));
    let mut stdout_parts = output.stdout.split(stdout_end.as_str());
    let mut stderr_parts = output.stderr.split(stderr_end.as_str());
    let mut runs = Vec::new();
    let mut stdout = stdout_parts.next().unwrap_or_default().to_string();
    for _ in 0..times {
        let stderr = stderr_parts.next().unwrap_or_default().to_string();
        let Some(rest) = stdout_parts.next() else {
            runs.push(RunOutput { timed_out: true, ..RunOutput::default() });
            continue;
        };
        let (status, next) = rest.split_once('\n').unwrap_or((rest, ""));
        runs.push(RunOutput { exit_code: status.trim().parse().ok(), stdout, stderr, timed_out: false });
        stdout = next.to_string();
    }
    runs
}

/// The runners match this against a test's full name (its `describe` titles and its own,
/// joined by spaces), so the title is anchored at the end and after a space or the start; a
/// title with placeholders (`it.each`, a template string) matches every case.
fn name_pattern(tests: &[TestItem]) -> String {
    let names: Vec<String> = tests.iter().map(|item| super::items::title_pattern(&item.name)).collect();
    format!("(?:^| )({})$", names.join("|"))
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
        Framework::Vitest | Framework::Jest => {
            let statuses = jest_json_statuses(&output.stdout);
            if statuses.is_empty() {
                if let Some(message) = jest_suite_failure(&output.stdout) {
                    return Verdict::DoesNotBuild(message);
                }
            }
            statuses
        }
        Framework::Mocha => mocha_json_statuses(&output.stdout),
        Framework::NodeTest | Framework::Ava | Framework::Tap | Framework::QUnit => tap_statuses(&output.stdout),
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
    Verdict::Results(new_tests.iter().map(|item| (item.clone(), status_of(&statuses, item))).collect())
}

/// A test passes when every case the runner reports for it passes; it fails with its most
/// specific failing case (a subtest, a parameter set), named in the message.
fn status_of(statuses: &Statuses, item: &TestItem) -> Option<String> {
    let mut cases: Vec<(&String, &Option<String>)> =
        statuses.iter().filter(|(name, _)| test_matches(name, item) || case_of(name, item)).collect();
    if cases.is_empty() {
        return Some("it did not run".into());
    }
    cases.sort_by(|(a, _), (b, _)| b.len().cmp(&a.len()).then(a.cmp(b)));
    let (name, Some(message)) = cases.into_iter().find(|(_, status)| status.is_some())? else {
        return None;
    };
    Some(match case_label(name, item) {
        Some(case) => format!("{case}: {message}"),
        None => message.clone(),
    })
}

/// Whether `runner_name` is one case of `item`: pytest's `test_x[1-2]`, Go's `TestX/empty`,
/// rstest's `test_x::case_1`, or a title `it.each`/a template string filled in.
fn case_of(runner_name: &str, item: &TestItem) -> bool {
    if let Some(function) = runner_name.strip_suffix(']').and_then(|name| name.split_once('[')).map(|(f, _)| f) {
        if test_matches(function, item) {
            return true;
        }
    }
    let go_style = !runner_name.contains("::") && !runner_name.contains(' ');
    if let Some((parent, _)) = runner_name.split_once('/').filter(|_| go_style) {
        if test_matches(parent, item) {
            return true;
        }
    }
    if item.cases {
        if let Some((parent, _)) = runner_name.rsplit_once("::") {
            if test_matches(parent, item) {
                return true;
            }
        }
    }
    super::items::is_name_template(&item.name)
        && regex::Regex::new(&format!("(?:^|[ >:])(?:{})$", super::items::title_pattern(&item.name)))
            .is_ok_and(|pattern| pattern.is_match(runner_name))
        && item.groups.iter().all(|group| runner_name.contains(group.as_str()))
}

/// The case part of a runner's name for a case of `item`, for a failure message.
fn case_label(runner_name: &str, item: &TestItem) -> Option<String> {
    if test_matches(runner_name, item) {
        return None;
    }
    let last = runner_name.rsplit("::").next().unwrap_or(runner_name);
    Some(last.rsplit(" > ").next().unwrap_or(last).to_string())
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
        Framework::Ava => "ava",
        Framework::Tap => "tap",
        Framework::QUnit => "qunit",
        _ => "the test command",
    };
    if output.exit_code == Some(127) {
        return Some(format!("{runner} is not installed ({})", first_meaningful_line(combined).unwrap_or_default()));
    }
    let missing = match framework {
        Framework::Pytest => combined.contains("No module named pytest"),
        Framework::Vitest | Framework::Jest | Framework::Mocha | Framework::Ava | Framework::Tap | Framework::QUnit => {
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
        // Subtests (`TestX/case`) are indented; they are cases of their top-level test.
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

/// Why a suite failed before any test ran (a compile or import error), from the JSON report.
fn jest_suite_failure(stdout: &str) -> Option<String> {
    let report = json_object_with(stdout, "testResults")?;
    report["testResults"].as_array()?.iter().find_map(|suite| {
        let failed = suite["status"] == "failed"
            && suite["assertionResults"].as_array().is_none_or(|assertions| assertions.is_empty());
        failed.then(|| suite["message"].as_str().and_then(first_meaningful_line)).flatten()
    })
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
        // `ok 1 - title` (node, AVA, tap) or `ok 1 title` (QUnit).
        let Some(name) = rest.split_once(' ').map(|(_, name)| name.strip_prefix("- ").unwrap_or(name)) else {
            continue;
        };
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
                        .or_else(|| line.strip_prefix("message: "))
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

/// The first line worth showing of a failure message or compiler output: the first error
/// line, else the first line that is not a runner's banner.
pub fn first_meaningful_line(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| {
            let line = line.trim();
            // pytest marks the lines of an error with `E   `.
            line.strip_prefix("E ").map_or(line, str::trim)
        })
        .filter(|line| !line.is_empty() && !is_banner(line))
        .collect();
    lines
        .iter()
        .find(|line| {
            line.starts_with("error") || line.contains("Error:") || line.contains("error:") || is_exception_line(line)
        })
        .or_else(|| lines.first())
        .map(|line| {
            let line: String = line.chars().take(200).collect();
            line
        })
}

/// A runner's heading rather than what went wrong: pytest's `==== ERRORS ====` and
/// `____ ERROR collecting x ____`, Jest's `● Test suite failed to run`, Go's `# package` and
/// `FAIL pkg [build failed]`, a `Traceback` header.
fn is_banner(line: &str) -> bool {
    let decoration = |line: &str| line.starts_with("==") || line.starts_with("__") || line.starts_with("!!");
    decoration(line)
        || line.starts_with("● ")
        || line.starts_with("# ")
        || line == "FAIL"
        || line.starts_with("FAIL\t")
        || line.starts_with("Traceback")
        || line.starts_with("ImportError while importing test module")
        || line.starts_with("Hint: make sure your test modules")
        || line.starts_with("ERROR collecting")
        || line.starts_with("collected ")
        || line.starts_with("running ")
        || line.starts_with("Compiling ")
}

/// `ValueError: …`, `AssertionError`, `SyntaxError: …` at the start of a line.
fn is_exception_line(line: &str) -> bool {
    let word = line.split([':', ' ', '(']).next().unwrap_or_default();
    (word.ends_with("Error") || word.ends_with("Exception")) && word.chars().next().is_some_and(char::is_uppercase)
}

pub fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn item(groups: &[&str], name: &str) -> TestItem {
        TestItem {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            range: 0..0,
            cases: false,
        }
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

    fn with_cases(mut item: TestItem) -> TestItem {
        item.cases = true;
        item
    }

    #[test]
    fn parametrized_pytest_cases_are_their_function() {
        let out = "....F\n=== short test summary info ===\nPASSED tests/test_calc.py::test_adds[1-2-3]\nPASSED tests/test_calc.py::test_adds[0-0-0]\nPASSED tests/test_calc.py::TestCalc::test_sub[a]\nPASSED tests/test_calc.py::test_neg[-1]\nFAILED tests/test_calc.py::test_neg[-2] - assert -2 == 2\n1 failed, 4 passed in 0.01s\n";
        let tests = [
            with_cases(item(&[], "test_adds")),
            with_cases(item(&["TestCalc"], "test_sub")),
            with_cases(item(&[], "test_neg")),
            item(&[], "test_other"),
        ];
        assert_eq!(
            failures(verdict(Framework::Pytest, &output(out, 1), &tests, false)),
            [
                ("test_adds".into(), None),
                ("test_sub".into(), None),
                ("test_neg".into(), Some("test_neg[-2]: assert -2 == 2".into())),
                ("test_other".into(), Some("it did not run".into())),
            ]
        );
    }

    #[test]
    fn go_subtests_are_cases_of_their_test() {
        let out = "=== RUN   TestAdd\n=== RUN   TestAdd/positive\n=== RUN   TestAdd/zero_and_zero\n--- PASS: TestAdd (0.00s)\n    --- PASS: TestAdd/positive (0.00s)\n    --- PASS: TestAdd/zero_and_zero (0.00s)\n=== RUN   TestDiv\n=== RUN   TestDiv/by_one\n=== RUN   TestDiv/by_zero\n    div_test.go:21: Div(1, 0) = 1, want 0\n--- FAIL: TestDiv (0.00s)\n    --- PASS: TestDiv/by_one (0.00s)\n    --- FAIL: TestDiv/by_zero (0.00s)\nFAIL\nFAIL\texample.com/calc\t0.002s\nFAIL\n";
        assert_eq!(
            failures(verdict(
                Framework::GoTesting,
                &output(out, 1),
                &[item(&[], "TestAdd"), item(&[], "TestDiv")],
                false
            )),
            [
                ("TestAdd".into(), None),
                ("TestDiv".into(), Some("TestDiv/by_zero: div_test.go:21: Div(1, 0) = 1, want 0".into()))
            ]
        );
    }

    #[test]
    fn it_each_and_template_titles_are_cases_of_their_test() {
        // Jest's and Vitest's JSON reporters: one assertion per case, titled with the values.
        let out = r#"{"numFailedTests":1,"testResults":[{"status":"failed","assertionResults":[
            {"title":"adds 1 + 2","fullName":"add adds 1 + 2","status":"passed","failureMessages":[]},
            {"title":"adds 2 + 2","fullName":"add adds 2 + 2","status":"passed","failureMessages":[]},
            {"title":"case 0 is sane","fullName":"add case 0 is sane","status":"passed","failureMessages":[]},
            {"title":"rounds 1.5","fullName":"round rounds 1.5","status":"passed","failureMessages":[]},
            {"title":"rounds -1.5","fullName":"round rounds -1.5","status":"failed","failureMessages":["AssertionError: expected -1 to be -2"]}]}]}"#;
        let tests = [
            with_cases(item(&["add"], "adds %i + %i")),
            with_cases(item(&["add"], "case %# is sane")),
            with_cases(item(&["round"], "rounds $value")),
        ];
        for framework in [Framework::Jest, Framework::Vitest] {
            assert_eq!(
                failures(verdict(framework, &output(out, 1), &tests, false)),
                [
                    ("adds %i + %i".into(), None),
                    ("case %# is sane".into(), None),
                    ("rounds $value".into(), Some("round rounds -1.5: AssertionError: expected -1 to be -2".into())),
                ]
            );
        }
        // node:test over TAP, cases written as a loop over a template string.
        let out = "TAP version 13\n# Subtest: slug\n    # Subtest: slugs Hello World\n    ok 1 - slugs Hello World\n      ---\n      duration_ms: 0.5\n      ...\n    # Subtest: slugs  a  \n    ok 2 - slugs  a  \n      ---\n      duration_ms: 0.2\n      ...\n    1..2\nok 1 - slug\n  ---\n  ...\n1..1\n";
        assert_eq!(
            failures(verdict(
                Framework::NodeTest,
                &output(out, 0),
                &[with_cases(item(&["slug"], "slugs ${input}"))],
                false
            )),
            [("slugs ${input}".into(), None)]
        );
    }

    #[test]
    fn qunit_and_ava_tap() {
        // QUnit's CLI: no ` - ` after the number, the module before ` > `.
        let out = "TAP version 13\nok 1 trim > trims spaces\nnot ok 2 trim > keeps inner spaces\n  ---\n  message: \"failed\"\n  severity: failed\n  actual  : \"ab\"\n  ...\n1..2\n";
        let tests = [item(&["trim"], "trims spaces"), item(&["trim"], "keeps inner spaces")];
        assert_eq!(
            failures(verdict(Framework::QUnit, &output(out, 1), &tests, false)),
            [("trims spaces".into(), None), ("keeps inner spaces".into(), Some("failed".into()))]
        );
        let plan = Plan { framework: Framework::Ava, test_path: "/w/test/slug.js".into(), ..rust_plan() };
        let command = command(&plan, &[item(&[], "slugs %s"), item(&[], "!odd")], true, None);
        assert_eq!(command.to_string(), "npx --no -- ava --tap test/slug.js --match 'slugs *' --match '*odd'");
    }

    #[test]
    fn rstest_cases_are_their_function_and_run_without_exact() {
        let out = "running 3 tests\ntest calc::tests::adds::case_1 ... ok\ntest calc::tests::adds::case_2_zero ... ok\ntest calc::tests::plain ... ok\n";
        let tests = [with_cases(item(&["tests"], "adds")), item(&["tests"], "plain")];
        assert_eq!(
            failures(verdict(Framework::RustTest, &output(out, 0), &tests, false)),
            [("adds".into(), None), ("plain".into(), None)]
        );
        let out = "running 2 tests\ntest calc::tests::adds::case_1 ... ok\ntest calc::tests::adds::case_2 ... FAILED\n\nfailures:\n\n---- calc::tests::adds::case_2 stdout ----\n\nthread 'calc::tests::adds::case_2' panicked at src/calc.rs:30:9:\nassertion `left == right` failed\n";
        assert_eq!(
            failures(verdict(Framework::RustTest, &output(out, 101), &tests[..1], false)),
            [("adds".into(), Some("case_2: assertion `left == right` failed".into()))]
        );
        let plan = Plan { framework: Framework::RustTest, ..rust_plan() };
        assert_eq!(
            command(&plan, &tests, true, None).to_string(),
            "cargo test --lib -- calc::tests::adds calc::tests::plain"
        );
    }

    #[test]
    fn collection_errors_name_the_error_not_the_banner() {
        let pytest = "\n==================================== ERRORS ====================================\n__________________ ERROR collecting tests/test_calc.py __________________\nImportError while importing test module '/w/tests/test_calc.py'.\nHint: make sure your test modules/packages have valid Python names.\nTraceback:\n/usr/lib/python3.11/importlib/__init__.py:126: in import_module\n    return _bootstrap._gcd_import(name[level:], package)\ntests/test_calc.py:1: in <module>\n    from calc import ad\nE   ImportError: cannot import name 'ad' from 'calc' (/w/calc.py)\n=========================== short test summary info ============================\nERROR tests/test_calc.py\n!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n1 error in 0.05s\n";
        assert_eq!(
            verdict(Framework::Pytest, &output(pytest, 2), &[item(&[], "test_a")], false),
            Verdict::DoesNotBuild("ImportError: cannot import name 'ad' from 'calc' (/w/calc.py)".into())
        );
        let mismatch = "==================================== ERRORS ====================================\n_____________________ ERROR collecting tests/test_calc.py ______________________\nimport file mismatch:\nimported module 'test_calc' has this __file__ attribute:\n";
        assert_eq!(
            verdict(Framework::Pytest, &output(mismatch, 2), &[item(&[], "test_a")], false),
            Verdict::DoesNotBuild("import file mismatch:".into())
        );
        let go = "# example.com/calc [example.com/calc.test]\n./calc_test.go:5:2: undefined: Ad\nFAIL\texample.com/calc [build failed]\nFAIL\n";
        assert_eq!(
            verdict(Framework::GoTesting, &output(go, 1), &[item(&[], "TestA")], false),
            Verdict::DoesNotBuild("./calc_test.go:5:2: undefined: Ad".into())
        );
        let jest = r#"{"numFailedTests":0,"testResults":[{"status":"failed","message":"  ● Test suite failed to run\n\n    Cannot find module './calc' from 'calc.test.ts'\n","assertionResults":[]}]}"#;
        assert_eq!(
            verdict(Framework::Jest, &output(jest, 1), &[item(&[], "a")], false),
            Verdict::DoesNotBuild("Cannot find module './calc' from 'calc.test.ts'".into())
        );
    }

    #[test]
    fn title_patterns_match_full_names_and_cases() {
        let plan = Plan { framework: Framework::Jest, test_path: "/w/calc.test.ts".into(), ..rust_plan() };
        let tests = [with_cases(item(&["add"], "adds %i + %i")), item(&[], "a (b)")];
        let CommandLine::Program(words) = command(&plan, &tests, true, None) else { panic!() };
        let pattern = words.last().unwrap();
        assert_eq!(pattern, r"(?:^| )(adds .* \+ .*|a \(b\))$");
        let pattern = regex::Regex::new(pattern).unwrap();
        assert!(pattern.is_match("add adds 1 + 2") && pattern.is_match("a (b)") && !pattern.is_match("xa (b)"));
    }

    pub(in crate::testgen) fn rust_plan() -> Plan {
        Plan {
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
            precedent: None,
        }
    }

    #[test]
    fn a_repeated_command_is_split_into_its_runs() {
        let command = CommandLine::Program(vec!["python3".into(), "-m".into(), "pytest".into(), "it's".into()]);
        let CommandLine::Shell(line) = repeated(&command, 2) else { panic!() };
        assert_eq!(line.matches("python3 -m pytest 'it'\\''s'; status=$?;").count(), 2, "{line}");
        let output = RunOutput {
            exit_code: Some(0),
            stdout: "PASSED a\n\n@@glm-lsp-run-end 0\nFAILED a\n\n@@glm-lsp-run-end 1\n".into(),
            stderr: "@@glm-lsp-run-end\nwarning\n@@glm-lsp-run-end\n".into(),
            timed_out: false,
        };
        let runs = split_repeated(&output, 3);
        assert_eq!((runs[0].exit_code, runs[0].stdout.as_str(), runs[0].stderr.as_str()), (Some(0), "PASSED a\n", ""));
        assert_eq!(
            (runs[1].exit_code, runs[1].stdout.as_str(), runs[1].stderr.as_str()),
            (Some(1), "FAILED a\n", "warning\n")
        );
        assert!(runs[2].timed_out);
    }

    #[test]
    fn commands_select_the_new_tests() {
        let plan = rust_plan();
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
