//! Context recall on real code (issue 11): the development set in `shared/context-devset/`
//! (40 real functions in 10 open-source repositories, 162 cross-file definitions their
//! bodies use), scored as its README says.
//!
//! `cargo bench -p glm-lsp --bench devset` — unpacks the pinned archives into
//! `target/devset/` once, asks for the context at each task's cursor with the file as it is
//! (the same library call as `glm-lsp context FILE --line L --character C --root REPO
//! --open F… --json`), and prints recall and strict recall per language, split by whether
//! the definition's file is an open tab, for the file as it is and for the harder variant
//! where the body is deleted from the cursor on.
//!
//! The set is split in two by repository (issue 21), fixed here: the *develop* half is what
//! tuning may look at, the *held-out* half is reported only to check that a change
//! generalises (any repository not named in [`DEVELOP_HALF`] is held out). Each half gets
//! its own table, then both together. `-- --half develop` (or `held-out`) runs one half;
//! `-- --misses` lists every definition the context lacks in either mode; `-- --task ID`
//! runs one task and prints its context (`-- --task ID --deleted` with the body deleted).
//!
//! A definition is *recalled* when a section's text contains its definition line (stripped)
//! or a section covers that line of that file; *strict* counts only the first kind, the line
//! as the author wrote it. The set is found at `$GLM_LSP_DEVSET`, else at
//! `shared/context-devset` beside the checkout or one of its ancestors; without it the
//! benchmark says so and exits 0.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use glm_lsp::context::{gather, path_to_uri, Context, ContextInput, Exclude, WorkspaceIndex, DEFAULT_BUDGET_TOKENS};
use glm_lsp::document::Document;
use glm_lsp::language::Language;
use glm_lsp::text::{offset_of, Position, PositionEncoding};
use serde::Deserialize;

