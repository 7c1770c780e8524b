//! `mock-glm`: the mock GLM server as a program, for tests in real editors.
//!
//! ```text
//! mock-glm [--port P] [--script FILE.json] [--log FILE.jsonl] [--key KEY]
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
//! "body": {..}}`, `{"kind": "raw_sse", "body": ".."}`.

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
}

fn parse_args() -> Result<Options> {
    let mut options = Options { port: 0, script: None, log: None, key: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => options.port = value("--port")?.parse().context("--port must be a number")?,
            "--script" => options.script = Some(value("--script")?.into()),
            "--log" => options.log = Some(value("--log")?.into()),
            "--key" => options.key = Some(value("--key")?),
            "-h" | "--help" => {
                eprintln!("usage: mock-glm [--port P] [--script FILE.json] [--log FILE.jsonl] [--key KEY]");
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
    Ok(match script {
        Script::Replies(replies) => FullScript { replies, ..FullScript::default() },
        Script::Full(full) => *full,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let options = parse_args()?;
    let script = match &options.script {
        Some(path) => load_script(path)?,
        None => FullScript::default(),
    };
    let mock =
        MockGlm::start_on_port(options.port).await.with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
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
