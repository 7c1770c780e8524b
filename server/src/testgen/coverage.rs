//! Line coverage of the file under test, with each language's usual tool (`tests.coverage`):
//! coverage.py for pytest and unittest, `go test -coverprofile`, `cargo llvm-cov`, Jest's and
//! Vitest's own (V8) coverage, c8 for the other JavaScript runners. Pure like [`super::run`]: the command is data (the runner's own
//! command wrapped by the tool, the report printed after a marker line), the report is text.

use std::collections::BTreeSet;
use std::path::Path;

use super::framework::Framework;
use super::items::TestItem;
use super::placement::Plan;
use super::run::{self, shell_quote, CommandLine, RunOutput};

/// Printed between the runner's output and the coverage report.
const MARKER: &str = "@@glm-lsp-coverage-report@@";

/// A name no test has: selecting it loads the test file (and so the module under test) and
/// runs nothing, which is the baseline of a test file without tests.
pub const NO_TEST: &str = "glm_lsp_no_test_selected";

/// Why coverage was not measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasured {
    /// The tool is not installed: said once, and no further run is tried.
    NoTool(String),
    /// This run gave no usable report.
    NoReport(String),
}

impl Unmeasured {
    pub fn reason(&self) -> &str {
        match self {
            Unmeasured::NoTool(reason) | Unmeasured::NoReport(reason) => reason,
        }
    }
}

/// The command that runs `tests` of the test file under the framework's coverage tool;
/// `Err` says why this framework's coverage cannot be measured. `custom`: the user's
/// `tests.command` runs the tests, which the server cannot wrap.
pub fn command(plan: &Plan, tests: &[TestItem], custom: bool) -> Result<CommandLine, Unmeasured> {
    if custom {
        return Err(Unmeasured::NoTool("tests.command is set, and glm-lsp cannot measure coverage through it".into()));
    }
    let unsupported = |why: &str| Err(Unmeasured::NoTool(format!("{why} ({})", plan.framework.label())));
    match plan.framework {
        Framework::Tap => return unsupported("tap cannot run one test alone"),
        Framework::QUnit if tests.len() != 1 || super::items::is_name_template(&tests[0].name) => {
            return unsupported("qunit cannot run these tests alone")
        }
        _ => {}
    }
    let CommandLine::Program(words) = run::command(plan, tests, true, None) else {
        return unsupported("no coverage tool for this framework");
    };
    let quoted = |words: &[String]| words.iter().map(|word| shell_quote(word)).collect::<Vec<_>>().join(" ");
    // `$t` is a fresh temporary directory: the tool's data and report never land in the project.
    let (run, report, report_file) = match plan.framework {
        Framework::Pytest | Framework::Unittest => {
            // `python -m pytest …` becomes `python -m coverage run --data-file=… -m pytest …`.
            let python = shell_quote(&words[0]);
            let rest = quoted(&words[2..]);
            (
                format!("{python} -m coverage run --data-file=\"$t/data\" -m {rest}"),
                format!("{python} -m coverage lcov --data-file=\"$t/data\" -o \"$t/lcov.info\" -q >/dev/null 2>&1"),
                "lcov.info",
            )
        }
        Framework::GoTesting => {
            // `go test -count=1 …` with `-coverprofile` after `test`.
            let rest = quoted(&words[2..]);
            (format!("go test -coverprofile=\"$t/profile\" {rest}"), String::new(), "profile")
        }
        Framework::RustTest => {
            // `cargo test <selector> -- …` becomes `cargo llvm-cov --lcov --output-path … <selector> -- …`.
            let rest = quoted(&words[2..]);
            (format!("cargo llvm-cov --lcov --output-path \"$t/lcov.info\" {rest}"), String::new(), "lcov.info")
        }
        // Jest's and Vitest's own coverage: their runners load modules through their own
        // loaders, which c8 does not see (Vitest's report is empty under c8).
        Framework::Jest => (
            format!(
                "{} --coverage --coverageProvider=v8 --coverageReporters=lcovonly --coverageDirectory=\"$t\"",
                quoted(&words)
            ),
            String::new(),
            "lcov.info",
        ),
        Framework::Vitest => (
            format!(
                "{} --coverage.enabled=true --coverage.provider=v8 --coverage.reporter=lcovonly \
                 --coverage.reportsDirectory=\"$t\"",
                quoted(&words)
            ),
            String::new(),
            "lcov.info",
        ),
        Framework::Mocha | Framework::NodeTest | Framework::Ava | Framework::QUnit => (
            format!(
                "npx --no -- c8 --reporter=lcovonly --reports-dir=\"$t\" --temp-directory=\"$t/raw\" {}",
                quoted(&words)
            ),
            String::new(),
            "lcov.info",
        ),
        _ => return unsupported("no coverage tool for this framework"),
    };
    let report = if report.is_empty() { String::new() } else { format!("{report}; ") };
    Ok(CommandLine::Shell(format!(
        "t=$(mktemp -d) || exit 1; {run}; status=$?; {report}echo; echo '{MARKER}'; cat \"$t/{report_file}\" \
         2>/dev/null; rm -rf \"$t\"; exit $status"
    )))
}

