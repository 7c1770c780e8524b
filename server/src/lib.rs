//! glm-lsp: a language server that asks GLM-4.7 (with thinking) for completions and code
//! actions, built from tree-sitter context and returned as minimal diffs.
//!
//! Only the `lsp` module knows the protocol; everything else works on plain data.
#![deny(clippy::print_stdout)]

pub mod document;
pub mod language;
pub mod text;
pub mod completion;
pub mod diff;
pub mod rewrite;
