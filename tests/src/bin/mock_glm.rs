//! `mock-glm`: the mock GLM server as a program, for tests in real editors.
//!
//! ```text
//! mock-glm [--port P] [--script FILE.json] [--log FILE.jsonl] [--key KEY] [--tls-ca-out CA.pem]
//! ```
//! Prints `http://127.0.0.1:PORT` as its first line on stdout, serves the script's replies,
//! appends each request body as a JSON line to the log, and exits when stdin closes or on
//! SIGTERM / Ctrl-C.
//!
//! The script is either a JSON array of replies (served in order, one per request) or an
//! object `{"replies": [...], "rules": [{"contains": "...", "reply": {...}}], "default":
//! {...}, "expected_key": "..."}`. A reply is tagged by `kind`: `{"kind": "stream",
//! "reasoning": "..", "content": "..", "chunk_chars": 8, "chunk_delay": 0, "think_delay": 0,
//! "finish_reason": "stop"}` (delays in milliseconds), `{"kind": "status", "status": 429,
//! "code": "1302", "message": "..", "retry_after": 1}`, `{"kind": "cut",
//! "content_before_cut": ".."}`, `{"kind": "stall"}`, `{"kind": "json", "status": 200,
//! "body": {..}}`, `{"kind": "raw_sse", "body": ".."}`, `{"kind": "replay", "file":
//! "../fixtures/wire/event_error_1302.sse", "event_delay": 20}` (a captured stream replayed
//! byte for byte; a relative `file` is relative to the script). The full form may also have
//! `"rotation": [...]` (replies served in turn when no rule or queued reply applies) and
//! `"models": ["glm-4.7", ...]` (what `GET /models` lists; without it that route is a 404).
//!
//! `--tls-ca-out CA.pem` serves HTTPS instead, with a certificate from a private CA made
//! for this run, and writes that CA's certificate to `CA.pem` (for `http.caFile`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

#[derive(Deserialize)]
#[serde(untagged)]
enum Script {
    Replies(Vec<Reply>),
    Full(Box<FullScript>),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FullScript {
    replies: Vec<Reply>,
    rules: Vec<Rule>,
    default: Option<Reply>,
    expected_key: Option<String>,
    rotation: Vec<Reply>,
    models: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Rule {
    contains: String,
    reply: Reply,
}

struct Options {
    port: u16,
    script: Option<PathBuf>,
    log: Option<PathBuf>,
    key: Option<String>,
    tls_ca_out: Option<PathBuf>,
}

fn parse_args() -> Result<Options> {
    let mut options = Options { port: 0, script: None, log: None, key: None, tls_ca_out: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => options.port = value("--port")?.parse().context("--port must be a number")?,
            "--script" => options.script = Some(value("--script")?.into()),
            "--log" => options.log = Some(value("--log")?.into()),
            "--key" => options.key = Some(value("--key")?),
            "--tls-ca-out" => options.tls_ca_out = Some(value("--tls-ca-out")?.into()),
            "-h" | "--help" => {
                eprintln!("usage: mock-glm [--port P] [--script FILE.json] [--log FILE.jsonl] [--key KEY] [--tls-ca-out CA.pem]");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (see --help)"),
        }
    }
    Ok(options)
}

fn load_script(path: &PathBuf) -> Result<FullScript> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the script {}", path.display()))?;
    let script: Script =
        serde_json::from_str(&text).with_context(|| format!("parsing the script {}", path.display()))?;
    let mut script = match script {
        Script::Replies(replies) => FullScript { replies, ..FullScript::default() },
        Script::Full(full) => *full,
    };
    // Replay files are found next to the script, wherever mock-glm runs from.
    let directory = path.parent().map(PathBuf::from).unwrap_or_default();
    let replies = script
        .replies
        .iter_mut()
        .chain(script.rotation.iter_mut())
        .chain(script.default.iter_mut())
        .chain(script.rules.iter_mut().map(|rule| &mut rule.reply));
    for reply in replies {
        if let Reply::Replay { file: Some(file), .. } = reply {
            if file.is_relative() {
                *file = directory.join(&*file);
            }
        }
    }
    Ok(script)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let options = parse_args()?;
    let script = match &options.script {
        Some(path) => load_script(path)?,
        None => FullScript::default(),
    };
    let mock = match &options.tls_ca_out {
        None => MockGlm::start_on_port(options.port).await,
        Some(ca_out) => {
            let ca = glm_lsp_e2e::tls::TestCa::new("mock-glm test CA");
            let server = ca.server_certificate();
            ca.write_certificate(ca_out);
            MockGlm::start_tls(options.port, &server.chain_pem, &server.key_pem).await
        }
    }
    .with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
    if !script.rotation.is_empty() {
        mock.set_rotation(script.rotation);
    }
    if let Some(models) = &script.models {
        mock.set_models(&models.iter().map(String::as_str).collect::<Vec<_>>());
    }
    for reply in script.replies {
        mock.push_reply(reply);
    }
    for rule in script.rules {
        mock.add_rule(&rule.contains, rule.reply);
    }
    if let Some(reply) = script.default {
        mock.set_default_reply(reply);
    }
    if let Some(key) = options.key.or(script.expected_key) {
        mock.set_expected_key(&key);
    }
    if let Some(log) = options.log {
        mock.set_log_file(log);
    }

    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", mock.base_url())?;
    stdout.flush()?;

    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 1024];
        while matches!(stdin.read(&mut buffer).await, Ok(n) if n > 0) {}
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = stdin_closed => {}
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("mock-glm: served {} requests", mock.requests().len());
    Ok(())
}
