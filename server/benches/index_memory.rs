//! Where the workspace index's memory goes: builds the index of a folder in this process and
//! prints the resident memory it added beside what it holds (`WorkspaceIndex::stats`).
//!
//! ```text
//! cargo bench -p glm-lsp-e2e --bench workspace_index    # writes target/tmp/index-workspace-50000
//! cargo bench -p glm-lsp --bench index_memory -- target/tmp/index-workspace-50000
//! ```

use std::path::PathBuf;
use std::time::Instant;

use glm_lsp::context::{Exclude, WorkspaceIndex};

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let default_root = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/tmp/index-workspace-50000");
    let root = std::env::args().skip(1).find(|arg| !arg.starts_with("--")).unwrap_or(default_root.to_string());
    let root = PathBuf::from(root);
    assert!(root.is_dir(), "{} is not a folder: run the workspace_index bench first", root.display());
    let before = resident_kib();
    let index = WorkspaceIndex::new(&Exclude::none());
    let started = Instant::now();
    index.build(std::slice::from_ref(&root));
    let elapsed = started.elapsed();
    let added_mib = resident_kib().saturating_sub(before) as f64 / 1024.0;
    let stats = index.stats();
    let mb = |bytes: usize| bytes as f64 / 1_000_000.0;
    println!(
        "{} files, {} definitions, {} distinct names, built in {:.1} s",
        stats.files,
        stats.definitions,
        stats.names,
        elapsed.as_secs_f64()
    );
    println!(
        "resident memory added: {added_mib:.1} MiB ({:.1} MiB per 10,000 files, {:.0} bytes per definition)",
        added_mib * 10_000.0 / stats.files.max(1) as f64,
        added_mib * 1024.0 * 1024.0 / stats.definitions.max(1) as f64
    );
    println!(
        "text held: signatures {:.1} MB, names {:.1} MB (once as keys, once in each definition), paths {:.1} MB; \
         per-name lists reserve {} slots for {} definitions",
        mb(stats.signature_bytes),
        mb(stats.name_bytes),
        mb(stats.path_bytes),
        stats.list_capacity,
        stats.definitions
    );
}
