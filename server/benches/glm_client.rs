//! Client overhead per request: one small streamed chat against a zero-latency loopback SSE
//! server (written here, since the tests crate's mock would be a dependency cycle).
//!
//! `cargo bench -p glm-lsp --bench glm_client` prints criterion's estimate and, first, p50 /
//! p99 over a fixed number of sequential requests.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use glm_lsp::glm::{ApiKey, ChatRequest, GlmClient, GlmSettings, Message};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A GLM-shaped stream: 20 reasoning chunks, 20 content chunks, the last chunk, `[DONE]`.
fn canned_response() -> Vec<u8> {
    let mut events = String::new();
    for index in 0..20 {
        events.push_str(&format!(
            "data: {{\"id\":\"b\",\"created\":1,\"model\":\"glm-4.7\",\"choices\":[{{\"index\":0,\"delta\":{{\"reasoning_content\":\"step {index} \"}}}}]}}\n\n"
        ));
    }
    for index in 0..20 {
        events.push_str(&format!(
            "data: {{\"id\":\"b\",\"created\":1,\"model\":\"glm-4.7\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"tok{index} \"}}}}]}}\n\n"
        ));
    }
    events.push_str("data: {\"id\":\"b\",\"created\":1,\"model\":\"glm-4.7\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"content\":\"\"}}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":40,\"total_tokens\":90,\"prompt_tokens_details\":{\"cached_tokens\":10}}}\n\ndata: [DONE]\n\n");
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    // One HTTP chunk per event, as a real server flushes them.
    for event in events.split_inclusive("\n\n") {
        response.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
    }
    response.extend_from_slice(b"0\r\n\r\n");
    response
}

async fn serve(listener: TcpListener) {
    let response: &'static [u8] = Box::leak(canned_response().into_boxed_slice());
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let _ = socket.set_nodelay(true);
        tokio::spawn(async move {
            let (read_half, mut write_half) = socket.into_split();
            let mut reader = BufReader::new(read_half);
            loop {
                let mut content_length = 0usize;
                let mut line = String::new();
                let mut first = true;
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" && !first {
                        break;
                    }
                    first = false;
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        content_length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; content_length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                if write_half.write_all(response).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn bench(criterion: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(serve(listener));
    let client = GlmClient::new(GlmSettings {
        api_key: Some(ApiKey::new("bench-key")),
        base_url: format!("http://{address}"),
        ..GlmSettings::default()
    });
    let request = ChatRequest::new(vec![
        Message::system("You complete code."),
        Message::user("fn main() {\n    let x = 1;\n    <cursor>\n}\n".repeat(20)),
    ]);
    let one = || {
        runtime.block_on(async {
            let outcome = client.chat(request.clone(), |_| {}).await.unwrap();
            assert_eq!(outcome.content.len(), 20 * 5 + 10);
        })
    };

    // Warm the connection pool, then measure percentiles over sequential requests.
    for _ in 0..200 {
        one();
    }
    let mut samples: Vec<Duration> = (0..2000)
        .map(|_| {
            let started = Instant::now();
            one();
            started.elapsed()
        })
        .collect();
    samples.sort();
    let percentile = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    eprintln!(
        "glm_client small streamed request (41 SSE events, keep-alive): p50 {:?}  p99 {:?}  max {:?}  over {} requests",
        percentile(0.50),
        percentile(0.99),
        samples[samples.len() - 1],
        samples.len()
    );

    criterion.bench_function("chat_small_stream", |bencher| bencher.iter(one));
}

criterion_group!(benches, bench);
criterion_main!(benches);
