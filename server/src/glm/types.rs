//! The plain data a caller exchanges with the client: requests, progress events, outcomes.

use std::time::{Duration, Instant};

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// Earlier thinking passed back in an assistant message: GLM-4.7 "preserved thinking"
    /// improves cache hits across turns.
    pub reasoning_content: Option<String>,
    /// For `Role::Tool`: the call this message answers.
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message { role, content: content.into(), reasoning_content: None, tool_call_id: None }
    }
    pub fn system(content: impl Into<String>) -> Message {
        Message::new(Role::System, content)
    }
    pub fn user(content: impl Into<String>) -> Message {
        Message::new(Role::User, content)
    }
    pub fn assistant(content: impl Into<String>) -> Message {
        Message::new(Role::Assistant, content)
    }
}

/// Queue order when the concurrency cap is reached: interactive requests (a completion the
/// user waits for) go before background ones (prefetch, batch test generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    Interactive,
    #[default]
    Background,
}

/// One chat request. Fields left `None` fall back to the client's settings.
#[derive(Debug, Clone, Default)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub priority: Priority,
    /// Per-feature override of `GlmSettings::thinking`.
    pub thinking: Option<bool>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// No retry is started, and no wait is made, past this instant.
    pub deadline: Option<Instant>,
    /// OpenAI-style `tools` array, passed through as is.
    pub tools: Option<serde_json::Value>,
    pub tool_choice: Option<serde_json::Value>,
    /// e.g. `{"type": "json_object"}`.
    pub response_format: Option<serde_json::Value>,
    /// A short name for logs ("completion", "code-action").
    pub label: &'static str,
}

impl ChatRequest {
    pub fn new(messages: Vec<Message>) -> ChatRequest {
        ChatRequest { messages, ..ChatRequest::default() }
    }
}

/// Progress of one request, for work-done progress in the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// The concurrency cap is reached; the request waits in the queue.
    Queued,
    /// The request went out (once per attempt).
    Sent,
    /// Thinking so far, as an approximate token count (cumulative).
    Reasoning { approx_tokens: usize },
    /// Answer so far, as an approximate token count (cumulative).
    Content { approx_tokens: usize },
    /// An attempt failed with a transient error; the next starts after `after`.
    Retrying { attempt: u32, after: Duration, reason: String },
}

/// Why generation stopped. Callers must refuse anything but `Stop` (and `ToolCalls` when
/// they asked for tools): `Length` is a truncated answer, `Sensitive` a blocked one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Length,
    Sensitive,
    ToolCalls,
    NetworkError,
    Other(String),
}

impl FinishReason {
    pub fn parse(text: &str) -> FinishReason {
        match text {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "sensitive" => FinishReason::Sensitive,
            "tool_calls" => FinishReason::ToolCalls,
            "network_error" => FinishReason::NetworkError,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}

/// One function call the model asked for; `arguments` is the concatenation of every streamed
/// fragment with the same `index`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolCall {
    pub index: usize,
    pub id: String,
    pub kind: String,
    pub name: String,
    pub arguments: String,
}

/// Token counts from the last chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// `prompt_tokens_details.cached_tokens`: the part of the prompt served from the cache.
    pub cached_tokens: u64,
}

/// A finished generation. Only returned when the stream really ended (`[DONE]` or a
/// `finish_reason`); a cut stream is `GlmError::StreamCut`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutcome {
    pub content: String,
    pub reasoning: String,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: FinishReason,
    pub usage: Option<Usage>,
    /// `None` when there is no usage or the model has no price.
    pub cost_usd: Option<f64>,
    pub model: Option<String>,
}

/// A rough token count for progress messages: about 4 ASCII characters or 1.6 CJK
/// characters per token. The exact count comes in `usage`.
pub fn approx_tokens(text: &str) -> usize {
    let mut tally = TokenTally::default();
    tally.add(text);
    tally.approx_tokens()
}

/// The running counts behind [`approx_tokens`]: a text that grows piece by piece is counted
/// once, each piece when it arrives, with the same result as counting the whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenTally {
    ascii: usize,
    other: usize,
}

impl TokenTally {
    pub fn add(&mut self, text: &str) {
        // Bytes, not chars: an ASCII character is one byte below 0x80, and every other
        // character has exactly one leading byte at or above 0xC0.
        for &byte in text.as_bytes() {
            if byte < 0x80 {
                self.ascii += 1;
            } else if byte >= 0xC0 {
                self.other += 1;
            }
        }
    }

    pub fn approx_tokens(&self) -> usize {
        self.ascii.div_ceil(4) + (self.other * 5).div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approx_tokens_is_rough_but_monotonic() {
        assert_eq!(approx_tokens(""), 0);
        assert_eq!(approx_tokens("abcd"), 1);
        assert_eq!(approx_tokens("abcdefgh"), 2);
        assert!(approx_tokens("你好世界你好世界") >= 4);
    }

    #[test]
    fn a_tally_fed_in_pieces_counts_as_the_whole() {
        let text = "fn add(a: i32) -> i32 { a } // 求和 🦀 é";
        let mut tally = TokenTally::default();
        for (start, ch) in text.char_indices() {
            tally.add(&text[start..start + ch.len_utf8()]);
            assert_eq!(tally.approx_tokens(), approx_tokens(&text[..start + ch.len_utf8()]));
        }
        let chars = text.chars();
        let (ascii, other) = (chars.clone().filter(char::is_ascii).count(), chars.filter(|c| !c.is_ascii()).count());
        assert_eq!(tally, TokenTally { ascii, other });
    }

    #[test]
    fn finish_reasons() {
        assert_eq!(FinishReason::parse("length"), FinishReason::Length);
        assert_eq!(FinishReason::parse("sensitive"), FinishReason::Sensitive);
        assert_eq!(FinishReason::parse("weird"), FinishReason::Other("weird".into()));
    }
}
