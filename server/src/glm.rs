//! The GLM chat-completions client: streamed requests with thinking, retries, a priority
//! queue under a concurrency cap, cancellation by drop, cost accounting and `doctor`.
//!
//! Only this module does network I/O with the model. Its parts:
//! - [`sse`] and [`stream`]: a sans-I/O SSE parser and the fold of chunks into an outcome,
//!   both tested by splitting a stream at every byte;
//! - [`response`]: what one response may send (a byte cap derived from `max_tokens`, counted
//!   before parsing) and the sans-I/O reader that turns its bytes into an outcome;
//! - [`client`]: the HTTP exchange on one pooled `reqwest` client;
//! - [`queue`], [`retry`], [`cost`]: concurrency, retry policy and prices, pure and unit-tested;
//! - [`doctor`]: configuration and connectivity checks in plain words.
//!
//! Invariants: the API key is only read where the `Authorization` header is built and never
//! reaches a log or an error; a cut stream is an error, never a result; dropping a `chat`
//! future drops its HTTP stream; no response body is read without a byte cap, and no attempt
//! outlives `timeoutSecs`.

mod as_model;
pub mod client;
pub mod connection;
pub mod cost;
pub mod doctor;
pub mod error;
pub mod provider;
pub mod queue;
pub mod response;
pub mod retry;
pub mod settings;
pub mod sse;
pub mod stream;
pub mod types;

pub use client::{build_body, GlmClient};
pub use cost::{Price, SessionTotals};
pub use doctor::{doctor, Check, DoctorReport};
pub use error::{ApiClass, ApiError, GlmError};
pub use provider::Provider;
pub use retry::RetryPolicy;
pub use settings::{ApiKey, GlmSettings, HttpSettings, DEFAULT_BASE_URL, DEFAULT_MODEL};
pub use types::{
    approx_tokens, ChatEvent, ChatOutcome, ChatRequest, FinishReason, Message, Priority, Role, ToolCall, Usage,
};
