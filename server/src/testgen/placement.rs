//! Where the tests go and how they import the code under test: the repository's own
//! conventions first (existing test files and folders, build files), then the language's.
//!
//! Pure: the project is seen through [`ProjectFiles`], so the rules are tested on fake
//! trees; the server and the CLI pass the disk.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::framework::{self, Framework, ModuleSystem};
use super::precedent::{self as precedent_files, Subject};
use super::target::{Target, TargetKind};
use super::tsconfig;
use crate::context::Exclude;
use crate::language::{parse_str, Language};
use crate::text::whole_word_positions;
use crate::workspace_path::{lexically_normal, PathGuard};

/// Read-only access to the project on disk.
pub trait ProjectFiles {
    fn is_file(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;
    /// The content of a file that may go into a prompt; `None` when it may not or is absent.
    fn read(&self, path: &Path) -> Option<String>;
    /// The entries of a directory (files and folders), in any order.
    fn list(&self, dir: &Path) -> Vec<PathBuf>;
    /// Why the tests may not be written to `path` (and its text not shown to the model).
    fn refuse_write(&self, path: &Path) -> Option<String>;
    /// The user's `context.exclude`, which every prompt of the job applies.
    fn exclude(&self) -> Arc<Exclude>;
}

/// The largest file read for a prompt (a test file, a manifest).
const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;

/// The real file system, seen through the workspace's [`PathGuard`]: contents come only
/// from regular files inside the root that `context.exclude` does not name.
pub struct Disk {
    guard: PathGuard,
}

impl Disk {
    pub fn new(guard: PathGuard) -> Disk {
        Disk { guard }
    }
}

impl ProjectFiles for Disk {
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn read(&self, path: &Path) -> Option<String> {
        match self.guard.read(path, MAX_READ_BYTES) {
            Ok(text) => Some(text),
            Err(crate::workspace_path::Refused::Io { .. }) => None,
            Err(refused) => {
                tracing::warn!(%refused, "not read");
                None
            }
        }
    }

    fn refuse_write(&self, path: &Path) -> Option<String> {
        self.guard.check_write(path).err().map(|refused| refused.to_string())
    }

    fn exclude(&self) -> Arc<Exclude> {
        self.guard.exclude().clone()
    }

    fn list(&self, dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir).map(|entries| entries.flatten().map(|entry| entry.path()).collect()).unwrap_or_default()
    }
}

/// Where tests for one target go, and everything the prompt and the runner need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub language: Language,
    pub framework: Framework,
    /// The file that receives the tests (for an inline Rust module: the source file itself).
    pub test_path: PathBuf,
    pub destination: Destination,
    /// The exact lines that import the code under test (empty when the tests live in the
    /// same module or package).
    pub subject_imports: Vec<String>,
    /// The framework's own import lines for a new file.
    pub framework_imports: Vec<String>,
    /// Where the test command runs.
    pub run_dir: PathBuf,
    /// Python: the folder the module's import path starts from (put on `PYTHONPATH`).
    pub import_root: Option<PathBuf>,
    /// Rust: what `cargo test` selects (`--lib`, `--test NAME`, `--bin NAME`), and the
    /// module path of the file the tests are in (tests are named `a::b::tests::name`).
    pub cargo_selector: Vec<String>,
    pub module_path: Vec<String>,
    /// Facts the model should know (for example that the function is not exported).
    pub notes: Vec<String>,
    /// Why the default runner cannot run here (a JavaScript runner not installed), so
    /// verification is skipped instead of letting `npx` look for it.
    pub missing_runner: Option<String>,
    /// The existing tests the plan follows, for the prompt and the user.
    pub precedent: Option<Precedent>,
}

/// The existing test file a plan follows, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precedent {
    /// "following tests/test_basic.py, which uses `make_response` 12 times".
    pub sentence: String,
    /// The file is the one named after the module, which names alone would have chosen.
    pub named_after_module: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A test file of its own (new or existing).
    File,
    /// Rust's `#[cfg(test)] mod tests` inside the source file: `existing` is the byte range
    /// of the module (whole lines, attributes included) when there is one.
    InlineModule { existing: Option<std::ops::Range<usize>> },
}

/// Decides where tests for `target` in `source_path` go.
pub fn plan(
    files: &dyn ProjectFiles,
    root: Option<&Path>,
    source_path: &Path,
    source: &str,
    language: Language,
    target: &Target,
) -> Result<Plan, String> {
    let dir = source_path.parent().ok_or("the file has no folder")?.to_path_buf();
    let stem = source_path.file_stem().and_then(|stem| stem.to_str()).ok_or("the file has no name")?.to_string();
    let subject = match target.kind {
        TargetKind::Method => target.owner.clone().unwrap_or_else(|| target.name.clone()),
        _ => target.name.clone(),
    };
    let mut plan = Plan {
        language,
        framework: Framework::language_default(language),
        test_path: PathBuf::new(),
        destination: Destination::File,
        subject_imports: Vec::new(),
        framework_imports: Vec::new(),
        run_dir: dir.clone(),
        import_root: None,
        cargo_selector: Vec::new(),
        module_path: Vec::new(),
        notes: Vec::new(),
        missing_runner: None,
        precedent: None,
    };
    let up = Ancestors { files, start: &dir, root };
    let subject_uses = Subject::of(language, source, target);
    match language {
        Language::Rust => {
            plan_rust(files, &up, source_path, source, &stem, &subject, target, &subject_uses, &mut plan)?
        }
        Language::Python => plan_python(files, &up, root, source_path, &dir, &stem, &subject, &subject_uses, &mut plan),
        Language::Go => {
            let named = dir.join(format!("{stem}_test.go"));
            // Go tests are in the package's folder: any of its `_test.go` files may be the one.
            let tests = precedent_files::test_files(files, std::slice::from_ref(&dir), 0, &|path| {
                path.to_string_lossy().ends_with("_test.go")
            });
            let followed =
                follow(files, root, files.is_file(&named).then_some(named.as_path()), &tests, &subject_uses, &|_| true);
            plan.test_path = match followed {
                Some((path, reason)) => {
                    plan.precedent = Some(reason);
                    path
                }
                None => named,
            };
            plan.framework_imports = plan.framework.import_lines(ModuleSystem::Esm);
            let package = source.lines().find_map(|line| line.trim().strip_prefix("package ")).unwrap_or("main");
            plan.notes.push(format!("The tests are in package `{}`, the same package as the code.", package.trim()));
            if go_uses_testify(files, &up, &dir) {
                plan.framework_imports.push("import \"github.com/stretchr/testify/assert\"".into());
                plan.notes.push(
                    "This project's tests use testify: assert with assert.Equal(t, want, got) and friends (require.* when a failure must stop the test).".into(),
                );
            }
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            plan_javascript(files, &up, source_path, source, &dir, &stem, &subject, target, &subject_uses, &mut plan)
        }
        Language::Java => plan_java(files, &up, source_path, source, &dir, &stem, &mut plan),
        Language::C | Language::Cpp => plan_c(files, &up, source_path, &dir, &stem, &mut plan),
        Language::Json | Language::Toml => return Err("tests are generated for code, not data files".into()),
    }
    Ok(plan)
}

/// Precedent over names: the existing test file that exercises the target most (see
/// [`precedent_files::exercising`]), unless the file `named` after the module exercises it
/// too, or no other file calls the target itself. The chosen file and the sentence that says
/// why; `None` when no test file exercises it (then names and conventions decide).
fn follow(
    files: &dyn ProjectFiles,
    root: Option<&Path>,
    named: Option<&Path>,
    candidates: &[PathBuf],
    subject: &Subject,
    linked: &dyn Fn(&str) -> bool,
) -> Option<(PathBuf, Precedent)> {
    let found = precedent_files::exercising(files, candidates, subject, linked);
    let display = |path: &Path| {
        root.and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path).to_string_lossy().replace('\\', "/")
    };
    // A file named after the function itself (`tests/test_utils/test_style.py` for
    // `style`) is its own, however often other files use the name.
    let squash = |name: &str| name.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    let function_named = found.iter().find(|exercise| {
        let name = exercise.path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        let base = name.split('.').next().unwrap_or_default();
        let base = base.strip_prefix("test_").or_else(|| base.strip_suffix("_test")).unwrap_or(base);
        exercise.calls > 0 && squash(base) == squash(&subject.name)
    });
    let chosen = match named {
        _ if function_named.is_some() => function_named?,
        Some(named) => match found.iter().find(|exercise| exercise.path == named) {
            Some(exercise) => exercise,
            None => found.first().filter(|best| best.calls > 0)?,
        },
        None => found.first()?,
    };
    let sentence = format!("following {}, which {}", display(&chosen.path), chosen.describe(subject));
    Some((chosen.path.clone(), Precedent { sentence, named_after_module: Some(chosen.path.as_path()) == named }))
}

/// The folders from a start folder upwards, not above the workspace root.
struct Ancestors<'a> {
    files: &'a dyn ProjectFiles,
    start: &'a Path,
    root: Option<&'a Path>,
}

