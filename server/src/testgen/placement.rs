//! Where the tests go and how they import the code under test: the repository's own
//! conventions first (existing test files and folders, build files), then the language's.
//!
//! Pure: the project is seen through [`ProjectFiles`], so the rules are tested on fake
//! trees; the server and the CLI pass the disk.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::framework::{self, Framework, ModuleSystem};
use super::target::{Target, TargetKind};
use crate::context::Exclude;
use crate::language::{parse_str, Language};
use crate::workspace_path::PathGuard;

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
    };
    let up = Ancestors { files, start: &dir, root };
    match language {
        Language::Rust => plan_rust(files, &up, source_path, source, &stem, &subject, target, &mut plan)?,
        Language::Python => plan_python(files, &up, root, source_path, &dir, &stem, &subject, &mut plan),
        Language::Go => {
            plan.test_path = dir.join(format!("{stem}_test.go"));
            plan.framework_imports = plan.framework.import_lines(ModuleSystem::Esm);
            let package = source.lines().find_map(|line| line.trim().strip_prefix("package ")).unwrap_or("main");
            plan.notes.push(format!("The tests are in package `{}`, the same package as the code.", package.trim()));
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            plan_javascript(files, &up, source_path, source, &dir, &stem, &subject, target, &mut plan)
        }
        Language::Java => plan_java(files, &up, source_path, source, &dir, &stem, &mut plan),
        Language::C | Language::Cpp => plan_c(files, &up, source_path, &dir, &stem, &mut plan),
        Language::Json | Language::Toml => return Err("tests are generated for code, not data files".into()),
    }
    Ok(plan)
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
    let can_integrate = target.public && has_library && !is_binary && relative.is_some();
    let keeps_integration_tests = can_integrate
        && existing_module.is_none()
        && (files.is_file(&integration_path)
            || (has_rust_files(files, &crate_root.join("tests")) && !has_inline_tests(files, &src)));
    plan.framework = Framework::RustTest;
    if keeps_integration_tests {
        let mut path = vec![crate_name.clone()];
        path.extend(module_path.iter().cloned());
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

/// `a/b.rs` → `a::b`; `a/mod.rs` → `a`; `lib.rs`, `main.rs` and `bin/x.rs` → the crate root.
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
    let test_name = format!("test_{stem}.py");

    let mut test_dirs = vec![project.join("tests")];
    if let Some(root) = root {
        test_dirs.push(root.join("tests"));
    }
    let existing = test_dirs
        .iter()
        .map(|tests| tests.join(&test_name))
        .chain([dir.join(&test_name), dir.join("tests").join(&test_name), dir.join(format!("{stem}_test.py"))])
        .find(|path| files.is_file(path));
    plan.test_path = existing.unwrap_or_else(|| match test_dirs.iter().find(|tests| files.is_dir(tests)) {
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
    plan.run_dir = project;
    plan.import_root = Some(import_root);
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
    plan: &mut Plan,
) {
    let package_root = up.nearest_with(&["package.json"]);
    let package_json = package_root.as_ref().and_then(|root| files.read(&root.join("package.json")));
    plan.framework = package_json.as_deref().map_or(Framework::NodeTest, framework::from_package_json);
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
    let existing = std::iter::once(dir.to_path_buf())
        .chain(folders.iter().cloned())
        .flat_map(|folder| names.iter().map(move |name| folder.join(name)))
        .find(|path| files.is_file(path));
    plan.test_path = existing.unwrap_or_else(|| match folders.iter().find(|folder| files.is_dir(folder)) {
        Some(folder) => folder.join(&names[0]),
        None => dir.join(&names[0]),
    });
    let runner = match plan.framework {
        Framework::Vitest => Some("vitest"),
        Framework::Jest => Some("jest"),
        Framework::Mocha => Some("mocha"),
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
        if !installed {
            plan.missing_runner =
                Some(format!("{runner} is not installed (no node_modules/.bin/{runner}; run npm install)"));
        }
    }
    plan.run_dir = package_dir;

    // The import of the code under test, relative to the test file.
    let test_dir = plan.test_path.parent().unwrap_or(dir);
    let mut specifier = relative_path(test_dir, source_path);
    let native_resolution = matches!(plan.framework, Framework::NodeTest | Framework::Mocha);
    let keep_extension = native_resolution && module_system == ModuleSystem::Esm && !is_typescript;
    if !keep_extension {
        specifier = specifier.trim_end_matches(&format!(".{extension}")).to_string();
    }
    if !specifier.starts_with('.') {
        specifier = format!("./{specifier}");
    }
    let default_export = source.contains(&format!("export default function {subject}"))
        || source.contains(&format!("export default class {subject}"))
        || source.contains(&format!("export default {subject}"))
        || source.contains(&format!("module.exports = {subject};"))
        || source.contains(&format!("module.exports = {subject}\n"));
    plan.subject_imports = vec![match (module_system, default_export) {
        (ModuleSystem::Esm, true) => format!("import {subject} from '{specifier}';"),
        (ModuleSystem::Esm, false) => format!("import {{ {subject} }} from '{specifier}';"),
        (ModuleSystem::CommonJs, true) => format!("const {subject} = require('{specifier}');"),
        (ModuleSystem::CommonJs, false) => format!("const {{ {subject} }} = require('{specifier}');"),
    }];
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
    fn relative_paths() {
        assert_eq!(relative_path(Path::new("/w/src"), Path::new("/w/src/math.ts")), "./math.ts");
        assert_eq!(relative_path(Path::new("/w/test"), Path::new("/w/src/a/math.ts")), "../src/a/math.ts");
    }
}
