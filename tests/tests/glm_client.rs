//! The GLM client against the mock GLM server: wire format, streaming, retries, the queue,
//! cancellation, cost, doctor and log hygiene. No network beyond 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use glm_lsp::glm::{
    doctor, ApiClass, ApiKey, ChatEvent, ChatRequest, FinishReason, GlmClient, GlmError, GlmSettings, Message,
    Priority, RetryPolicy,
};
use glm_lsp_e2e::mock_glm::{MockGlm, MockUsage, Reply};

const KEY: &str = "test-key-5f1c9a";

fn settings_for(mock: &MockGlm) -> GlmSettings {
    GlmSettings { api_key: Some(ApiKey::new(KEY)), base_url: mock.base_url(), ..GlmSettings::default() }
}

/// Short backoff so that retry tests take milliseconds.
fn fast_retries() -> RetryPolicy {
    RetryPolicy { base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(20), ..RetryPolicy::default() }
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new(vec![Message::system("You are terse."), Message::user(text)])
}

#[tokio::test]
async fn request_carries_model_thinking_stream_and_bearer_key() {
    let mock = MockGlm::start().await;
    mock.set_expected_key(KEY);
    mock.push_reply(
        Reply::thinking_then("First I consider 你好. ", "fn answer() -> u32 { 42 }")
            .paced(5, Duration::ZERO)
            .with_usage(MockUsage { prompt_tokens: 1000, completion_tokens: 500, cached_tokens: 400 }),
    );
    let client = GlmClient::new(settings_for(&mock));
    let mut events = Vec::new();
    let outcome = client.chat(ask("write answer"), |event| events.push(event)).await.unwrap();

    assert_eq!(outcome.reasoning, "First I consider 你好. ");
    assert_eq!(outcome.content, "fn answer() -> u32 { 42 }");
    assert_eq!(outcome.finish_reason, FinishReason::Stop);
    let usage = outcome.usage.unwrap();
    assert_eq!((usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens), (1000, 400, 500));
    let expected_cost = (600.0 * 0.30 + 400.0 * 0.06 + 500.0 * 1.10) / 1e6;
    assert!((outcome.cost_usd.unwrap() - expected_cost).abs() < 1e-12);

    let totals = client.totals();
    assert_eq!(totals.requests, 1);
    assert_eq!(totals.cached_tokens, 400);
    assert!((totals.usd - expected_cost).abs() < 1e-12);

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/chat/completions");
    assert_eq!(request.header("authorization"), Some(&*format!("Bearer {KEY}")));
    assert!(request.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(request.body["model"], "glm-4.7");
    assert_eq!(request.body["stream"], true);
    assert_eq!(request.body["thinking"], serde_json::json!({"type": "enabled"}));
    assert_eq!(request.body["messages"][1]["content"], "write answer");
    for absent in ["frequency_penalty", "presence_penalty", "stream_options", "temperature", "top_p"] {
        assert!(request.body.get(absent).is_none(), "{absent} must not be sent");
    }

    // Progress: sent, then reasoning, then content; counts only grow.
    assert_eq!(events.first(), Some(&ChatEvent::Sent));
    let first_content = events.iter().position(|event| matches!(event, ChatEvent::Content { .. })).unwrap();
    let last_reasoning = events.iter().rposition(|event| matches!(event, ChatEvent::Reasoning { .. })).unwrap();
    assert!(last_reasoning < first_content, "{events:?}");
    assert!(!events.contains(&ChatEvent::Queued));
}

#[tokio::test]
async fn per_request_overrides_reach_the_wire() {
    let mock = MockGlm::start().await;
    let client =
        GlmClient::new(GlmSettings { model: "glm-5-turbo".into(), temperature: Some(0.3), ..settings_for(&mock) });
    let mut request = ask("x");
    request.thinking = Some(false);
    request.max_tokens = Some(2048);
    client.chat(request, |_| {}).await.unwrap();
    let body = &mock.requests()[0].body;
    assert_eq!(body["model"], "glm-5-turbo");
    assert_eq!(body["thinking"]["type"], "disabled");
    assert_eq!(body["max_tokens"], 2048);
    assert!((body["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6);
}

#[tokio::test]
async fn rate_limited_then_success_is_retried() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::rate_limited(0));
    mock.push_reply(Reply::rate_limited(1));
    mock.push_reply(Reply::text("finally"));
    let client = GlmClient::with_retry_policy(settings_for(&mock), fast_retries());
    let mut events = Vec::new();
    let started = Instant::now();
    let outcome = client.chat(ask("x"), |event| events.push(event)).await.unwrap();
    assert_eq!(outcome.content, "finally");
    assert_eq!(mock.requests().len(), 3);
    // Retry-After: 1 was honoured (not the 20 ms backoff).
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    let retries: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            ChatEvent::Retrying { attempt, after, reason } => Some((*attempt, *after, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2, "{events:?}");
    assert_eq!(retries[0].0, 1);
    assert_eq!(retries[0].1, Duration::ZERO);
    assert_eq!(retries[1].1, Duration::from_secs(1));
    assert!(retries[0].2.contains("1302"), "{}", retries[0].2);
    assert_eq!(events.iter().filter(|event| **event == ChatEvent::Sent).count(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_at_most_three_times() {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::status(503, None, "upstream down"));
    let client = GlmClient::with_retry_policy(settings_for(&mock), fast_retries());
    let error = client.chat(ask("x"), |_| {}).await.unwrap_err();
    assert_eq!(error.api_class(), Some(ApiClass::Server), "{error:?}");
    assert_eq!(mock.requests().len(), 4, "one attempt and three retries");
}

#[tokio::test]
async fn no_retry_past_the_deadline() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::rate_limited(5));
    let client = GlmClient::new(settings_for(&mock));
    let mut request = ask("x");
    request.deadline = Some(Instant::now() + Duration::from_secs(1));
    let started = Instant::now();
    let error = client.chat(request, |_| {}).await.unwrap_err();
    assert_eq!(error.api_class(), Some(ApiClass::RateLimited), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_says_what_to_do() {
    let mock = MockGlm::start().await;
    mock.set_expected_key("the-right-key");
    let client = GlmClient::with_retry_policy(settings_for(&mock), fast_retries());
    let mut events = Vec::new();
    let error = client.chat(ask("x"), |event| events.push(event)).await.unwrap_err();
    assert_eq!(error.api_class(), Some(ApiClass::Auth), "{error:?}");
    let words = error.to_string();
    assert!(words.contains("GLM_API_KEY") && words.contains("apiKey"), "{words}");
    assert!(!words.contains(KEY));
    assert_eq!(mock.requests().len(), 1);
    assert!(!events.iter().any(|event| matches!(event, ChatEvent::Retrying { .. })));
}

#[tokio::test]
async fn business_error_on_400_is_not_retried() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::status(400, Some("1211"), "模型不存在"));
    let client = GlmClient::with_retry_policy(settings_for(&mock), fast_retries());
    let error = client.chat(ask("x"), |_| {}).await.unwrap_err();
    assert_eq!(error.code(), Some("1211"));
    assert!(error.to_string().contains("`model` setting"));
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn cut_stream_is_an_error_not_a_result() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::cut("fn half_writ"));
    let client = GlmClient::with_retry_policy(settings_for(&mock), fast_retries());
    let error = client.chat(ask("x"), |_| {}).await.unwrap_err();
    assert_eq!(error, GlmError::StreamCut);
    assert_eq!(mock.requests().len(), 1, "a cut generation is not paid for twice");
    assert_eq!(client.totals().requests, 0);
}

#[tokio::test]
async fn stream_ending_cleanly_without_done_or_finish_reason_is_cut() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::RawSse {
        body: "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n".into(),
    });
    let client = GlmClient::new(settings_for(&mock));
    assert_eq!(client.chat(ask("x"), |_| {}).await.unwrap_err(), GlmError::StreamCut);
}