impl Ancestors<'_> {
    /// The nearest folder (from the start upwards) holding one of `markers`.
    fn nearest_with(&self, markers: &[&str]) -> Option<PathBuf> {
        let mut current = Some(self.start);
        while let Some(dir) = current {
            if markers.iter().any(|marker| self.files.is_file(&dir.join(marker))) {
                return Some(dir.to_path_buf());
            }
            if Some(dir) == self.root {
                return None;
            }
            current = dir.parent();
        }
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_rust(
    files: &dyn ProjectFiles,
    up: &Ancestors,
    source_path: &Path,
    source: &str,
    stem: &str,
    subject: &str,
    target: &Target,
    subject_uses: &Subject,
    plan: &mut Plan,
) -> Result<(), String> {
    let crate_root = up.nearest_with(&["Cargo.toml"]).unwrap_or_else(|| source_path.parent().unwrap().to_path_buf());
    plan.run_dir = crate_root.clone();
    let manifest = files.read(&crate_root.join("Cargo.toml")).unwrap_or_default();
    let package_name = toml::from_str::<toml::Value>(&manifest)
        .ok()
        .and_then(|value| value.get("package")?.get("name")?.as_str().map(str::to_string))
        .unwrap_or_else(|| crate_root.file_name().and_then(|name| name.to_str()).unwrap_or("crate").to_string());
    let crate_name = package_name.replace('-', "_");
    let src = crate_root.join("src");
    let relative = source_path.strip_prefix(&src).ok();
    let is_binary = relative.is_some_and(|path| path == Path::new("main.rs") || path.starts_with("bin"));
    let module_path = relative.map(rust_module_path).unwrap_or_default();
    let has_library = files.is_file(&src.join("lib.rs"));
    let existing_module = inline_test_module(source);

    let integration_path = crate_root
        .join("tests")
        .join(format!("{}.rs", if module_path.is_empty() { crate_name.as_str() } else { stem }));
    // The path integration tests can name: through `pub mod`s, or a `pub use` re-export; a
    // public item in a private module with no re-export cannot be reached from `tests/`.
    let public_path = rust_public_path(files, &src, &module_path, subject);
    let can_integrate = target.public && has_library && !is_binary && relative.is_some() && public_path.is_some();
    let keeps_integration_tests = can_integrate
        && existing_module.is_none()
        && (files.is_file(&integration_path)
            || (has_rust_files(files, &crate_root.join("tests")) && !has_inline_tests(files, &src)));
    plan.framework = Framework::RustTest;
    // Precedent: an integration test of this crate, or of a workspace crate that re-exports
    // it, that already calls the target.
    if can_integrate && existing_module.is_none() {
        let named = files.is_file(&integration_path).then_some(integration_path.as_path());
        let followed = rust_precedent(
            files,
            up,
            &crate_root,
            &package_name,
            named,
            stem,
            public_path.as_deref().unwrap_or_default(),
            subject,
            subject_uses,
        );
        if let Some((path, tests_crate, via, reason)) = followed {
            let text = files.read(&path).unwrap_or_default();
            let (selector, module_path) = rust_test_target(files, &tests_crate, &path);
            plan.module_path = module_path;
            plan.cargo_selector = vec!["--test".into(), selector];
            let item_path = via;
            let via = item_path.first().cloned().unwrap_or_default();
            let uses_crate = text.lines().any(|line| {
                let line = line.trim_start().trim_start_matches("pub ");
                line.starts_with(&format!("use {via}::")) || line.starts_with(&format!("use {via};"))
            });
            if uses_crate {
                plan.subject_imports = vec![format!("use {};", item_path.join("::"))];
            } else {
                plan.subject_imports = Vec::new();
                plan.notes.push(format!(
                    "This file has no `use` of the crate: it names items by their paths (`{via}::…`); do the same."
                ));
            }
            plan.notes.push(format!(
                "This is an integration test file of the crate `{via}`: only its public API is reachable."
            ));
            plan.run_dir = tests_crate;
            plan.test_path = path;
            plan.destination = Destination::File;
            plan.precedent = Some(reason);
            return Ok(());
        }
    }
    // Unit tests kept in a file of their own (`#[cfg(test)] mod test;`): that file.
    if let Some(name) = inline_test_file(source) {
        let module_dir = match source_path.file_name().and_then(|name| name.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => source_path.parent().unwrap().to_path_buf(),
            _ => source_path.with_extension(""),
        };
        let file = [module_dir.join(format!("{name}.rs")), module_dir.join(&name).join("mod.rs")]
            .into_iter()
            .find(|path| files.is_file(path));
        if let Some(file) = file {
            plan.test_path = file;
            plan.destination = Destination::File;
            plan.subject_imports = vec!["use super::*;".into()];
            plan.module_path = module_path;
            plan.module_path.push(name);
            plan.cargo_selector = if has_library && !is_binary { vec!["--lib".into()] } else { Vec::new() };
            plan.notes.push(format!(
                "The tests are the module `{}` of the file under test (declared there as `#[cfg(test)] mod {};`).",
                plan.module_path.last().unwrap(),
                plan.module_path.last().unwrap()
            ));
            return Ok(());
        }
    }
    if keeps_integration_tests {
        let mut path = vec![crate_name.clone()];
        path.extend(public_path.unwrap_or_default());
        path.push(subject.to_string());
        plan.subject_imports = vec![format!("use {};", path.join("::"))];
        plan.cargo_selector =
            vec!["--test".into(), integration_path.file_stem().unwrap().to_string_lossy().into_owned()];
        plan.test_path = integration_path;
        plan.destination = Destination::File;
        plan.notes.push(format!(
            "This is an integration test file of the crate `{package_name}`: only its public API is reachable."
        ));
        return Ok(());
    }
    plan.test_path = source_path.to_path_buf();
    plan.destination = Destination::InlineModule { existing: existing_module };
    plan.subject_imports = vec!["use super::*;".into()];
    plan.module_path = module_path;
    plan.cargo_selector = if is_binary {
        let name = match relative.and_then(|path| path.strip_prefix("bin").ok()) {
            Some(bin) => bin.iter().next().map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string()),
            None => Some(package_name.clone()),
        };
        name.map(|name| vec!["--bin".to_string(), name]).unwrap_or_default()
    } else if has_library && relative.is_some() {
        vec!["--lib".into()]
    } else {
        Vec::new()
    };
    Ok(())
}