/// The lines of `source` the run executed (one-based), from the report after the marker.
/// `Ok(None)`: the report does not mention the file (it was never loaded, or named otherwise).
pub fn covered_lines(
    framework: Framework,
    source: &Path,
    output: &RunOutput,
) -> Result<Option<BTreeSet<u32>>, Unmeasured> {
    let combined = output.combined(usize::MAX);
    let report = output.stdout.rsplit_once(&format!("\n{MARKER}\n")).map(|(_, report)| report.trim());
    let Some(report) = report.filter(|report| !report.is_empty()) else {
        return Err(missing_tool(framework, &combined).map(Unmeasured::NoTool).unwrap_or_else(|| {
            let why = run::first_meaningful_line(&combined).unwrap_or_else(|| "the run produced no report".into());
            Unmeasured::NoReport(format!("the coverage run gave no report: {why}"))
        }));
    };
    Ok(match framework {
        Framework::GoTesting => go_profile_lines(report, source),
        _ => lcov_lines(report, source),
    })
}

fn missing_tool(framework: Framework, combined: &str) -> Option<String> {
    let missing = match framework {
        Framework::Pytest | Framework::Unittest => combined
            .contains("No module named coverage")
            .then_some("coverage.py is not installed (pip install coverage)"),
        Framework::RustTest => (combined.contains("no such command") && combined.contains("llvm-cov"))
            .then_some("cargo llvm-cov is not installed (cargo install cargo-llvm-cov)"),
        Framework::GoTesting | Framework::Jest => None,
        Framework::Vitest => combined.contains("Cannot find dependency '@vitest/coverage-v8'").then_some(
            "@vitest/coverage-v8 is not installed in the project (npm install --save-dev @vitest/coverage-v8)",
        ),
        _ => (combined.contains("could not determine executable to run")
            || combined.contains("npx canceled due to missing packages")
            || combined.contains("missing packages and no YES option"))
        .then_some("c8 is not installed in the project (npm install --save-dev c8)"),
    };
    missing.map(str::to_string)
}

/// LCOV (`SF:path`, then `DA:line,count` records): what coverage.py, llvm-cov and c8 write.
fn lcov_lines(report: &str, source: &Path) -> Option<BTreeSet<u32>> {
    let mut found: Option<BTreeSet<u32>> = None;
    let mut in_source = false;
    for line in report.lines() {
        let line = line.trim();
        if let Some(path) = line.strip_prefix("SF:") {
            in_source = same_file(Path::new(path), source);
            if in_source {
                found.get_or_insert_with(BTreeSet::new);
            }
        } else if line == "end_of_record" {
            in_source = false;
        } else if let Some(record) = line.strip_prefix("DA:").filter(|_| in_source) {
            let mut fields = record.split(',');
            let (Some(Ok(number)), Some(Ok(count))) =
                (fields.next().map(str::parse::<u32>), fields.next().map(|count| count.trim().parse::<u64>()))
            else {
                continue;
            };
            if count > 0 {
                found.get_or_insert_with(BTreeSet::new).insert(number);
            }
        }
    }
    found
}