#[tokio::test]
async fn length_and_sensitive_come_back_as_finish_reasons() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::truncated("thinking for a long time", ""));
    mock.push_reply(Reply::text("").with_finish_reason("sensitive"));
    let client = GlmClient::new(settings_for(&mock));
    let truncated = client.chat(ask("x"), |_| {}).await.unwrap();
    assert_eq!(truncated.finish_reason, FinishReason::Length);
    assert_eq!(truncated.content, "");
    assert_eq!(truncated.reasoning, "thinking for a long time");
    let blocked = client.chat(ask("x"), |_| {}).await.unwrap();
    assert_eq!(blocked.finish_reason, FinishReason::Sensitive);
}

#[tokio::test]
async fn tool_call_fragments_are_joined() {
    let mock = MockGlm::start().await;
    let reply = glm_lsp_e2e::mock_glm::StreamReply {
        tool_calls: vec![glm_lsp_e2e::mock_glm::MockToolCall {
            id: "call_1".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"src/main.rs","lines":[1,20]}"#.into(),
        }],
        finish_reason: "tool_calls".into(),
        chunk_chars: 4,
        ..Default::default()
    };
    mock.push_reply(Reply::Stream(reply));
    let client = GlmClient::new(settings_for(&mock));
    let outcome = client.chat(ask("x"), |_| {}).await.unwrap();
    assert_eq!(outcome.finish_reason, FinishReason::ToolCalls);
    assert_eq!(outcome.tool_calls.len(), 1);
    assert_eq!(outcome.tool_calls[0].name, "read_file");
    assert_eq!(outcome.tool_calls[0].arguments, r#"{"path":"src/main.rs","lines":[1,20]}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_max_concurrency_in_flight() {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("slow answer").paced(2, Duration::from_millis(15)));
    let client = GlmClient::new(GlmSettings { max_concurrency: 2, ..settings_for(&mock) });
    let queued = Arc::new(Mutex::new(0));
    let tasks: Vec<_> = (0..6)
        .map(|index| {
            let client = client.clone();
            let queued = queued.clone();
            tokio::spawn(async move {
                client
                    .chat(ask(&format!("request {index}")), move |event| {
                        if event == ChatEvent::Queued {
                            *queued.lock().unwrap() += 1;
                        }
                    })
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().content, "slow answer");
    }
    assert_eq!(mock.requests().len(), 6);
    assert_eq!(mock.max_in_flight(), 2);
    assert_eq!(*queued.lock().unwrap(), 4);
    assert_eq!(client.in_flight(), 0);
}

#[tokio::test]
async fn concurrency_cap_is_hot_reloaded() {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("x").with_think_delay(Duration::from_millis(60)));
    let client = GlmClient::new(GlmSettings { max_concurrency: 1, ..settings_for(&mock) });
    client.update_settings(GlmSettings { max_concurrency: 3, ..settings_for(&mock) });
    let runs = (0..3).map(|_| client.chat(ask("x"), |_| {}));
    for result in futures::future::join_all(runs).await {
        result.unwrap();
    }
    assert_eq!(mock.max_in_flight(), 3);
}

#[tokio::test]
async fn interactive_requests_jump_the_queue() {
    let mock = MockGlm::start().await;
    mock.set_default_reply(Reply::text("ok"));
    // The first request holds the only slot until the others are queued.
    mock.push_reply(Reply::text("occupant").with_think_delay(Duration::from_millis(300)));
    let client = GlmClient::new(GlmSettings { max_concurrency: 1, ..settings_for(&mock) });
    let occupant = {
        let client = client.clone();
        tokio::spawn(async move { client.chat(ask("occupant"), |_| {}).await })
    };
    mock.wait_for_requests(1, Duration::from_secs(2)).await;

    let mut waiters = Vec::new();
    for (name, priority) in [
        ("background-1", Priority::Background),
        ("background-2", Priority::Background),
        ("interactive-1", Priority::Interactive),
        ("interactive-2", Priority::Interactive),
    ] {
        let (queued_sender, queued_receiver) = tokio::sync::oneshot::channel();
        let client = client.clone();
        let mut queued_sender = Some(queued_sender);
        waiters.push(tokio::spawn(async move {
            let mut request = ask(name);
            request.priority = priority;
            client
                .chat(request, move |event| {
                    if event == ChatEvent::Queued {
                        if let Some(sender) = queued_sender.take() {
                            let _ = sender.send(());
                        }
                    }
                })
                .await
        }));
        // Wait until it is in the queue so that arrival order is fixed.
        queued_receiver.await.unwrap();
    }
    occupant.await.unwrap().unwrap();
    for waiter in waiters {
        waiter.await.unwrap().unwrap();
    }
    let order: Vec<String> = mock
        .requests()
        .iter()
        .map(|request| request.body["messages"][1]["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["occupant", "interactive-1", "interactive-2", "background-1", "background-2"]);
}

#[tokio::test]
async fn queued_request_dropped_is_never_sent() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::text("occupant").with_think_delay(Duration::from_millis(150)));
    let client = GlmClient::new(GlmSettings { max_concurrency: 1, ..settings_for(&mock) });
    let occupant = {
        let client = client.clone();
        tokio::spawn(async move { client.chat(ask("occupant"), |_| {}).await })
    };
    mock.wait_for_requests(1, Duration::from_secs(2)).await;
    let dropped = tokio::time::timeout(Duration::from_millis(30), client.chat(ask("never sent"), |_| {})).await;
    assert!(dropped.is_err(), "the second request must still be queued");
    occupant.await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(client.in_flight(), 0);
}

#[tokio::test]
async fn dropping_the_future_during_a_stall_closes_the_connection_fast() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::stall());
    mock.push_reply(Reply::Stall { send_headers: false });
    let client = GlmClient::new(settings_for(&mock));

    for stall in 1..=2 {
        let chat = client.chat(ask("x"), |_| {});
        let waiter = mock.wait_for_requests(stall, Duration::from_secs(2));
        let (timed_out, _) = tokio::join!(tokio::time::timeout(Duration::from_millis(150), chat), async {
            waiter.await;
        });
        // The timeout dropped the chat future right here.
        assert!(timed_out.is_err());
        let close = mock.wait_for_close(Duration::from_secs(2)).await.expect("the mock saw the client close");
        assert!(close < Duration::from_millis(50), "closed after {close:?}");
        assert_eq!(mock.closed_early(), stall);
    }
    assert_eq!(mock.in_flight(), 0);

    // The client still works afterwards.
    mock.push_reply(Reply::text("alive"));
    assert_eq!(client.chat(ask("x"), |_| {}).await.unwrap().content, "alive");
}

