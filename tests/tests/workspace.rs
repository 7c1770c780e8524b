//! The workspace index: built in the background after `initialized`, kept current through
//! watched-file events, and used for definitions from files that are not open.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TempProject};
use glm_lsp_e2e::lsp_client::{file_uri, ClientOptions};
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

#[tokio::test]
async fn new_workspace_files_reach_the_context_through_watched_file_events() {
    let root = std::env::temp_dir().join(format!("glm-lsp-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/money.rs"), "pub struct Money { pub cents: i64 }\n").unwrap();
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(root.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("0"));
    setup.wait_idle(Duration::from_millis(300)).await;
    let registration = setup.client.server_requests.iter().find(|r| r["method"] == "client/registerCapability");
    let registration = registration.expect("the server asks to watch files");
    assert_eq!(registration["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");
    let status =
        setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    assert_eq!(status["indexedFiles"], 1);

    // A file appears on disk (a `git pull`, a generator): the editor reports it.
    std::fs::write(
        root.join("src/tax.rs"),
        "pub fn apply_tax(amount: Money, rate_percent: u32) -> Money {\n    amount\n}\n",
    )
    .unwrap();
    setup
        .client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": file_uri(&root.join("src/tax.rs")), "type": 1 }] }),
        )
        .await
        .unwrap();
    setup.wait_idle(Duration::from_millis(300)).await;

    let uri = file_uri(&root.join("src/main.rs"));
    let position = setup
        .open_fixture(&uri, "rust", "fn main() {\n    let total = apply_tax(Money { cents: 100 }, $0);\n}\n")
        .await;
    setup.complete(&uri, &position, true).await;
    let prompt = setup.mock.requests()[0].prompt_text();
    assert!(prompt.contains("pub fn apply_tax(amount: Money, rate_percent: u32) -> Money"), "{prompt}");
    assert!(prompt.contains("pub struct Money"), "{prompt}");
    assert!(prompt.contains("src/tax.rs"), "paths are relative to the root: {prompt}");
    setup.shutdown().await;
    std::fs::remove_dir_all(&root).ok();
}

/// Sends `workspace/didChangeWatchedFiles` for paths of `project` (1 created, 2 changed,
/// 3 deleted), as an editor's file watcher does.
async fn report_changes(setup: &mut Setup, project: &TempProject, changes: &[(&str, u8)]) {
    let changes: Vec<Value> =
        changes.iter().map(|(path, kind)| json!({ "uri": project.uri(path), "type": kind })).collect();
    setup.client.notify("workspace/didChangeWatchedFiles", json!({ "changes": changes })).await.unwrap();
}

/// Waits until the index has read every saved or watched path the server was told about.
async fn index_settled(setup: &mut Setup) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = setup.status().await;
        if status["indexUpdatesPending"] == 0 && status["indexing"] == false {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "the index did not settle: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A session on `project` whose index is built, with a model that answers "0".
async fn indexed(project: &TempProject) -> Setup {
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("0"));
    index_settled(&mut setup).await;
    setup
}

/// The prompt the model was last sent for `uri` after a completion at `marker` (after it),
/// asked fresh: a comment is inserted at the top of the file first, so no earlier answer
/// (cached, or typed through) stands in for the model. (The edit may start a prefetch whose
/// prompt is the one used.)
async fn prompt_at(setup: &mut Setup, uri: &str, marker: &str, comment: &str) -> String {
    let before = setup.mock.requests().len();
    setup.client.edit(uri, 0, 0, &format!("{comment}\n")).await.unwrap();
    let position = setup.client.position_after(uri, marker);
    setup.complete(uri, &position, true).await;
    let file_name = uri.rsplit('/').next().unwrap();
    let prompts: Vec<String> = setup.mock.requests()[before..].iter().map(|request| request.prompt_text()).collect();
    let prompt =
        prompts.iter().rev().find(|prompt| prompt.contains(comment) && prompt.contains(&format!("{file_name}`")));
    prompt
        .cloned()
        .unwrap_or_else(|| panic!("no prompt for {file_name} after {comment:?} reached the model: {prompts:#?}"))
}

