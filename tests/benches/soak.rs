//! A soak run, not a timed test: a scripted typing session across 20 files against the
//! released binary, with completions, code actions and injected faults (429s, overload,
//! server errors, stalls, cut streams, `event: error`, `finish_reason: network_error`).
//! It reports the server's resident memory over time, its open sockets, file descriptors,
//! threads and runtime tasks at the end, upstream requests per keystroke, and p50/p99 of each
//! request type.
//!
//! ```text
//! cargo build --release -p glm-lsp
//! cargo bench -p glm-lsp-e2e --bench soak -- --seconds 600      # the full 10 minutes
//! cargo bench -p glm-lsp-e2e --bench soak -- --seconds 30       # a short run
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use glm_lsp_e2e::lsp_client::{ClientOptions, TestClient};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const FILES: usize = 20;

struct Options {
    seconds: u64,
    sample_every: Duration,
}

fn options() -> Options {
    let mut options = Options { seconds: 600, sample_every: Duration::from_secs(30) };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => options.seconds = args.next().and_then(|value| value.parse().ok()).expect("--seconds N"),
            "--sample-seconds" => {
                options.sample_every =
                    Duration::from_secs(args.next().and_then(|value| value.parse().ok()).expect("--sample-seconds N"))
            }
            _ => {} // `--bench` and filters from cargo
        }
    }
    if options.seconds < 120 {
        options.sample_every = options.sample_every.min(Duration::from_secs((options.seconds / 6).max(1)));
    }
    options
}

/// One file per language in turn, each a few hundred lines with a function to type in.
fn project_file(index: usize) -> (String, &'static str, String) {
    let (extension, language, function): (&str, &str, fn(usize) -> String) = match index % 5 {
        0 => ("py", "python", |i| {
            format!("def helper_{i}(values):\n    total = 0\n    for value in values:\n        total += value * {i}\n    return total\n\n")
        }),
        1 => ("rs", "rust", |i| {
            format!("pub fn helper_{i}(values: &[i64]) -> i64 {{\n    let mut total = 0;\n    for value in values {{\n        total += value * {i};\n    }}\n    total\n}}\n\n")
        }),
        2 => ("ts", "typescript", |i| {
            format!("export function helper{i}(values: number[]): number {{\n  let total = 0;\n  for (const value of values) {{\n    total += value * {i};\n  }}\n  return total;\n}}\n\n")
        }),
        3 => ("go", "go", |i| {
            format!("func helper{i}(values []int) int {{\n\ttotal := 0\n\tfor _, value := range values {{\n\t\ttotal += value * {i}\n\t}}\n\treturn total\n}}\n\n")
        }),
        _ => ("java", "java", |i| {
            format!("    static int helper{i}(int[] values) {{\n        int total = 0;\n        for (int value : values) {{\n            total += value * {i};\n        }}\n        return total;\n    }}\n\n")
        }),
    };
    let mut text = match language {
        "go" => "package main\n\n".to_string(),
        "java" => format!("class File{index} {{\n"),
        _ => String::new(),
    };
    for function_index in 0..40 {
        text.push_str(&function(index * 100 + function_index));
    }
    if language == "java" {
        text.push_str("}\n");
    }
    (format!("file:///soak/src/file{index}.{extension}"), language, text)
}

/// The mock's answers, served in turn: mostly answers, one in four a fault.
fn rotation() -> Vec<Reply> {
    let capture = |name: &str| {
        Reply::replay_file(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wire").join(format!("{name}.sse")))
            .with_event_delay(Duration::from_millis(15))
    };
    let answer = |text: &str| {
        Reply::thinking_then("Consider the loop and the accumulator first.", text)
            .paced(12, Duration::from_millis(8))
            .with_think_delay(Duration::from_millis(120))
    };
    vec![
        answer("total += value"),
        answer("```python\ndef add(a, b):\n    return a + b\n```"),
        Reply::rate_limited(0),
        answer("values.len()"),
        capture("role_every_chunk"),
        Reply::status(429, Some("1305"), "The model is overloaded"),
        answer("return total"),
        Reply::stall(),
        answer("value * 2"),
        Reply::cut("let par"),
        capture("usage_trailing_chunk"),
        capture("event_error_1302"),
        answer("total"),
        Reply::status(500, Some("1234"), "Network error, error id: 1"),
        capture("finish_network_error"),
        answer("result"),
    ]
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * fraction).round() as usize]
}

/// What /proc says about the server at one moment, and its runtime's live tasks.
struct Sample {
    at_seconds: f64,
    rss_kib: u64,
    threads: u64,
    descriptors: usize,
    sockets: usize,
    tasks: u64,
}