/// The integration test of the crate at `crate_root`, or of a workspace crate that reaches
/// it (re-exports it with `pub use dep::*`, or depends on it), that exercises the target
/// most: its path, the crate it belongs to, the crate name its tests reach the item through,
/// and why it was chosen.
#[allow(clippy::too_many_arguments)]
fn rust_precedent(
    files: &dyn ProjectFiles,
    up: &Ancestors,
    crate_root: &Path,
    package_name: &str,
    named: Option<&Path>,
    subject_stem: &str,
    public: &[String],
    item: &str,
    subject: &Subject,
) -> Option<(PathBuf, PathBuf, Vec<String>, Precedent)> {
    let crate_name = package_name.replace('-', "_");
    // The workspace: the highest folder with a `[workspace]` manifest, within the root.
    let mut workspace = crate_root.to_path_buf();
    let mut current = Some(crate_root);
    while let Some(dir) = current {
        if files.read(&dir.join("Cargo.toml")).is_some_and(|text| text.contains("[workspace]")) {
            workspace = dir.to_path_buf();
        }
        if Some(dir) == up.root {
            break;
        }
        current = dir.parent();
    }
    let mut crates = vec![crate_root.to_path_buf()];
    let mut pending = vec![(workspace.clone(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        if files.is_file(&dir.join("Cargo.toml")) && !crates.contains(&dir) {
            crates.push(dir.clone());
        }
        if depth < 2 {
            for path in files.list(&dir) {
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
                if files.is_dir(&path)
                    && !name.starts_with('.')
                    && !matches!(name, "target" | "src" | "tests" | "benches")
                {
                    pending.push((path, depth + 1));
                }
            }
        }
        if crates.len() > 64 {
            break;
        }
    }
    let mut candidates = Vec::new();
    // Each test file with the path its crate names the item by (`clap::builder::PossibleValue`).
    let mut via_of: Vec<(PathBuf, PathBuf, Vec<String>)> = Vec::new();
    let own_path = || {
        let mut path = vec![crate_name.clone()];
        path.extend(public.iter().cloned());
        path.push(item.to_string());
        path
    };
    for tests_crate in crates {
        let via = if tests_crate == crate_root {
            own_path()
        } else {
            let manifest = files.read(&tests_crate.join("Cargo.toml")).unwrap_or_default();
            let Some(value) = toml::from_str::<toml::Value>(&manifest).ok() else { continue };
            let Some(name) = value.get("package").and_then(|package| package.get("name")?.as_str()) else {
                continue;
            };
            let name = name.replace('-', "_");
            let depends = ["dependencies", "dev-dependencies"]
                .iter()
                .any(|table| value.get(table).and_then(|table| table.get(package_name)).is_some());
            let library = files.read(&tests_crate.join("src/lib.rs")).unwrap_or_default();
            if !depends {
                continue;
            }
            match rust_reexported_path(&library, &crate_name, public, item) {
                Some(inner) => std::iter::once(name).chain(inner).collect(),
                None => own_path(),
            }
        };
        let is_rust = |path: &Path| path.extension().is_some_and(|ext| ext == "rs");
        for path in precedent_files::test_files(files, &[tests_crate.join("tests")], 3, &is_rust) {
            via_of.push((path.clone(), tests_crate.clone(), via.clone()));
            candidates.push(path);
        }
    }
    let linked = |text: &str| {
        let vias: Vec<&String> = via_of.iter().filter_map(|(_, _, via)| via.first()).collect();
        vias.iter().any(|via| text.contains(&format!("{via}::")))
    };
    // Named after the module (`possible_value.rs` → `possible_values.rs`) in any test folder.
    let stem = subject_stem;
    let named_after = candidates
        .iter()
        .find(|path| {
            let name = path.file_stem().and_then(|name| name.to_str()).unwrap_or_default();
            (name == stem || name == format!("{stem}s")) && files.read(path).is_some_and(|text| linked(&text))
        })
        .cloned();
    let named = named.map(Path::to_path_buf).or(named_after);
    let display = |path: &Path| {
        up.root.and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path).to_string_lossy().into_owned()
    };
    let conventional = crate_root.join("tests").join(format!("{subject_stem}.rs"));
    let (path, mut reason) = follow(files, up.root, named.as_deref(), &candidates, subject, &linked).or_else(|| {
        let named = named?;
        let sentence = format!("following {}, the test file named after the module", display(&named));
        Some((named, Precedent { sentence, named_after_module: false }))
    })?;
    reason.named_after_module = path == conventional;
    let (_, tests_crate, via) = via_of.into_iter().find(|(candidate, _, _)| *candidate == path)?;
    Some((path, tests_crate, via, reason))
}

/// The `cargo test --test` target an integration test file belongs to, and its module path
/// in that target: `tests/x.rs` is the target `x`; `tests/suite/parsed.rs` is module
/// `parsed` of `suite` (`tests/suite/main.rs`); a `[[test]]` of the manifest (`name =
/// "integration"`, `path = "tests/lib.rs"`) owns the files its root declares with `mod`.
fn rust_test_target(files: &dyn ProjectFiles, crate_dir: &Path, file: &Path) -> (String, Vec<String>) {
    let stem = file.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default().to_string();
    let manifest = files.read(&crate_dir.join("Cargo.toml")).unwrap_or_default();
    let declared: Vec<(String, PathBuf)> = toml::from_str::<toml::Value>(&manifest)
        .ok()
        .and_then(|value| value.get("test")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|test| {
            let name = test.get("name")?.as_str()?.to_string();
            let path = test
                .get("path")
                .and_then(|path| path.as_str())
                .map_or_else(|| crate_dir.join("tests").join(format!("{name}.rs")), |path| crate_dir.join(path));
            Some((name, path))
        })
        .collect();
    if let Some((name, _)) = declared.iter().find(|(_, path)| path == file) {
        return (name.clone(), Vec::new());
    }
    let declares = |root: &Path| {
        files.read(root).is_some_and(|text| {
            regex::Regex::new(&format!(r"(?m)^\s*(pub\s+)?mod\s+{}\s*;", regex::escape(&stem)))
                .is_ok_and(|pattern| pattern.is_match(&text))
        })
    };
    let folder = file.parent().unwrap_or(crate_dir);
    if let Some((name, _)) =
        declared.iter().find(|(_, root)| root.parent() == Some(folder) && root != file && declares(root))
    {
        return (name.clone(), vec![stem]);
    }
    let relative = file.strip_prefix(crate_dir.join("tests")).unwrap_or(file);
    let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default().trim_end_matches(".rs").to_string();
    if parts.is_empty() {
        return (last, Vec::new());
    }
    let selector = parts.remove(0);
    if !matches!(last.as_str(), "main" | "mod") {
        parts.push(last);
    }
    (selector, parts)
}

/// Where a crate's `lib.rs` re-exports `item` of the dependency `dep` (public there at
/// `dep::<public>::<item>`): the path inside the crate, without its name. `pub use dep::*;`
/// keeps the path; `pub use dep::builder;` (a module on the way) keeps it from that module;
/// `pub use dep::builder::Item;` and `pub use dep::{Item, …}` bring the item to the root.
fn rust_reexported_path(library: &str, dep: &str, public: &[String], item: &str) -> Option<Vec<String>> {
    let mut full: Vec<String> = public.to_vec();
    full.push(item.to_string());
    for (start, _) in library.match_indices("pub use ") {
        let statement = library[start + "pub use ".len()..].split(';').next().unwrap_or_default();
        let statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        let statement = [(" ::", "::"), (":: ", "::"), ("{ ", "{"), (" }", "}"), (" ,", ","), (", ", ",")]
            .iter()
            .fold(statement, |text, (from, to)| text.replace(from, to));
        let Some(rest) = statement.strip_prefix(&format!("{dep}::")) else { continue };
        // `a::{b, c::d}` → `a::b`, `a::c::d`.
        let paths: Vec<String> = match rest.split_once('{') {
            Some((prefix, list)) => {
                list.trim_end_matches('}').split(',').map(|entry| format!("{prefix}{entry}")).collect()
            }
            None => vec![rest.to_string()],
        };
        // Renamed re-exports (`x as y`) are not followed.
        for path in paths.iter().filter(|path| !path.contains(" as ")) {
            let segments: Vec<&str> = path.split("::").filter(|part| !part.is_empty()).collect();
            // `dep::*`, `dep::builder::*`: what follows the globbed module.
            if let Some((&"*", prefix)) = segments.split_last() {
                if prefix.len() < full.len() && prefix.iter().zip(&full).all(|(a, b)| a == b) {
                    return Some(full[prefix.len()..].to_vec());
                }
                continue;
            }
            if !segments.is_empty() && segments.len() <= full.len() && segments.iter().zip(&full).all(|(a, b)| a == b) {
                let last = segments.len() - 1;
                return Some(full[last..].to_vec());
            }
        }
    }
    None
}

/// The unit-test module a Rust file declares as a file of its own: `#[cfg(test)] mod test;`.
fn inline_test_file(source: &str) -> Option<String> {
    let tree = parse_str(Language::Rust, source)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let found = root.named_children(&mut cursor).find(|node| {
        node.kind() == "mod_item"
            && node.child_by_field_name("body").is_none()
            && super::target::attributes_before(source, *node)
                .iter()
                .any(|attribute| attribute.replace(' ', "").contains("cfg(test)"))
    })?;
    Some(source[found.child_by_field_name("name")?.byte_range()].to_string())
}

/// `a/b.rs` → `a::b`; `a/mod.rs` → `a`; `lib.rs`, `main.rs` and `bin/x.rs` → the crate root.
/// The shortest module path from the crate root under which `item` (defined in the module
/// at `module_path`) is public: the module path itself when every module on it is `pub mod`,
/// or the module that re-exports it (`pub use number::Number;`, `pub use number::{Number, …}`,
/// `pub use number::*`). `None` when it is reachable by neither.
fn rust_public_path(files: &dyn ProjectFiles, src: &Path, module_path: &[String], item: &str) -> Option<Vec<String>> {
    let module_file = |prefix: &[String]| -> Option<String> {
        if prefix.is_empty() {
            return files.read(&src.join("lib.rs"));
        }
        let dir: PathBuf = prefix.iter().collect();
        files.read(&src.join(&dir).with_extension("rs")).or_else(|| files.read(&src.join(dir).join("mod.rs")))
    };
    let is_public_mod = |parent: &str, name: &str| {
        regex::Regex::new(&format!(r"(?m)^\s*pub(\([^)]*\))?\s+mod\s+{}\b", regex::escape(name)))
            .is_ok_and(|pattern| pattern.captures(parent).is_some_and(|captures| captures.get(1).is_none()))
    };
    for depth in 0..=module_path.len() {
        let prefix = &module_path[..depth];
        let Some(text) = module_file(prefix) else { break };
        if depth == module_path.len() {
            return Some(prefix.to_vec());
        }
        let next = &module_path[depth];
        let reexports = text.match_indices("pub use ").any(|(start, _)| {
            let statement = text[start..].split(';').next().unwrap_or_default();
            let word = |word: &str| crate::text::whole_word_positions(statement, word).next().is_some();
            word(next) && (word(item) || statement.contains('*')) && !statement.contains(&format!("{item} as "))
        });
        if reexports {
            return Some(prefix.to_vec());
        }
        if !is_public_mod(&text, next) {
            return None;
        }
    }
    None
}

fn rust_module_path(relative: &Path) -> Vec<String> {
    if relative.starts_with("bin") {
        return Vec::new();
    }
    let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let last = last.trim_end_matches(".rs");
    let is_crate_root = parts.is_empty() && matches!(last, "lib" | "main");
    if !is_crate_root && last != "mod" {
        parts.push(last.to_string());
    }
    parts
}

/// The top-level `#[cfg(test)] mod ... { }` of a Rust file: whole lines, attributes included.
pub fn inline_test_module(source: &str) -> Option<std::ops::Range<usize>> {
    let tree = parse_str(Language::Rust, source)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let found = root.named_children(&mut cursor).find(|node| {
        node.kind() == "mod_item"
            && node.child_by_field_name("body").is_some()
            && super::target::attributes_before(source, *node)
                .iter()
                .any(|attribute| attribute.replace(' ', "").contains("cfg(test)"))
    })?;
    let mut start = found;
    while let Some(previous) = start.prev_sibling() {
        if matches!(previous.kind(), "attribute_item" | "line_comment") {
            start = previous;
        } else {
            break;
        }
    }
    Some(super::items::whole_lines(source, start.start_byte()..found.end_byte()))
}

fn has_rust_files(files: &dyn ProjectFiles, dir: &Path) -> bool {
    files.is_dir(dir) && files.list(dir).iter().any(|path| path.extension().is_some_and(|ext| ext == "rs"))
}

/// Whether any source file of the crate has unit tests (a bounded look).
fn has_inline_tests(files: &dyn ProjectFiles, src: &Path) -> bool {
    let mut pending = vec![src.to_path_buf()];
    let mut seen = 0;
    while let Some(dir) = pending.pop() {
        for path in files.list(&dir) {
            seen += 1;
            if seen > 500 {
                return false;
            }
            if files.is_dir(&path) {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs")
                && files.read(&path).is_some_and(|text| text.contains("#[cfg(test)]"))
            {
                return true;
            }
        }
    }
    false
}

#[allow(clippy::too_many_arguments)]
fn plan_python(
    files: &dyn ProjectFiles,
    up: &Ancestors,
    root: Option<&Path>,
    source_path: &Path,
    dir: &Path,
    stem: &str,
    subject: &str,
    subject_uses: &Subject,
    plan: &mut Plan,
) {
    const PROJECT_MARKERS: [&str; 5] = ["pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini"];
    let project =
        up.nearest_with(&PROJECT_MARKERS).or_else(|| root.map(Path::to_path_buf)).unwrap_or(dir.to_path_buf());

    // The import path: `src/` layout, then packages (folders with __init__.py), then flat.
    let src = project.join("src");
    let (import_root, mut module_parts) = if source_path.starts_with(&src) {
        let relative = source_path.strip_prefix(&src).unwrap();
        (src.clone(), relative.iter().map(|part| part.to_string_lossy().into_owned()).collect::<Vec<_>>())
    } else {
        let mut top = dir.to_path_buf();
        while files.is_file(&top.join("__init__.py")) && top.parent().is_some() && Some(top.as_path()) != root {
            top = top.parent().unwrap().to_path_buf();
        }
        let relative = source_path.strip_prefix(&top).unwrap_or(Path::new(stem));
        (top, relative.iter().map(|part| part.to_string_lossy().into_owned()).collect())
    };
    if let Some(last) = module_parts.pop() {
        let last = last.trim_end_matches(".py").to_string();
        if last != "__init__" {
            module_parts.push(last);
        }
    }
    let module = module_parts.join(".");
    // A private module `_utils.py` is tested in `test_utils.py` (or `test__utils.py`).
    let public_stem = stem.trim_start_matches('_');
    let public_stem = if public_stem.is_empty() { stem } else { public_stem };
    let test_name = format!("test_{public_stem}.py");
    let test_names = [test_name.clone(), format!("test_{stem}.py"), format!("{stem}_test.py")];

    let mut test_dirs = vec![project.join("tests")];
    if let Some(root) = root {
        test_dirs.push(root.join("tests"));
    }
    let existing = test_dirs
        .iter()
        .chain([dir.to_path_buf(), dir.join("tests")].iter())
        .flat_map(|folder| test_names.iter().map(move |name| folder.join(name)))
        .find(|path| files.is_file(path))
        .or_else(|| python_test_in_subfolders(files, &test_dirs, &test_names));
    // Precedent: the test file that already calls the target (flask's `Flask.make_response`
    // in `tests/test_basic.py`), when the file named after the module does not.
    let is_test = |path: &Path| {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))
    };
    let mut candidates = precedent_files::test_files(files, &test_dirs, 3, &is_test);
    candidates.extend(precedent_files::test_files(files, &[dir.to_path_buf(), dir.join("tests")], 0, &is_test));
    let package = module.split('.').next().filter(|top| !top.is_empty()).unwrap_or(stem).to_string();
    let linked = |text: &str| python_imports_package(text, &package);
    // A package of the module's own (`tests/test_<module>/`) is its place already.
    let has_own_package = test_dirs.iter().any(|tests| files.is_dir(&tests.join(test_name.trim_end_matches(".py"))));
    let followed = if has_own_package {
        None
    } else {
        follow(files, root, existing.as_deref(), &candidates, subject_uses, &linked)
    };
    let existing = match followed {
        Some((path, reason)) => {
            plan.precedent = Some(reason);
            Some(path)
        }
        None => existing,
    };
    // No test of this module yet: where a sibling module's test is, when the tests mirror
    // the source tree (`shop/billing/tax.py` → `tests/billing/test_tax.py`).
    let existing = existing.or_else(|| {
        if has_own_package {
            return None;
        }
        let (sibling, test) = python_sibling_test(files, source_path, &test_dirs)?;
        let path = test.with_file_name(&test_name);
        let display = |path: &Path| {
            root.and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path).to_string_lossy().replace('\\', "/")
        };
        plan.precedent = Some(Precedent {
            sentence: format!(
                "following {}, the test of the sibling module {}, for a new file beside it",
                display(&test),
                display(&sibling)
            ),
            named_after_module: false,
        });
        Some(path)
    });
    plan.test_path = existing.unwrap_or_else(|| match test_dirs.iter().find(|tests| files.is_dir(tests)) {
        // Tests kept in a package `tests/test_<module>/`: a file inside it, never a
        // `tests/test_<module>.py` beside it (pytest refuses the clashing module name).
        Some(tests) if files.is_dir(&tests.join(test_name.trim_end_matches(".py"))) => {
            tests.join(test_name.trim_end_matches(".py")).join(&test_name)
        }
        Some(tests) => tests.join(&test_name),
        None => dir.join(&test_name),
    });

    // unittest only when the project's tests already use it and nothing asks for pytest.
    let configured_pytest = PROJECT_MARKERS
        .iter()
        .any(|marker| files.read(&project.join(marker)).is_some_and(|text| text.contains("pytest")));
    let mut samples: Vec<String> = files.read(&plan.test_path).into_iter().collect();
    if samples.is_empty() {
        if let Some(tests_dir) = plan.test_path.parent() {
            samples.extend(
                files
                    .list(tests_dir)
                    .into_iter()
                    .filter(|path| {
                        path.file_name()
                            .and_then(|name| name.to_str())
                            .is_some_and(|name| name.starts_with("test") && name.ends_with(".py"))
                    })
                    .take(3)
                    .filter_map(|path| files.read(&path)),
            );
        }
    }
    let uses_unittest = samples.iter().any(|text| text.contains("unittest.TestCase") || text.contains("(TestCase)"));
    let uses_pytest = samples.iter().any(|text| text.contains("import pytest") || text.contains("from pytest"));
    plan.framework =
        if uses_unittest && !uses_pytest && !configured_pytest { Framework::Unittest } else { Framework::Pytest };
    plan.framework_imports = plan.framework.import_lines(ModuleSystem::Esm);
    plan.subject_imports = vec![if module.is_empty() {
        format!("from {stem} import {subject}")
    } else {
        format!("from {module} import {subject}")
    }];
    let as_written = plan.precedent.as_ref().and_then(|_| python_import_as_written(samples.first()?, &module, subject));
    if let Some((line, reach)) = as_written {
        plan.notes.push(format!("The existing tests import it this way: call it as `{reach}`."));
        plan.subject_imports = vec![line];
    } else if let Some(line) = python_package_import(files, &import_root, &module, subject, &samples) {
        if line.starts_with("import ") {
            let package = line.trim_start_matches("import ");
            plan.notes
                .push(format!("The existing tests use the package as a whole: reach it as `{package}.{subject}`."));
        }
        plan.subject_imports = vec![line];
    }
    plan.run_dir = project;
    plan.import_root = Some(import_root);
}

