//! Edits never change what the answer did not change (issue 19), through the built binary and
//! the mock model: a Go file indented with tabs whose raw strings hold space-indented shell
//! script (the whole file looks space-indented), and a real Go function from the dev set.
//!
//! The volume check — 69 functions of ten repositories, actions and completions — runs on the
//! library in `server/tests/real_code_edits.rs`; these cases show the same through the editor's
//! path: the action's `workspace/applyEdit` and the completion item's `textEdit`.

use std::path::{Path, PathBuf};

use glm_lsp_e2e::harness::Setup;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::json;

/// Written for this test: a tab-indented Go file whose raw string is a shell script indented
/// with spaces, more lines of it than of Go.
const INSTALLER: &str = "package setup

import \"errors\"

const script = `#!/bin/sh
set -e
for dir in \"$@\"; do
    if [ -d \"$dir\" ]; then
        echo \"exists: $dir\"
        continue
    fi
    mkdir -p \"$dir\"
    chmod 755 \"$dir\"
    echo \"made: $dir\"
done
`

func install(dirs []string) error {
\tfor _, dir := range dirs {
\t\tif dir == \"\" {
\t\t\treturn errors.New(\"empty\")
\t\t}
\t}
\t
\treturn run(script, dirs)
}
";

/// Leading tabs as four spaces each, as models often return Go.
fn tabs_as_spaces(code: &str) -> String {
    code.split_inclusive('\n')
        .map(|line| {
            let content = line.trim_start_matches('\t');
            format!("{}{content}", "    ".repeat(line.len() - content.len()))
        })
        .collect()
}

fn function_of(text: &str, header: &str) -> String {
    let start = text.find(header).expect("the function is in the file");
    let end = start + text[start..].find("\n}\n").expect("the function ends") + 3;
    text[start..end].to_string()
}

#[tokio::test]
async fn an_action_on_a_tab_indented_go_file_with_space_indented_raw_strings_changes_only_the_changed_line() {
    let mut setup = Setup::new(json!({})).await;
    let uri = "file:///project/setup.go";
    let fixture = INSTALLER.replace("\tfor _, dir", "\tfor$0 _, dir");
    let position = setup.open_fixture(uri, "go", &fixture).await;
    let function = function_of(INSTALLER, "func install");

    // The function as the model writes it back: tabs as spaces, the blank line emptied.
    let respaced = tabs_as_spaces(&function).replace("    \n", "\n");
    setup.mock.push_reply(Reply::text(format!("```go\n{respaced}```")));
    let message = setup.run_action(uri, &position, "GLM: Improve this code").await;
    assert!(message.contains("no changes"), "{message}");
    assert_eq!(setup.client.text(uri), INSTALLER);

    // One line changed: the file differs by that line alone, still indented with tabs.
    let changed = respaced.replace("errors.New(\"empty\")", "errors.New(\"empty directory name\")");
    setup.mock.push_reply(Reply::text(format!("Here is the improved code:\n\n```go\n{changed}```\n")));
    setup.run_action(uri, &position, "GLM: Improve this code").await;
    assert_eq!(
        setup.client.text(uri),
        INSTALLER.replace("errors.New(\"empty\")", "errors.New(\"empty directory name\")")
    );
    setup.wait_idle(std::time::Duration::from_millis(200)).await;
    assert_eq!(setup.take_messages(), ["glm-lsp: the model suggested no changes"]);
    setup.shutdown().await;
}

#[tokio::test]
async fn a_four_line_completion_in_that_go_file_keeps_its_tabs() {
    let mut setup =
        Setup::new(json!({ "completion": { "trigger": "manual", "debounceMs": 0, "maxWaitMs": 2000 } })).await;
    let uri = "file:///project/setup.go";
    let erased = "for _, dir := range dirs {\n\t\tif dir == \"\" {\n\t\t\treturn errors.New(\"empty\")\n\t\t}";
    let fixture = INSTALLER.replacen(erased, "$0", 1);
    assert_ne!(fixture, INSTALLER);
    let position = setup.open_fixture(uri, "go", &fixture).await;
    setup.mock.push_reply(Reply::text(format!("```go\n\t{erased}\n```")));
    let list = setup.complete(uri, &position, true).await;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{list}");
    setup.accept(uri, &items[0]).await;
    assert_eq!(setup.client.text(uri), INSTALLER);
    setup.shutdown().await;
}