/// Resident memory (KiB), threads, open descriptors and sockets of a process, from /proc.
fn process_figures(pid: u32) -> (u64, u64, usize, usize) {
    let field = |name: &str| glm_lsp_e2e::process::status_field(pid, name);
    let descriptors: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| std::fs::read_link(entry.path()).ok())
                .map(|target| target.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    let sockets = descriptors.iter().filter(|target| target.starts_with("socket:")).count();
    (field("VmRSS:"), field("Threads:"), descriptors.len(), sockets)
}

/// A completion request the editor is waiting for.
struct InFlight {
    id: i64,
    kind: &'static str,
    sent: Instant,
    /// Cancelled by a later keystroke: its latency is not the user's.
    cancelled: bool,
}

/// Records the latency of every answered, uncancelled request and forgets the answered ones.
fn collect(client: &mut TestClient, in_flight: &mut Vec<InFlight>, latencies: &mut Latencies) {
    in_flight.retain(|request| match client.take_response(request.id) {
        Some((response, arrived)) => {
            if !request.cancelled {
                latencies.0.entry(request.kind).or_default().push((arrived - request.sent).as_secs_f64() * 1000.0);
                let items = &response["result"]["items"];
                if items.as_array().is_some_and(|items| !items.is_empty()) {
                    *latencies.1.entry(request.kind).or_default() += 1;
                }
            }
            false
        }
        None => true,
    });
}

/// Milliseconds per request kind, and how many answers carried a suggestion.
struct Latencies(BTreeMap<&'static str, Vec<f64>>, BTreeMap<&'static str, usize>);