/// Whether a Python file imports `package` (or one of its modules) at all.
fn python_imports_package(text: &str, package: &str) -> bool {
    text.lines().map(str::trim_start).any(|line| {
        let rest = line.strip_prefix("import ").or_else(|| line.strip_prefix("from "));
        rest.is_some_and(|rest| {
            let name = rest.trim_start().split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default();
            name == package
        })
    })
}

/// How the precedent test file imports the module itself, when it does (`import
/// shop.cart as c`, `from shop import cart`, `from shop.cart import total as t`): that line,
/// and how the tests then name the target (`c.total`, `cart.total`, `t`). `None` when it
/// imports the target's module by plain names, or not at all.
fn python_import_as_written(text: &str, module: &str, subject: &str) -> Option<(String, String)> {
    let (parent, leaf) = module.rsplit_once('.').unwrap_or(("", module));
    let names = |rest: &str| -> Vec<(String, String)> {
        rest.trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once(" as ") {
                Some((name, alias)) => (name.trim().to_string(), alias.trim().to_string()),
                None => (part.to_string(), part.to_string()),
            })
            .collect()
    };
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("import ") {
            for (name, alias) in names(rest) {
                if name == module && (alias != name || module.contains('.')) {
                    return Some((line.to_string(), format!("{alias}.{subject}")));
                }
            }
        } else if let Some(rest) = line.strip_prefix(&format!("from {parent} import ")).filter(|_| !parent.is_empty()) {
            if let Some((_, alias)) = names(rest).into_iter().find(|(name, _)| name == leaf) {
                return Some((line.to_string(), format!("{alias}.{subject}")));
            }
        } else if let Some(rest) = line.strip_prefix(&format!("from {module} import ")) {
            if let Some((_, alias)) = names(rest).into_iter().find(|(name, alias)| name == subject && alias != name) {
                return Some((line.to_string(), alias));
            }
        }
    }
    None
}

/// The existing tests' way to import a name the package re-exports: `import flask` (then
/// `flask.Flask`) or `from flask import Flask`, when they never import from the module itself.
fn python_package_import(
    files: &dyn ProjectFiles,
    import_root: &Path,
    module: &str,
    subject: &str,
    samples: &[String],
) -> Option<String> {
    let (package, _) = module.split_once('.')?;
    if samples.is_empty() || samples.iter().any(|text| text.contains(&format!("from {module} import"))) {
        return None;
    }
    let init = files.read(&import_root.join(package).join("__init__.py"))?;
    // The package must re-export the name.
    crate::text::whole_word_positions(&init, subject).next()?;
    let lines = || samples.iter().flat_map(|text| text.lines().map(str::trim));
    if lines().any(|line| line == format!("import {package}")) {
        return Some(format!("import {package}"));
    }
    lines()
        .any(|line| line.starts_with(&format!("from {package} import ")))
        .then(|| format!("from {package} import {subject}"))
}

