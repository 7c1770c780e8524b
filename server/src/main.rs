//! The `glm-lsp` binary: an LSP server on stdio by default, plus a few command-line views.
#![deny(clippy::print_stdout)]

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "glm-lsp", version, about = "An AI coding assistant language server backed by GLM-4.7 with thinking.", long_about = None)]
struct Cli {
    /// Serve LSP over stdin/stdout (the default; accepted for editors that pass it).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve LSP over stdin/stdout (what editors run).
    Serve,
    /// Print the context a completion at a position would send to the model.
    Context {
        /// The file the cursor is in (always counted as open).
        file: PathBuf,
        /// Zero-based line, as in LSP.
        #[arg(long)]
        line: u32,
        /// Zero-based UTF-16 column, as in LSP.
        #[arg(long)]
        character: u32,
        /// The workspace root (default: the current directory).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Files an editor would have open (repeatable).
        #[arg(long)]
        open: Vec<PathBuf>,
        /// Print JSON: {budget_tokens, estimated_tokens, sections: [...]}.
        #[arg(long)]
        json: bool,
        /// Token budget (default: `context.budgetTokens` from the configuration, else 6000).
        #[arg(long)]
        budget: Option<usize>,
    },
    /// Generate unit tests for a function or type; prints a unified diff for `git apply`.
    #[command(name = "generate-tests")]
    GenerateTests(glm_lsp::cli::generate_tests::Options),
    /// Check the configuration and make one tiny request to the configured endpoint.
    Doctor {
        /// The workspace root whose glm-lsp.toml applies (default: the current directory).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Editor settings as JSON (`{"model": ...}`, what an editor would send), applied
        /// over the files and the environment, so the check matches what the editor runs.
        #[arg(long)]
        settings: Option<String>,
    },
}

/// The configuration a server started in `root` would use, given the editor's settings.
fn load_config(root: &std::path::Path, editor_settings: serde_json::Value) -> glm_lsp::config::Config {
    let (mut sources, mut errors) = glm_lsp::config::Sources::load(Some(root), &|name| std::env::var(name).ok());
    sources.client_settings = editor_settings;
    let (config, more_errors) = sources.resolve();
    errors.extend(more_errors);
    for error in errors {
        eprintln!("warning: {error}");
    }
    config
}

fn init_logging() {
    let filter =
        std::env::var("GLM_LSP_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "info".to_string());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

fn main() -> std::process::ExitCode {
    glm_lsp::memory::limit_arenas();
    let cli = Cli::parse();
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match cli.command {
        None | Some(Command::Serve) => {
            let signal = runtime.block_on(async {
                let stop = stop_signal();
                tokio::select! {
                    () = glm_lsp::lsp::serve(EditorInput::new(tokio::io::stdin()), tokio::io::stdout()) => None,
                    signal = stop => Some(signal),
                }
            });
            // `exit`, the editor closing the pipe, or a signal: no test run outlives the server.
            glm_lsp::testgen::restore_all();
            // The stdin reader is a blocking thread that may never return (clients often keep
            // the pipe open after `exit`), so do not wait for it.
            runtime.shutdown_background();
            signal.map_or(std::process::ExitCode::SUCCESS, killed_by)
        }
        Some(Command::Context { file, line, character, root, open, json, budget }) => {
            let config = load_config(&root, serde_json::Value::Null);
            let options =
                glm_lsp::cli::context::Options { file, line, character, root, open, json, budget_tokens: budget };
            match glm_lsp::cli::context::run(&options, &config) {
                Ok(output) => {
                    print(output.trim_end());
                    std::process::ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(Command::GenerateTests(options)) => {
            let config = load_config(&options.root, serde_json::Value::Null);
            let result = runtime.block_on(async {
                let stop = stop_signal();
                tokio::select! {
                    result = glm_lsp::cli::generate_tests::run(&options, &config) => Ok(result),
                    signal = stop => Err(signal),
                }
            });
            // Ctrl-C during `--verify`: the candidate must not stay in the user's files, nor
            // the test process run on.
            glm_lsp::testgen::restore_all();
            let result = match result {
                Ok(result) => result,
                Err(signal) => {
                    eprintln!("\nstopped; files written for the test run were restored");
                    runtime.shutdown_background();
                    return killed_by(signal);
                }
            };
            match result {
                Ok(outcome) => {
                    if !outcome.stdout.is_empty() {
                        print(outcome.stdout.trim_end());
                    }
                    if outcome.success {
                        std::process::ExitCode::SUCCESS
                    } else {
                        std::process::ExitCode::FAILURE
                    }
                }
                Err(error) => {
                    eprintln!("error: {error:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(Command::Doctor { root, settings }) => {
            let editor_settings = match settings.as_deref().map(serde_json::from_str).transpose() {
                Ok(settings) => settings.unwrap_or_default(),
                Err(error) => {
                    eprintln!("error: --settings is not valid JSON: {error}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            let config = load_config(&root, editor_settings);
            let report = runtime.block_on(glm_lsp::glm::doctor(&config.glm_settings()));
            print(&report.to_string());
            if report.is_ok() {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

/// The first SIGINT, SIGTERM or SIGHUP, by number. The handlers are installed when this is
/// called (not when it is first polled), so a signal that comes early is not missed; from
/// then on these signals no longer end the process by themselves: the caller restores and exits.
fn stop_signal() -> impl std::future::Future<Output = i32> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let kinds = [
            (SignalKind::interrupt(), libc::SIGINT),
            (SignalKind::terminate(), libc::SIGTERM),
            (SignalKind::hangup(), libc::SIGHUP),
        ];
        let streams: Vec<_> =
            kinds.into_iter().filter_map(|(kind, number)| signal(kind).ok().map(|stream| (stream, number))).collect();
        async move {
            if streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = streams.into_iter().map(|(mut stream, number)| {
                Box::pin(async move {
                    stream.recv().await;
                    number
                })
            });
            futures::future::select_all(waits).await.0
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        2
    }
}

/// The server's stdin, which stops every test run when it ends: the editor is gone, and a
/// request still verifying (`codeAction/resolve`) would otherwise hold the server loop, and the
/// candidate on disk, until the test's timeout.
struct EditorInput<R> {
    input: R,
    ended: bool,
}

impl<R> EditorInput<R> {
    fn new(input: R) -> EditorInput<R> {
        EditorInput { input, ended: false }
    }
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for EditorInput<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        buffer: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let filled_before = buffer.filled().len();
        let had_room = buffer.remaining() > 0;
        let poll = std::pin::Pin::new(&mut self.input).poll_read(context, buffer);
        let ended = match &poll {
            std::task::Poll::Ready(Ok(())) => had_room && buffer.filled().len() == filled_before,
            std::task::Poll::Ready(Err(_)) => true,
            std::task::Poll::Pending => false,
        };
        if ended && !self.ended {
            self.ended = true;
            glm_lsp::testgen::restore_all();
        }
        poll
    }
}

/// The exit status a shell gives a process ended by `signal`.
fn killed_by(signal: i32) -> std::process::ExitCode {
    std::process::ExitCode::from((128 + signal) as u8)
}

/// Command output goes to stdout; in `serve` mode stdout belongs to the protocol alone.
fn print(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