/// The repositories of the develop half (one per language and five languages); the other
/// half is held out.
const DEVELOP_HALF: [&str; 5] = ["pallets/flask", "clap-rs/clap", "honojs/hono", "gin-gonic/gin", "mochajs/mocha"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Half {
    Develop,
    HeldOut,
}

impl Half {
    fn of(repo: &str) -> Half {
        if DEVELOP_HALF.contains(&repo) {
            Half::Develop
        } else {
            Half::HeldOut
        }
    }

    fn title(half: Option<Half>) -> &'static str {
        match half {
            Some(Half::Develop) => "half A (develop: flask, clap, hono, gin, mocha)",
            Some(Half::HeldOut) => "half B (held out: httpx, toml, vite, chi, jquery)",
            None => "both halves",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Task {
    id: String,
    lang: String,
    repo: String,
    file: String,
    cursor: Cursor,
    body_range: BodyRange,
    open: Vec<String>,
    expect: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
struct Cursor {
    line: u32,
    character: u32,
}

#[derive(Debug, Deserialize)]
struct BodyRange {
    end_line: usize,
}

#[derive(Debug, Deserialize)]
struct Expected {
    name: String,
    file: String,
    line: usize,
}

/// One section of the context as `glm-lsp context --json` prints it.
struct ShownSection {
    file: String,
    start_line: usize,
    end_line: usize,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    AsIs,
    BodyDeleted,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TallyKey {
    half: Half,
    language: String,
    is_open: bool,
    variant: Variant,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    total: usize,
    recalled: usize,
    strict: usize,
}

impl Tally {
    fn add(&mut self, recalled: bool, strict: bool) {
        self.total += 1;
        self.recalled += usize::from(recalled);
        self.strict += usize::from(strict);
    }

    fn cell(&self) -> String {
        if self.total == 0 {
            return "—".to_string();
        }
        let percent = |count: usize| count as f64 * 100.0 / self.total as f64;
        format!("{:.1}% / {:.1}%", percent(self.recalled), percent(self.strict))
    }
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = arguments.iter().any(|argument| argument == "--misses");
    let only_task = arguments.iter().position(|argument| argument == "--task").and_then(|at| arguments.get(at + 1));
    let print_deleted = arguments.iter().any(|argument| argument == "--deleted");
    let only_half =
        match arguments.iter().position(|argument| argument == "--half").and_then(|at| arguments.get(at + 1)) {
            None => None,
            Some(half) if half == "develop" || half == "A" => Some(Half::Develop),
            Some(half) if half == "held-out" || half == "B" => Some(Half::HeldOut),
            Some(other) => {
                println!("devset: --half takes develop (A) or held-out (B), not {other}");
                return;
            }
        };
    let Some(devset) = find_devset() else {
        println!(
            "devset: no dev set found (set GLM_LSP_DEVSET or put shared/context-devset beside the checkout); skipped"
        );
        return;
    };
    let tasks_text = match std::fs::read_to_string(devset.join("tasks.jsonl")) {
        Ok(text) => text,
        Err(error) => {
            println!("devset: cannot read {}: {error}; skipped", devset.join("tasks.jsonl").display());
            return;
        }
    };
    let tasks: Vec<Task> = tasks_text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("a task line is JSON in the dev set's format"))
        .filter(|task: &Task| only_task.is_none_or(|id| *id == task.id))
        .filter(|task: &Task| only_half.is_none_or(|half| half == Half::of(&task.repo)))
        .collect();
    let unpacked = target_dir().join("devset");
    let mut indexes: HashMap<String, WorkspaceIndex> = HashMap::new();
    let exclude = Exclude::default();
    let mut tallies: BTreeMap<TallyKey, Tally> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut timings: Vec<Duration> = Vec::new();
    for task in &tasks {
        let repo_dir = match unpack(&devset, &unpacked, &task.repo) {
            Ok(dir) => dir,
            Err(error) => {
                println!("devset: {error}; skipped");
                return;
            }
        };
        let index = indexes.entry(task.repo.clone()).or_insert_with(|| {
            let index = WorkspaceIndex::new(&exclude);
            index.build(std::slice::from_ref(&repo_dir));
            index
        });
        for variant in [Variant::AsIs, Variant::BodyDeleted] {
            let started = Instant::now();
            let print = only_task.is_some() && (variant == Variant::BodyDeleted) == print_deleted;
            let shown = context_sections(task, &repo_dir, index, &exclude, variant, print);
            if variant == Variant::AsIs {
                timings.push(started.elapsed());
            }
            for expected in &task.expect {
                let definition_lines = read_lines(&repo_dir.join(&expected.file));
                let line_text = definition_lines.get(expected.line).map_or("", |line| line.trim());
                let strict = !line_text.is_empty() && shown.iter().any(|section| section.text.contains(line_text));
                let covered = shown.iter().any(|section| {
                    section.file == expected.file
                        && section.start_line <= expected.line
                        && expected.line <= section.end_line
                });
                let is_open = task.open[1..].contains(&expected.file);
                let key = TallyKey { half: Half::of(&task.repo), language: task.lang.clone(), is_open, variant };
                tallies.entry(key).or_default().add(strict || covered, strict);
                if show_misses && !strict {
                    let how = if covered { "covered, not as written" } else { "missing" };
                    let mode = if variant == Variant::AsIs { "body present" } else { "body deleted" };
                    misses.push(format!(
                        "{mode}: {} {} {}:{} ({}, {how}): {line_text}",
                        task.id,
                        expected.name,
                        expected.file,
                        expected.line,
                        if is_open { "open" } else { "workspace" },
                    ));
                }
            }
        }
    }
    let halves: Vec<Option<Half>> = match only_half {
        Some(half) => vec![Some(half)],
        None => vec![Some(Half::Develop), Some(Half::HeldOut), None],
    };
    for half in halves {
        print_table(&tallies, half);
    }
    timings.sort();
    if let (Some(median), Some(slowest)) = (timings.get(timings.len() / 2), timings.last()) {
        println!(
            "\n{} tasks; context per task (file as it is, index built) p50 {:.2} ms, max {:.2} ms",
            tasks.len(),
            median.as_secs_f64() * 1000.0,
            slowest.as_secs_f64() * 1000.0
        );
    }
    if show_misses {
        misses.sort();
        println!("\nNot recalled as written:");
        for miss in &misses {
            println!("  {miss}");
        }
    }
}

fn print_table(tallies: &BTreeMap<TallyKey, Tally>, half: Option<Half>) {
    let languages = ["python", "rust", "typescript", "go", "javascript"];
    let sum = |language: Option<&str>, open: Option<bool>, variant: Variant| {
        let mut total = Tally::default();
        for (key, tally) in tallies {
            if half.is_some_and(|half| half != key.half)
                || language.is_some_and(|language| language != key.language)
                || open.is_some_and(|open| open != key.is_open)
                || key.variant != variant
            {
                continue;
            }
            total.total += tally.total;
            total.recalled += tally.recalled;
            total.strict += tally.strict;
        }
        total
    };
    println!("\nContext recall, {}: recall / strict (definition line as written)\n", Half::title(half));
    println!(
        "| language | definitions | body present | open tabs | workspace | body deleted | open tabs | workspace |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let rows: Vec<Option<&str>> = languages.iter().map(|language| Some(*language)).chain([None]).collect();
    for language in rows {
        let all = sum(language, None, Variant::AsIs);
        if all.total == 0 {
            continue;
        }
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            language.unwrap_or("**all**"),
            all.total,
            all.cell(),
            sum(language, Some(true), Variant::AsIs).cell(),
            sum(language, Some(false), Variant::AsIs).cell(),
            sum(language, None, Variant::BodyDeleted).cell(),
            sum(language, Some(true), Variant::BodyDeleted).cell(),
            sum(language, Some(false), Variant::BodyDeleted).cell(),
        );
    }
}

/// The context's sections for a task, with the cursor window as the two last sections,
/// exactly as `glm-lsp context --json` lists them.
fn context_sections(
    task: &Task,
    repo_dir: &Path,
    index: &WorkspaceIndex,
    exclude: &Exclude,
    variant: Variant,
    print: bool,
) -> Vec<ShownSection> {
    let path = repo_dir.join(&task.file);
    let original = std::fs::read_to_string(&path).expect("the task's file is in its archive");
    let as_is = load(&path, &original);
    let position = Position::new(task.cursor.line, task.cursor.character);
    let offset = offset_of(&as_is.rope, position, PositionEncoding::Utf16).expect("the cursor is inside the file");
    let document = match variant {
        Variant::AsIs => as_is,
        Variant::BodyDeleted => load(&path, &delete_body(&original, offset, task.body_range.end_line, &task.lang)),
    };
    let mut open_documents = vec![document.clone()];
    for open in &task.open[1..] {
        let open_path = repo_dir.join(open);
        let text = std::fs::read_to_string(&open_path).expect("an open file is in its archive");
        open_documents.push(load(&open_path, &text));
    }
    let context = gather(&ContextInput {
        document: &document,
        offset,
        open_documents: &open_documents,
        workspace: index,
        root: Some(repo_dir),
        budget_tokens: DEFAULT_BUDGET_TOKENS,
        exclude,
    });
    if print {
        print_context(&context);
    }
    let cursor_line = task.cursor.line as usize;
    let mut shown: Vec<ShownSection> = context
        .sections
        .iter()
        .map(|section| ShownSection {
            file: section.file.clone(),
            start_line: section.start_line,
            end_line: section.end_line,
            text: section.text.clone(),
        })
        .collect();
    shown.push(ShownSection {
        file: task.file.clone(),
        start_line: cursor_line.saturating_sub(context.prefix.matches('\n').count()),
        end_line: cursor_line,
        text: context.prefix.clone(),
    });
    shown.push(ShownSection {
        file: task.file.clone(),
        start_line: cursor_line,
        end_line: cursor_line + context.suffix.trim_end_matches('\n').matches('\n').count(),
        text: context.suffix.clone(),
    });
    shown
}

fn print_context(context: &Context) {
    println!("{} of {} tokens", context.estimated_tokens, context.budget_tokens);
    for section in &context.sections {
        println!(
            "--- {} {}:{}-{} {}",
            section.kind.as_str(),
            section.file,
            section.start_line,
            section.end_line,
            section.symbol.as_deref().unwrap_or("")
        );
        println!("{}", section.text);
    }
    println!("--- prefix ends\n{}", context.prefix.lines().rev().take(5).collect::<Vec<_>>().join("\n"));
}

/// The file with the text from the cursor to the end of the body's last line deleted, as
/// when the user writes the body anew; brace languages keep the closing brace.
fn delete_body(text: &str, offset: usize, end_line: usize, language: &str) -> String {
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(index, _)| index + 1)).collect();
    let end_line_start = line_starts.get(end_line).copied().unwrap_or(text.len());
    let end_line_end = line_starts.get(end_line + 1).map_or(text.len(), |next| next - 1);
    let delete_to = if language == "python" {
        end_line_end
    } else {
        text[end_line_start..end_line_end].find('}').map_or(end_line_end, |brace| end_line_start + brace)
    };
    let delete_to = delete_to.max(offset);
    format!("{}{}", &text[..offset], &text[delete_to..])
}

fn load(path: &Path, text: &str) -> Document {
    let language_id = Language::from_path(path).map_or("plaintext", Language::name);
    Document::new(path_to_uri(path), language_id.to_string(), 0, text)
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().split('\n').map(str::to_string).collect()
}

fn find_devset() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GLM_LSP_DEVSET") {
        let path = PathBuf::from(path);
        return path.join("tasks.jsonl").is_file().then_some(path);
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    checkout
        .ancestors()
        .skip(1)
        .map(|ancestor| ancestor.join("shared/context-devset"))
        .find(|candidate| candidate.join("tasks.jsonl").is_file())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The repository's archive unpacked under `into` (once; later runs reuse it).
fn unpack(devset: &Path, into: &Path, repo: &str) -> Result<PathBuf, String> {
    let name = repo.replace('/', "+");
    let directory = into.join(&name);
    let marker = directory.join(".glm-lsp-unpacked");
    if marker.is_file() {
        return Ok(directory);
    }
    let archive = devset.join("repos").join(format!("{name}.tar.gz"));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).map_err(|error| format!("cannot create {}: {error}", directory.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&directory)
        .status()
        .map_err(|error| format!("cannot run tar: {error}"))?;
    if !status.success() {
        return Err(format!("tar could not unpack {}", archive.display()));
    }
    std::fs::write(&marker, "").map_err(|error| format!("cannot write {}: {error}", marker.display()))?;
    Ok(directory)
}
