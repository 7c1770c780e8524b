//! The protocol edge: the only module that names `tower_lsp_server` and `ls_types`.
//!
//! `server` routes each LSP method to a handler; `from_proto` and `to_proto` convert between
//! protocol types and the server's own (byte offsets, `Edit`s, plain strings for URIs).

mod actions;
mod backend;
mod capabilities;
mod code_action_tags;
mod commands;
mod completion;
mod document_sync;
pub mod from_proto;
mod jobs;
mod lifecycle;
mod next_edit;
pub mod server;
mod testgen;
pub mod to_proto;
mod transport;

pub use server::{serve, serve_stdio};
