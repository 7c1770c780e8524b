//! The test functions of a test file, found with tree-sitter: to tell new tests from
//! existing ones, to run just the new ones by name, and to remove the ones that fail.

use std::ops::Range;

use tree_sitter::Node;

use crate::language::{parse_str, Language};

/// One test in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestItem {
    /// The test's own name: `adds_numbers`, `test_empty`, `TestAdd`, `"adds two numbers"`.
    pub name: String,
    /// The names of the groups around it, outermost first: the Rust modules, the Python
    /// class, the JavaScript `describe` blocks, the Java class.
    pub groups: Vec<String>,
    /// Whole lines of the item: from its first attribute, decorator or doc comment to the
    /// end of its last line, line break included.
    pub range: Range<usize>,
    /// The runner reports it as several cases (`test_x[1-2]`, rstest's `test_x::case_1`,
    /// `it.each`'s titles): verification maps them back to it.
    pub cases: bool,
}

impl TestItem {
    /// The groups and the name joined with `sep` (`tests::adds`, `TestStack::test_push`).
    pub fn path(&self, sep: &str) -> String {
        let mut parts = self.groups.clone();
        parts.push(self.name.clone());
        parts.join(sep)
    }
}

/// The tests in `text`, in source order. Unparseable text gives whatever tree-sitter's error
/// recovery still recognises.
pub fn find(language: Language, text: &str) -> Vec<TestItem> {
    scan(language, text).0
}

/// The tests in `text` and whether it parses without syntax errors, from one parse.
pub fn scan(language: Language, text: &str) -> (Vec<TestItem>, bool) {
    let Some(tree) = parse_str(language, text) else {
        return (Vec::new(), false);
    };
    let mut items = Vec::new();
    walk(language, text, tree.root_node(), &mut Vec::new(), &mut items);
    items.sort_by_key(|item| item.range.start);
    items.dedup_by(|later, earlier| later.range.start < earlier.range.end);
    (items, !tree.root_node().has_error())
}

/// Whether the text parses without syntax errors.
pub fn parses_cleanly(language: Language, text: &str) -> bool {
    parse_str(language, text).is_some_and(|tree| !tree.root_node().has_error())
}

/// `text` without the tests whose paths (groups and name joined by `::`) are in `paths`.
pub fn remove(language: Language, text: &str, paths: &[String]) -> String {
    let mut ranges: Vec<Range<usize>> = find(language, text)
        .into_iter()
        .filter(|item| paths.contains(&item.path("::")))
        .map(|item| with_blank_line_before(text, item.range))
        .collect();
    ranges.sort_by_key(|range| range.start);
    let mut result = String::with_capacity(text.len());
    let mut position = 0;
    for range in ranges {
        if range.start < position {
            continue;
        }
        result.push_str(&text[position..range.start]);
        position = range.end;
    }
    result.push_str(&text[position..]);
    result
}

/// A removed item takes the blank lines that separated it from the item before along (or,
/// first in its block, those after it), so no double gap is left.
fn with_blank_line_before(text: &str, range: Range<usize>) -> Range<usize> {
    let is_blank = |line: &str| line.trim().is_empty();
    let mut start = range.start;
    while start > 0 {
        let before = &text[..start - 1];
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        if line_start == 0 || !is_blank(&text[line_start..start]) {
            break;
        }
        start = line_start;
    }
    if start < range.start {
        return start..range.end;
    }
    let mut end = range.end;
    while end < text.len() {
        let line_end = text[end..].find('\n').map_or(text.len(), |index| end + index + 1);
        if !is_blank(&text[end..line_end]) {
            break;
        }
        end = line_end;
    }
    range.start..end
}

fn walk(language: Language, text: &str, node: Node, groups: &mut Vec<String>, items: &mut Vec<TestItem>) {
    if let Some(item) = test_item(language, text, node, groups) {
        items.push(item);
        return;
    }
    let group = group_name(language, text, node);
    if let Some(group) = &group {
        groups.push(group.clone());
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        walk(language, text, child, groups, items);
    }
    if group.is_some() {
        groups.pop();
    }
}

