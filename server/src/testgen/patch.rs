//! The change as a unified diff that `git apply` accepts: paths relative to the root with
//! `a/` and `b/` prefixes, `/dev/null` for a new file.

use similar::TextDiff;

/// A git-style patch turning `before` (`None`: no file) into `after` at `path` (relative,
/// with `/`). Empty when nothing changes.
pub fn unified(path: &str, before: Option<&str>, after: &str) -> String {
    let old = before.unwrap_or("");
    if before == Some(after) {
        return String::new();
    }
    let diff = TextDiff::configure().algorithm(similar::Algorithm::Myers).diff_lines(old, after);
    let old_name = if before.is_some() { format!("a/{path}") } else { "/dev/null".to_string() };
    let mut patch = format!("diff --git a/{path} b/{path}\n");
    if before.is_none() {
        patch.push_str("new file mode 100644\n");
    }
    let body = diff.unified_diff().context_radius(3).header(&old_name, &format!("b/{path}")).to_string();
    // similar numbers an empty side's range from 1 (`-1,0`); git wants `-0,0`.
    let body = if before.is_none() || old.is_empty() { body.replacen("@@ -1,0 ", "@@ -0,0 ", 1) } else { body };
    patch.push_str(&body);
    if !patch.ends_with('\n') {
        patch.push('\n');
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_come_from_dev_null() {
        let patch = unified("tests/test_a.py", None, "def test_a():\n    pass\n");
        assert_eq!(
            patch,
            "diff --git a/tests/test_a.py b/tests/test_a.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/test_a.py\n@@ -0,0 +1,2 @@\n+def test_a():\n+    pass\n"
        );
    }

    #[test]
    fn changed_files_have_context() {
        let patch = unified("a.rs", Some("fn a() {}\n"), "fn a() {}\n\nfn b() {}\n");
        assert!(patch.contains("--- a/a.rs\n+++ b/a.rs\n@@ -1 +1,3 @@\n fn a() {}\n+\n+fn b() {}\n"), "{patch}");
        assert_eq!(unified("a.rs", Some("x\n"), "x\n"), "");
    }
}