#[allow(clippy::too_many_arguments)]
fn plan_javascript(
    files: &dyn ProjectFiles,
    up: &Ancestors,
    source_path: &Path,
    source: &str,
    dir: &Path,
    stem: &str,
    subject: &str,
    target: &Target,
    subject_uses: &Subject,
    plan: &mut Plan,
) {
    let package_root = up.nearest_with(&["package.json"]);
    let package_json = package_root.as_ref().and_then(|root| files.read(&root.join("package.json")));
    let extension = source_path.extension().and_then(|ext| ext.to_str()).unwrap_or("js").to_string();
    let is_typescript = matches!(extension.as_str(), "ts" | "tsx" | "mts" | "cts");
    let package_is_module = package_json
        .as_deref()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .is_some_and(|value| value["type"] == "module");
    let uses_commonjs = source.contains("module.exports") || source.contains("exports.") || source.contains("require(");
    let module_system =
        if is_typescript || extension == "mjs" || (!uses_commonjs && (package_is_module || source.contains("export ")))
        {
            ModuleSystem::Esm
        } else {
            ModuleSystem::CommonJs
        };

    let names = [format!("{stem}.test.{extension}"), format!("{stem}.spec.{extension}")];
    let package_dir = package_root.clone().unwrap_or(dir.to_path_buf());
    let folders =
        [dir.join("__tests__"), package_dir.join("__tests__"), package_dir.join("test"), package_dir.join("tests")];
    // Deeper searches also look in the `__tests__` folders between the module and the package.
    let mut search_folders = folders.to_vec();
    search_folders.extend(
        dir.ancestors()
            .skip(1)
            .take_while(|folder| folder.starts_with(&package_dir))
            .map(|folder| folder.join("__tests__"))
            .filter(|folder| files.is_dir(folder)),
    );
    let existing = std::iter::once(dir.to_path_buf())
        .chain(folders.iter().cloned())
        .flat_map(|folder| names.iter().map(move |name| folder.join(name)))
        .find(|path| files.is_file(path))
        .or_else(|| existing_test_named_after(files, source_path, &package_dir, &search_folders, stem));
    // Precedent: the test file that already calls the target (hono's `Hono.mount` of
    // `hono-base.ts` in `hono.test.ts`), when the file named after the module does not.
    let is_test = |path: &Path| is_javascript_test(path, &package_dir);
    let tests = precedent_files::test_files(files, std::slice::from_ref(&package_dir), 6, &is_test);
    let linked = |text: &str| javascript_links(text, subject, stem);
    let existing = match follow(files, up.root, existing.as_deref(), &tests, subject_uses, &linked) {
        Some((path, reason)) => {
            plan.precedent = Some(reason);
            Some(path)
        }
        None => existing,
    };
    // No test of this module yet: a new file where a sibling module's test is.
    let existing = existing.or_else(|| test_path_like_a_sibling(files, source_path, &package_dir, &search_folders));
    plan.test_path = existing.unwrap_or_else(|| match folders.iter().find(|folder| files.is_dir(folder)) {
        Some(folder) => folder.join(&names[0]),
        None => dir.join(&names[0]),
    });
    let samples = javascript_test_samples(files, &plan.test_path, &folders);
    plan.framework = javascript_framework(files, up.root, &package_dir, package_json.as_deref(), &samples);
    let precedent = relative_imports(&samples);
    let runner = match plan.framework {
        Framework::Vitest => Some("vitest"),
        Framework::Jest => Some("jest"),
        Framework::Mocha => Some("mocha"),
        Framework::Ava => Some("ava"),
        Framework::Tap => Some("tap"),
        Framework::QUnit => Some("qunit"),
        _ => None,
    };
    if let Some(runner) = runner {
        let mut installed = false;
        let mut current = Some(package_dir.as_path());
        while let Some(folder) = current {
            if files.is_file(&folder.join("node_modules/.bin").join(runner)) {
                installed = true;
                break;
            }
            if Some(folder) == up.root {
                break;
            }
            current = folder.parent();
        }
        if !installed && plan.framework == Framework::QUnit {
            plan.missing_runner = Some(
                "this project's QUnit tests have no command-line runner here (no node_modules/.bin/qunit; they run in a browser), so the tests are added unverified; set tests.command to verify them".into(),
            );
        } else if !installed {
            plan.missing_runner =
                Some(format!("{runner} is not installed (no node_modules/.bin/{runner}; run npm install)"));
        }
    }
    plan.run_dir = package_dir;

    // The import of the code under test, relative to the test file.
    let test_dir = plan.test_path.parent().unwrap_or(dir);
    let mut specifier = relative_path(test_dir, source_path);
    let native_resolution = matches!(
        plan.framework,
        Framework::NodeTest | Framework::Mocha | Framework::Ava | Framework::Tap | Framework::QUnit
    );
    // Precedent first: the existing tests' specifiers all name an extension, or none does.
    let precedent_extensions = match precedent.iter().filter(|(spec, _)| has_script_extension(spec)).count() {
        0 if !precedent.is_empty() => Some(false),
        count if count > 0 && count == precedent.len() => Some(true),
        _ => None,
    };
    // Node resolves `.cjs`/`.mjs` only by their full name, and so does TypeScript under
    // node16/nodenext resolution.
    let keep_extension = matches!(extension.as_str(), "cjs" | "mjs" | "cts" | "mts")
        || (is_typescript && typescript_needs_extensions(up))
        || precedent_extensions.unwrap_or(native_resolution && module_system == ModuleSystem::Esm && !is_typescript);
    if !keep_extension {
        specifier = specifier.trim_end_matches(&format!(".{extension}")).to_string();
    } else if is_typescript && !precedent.iter().any(|(spec, _)| spec.ends_with(".ts") || spec.ends_with(".tsx")) {
        // TypeScript imports the file it emits: `.ts` → `.js`, `.mts` → `.mjs`.
        let emitted = match extension.as_str() {
            "mts" => "mjs",
            "cts" => "cjs",
            _ => "js",
        };
        specifier = format!("{}.{emitted}", specifier.trim_end_matches(&format!(".{extension}")));
    }
    if !specifier.starts_with('.') {
        specifier = format!("./{specifier}");
    }
    // A tsconfig path alias the existing tests import through (`@/utils/url`) names it too.
    let used = tsconfig::bare_specifiers(&samples);
    if !used.is_empty() {
        let aliases = tsconfig::Aliases::near(files, test_dir, up.root);
        if let Some(aliased) = aliases.specifier_for(source_path, &used) {
            let emitted = has_script_extension(&specifier).then(|| specifier.rsplit_once('.').map(|(_, ext)| ext));
            specifier = match emitted.flatten() {
                Some(ext) => format!("{aliased}.{ext}"),
                None => aliased,
            };
        }
    }
    let default_export = source.contains(&format!("export default function {subject}"))
        || source.contains(&format!("export default class {subject}"))
        || source.contains(&format!("export default {subject}"))
        || source.contains(&format!("module.exports = function {subject}"))
        || source.contains(&format!("module.exports = class {subject}"))
        || source.contains(&format!("module.exports = {subject};"))
        || source.contains(&format!("module.exports = {subject}\n"));
    let module_system = match (is_typescript, precedent.iter().filter(|(_, required)| *required).count()) {
        (false, 0) if !precedent.is_empty() => ModuleSystem::Esm,
        (false, required) if required > 0 && required == precedent.len() => ModuleSystem::CommonJs,
        _ => module_system,
    };
    // QUnit suites that import nothing run against the page's globals (`jQuery`).
    if plan.framework == Framework::QUnit && precedent.is_empty() && !samples.is_empty() {
        plan.notes.push(format!(
            "The existing QUnit tests import nothing: they reach the code through the globals the test page loads; use `{subject}` the same way, without an import."
        ));
        plan.framework_imports = Vec::new();
        return;
    }
    plan.subject_imports = vec![match (module_system, default_export) {
        (ModuleSystem::Esm, true) => format!("import {subject} from '{specifier}';"),
        (ModuleSystem::Esm, false) => format!("import {{ {subject} }} from '{specifier}';"),
        (ModuleSystem::CommonJs, true) => format!("const {subject} = require('{specifier}');"),
        (ModuleSystem::CommonJs, false) => format!("const {{ {subject} }} = require('{specifier}');"),
    }];
    // The precedent file's own import of the target, as written there, when it reaches the
    // target through another module (hono's `Hono` from './hono', which re-exports
    // './hono-base'); from the module itself, the import above already has its specifier.
    let written = plan.precedent.as_ref().and_then(|_| javascript_import_of(samples.first()?, subject));
    if let Some(line) = written {
        let specifier = line.split(['\'', '"']).nth(1).unwrap_or_default();
        let resolved = test_dir.join(specifier);
        let same_module = [source_path.with_extension(""), source_path.to_path_buf()].iter().any(|candidate| {
            lexically_normal(&resolved) == lexically_normal(candidate)
                || lexically_normal(&resolved.with_extension("")) == lexically_normal(candidate)
        });
        if !same_module {
            plan.subject_imports = vec![line];
        }
    }
    plan.framework_imports = plan.framework.import_lines(module_system);
    if !target.public {
        plan.notes.push(format!(
            "`{subject}` is not exported from its module; the test can only import it once it is exported."
        ));
    }
    if is_typescript && plan.framework == Framework::NodeTest {
        plan.notes.push("Node runs TypeScript tests only through a loader such as tsx.".into());
    }
}

/// A test file of a JavaScript/TypeScript package: `*.test.*`/`*.spec.*`, or any script in a
/// `test`, `tests` or `__tests__` folder.
fn is_javascript_test(path: &Path, package_dir: &Path) -> bool {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let script = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx"));
    if !script || name.ends_with(".d.ts") {
        return false;
    }
    let in_test_folder = path.strip_prefix(package_dir).is_ok_and(|relative| {
        relative.iter().any(|part| matches!(part.to_str(), Some("test" | "tests" | "__tests__")))
    });
    name.contains(".test.") || name.contains(".spec.") || in_test_folder
}

/// Whether a test file reaches the module of `subject`: an import or `require` that names it
/// or the module's file, or no imports at all (suites that use the page's globals).
fn javascript_links(text: &str, subject: &str, stem: &str) -> bool {
    let mut imports = text
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            line.starts_with("import ") || line.contains("require(") || line.starts_with("} from ")
        })
        .peekable();
    if imports.peek().is_none() {
        return true;
    }
    let stem = stem.to_lowercase();
    imports.any(|line| {
        whole_word_positions(line, subject).next().is_some()
            || line.split(['\'', '"']).skip(1).step_by(2).any(|specifier| {
                let last = specifier.rsplit('/').next().unwrap_or_default().to_lowercase();
                last == stem || last.split('.').next() == Some(stem.as_str())
            })
    })
}

