use super::*;

const COMPUTE: &str = "def compute():\n    total = add(1, 2)\n    return total\n";

fn python(text: &str) -> Document {
    Document::new("file:///project/compute.py".into(), "python".into(), 1, text)
}

fn answer(code: &str) -> ModelAnswer {
    ModelAnswer { content: format!("```python\n{code}\n```"), finish: Finish::Complete, reasoning_chars: 0 }
}

fn improve(document: &Document, selection: Range<usize>) -> ActionData {
    let offers = offers(document, selection, &[], &Config::default());
    offers.into_iter().find(|offer| offer.title == "GLM: Improve this code").expect("Improve is offered").data
}

/// The document after applying the edits of `answer` for `data`.
fn applied(document: &Document, data: &ActionData, code: &str) -> Result<String, ActionError> {
    let base = document.text();
    let edit = apply_answer(&base, data, &answer(code), document)?;
    let mut text = base;
    for edit in edit.edits.iter().rev() {
        text.replace_range(edit.range.clone(), &edit.new_text);
    }
    Ok(text)
}

#[test]
fn a_one_character_selection_is_a_cursor_and_targets_the_enclosing_function() {
    let document = python(COMPUTE);
    // Helix's cursor on the first `t` of `total`: the range (1,4)-(1,5).
    let at = COMPUTE.find("total").unwrap();
    assert_eq!(improve(&document, at..at + 1).target, 0..COMPUTE.len());
    assert_eq!(improve(&document, at..at).target, 0..COMPUTE.len());
    // Helix's cursor on a line's break, and on the function's very first character.
    let line_end = COMPUTE.find('\n').unwrap();
    assert_eq!(improve(&document, line_end..line_end + 1).target, 0..COMPUTE.len());
    assert_eq!(improve(&document, 0..1).target, 0..COMPUTE.len());
    // Two characters are a selection: its lines are the target.
    assert_eq!(improve(&document, at..at + 2).target, rewrite::line_range_for(COMPUTE, at, at));
}

#[test]
fn an_answer_restating_the_def_line_of_a_one_line_target_is_not_nested() {
    let document = python(COMPUTE);
    let at = COMPUTE.find("total").unwrap();
    let data = improve(&document, at..at + 5);
    assert_eq!(&COMPUTE[data.target.clone()], "    total = add(1, 2)\n");
    let result = applied(&document, &data, "def compute():\n    result = add(1, 2)").unwrap();
    assert_eq!(result, "def compute():\n    result = add(1, 2)\n    return total\n");
}

#[test]
fn an_answer_that_would_not_parse_changes_nothing() {
    let text = "fn total(items: &[u32]) -> u32 {\n    let mut sum = 0;\n    sum\n}\n";
    let document = Document::new("file:///project/total.rs".into(), "rust".into(), 1, text);
    let data = improve(&document, text.find("let").unwrap()..text.find("let").unwrap());
    let base = document.text();
    let broken = ModelAnswer {
        content: "```rust\nfn total(items: &[u32]) -> u32 {\n    let mut sum = 0;\n    for item in items {\n        sum += item;\n    sum\n}\n```".into(),
        finish: Finish::Complete,
        reasoning_chars: 0,
    };
    let error = apply_answer(&base, &data, &broken, &document).unwrap_err();
    assert!(matches!(error, ActionError::WouldNotParse { .. }), "{error}");
    assert!(error.to_string().contains("nothing was changed"));
    // The same answer, balanced, is applied.
    let fixed = ModelAnswer { content: broken.content.replace("sum += item;\n", "sum += item;\n    }\n"), ..broken };
    assert!(apply_answer(&base, &data, &fixed, &document).is_ok());
}