impl Latencies {
    fn record(&mut self, kind: &'static str, started: Instant) {
        self.0.entry(kind).or_default().push(started.elapsed().as_secs_f64() * 1000.0);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = options();
    if std::env::args().all(|arg| arg != "--bench") {
        // Built by `cargo test --benches` or clippy: nothing to measure there.
        eprintln!("soak: run it with `cargo bench -p glm-lsp-e2e --bench soak -- --seconds N`");
        return;
    }
    let mock = MockGlm::start().await;
    mock.set_rotation(rotation());
    let mut client = TestClient::initialized(ClientOptions {
        env: vec![
            ("GLM_API_KEY".into(), "soak-key".into()),
            ("GLM_BASE_URL".into(), mock.base_url()),
            ("GLM_LSP_LOG".into(), "warn".into()),
        ],
        // Stalls end with the attempt timeout; the rest are the defaults editors run with.
        initialization_options: json!({ "timeoutSecs": 8 }),
        ..ClientOptions::default()
    })
    .await
    .expect("the release binary starts (cargo build --release -p glm-lsp)");
    let pid = client_pid(&client);

    let files: Vec<(String, &str, String)> = (0..FILES).map(project_file).collect();
    for (uri, language, text) in &files {
        client.open(uri, language, text).await.unwrap();
    }

    let mut random = rand::rngs::StdRng::seed_from_u64(12);
    let mut latencies = Latencies(BTreeMap::new(), BTreeMap::new());
    let mut samples: Vec<Sample> = Vec::new();
    let mut keystrokes = 0u64;
    let mut actions_started = 0u64;
    let mut pending_actions: Vec<Instant> = Vec::new();
    let mut in_flight: Vec<InFlight> = Vec::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let mut next_sample = started;
    let words = ["total", "values.len()", "helper_3(values)", "result += 1", "value * 2", "return"];

    while Instant::now() < deadline {
        if Instant::now() >= next_sample {
            samples.push(sample(&mut client, pid, started).await);
            next_sample += options.sample_every;
        }
        // The user moves to a file and a function, types a line word by word (asking for
        // completions as an editor does on each keystroke), pauses, then deletes the line.
        let (uri, _, _) = &files[random.random_range(0..FILES)];
        let text = client.text(uri);
        // After a line that exists in every function (actions may have rewritten some).
        let line_ends: Vec<usize> = text.match_indices("total = 0").map(|(at, _)| at + "total = 0".len()).collect();
        let anchor = match line_ends.len() {
            0 => text.trim_end().len(),
            count => line_ends[random.random_range(0..count)],
        };
        let mut typed = String::from("\n    ");
        client.edit(uri, anchor, anchor, &typed).await.unwrap();
        for _ in 0..random.random_range(1..4) {
            let word = words[random.random_range(0..words.len())];
            for character in word.chars().chain([' ']) {
                let at = anchor + typed.len();
                client.edit(uri, at, at, &character.to_string()).await.unwrap();
                typed.push(character);
                keystrokes += 1;
                // As an editor does: ask at every keystroke, cancel the request the keystroke
                // made stale, and keep typing while requests are in flight.
                if let Some(previous) = in_flight.iter().rev().find(|request| !request.cancelled) {
                    let previous_id = previous.id;
                    client.cancel(previous_id).await.unwrap();
                    in_flight.iter_mut().for_each(|request| request.cancelled |= request.id == previous_id);
                }
                let position = client.position(&client.text(uri), at + character.len_utf8());
                let inline = keystrokes & 1 == 0;
                let (method, kind, trigger) = if inline {
                    ("textDocument/inlineCompletion", "inlineCompletion", 2)
                } else {
                    ("textDocument/completion", "completion", 3)
                };
                let params = json!({ "textDocument": { "uri": uri }, "position": position, "context": { "triggerKind": trigger } });
                let id = client.send_request(method, params).await.unwrap();
                in_flight.push(InFlight { id, kind, sent: Instant::now(), cancelled: false });
                let pause = if character == ' ' { random.random_range(250..700) } else { random.random_range(60..160) };
                client.idle(Duration::from_millis(pause)).await;
                collect(&mut client, &mut in_flight, &mut latencies);
            }
        }
        // Now and then, the code actions at the cursor; now and then one is run.
        let position = client.position(&client.text(uri), anchor + 1);
        let asked = Instant::now();
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }),
            )
            .await
            .unwrap_or(Value::Null);
        latencies.record("codeAction", asked);
        if random.random_bool(0.15) {
            if let Some(improve) =
                actions.as_array().and_then(|actions| actions.iter().find(|a| a["title"] == "GLM: Improve this code"))
            {
                let command = improve["command"].clone();
                let asked = Instant::now();
                let _ = client
                    .request(
                        "workspace/executeCommand",
                        json!({ "command": command["command"], "arguments": command["arguments"] }),
                    )
                    .await;
                latencies.record("executeCommand runAction", asked);
                pending_actions.push(Instant::now());
                actions_started += 1;
            }
        }
        // Delete the line again (an edit the user makes), so documents keep their size.
        let current = client.text(uri);
        if current[anchor..].starts_with(&typed) {
            client.edit(uri, anchor, anchor + typed.len(), "").await.unwrap();
        }
        for progress in client.take_notifications("$/progress") {
            if progress["value"]["kind"] == "end" && !pending_actions.is_empty() {
                let begun = pending_actions.remove(0);
                latencies.record("action, run to end", begun);
            }
        }
        client.take_notifications("window/showMessage");
    }

    // Let in-flight work finish, then look at what is left.
    client.idle(Duration::from_secs(10)).await;
    collect(&mut client, &mut in_flight, &mut latencies);
    for progress in client.take_notifications("$/progress") {
        if progress["value"]["kind"] == "end" && !pending_actions.is_empty() {
            let begun = pending_actions.remove(0);
            latencies.record("action, run to end", begun);
        }
    }
    samples.push(sample(&mut client, pid, started).await);

    let elapsed = started.elapsed().as_secs_f64();
    let upstream = mock.requests().len();
    println!("soak: {elapsed:.0} s, {FILES} files, {keystrokes} keystrokes, {actions_started} actions run");
    println!(
        "upstream requests: {upstream} ({:.3} per keystroke); mock connections: {}",
        upstream as f64 / keystrokes.max(1) as f64,
        mock.connections()
    );
    println!("\n| at (s) | RSS (MiB) | threads | descriptors | sockets | runtime tasks |\n| --- | --- | --- | --- | --- | --- |");
    for sample in &samples {
        println!(
            "| {:.0} | {:.1} | {} | {} | {} | {} |",
            sample.at_seconds,
            sample.rss_kib as f64 / 1024.0,
            sample.threads,
            sample.descriptors,
            sample.sockets,
            sample.tasks
        );
    }
    println!("\n| request | count | with a suggestion | p50 (ms) | p99 (ms) | max (ms) |\n| --- | --- | --- | --- | --- | --- |");
    for (kind, values) in &mut latencies.0 {
        values.sort_by(f64::total_cmp);
        let suggested = latencies.1.get(kind).map_or("—".to_string(), |count| count.to_string());
        println!(
            "| {kind} | {} | {suggested} | {:.2} | {:.2} | {:.2} |",
            values.len(),
            percentile(values, 0.5),
            percentile(values, 0.99),
            values.last().copied().unwrap_or(f64::NAN)
        );
    }
    client.take_notifications("window/showMessage");
    let _ = client.shutdown().await;
}

async fn sample(client: &mut TestClient, pid: u32, started: Instant) -> Sample {
    let status = client.request("workspace/executeCommand", json!({ "command": "glm-lsp.status" })).await.unwrap();
    let (rss_kib, threads, descriptors, sockets) = process_figures(pid);
    Sample {
        at_seconds: started.elapsed().as_secs_f64(),
        rss_kib,
        threads,
        descriptors,
        sockets,
        tasks: status["aliveTasks"].as_u64().unwrap_or(0),
    }
}

fn client_pid(client: &TestClient) -> u32 {
    client.pid().expect("the server is running")
}
