//! The end-to-end suite's tools: an LSP client that drives the built binary over stdio and
//! a mock GLM server on 127.0.0.1.

pub mod code_server;
pub mod generated_workspace;
pub mod harness;
pub mod helix;
pub mod lsp_client;
pub mod mock_glm;
pub mod neovim;
pub mod process;
pub mod proxy;
pub mod rename_example;
pub mod tls;