/// A real Go function holding a raw string, from the dev set's Go repositories (gin, chi):
/// "Improve this code" answered with the function, tabs as spaces and one line changed.
#[tokio::test]
async fn an_action_on_a_real_go_function_with_a_raw_string_changes_only_the_changed_line() {
    let Some(devset) = find_devset() else {
        println!("real_code_edits: no dev set (set GLM_LSP_DEVSET or put shared/context-devset beside the checkout); skipped");
        return;
    };
    let unpacked = std::env::temp_dir().join(format!("glm-lsp-e2e-real-code-{}", std::process::id()));
    let mut found = None;
    for name in ["gin-gonic+gin", "go-chi+chi"] {
        let directory = unpacked.join(name);
        unpack(&devset.join("repos").join(format!("{name}.tar.gz")), &directory);
        let mut files = Vec::new();
        collect_go_files(&directory, &mut files);
        files.sort();
        found = files.iter().find_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let function = go_functions(&text).into_iter().find(|function| {
                function.contains('`')
                    && function.lines().count() >= 5
                    && function.lines().nth(1).is_some_and(|line| line.starts_with('\t') && !line.contains('`'))
            })?;
            Some((text.clone(), function))
        });
        if found.is_some() {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&unpacked);
    let (text, function) = found.expect("the dev set's Go repositories have a function with a raw string");

    let first_body_line = function.lines().nth(1).unwrap();
    let changed_line = format!("{first_body_line} // checked");
    let changed_function = function.replacen(first_body_line, &changed_line, 1);
    let expected = text.replacen(&function, &changed_function, 1);
    let mut setup = Setup::new(json!({})).await;
    let uri = "file:///project/real.go";
    let at = text.find(&function).unwrap() + function.find('\n').unwrap() + 2;
    let fixture = format!("{}$0{}", &text[..at], &text[at..]);
    let position = setup.open_fixture(uri, "go", &fixture).await;
    setup.mock.push_reply(Reply::text(format!("```go\n{}```", tabs_as_spaces(&changed_function))));
    setup.run_action(uri, &position, "GLM: Improve this code").await;
    let result = setup.client.text(uri);
    assert!(result == expected, "the file differs beyond the changed line:\n{result}");
    setup.shutdown().await;
}

/// The top-level functions of a Go file (from a `func` line at column 0 to its closing `}`).
fn go_functions(text: &str) -> Vec<String> {
    let mut functions = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("\nfunc ") {
        let from = &rest[start + 1..];
        let Some(end) = from.find("\n}\n") else { break };
        functions.push(from[..end + 3].to_string());
        rest = &from[end + 2..];
    }
    functions
}

fn collect_go_files(directory: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_go_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "go") {
            files.push(path);
        }
    }
}

/// The dev set as `server/benches/devset.rs` finds it.
fn find_devset() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GLM_LSP_DEVSET") {
        let path = PathBuf::from(path);
        return path.join("repos").is_dir().then_some(path);
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    checkout
        .ancestors()
        .skip(1)
        .map(|ancestor| ancestor.join("shared/context-devset"))
        .find(|candidate| candidate.join("repos").is_dir())
}

fn unpack(archive: &Path, directory: &Path) {
    let _ = std::fs::remove_dir_all(directory);
    std::fs::create_dir_all(directory).unwrap();
    let status = std::process::Command::new("tar").arg("-xzf").arg(archive).arg("-C").arg(directory).status();
    assert!(status.is_ok_and(|status| status.success()), "tar could not unpack {}", archive.display());
}
