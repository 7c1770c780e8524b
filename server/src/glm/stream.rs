//! Folds the `data:` payloads of a chat-completions stream into a [`ChatOutcome`]: reasoning
//! and content kept apart, tool-call fragments joined per `index`, the finish reason and
//! usage from the last chunk, and the difference between a finished and a cut stream.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::GlmError;
use super::types::{ChatOutcome, FinishReason, TokenTally, ToolCall, Usage};

/// What one payload added, so the caller can report progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub reasoning: bool,
    pub content: bool,
}

/// The state of one streamed answer.
#[derive(Debug, Default)]
pub struct ChatStream {
    content: String,
    reasoning: String,
    /// Running counts of `content` and `reasoning`, so progress costs the chunk, not the answer.
    content_tally: TokenTally,
    reasoning_tally: TokenTally,
    tool_calls: BTreeMap<usize, ToolCall>,
    finish_reason: Option<FinishReason>,
    usage: Option<Usage>,
    model: Option<String>,
    done: bool,
}

impl ChatStream {
    pub fn new() -> ChatStream {
        ChatStream::default()
    }

    /// Whether `[DONE]` arrived; anything after it is ignored.
    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn content(&self) -> &str {
        &self.content
    }

    pub fn reasoning(&self) -> &str {
        &self.reasoning
    }

    /// `approx_tokens(self.content())`, kept as the answer grows.
    pub fn content_tokens(&self) -> usize {
        self.content_tally.approx_tokens()
    }

    /// `approx_tokens(self.reasoning())`, kept as the thinking grows.
    pub fn reasoning_tokens(&self) -> usize {
        self.reasoning_tally.approx_tokens()
    }

    /// Applies one SSE event: its name (`event:`, when the server gave one) and its data.
    /// `event: error` is an error whatever its data holds (the official SDK raises on it).
    pub fn apply_event(&mut self, event: Option<&str>, data: &str) -> Result<Progress, GlmError> {
        if event == Some("error") && !self.done {
            return Err(GlmError::from_stream(data.trim()));
        }
        self.apply(data)
    }

    /// Applies the data of one event.
    pub fn apply(&mut self, data: &str) -> Result<Progress, GlmError> {
        let data = data.trim();
        if self.done || data.is_empty() {
            return Ok(Progress::default());
        }
        if data == "[DONE]" {
            self.done = true;
            return Ok(Progress::default());
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|error| GlmError::InvalidResponse(format!("a stream chunk is not valid JSON ({error})")))?;
        if chunk.error.as_ref().is_some_and(|error| !error.is_null()) {
            // Gateways and OpenAI-compatible servers report a failure inside a 200 stream;
            // its business code decides what happens, as it would on an HTTP status.
            return Err(GlmError::from_stream(data));
        }
        if self.model.is_none() {
            self.model = chunk.model;
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.into());
        }
        let mut progress = Progress::default();
        for choice in chunk.choices.into_iter().filter(|choice| choice.index == 0) {
            if let Some(delta) = choice.delta.or(choice.message) {
                if let Some(reasoning) = delta.reasoning_content.filter(|r| !r.is_empty()) {
                    self.reasoning.push_str(&reasoning);
                    self.reasoning_tally.add(&reasoning);
                    progress.reasoning = true;
                }
                if let Some(content) = delta.content.filter(|c| !c.is_empty()) {
                    self.content.push_str(&content);
                    self.content_tally.add(&content);
                    progress.content = true;
                }
                for fragment in delta.tool_calls.unwrap_or_default() {
                    let call = self
                        .tool_calls
                        .entry(fragment.index)
                        .or_insert_with(|| ToolCall { index: fragment.index, ..ToolCall::default() });
                    if let Some(id) = fragment.id.filter(|id| !id.is_empty()) {
                        call.id = id;
                    }
                    if let Some(kind) = fragment.kind.filter(|kind| !kind.is_empty()) {
                        call.kind = kind;
                    }
                    if let Some(function) = fragment.function {
                        if let Some(name) = function.name {
                            call.name.push_str(&name);
                        }
                        if let Some(arguments) = function.arguments {
                            call.arguments.push_str(&arguments);
                        }
                    }
                }
            }
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                self.finish_reason = Some(FinishReason::parse(&reason));
            }
        }
        Ok(progress)
    }

    /// The stream's bytes ended. Without `[DONE]` and without a `finish_reason` the answer
    /// is incomplete, and that is an error, never a result.
    pub fn finish(self) -> Result<ChatOutcome, GlmError> {
        let finish_reason = match (self.finish_reason, self.done) {
            // The provider lost the generation: what came is incomplete, like a cut stream,
            // but the provider says so and another attempt may succeed.
            (Some(FinishReason::NetworkError), _) => return Err(GlmError::ProviderNetwork),
            (Some(reason), _) => reason,
            // `[DONE]` is an explicit end, even from a server that omits the reason.
            (None, true) => FinishReason::Stop,
            (None, false) => return Err(GlmError::StreamCut),
        };
        Ok(ChatOutcome {
            content: self.content,
            reasoning: self.reasoning,
            tool_calls: self.tool_calls.into_values().collect(),
            finish_reason,
            usage: self.usage,
            cost_usd: None,
            model: self.model,
        })
    }
}

