//! The code map's rules, checked on the source: the modules of the crate depend on each
//! other without cycles, and only the protocol edge names the LSP library.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its text less comments and test modules.
fn sources() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut pending = vec![src.clone()];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs")
                && path.file_name().is_some_and(|name| name != "tests.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                let code: String =
                    code.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
                files.push((path.strip_prefix(&src).unwrap().to_path_buf(), code));
            }
        }
    }
    files
}

/// The top-level module a file belongs to (`context/index.rs` is `context`).
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn top_level_modules_depend_on_each_other_without_cycles() {
    let modules: BTreeSet<String> = sources().iter().map(|(path, _)| module_of(path)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, code) in sources() {
        let from = module_of(&path);
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name != from && modules.contains(&name) && name != "main" {
                edges.entry(from.clone()).or_default().insert(name);
            }
        }
    }
    // Depth-first search for a back edge; report the cycle's path.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in &modules {
        let cycle = visit(module, &edges, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "modules import each other in a cycle: {}", cycle.unwrap().join(" -> "));
    }
}

#[test]
fn only_the_protocol_edge_names_the_lsp_library() {
    let outside: Vec<String> = sources()
        .into_iter()
        .filter(|(path, code)| {
            !path.starts_with("lsp")
                && path != Path::new("lsp.rs")
                && path != Path::new("main.rs")
                && (code.contains("tower_lsp_server") || code.contains("ls_types"))
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(outside.is_empty(), "LSP types outside lsp/: {outside:?}");
}