fn node_text<'a>(text: &'a str, node: Node) -> &'a str {
    text.get(node.byte_range()).unwrap_or_default()
}

fn field_text<'a>(text: &'a str, node: Node, field: &str) -> Option<&'a str> {
    node.child_by_field_name(field).map(|child| node_text(text, child))
}

/// A name that contributes to a test's path: a Rust module, a Python or Java class, a
/// JavaScript `describe` block.
fn group_name(language: Language, text: &str, node: Node) -> Option<String> {
    match (language, node.kind()) {
        (Language::Rust, "mod_item") => field_text(text, node, "name").map(str::to_string),
        (Language::Python, "class_definition") | (Language::Java, "class_declaration") => {
            field_text(text, node, "name").map(str::to_string)
        }
        (Language::JavaScript | Language::TypeScript | Language::Tsx, "call_expression") => {
            let callee = field_text(text, node, "function")?;
            if matches!(callee, "describe" | "suite" | "describe.only" | "describe.each" | "context" | "QUnit.module") {
                js_first_string(text, node)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn test_item(language: Language, text: &str, node: Node, groups: &[String]) -> Option<TestItem> {
    let (name, item_node) = match (language, node.kind()) {
        (Language::Rust, "function_item") => {
            let start = first_attribute(node)?;
            let attributes = rust_attributes(text, node);
            if !attributes.iter().any(|attribute| is_rust_test_attribute(attribute)) {
                return None;
            }
            return Some(TestItem {
                name: field_text(text, node, "name")?.to_string(),
                groups: groups.to_vec(),
                range: whole_lines(text, start.start_byte()..node.end_byte()),
                cases: attributes.iter().any(|attribute| is_rust_cases_attribute(attribute)),
            });
        }
        (Language::Python, "function_definition") => {
            let name = field_text(text, node, "name")?;
            if !name.starts_with("test") {
                return None;
            }
            // Module level, or a method of a test class.
            let parent = node.parent()?;
            let holder = if parent.kind() == "decorated_definition" { parent } else { node };
            let container = holder.parent()?;
            let at_module = container.kind() == "module";
            let in_class = container.kind() == "block"
                && container.parent().is_some_and(|class| class.kind() == "class_definition");
            if !at_module && !in_class {
                return None;
            }
            (name.to_string(), holder)
        }
        (Language::Go, "function_declaration") => {
            let name = field_text(text, node, "name")?;
            let parameters = field_text(text, node, "parameters").unwrap_or_default();
            if !(name.starts_with("Test") && parameters.contains("testing.T")) {
                return None;
            }
            (name.to_string(), node)
        }
        (Language::JavaScript | Language::TypeScript | Language::Tsx, "expression_statement") => {
            let call = node.named_child(0).filter(|child| child.kind() == "call_expression")?;
            let callee = field_text(text, call, "function")?;
            let base = callee.split('.').next().unwrap_or_default();
            let runner_object = matches!(callee, "t.test" | "tap.test" | "QUnit.test" | "QUnit.only");
            if !(matches!(base, "test" | "it") || runner_object) || callee.ends_with(".each") {
                return None;
            }
            (js_first_string(text, call)?, node)
        }
        (Language::Java, "method_declaration") => {
            let mut cursor = node.walk();
            let modifiers = node.children(&mut cursor).find(|child| child.kind() == "modifiers")?;
            let annotations = node_text(text, modifiers);
            let is_test = ["@Test", "@ParameterizedTest", "@RepeatedTest"]
                .iter()
                .any(|annotation| annotations.split_whitespace().any(|word| word.starts_with(annotation)));
            if !is_test {
                return None;
            }
            (field_text(text, node, "name")?.to_string(), node)
        }
        (Language::C | Language::Cpp, "function_definition") => {
            // GoogleTest: TEST(Suite, Name) { ... } parses as a function definition.
            let declarator = node.child_by_field_name("declarator")?;
            let macro_name = declarator.child_by_field_name("declarator").map(|name| node_text(text, name))?;
            if !matches!(macro_name, "TEST" | "TEST_F" | "TEST_P") {
                return None;
            }
            let parameters = field_text(text, declarator, "parameters")?;
            let inner = parameters.trim().trim_start_matches('(').trim_end_matches(')');
            let mut parts = inner.split(',').map(str::trim);
            let (suite, name) = (parts.next()?, parts.next()?);
            return Some(TestItem {
                name: name.to_string(),
                groups: vec![suite.to_string()],
                range: whole_lines(text, leading_comments(node).start_byte()..node.end_byte()),
                cases: macro_name == "TEST_P",
            });
        }
        _ => return None,
    };
    let cases = match language {
        Language::Python => node_text(text, item_node).contains("parametrize"),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            node_text(text, item_node).split('(').next().is_some_and(|callee| callee.contains(".each"))
                || is_name_template(&name)
        }
        Language::Java => node_text(text, item_node).contains("@ParameterizedTest"),
        _ => false,
    };
    Some(TestItem {
        name,
        groups: groups.to_vec(),
        range: whole_lines(text, leading_comments(item_node).start_byte()..item_node.end_byte()),
        cases,
    })
}

fn is_rust_test_attribute(attribute: &str) -> bool {
    let inner = attribute.trim_start_matches("#[").trim_end_matches(']').trim();
    let path = inner.split(['(', ' ']).next().unwrap_or_default();
    path == "test" || path.ends_with("::test") || path == "rstest" || path == "test_case"
}

/// rstest's `#[case(…)]`/`#[values(…)]` and `test_case` make a test per case, named
/// `test_x::case_1`.
fn is_rust_cases_attribute(attribute: &str) -> bool {
    let inner = attribute.trim_start_matches("#[").trim();
    ["case", "rstest::case", "test_case", "values"]
        .iter()
        .any(|path| inner.strip_prefix(path).is_some_and(|rest| rest.trim_start().starts_with('(')))
}

/// A JavaScript test title with placeholders the runner fills in per case: `%s`, `%i`,
/// `$name`, `${value}`.
pub fn is_name_template(name: &str) -> bool {
    regex_placeholder().is_match(name)
}

fn regex_placeholder() -> &'static regex::Regex {
    static PLACEHOLDER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PLACEHOLDER.get_or_init(|| regex::Regex::new(r"%[sdifjoOpc#]|\$[A-Za-z_][\w.]*|\$\{[^}]*\}").unwrap())
}

/// A glob (AVA's `--match`) for the titles of `name`'s cases: each placeholder is `*`; a
/// leading `!` (negation to AVA) is a wildcard too.
pub fn title_glob(name: &str) -> String {
    let glob = regex_placeholder().replace_all(name, "*").replace("%%", "%");
    match glob.strip_prefix('!') {
        Some(rest) => format!("*{rest}"),
        None => glob,
    }
}

/// A regex (JavaScript and Rust syntax alike) that matches the titles a runner gives the
/// cases of `name`: each placeholder matches anything, the rest literally.
pub fn title_pattern(name: &str) -> String {
    let mut pattern = String::new();
    let mut last = 0;
    for found in regex_placeholder().find_iter(name) {
        pattern.push_str(&regex::escape(&name[last..found.start()]));
        pattern.push_str(if found.as_str() == "%#" { "[0-9]+" } else { ".*" });
        last = found.end();
    }
    pattern.push_str(&regex::escape(&name[last..]));
    pattern.replace("%%", "%")
}

fn rust_attributes<'a>(text: &'a str, node: Node) -> Vec<&'a str> {
    super::target::attributes_before(text, node)
}

