//! Context engine benchmarks: assembly at a position in a 20,000-line file with 20 open
//! files and a 2,000-file workspace index; index build time and memory; and how much of
//! each prompt is a cache-stable prefix over 50 completion requests while typing.
//!
//! `cargo bench -p glm-lsp --bench context` (criterion), which also prints p50/p99 and the
//! prefix-share figures to stderr.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use glm_lsp::context::{gather, path_to_uri, ContextInput, Exclude, WorkspaceIndex};
use glm_lsp::document::{ContentChange, Document};
use glm_lsp::prompt;
use glm_lsp::text::{position_of, PositionEncoding};

const WORKSPACE_FILES: usize = 2000;
const OPEN_FILES: usize = 20;
const BIG_FILE_LINES: usize = 20_000;

fn workspace_file(index: usize) -> String {
    let mut text = format!("use crate::shared::Config;\n\n/// Record {index}.\npub struct Record{index} {{\n    pub id: u64,\n    pub name: String,\n}}\n\nimpl Record{index} {{\n");
    for method in 0..4 {
        text.push_str(&format!("    pub fn method_{method}(&self, value: u64) -> u64 {{\n        let doubled = value * 2;\n        doubled + self.id + {method}\n    }}\n\n"));
    }
    text.push_str("}\n\n");
    text.push_str(&format!("pub fn compute_{index}(input: &Record{index}, config: &Config) -> u64 {{\n    let mut total = input.id;\n    for step in 0..10 {{\n        total += step;\n    }}\n    total\n}}\n"));
    text
}

fn big_file() -> String {
    let mut text = String::from("use crate::records::*;\nuse std::collections::HashMap;\n\n");
    let mut function = 0;
    while text.matches('\n').count() < BIG_FILE_LINES {
        text.push_str(&format!(
            "pub fn local_{function}(map: &mut HashMap<u64, u64>, record: &Record{r}) -> u64 {{\n    let value = compute_{r}(record, &Config::default());\n    map.insert(value, {function});\n    let other = local_helper_{function}(value);\n    other + record.method_1(value)\n}}\n\nfn local_helper_{function}(value: u64) -> u64 {{\n    value * 3 + 1\n}}\n\n",
            r = function % WORKSPACE_FILES
        ));
        function += 1;
    }
    text
}

struct Setup {
    _root: TempRoot,
    root: PathBuf,
    document: Document,
    open: Vec<Document>,
    workspace: WorkspaceIndex,
    exclude: Exclude,
    offset: usize,
}

struct TempRoot(PathBuf);

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_workspace() -> TempRoot {
    let root = std::env::temp_dir().join(format!("glm-lsp-bench-context-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for index in 0..WORKSPACE_FILES {
        let path = root.join(format!("src/module_{}/record_{index}.rs", index / 100));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, workspace_file(index)).unwrap();
    }
    TempRoot(root)
}

fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn setup() -> Setup {
    let temp = write_workspace();
    let root = temp.0.clone();
    let exclude = Exclude::default();
    let workspace = WorkspaceIndex::new(&exclude);
    let before = rss_kib();
    let started = Instant::now();
    workspace.build(std::slice::from_ref(&root));
    eprintln!(
        "index build: {} files, {} symbols in {:.0} ms, RSS +{} KiB",
        workspace.file_count(),
        workspace.symbol_count(),
        started.elapsed().as_secs_f64() * 1000.0,
        rss_kib().saturating_sub(before)
    );
    let text = big_file();
    let big_path = root.join("src/big.rs");
    std::fs::write(&big_path, &text).unwrap();
    let document = Document::new(path_to_uri(&big_path), "rust".into(), 1, &text);
    let mut open = vec![document.clone()];
    for index in 0..OPEN_FILES {
        let path = root.join(format!("src/module_0/record_{}.rs", index * 3));
        let source = std::fs::read_to_string(&path).unwrap();
        open.push(Document::new(path_to_uri(&path), "rust".into(), 1, &source));
    }
    let offset = text.find("pub fn local_1500(").unwrap()
        + text[text.find("pub fn local_1500(").unwrap()..].find("map.insert").unwrap();
    Setup { _root: temp, root, document, open, workspace, exclude, offset }
}

fn input<'a>(setup: &'a Setup, document: &'a Document, offset: usize) -> ContextInput<'a> {
    ContextInput {
        document,
        offset,
        open_documents: &setup.open,
        workspace: &setup.workspace,
        root: Some(&setup.root),
        budget_tokens: 6000,
        exclude: &setup.exclude,
    }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 99 / 100])
}