#[tokio::test]
async fn the_first_completion_is_answered_while_a_large_workspace_is_indexed() {
    use glm_lsp_e2e::generated_workspace::{PROBE_DEFINITION, PROBE_FILE, SKIPPED_PROBE_DEFINITION};
    let project = TempProject::new("index-background", &[]);
    let manifest = glm_lsp_e2e::generated_workspace::write(&project.dir.join("ws"), 2_000, 7).unwrap();
    let root = project.dir.join("ws");
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(root.clone()),
        initialization_options: test_settings(),
        // The build stops before its first file until the test releases it.
        env: vec![("GLM_LSP_TEST_HOOKS".into(), "1".into()), ("GLM_LSP_TEST_INDEX_HOLD_AFTER".into(), "0".into())],
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("0"));
    let uri = file_uri(&root.join(PROBE_FILE).with_file_name("caller.py"));
    let fixture = format!(
        "from probe_target import {PROBE_DEFINITION}\n\n\ndef main(amount):\n    doubled = \
         {PROBE_DEFINITION}({SKIPPED_PROBE_DEFINITION}(amount))\n    return doubled + $0\n"
    );
    let position = setup.open_fixture(&uri, "python", &fixture).await;
    let probe_line = format!("def {PROBE_DEFINITION}(amount: int) -> int:");

    setup.complete(&uri, &position, true).await;
    let status = setup.status().await;
    assert_eq!((status["indexing"].clone(), status["indexedFiles"].clone()), (json!(true), json!(0)));
    let early_prompt = setup.mock.requests()[0].prompt_text();
    assert!(!early_prompt.contains(&probe_line), "answered before the index holds the file: {early_prompt}");

    setup.client.request("workspace/executeCommand", json!({ "command": "glm-lsp.debug.releaseIndex" })).await.unwrap();
    let status = index_settled(&mut setup).await;
    assert_eq!(status["indexedFiles"], manifest.indexable, "every indexable file, nothing from skipped folders");
    let prompt = prompt_at(&mut setup, &uri, "doubled + ", "# after the build").await;
    assert!(prompt.contains(&probe_line), "{prompt}");
    assert!(!prompt.contains(&format!("function {SKIPPED_PROBE_DEFINITION}")), "node_modules stays out: {prompt}");
    setup.shutdown().await;
}

#[tokio::test]
async fn saving_a_file_updates_its_definitions_for_when_it_is_closed() {
    let project = TempProject::new(
        "index-save",
        &[("billing/rates.py", "def tax_rate(region: str) -> float:\n    return 0.2\n")],
    );
    let mut setup = indexed(&project).await;
    let main = project.uri("billing/invoice.py");
    setup
        .open_fixture(
            &main,
            "python",
            "from rates import tax_rate, shipping_cost\n\n\ndef total(amount, region, weight):\n    return amount * \
             tax_rate(region) + shipping_cost(weight)$0\n",
        )
        .await;
    let rates = project.uri("billing/rates.py");
    let rates_text = project.read("billing/rates.py").unwrap();
    let cursor = "shipping_cost(weight)";

    // Added: edited in the editor, saved, closed.
    setup.client.open(&rates, "python", &rates_text).await.unwrap();
    setup
        .client
        .type_at(&rates, "return 0.2\n", "\n\ndef shipping_cost(weight: float) -> float:\n    return weight\n")
        .await
        .unwrap();
    setup.client.save(&rates).await.unwrap();
    setup.client.close(&rates).await.unwrap();
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "# added").await;
    assert!(prompt.contains("def shipping_cost(weight: float) -> float:"), "{prompt}");
    assert!(prompt.contains("def tax_rate(region: str) -> float:"), "{prompt}");

    // Changed.
    setup.client.open(&rates, "python", &project.read("billing/rates.py").unwrap()).await.unwrap();
    setup.client.type_at(&rates, "def tax_rate(region: str", ", year: int").await.unwrap();
    setup.client.save(&rates).await.unwrap();
    setup.client.close(&rates).await.unwrap();
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "# changed").await;
    assert!(prompt.contains("def tax_rate(region: str, year: int) -> float:"), "{prompt}");
    assert!(!prompt.contains("def tax_rate(region: str) -> float:"), "{prompt}");

    // Deleted.
    let text = project.read("billing/rates.py").unwrap();
    let kept = text[..text.find("\n\ndef shipping_cost").unwrap()].to_string() + "\n";
    setup.client.open(&rates, "python", &text).await.unwrap();
    setup.client.edit(&rates, 0, text.len(), &kept).await.unwrap();
    setup.client.save(&rates).await.unwrap();
    setup.client.close(&rates).await.unwrap();
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "# deleted").await;
    assert!(!prompt.contains("shipping_cost(weight: float)"), "{prompt}");
    assert!(prompt.contains("def tax_rate(region: str, year: int) -> float:"), "{prompt}");
    setup.shutdown().await;
}

