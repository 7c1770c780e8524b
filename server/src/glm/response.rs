//! What one response may be, and how its bytes become an outcome: the cap on the bytes one
//! answer may send, the SSE parser, the fold of chunks and the progress counts, with no I/O
//! (the client only moves the socket's bytes into a [`ResponseReader`]).
//!
//! Why a cap: the parser keeps an unterminated line and the fold keeps the answer, so an
//! endpoint that streams without end (endless chunks, one endless line with no newline,
//! endless reasoning, endless keep-alive comments or empty events) would grow them until the
//! process runs out of memory, or for `timeoutSecs` at least. The cap counts the body's bytes
//! as they arrive, before they are parsed, so nothing the reader holds can outgrow it: the
//! half line, the answer, the reasoning and the tool calls are each at most that big.
//!
//! Why derived from `max_tokens` rather than a setting: a real answer can never be longer than
//! `max_tokens` tokens (reasoning included, the provider counts it), so a cap that grows with
//! it never cuts a real answer and needs no second knob. A GLM chunk carries one token in about
//! 190 bytes of JSON (id, created, model and role repeated on every chunk, `\uXXXX` escapes);
//! [`WIRE_BYTES_PER_TOKEN`] allows more than twice that, and [`MIN_STREAM_BYTES`] leaves room for
//! keep-alives and the final chunks of a small request.

use super::error::GlmError;
use super::sse::{SseEvent, SseParser};
use super::stream::ChatStream;
use super::types::{ChatEvent, ChatOutcome};

/// Bytes on the wire allowed per token of `max_tokens`.
pub const WIRE_BYTES_PER_TOKEN: u64 = 512;

/// No streamed answer is cut below this, however small its `max_tokens`.
pub const MIN_STREAM_BYTES: u64 = 1 << 20;

/// The `max_tokens` assumed when a request sets none: the largest the settings accept (and
/// GLM-4.7's maximum), since the provider's own default is not ours to know.
pub const UNSET_MAX_TOKENS: u32 = 131_072;

/// Of an error status's body only this much is read: its message is shortened to 300
/// characters anyway.
pub const ERROR_BODY_BYTES: usize = 64 << 10;

/// A `GET /models` list: a gateway listing hundreds of models with descriptions sends about
/// 1–2 MiB.
pub const MODELS_LIST_BYTES: usize = 8 << 20;

/// The most bytes one answer of a request with this `max_tokens` may send.
pub fn stream_byte_cap(max_tokens: Option<u32>) -> u64 {
    let tokens = u64::from(max_tokens.unwrap_or(UNSET_MAX_TOKENS));
    tokens.saturating_mul(WIRE_BYTES_PER_TOKEN).max(MIN_STREAM_BYTES)
}

/// What one response may send, and whom to name when it sends more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseCap {
    /// The URL the response came from, password redacted.
    pub endpoint: String,
    pub limit_bytes: u64,
    /// The request's `max_tokens` the limit was derived from, if it was.
    pub max_tokens: Option<u32>,
}

impl ResponseCap {
    /// The cap of a streamed chat answer.
    pub fn for_chat(endpoint: String, max_tokens: Option<u32>) -> ResponseCap {
        ResponseCap { endpoint, limit_bytes: stream_byte_cap(max_tokens), max_tokens }
    }

    /// The error for a response that went past the cap.
    pub fn exceeded(&self) -> GlmError {
        GlmError::ResponseTooLarge {
            endpoint: self.endpoint.clone(),
            limit_bytes: self.limit_bytes,
            max_tokens: self.max_tokens,
        }
    }
}

/// One streamed answer being read: bytes in, progress events out, an outcome at the end.
/// Every step costs in proportion to the bytes it is given, never to what came before.
#[derive(Debug)]
pub struct ResponseReader {
    cap: ResponseCap,
    received: u64,
    parser: SseParser,
    stream: ChatStream,
    events: Vec<SseEvent>,
    reported_reasoning: usize,
    reported_content: usize,
}

impl ResponseReader {
    pub fn new(cap: ResponseCap) -> ResponseReader {
        ResponseReader {
            cap,
            received: 0,
            parser: SseParser::new(),
            stream: ChatStream::new(),
            events: Vec::new(),
            reported_reasoning: 0,
            reported_content: 0,
        }
    }

    /// Takes the next bytes of the body, however the socket split them, and reports progress
    /// as approximate token counts (only when they change). Bytes that would take the body past
    /// the cap are refused before they are parsed.
    pub fn feed(&mut self, bytes: &[u8], progress: &mut impl FnMut(ChatEvent)) -> Result<(), GlmError> {
        self.received = self.received.saturating_add(bytes.len() as u64);
        if self.received > self.cap.limit_bytes {
            tracing::debug!(limit_bytes = self.cap.limit_bytes, "the response went past its byte cap; cut");
            return Err(self.cap.exceeded());
        }
        self.parser.feed(bytes, &mut self.events);
        self.apply_events(progress)
    }

