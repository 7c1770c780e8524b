//! The workspace index at scale (issue 11), measured through the released binary as an
//! editor starts it: a generated 50,000-file workspace (see `generated_workspace`), the
//! server's resident memory while it indexes and once it is done, the build's time, the
//! first completion's latency during the build, and a check that the finished index holds
//! every indexable file and nothing from the skipped folders.
//!
//! ```text
//! cargo build --release -p glm-lsp
//! cargo bench -p glm-lsp-e2e --bench workspace_index                    # 50,000 files
//! cargo bench -p glm-lsp-e2e --bench workspace_index -- --files 10000
//! ```
//!
//! The workspace is written once under the bench's target folder and reused: figures are
//! for a warm page cache.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use glm_lsp_e2e::generated_workspace::{self, Manifest, PROBE_DEFINITION, PROBE_FILE, SKIPPED_PROBE_DEFINITION};
use glm_lsp_e2e::harness::{split_cursor, test_settings, TEST_KEY};
use glm_lsp_e2e::lsp_client::{file_uri, ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde_json::{json, Value};

const SEED: u64 = 11;

fn main() {
    let mut files = 50_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--files" {
            files = args.next().and_then(|value| value.parse().ok()).expect("--files N");
        }
    }
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let root = base.join(format!("index-workspace-{files}"));
    let started = Instant::now();
    let manifest = generated_workspace::ensure(&root, files, SEED).expect("write the workspace");
    println!(
        "workspace: {} files ({} MB), {} indexable, {} in skipped folders, {} oversized, {} generated ({:.1} s to \
         ensure)",
        manifest.files,
        manifest.bytes / 1_000_000,
        manifest.indexable,
        manifest.in_skipped_folders,
        manifest.oversized,
        manifest.generated,
        started.elapsed().as_secs_f64()
    );
    let empty = base.join("index-workspace-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let baseline = run(&empty, None).await;
        let measured = run(&root, Some(&manifest)).await;
        report(&manifest, &baseline, &measured);
    });
}

/// What one server run showed.
struct Run {
    /// (seconds since `initialize`, indexed files, resident KiB), sampled during the build.
    samples: Vec<(f64, u64, u64)>,
    build: Duration,
    rss_kib: u64,
    peak_kib: u64,
    indexed_files: u64,
    first_completion: Duration,
    files_at_first_completion: u64,
    first_prompt_has_probe: bool,
    later_prompt_has_probe: bool,
    later_prompt_has_skipped: bool,
}

