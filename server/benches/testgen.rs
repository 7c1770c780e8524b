//! The server's own work in test generation, apart from the model and the test runner:
//! listing "Generate tests" at a cursor (it runs on every code-action request), placing the
//! tests on a real folder, and turning the model's whole test file into checked, minimal
//! edits of a large existing one.
//!
//! Run with `cargo bench -p glm-lsp --bench testgen`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use glm_lsp::document::Document;
use glm_lsp::language::Language;
use glm_lsp::testgen::{candidate, placement, target};

/// A Rust file of `functions` small functions.
fn rust_file(functions: usize) -> String {
    (0..functions)
        .map(|index| format!("/// Step {index}.\npub fn step_{index}(value: u64) -> u64 {{\n    let doubled = value * 2;\n    doubled + {index}\n}}\n\n"))
        .collect()
}

/// A pytest file of `tests` tests (about ten lines each).
fn python_tests(tests: usize) -> String {
    let mut text = String::from("import pytest\n\nfrom calc import add\n\n");
    for index in 0..tests {
        text.push_str(&format!(
            "\n@pytest.mark.parametrize(\"a, b\", [(1, {index}), ({index}, 2)])\ndef test_case_{index}(a, b):\n    # Case {index}: addition is commutative.\n    total = add(a, b)\n    assert total == add(b, a)\n    assert total >= a\n    assert total >= b\n\n"
        ));
    }
    text
}

fn benches(c: &mut Criterion) {
    let source = rust_file(4000);
    let document = Document::new("file:///bench/src/lib.rs".into(), "rust".into(), 1, &source);
    let cursor = source.find("doubled + 3999").unwrap();
    eprintln!("listing: a {}-line file", source.lines().count());
    c.bench_function("list: targets at a cursor in a 24,000-line Rust file", |b| {
        b.iter(|| black_box(glm_lsp::actions::test_targets(&document, &source, cursor..cursor)))
    });

    let root = std::env::temp_dir().join(format!("glm-lsp-bench-testgen-{}", std::process::id()));
    std::fs::create_dir_all(root.join("src/shop")).unwrap();
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"shop\"\n").unwrap();
    std::fs::write(root.join("src/shop/__init__.py"), "").unwrap();
    let cart = "def total(prices):\n    return sum(prices)\n";
    std::fs::write(root.join("src/shop/cart.py"), cart).unwrap();
    let tree = glm_lsp::language::parse_str(Language::Python, cart).unwrap();
    let function = target::targets_at(Language::Python, cart, &tree, 30..30).remove(0);
    let disk = placement::Disk::new(
        glm_lsp::workspace_path::PathGuard::new(&root, std::sync::Arc::default()).expect("the bench folder exists"),
    );
    c.bench_function("place: a Python src layout on disk", |b| {
        b.iter(|| {
            black_box(
                placement::plan(&disk, Some(&root), &root.join("src/shop/cart.py"), cart, Language::Python, &function)
                    .unwrap(),
            )
        })
    });
    std::fs::remove_dir_all(&root).ok();

    let existing = python_tests(200);
    let answer = format!("{existing}\ndef test_new_zero():\n    assert add(0, 0) == 0\n\n\ndef test_new_negative():\n    assert add(-1, -1) == -2\n");
    eprintln!("candidate: an existing test file of {} lines", existing.lines().count());
    c.bench_function("check and diff: 2 new tests into a 1,800-line test file", |b| {
        b.iter(|| {
            let checked = candidate::reconcile(Language::Python, Some(&existing), &answer).unwrap();
            black_box(glm_lsp::diff::edits(&existing, &checked.text))
        })
    });
}

criterion_group! {
    name = testgen;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(testgen);