/// The import statement of a test file that binds `name` (`import { Hono } from './hono'`,
/// `const { add } = require('../src/math')`), as written.
fn javascript_import_of(text: &str, name: &str) -> Option<String> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(
            r#"(?m)^[ \t]*(?:import\s[^;'"]*?\sfrom\s*['"][^'"]+['"]|(?:const|let|var)\s[^;=]+=\s*require\(\s*['"][^'"]+['"]\s*\)[\w.]*);?"#,
        )
        .unwrap()
    });
    pattern.find_iter(text).map(|found| found.as_str().trim()).find_map(|statement| {
        let bindings = statement.split(" from ").next().unwrap_or(statement);
        let bindings = bindings.split('=').next().unwrap_or(bindings);
        let type_only = bindings.trim_start().starts_with("import type ");
        if type_only || whole_word_positions(bindings, name).next().is_none() {
            return None;
        }
        // A list that binds other names too: the target alone, from the same module, in the
        // same quotes and punctuation (the model keeps the existing line as it is).
        let listed = bindings.contains('{') && bindings.contains(',');
        if !listed {
            return Some(statement.to_string());
        }
        let quote = if statement.contains('"') { '"' } else { '\'' };
        let specifier = statement.split(['\'', '"']).nth(1)?;
        let end = if statement.ends_with(';') { ";" } else { "" };
        Some(if statement.starts_with("import") {
            format!("import {{ {name} }} from {quote}{specifier}{quote}{end}")
        } else {
            let keyword = statement.split_whitespace().next().unwrap_or("const");
            format!("{keyword} {{ {name} }} = require({quote}{specifier}{quote}){end}")
        })
    })
}

/// Whether the package's existing tests import testify (else whether `go.mod` requires it).
fn go_uses_testify(files: &dyn ProjectFiles, up: &Ancestors, dir: &Path) -> bool {
    const TESTIFY: &str = "github.com/stretchr/testify";
    let tests: Vec<String> = files
        .list(dir)
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with("_test.go"))
        .filter_map(|path| files.read(&path))
        .collect();
    if !tests.is_empty() {
        return tests.iter().any(|text| text.contains(TESTIFY));
    }
    up.nearest_with(&["go.mod"])
        .and_then(|module| files.read(&module.join("go.mod")))
        .is_some_and(|text| text.contains(TESTIFY))
}

/// The JavaScript runner, from precedent first: what the existing tests (the test file, else
/// a few beside it or in the test folders) import or call, then the project's runner config
/// files, then `package.json`.
fn javascript_framework(
    files: &dyn ProjectFiles,
    root: Option<&Path>,
    package_dir: &Path,
    package_json: Option<&str>,
    samples: &[String],
) -> Framework {
    if let Some(framework) = framework::from_test_files(samples) {
        return framework;
    }
    // The package, then the folders above it up to the workspace root: a monorepo package
    // often runs the tests with the root's runner and config.
    let mut folder = Some(package_dir);
    while let Some(dir) = folder {
        let config_names: Vec<String> = files
            .list(dir)
            .iter()
            .filter_map(|path| path.file_name().and_then(|name| name.to_str()).map(str::to_string))
            .collect();
        if let Some(framework) = framework::from_config_files(&config_names) {
            return framework;
        }
        let manifest =
            if dir == package_dir { package_json.map(str::to_string) } else { files.read(&dir.join("package.json")) };
        match manifest.as_deref().map(framework::from_package_json) {
            Some(framework) if framework != Framework::NodeTest => return framework,
            _ => {}
        }
        if Some(dir) == root {
            break;
        }
        folder = dir.parent();
    }
    Framework::NodeTest
}

/// The test of a module beside `source_path` kept in a subfolder of the test folders that
/// mirrors the module's folder (`tests/billing/test_tax.py` for `shop/billing/tax.py`):
/// the sibling and its test.
fn python_sibling_test(
    files: &dyn ProjectFiles,
    source_path: &Path,
    test_dirs: &[PathBuf],
) -> Option<(PathBuf, PathBuf)> {
    let dir = source_path.parent()?;
    let folder = dir.file_name()?.to_str()?.to_lowercase();
    let mut siblings: Vec<PathBuf> = files
        .list(dir)
        .into_iter()
        .filter(|path| {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            name.ends_with(".py") && !name.starts_with("test") && name != "__init__.py" && path != source_path
        })
        .collect();
    siblings.sort();
    siblings.into_iter().take(24).find_map(|sibling| {
        let stem = sibling.file_stem()?.to_str()?;
        let public = stem.trim_start_matches('_');
        let names = [format!("test_{public}.py"), format!("test_{stem}.py")];
        let test = python_test_in_subfolders(files, test_dirs, &names)?;
        // Only a folder named like the module's tells the tree is mirrored.
        let mirrored = test.parent()?.file_name()?.to_str()?.to_lowercase() == folder;
        mirrored.then_some((sibling, test))
    })
}

/// `test_<module>.py` in a subfolder of the test folders (`tests/models/test_url.py`,
/// `tests/test_cli/test_cli.py`), nearest first.
fn python_test_in_subfolders(files: &dyn ProjectFiles, test_dirs: &[PathBuf], names: &[String]) -> Option<PathBuf> {
    let mut pending: std::collections::VecDeque<(PathBuf, usize)> =
        test_dirs.iter().map(|dir| (dir.clone(), 0)).collect();
    let mut visited = 0;
    while let Some((folder, depth)) = pending.pop_front() {
        visited += 1;
        if visited > 200 {
            break;
        }
        let mut listed = files.list(&folder);
        listed.sort();
        for path in listed {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_string();
            if depth > 0 && names.contains(&name) && files.is_file(&path) {
                return Some(path);
            }
            if depth < 3
                && files.is_dir(&path)
                && !name.starts_with('.')
                && !matches!(name.as_str(), "fixtures" | "data" | "__pycache__")
            {
                pending.push_back((path, depth + 1));
            }
        }
    }
    None
}

/// Where a new test file goes by the pattern of a sibling module's test: `node/plugins/css.ts`
/// is tested in `node/__tests__/plugins/css.spec.ts`, so `node/plugins/alias.ts` in
/// `node/__tests__/plugins/alias.spec.ts`. The sibling's test extension follows the module's
/// when it matched the sibling's (`x.js` → `x.spec.js`, so `y.cjs` → `y.spec.cjs`).
fn test_path_like_a_sibling(
    files: &dyn ProjectFiles,
    source_path: &Path,
    package_dir: &Path,
    folders: &[PathBuf],
) -> Option<PathBuf> {
    let dir = source_path.parent()?;
    let extension = source_path.extension()?.to_str()?;
    let stem = source_path.file_stem()?.to_str()?;
    let mut siblings: Vec<PathBuf> = files
        .list(dir)
        .into_iter()
        .filter(|path| {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            let ext = path.extension().and_then(|ext| ext.to_str()).unwrap_or_default();
            matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx")
                && !name.contains(".test.")
                && !name.contains(".spec.")
                && !name.ends_with(".d.ts")
                && path.as_path() != source_path
        })
        .collect();
    siblings.sort();
    siblings.into_iter().take(12).find_map(|sibling| {
        let sibling_stem = sibling.file_stem()?.to_str()?.to_string();
        let sibling_ext = sibling.extension()?.to_str()?.to_string();
        let dir_folders: Vec<PathBuf> = [dir.join("__tests__")].into_iter().chain(folders.iter().cloned()).collect();
        let test = ["test", "spec"]
            .iter()
            .map(|kind| dir.join(format!("{sibling_stem}.{kind}.{sibling_ext}")))
            .find(|path| files.is_file(path))
            .or_else(|| existing_test_named_after(files, &sibling, package_dir, &dir_folders, &sibling_stem))?;
        let test_name = test.file_name()?.to_str()?;
        // Only a test named after its module tells the pattern (`css.spec.ts`, not `misc.ts`).
        let (prefix, rest) = test_name.split_at(test_name.to_lowercase().find(&sibling_stem.to_lowercase())?);
        let suffix = &rest[sibling_stem.len()..];
        let suffix = match suffix.strip_suffix(&format!(".{sibling_ext}")) {
            Some(kind) => format!("{kind}.{extension}"),
            None => suffix.to_string(),
        };
        Some(test.with_file_name(format!("{prefix}{stem}{suffix}")))
    })
}

/// An existing test file named after the module anywhere in the package's test folders
/// (`test/unit/suite.spec.cjs` for `lib/suite.js`, `test/unit/tween.js` for
/// `src/effects/Tween.js`): `<stem>.test.*`/`<stem>.spec.*`, or `<stem>.*` holding tests. Of
/// several, the one whose folders mirror the module's most.
fn existing_test_named_after(
    files: &dyn ProjectFiles,
    source_path: &Path,
    package_dir: &Path,
    folders: &[PathBuf],
    stem: &str,
) -> Option<PathBuf> {
    const SCRIPT: [&str; 8] = ["js", "mjs", "cjs", "ts", "mts", "cts", "tsx", "jsx"];
    const NOT_TESTS: [&str; 6] = ["node_modules", "fixtures", "fixture", "__fixtures__", "data", "snapshots"];
    let stem = stem.to_lowercase();
    let is_candidate = |path: &Path| {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_lowercase();
        let Some((base, ext)) = name.rsplit_once('.') else { return false };
        if !SCRIPT.contains(&ext) {
            return false;
        }
        let named = base == format!("{stem}.test") || base == format!("{stem}.spec");
        named
            || base == stem
                && files.read(path).is_some_and(|text| {
                    ["QUnit.test(", "test(", "it(", "describe("].iter().any(|call| text.contains(call))
                })
    };
    let mut found = Vec::new();
    let mut pending: Vec<(PathBuf, usize)> = folders.iter().map(|folder| (folder.clone(), 0)).collect();
    let mut visited = 0;
    while let Some((folder, depth)) = pending.pop() {
        visited += 1;
        if visited > 400 {
            break; // a bounded look: test trees are shallow
        }
        for path in files.list(&folder) {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if files.is_dir(&path) {
                if depth < 4 && !NOT_TESTS.contains(&name) && !name.starts_with('.') {
                    pending.push((path, depth + 1));
                }
            } else if is_candidate(&path) {
                found.push(path);
            }
        }
    }
    // Mirroring: how many of the module's folder names (under the package) the test's path has.
    let module_folders: Vec<String> = source_path
        .parent()
        .and_then(|parent| parent.strip_prefix(package_dir).ok())
        .map(|relative| relative.iter().map(|part| part.to_string_lossy().to_lowercase()).collect())
        .unwrap_or_default();
    found.sort();
    found.dedup();
    found.into_iter().max_by_key(|path| {
        let parts: Vec<String> = path.iter().map(|part| part.to_string_lossy().to_lowercase()).collect();
        let shared = module_folders.iter().filter(|folder| parts.contains(folder)).count();
        (shared, std::cmp::Reverse(parts.len()))
    })
}

