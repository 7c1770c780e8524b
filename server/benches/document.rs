//! `didChange` of one character, and the incremental reparse that follows a pause in typing,
//! on 20,000-line Rust and Python files: p50 and p99. Run with
//! `cargo bench -p glm-lsp --bench document`.
//!
//! The server applies a change (rope edit + `Tree::edit`) on every keystroke and reparses the
//! edited tree 40 ms after the last one, or at once when a feature needs exact syntax. The
//! last two lines are the whole keystroke as the server handles it, with the symbol cache.

use std::time::{Duration, Instant};

use glm_lsp::document::{ContentChange, Document};
use glm_lsp::session::Session;
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
    // (change, reparse) times for edits that keep the code valid, and for a `(` typed and
    // deleted again (a transient syntax error, which tree-sitter's error recovery pays for).
    let mut valid: Vec<(Duration, Duration)> = Vec::new();
    let mut transient: Vec<(Duration, Duration)> = Vec::new();
    let mut apply = |document: &mut Document, change: ContentChange| {
        version += 1;
        let started = Instant::now();
        document.apply_changes(version, &[change], PositionEncoding::Utf16).unwrap();
        let changed = started.elapsed();
        document.refresh_tree();
        (changed, started.elapsed() - changed)
    };
    for iteration in 0..600usize {
        let (line, column) = sites[(iteration * 7919) % sites.len()];
        let at = Position::new(line, column);
        valid.push(apply(&mut document, ContentChange { range: Some((at, at)), text: "x".into() }));
        let after = Position::new(line, column + 1);
        transient.push(apply(&mut document, ContentChange { range: Some((after, after)), text: "(".into() }));
        let end = Position::new(line, column + 2);
        transient.push(apply(&mut document, ContentChange { range: Some((after, end)), text: String::new() }));
    }
    for (label, samples) in [("typing into an identifier", &valid), ("typing and deleting a `(`", &transient)] {
        let mut changes: Vec<Duration> = samples.iter().map(|(change, _)| *change).collect();
        let mut reparses: Vec<Duration> = samples.iter().map(|(_, reparse)| *reparse).collect();
        changes.sort();
        reparses.sort();
        println!(
            "{name} ({} lines), {label}: didChange p50 {:?} p99 {:?} | reparse after the pause p50 {:?} p99 {:?} (n={})",
            lines.len(),
            percentile(&changes, 0.5),
            percentile(&changes, 0.99),
            percentile(&reparses, 0.5),
            percentile(&reparses, 0.99),
            samples.len(),
        );
    }
}

/// A keystroke as the server handles it (`Session::change_document`: the rope edit,
/// `Tree::edit` and the symbol cache brought up to date by the edit), typing `count`
/// characters one after the other at one place, as in the completion benchmark; then the
/// reparse after a pause with the facts of the reparsed tree, which runs off the keystroke
/// path.
fn keystrokes(name: &str, language_id: &str, text: &str, count: usize) {
    let session = Session::new();
    let uri = format!("file:///bench/keys-{name}");
    let opened = Instant::now();
    session.open_text(uri.clone(), language_id.into(), 1, text);
    let open_time = opened.elapsed();
    let (line, column) = text
        .lines()
        .enumerate()
        .filter_map(|(number, line)| line.find("total +=").map(|column| (number as u32, (column + 8) as u32)))
        .nth(1000)
        .unwrap();
    let mut keystroke_times = Vec::with_capacity(count);
    let mut reparse_times = Vec::new();
    for index in 0..count {
        let at = Position::new(line, column + index as u32);
        let change = ContentChange { range: Some((at, at)), text: "a".into() };
        let started = Instant::now();
        session.change_document(&uri, index as i32 + 2, &[change]).unwrap().unwrap();
        keystroke_times.push(started.elapsed());
        // A pause in typing every tenth keystroke.
        if index % 10 == 9 {
            let started = Instant::now();
            session.refresh_tree_after_pause(&uri);
            reparse_times.push(started.elapsed());
        }
    }
    keystroke_times.sort();
    reparse_times.sort();
    println!(
        "{name} ({} lines), keystroke (didChange + symbol cache): p50 {:?} p99 {:?} (n={count}) | reparse + facts after a pause p50 {:?} (n={}) | didOpen with facts {:?}",
        text.lines().count(),
        percentile(&keystroke_times, 0.5),
        percentile(&keystroke_times, 0.99),
        percentile(&reparse_times, 0.5),
        reparse_times.len(),
        open_time,
    );
}

fn main() {
    measure("big.rs", "rust", &rust_source(20_000));
    measure("big.py", "python", &python_source(20_000));
    keystrokes("big.rs", "rust", &rust_source(20_000), 205);
    keystrokes("big.py", "python", &python_source(20_000), 205);
}
