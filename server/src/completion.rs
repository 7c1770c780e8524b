//! Completions: turning the model's answer into exactly the text to insert.

pub mod engine;
pub mod postprocess;
