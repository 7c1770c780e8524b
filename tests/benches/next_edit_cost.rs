//! The cost of next-edit suggestions: model requests per edit chain, for a client that asks
//! after every change as copilot-lsp and sidekick.nvim do. Three chains (rename a parameter
//! and its uses, add a field and its initialiser, change a call and its sibling) are typed
//! one character at a time, `--keystroke-ms` apart (default 80), against the mock GLM
//! server; after the pause the suggestion is accepted (one more change, one more request)
//! and the chain ends with a second pause. It prints keystrokes, requests the editor sent,
//! pauses and model requests per chain.
//!
//! ```text
//! cargo build -p glm-lsp
//! cargo bench -p glm-lsp-e2e --bench next_edit_cost --profile dev
//! ```

use std::time::{Duration, Instant};

use glm_lsp_e2e::harness::Setup;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::{json, Value};

struct Chain {
    name: &'static str,
    file: &'static str,
    source: &'static str,
    /// Typed right after this marker, one character at a time.
    after: &'static str,
    typed: &'static str,
    /// The file once the next edit is made (the mock's rewrite of the region).
    next: &'static str,
}

const CHAINS: [Chain; 3] = [
    Chain {
        name: "rename a parameter",
        file: "geometry.py",
        source: "def area(w, h):\n    doubled = w * 2\n    return w * h\n",
        after: "def area(w",
        typed: "idth",
        next: "def area(width, h):\n    doubled = width * 2\n    return width * h\n",
    },
    Chain {
        name: "add a field",
        file: "point.py",
        source: "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
        after: "self, x, y",
        typed: ", z",
        next: "class Point:\n    def __init__(self, x, y, z):\n        self.x = x\n        self.y = y\n        self.z = z\n",
    },
    Chain {
        name: "change a call",
        file: "report.py",
        source: "log(\"start\")\nrun()\nlog(\"end\")\n",
        after: "log(\"start\"",
        typed: ", level=1",
        next: "log(\"start\", level=1)\nrun()\nlog(\"end\", level=1)\n",
    },
];

fn keystroke_interval() -> Duration {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--keystroke-ms" {
            return Duration::from_millis(args.next().and_then(|value| value.parse().ok()).expect("--keystroke-ms N"));
        }
    }
    Duration::from_millis(80)
}

#[tokio::main]
async fn main() {
    let interval = keystroke_interval();
    // The defaults (`nextEdit.debounceMs` 300); completions off, so only next edits ask.
    let mut setup = Setup::new(json!({ "completion": { "enabled": false } })).await;
    let debounce = Duration::from_millis(300);
    println!("keystrokes {} ms apart, nextEdit.debounceMs {} ms", interval.as_millis(), debounce.as_millis());
    println!("| chain | keystrokes | editor requests | pauses | model requests | suggestion offered |");
    println!("|---|---|---|---|---|---|");
    let (mut total_pauses, mut total_model) = (0, 0);
    for chain in &CHAINS {
        let uri = format!("file:///project/{}", chain.file);
        setup
            .mock
            .add_rule(&format!("`/project/{}`", chain.file), Reply::text(format!("```python\n{}```", chain.next)));
        setup.client.open(&uri, "python", chain.source).await.unwrap();
        let before = setup.mock.requests().len();
        let mut pending = Vec::new();
        let started = Instant::now();
        let typing_at = chain.source.find(chain.after).unwrap() + chain.after.len();
        for (typed, character) in chain.typed.char_indices() {
            let at = typing_at + typed;
            setup.client.edit(&uri, at, at, &character.to_string()).await.unwrap();
            let cursor = setup.client.position(&setup.client.text(&uri), at + character.len_utf8());
            pending.push(setup.send_inline_edit(&uri, cursor).await);
            tokio::time::sleep(interval).await;
        }
        let mut offered = Value::Null;
        for id in pending.iter().copied() {
            let result = setup.client.raw_response(id, Duration::from_secs(30)).await.unwrap()["result"].clone();
            if result["edits"].as_array().is_some_and(|edits| !edits.is_empty()) {
                offered = result["edits"][0].clone();
            }
        }
        let mut editor_requests = pending.len();
        // A pause is a gap in typing of at least the debounce: after every keystroke when the
        // typist is slower than it, else once at the end.
        let mut pauses = if interval >= debounce { chain.typed.chars().count() } else { 1 };
        let accepted = !offered.is_null();
        if accepted {
            setup
                .client
                .apply_text_edits(&uri, &[json!({ "range": offered["range"], "newText": offered["text"] })])
                .await
                .unwrap();
            assert_eq!(setup.client.text(&uri), chain.next, "{}", chain.name);
            let cursor = setup.client.position(chain.next, 0);
            let id = setup.send_inline_edit(&uri, cursor).await;
            let after_accepting = setup.client.raw_response(id, Duration::from_secs(30)).await.unwrap();
            assert_eq!(after_accepting["result"], json!({ "edits": [] }), "nothing more to offer");
            editor_requests += 1;
            pauses += 1;
        }
        let model = setup.mock.requests().len() - before;
        total_pauses += pauses;
        total_model += model;
        println!(
            "| {} | {} | {editor_requests} | {pauses} | {model} | {} ({:.1} s) |",
            chain.name,
            chain.typed.chars().count(),
            if accepted { "yes, accepted" } else { "no" },
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "total: {total_model} model requests for {total_pauses} pauses ({:.2} per pause)",
        total_model as f64 / total_pauses as f64
    );
    setup.shutdown().await;
}