    /// Whether `[DONE]` arrived: the rest of the body does not matter.
    pub fn is_done(&self) -> bool {
        self.stream.is_done()
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The body ended: the outcome, or why there is none.
    pub fn finish(mut self) -> Result<ChatOutcome, GlmError> {
        self.parser.finish(&mut self.events);
        self.apply_events(&mut |_| {})?;
        self.stream.finish()
    }

    fn apply_events(&mut self, progress: &mut impl FnMut(ChatEvent)) -> Result<(), GlmError> {
        for event in self.events.drain(..) {
            tracing::trace!(event = event.event.as_deref(), data = %event.data, "sse event");
            let added = self.stream.apply_event(event.event.as_deref(), &event.data)?;
            if added.reasoning {
                let tokens = self.stream.reasoning_tokens();
                if tokens != self.reported_reasoning {
                    self.reported_reasoning = tokens;
                    progress(ChatEvent::Reasoning { approx_tokens: tokens });
                }
            }
            if added.content {
                let tokens = self.stream.content_tokens();
                if tokens != self.reported_content {
                    self.reported_content = tokens;
                    progress(ChatEvent::Content { approx_tokens: tokens });
                }
            }
        }
        Ok(())
    }
}

/// "512 KiB", "4 MiB", "1.5 MiB": a byte count as the user reads it.
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        let mebibytes = format!("{:.1}", bytes as f64 / MIB as f64);
        format!("{} MiB", mebibytes.trim_end_matches(".0"))
    } else if bytes >= KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::glm::types::approx_tokens;
    use crate::glm::FinishReason;

    fn cap(limit_bytes: u64) -> ResponseCap {
        ResponseCap { endpoint: "http://127.0.0.1:9/v4/chat/completions".into(), limit_bytes, max_tokens: Some(64) }
    }

    fn chunk(field: &str, text: &str) -> String {
        let delta = serde_json::json!({ field: text });
        format!(
            "data: {}\n\n",
            serde_json::json!({"id": "x", "created": 1, "model": "glm-4.7", "choices": [{"index": 0, "delta": delta}]})
        )
    }

    const LAST: &str =
        "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{}}]}\n\ndata: [DONE]\n\n";

    /// Feeds `body` in pieces of `piece` bytes until the reader refuses it; the error and the
    /// bytes it had taken.
    fn feed_until_refused(reader: &mut ResponseReader, body: &[u8], piece: usize) -> Option<(GlmError, u64)> {
        for part in body.chunks(piece) {
            if let Err(error) = reader.feed(part, &mut |_| {}) {
                return Some((error, reader.received()));
            }
        }
        None
    }

    #[test]
    fn the_cap_grows_with_max_tokens_and_has_a_floor() {
        assert_eq!(stream_byte_cap(Some(16)), MIN_STREAM_BYTES);
        assert_eq!(stream_byte_cap(Some(8192)), 8192 * WIRE_BYTES_PER_TOKEN);
        assert_eq!(stream_byte_cap(None), u64::from(UNSET_MAX_TOKENS) * WIRE_BYTES_PER_TOKEN);
        assert!(stream_byte_cap(Some(u32::MAX)) > stream_byte_cap(Some(131_072)));
    }

    #[test]
    fn a_real_answer_of_max_tokens_tokens_fits() {
        // One token per chunk, as GLM streams, with reasoning and CJK escapes: the heaviest
        // real shape. Each chunk is a token of max_tokens.
        let max_tokens = 4096;
        let mut body = String::new();
        for index in 0..max_tokens / 2 {
            body.push_str(&chunk("reasoning_content", if index % 2 == 0 { "思考" } else { " step" }));
        }
        for index in 0..max_tokens / 2 {
            body.push_str(&chunk("content", if index % 2 == 0 { "\u{1F980}" } else { "    return" }));
        }
        body.push_str(LAST);
        let mut reader = ResponseReader::new(ResponseCap::for_chat("e".into(), Some(max_tokens)));
        assert!(feed_until_refused(&mut reader, body.as_bytes(), 4096).is_none());
        assert!(
            reader.received() * 2 < stream_byte_cap(Some(max_tokens)),
            "less than half the cap: {}",
            reader.received()
        );
        assert_eq!(reader.finish().unwrap().finish_reason, FinishReason::Stop);
    }

    /// Every shape of an endless response is refused at the cap, before the parser holds more.
    #[test]
    fn endless_responses_are_cut_at_the_cap() {
        let limit = 64 << 10;
        let endless_chunks = chunk("content", "x").repeat(2000);
        let endless_reasoning = chunk("reasoning_content", "hmm ").repeat(2000);
        let endless_line = format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{}", "a".repeat(200_000));
        let endless_comments = ": keep-alive\n\n".repeat(20_000);
        let endless_empty_events = "data: \n\n".repeat(20_000);
        for (name, body) in [
            ("chunks", endless_chunks),
            ("reasoning", endless_reasoning),
            ("one line", endless_line),
            ("comments", endless_comments),
            ("empty events", endless_empty_events),
        ] {
            assert!(body.len() as u64 > 2 * limit, "{name}: the body is longer than the cap");
            for piece in [1, 7, 4096, body.len()] {
                let mut reader = ResponseReader::new(cap(limit));
                let (error, received) = feed_until_refused(&mut reader, body.as_bytes(), piece)
                    .unwrap_or_else(|| panic!("{name} in pieces of {piece}: not cut"));
                assert_eq!(error, cap(limit).exceeded(), "{name}");
                assert!(received > limit && received <= limit + piece as u64, "{name}: {received}");
                // What the reader holds never passed the cap.
                assert!(reader.stream_len() <= limit as usize, "{name}");
            }
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(4 << 20), "4 MiB");
        assert_eq!(human_bytes(3 << 19), "1.5 MiB");
        assert_eq!(human_bytes(64 << 10), "64 KiB");
        assert_eq!(human_bytes(100), "100 bytes");
    }

    #[test]
    fn the_message_names_the_cap_and_the_endpoint() {
        let text = ResponseCap::for_chat("http://gateway.example/v4/chat/completions".into(), Some(8192))
            .exceeded()
            .to_string();
        assert!(text.contains("http://gateway.example/v4/chat/completions"), "{text}");
        assert!(text.contains("4 MiB") && text.contains("max_tokens 8192"), "{text}");
        assert!(text.contains("`baseUrl`"), "{text}");
    }

    #[test]
    fn progress_counts_are_those_of_the_whole_text() {
        let pieces = ["def ", "add(a, b):", "\n    ", "return a + b  # 求和 🦀", ""];
        let mut body = chunk("reasoning_content", "先想一想 then");
        for piece in pieces {
            body.push_str(&chunk("content", piece));
        }
        body.push_str(LAST);
        let mut reported = Vec::new();
        let mut reader = ResponseReader::new(cap(1 << 20));
        for byte in body.as_bytes().chunks(1) {
            reader.feed(byte, &mut |event| reported.push(event)).unwrap();
        }
        let mut answer = String::new();
        let mut expected = vec![ChatEvent::Reasoning { approx_tokens: approx_tokens("先想一想 then") }];
        for piece in pieces.iter().filter(|piece| !piece.is_empty()) {
            answer.push_str(piece);
            let tokens = approx_tokens(&answer);
            if expected.last() != Some(&ChatEvent::Content { approx_tokens: tokens }) {
                expected.push(ChatEvent::Content { approx_tokens: tokens });
            }
        }
        assert_eq!(reported, expected);
        assert_eq!(reader.finish().unwrap().content, answer);
    }

    /// Linear evidence: a 10 MB answer fed one byte at a time. Before the token counts were kept
    /// running, each event rescanned the whole answer so far: quadratic, a minute for a 1 MB answer
    /// in GLM-sized chunks (BENCHMARKS.md).
    #[test]
    fn a_ten_megabyte_answer_in_one_byte_pieces_is_read_in_linear_time() {
        let (body, answer_bytes) = ten_megabyte_answer();
        let mut reader = ResponseReader::new(cap(body.len() as u64));
        let mut last = None;
        let started = Instant::now();
        for byte in body.as_bytes().chunks(1) {
            reader.feed(byte, &mut |event| last = Some(event)).unwrap();
        }
        let outcome = reader.finish().unwrap();
        let elapsed = started.elapsed();
        assert_eq!(outcome.content.len(), answer_bytes);
        assert_eq!(last, Some(ChatEvent::Content { approx_tokens: approx_tokens(&outcome.content) }));
        // Generous for a debug build on a loaded machine (about 5 s); the quadratic version took
        // minutes for this input.
        assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    }

    /// About 10 MB of answer in 1 KiB content chunks, as SSE.
    pub(crate) fn ten_megabyte_answer() -> (String, usize) {
        let piece: String = "let x = 1; // 注释\n".chars().cycle().take(1000).collect();
        let mut body = String::new();
        let mut answer_bytes = 0;
        while answer_bytes < 10_000_000 {
            body.push_str(&chunk("content", &piece));
            answer_bytes += piece.len();
        }
        body.push_str(LAST);
        (body, answer_bytes)
    }

    impl ResponseReader {
        /// The bytes the reader holds: the half line and the answer so far.
        fn stream_len(&self) -> usize {
            self.parser.buffered() + self.stream.content().len() + self.stream.reasoning().len()
        }
    }
}