#[tokio::test]
async fn dropping_the_future_during_a_slow_stream_stops_it() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::thinking_then("a".repeat(400), "b".repeat(400)).paced(4, Duration::from_millis(10)));
    let client = GlmClient::new(settings_for(&mock));
    let (content_seen_sender, content_seen) = tokio::sync::oneshot::channel();
    let mut content_seen_sender = Some(content_seen_sender);
    let chat = client.chat(ask("x"), move |event| {
        if matches!(event, ChatEvent::Reasoning { approx_tokens } if approx_tokens > 5) {
            if let Some(sender) = content_seen_sender.take() {
                let _ = sender.send(());
            }
        }
    });
    tokio::select! {
        _ = chat => panic!("the stream should still be running"),
        _ = content_seen => {}
    }
    let close = mock.wait_for_close(Duration::from_secs(2)).await.unwrap();
    assert!(close < Duration::from_millis(50), "closed after {close:?}");
    assert_eq!(mock.closed_early(), 1);
}

#[tokio::test]
async fn timeout_setting_bounds_an_attempt() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::stall());
    let client = GlmClient::new(GlmSettings { timeout: Duration::from_millis(200), ..settings_for(&mock) });
    let started = Instant::now();
    assert_eq!(client.chat(ask("x"), |_| {}).await.unwrap_err(), GlmError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Collects everything a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_key_never_appears_in_trace_logs() {
    let unique_key = "sk-unique-d41d8cd98f00b204e9800998ecf8427e";
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // A current-thread runtime keeps every task (the client's connection tasks too) on this
    // thread, where the subscriber is the default.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let mock = MockGlm::start().await;
            mock.set_expected_key(unique_key);
            let good = GlmSettings {
                api_key: Some(ApiKey::new(unique_key)),
                base_url: mock.base_url(),
                ..GlmSettings::default()
            };
            let client = GlmClient::with_retry_policy(good.clone(), fast_retries());
            mock.push_reply(Reply::thinking_then("think", "answer"));
            client.chat(ask("x"), |_| {}).await.unwrap();
            mock.push_reply(Reply::rate_limited(0));
            mock.push_reply(Reply::status(500, None, format!("echo {unique_key}")));
            mock.push_reply(Reply::text("after retries"));
            client.chat(ask("x"), |_| {}).await.unwrap();
            mock.push_reply(Reply::cut("partial"));
            client.chat(ask("x"), |_| {}).await.unwrap_err();
            mock.push_reply(Reply::status(400, Some("1214"), format!("bad key {unique_key}")));
            let error = client.chat(ask("x"), |_| {}).await.unwrap_err();
            assert!(!error.to_string().contains(unique_key), "{error}");

            // A 401: the mock expects another key.
            mock.set_expected_key("something-else");
            let error = client.chat(ask("x"), |_| {}).await.unwrap_err();
            assert_eq!(error.api_class(), Some(ApiClass::Auth));

            // Connection refused and doctor.
            let refused = GlmSettings { base_url: "http://127.0.0.1:9".into(), ..good.clone() };
            let _ = GlmClient::with_retry_policy(refused.clone(), fast_retries()).chat(ask("x"), |_| {}).await;
            let report = doctor(&good).await;
            assert!(!report.to_string().contains(unique_key));
        });
    });
    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("glm_request"), "spans are logged:\n{output}");
    assert!(output.contains("GLM request finished"));
    assert!(output.contains("retrying"));
    assert!(output.contains("TRACE"), "trace level is on");
    assert!(!output.contains(unique_key), "the key leaked:\n{output}");
    assert!(!output.contains("d41d8cd98f00b204"), "part of the key leaked");
}