/// The existing tests that set the precedent: the test file itself, else up to three test
/// files beside it or in the test folders.
fn javascript_test_samples(files: &dyn ProjectFiles, test_path: &Path, folders: &[PathBuf]) -> Vec<String> {
    let mut samples: Vec<String> = files.read(test_path).into_iter().collect();
    let beside = test_path.parent().map(Path::to_path_buf);
    for folder in beside.iter().chain(folders).filter(|folder| !folder.ends_with("node_modules")) {
        if samples.len() >= 3 {
            break;
        }
        let in_test_folder = folders.contains(folder);
        let mut listed: Vec<PathBuf> = files
            .list(folder)
            .into_iter()
            .filter(|path| {
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
                let script = name
                    .rsplit('.')
                    .next()
                    .is_some_and(|ext| matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx"));
                script && (in_test_folder || name.contains(".test.") || name.contains(".spec."))
            })
            .collect();
        listed.sort();
        samples.extend(listed.iter().take(3).filter_map(|path| files.read(path)));
    }
    samples
}

/// The relative module specifiers existing tests import (`'../src/x.js'`), and whether they
/// import them with `require`.
fn relative_imports(samples: &[String]) -> Vec<(String, bool)> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(r#"(?:\bfrom\s*|\brequire\(\s*|\bimport\s*\(?\s*)['"](\.{1,2}/[^'"]+)['"]"#).unwrap()
    });
    samples
        .iter()
        .flat_map(|text| {
            pattern.captures_iter(text).map(|captures| {
                let whole = captures.get(0).map_or("", |whole| whole.as_str());
                (captures[1].to_string(), whole.starts_with("require"))
            })
        })
        .collect()
}