#[test]
fn a_region_that_did_not_parse_before_may_be_rewritten() {
    // A fix for a syntax error starts from broken code: only new errors are refused.
    let text = "def compute(:\n    return 1\n\ndef other():\n    return 2\n";
    let document = python(text);
    let data = ActionData {
        uri: document.uri.clone(),
        version: 1,
        target: 0..text.find("\n\ndef other").unwrap() + 1,
        action: ActionKind::Improve,
    };
    let result = applied(&document, &data, "def compute():\n    return 1").unwrap();
    assert_eq!(result, "def compute():\n    return 1\n\ndef other():\n    return 2\n");
}

#[test]
fn a_deeply_nested_answer_is_checked_without_exhausting_the_stack() {
    let nested = |depth: usize, closing: usize| format!("const x = {}{};\n", "[".repeat(depth), "]".repeat(closing));
    let text = nested(3000, 3000);
    let document = Document::new("file:///project/deep.js".into(), "javascript".into(), 1, &text);
    let data = ActionData { uri: document.uri.clone(), version: 1, target: 0..text.len(), action: ActionKind::Improve };
    let broken = ModelAnswer {
        content: format!("```js\n{}```", nested(3000, 2999)),
        finish: Finish::Complete,
        reasoning_chars: 0,
    };
    let error = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || apply_answer(&text, &data, &broken, &document).unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert!(matches!(error, ActionError::WouldNotParse { .. }), "{error}");
}

/// A Go file indented with tabs whose raw strings hold space-indented shell script: the whole
/// file's indentation looks like spaces.
const GO_INSTALLER: &str = "package setup\n\nconst script = `#!/bin/sh\nset -e\nfor dir in \"$@\"; do\n    if [ -d \"$dir\" ]; then\n        echo \"exists: $dir\"\n        continue\n    fi\n    mkdir -p \"$dir\"\n    chmod 755 \"$dir\"\n    echo \"made: $dir\"\ndone\n`\n\nfunc install(dirs []string) error {\n\tfor _, dir := range dirs {\n\t\tif dir == \"\" {\n\t\t\treturn errors.New(\"empty\")\n\t\t}\n\t}\n\t\n\treturn run(script, dirs)\n}\n";

#[test]
fn a_whitespace_only_answer_in_a_tab_indented_go_file_with_raw_strings_changes_nothing() {
    let document = Document::new("file:///project/setup.go".into(), "go".into(), 1, GO_INSTALLER);
    let at = GO_INSTALLER.find("for _, dir").unwrap();
    let data = offers(&document, at..at, &[], &Config::default())
        .into_iter()
        .find(|offer| offer.title == "GLM: Improve this code")
        .unwrap()
        .data;
    let function = &GO_INSTALLER[data.target.clone()];
    assert!(function.starts_with("func install"));
    let go_answer = |code: &str| ModelAnswer {
        content: format!("```go\n{code}\n```"),
        finish: Finish::Complete,
        reasoning_chars: 0,
    };
    // Tabs written as spaces, the blank line's tab dropped: nothing to change.
    let respaced = function.replace('\t', "    ").replace("    \n", "\n");
    let error = apply_answer(GO_INSTALLER, &data, &go_answer(&respaced), &document).unwrap_err();
    assert_eq!(error, ActionError::Unchanged);
    // One line changed: that line alone, still indented with tabs.
    let changed = respaced.replace("errors.New(\"empty\")", "errors.New(\"empty directory name\")");
    let edit = apply_answer(GO_INSTALLER, &data, &go_answer(&changed), &document).unwrap();
    assert_eq!(
        crate::text::apply_edits(GO_INSTALLER, &edit.edits),
        GO_INSTALLER.replace("errors.New(\"empty\")", "errors.New(\"empty directory name\")")
    );
    // A new line lands among the tabs too.
    let added = respaced.replace("    return run", "    log.Println(\"installing\")\n    return run");
    let edit = apply_answer(GO_INSTALLER, &data, &go_answer(&added), &document).unwrap();
    assert_eq!(
        crate::text::apply_edits(GO_INSTALLER, &edit.edits),
        GO_INSTALLER.replace("\treturn run", "\tlog.Println(\"installing\")\n\treturn run")
    );
}