fn benches(c: &mut Criterion) {
    let setup = setup();

    // Context assembly at a fixed position (symbol caches warm, as between keystrokes).
    let context = gather(&input(&setup, &setup.document, setup.offset));
    eprintln!(
        "context: {} sections, {} of {} tokens",
        context.sections.len(),
        context.estimated_tokens,
        context.budget_tokens
    );
    let samples: Vec<Duration> = (0..300)
        .map(|_| {
            let started = Instant::now();
            black_box(gather(&input(&setup, &setup.document, setup.offset)));
            started.elapsed()
        })
        .collect();
    let (p50, p99) = percentiles(samples);
    eprintln!("gather (20k lines, 20 open, 2000 indexed): p50 {p50:?} p99 {p99:?}");
    c.bench_function("gather_20k_lines_20_open_2000_indexed", |b| {
        b.iter(|| gather(black_box(&input(&setup, &setup.document, setup.offset))))
    });

    // The same function with its body not yet written (issue 21): the empty-body gathering
    // reads the uses around the cursor as well.
    let full = setup.document.full_text();
    let function_start = full.find("pub fn local_1500(").unwrap();
    let body_start = function_start + full[function_start..].find("{\n").unwrap() + 2;
    let body_end = body_start + full[body_start..].find("\n}").unwrap();
    let emptied = format!("{}    {}", &full[..body_start], &full[body_end..]);
    let empty_offset = body_start + 4;
    let empty_document = Document::new(setup.document.uri.clone(), "rust".into(), 1, &emptied);
    let context = gather(&input(&setup, &empty_document, empty_offset));
    eprintln!(
        "empty body: {} sections, {} of {} tokens",
        context.sections.len(),
        context.estimated_tokens,
        context.budget_tokens
    );
    let samples: Vec<Duration> = (0..300)
        .map(|_| {
            let started = Instant::now();
            black_box(gather(&input(&setup, &empty_document, empty_offset)));
            started.elapsed()
        })
        .collect();
    let (p50, p99) = percentiles(samples);
    eprintln!("gather, empty body (20k lines, 20 open, 2000 indexed): p50 {p50:?} p99 {p99:?}");

    // Typing: 50 keystrokes at the cursor, each an incremental edit then a completion prompt.
    let mut document = setup.document.clone();
    let mut offset = setup.offset;
    let mut previous: Option<Vec<prompt::ChatMessage>> = None;
    let (mut shares, mut keystrokes) = (Vec::new(), Vec::new());
    for character in "let extra = compute_7(record, &cfg) + local_2(map);".chars().cycle().take(50) {
        let position = position_of(&document.rope, offset, PositionEncoding::Utf16);
        let change = ContentChange { range: Some((position, position)), text: character.to_string() };
        let started = Instant::now();
        document.apply_changes(document.version + 1, &[change], PositionEncoding::Utf16).unwrap();
        offset += character.len_utf8();
        let mut open = setup.open.clone();
        open[0] = document.clone();
        let context = gather(&ContextInput { open_documents: &open, ..input(&setup, &document, offset) });
        let messages = prompt::completion_messages(&context, "rust", "src/big.rs");
        keystrokes.push(started.elapsed());
        if let Some(previous) = &previous {
            let total: usize = messages.iter().map(|m| m.role.len() + m.content.len()).sum();
            shares.push(prompt::shared_prefix_len(previous, &messages) as f64 / total as f64);
        }
        previous = Some(messages);
    }
    let (p50, p99) = percentiles(keystrokes);
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    let min = shares.iter().cloned().fold(f64::MAX, f64::min);
    eprintln!("typing 50 keystrokes (edit + reparse + context + prompt): p50 {p50:?} p99 {p99:?}");
    eprintln!("cache-stable prompt prefix over 50 requests: mean {:.1}%, min {:.1}%", mean * 100.0, min * 100.0);

    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("build_2000_files", |b| {
        b.iter(|| {
            let workspace = WorkspaceIndex::new(&setup.exclude);
            workspace.build(std::slice::from_ref(&setup.root));
            black_box(workspace.file_count())
        })
    });
    group.finish();
    let _ = Path::new("");
}

/// Assembly where every reference goes through a namespace import and a barrel of 30
/// `export * from` modules of 50 functions each (module-qualified names, issue 21).
fn barrel_benches(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("glm-lsp-bench-barrel-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let _guard = TempRoot(root.clone());
    std::fs::create_dir_all(root.join("src/core")).unwrap();
    let barrel: String = (0..30).map(|m| format!("export * from \"./m{m}.js\"\n")).collect();
    std::fs::write(root.join("src/core/index.ts"), barrel).unwrap();
    for m in 0..30 {
        let functions: String = (0..50)
            .map(|f| format!("export function f{m}_{f}(value: number): number {{\n  return value + {f}\n}}\n"))
            .collect();
        std::fs::write(root.join(format!("src/core/m{m}.ts")), functions).unwrap();
    }
    let calls: String = (0..40).map(|n| format!("  total += core.f{}_{}(total)\n", n % 30, n % 50)).collect();
    let text = format!("import * as core from \"./core/index.js\"\n\nexport function run(): number {{\n  let total = 0\n{calls}  return total\n}}\n");
    let path = root.join("src/app.ts");
    std::fs::write(&path, &text).unwrap();
    let exclude = Exclude::default();
    let workspace = WorkspaceIndex::new(&exclude);
    workspace.build(std::slice::from_ref(&root));
    let document = Document::new(path_to_uri(&path), "typescript".into(), 1, &text);
    let open = vec![document.clone()];
    let input = ContextInput {
        document: &document,
        offset: text.find("return total").unwrap(),
        open_documents: &open,
        workspace: &workspace,
        root: Some(&root),
        budget_tokens: 6000,
        exclude: &exclude,
    };
    let context = gather(&input);
    let samples: Vec<Duration> = (0..300)
        .map(|_| {
            let started = Instant::now();
            black_box(gather(&input));
            started.elapsed()
        })
        .collect();
    let (p50, p99) = percentiles(samples);
    eprintln!(
        "gather (40 calls through a 30-module barrel, {} sections): p50 {p50:?} p99 {p99:?}",
        context.sections.len()
    );
    c.bench_function("gather_through_a_barrel", |b| b.iter(|| gather(black_box(&input))));
}

criterion_group!(context_benches, benches, barrel_benches);
criterion_main!(context_benches);
