//! Module-qualified names end to end: the built server, a workspace indexed in the
//! background, a completion whose prompt (as the mock GLM received it) must show the one
//! definition a module path means — through a TypeScript `export *` barrel, a Rust path to a
//! sibling module file, and a CommonJS object entry — among same-named definitions elsewhere.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::Reply;

/// A server on `project` whose index has read its `files` files.
async fn indexed(project: &TempProject, files: usize) -> Setup {
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("0"));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = setup.status().await;
        if status["indexing"] == false && status["indexedFiles"].as_u64() >= Some(files as u64) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the index did not finish: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    setup
}

/// The prompt of a completion at the `$0` of `fixture`, opened as `relative`.
async fn prompt_at(setup: &mut Setup, project: &TempProject, relative: &str, language: &str, fixture: &str) -> String {
    let uri = project.uri(relative);
    let position = setup.open_fixture(&uri, language, fixture).await;
    setup.complete(&uri, &position, true).await;
    setup.mock.requests().last().expect("the completion reached the model").prompt_text()
}

#[tokio::test]
async fn the_prompt_shows_the_definitions_module_paths_lead_to() {
    let decoys: Vec<(String, String)> = (1..=4)
        .flat_map(|n| {
            [
                (
                    format!("src/other{n}/paths.ts"),
                    format!("export function normalize(x{n}: number): number {{\n  return x{n}\n}}\n"),
                ),
                (
                    format!("crates/other{n}/src/lib.rs"),
                    format!("pub fn render_short(width: u{n}) -> String {{\n    String::new()\n}}\n"),
                ),
                (format!("lib/other{n}.js"), format!("module.exports = {{\n  ERR_TIMEOUT: {n},\n}};\n")),
            ]
        })
        .collect();
    let mut files: Vec<(&str, &str)> = vec![
        ("src/util/index.ts", "export * from \"./paths.js\"\n"),
        ("src/util/paths.ts", "export function normalize(path: string, separator = \"/\"): string {\n  return path.split(\"\\\\\").join(separator)\n}\n"),
        ("crates/app/src/lib.rs", "mod cli;\nmod docs;\n"),
        ("crates/app/src/docs/mod.rs", "pub mod usage;\n"),
        ("crates/app/src/docs/usage.rs", "pub fn render_short() -> String {\n    String::from(\"usage: app [OPTIONS]\")\n}\n"),
        ("lib/errors.js", "module.exports = {\n  ERR_TIMEOUT: createError(\"E_TIMEOUT\", \"the run took too long\"),\n};\n"),
    ];
    files.extend(decoys.iter().map(|(path, text)| (path.as_str(), text.as_str())));
    let project = TempProject::new("context-modules", &files);
    let mut setup = indexed(&project, files.len()).await;

    let prompt = prompt_at(
        &mut setup,
        &project,
        "src/app.ts",
        "typescript",
        "import * as util from \"./util/index.js\"\n\nexport function load(path: string): string {\n  return util.normalize(path)$0\n}\n",
    )
    .await;
    assert!(prompt.contains("<context file=\"src/util/paths.ts\" lines=\"1-3\" symbol=\"normalize\">\nexport function normalize(path: string, separator = \"/\"): string {\n"), "{prompt}");
    assert!(!prompt.contains("src/other1/paths.ts"), "{prompt}");

    let prompt = prompt_at(
        &mut setup,
        &project,
        "crates/app/src/cli.rs",
        "rust",
        "use crate::docs;\n\npub fn help() -> String {\n    docs::usage::render_short()$0\n}\n",
    )
    .await;
    assert!(prompt.contains("<context file=\"crates/app/src/docs/usage.rs\" lines=\"1-3\" symbol=\"render_short\">\npub fn render_short() -> String {\n"), "{prompt}");
    assert!(!prompt.contains("pub fn render_short(width"), "{prompt}");

    let prompt = prompt_at(
        &mut setup,
        &project,
        "lib/runner.js",
        "javascript",
        "const { ERR_TIMEOUT } = require(\"./errors\");\n\nfunction stop() {\n  return ERR_TIMEOUT;$0\n}\n",
    )
    .await;
    assert!(prompt.contains("<context file=\"lib/errors.js\" lines=\"2-2\" symbol=\"ERR_TIMEOUT\">\nERR_TIMEOUT: createError(\"E_TIMEOUT\", \"the run took too long\"),\n</context>"), "{prompt}");
    setup.shutdown().await;
}