/// The index leaves a file alone while the editor has it open (its definitions come from
/// the editor's text, and a second parse of a large file would double its memory), so
/// closing it reads what is on disk then, even when no save or watched-file event said
/// that the disk changed.
#[tokio::test]
async fn closing_a_file_reads_it_again_from_disk() {
    let project =
        TempProject::new("index-close", &[("shop/rates.py", "def tax_rate(region: str) -> float:\n    return 0.2\n")]);
    let mut setup = indexed(&project).await;
    let rates = project.uri("shop/rates.py");
    setup.client.open(&rates, "python", &project.read("shop/rates.py").unwrap()).await.unwrap();
    // Changed on disk behind the editor's back (a `git checkout` with no file watcher).
    project.write(
        "shop/rates.py",
        "def tax_rate(region: str) -> float:\n    return 0.2\n\n\ndef duty_rate(origin: str) -> float:\n    return 0.1\n",
    );
    setup.client.close(&rates).await.unwrap();
    index_settled(&mut setup).await;
    let main = project.uri("shop/order.py");
    setup
        .open_fixture(
            &main,
            "python",
            "from rates import tax_rate, duty_rate\n\n\ndef total(amount, origin):\n    return amount * duty_rate(origin)$0\n",
        )
        .await;
    let prompt = prompt_at(&mut setup, &main, "duty_rate(origin)", "# after close").await;
    assert!(prompt.contains("def duty_rate(origin: str) -> float:"), "{prompt}");
    setup.shutdown().await;
}

#[tokio::test]
async fn watched_file_events_add_change_and_delete_definitions_of_files_that_are_not_open() {
    let project = TempProject::new(
        "index-watch",
        &[
            (
                "src/geometry.ts",
                "export function area(width: number, height: number): number {\n  return width * height;\n}\n",
            ),
            (".gitignore", "out/\n"),
        ],
    );
    let mut setup = indexed(&project).await;
    let main = project.uri("src/main.ts");
    setup
        .open_fixture(
            &main,
            "typescript",
            "import { area } from \"./geometry\";\nimport { perimeter } from \"./perimeter\";\n\nexport function \
             report(w: number, h: number): string {\n  return `${area(w, h)} ${perimeter(w, h)} ${volume(w)} \
             ${density(w)} ${slope(w)} ${curve(w)}`;$0\n}\n",
        )
        .await;
    let cursor = "${curve(w)}`;";

    // Created.
    project.write(
        "src/perimeter.ts",
        "export function perimeter(width: number, height: number): number {\n  return 2 * (width + height);\n}\n",
    );
    report_changes(&mut setup, &project, &[("src/perimeter.ts", 1)]).await;
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "// created").await;
    assert!(prompt.contains("function perimeter(width: number, height: number): number"), "{prompt}");

    // Changed.
    project.write("src/geometry.ts", "export function area(width: number, height: number, scale: number): number {\n  return width * height * scale;\n}\n");
    report_changes(&mut setup, &project, &[("src/geometry.ts", 2)]).await;
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "// changed").await;
    assert!(prompt.contains("function area(width: number, height: number, scale: number): number"), "{prompt}");
    assert!(!prompt.contains("height: number): number {\n  return width * height;"), "{prompt}");

    // Deleted.
    std::fs::remove_file(project.path("src/perimeter.ts")).unwrap();
    report_changes(&mut setup, &project, &[("src/perimeter.ts", 3)]).await;
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "// deleted").await;
    assert!(!prompt.contains("function perimeter"), "{prompt}");

    // Files the walk skips stay out when an event names them: a vendored folder, a folder
    // `.gitignore` names.
    project.write(
        "node_modules/solid/index.ts",
        "export function volume(side: number): number {\n  return side ** 3;\n}\n",
    );
    project.write("out/physics.ts", "export function density(mass: number): number {\n  return mass;\n}\n");
    report_changes(&mut setup, &project, &[("node_modules/solid/index.ts", 1), ("out/physics.ts", 1)]).await;
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "// skipped").await;
    assert!(!prompt.contains("function volume") && !prompt.contains("function density"), "{prompt}");

    // A folder reported once (moved in, then deleted): its files come and go together.
    project.write("src/lines/slope.ts", "export function slope(run: number): number {\n  return 1 / run;\n}\n");
    project.write("src/lines/curve.ts", "export function curve(x: number): number {\n  return x * x;\n}\n");
    report_changes(&mut setup, &project, &[("src/lines", 1)]).await;
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "// folder created").await;
    assert!(prompt.contains("function slope(run: number): number"), "{prompt}");
    assert!(prompt.contains("function curve(x: number): number"), "{prompt}");
    std::fs::remove_dir_all(project.path("src/lines")).unwrap();
    report_changes(&mut setup, &project, &[("src/lines", 3)]).await;
    index_settled(&mut setup).await;
    let prompt = prompt_at(&mut setup, &main, cursor, "// folder deleted").await;
    assert!(!prompt.contains("function slope") && !prompt.contains("function curve"), "{prompt}");
    setup.shutdown().await;
}
