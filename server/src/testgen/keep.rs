//! Which passing tests are worth keeping, the filter of Meta's TestGen-LLM: a test that
//! builds and passes must pass every one of `tests.reliabilityRuns` runs (else it is flaky),
//! and with `tests.coverage` it must cover a line of the file under test that the existing
//! tests do not. Dropped tests leave the file the way failing ones do ([`super::without`]).

use std::collections::{BTreeSet, HashMap};

use super::coverage::{self, Unmeasured};
use super::items::{self, TestItem};
use super::{
    finish_with, only_new, run, test_run, without, Candidate, Coverage, Destination, Generated, Job, Stage, StageSink,
    TestReport, TestStatus, TestgenError, Workbench,
};

/// `candidate`'s tests passed once (`failed`: the tests already dropped for failing, by path
/// and reason); reruns them, measures them, and returns what is kept with a record per test.
pub(super) async fn keep(
    workbench: &dyn Workbench,
    job: &Job,
    candidate: Candidate,
    failed: Vec<(String, String)>,
    custom: Option<&str>,
    stages: &StageSink,
) -> Result<Generated, TestgenError> {
    let runs = job.settings.reliability_runs.max(1);
    let (passes, failures) = rerun(workbench, job, &candidate, custom, runs, stages).await?;
    let flaky: Vec<String> = candidate
        .new_tests
        .iter()
        .map(|item| item.path("::"))
        .filter(|path| passes.get(path).copied().unwrap_or(0) < runs)
        .collect();
    if flaky.len() == candidate.new_tests.len() {
        let first = &flaky[0];
        return Err(TestgenError::NoneKept(format!(
            "{} is flaky (passed {}/{runs} runs): {}",
            short(first),
            passes.get(first).copied().unwrap_or(0),
            failures.get(first).map(String::as_str).unwrap_or("it failed")
        )));
    }
    let reliable = without(job, &candidate, &flaky);
    let covered =
        if job.settings.coverage { Some(measure(workbench, job, &reliable, custom, stages).await?) } else { None };
    let adds_nothing: Vec<String> = reliable
        .new_tests
        .iter()
        .map(|item| item.path("::"))
        .filter(|path| matches!(covered.as_ref().and_then(|covered| covered.get(path)), Some(Coverage::Added(0))))
        .collect();
    if !adds_nothing.is_empty() && adds_nothing.len() == reliable.new_tests.len() {
        return Err(TestgenError::NoneKept(format!(
            "{} covers no line of {} the existing tests do not",
            short(&adds_nothing[0]),
            job.display_source
        )));
    }
    let kept = without(job, &reliable, &adds_nothing);

    let coverage_of = |path: &String| covered.as_ref().and_then(|covered| covered.get(path).cloned());
    let mut reports: Vec<TestReport> = kept
        .new_tests
        .iter()
        .map(|item| {
            let path = item.path("::");
            TestReport {
                name: item.name.clone(),
                status: TestStatus::Passed,
                runs: Some((runs, runs)),
                coverage: coverage_of(&path),
            }
        })
        .collect();
    reports.extend(failed.into_iter().map(|(path, reason)| TestReport {
        name: short(&path).to_string(),
        status: TestStatus::Dropped(reason),
        runs: Some((0, 1)),
        coverage: None,
    }));
    reports.extend(flaky.iter().map(|path| TestReport {
        name: short(path).to_string(),
        status: TestStatus::Flaky(failures.get(path).cloned().unwrap_or_else(|| "it failed".into())),
        runs: Some((passes.get(path).copied().unwrap_or(0), runs)),
        coverage: None,
    }));
    reports.extend(adds_nothing.iter().map(|path| TestReport {
        name: short(path).to_string(),
        status: TestStatus::NoCoverage,
        runs: Some((runs, runs)),
        coverage: Some(Coverage::Added(0)),
    }));
    Ok(finish_with(job, &kept, reports))
}

