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
    let cli = Cli::parse();
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match cli.command {
        None | Some(Command::Serve) => {
            runtime.block_on(glm_lsp::lsp::serve_stdio());
            // The stdin reader is a blocking thread that may never return (clients often keep
            // the pipe open after `exit`), so do not wait for it.
            runtime.shutdown_background();
            std::process::ExitCode::SUCCESS
        }
    }
}

#[allow(dead_code)]
fn print(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

#[allow(dead_code)]
fn path(p: &str) -> PathBuf {
    PathBuf::from(p)
}
