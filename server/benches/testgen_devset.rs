//! Test placement on real code (issue 20): the development set in `shared/testgen-devset/`
//! (30 functions in 10 open-source repositories, with each one's expected test file,
//! framework and import of the code under test, decided from the repository).
//!
//! `cargo bench -p glm-lsp --bench testgen_devset` — unpacks the archives into
//! `target/testgen-devset/` once and, for each task, does what `glm-lsp generate-tests FILE
//! --line L` does before it asks the model: finds the definition at the line (the cursor on
//! its first non-blank character) and plans the tests. It prints, per language and overall,
//! how many tasks have the right target, test file, framework and import, and how many have
//! all four (the model's answer is not part of this figure: the import counted is the one the
//! prompt prescribes). `-- --misses` lists what each wrong task got; `-- --repos flask,clap`
//! keeps the tasks of those repositories (one half of the set). The set is found at
//! `$GLM_LSP_TESTGEN_DEVSET`, else at `shared/testgen-devset` beside the checkout or one of its
//! ancestors; without it the benchmark says so and exits 0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use glm_lsp::language::{parse_str, Language};
use glm_lsp::testgen::{placement, target};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct Task {
    id: String,
    lang: String,
    archive: String,
    file: String,
    function: String,
    line: usize,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
struct Expect {
    test_file: Value,
    framework: String,
    import: Option<String>,
    #[serde(default)]
    import_alt: Vec<String>,
}

fn find_devset() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GLM_LSP_TESTGEN_DEVSET") {
        return Some(PathBuf::from(path));
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().map(|dir| dir.join("shared/testgen-devset")).find(|dir| dir.join("tasks.jsonl").is_file())
}

fn unpack(devset: &Path, archive: &str, into: &Path) -> PathBuf {
    let name = archive.trim_end_matches(".tar.gz");
    let dir = into.join(name);
    if !dir.join(".unpacked").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(devset.join("repos").join(archive))
            .arg("-C")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "cannot unpack {archive}");
        std::fs::write(dir.join(".unpacked"), "").unwrap();
    }
    dir
}