fn has_script_extension(specifier: &str) -> bool {
    let last = specifier.rsplit('/').next().unwrap_or(specifier);
    last.rsplit_once('.')
        .is_some_and(|(_, ext)| matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx"))
}

/// Whether the nearest `tsconfig.json` resolves modules as Node does (`node16`/`nodenext`),
/// where a relative import must name the emitted `.js` file.
fn typescript_needs_extensions(up: &Ancestors) -> bool {
    let Some(dir) = up.nearest_with(&["tsconfig.json"]) else {
        return false;
    };
    let text = up.files.read(&dir.join("tsconfig.json")).unwrap_or_default().to_lowercase();
    let setting = |key: &str| {
        regex::Regex::new(&format!(r#""{key}"\s*:\s*"([a-z0-9]+)""#))
            .ok()
            .and_then(|pattern| pattern.captures(&text).map(|captures| captures[1].to_string()))
    };
    let node = |value: &str| matches!(value, "node16" | "nodenext");
    match setting("moduleresolution") {
        Some(resolution) => node(&resolution),
        None => setting("module").is_some_and(|module| node(&module)),
    }
}

fn plan_java(
    files: &dyn ProjectFiles,
    up: &Ancestors,
    source_path: &Path,
    source: &str,
    dir: &Path,
    stem: &str,
    plan: &mut Plan,
) {
    let build_root = up.nearest_with(&["pom.xml", "build.gradle", "build.gradle.kts"]);
    let build_file = build_root.as_ref().and_then(|root| {
        ["pom.xml", "build.gradle", "build.gradle.kts"].iter().find_map(|name| files.read(&root.join(name)))
    });
    plan.framework = build_file.as_deref().map_or(Framework::JUnit5, framework::junit_from_build);
    plan.framework_imports = plan.framework.import_lines(ModuleSystem::Esm);
    let file_name = format!("{stem}Test.java");
    let text = source_path.to_string_lossy();
    plan.test_path = if let Some(index) = text.find("/src/main/java/") {
        let mirrored = format!("{}/src/test/java/{}", &text[..index], &text[index + "/src/main/java/".len()..]);
        Path::new(&mirrored).with_file_name(&file_name)
    } else if let Some(root) = &build_root {
        let package = source
            .lines()
            .find_map(|line| line.trim().strip_prefix("package "))
            .map(|package| package.trim_end_matches(';').trim().replace('.', "/"))
            .unwrap_or_default();
        root.join("src/test/java").join(package).join(&file_name)
    } else {
        dir.join(&file_name)
    };
    plan.run_dir = build_root.unwrap_or(dir.to_path_buf());
    plan.notes.push("The test class is in the same package as the class under test.".into());
}

fn plan_c(files: &dyn ProjectFiles, up: &Ancestors, source_path: &Path, dir: &Path, stem: &str, plan: &mut Plan) {
    let build_markers = ["CMakeLists.txt", "meson.build", "Makefile", "BUILD.bazel", "BUILD"];
    let build_root = up.nearest_with(&build_markers);
    let uses_gtest = build_root.as_ref().is_some_and(|root| {
        build_markers
            .iter()
            .any(|name| files.read(&root.join(name)).is_some_and(|text| framework::uses_googletest(&text)))
    });
    let is_cpp = plan.language == Language::Cpp;
    plan.framework = if uses_gtest { Framework::GoogleTest } else { Framework::PlainAssert };
    plan.framework_imports = plan.framework.import_lines(ModuleSystem::Esm);
    let project = build_root.clone().unwrap_or(dir.to_path_buf());
    let test_dir = ["tests", "test"].iter().map(|name| project.join(name)).find(|path| files.is_dir(path));
    let extension = source_path.extension().and_then(|ext| ext.to_str()).unwrap_or(if is_cpp { "cpp" } else { "c" });
    let file_name = if uses_gtest {
        format!("{stem}_test.{}", if extension == "c" { "cc" } else { extension })
    } else {
        format!("test_{stem}.{extension}")
    };
    plan.test_path = test_dir.unwrap_or(dir.to_path_buf()).join(file_name);
    let header = ["h", "hpp", "hh", "hxx"]
        .iter()
        .flat_map(|ext| [dir.join(format!("{stem}.{ext}")), project.join("include").join(format!("{stem}.{ext}"))])
        .find(|path| files.is_file(path));
    let test_dir = plan.test_path.parent().unwrap_or(dir).to_path_buf();
    plan.subject_imports = match header {
        Some(header) => vec![format!("#include \"{}\"", relative_path(&test_dir, &header))],
        None => {
            plan.notes.push(format!("No header declares `{stem}`; declare what the test calls."));
            Vec::new()
        }
    };
    plan.run_dir = project;
}

/// `to` relative to the folder `from`, with `/` separators (`../src/math.ts`).
pub fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let shared = from.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), from.len() - shared).collect();
    parts.extend(to_parts[shared..].iter().map(|part| part.as_os_str().to_string_lossy().into_owned()));
    let joined = parts.join("/");
    if joined.starts_with("..") {
        joined
    } else {
        format!("./{joined}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::language::parse_str;

    /// A project as a map of paths to contents; folders are implied by the paths.
    struct Fake(BTreeMap<PathBuf, String>);

    impl Fake {
        fn new(files: &[(&str, &str)]) -> Fake {
            Fake(files.iter().map(|(path, text)| (PathBuf::from(path), text.to_string())).collect())
        }
    }

    impl ProjectFiles for Fake {
        fn is_file(&self, path: &Path) -> bool {
            self.0.contains_key(path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.0.keys().any(|file| file.starts_with(path) && file != path)
        }
        fn read(&self, path: &Path) -> Option<String> {
            self.0.get(path).cloned()
        }
        fn refuse_write(&self, _: &Path) -> Option<String> {
            None
        }
        fn exclude(&self) -> Arc<crate::context::Exclude> {
            Arc::default()
        }
        fn list(&self, dir: &Path) -> Vec<PathBuf> {
            let mut entries: Vec<PathBuf> = self
                .0
                .keys()
                .filter_map(|file| {
                    file.strip_prefix(dir).ok().and_then(|rest| rest.iter().next()).map(|first| dir.join(first))
                })
                .collect();
            entries.dedup();
            entries
        }
    }

    fn plan_for(fake: &Fake, path: &str, fixture: &str, language: Language) -> Plan {
        let offset = fixture.find("$0").unwrap();
        let source = fixture.replacen("$0", "", 1);
        let tree = parse_str(language, &source).unwrap();
        let target = super::super::target::targets_at(language, &source, &tree, offset..offset).remove(0);
        plan(fake, Some(Path::new("/w")), Path::new(path), &source, language, &target).unwrap()
    }

    #[test]
    fn rust_inline_module_new_or_existing_and_integration_tests() {
        let fake = Fake::new(&[
            ("/w/Cargo.toml", "[package]\nname = \"my-crate\"\n"),
            ("/w/src/lib.rs", ""),
            ("/w/src/text/parse.rs", ""),
        ]);
        let plan = plan_for(&fake, "/w/src/text/parse.rs", "pub fn parse() { $0 }\n", Language::Rust);
        assert_eq!(plan.destination, Destination::InlineModule { existing: None });
        assert_eq!(plan.subject_imports, ["use super::*;"]);
        assert_eq!(plan.module_path, ["text", "parse"]);
        assert_eq!(plan.cargo_selector, ["--lib"]);

        let with_module = "pub fn parse() { $0 }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n";
        let plan = plan_for(&fake, "/w/src/text/parse.rs", with_module, Language::Rust);
        let source = with_module.replace("$0", "");
        let Destination::InlineModule { existing: Some(range) } = plan.destination else { panic!() };
        assert!(source[range].starts_with("#[cfg(test)]\nmod tests {"));

        let integration = Fake::new(&[
            ("/w/Cargo.toml", "[package]\nname = \"my-crate\"\n"),
            ("/w/src/lib.rs", "pub mod parse;"),
            ("/w/src/parse.rs", ""),
            ("/w/tests/api.rs", "#[test] fn t() {}"),
        ]);
        let plan = plan_for(&integration, "/w/src/parse.rs", "pub fn parse() { $0 }\n", Language::Rust);
        assert_eq!(plan.test_path, Path::new("/w/tests/parse.rs"));
        assert_eq!(plan.subject_imports, ["use my_crate::parse::parse;"]);
        assert_eq!(plan.cargo_selector, ["--test", "parse"]);
        // A private function cannot be reached from tests/.
        let plan = plan_for(&integration, "/w/src/parse.rs", "fn helper() { $0 }\n", Language::Rust);
        assert_eq!(plan.destination, Destination::InlineModule { existing: None });
    }

    #[test]
    fn python_layouts() {
        let flat = Fake::new(&[("/w/calc.py", "")]);
        let plan = plan_for(&flat, "/w/calc.py", "def add(a, b):\n    return $0a\n", Language::Python);
        assert_eq!(plan.test_path, Path::new("/w/test_calc.py"));
        assert_eq!(plan.subject_imports, ["from calc import add"]);
        assert_eq!(plan.framework, Framework::Pytest);

        let package = Fake::new(&[
            ("/w/pyproject.toml", ""),
            ("/w/shop/__init__.py", ""),
            ("/w/shop/cart.py", ""),
            ("/w/tests/conftest.py", ""),
        ]);
        let plan = plan_for(
            &package,
            "/w/shop/cart.py",
            "class Cart:\n    def total(self):\n        return $00\n",
            Language::Python,
        );
        assert_eq!(plan.test_path, Path::new("/w/tests/test_cart.py"));
        assert_eq!(plan.subject_imports, ["from shop.cart import Cart"]);
        assert_eq!(plan.import_root.as_deref(), Some(Path::new("/w")));

        let src = Fake::new(&[("/w/pyproject.toml", ""), ("/w/src/shop/__init__.py", ""), ("/w/src/shop/cart.py", "")]);
        let plan = plan_for(&src, "/w/src/shop/cart.py", "def total():\n    return $00\n", Language::Python);
        assert_eq!(plan.subject_imports, ["from shop.cart import total"]);
        assert_eq!(plan.import_root.as_deref(), Some(Path::new("/w/src")));
        assert_eq!(plan.test_path, Path::new("/w/src/shop/test_cart.py"));

        let unittest = Fake::new(&[
            ("/w/calc.py", ""),
            ("/w/tests/test_other.py", "import unittest\nclass T(unittest.TestCase): pass"),
        ]);
        let plan = plan_for(&unittest, "/w/calc.py", "def add():\n    $0pass\n", Language::Python);
        assert_eq!(plan.framework, Framework::Unittest);
        assert_eq!(plan.test_path, Path::new("/w/tests/test_calc.py"));
    }

    #[test]
    fn javascript_placement_framework_and_import() {
        let vitest =
            Fake::new(&[("/w/package.json", r#"{"devDependencies": {"vitest": "3"}}"#), ("/w/src/math.ts", "")]);
        let plan = plan_for(
            &vitest,
            "/w/src/math.ts",
            "export function add(a: number) { return $0a; }\n",
            Language::TypeScript,
        );
        assert_eq!(plan.test_path, Path::new("/w/src/math.test.ts"));
        assert_eq!(plan.framework, Framework::Vitest);
        assert_eq!(plan.subject_imports, ["import { add } from './math';"]);

        let jest = Fake::new(&[
            ("/w/package.json", r#"{"devDependencies": {"jest": "29"}}"#),
            ("/w/src/math.js", ""),
            ("/w/__tests__/other.test.js", ""),
        ]);
        let plan = plan_for(
            &jest,
            "/w/src/math.js",
            "function add(a) { return $0a; }\nmodule.exports = { add };\n",
            Language::JavaScript,
        );
        assert_eq!(plan.test_path, Path::new("/w/__tests__/math.test.js"));
        assert_eq!(plan.subject_imports, ["const { add } = require('../src/math');"]);

        let node = Fake::new(&[("/w/package.json", r#"{"type": "module"}"#), ("/w/lib/slug.js", "")]);
        let plan = plan_for(&node, "/w/lib/slug.js", "export function slug(s) { return $0s; }\n", Language::JavaScript);
        assert_eq!(plan.framework, Framework::NodeTest);
        assert_eq!(plan.subject_imports, ["import { slug } from './slug.js';"]);

        // A monorepo package without a runner of its own uses the root's config.
        let monorepo = Fake::new(&[
            ("/w/package.json", r#"{"devDependencies": {"vitest": "3"}}"#),
            ("/w/vitest.config.ts", ""),
            ("/w/packages/vite/package.json", r#"{"name": "vite"}"#),
            ("/w/packages/vite/src/alias.ts", ""),
        ]);
        let plan = plan_for(
            &monorepo,
            "/w/packages/vite/src/alias.ts",
            "export function alias() { $0 }\n",
            Language::TypeScript,
        );
        assert_eq!(plan.framework, Framework::Vitest);
    }

    #[test]
    fn go_java_and_c() {
        let go = Fake::new(&[("/w/go.mod", "module x"), ("/w/calc/add.go", "")]);
        let plan =
            plan_for(&go, "/w/calc/add.go", "package calc\n\nfunc Add(a int) int { return $0a }\n", Language::Go);
        assert_eq!(plan.test_path, Path::new("/w/calc/add_test.go"));
        assert_eq!(plan.run_dir, Path::new("/w/calc"));

        let java = Fake::new(&[("/w/pom.xml", "<artifactId>junit-jupiter</artifactId>")]);
        let plan = plan_for(
            &java,
            "/w/src/main/java/com/acme/Calc.java",
            "package com.acme;\npublic class Calc {\n  int add() { return $01; }\n}\n",
            Language::Java,
        );
        assert_eq!(plan.test_path, Path::new("/w/src/test/java/com/acme/CalcTest.java"));
        assert_eq!(plan.framework, Framework::JUnit5);

        let cpp = Fake::new(&[
            ("/w/CMakeLists.txt", "find_package(GTest)"),
            ("/w/src/calc.hpp", ""),
            ("/w/tests/CMakeLists.txt", ""),
        ]);
        let plan = plan_for(&cpp, "/w/src/calc.cpp", "int add(int a) { return $0a; }\n", Language::Cpp);
        assert_eq!(plan.framework, Framework::GoogleTest);
        assert_eq!(plan.test_path, Path::new("/w/tests/calc_test.cpp"));
        assert_eq!(plan.subject_imports, ["#include \"../src/calc.hpp\""]);
    }

    #[test]
    fn rust_items_re_exported_by_another_crate() {
        let public = ["builder".to_string()];
        let at = |library: &str| rust_reexported_path(library, "core", &public, "Value");
        assert_eq!(at("pub use core::*;"), Some(vec!["builder".into(), "Value".into()]));
        assert_eq!(at("pub use core::builder;"), Some(vec!["builder".into(), "Value".into()]));
        assert_eq!(at("pub use core::builder::Value;"), Some(vec!["Value".into()]));
        assert_eq!(at("pub use core::{builder::Value, other};"), Some(vec!["Value".into()]));
        assert_eq!(at("pub use core::other;\npub use other::*;"), None);
        assert_eq!(at("pub use core::builder::*;"), Some(vec!["Value".into()]));
    }

    #[test]
    fn rust_test_targets_of_integration_files() {
        let fake = Fake::new(&[
            ("/w/Cargo.toml", "[package]\nname = \"re\"\nautotests = false\n\n[[test]]\npath = \"tests/lib.rs\"\nname = \"integration\"\n"),
            ("/w/tests/lib.rs", "mod misc;\nmod replace;\n"),
            ("/w/tests/replace.rs", ""),
            ("/w/tests/suite/main.rs", "mod parsed;\n"),
            ("/w/tests/suite/parsed.rs", ""),
            ("/w/tests/alone.rs", ""),
        ]);
        let target = |file: &str| rust_test_target(&fake, Path::new("/w"), Path::new(file));
        assert_eq!(target("/w/tests/replace.rs"), ("integration".to_string(), vec!["replace".to_string()]));
        assert_eq!(target("/w/tests/lib.rs"), ("integration".to_string(), vec![]));
        assert_eq!(target("/w/tests/suite/parsed.rs"), ("suite".to_string(), vec!["parsed".to_string()]));
        assert_eq!(target("/w/tests/alone.rs"), ("alone".to_string(), vec![]));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative_path(Path::new("/w/src"), Path::new("/w/src/math.ts")), "./math.ts");
        assert_eq!(relative_path(Path::new("/w/test"), Path::new("/w/src/a/math.ts")), "../src/a/math.ts");
    }
}
