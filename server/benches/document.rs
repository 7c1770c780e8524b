//! `didChange` of one character, and the incremental reparse that follows a pause in typing,
//! on 20,000-line Rust and Python files: p50 and p99. Run with
//! `cargo bench -p glm-lsp --bench document`.
//!
//! The server applies a change (rope edit + `Tree::edit`) on every keystroke and reparses the
//! edited tree 40 ms after the last one, or at once when a feature needs exact syntax.

use std::time::{Duration, Instant};

use glm_lsp::document::{ContentChange, Document};
use glm_lsp::text::{Position, PositionEncoding};

fn rust_source(lines: usize) -> String {
    let mut text = String::from("use std::collections::HashMap;\n\n");
    let mut index = 0;
    while text.matches('\n').count() < lines {
        text.push_str(&format!(
            "/// Computes value {index}.\npub fn compute_{index}(input: &[u32], scale: u32) -> u32 {{\n    let mut total = 0;\n    for value in input {{\n        total += value * scale + {index};\n    }}\n    total\n}}\n\n"
        ));
        index += 1;
    }
    text
}

fn python_source(lines: usize) -> String {
    let mut text = String::from("import math\n\n");
    let mut index = 0;
    while text.matches('\n').count() < lines {
        text.push_str(&format!(
            "def compute_{index}(values, scale):\n    \"\"\"Computes value {index}.\"\"\"\n    total = 0\n    for value in values:\n        total += value * scale + {index}\n    return total\n\n\n"
        ));
        index += 1;
    }
    text
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

/// Types into identifiers across the file and times each change and the reparse after it.
fn measure(name: &str, language_id: &str, text: &str) {
    let mut document = Document::new(format!("file:///bench/{name}"), language_id.into(), 1, text);
    let lines: Vec<&str> = text.lines().collect();
    // Lines with an identifier to type into: after `total`, as when renaming or extending it.
    let sites: Vec<(u32, u32)> = lines
        .iter()
        .enumerate()
        .filter_map(|(number, line)| line.find("total").map(|column| (number as u32, (column + 5) as u32)))
        .collect();
    let mut version = 1;
    let mut change_times = Vec::new();
    let mut reparse_times = Vec::new();
    let mut both_times = Vec::new();
    let mut apply = |document: &mut Document, change: ContentChange| {
        version += 1;
        let started = Instant::now();
        document.apply_changes(version, &[change], PositionEncoding::Utf16).unwrap();
        let changed = started.elapsed();
        document.refresh_tree();
        let total = started.elapsed();
        change_times.push(changed);
        reparse_times.push(total - changed);
        both_times.push(total);
    };
    for iteration in 0..600usize {
        let (line, column) = sites[(iteration * 7919) % sites.len()];
        let at = Position::new(line, column);
        // Type into an identifier (the code stays valid), then a `(` that breaks the syntax,
        // then delete it again.
        apply(&mut document, ContentChange { range: Some((at, at)), text: "x".into() });
        let after = Position::new(line, column + 1);
        apply(&mut document, ContentChange { range: Some((after, after)), text: "(".into() });
        let end = Position::new(line, column + 2);
        apply(&mut document, ContentChange { range: Some((after, end)), text: String::new() });
    }
    for (label, samples) in [
        ("didChange (rope + Tree::edit)", &mut change_times),
        ("incremental reparse after the pause", &mut reparse_times),
        ("both together", &mut both_times),
    ] {
        samples.sort();
        println!(
            "{name} ({} lines), {label}: p50 {:?}  p99 {:?}  max {:?}  (n={})",
            lines.len(),
            percentile(samples, 0.5),
            percentile(samples, 0.99),
            samples.last().unwrap(),
            samples.len(),
        );
    }
}

fn main() {
    measure("big.rs", "rust", &rust_source(20_000));
    measure("big.py", "python", &python_source(20_000));
}
