//! `diff::edits` on the two shapes a code action produces: one rewritten function, and a
//! whole file returned by the model with a few scattered changes.
//!
//! Run with `cargo bench -p glm-lsp --bench diff`. Besides criterion's timings it prints, for
//! each case, how many edits come out and how many bytes they change, against the bytes a
//! whole-range replacement would change (everything removed plus everything inserted).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use glm_lsp::diff;
use glm_lsp::text::apply_edits;

/// A realistic Rust function body of `lines` lines (loops, matches, calls, comments).
fn function(name: &str, lines: usize) -> String {
    let mut text = format!("pub fn {name}(orders: &[Order], config: &Config) -> Result<Summary, Error> {{\n");
    let mut index = 0;
    while text.lines().count() < lines - 1 {
        text.push_str(&format!(
            "    // Step {index}: accumulate the totals of this batch.\n    let subtotal_{index} = orders\n        .iter()\n        .filter(|order| order.batch == {index})\n        .map(|order| order.price * order.quantity)\n        .sum::<u64>();\n    if subtotal_{index} > config.limit {{\n        return Err(Error::OverLimit {{ batch: {index}, total: subtotal_{index} }});\n    }}\n"
        ));
        index += 1;
    }
    text.push_str("}\n");
    text
}

/// The model's version: renames `orders` to `items` in a few lines and adds a few lines.
fn rewrite(before: &str, every: usize) -> String {
    let mut after = String::with_capacity(before.len() + 1024);
    for (number, line) in before.lines().enumerate() {
        if number % every == 5 && line.contains("orders") {
            after.push_str(&line.replace("orders", "items"));
        } else {
            after.push_str(line);
        }
        after.push('\n');
        if number % (every * 3) == 7 {
            after.push_str("    tracing::trace!(\"checkpoint\");\n");
        }
    }
    after
}

fn report(name: &str, before: &str, after: &str) {
    let edits = diff::edits(before, after);
    assert_eq!(apply_edits(before, &edits), after);
    let (count, changed) = diff::edit_cost(&edits);
    let whole = before.len() + after.len();
    eprintln!(
        "{name}: {} lines -> {count} edits changing {changed} bytes (whole-range replacement: {whole} bytes, {:.2}%)",
        before.lines().count(),
        100.0 * changed as f64 / whole as f64
    );
}

fn bench_edits(criterion: &mut Criterion) {
    let function_before = function("summarize", 300);
    let function_after = rewrite(&function_before, 40);
    let file_before: String = (0..16).map(|index| function(&format!("summarize_{index}"), 300)).collect::<String>()
        + &function("tail", 5_000 - 16 * 300);
    let file_after = rewrite(&file_before, 250);

    report("300-line function", &function_before, &function_after);
    report("5,000-line file", &file_before, &file_after);

    criterion.bench_function("edits/300-line function rewrite", |bencher| {
        bencher.iter(|| diff::edits(black_box(&function_before), black_box(&function_after)))
    });
    criterion.bench_function("edits/5000-line file rewrite", |bencher| {
        bencher.iter(|| diff::edits(black_box(&file_before), black_box(&file_after)))
    });
}

criterion_group!(benches, bench_edits);
criterion_main!(benches);