#[tokio::test]
async fn doctor_against_the_mock() {
    let mock = MockGlm::start().await;
    mock.set_expected_key(KEY);
    let report = doctor(&settings_for(&mock)).await;
    assert!(report.is_ok(), "{report}");
    let request = &mock.requests()[0];
    assert_eq!(request.body["thinking"]["type"], "disabled");
    assert!(request.body["max_tokens"].as_u64().unwrap() <= 64);

    let wrong_key = GlmSettings { api_key: Some(ApiKey::new("wrong")), ..settings_for(&mock) };
    let report = doctor(&wrong_key).await;
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(text.contains("401") && text.contains("fix:"), "{text}");

    mock.push_reply(Reply::status(400, Some("1211"), "Unknown Model"));
    let report = doctor(&settings_for(&mock)).await;
    let text = report.to_string();
    assert!(text.contains("model unknown (1211)"), "{text}");
}

#[tokio::test]
async fn mock_glm_binary_serves_a_script_logs_and_exits_on_stdin_close() {
    use tokio::io::AsyncBufReadExt;

    let directory = std::env::temp_dir().join(format!("mock-glm-test-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let script = directory.join("script.json");
    let log = directory.join("requests.jsonl");
    let _ = std::fs::remove_file(&log);
    std::fs::write(
        &script,
        r#"{"replies": [{"kind": "stream", "reasoning": "hm", "content": "scripted"}],
            "rules": [{"contains": "magic word", "reply": {"kind": "status", "status": 400, "code": "1301", "message": "blocked"}}],
            "expected_key": "binary-key"}"#,
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-glm"))
        .arg("--script")
        .arg(&script)
        .arg("--log")
        .arg(&log)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut base_url = String::new();
    stdout.read_line(&mut base_url).await.unwrap();
    let base_url = base_url.trim().to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let client =
        GlmClient::new(GlmSettings { api_key: Some(ApiKey::new("binary-key")), base_url, ..GlmSettings::default() });
    let outcome = client.chat(ask("hello"), |_| {}).await.unwrap();
    assert_eq!((outcome.reasoning.as_str(), outcome.content.as_str()), ("hm", "scripted"));
    let error = client.chat(ask("the magic word"), |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("content safety"), "{error}");

    drop(child.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("mock-glm exits when stdin closes")
        .unwrap();
    assert!(status.success());
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["messages"][1]["content"], "hello");
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test]
async fn sequential_requests_reuse_one_pooled_connection() {
    let mock = MockGlm::start().await;
    mock.push_reply(Reply::rate_limited(0));
    let client = GlmClient::with_retry_policy(settings_for(&mock), fast_retries());
    for _ in 0..5 {
        client.chat(ask("x"), |_| {}).await.unwrap();
    }
    // Another client in the same process shares the pool too.
    GlmClient::new(settings_for(&mock)).chat(ask("x"), |_| {}).await.unwrap();
    assert_eq!(mock.requests().len(), 7);
    assert_eq!(mock.connections(), 1);
}

#[tokio::test]
async fn mock_honours_stream_false_with_the_non_streaming_shape() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mock = MockGlm::start().await;
    mock.push_reply(Reply::thinking_then("why", "because"));
    let body = r#"{"model":"glm-4.7","messages":[{"role":"user","content":"q"}],"stream":false}"#;
    let mut socket = tokio::net::TcpStream::connect(mock.address()).await.unwrap();
    let head = format!(
        "POST /chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    // Read until the JSON body is complete (the mock keeps the connection open).
    let response = loop {
        let read = socket.read(&mut buffer).await.unwrap();
        response.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&response).into_owned();
        let complete = text
            .split_once("\r\n\r\n")
            .is_some_and(|(_, json)| serde_json::from_str::<serde_json::Value>(json).is_ok());
        if complete || read == 0 {
            break text;
        }
    };
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("Content-Type: application/json"));
    let json: serde_json::Value = serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(json["choices"][0]["message"]["reasoning_content"], "why");
    assert_eq!(json["choices"][0]["message"]["content"], "because");
    assert_eq!(json["choices"][0]["finish_reason"], "stop");
    assert!(json["usage"]["prompt_tokens_details"]["cached_tokens"].is_u64());
}