/// Go's profile (`example.com/calc/calc.go:3.24,5.2 1 1`: file, block start and end, statements,
/// count). `go test` profiles one package, so the file name identifies the file.
fn go_profile_lines(report: &str, source: &Path) -> Option<BTreeSet<u32>> {
    let name = source.file_name()?.to_str()?;
    let mut found: Option<BTreeSet<u32>> = None;
    for line in report.lines() {
        let Some((file, rest)) = line.trim().rsplit_once(".go:").map(|(file, rest)| (format!("{file}.go"), rest))
        else {
            continue;
        };
        if file != name && !file.ends_with(&format!("/{name}")) {
            continue;
        }
        let lines = found.get_or_insert_with(BTreeSet::new);
        let mut fields = rest.split_whitespace();
        let (Some(block), Some(_statements), Some(count)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let line_of = |position: &str| position.split('.').next().and_then(|line| line.parse::<u32>().ok());
        let Some((start, end)) = block.split_once(',').and_then(|(start, end)| Some((line_of(start)?, line_of(end)?)))
        else {
            continue;
        };
        if count.parse::<u64>().is_ok_and(|count| count > 0) {
            lines.extend(start..=end);
        }
    }
    found
}

/// A report's path names `source` when equal, when it is `source`'s tail (tools write paths
/// relative to where they ran), or when both resolve to the same file.
fn same_file(reported: &Path, source: &Path) -> bool {
    if reported == source || (reported.is_relative() && source.ends_with(reported)) {
        return true;
    }
    reported.is_absolute() && matches!((reported.canonicalize(), source.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(stdout: &str) -> RunOutput {
        RunOutput { exit_code: Some(0), stdout: stdout.into(), ..RunOutput::default() }
    }

    #[test]
    fn lcov_lines_of_the_file_under_test() {
        let report = format!(
            "1 passed\n\n{MARKER}\nSF:tests/test_calc.py\nDA:1,1\nend_of_record\nSF:calc.py\nDA:1,1\nDA:2,0\nDA:3,4\nend_of_record\n"
        );
        let lines = covered_lines(Framework::Pytest, Path::new("/w/calc.py"), &output(&report)).unwrap();
        assert_eq!(lines, Some(BTreeSet::from([1, 3])));
        let other = covered_lines(Framework::Pytest, Path::new("/w/other.py"), &output(&report)).unwrap();
        assert_eq!(other, None);
    }

    #[test]
    fn go_profile_blocks_cover_their_lines() {
        let report = format!(
            "ok\n\n{MARKER}\nmode: set\nexample.com/calc/calc.go:3.24,4.11 1 1\nexample.com/calc/calc.go:4.11,6.3 1 0\nexample.com/calc/calc.go:7.2,7.14 1 1\nexample.com/calc/other.go:1.1,9.2 1 1\n"
        );
        let lines = covered_lines(Framework::GoTesting, Path::new("/w/calc.go"), &output(&report)).unwrap();
        assert_eq!(lines, Some(BTreeSet::from([3, 4, 7])));
    }

    fn plan(framework: Framework, test_path: &str) -> Plan {
        Plan {
            framework,
            test_path: test_path.into(),
            destination: super::super::placement::Destination::File,
            ..super::super::run::tests::rust_plan()
        }
    }

    fn item(name: &str) -> TestItem {
        TestItem { name: name.into(), groups: vec![], range: 0..0, cases: false }
    }

    #[test]
    fn each_tool_wraps_the_runners_selection_of_one_test() {
        let run = |framework, path| match command(&plan(framework, path), &[item("adds")], false) {
            Ok(CommandLine::Shell(line)) => line,
            other => panic!("{other:?}"),
        };
        let go = run(Framework::GoTesting, "/w/calc_test.go");
        assert!(go.contains("; go test -coverprofile=\"$t/profile\" -count=1 -v -run '^(adds)$' .;"), "{go}");
        assert!(go.starts_with("t=$(mktemp -d) || exit 1; ") && go.ends_with("rm -rf \"$t\"; exit $status"), "{go}");
        let rust = run(Framework::RustTest, "/w/src/calc.rs");
        assert!(
            rust.contains("cargo llvm-cov --lcov --output-path \"$t/lcov.info\" --lib -- --exact calc::adds;"),
            "{rust}"
        );
        let jest = run(Framework::Jest, "/w/calc.test.js");
        assert!(jest.contains("--coverage --coverageProvider=v8 --coverageReporters=lcovonly"), "{jest}");
        let mocha = run(Framework::Mocha, "/w/test/calc.js");
        assert!(
            mocha.contains(
                "npx --no -- c8 --reporter=lcovonly --reports-dir=\"$t\" --temp-directory=\"$t/raw\" npx --no -- mocha"
            ),
            "{mocha}"
        );
        assert!(matches!(command(&plan(Framework::Tap, "/w/t.js"), &[item("a")], false), Err(Unmeasured::NoTool(_))));
        assert!(matches!(
            command(&plan(Framework::GoTesting, "/w/a_test.go"), &[item("a")], true),
            Err(Unmeasured::NoTool(_))
        ));
    }

    #[test]
    fn a_missing_tool_is_named() {
        let out = RunOutput {
            exit_code: Some(1),
            stdout: format!("\n{MARKER}\n"),
            stderr: "/usr/bin/python3: No module named coverage\n".into(),
            ..RunOutput::default()
        };
        assert_eq!(
            covered_lines(Framework::Pytest, Path::new("/w/calc.py"), &out),
            Err(Unmeasured::NoTool("coverage.py is not installed (pip install coverage)".into()))
        );
        let out = RunOutput {
            exit_code: Some(101),
            stdout: format!("\n{MARKER}\n"),
            stderr: "error: no such command: `llvm-cov`\n".into(),
            ..RunOutput::default()
        };
        assert!(matches!(
            covered_lines(Framework::RustTest, Path::new("/w/src/lib.rs"), &out),
            Err(Unmeasured::NoTool(_))
        ));
    }
}
