//! `didChange` of one character plus the incremental reparse, on 20,000-line Rust and Python
//! files: p50 and p99. Run with `cargo bench -p glm-lsp --bench document`.

use std::time::{Duration, Instant};

use glm_lsp::document::{ContentChange, Document};
use glm_lsp::text::{Position, PositionEncoding};

fn rust_source(lines: usize) -> String {
    let mut text = String::from("use std::collections::HashMap;\n\n");
    let mut index = 0;
    while text.lines().count() < lines {
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
    while text.lines().count() < lines {
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

fn measure(name: &str, language_id: &str, text: &str) {
    let mut document = Document::new(format!("file:///bench/{name}"), language_id.into(), 1, text);
    let lines = document.rope.len_lines() as u32;
    let mut samples = Vec::new();
    let mut version = 1;
    for iteration in 0..2000u32 {
        // Type one character somewhere in the middle half of the file, on a line with code.
        let line = lines / 4 + (iteration * 7919) % (lines / 2);
        version += 1;
        let change = ContentChange { range: Some((Position::new(line, 4), Position::new(line, 4))), text: "x".into() };
        let started = Instant::now();
        document.apply_changes(version, &[change], PositionEncoding::Utf16).unwrap();
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "didChange + incremental reparse, {name} ({} lines): p50 {:?}  p99 {:?}  max {:?}",
        lines,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().unwrap()
    );
}

fn main() {
    measure("big.rs", "rust", &rust_source(20_000));
    measure("big.py", "python", &python_source(20_000));
}