#[tokio::test]
async fn mock_glm_binary_replays_captures_lists_models_and_serves_tls() {
    use tokio::io::AsyncBufReadExt;

    let directory = std::env::temp_dir().join(format!("mock-glm-replay-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/wire");
    std::fs::copy(fixtures.join("usage_trailing_chunk.sse"), directory.join("capture.sse")).unwrap();
    let script = directory.join("script.json");
    // A relative replay file is found next to the script.
    std::fs::write(
        &script,
        r#"{"replies": [{"kind": "replay", "file": "capture.sse", "event_delay": 5}], "models": ["glm-4.7", "glm-4.6"]}"#,
    )
    .unwrap();
    let ca = directory.join("ca.pem");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-glm"))
        .arg("--script")
        .arg(&script)
        .arg("--tls-ca-out")
        .arg(&ca)
        .current_dir(std::env::temp_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut base_url = String::new();
    stdout.read_line(&mut base_url).await.unwrap();
    let base_url = base_url.trim().to_owned();
    assert!(base_url.starts_with("https://127.0.0.1:"), "{base_url}");

    let settings = GlmSettings {
        api_key: Some(ApiKey::new("k")),
        base_url,
        http: glm_lsp::glm::HttpSettings { proxy: None, ca_file: Some(ca) },
        ..GlmSettings::default()
    };
    let client = GlmClient::new(settings);
    assert_eq!(client.list_models().await.unwrap(), Some(vec!["glm-4.7".to_string(), "glm-4.6".to_string()]));
    let outcome = client.chat(ask("x"), |_| {}).await.unwrap();
    assert_eq!(outcome.content, "\n```py\ndef add(a, b):\n    return a + b\n```");
    assert_eq!(outcome.usage.unwrap().cached_tokens, 1024);
    drop(child.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&directory);
}