/// The first of the attributes and comments directly before a Rust item; `None` when the
/// item has no attribute (and so cannot be a test).
fn first_attribute(node: Node) -> Option<Node> {
    let mut first = None;
    let mut previous = node.prev_sibling();
    while let Some(sibling) = previous {
        match sibling.kind() {
            "attribute_item" => first = Some(sibling),
            "line_comment" | "block_comment" if first.is_some() || is_doc_comment_sibling(sibling) => {
                first = Some(sibling)
            }
            _ => break,
        }
        previous = sibling.prev_sibling();
    }
    first.map(|attribute| leading_comments(attribute))
}

fn is_doc_comment_sibling(node: Node) -> bool {
    node.end_position().row + 1 >= node.next_sibling().map_or(0, |next| next.start_position().row)
}

/// The item itself, or the first of the comments right above it (no blank line between).
fn leading_comments(node: Node) -> Node {
    let mut first = node;
    while let Some(previous) = first.prev_sibling() {
        let is_comment = previous.kind().contains("comment");
        let adjacent = previous.end_position().row + 1 >= first.start_position().row;
        if is_comment && adjacent {
            first = previous;
        } else {
            break;
        }
    }
    first
}

fn js_first_string(text: &str, call: Node) -> Option<String> {
    let arguments = call.child_by_field_name("arguments")?;
    let first = arguments.named_child(0)?;
    let literal = node_text(text, first);
    match first.kind() {
        "string" | "template_string" => {
            let inner = &literal[1..literal.len().saturating_sub(1).max(1)];
            Some(inner.to_string())
        }
        _ => None,
    }
}