/// Parses a non-streaming (`stream: false`) response body.
pub fn parse_complete_response(body: &str) -> Result<ChatOutcome, GlmError> {
    let mut stream = ChatStream::new();
    stream.apply(body)?;
    if stream.finish_reason.is_none() && stream.content.is_empty() {
        return Err(GlmError::InvalidResponse("the response has no choices".into()));
    }
    stream.done = true;
    stream.finish()
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    delta: Option<Delta>,
    /// The non-streaming shape puts the same fields under `message`.
    #[serde(default)]
    message: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallFragment>>,
}

#[derive(Deserialize)]
struct ToolCallFragment {
    #[serde(default)]
    index: usize,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    function: Option<FunctionFragment>,
}

#[derive(Deserialize)]
struct FunctionFragment {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Deserialize)]
struct PromptTokensDetails {
    #[serde(default)]
    cached_tokens: u64,
}

impl From<WireUsage> for Usage {
    fn from(wire: WireUsage) -> Usage {
        Usage {
            prompt_tokens: wire.prompt_tokens,
            completion_tokens: wire.completion_tokens,
            total_tokens: wire.total_tokens,
            cached_tokens: wire.prompt_tokens_details.map(|details| details.cached_tokens).unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::error::ApiClass;
    use super::super::sse::SseParser;
    use super::*;

    /// A stream as GLM sends it, with two tool calls whose arguments arrive in fragments.
    fn sample_stream() -> String {
        let chunks = [
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Let me think: 你好 "}}]}"#,
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"delta":{"reasoning_content":"🦀 done."}}]}"#,
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"delta":{"content":"fn main() {"}}]}"#,
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"read","arguments":"{\"pa"}}]}}]}"#,
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"write","arguments":"{}"}},{"index":0,"function":{"arguments":"th\":1}"}}]}}]}"#,
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"delta":{"content":" }"}}]}"#,
            r#"{"id":"1","created":1,"model":"glm-4.7","choices":[{"index":0,"finish_reason":"stop","delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":120,"completion_tokens":80,"total_tokens":200,"prompt_tokens_details":{"cached_tokens":64}}}"#,
        ];
        let mut text: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
        text.push_str("data: [DONE]\n\n");
        text
    }

    fn run(bytes: &[u8], cuts: &[usize]) -> Result<ChatOutcome, GlmError> {
        let mut parser = SseParser::new();
        let mut stream = ChatStream::new();
        let mut events = Vec::new();
        let mut start = 0;
        let mut pieces: Vec<&[u8]> = Vec::new();
        for &cut in cuts {
            pieces.push(&bytes[start..cut]);
            start = cut;
        }
        pieces.push(&bytes[start..]);
        for piece in pieces {
            parser.feed(piece, &mut events);
            for event in events.drain(..) {
                stream.apply_event(event.event.as_deref(), &event.data)?;
            }
        }
        parser.finish(&mut events);
        for event in events.drain(..) {
            stream.apply_event(event.event.as_deref(), &event.data)?;
        }
        stream.finish()
    }

    fn expected() -> ChatOutcome {
        ChatOutcome {
            content: "fn main() { }".into(),
            reasoning: "Let me think: 你好 🦀 done.".into(),
            tool_calls: vec![
                ToolCall {
                    index: 0,
                    id: "call_a".into(),
                    kind: "function".into(),
                    name: "read".into(),
                    arguments: "{\"path\":1}".into(),
                },
                ToolCall {
                    index: 1,
                    id: "call_b".into(),
                    kind: "function".into(),
                    name: "write".into(),
                    arguments: "{}".into(),
                },
            ],
            finish_reason: FinishReason::Stop,
            usage: Some(Usage { prompt_tokens: 120, completion_tokens: 80, total_tokens: 200, cached_tokens: 64 }),
            cost_usd: None,
            model: Some("glm-4.7".into()),
        }
    }

    #[test]
    fn parses_whole_stream() {
        assert_eq!(run(sample_stream().as_bytes(), &[]).unwrap(), expected());
    }

    #[test]
    fn same_result_when_split_at_every_byte_boundary() {
        let text = sample_stream();
        let bytes = text.as_bytes();
        let mut inside_a_character = 0;
        for cut in 0..=bytes.len() {
            if !text.is_char_boundary(cut) {
                inside_a_character += 1;
            }
            assert_eq!(run(bytes, &[cut]).unwrap(), expected(), "cut at {cut}");
        }
        assert!(inside_a_character > 0, "the sample must contain multi-byte characters");
    }

    #[test]
    fn every_prefix_is_a_cut_or_the_full_result() {
        // A stream cut anywhere before its last chunk must never look like a result.
        let text = sample_stream();
        let bytes = text.as_bytes();
        let last_chunk_start = text
            .find("data: {\"id\":\"1\",\"created\":1,\"model\":\"glm-4.7\",\"choices\":[{\"index\":0,\"finish_reason\"")
            .unwrap();
        for end in 0..last_chunk_start {
            match run(&bytes[..end], &[]) {
                Err(GlmError::StreamCut) => {}
                other => panic!("prefix of {end} bytes gave {other:?}"),
            }
        }
    }

    #[test]
    fn finish_reason_without_done_is_a_result() {
        let data = r#"data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"length"}]}"#;
        let outcome = run(format!("{data}\n\n").as_bytes(), &[]).unwrap();
        assert_eq!(outcome.finish_reason, FinishReason::Length);
        assert_eq!(outcome.content, "x");
    }

    #[test]
    fn sensitive_is_reported() {
        let data = r#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"sensitive"}]}"#;
        let outcome = run(format!("{data}\n\ndata: [DONE]\n\n").as_bytes(), &[]).unwrap();
        assert_eq!(outcome.finish_reason, FinishReason::Sensitive);
    }

    #[test]
    fn error_inside_stream() {
        let data = r#"data: {"error":{"code":"1301","message":"unsafe"}}"#;
        let error = run(format!("{data}\n\n").as_bytes(), &[]).unwrap_err();
        assert_eq!(error.code(), Some("1301"), "{error:?}");
        assert_eq!(error.api_class(), Some(ApiClass::Blocked));
    }

    /// The captured wire shapes (`tests/fixtures/wire/`, one file per shape), each parsed whole
    /// and split at every byte boundary.
    fn captured(name: &str) -> &'static str {
        match name {
            "role_every_chunk" => include_str!("../../../tests/fixtures/wire/role_every_chunk.sse"),
            "content_before_reasoning" => include_str!("../../../tests/fixtures/wire/content_before_reasoning.sse"),
            "usage_trailing_chunk" => include_str!("../../../tests/fixtures/wire/usage_trailing_chunk.sse"),
            "tool_calls_twice" => include_str!("../../../tests/fixtures/wire/tool_calls_twice.sse"),
            "unicode_escapes" => include_str!("../../../tests/fixtures/wire/unicode_escapes.sse"),
            "event_error_1302" => include_str!("../../../tests/fixtures/wire/event_error_1302.sse"),
            "data_error_1113" => include_str!("../../../tests/fixtures/wire/data_error_1113.sse"),
            "finish_network_error" => include_str!("../../../tests/fixtures/wire/finish_network_error.sse"),
            "finish_sensitive" => include_str!("../../../tests/fixtures/wire/finish_sensitive.sse"),
            "heartbeat_no_space" => include_str!("../../../tests/fixtures/wire/heartbeat_no_space.sse"),
            other => panic!("no fixture {other}"),
        }
    }

    fn run_split_everywhere(name: &str) -> Result<ChatOutcome, GlmError> {
        let bytes = captured(name).as_bytes();
        let whole = run(bytes, &[]);
        for cut in 0..=bytes.len() {
            assert_eq!(run(bytes, &[cut]), whole, "{name} cut at {cut}");
        }
        whole
    }

    const ANSWER: &str = "def add(a, b):\n    return a + b";

    fn usage(prompt_tokens: u64, completion_tokens: u64, cached_tokens: u64) -> Option<Usage> {
        Some(Usage { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens, cached_tokens })
    }

    #[test]
    fn captured_answers() {
        let outcome = run_split_everywhere("role_every_chunk").unwrap();
        assert_eq!(outcome.content, format!("\n```python\n{ANSWER}\n```"));
        assert_eq!(outcome.reasoning, "\nThe user wants the sum.");
        assert_eq!((outcome.finish_reason, outcome.usage), (FinishReason::Stop, usage(412, 37, 0)));
        assert_eq!(outcome.model.as_deref(), Some("glm-4.5"));

        let outcome = run_split_everywhere("content_before_reasoning").unwrap();
        assert_eq!(outcome.content, format!("\n\n{ANSWER}"));
        assert_eq!(outcome.reasoning, "Add the two arguments.");

        let outcome = run_split_everywhere("usage_trailing_chunk").unwrap();
        assert_eq!(outcome.content, format!("\n```py\n{ANSWER}\n```"));
        assert_eq!(outcome.usage, usage(1200, 64, 1024), "usage from the chunk with no choices");

        let outcome = run_split_everywhere("unicode_escapes").unwrap();
        assert_eq!(outcome.content, format!("\n```python\n{ANSWER}  # 求和 🦀\n```"));
        assert_eq!(outcome.reasoning, "返回两数之和");

        let outcome = run_split_everywhere("heartbeat_no_space").unwrap();
        assert_eq!(outcome.content, format!("```python\n{ANSWER}\n```"));
        assert_eq!(outcome.usage, usage(400, 20, 0));
    }

    #[test]
    fn captured_tool_calls_finish_twice_and_keep_the_second_usage() {
        let outcome = run_split_everywhere("tool_calls_twice").unwrap();
        assert_eq!(outcome.finish_reason, FinishReason::ToolCalls);
        assert_eq!(outcome.usage, usage(300, 25, 0));
        assert_eq!(outcome.tool_calls.len(), 1);
        assert_eq!(outcome.tool_calls[0].id, "call_20260114093015e5c1a2b3c4d5e6f708_0");
        assert_eq!(outcome.tool_calls[0].arguments, r#"{"path": "src/add.py"}"#);
    }

    #[test]
    fn captured_failures() {
        let error = run_split_everywhere("event_error_1302").unwrap_err();
        assert_eq!((error.code(), error.api_class()), (Some("1302"), Some(ApiClass::RateLimited)));
        assert!(error.is_retryable());
        let error = run_split_everywhere("data_error_1113").unwrap_err();
        assert_eq!((error.code(), error.api_class()), (Some("1113"), Some(ApiClass::Account)));
        assert!(!error.is_retryable());
        let error = run_split_everywhere("finish_network_error").unwrap_err();
        assert_eq!(error, GlmError::ProviderNetwork);
        assert!(error.is_retryable());
        let outcome = run_split_everywhere("finish_sensitive").unwrap();
        assert_eq!(outcome.finish_reason, FinishReason::Sensitive);
    }

    #[test]
    fn garbage_is_invalid_response_not_panic() {
        let error = run(b"data: {not json\n\n", &[]).unwrap_err();
        assert!(matches!(error, GlmError::InvalidResponse(_)));
        let error = run(b"data: [1,2,3]\n\n", &[]).unwrap_err();
        assert!(matches!(error, GlmError::InvalidResponse(_)));
    }

    #[test]
    fn non_streaming_body() {
        let body = r#"{"id":"x","request_id":"y","created":1,"model":"glm-4.7","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","reasoning_content":"r","content":"c","tool_calls":[]}}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}}"#;
        let outcome = parse_complete_response(body).unwrap();
        assert_eq!(outcome.content, "c");
        assert_eq!(outcome.reasoning, "r");
        assert_eq!(outcome.usage.unwrap().cached_tokens, 1);
    }

    proptest::proptest! {
        #[test]
        fn same_result_for_any_set_of_cuts(mut cuts in proptest::collection::vec(0usize..2000, 0..40)) {
            let text = sample_stream();
            let bytes = text.as_bytes();
            for cut in cuts.iter_mut() {
                *cut %= bytes.len() + 1;
            }
            cuts.sort_unstable();
            proptest::prop_assert_eq!(run(bytes, &cuts).unwrap(), expected());
        }
    }
}
