//! glm-lsp: a language server that asks GLM-4.7 (with thinking) for completions and code
//! actions, built from tree-sitter context and returned as minimal diffs.
//!
//! Only the `lsp` module knows the protocol; everything else works on plain data.
#![deny(clippy::print_stdout)]

pub mod actions;
pub mod cli;
pub mod completion;
pub mod config;
pub mod context;
pub mod diff;
pub mod document;
pub mod glm;
pub mod language;
pub mod lsp;
pub mod memory;
pub mod model;
pub mod next_edit;
pub mod privacy;
pub mod prompt;
pub mod rewrite;
pub mod session;
pub mod testgen;
pub mod text;
pub mod windowed;
pub mod workspace_path;