/// An import line as the scoring compares it: quote style, trailing semicolons and spacing aside.
fn normal(line: &str) -> String {
    line.replace('"', "'").replace(';', "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The devset's framework names as the server's (`cargo-test` is Rust's own harness).
fn same_framework(expected: &str, planned: &Value) -> bool {
    let squash = |name: &str| name.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
    let expected = match squash(expected).as_str() {
        "cargotest" => "rusttest".to_string(),
        other => other.to_string(),
    };
    planned.as_str().is_some_and(|planned| squash(planned) == expected)
}

#[derive(Default)]
struct Score {
    tasks: usize,
    targeted: usize,
    placed: usize,
    framework: usize,
    import: usize,
    all: usize,
}

fn main() {
    let misses = std::env::args().any(|arg| arg == "--misses");
    // `--repos flask,clap`: only the tasks of these repositories (one half of the set).
    let only: Vec<String> = std::env::args()
        .skip_while(|arg| arg != "--repos")
        .nth(1)
        .map(|list| list.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let Some(devset) = find_devset() else {
        println!("shared/testgen-devset not found (set GLM_LSP_TESTGEN_DEVSET); nothing to measure");
        return;
    };
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/testgen-devset");
    let tasks: Vec<Task> = std::fs::read_to_string(devset.join("tasks.jsonl"))
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut plan_times = Vec::new();
    for task in &tasks {
        if !only.is_empty() && !only.iter().any(|repo| task.archive.contains(repo.as_str())) {
            continue;
        }
        let root = std::path::absolute(unpack(&devset, &task.archive, &work)).unwrap();
        let path = root.join(&task.file);
        let source = std::fs::read_to_string(&path).unwrap();
        let language = Language::from_path(&path).unwrap();
        let tree = parse_str(language, &source).unwrap();
        let line_start: usize = source.split_inclusive('\n').take(task.line).map(str::len).sum();
        let line = source[line_start..].lines().next().unwrap_or_default();
        let offset = line_start + (line.len() - line.trim_start().len()).min(line.trim_end().len());
        let found = target::targets_at(language, &source, &tree, offset..offset).into_iter().next();
        let wanted = task.function.rsplit('.').next().unwrap_or(&task.function);
        let score = scores.entry(task.lang.clone()).or_default();
        score.tasks += 1;
        let Some(found) = found.filter(|found| found.name == wanted) else {
            if misses {
                println!("{}: no target `{}` at line {}", task.id, task.function, task.line + 1);
            }
            continue;
        };
        score.targeted += 1;
        let disk = match glm_lsp::workspace_path::PathGuard::new(&root, std::sync::Arc::default()) {
            Ok(guard) => placement::Disk::new(guard),
            Err(error) => {
                println!("{}: {error}", task.id);
                continue;
            }
        };
        let started = std::time::Instant::now();
        let planned = placement::plan(&disk, Some(&root), &path, &source, language, &found);
        plan_times.push(started.elapsed());
        if misses && started.elapsed() > std::time::Duration::from_millis(250) {
            println!("{}: planning took {:.1?}", task.id, started.elapsed());
        }
        let plan = match planned {
            Ok(plan) => plan,
            Err(error) => {
                if misses {
                    println!("{}: no plan: {error}", task.id);
                }
                continue;
            }
        };
        let test_file = plan.test_path.strip_prefix(&root).unwrap_or(&plan.test_path).to_string_lossy().into_owned();
        let expected_files: Vec<String> = match &task.expect.test_file {
            Value::Array(files) => files.iter().filter_map(|file| file.as_str().map(str::to_string)).collect(),
            file => file.as_str().map(str::to_string).into_iter().collect(),
        };
        let placed = expected_files.contains(&test_file);
        let framework = serde_json::to_value(plan.framework).unwrap_or(Value::Null);
        let framework_right = same_framework(&task.expect.framework, &framework);
        let planned: Vec<String> = plan
            .subject_imports
            .iter()
            .filter(|line| line.trim() != "use super::*;")
            .map(|line| normal(line))
            .collect();
        let import_right = match &task.expect.import {
            None => planned.is_empty(),
            Some(expected) => {
                let accepted: Vec<String> =
                    std::iter::once(expected).chain(&task.expect.import_alt).map(|line| normal(line)).collect();
                !planned.is_empty() && accepted.contains(&planned.join(" "))
            }
        };
        score.placed += usize::from(placed);
        score.framework += usize::from(framework_right);
        score.import += usize::from(import_right);
        score.all += usize::from(placed && framework_right && import_right);
        if misses && !(placed && framework_right && import_right) {
            println!(
                "{}: test file {test_file}{} | framework {framework}{} | import {:?}{}",
                task.id,
                if placed { "" } else { " (wrong)" },
                if framework_right { "" } else { " (wrong)" },
                plan.subject_imports,
                if import_right { "" } else { " (wrong)" },
            );
            if !placed {
                println!("    expected test file: {expected_files:?}");
            }
            if !import_right {
                println!("    expected import: {:?} or {:?}", task.expect.import, task.expect.import_alt);
            }
        }
    }
    println!("| language | tasks | targeted by line | test file | framework | import | all four |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut total = Score::default();
    for (language, score) in &scores {
        println!(
            "| {language} | {} | {} | {} | {} | {} | {} |",
            score.tasks, score.targeted, score.placed, score.framework, score.import, score.all
        );
        total.tasks += score.tasks;
        total.targeted += score.targeted;
        total.placed += score.placed;
        total.framework += score.framework;
        total.import += score.import;
        total.all += score.all;
    }
    println!(
        "| **all** | {} | {} | {} | {} | {} | {} |",
        total.tasks, total.targeted, total.placed, total.framework, total.import, total.all
    );
    plan_times.sort();
    if let (Some(median), Some(max)) = (plan_times.get(plan_times.len() / 2), plan_times.last()) {
        println!("planning one task (reads the project's test files): median {median:.1?}, max {max:.1?}");
    }
}