/// `range` widened to whole lines, the final line break included.
pub fn whole_lines(text: &str, range: Range<usize>) -> Range<usize> {
    let start = text[..range.start].rfind('\n').map_or(0, |index| index + 1);
    let end = text[range.end..].find('\n').map_or(text.len(), |index| range.end + index + 1);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(language: Language, text: &str) -> Vec<String> {
        find(language, text).iter().map(|item| item.path("::")).collect()
    }

    #[test]
    fn finds_tests_in_every_language() {
        let rust = "fn helper() {}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    /// Adds.\n    #[test]\n    fn adds() {\n        assert_eq!(1, 1);\n    }\n\n    #[tokio::test]\n    async fn waits() {}\n\n    fn not_a_test() {}\n}\n";
        assert_eq!(paths(Language::Rust, rust), ["tests::adds", "tests::waits"]);
        let item = &find(Language::Rust, rust)[0];
        assert!(rust[item.range.clone()].starts_with("    /// Adds.\n    #[test]"), "{:?}", &rust[item.range.clone()]);

        let python = "import pytest\n\ndef helper():\n    pass\n\ndef test_a():\n    assert True\n\n@pytest.mark.slow\ndef test_b():\n    pass\n\nclass TestStack:\n    def test_push(self):\n        pass\n";
        assert_eq!(paths(Language::Python, python), ["test_a", "test_b", "TestStack::test_push"]);
        let item = &find(Language::Python, python)[1];
        assert!(python[item.range.clone()].starts_with("@pytest.mark.slow\n"));

        let go = "package a\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n}\n\nfunc helper() {}\n";
        assert_eq!(paths(Language::Go, go), ["TestAdd"]);

        let ts = "import { describe, it, expect } from 'vitest';\n\ndescribe('add', () => {\n  it('adds', () => {\n    expect(1).toBe(1);\n  });\n});\n\ntest(\"top\", () => {});\n";
        assert_eq!(paths(Language::TypeScript, ts), ["add::adds", "top"]);

        let java = "class CalcTest {\n  @Test\n  void adds() {}\n  void helper() {}\n}\n";
        assert_eq!(paths(Language::Java, java), ["CalcTest::adds"]);

        let cpp = "#include <gtest/gtest.h>\n\nTEST(Calc, Adds) {\n  EXPECT_EQ(1, 1);\n}\n";
        assert_eq!(paths(Language::Cpp, cpp), ["Calc::Adds"]);
    }

    #[test]
    fn removes_tests_by_name_and_their_blank_line() {
        let text = "def test_a():\n    pass\n\n\ndef test_b():\n    assert False\n\n\ndef test_c():\n    pass\n";
        assert_eq!(
            remove(Language::Python, text, &["test_b".to_string()]),
            "def test_a():\n    pass\n\n\ndef test_c():\n    pass\n"
        );
        let rust = "mod tests {\n    #[test]\n    fn a() {}\n\n    #[test]\n    fn b() {}\n}\n";
        assert_eq!(
            remove(Language::Rust, rust, &["tests::b".to_string()]),
            "mod tests {\n    #[test]\n    fn a() {}\n}\n"
        );
    }
}
