//! The GLM client as the server's `Model`: the one place where feature requests become
//! wire requests.

use futures::future::BoxFuture;

use super::{ApiClass, ChatEvent, ChatRequest, FinishReason, GlmClient, GlmError, Message, Priority};
use crate::model::{
    ChatMessage, EventSink, Finish, Model, ModelAnswer, ModelError, ModelErrorKind, ModelEvent, ModelRequest, Role,
    Urgency,
};

impl Model for GlmClient {
    fn chat(
        &self,
        request: ModelRequest,
        mut events: EventSink,
    ) -> BoxFuture<'static, Result<ModelAnswer, ModelError>> {
        let client = self.clone();
        let label = match request.urgency {
            Urgency::Interactive => "completion",
            Urgency::Background => "code-action",
        };
        let chat_request = ChatRequest {
            messages: request.messages.iter().map(wire_message).collect(),
            priority: match request.urgency {
                Urgency::Interactive => Priority::Interactive,
                Urgency::Background => Priority::Background,
            },
            thinking: Some(request.thinking),
            max_tokens: request.max_tokens,
            label,
            ..ChatRequest::default()
        };
        Box::pin(async move {
            let outcome = client
                .chat(chat_request, move |event| {
                    let event = match event {
                        ChatEvent::Queued => ModelEvent::Queued,
                        ChatEvent::Sent => return,
                        ChatEvent::Reasoning { approx_tokens } => ModelEvent::Thinking { tokens: approx_tokens },
                        ChatEvent::Content { approx_tokens } => ModelEvent::Writing { tokens: approx_tokens },
                        ChatEvent::Retrying { attempt, reason, .. } => ModelEvent::Retrying { attempt, reason },
                    };
                    events(event)
                })
                .await
                .map_err(model_error)?;
            let finish = match outcome.finish_reason {
                FinishReason::Stop => Finish::Complete,
                FinishReason::Length => Finish::Truncated,
                FinishReason::Sensitive => Finish::Blocked,
                other => Finish::Other(format!("{other:?}")),
            };
            Ok(ModelAnswer { content: outcome.content, finish, reasoning_chars: outcome.reasoning.chars().count() })
        })
    }

    fn name(&self) -> String {
        self.settings().model.clone()
    }
}

fn wire_message(message: &ChatMessage) -> Message {
    match message.role {
        Role::System => Message::system(message.content.clone()),
        Role::User => Message::user(message.content.clone()),
        Role::Assistant => Message::assistant(message.content.clone()),
    }
}

fn model_error(error: GlmError) -> ModelError {
    let kind = match &error {
        GlmError::MissingApiKey => ModelErrorKind::Auth,
        GlmError::Api(api) => match api.class() {
            ApiClass::Auth => ModelErrorKind::Auth,
            ApiClass::Account | ApiClass::Quota => ModelErrorKind::Account,
            ApiClass::Config => ModelErrorKind::Config,
            ApiClass::Blocked => ModelErrorKind::Blocked,
            ApiClass::PromptTooLong => ModelErrorKind::PromptTooLong,
            ApiClass::RateLimited | ApiClass::Server => ModelErrorKind::Busy,
            ApiClass::Refused => ModelErrorKind::Other,
        },
        GlmError::ProviderNetwork => ModelErrorKind::Busy,
        GlmError::Connect(_) | GlmError::Proxy { .. } | GlmError::Tls { .. } | GlmError::Dns(_) | GlmError::Timeout => {
            ModelErrorKind::Network
        }
        GlmError::StreamCut => ModelErrorKind::Cut,
        // Not `Cut`: a cut stream is a one-off, but an endpoint that does not end its answers
        // does it every time, and the user must hear which one it is.
        GlmError::ResponseTooLarge { .. } => ModelErrorKind::Other,
        GlmError::InvalidResponse(_) | GlmError::InvalidSettings(_) => ModelErrorKind::Config,
    };
    ModelError { kind, cause: error.cause(), message: error.to_string() }
}
