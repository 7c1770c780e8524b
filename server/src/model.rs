//! The model as the rest of the server sees it: one async call behind a small trait, so
//! features can be tested with a fake and the real client (`glm`) is the only network I/O.

use futures::future::BoxFuture;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: Role::System, content: content.into() }
    }

    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: Role::User, content: content.into() }
    }
}

/// Interactive requests (completions) are sent before background ones (code actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Interactive,
    Background,
}

#[derive(Debug, Clone)]
pub struct ModelRequest {
    pub messages: Vec<ChatMessage>,
    pub urgency: Urgency,
    pub thinking: bool,
    pub max_tokens: Option<u32>,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Complete,
    /// Hit `max_tokens`: the answer is cut off and must not be used as if whole.
    Truncated,
    /// Refused by the provider's content filter.
    Blocked,
    Other(String),
}

#[derive(Debug, Clone)]
pub struct ModelAnswer {
    pub content: String,
    pub finish: Finish,
    pub reasoning_chars: usize,
}

/// What is happening while the model works, for progress reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelEvent {
    Queued,
    Thinking { tokens: usize },
    Writing { tokens: usize },
    Retrying { attempt: u32, reason: String },
}

/// A failure, with words fit to show the user (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    pub kind: ModelErrorKind,
    /// What notices are de-duplicated by: one notice per cause (`code 1113`, `HTTP 401`,
    /// `tls api.z.ai`), never one for several causes.
    pub cause: String,
    pub message: String,
}

impl ModelError {
    /// An error whose cause is its kind (for models without business codes, and fakes).
    pub fn new(kind: ModelErrorKind, message: impl Into<String>) -> ModelError {
        ModelError { kind, cause: format!("{kind:?}"), message: message.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelErrorKind {
    /// Missing or rejected key: the user must act; retrying per keystroke would only nag.
    Auth,
    /// Balance, account state or a used-up quota: the account needs attention.
    Account,
    /// A setting must change: the model, a parameter, the endpoint.
    Config,
    /// The provider's content filter blocked the request or its answer.
    Blocked,
    /// The prompt is longer than the model takes: the caller may retry once with a prompt
    /// built from a smaller context budget.
    PromptTooLong,
    /// Rate limits, overload or server errors that outlasted the retries.
    Busy,
    /// Connecting failed: DNS, TLS, a proxy, a refused connection, a timeout.
    Network,
    Cut,
    Other,
}

pub type EventSink = Box<dyn FnMut(ModelEvent) + Send>;

pub trait Model: Send + Sync + 'static {
    /// Runs one chat request. Dropping the future cancels it, upstream included.
    fn chat(&self, request: ModelRequest, events: EventSink) -> BoxFuture<'static, Result<ModelAnswer, ModelError>>;

    /// The model id, for item details and logs.
    fn name(&self) -> String;
}
