//! Reading a streamed answer is linear: a 10 MB answer fed to the response reader one byte at
//! a time, and in 16 KiB pieces as a socket delivers it; and, for comparison, the progress
//! counting the client did before (every event recounted the whole answer so far) on 250 KB,
//! 500 KB and 1 MB answers, to show how that grew (about a minute for the last).
//!
//! `cargo bench -p glm-lsp --bench glm_stream`

use std::time::{Duration, Instant};

use glm_lsp::glm::approx_tokens;
use glm_lsp::glm::response::{ResponseCap, ResponseReader};
use glm_lsp::glm::sse::SseParser;
use glm_lsp::glm::stream::ChatStream;

/// An answer of about `bytes` bytes in content chunks of `piece_chars` characters, as SSE.
fn answer(bytes: usize, piece_chars: usize) -> (String, usize) {
    let piece: String = "let x = 1; // 注释\n".chars().cycle().take(piece_chars).collect();
    let mut body = String::new();
    let mut answer_bytes = 0;
    while answer_bytes < bytes {
        let chunk = serde_json::json!({"id": "b", "created": 1, "model": "glm-4.7",
            "choices": [{"index": 0, "delta": {"content": piece}}]});
        body.push_str(&format!("data: {chunk}\n\n"));
        answer_bytes += piece.len();
    }
    body.push_str("data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{}}]}\n\ndata: [DONE]\n\n");
    (body, answer_bytes)
}

fn read(body: &str, piece: usize) -> (Duration, usize) {
    let cap = ResponseCap { endpoint: "bench".into(), limit_bytes: body.len() as u64, max_tokens: None };
    let mut reader = ResponseReader::new(cap);
    let mut events = 0usize;
    let started = Instant::now();
    for bytes in body.as_bytes().chunks(piece) {
        reader.feed(bytes, &mut |_| events += 1).unwrap();
    }
    let outcome = reader.finish().unwrap();
    let elapsed = started.elapsed();
    assert!(!outcome.content.is_empty());
    (elapsed, events)
}

/// The loop the client ran before: the same parser and fold, and after every event the token
/// count of the whole answer so far.
fn read_recounting(body: &str) -> Duration {
    let mut parser = SseParser::new();
    let mut stream = ChatStream::new();
    let mut events = Vec::new();
    let mut reported = 0;
    let started = Instant::now();
    for bytes in body.as_bytes().chunks(16 << 10) {
        parser.feed(bytes, &mut events);
        for event in events.drain(..) {
            if stream.apply_event(event.event.as_deref(), &event.data).unwrap().content {
                reported = approx_tokens(stream.content());
            }
        }
    }
    assert!(reported > 0);
    started.elapsed()
}

fn main() {
    let (body, answer_bytes) = answer(10_000_000, 1000);
    println!("answer: {answer_bytes} bytes of content, {} bytes of SSE", body.len());
    for piece in [1, 16 << 10] {
        let (elapsed, events) = read(&body, piece);
        let rate = body.len() as f64 / elapsed.as_secs_f64() / (1 << 20) as f64;
        println!(
            "response reader, {piece:>5}-byte pieces: {elapsed:>10.1?} ({rate:.0} MiB/s, {events} progress events)"
        );
    }
    // GLM streams a token or a few per chunk: 4 characters a chunk is the realistic shape.
    for kilobytes in [250, 500, 1000] {
        let (body, _) = answer(kilobytes * 1000, 4);
        let (elapsed, _) = read(&body, 16 << 10);
        let before = read_recounting(&body);
        println!("{kilobytes:>4} KB answer in 4-character chunks: response reader {elapsed:>8.1?}, recounting per event (before) {before:>8.1?}");
    }
}