async fn run(root: &Path, manifest: Option<&Manifest>) -> Run {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("0"));
    let options = ClientOptions {
        root: Some(root.to_path_buf()),
        initialization_options: test_settings(),
        env: vec![("GLM_BASE_URL".into(), mock.base_url()), ("GLM_API_KEY".into(), TEST_KEY.into())],
        ..ClientOptions::default()
    };
    let mut client = TestClient::start(options).await.expect("server starts");
    let pid = client.pid().expect("running");
    let started = Instant::now();
    client.initialize().await.unwrap();

    // The first completion, asked at once: it must not wait for the index.
    let uri = file_uri(&root.join(PROBE_FILE).with_file_name("caller.py"));
    let fixture = format!(
        "from probe_target import {PROBE_DEFINITION}\n\n\ndef main(amount):\n    doubled = \
         {PROBE_DEFINITION}({SKIPPED_PROBE_DEFINITION}(amount))\n    return doubled + $0\n"
    );
    let (text, cursor) = split_cursor(&fixture);
    client.open(&uri, "python", &text).await.unwrap();
    let asked = Instant::now();
    complete(&mut client, &uri, &text, cursor).await;
    let first_completion = asked.elapsed();
    let files_at_first_completion = indexed_files(&mut client).await;
    let first_prompt = mock.requests().last().map(|request| request.prompt_text()).unwrap_or_default();

    let mut samples = Vec::new();
    let build = loop {
        let done = client.stderr().contains("workspace indexed");
        let elapsed = started.elapsed();
        samples.push((elapsed.as_secs_f64(), indexed_files(&mut client).await, resident_kib(pid).0));
        if done {
            break elapsed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (rss_kib, peak_kib) = resident_kib(pid);
    let indexed = indexed_files(&mut client).await;

    // A new prefix (so no cache answers) once the index is complete.
    client.type_at(&uri, "doubled + ", "1").await.unwrap();
    let text = client.text(&uri);
    let cursor = text.find("doubled + 1").unwrap() + "doubled + 1".len();
    complete(&mut client, &uri, &text, cursor).await;
    let later_prompt = mock.requests().last().map(|request| request.prompt_text()).unwrap_or_default();
    let probe_line = format!("def {PROBE_DEFINITION}(amount: int) -> int:");
    if let Some(manifest) = manifest {
        assert_eq!(indexed, manifest.indexable as u64, "the index holds every indexable file and nothing else");
        assert!(later_prompt.contains(&probe_line), "{later_prompt}");
    }
    client.shutdown().await.unwrap();
    Run {
        samples,
        build,
        rss_kib,
        peak_kib,
        indexed_files: indexed,
        first_completion,
        files_at_first_completion,
        first_prompt_has_probe: first_prompt.contains(&probe_line),
        later_prompt_has_probe: later_prompt.contains(&probe_line),
        later_prompt_has_skipped: later_prompt.contains(&format!("{SKIPPED_PROBE_DEFINITION}(amount) {{")),
    }
}

async fn complete(client: &mut TestClient, uri: &str, text: &str, cursor: usize) -> Value {
    let position = client.position(text, cursor);
    client
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": 1 } }),
        )
        .await
        .unwrap()
}

async fn indexed_files(client: &mut TestClient) -> u64 {
    let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    status["indexedFiles"].as_u64().unwrap_or(0)
}

/// (VmRSS, VmHWM) of a process, in KiB.
fn resident_kib(pid: u32) -> (u64, u64) {
    use glm_lsp_e2e::process::status_field;
    (status_field(pid, "VmRSS:"), status_field(pid, "VmHWM:"))
}

fn report(manifest: &Manifest, baseline: &Run, measured: &Run) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let per_10k = |kib: u64, files: u64| {
        if files == 0 {
            0.0
        } else {
            mib(kib.saturating_sub(baseline.rss_kib)) * 10_000.0 / files as f64
        }
    };
    println!();
    println!("empty workspace: {:.1} MB resident, {:.1} MB peak", mib(baseline.rss_kib), mib(baseline.peak_kib));
    println!("| indexed files | seconds | resident MB | above empty, per 10,000 files |");
    println!("| --- | --- | --- | --- |");
    let mut next_row = 10_000;
    for &(seconds, files, rss) in &measured.samples {
        if files >= next_row {
            println!("| {files} | {seconds:.1} | {:.1} | {:.1} |", mib(rss), per_10k(rss, files));
            next_row = (files / 10_000 + 1) * 10_000;
        }
    }
    println!(
        "done: {} files indexed of {} on disk in {:.1} s; {:.1} MB resident ({:.1} MB per 10,000 indexed files above \
         the empty workspace), {:.1} MB peak",
        measured.indexed_files,
        manifest.files,
        measured.build.as_secs_f64(),
        mib(measured.rss_kib),
        per_10k(measured.rss_kib, measured.indexed_files),
        mib(measured.peak_kib)
    );
    println!(
        "first completion: answered in {:.1} ms with {} files indexed (the probe definition in its prompt: {}); after \
         the build: probe shown {}, the node_modules definition shown {}",
        measured.first_completion.as_secs_f64() * 1000.0,
        measured.files_at_first_completion,
        measured.first_prompt_has_probe,
        measured.later_prompt_has_probe,
        measured.later_prompt_has_skipped
    );
}