/// A test's own name from its path `group::name`.
fn short(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// Runs the candidate's tests `runs - 1` more times (the first run passed them all), in one
/// process: passes per test path, counting the first, and each test's first failure.
async fn rerun(
    workbench: &dyn Workbench,
    job: &Job,
    candidate: &Candidate,
    custom: Option<&str>,
    runs: u32,
    stages: &StageSink,
) -> Result<(HashMap<String, u32>, HashMap<String, String>), TestgenError> {
    let mut passes: HashMap<String, u32> = candidate.new_tests.iter().map(|item| (item.path("::"), 1)).collect();
    let mut failures: HashMap<String, String> = HashMap::new();
    if runs < 2 {
        return Ok((passes, failures));
    }
    let more = runs - 1;
    stages(Stage::Rerunning { more });
    let once = run::command(&job.plan, &candidate.new_tests, only_new(job), custom);
    let mut batch = test_run(job, &candidate.text, run::repeated(&once, more));
    batch.timeout = job.settings.timeout.saturating_mul(more);
    tracing::info!(command = %once, runs = more, "running the passing tests again");
    let output = workbench.run(batch).await.map_err(TestgenError::Runner)?;
    for (index, output) in run::split_repeated(&output, more).iter().enumerate() {
        let number = index as u32 + 2;
        let results: Vec<(String, Option<String>)> =
            match run::verdict(job.plan.framework, output, &candidate.new_tests, custom.is_some()) {
                run::Verdict::Results(results) => {
                    results.into_iter().map(|(item, status)| (item.path("::"), status)).collect()
                }
                // A run that no longer builds or finishes fails every test in it.
                other => {
                    let reason = match other {
                        run::Verdict::DoesNotBuild(first) => format!("it did not build: {first}"),
                        run::Verdict::TimedOut => "it timed out".to_string(),
                        run::Verdict::NoRunner(reason) => reason,
                        run::Verdict::Results(_) => unreachable!(),
                    };
                    candidate.new_tests.iter().map(|item| (item.path("::"), Some(reason.clone()))).collect()
                }
            };
        for (path, status) in results {
            match status {
                None => *passes.entry(path).or_default() += 1,
                Some(reason) => {
                    failures.entry(path).or_insert_with(|| format!("run {number}: {reason}"));
                }
            }
        }
    }
    Ok((passes, failures))
}

/// What each test of `candidate` adds to the coverage of the file under test: a baseline run
/// of the existing tests (none: the test file only loaded), then one run per new test.
async fn measure(
    workbench: &dyn Workbench,
    job: &Job,
    candidate: &Candidate,
    custom: Option<&str>,
    stages: &StageSink,
) -> Result<HashMap<String, Coverage>, TestgenError> {
    let all_unmeasured = |why: &str| {
        candidate.new_tests.iter().map(|item| (item.path("::"), Coverage::NotMeasured(why.to_string()))).collect()
    };
    stages(Stage::Measuring { tests: candidate.new_tests.len() });
    let new_paths: BTreeSet<String> = candidate.new_tests.iter().map(|item| item.path("::")).collect();
    let mut existing: Vec<TestItem> = items::find(job.language, &candidate.text)
        .into_iter()
        .filter(|item| !new_paths.contains(&item.path("::")))
        .collect();
    if existing.is_empty() {
        existing.push(TestItem { name: coverage::NO_TEST.into(), groups: Vec::new(), range: 0..0, cases: false });
    }
    let baseline = match covered_by(workbench, job, candidate, &existing, custom).await? {
        Ok(lines) => lines.unwrap_or_default(),
        Err(unmeasured) => return Ok(all_unmeasured(unmeasured.reason())),
    };
    let mut measured = HashMap::new();
    for item in &candidate.new_tests {
        let coverage = match covered_by(workbench, job, candidate, std::slice::from_ref(item), custom).await? {
            Ok(Some(lines)) => Coverage::Added(lines.difference(&baseline).count()),
            Ok(None) => Coverage::NotMeasured(format!("the coverage report does not include {}", job.display_source)),
            Err(Unmeasured::NoTool(why)) => return Ok(all_unmeasured(&why)),
            Err(Unmeasured::NoReport(why)) => Coverage::NotMeasured(why),
        };
        measured.insert(item.path("::"), coverage);
    }
    Ok(measured)
}

/// The lines of the file under test that `tests` of the candidate execute.
async fn covered_by(
    workbench: &dyn Workbench,
    job: &Job,
    candidate: &Candidate,
    tests: &[TestItem],
    custom: Option<&str>,
) -> Result<Result<Option<BTreeSet<u32>>, Unmeasured>, TestgenError> {
    let command = match coverage::command(&job.plan, tests, custom.is_some()) {
        Ok(command) => command,
        Err(unmeasured) => return Ok(Err(unmeasured)),
    };
    let run = test_run(job, &candidate.text, command);
    tracing::info!(command = %run.command, "measuring coverage");
    let output = workbench.run(run).await.map_err(TestgenError::Runner)?;
    if output.timed_out {
        return Ok(Err(Unmeasured::NoReport("the coverage run timed out".into())));
    }
    let lines = coverage::covered_lines(job.plan.framework, &job.source_path, &output);
    // A test module inside the file under test (Rust) covers its own lines: only the code counts.
    Ok(lines.map(|lines| lines.map(|lines| lines.into_iter().filter(|line| is_code_line(job, *line)).collect())))
}

/// Whether line `number` (one-based) of the file under test, as the run saw it, is the code
/// rather than the candidate's test module.
fn is_code_line(job: &Job, number: u32) -> bool {
    let module_start = match &job.plan.destination {
        Destination::File => return true,
        Destination::InlineModule { existing: Some(range) } => job.source[..range.start].lines().count(),
        Destination::InlineModule { existing: None } => job.source.lines().count() + 1,
    };
    (number as usize) <= module_start
}
