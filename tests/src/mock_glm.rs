//! A mock GLM server on 127.0.0.1 that speaks the chat-completions API exactly as described
//! in `shared/glm-api.md`: SSE chunks with `reasoning_content` before `content`, the finish
//! reason and usage on the last chunk, `data: [DONE]`, JSON error bodies with string business
//! codes, and the non-streaming shape for `stream: false`.
//!
//! Tests script it ([`MockGlm::push_reply`], [`MockGlm::add_rule`],
//! [`MockGlm::set_default_reply`]), inject faults ([`Reply::status`], [`Reply::Cut`],
//! [`Reply::Stall`], slow chunks) and assert on what was sent ([`MockGlm::requests`]) and on
//! how the client behaved ([`MockGlm::max_in_flight`], [`MockGlm::closed_early`],
//! [`MockGlm::wait_for_close`]).
//!
//! The HTTP/1.1 server is deliberately small: it reads a request head and a
//! `Content-Length` body, answers SSE with `Transfer-Encoding: chunked`, and keeps
//! connections alive so the client's pool is exercised.

use std::collections::VecDeque;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// What the mock answers to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// A normal answer: streamed as SSE, or as one JSON body when the request has
    /// `stream: false`.
    Stream(StreamReply),
    /// An error status with a GLM error body `{"error": {"code": "1302", "message": ".."}}`.
    Status {
        status: u16,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: String,
        /// Seconds, sent as `Retry-After`.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// A 200 stream that sends this content and then drops the connection: no
    /// `finish_reason`, no `[DONE]`.
    Cut {
        #[serde(default)]
        content_before_cut: String,
    },
    /// Accepts the request and never answers; notices when the client closes.
    Stall {
        /// Send the 200 SSE headers first (the client sees `Sent` and waits for chunks);
        /// otherwise not even the headers come.
        #[serde(default = "yes")]
        send_headers: bool,
    },
    /// Any JSON body with any status, sent as is.
    Json {
        #[serde(default = "ok_status")]
        status: u16,
        body: serde_json::Value,
    },
    /// A 200 `text/event-stream` with this exact body, for malformed-stream tests.
    RawSse { body: String },
    /// A recorded stream replayed byte for byte: `body`, or the file `file` (a capture such
    /// as `tests/fixtures/wire/*.sse`). With `event_delay` (ms), each event (up to and
    /// including its blank line) is its own write, that long after the previous one, so the
    /// client sees the stream arrive as the provider paces it.
    Replay {
        #[serde(default)]
        body: String,
        #[serde(default)]
        file: Option<PathBuf>,
        #[serde(default, with = "millis")]
        event_delay: Duration,
    },
    /// A 200 stream that does not end: `shape` again and again until the client closes the
    /// connection (a broken or hostile endpoint), e.g. `{"kind":"endless","shape":"line"}`.
    Endless {
        #[serde(default)]
        shape: EndlessShape,
        /// The mock gives up and drops the connection after this many body bytes, so that a
        /// client without a cap fails its test instead of exhausting the machine.
        #[serde(default)]
        give_up_after_bytes: Option<u64>,
    },
}

/// What an [`Reply::Endless`] stream sends forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndlessShape {
    /// Well-formed content chunks, never a `finish_reason` or `[DONE]`.
    #[default]
    Chunks,
    /// Reasoning chunks: a model that thinks forever.
    Reasoning,
    /// One `data:` line that never gets its newline.
    Line,
    /// Keep-alive comments (`: keep-alive`), nothing else.
    Comments,
    /// Empty events (`data: ` and a blank line), nothing else.
    EmptyEvents,
}

/// A normal answer. Every field has a default; see the builder helpers on [`Reply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamReply {
    pub reasoning: String,
    pub content: String,
    /// Characters per SSE chunk (at least 1).
    pub chunk_chars: usize,
    #[serde(with = "millis")]
    pub chunk_delay: Duration,
    /// Wait after the headers, before the first chunk.
    #[serde(with = "millis")]
    pub think_delay: Duration,
    pub finish_reason: String,
    /// `None`: computed from the request and the reply lengths.
    pub usage: Option<MockUsage>,
    pub tool_calls: Vec<MockToolCall>,
    pub model: Option<String>,
}

impl Default for StreamReply {
    fn default() -> Self {
        StreamReply {
            reasoning: String::new(),
            content: String::new(),
            chunk_chars: 8,
            chunk_delay: Duration::ZERO,
            think_delay: Duration::ZERO,
            finish_reason: "stop".into(),
            usage: None,
            tool_calls: Vec::new(),
            model: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MockUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
}

/// A tool call the mock streams, its arguments split into `chunk_chars` fragments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MockToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl Reply {
    /// Content only, no thinking.
    pub fn text(content: impl Into<String>) -> Reply {
        Reply::Stream(StreamReply { content: content.into(), ..StreamReply::default() })
    }

    /// Thinking first, then the answer, as GLM-4.7 streams it.
    pub fn thinking_then(reasoning: impl Into<String>, content: impl Into<String>) -> Reply {
        Reply::Stream(StreamReply { reasoning: reasoning.into(), content: content.into(), ..StreamReply::default() })
    }

    /// An error status with a business code, e.g. `Reply::status(429, Some("1302"), "busy")`.
    pub fn status(status: u16, code: Option<&str>, message: impl Into<String>) -> Reply {
        Reply::Status { status, code: code.map(str::to_owned), message: message.into(), retry_after: None }
    }

    /// 429 with code 1302 and `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Reply {
        Reply::Status {
            status: 429,
            code: Some("1302".into()),
            message: "High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits".into(),
            retry_after: Some(retry_after_secs),
        }
    }

    pub fn unauthorized() -> Reply {
        Reply::status(401, Some("1000"), "Authentication failed")
    }

    pub fn cut(content_before_cut: impl Into<String>) -> Reply {
        Reply::Cut { content_before_cut: content_before_cut.into() }
    }

    pub fn stall() -> Reply {
        Reply::Stall { send_headers: true }
    }

    /// The answer is cut by `max_tokens`: `finish_reason: length`.
    pub fn truncated(reasoning: impl Into<String>, content: impl Into<String>) -> Reply {
        Reply::Stream(StreamReply {
            reasoning: reasoning.into(),
            content: content.into(),
            finish_reason: "length".into(),
            ..StreamReply::default()
        })
    }

    /// Replays a captured stream file byte for byte (see [`Reply::Replay`]).
    pub fn replay_file(file: impl Into<PathBuf>) -> Reply {
        Reply::Replay { body: String::new(), file: Some(file.into()), event_delay: Duration::ZERO }
    }

    /// Replays an SSE body byte for byte.
    pub fn replay(body: impl Into<String>) -> Reply {
        Reply::Replay { body: body.into(), file: None, event_delay: Duration::ZERO }
    }

    /// A stream that never ends (see [`Reply::Endless`]), given up after 256 MiB.
    pub fn endless(shape: EndlessShape) -> Reply {
        Reply::Endless { shape, give_up_after_bytes: Some(256 << 20) }
    }

    /// Sets a `Replay` reply's wait between events (no-op for other kinds).
    pub fn with_event_delay(mut self, delay: Duration) -> Reply {
        if let Reply::Replay { event_delay, .. } = &mut self {
            *event_delay = delay;
        }
        self
    }

    /// Changes a `Stream` reply's pacing (no-op for other kinds).
    pub fn paced(mut self, chunk_chars: usize, chunk_delay: Duration) -> Reply {
        if let Reply::Stream(stream) = &mut self {
            stream.chunk_chars = chunk_chars.max(1);
            stream.chunk_delay = chunk_delay;
        }
        self
    }

    /// Sets a `Stream` reply's wait before its first chunk (no-op for other kinds).
    pub fn with_think_delay(mut self, think_delay: Duration) -> Reply {
        if let Reply::Stream(stream) = &mut self {
            stream.think_delay = think_delay;
        }
        self
    }

    pub fn with_usage(mut self, usage: MockUsage) -> Reply {
        if let Reply::Stream(stream) = &mut self {
            stream.usage = Some(usage);
        }
        self
    }

    pub fn with_finish_reason(mut self, finish_reason: &str) -> Reply {
        if let Reply::Stream(stream) = &mut self {
            stream.finish_reason = finish_reason.into();
        }
        self
    }
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Value::Null` when it was not JSON; see `raw_body`).
    pub body: serde_json::Value,
    pub raw_body: String,
    pub received_at: Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    /// Every message's content, joined by newlines: what rules match against.
    pub fn prompt_text(&self) -> String {
        self.body["messages"]
            .as_array()
            .map(|messages| {
                messages.iter().filter_map(|message| message["content"].as_str()).collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    }

    pub fn is_streaming(&self) -> bool {
        self.body["stream"].as_bool().unwrap_or(false)
    }
}

/// The running mock. Dropping it stops the server and closes its connections.
pub struct MockGlm {
    shared: Arc<Shared>,
    address: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
    own_runtime: Option<(tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<()>)>,
    tls: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Notify,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    closed_early: AtomicUsize,
    connections: AtomicUsize,
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    default_reply: Option<Reply>,
    rules: Vec<(String, Reply)>,
    requests: Vec<RecordedRequest>,
    expected_key: Option<String>,
    closes: Vec<Instant>,
    closes_seen: usize,
    log_path: Option<PathBuf>,
    /// Served in turn when no rule matches and the script is empty (before the default).
    rotation: Vec<Reply>,
    rotation_next: usize,
    /// What `GET …/models` lists; `None`: the route does not exist (404).
    models: Option<Vec<String>>,
    model_list_requests: usize,
    tls_failures: Vec<String>,
}

impl MockGlm {
    /// Starts on 127.0.0.1 with a free port, inside the caller's tokio runtime.
    pub async fn start() -> MockGlm {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0 for the mock GLM server");
        MockGlm::serve(listener)
    }

    /// Starts on a given port (0 = any), inside the caller's tokio runtime.
    pub async fn start_on_port(port: u16) -> std::io::Result<MockGlm> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        Ok(MockGlm::serve(listener))
    }

    /// Starts serving HTTPS on 127.0.0.1 (any port) with this certificate chain and key
    /// (PEM), e.g. from [`crate::tls::TestCa`]. `base_url` is then `https://127.0.0.1:PORT`.
    pub async fn start_tls(port: u16, certificate_chain_pem: &str, key_pem: &str) -> std::io::Result<MockGlm> {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let invalid =
            |error: &dyn std::fmt::Display| std::io::Error::new(std::io::ErrorKind::InvalidInput, error.to_string());
        let chain = CertificateDer::pem_slice_iter(certificate_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| invalid(&error))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|error| invalid(&error))?;
        let config = tokio_rustls::rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|error| invalid(&error))?;
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let mut mock = MockGlm::serve_with(listener, Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))));
        mock.tls = true;
        Ok(mock)
    }

    /// Starts on its own thread and runtime, for synchronous tests.
    pub fn start_in_thread() -> MockGlm {
        let (ready_sender, ready_receiver) = std::sync::mpsc::channel();
        let (stop_sender, stop_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mock-glm".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("a runtime for the mock GLM server");
                runtime.block_on(async move {
                    let mock = MockGlm::start().await;
                    let parts = (mock.shared.clone(), mock.address, mock.tasks.clone());
                    ready_sender.send(parts).expect("the starting thread waits");
                    let _ = stop_receiver.await;
                    drop(mock);
                });
            })
            .expect("spawn the mock GLM thread");
        let (shared, address, tasks) = ready_receiver.recv().expect("the mock GLM server started");
        MockGlm { shared, address, tasks, own_runtime: Some((stop_sender, thread)), tls: false }
    }

    fn serve(listener: TcpListener) -> MockGlm {
        MockGlm::serve_with(listener, None)
    }

    fn serve_with(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>) -> MockGlm {
        let address = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            closed_early: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
        });
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept_shared = shared.clone();
        let accept_tasks = tasks.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let _ = socket.set_nodelay(true);
                accept_shared.connections.fetch_add(1, Ordering::SeqCst);
                let connection = match tls.clone() {
                    None => tokio::spawn(serve_connection(socket, accept_shared.clone())),
                    Some(acceptor) => {
                        let shared = accept_shared.clone();
                        tokio::spawn(async move {
                            // A client that does not trust the certificate ends the handshake:
                            // no request is recorded.
                            match acceptor.accept(socket).await {
                                Ok(stream) => serve_connection(stream, shared).await,
                                Err(error) => lock(&shared.state).tls_failures.push(error.to_string()),
                            }
                        })
                    }
                };
                let mut tasks = lock(&accept_tasks);
                tasks.retain(|task| !task.is_finished());
                tasks.push(connection.abort_handle());
            }
        });
        lock(&tasks).push(accept.abort_handle());
        MockGlm { shared, address, tasks, own_runtime: None, tls: false }
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS): use it as the client's base URL.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// TLS handshakes that failed (the client did not trust the certificate), as the server
    /// side saw them.
    pub fn tls_failures(&self) -> Vec<String> {
        lock(&self.shared.state).tls_failures.clone()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues a reply for the next request (first in, first out).
    pub fn push_reply(&self, reply: Reply) {
        lock(&self.shared.state).script.push_back(reply);
    }

    /// The reply when no rule matches and the script is empty (initially a short text).
    pub fn set_default_reply(&self, reply: Reply) {
        lock(&self.shared.state).default_reply = Some(reply);
    }

    /// A standing reply for every request whose messages contain `when_prompt_contains`.
    /// Rules are checked first, in the order they were added; then the script; then the
    /// default.
    pub fn add_rule(&self, when_prompt_contains: &str, reply: Reply) {
        lock(&self.shared.state).rules.push((when_prompt_contains.to_owned(), reply));
    }

    /// Replies served in turn, round and round, to requests no rule or script answers: a
    /// steady mix of answers and faults for long runs.
    pub fn set_rotation(&self, replies: Vec<Reply>) {
        let mut state = lock(&self.shared.state);
        state.rotation = replies;
        state.rotation_next = 0;
    }

    /// Makes `GET …/models` list these ids (OpenAI's `{"object": "list", "data": [...]}`).
    /// Without it the route does not exist: a 404. Model-list requests are not chat
    /// requests: they are counted by [`MockGlm::model_list_requests`], not in `requests`.
    pub fn set_models(&self, models: &[&str]) {
        lock(&self.shared.state).models = Some(models.iter().map(|model| model.to_string()).collect());
    }

    pub fn model_list_requests(&self) -> usize {
        lock(&self.shared.state).model_list_requests
    }

    /// Requires `Authorization: Bearer <key>`; any other key gets a 401. Without it, only a
    /// missing or empty bearer token gets a 401.
    pub fn set_expected_key(&self, key: &str) {
        lock(&self.shared.state).expected_key = Some(key.to_owned());
    }

    /// Appends every request body as one JSON line to this file.
    pub fn set_log_file(&self, path: impl Into<PathBuf>) {
        lock(&self.shared.state).log_path = Some(path.into());
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.state).requests.clone()
    }

    /// Waits until at least `n` requests arrived (or the timeout passed) and returns them all.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = lock(&self.shared.state);
                if state.requests.len() >= n {
                    return state.requests.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.requests();
            }
        }
    }

    /// `wait_for_requests` for synchronous tests.
    pub fn wait_for_requests_blocking(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= n || Instant::now() >= deadline {
                return requests;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far: with keep-alive, sequential requests share one.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections the client closed before its reply ended (cancellations).
    pub fn closed_early(&self) -> usize {
        self.shared.closed_early.load(Ordering::SeqCst)
    }

    /// Waits for the next early close not yet returned by this method and gives the time
    /// from this call until the mock noticed it (zero if it was noticed before the call).
    /// `None` if none came within `timeout`.
    pub async fn wait_for_close(&self, timeout: Duration) -> Option<Duration> {
        let called = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = lock(&self.shared.state);
                if state.closes.len() > state.closes_seen {
                    let closed_at = state.closes[state.closes_seen];
                    state.closes_seen += 1;
                    return Some(closed_at.saturating_duration_since(called));
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Forgets the recorded requests and counters (the script and rules stay).
    pub fn reset_records(&self) {
        let mut state = lock(&self.shared.state);
        state.requests.clear();
        state.closes.clear();
        state.closes_seen = 0;
        self.shared.max_in_flight.store(0, Ordering::SeqCst);
        self.shared.closed_early.store(0, Ordering::SeqCst);
    }
}

impl Drop for MockGlm {
    fn drop(&mut self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if let Some((stop, thread)) = self.own_runtime.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for MockGlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockGlm").field("address", &self.address).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn yes() -> bool {
    true
}

fn ok_status() -> u16 {
    200
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(duration.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

// ---- the server ---------------------------------------------------------------------------

/// How answering one request ended.
enum Ending {
    /// The reply is complete and the connection can serve another request.
    KeepAlive,
    /// The mock closed the connection on purpose (a cut stream).
    Close,
    /// The client went away before the reply ended.
    ClientClosed,
}

/// Decrements the in-flight count however the reply ends (even if the task is aborted).
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> InFlight<'a> {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// One connection's halves, plain TCP or TLS.
type Reader = BufReader<Box<dyn AsyncRead + Unpin + Send>>;
type Writer = Box<dyn AsyncWrite + Unpin + Send>;

async fn serve_connection<S>(socket: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (read_half, write_half) = tokio::io::split(socket);
    let mut write_half: Writer = Box::new(write_half);
    let mut reader: Reader = BufReader::new(Box::new(read_half));
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            // The client closed an idle connection, or sent something that is not HTTP.
            _ => return,
        };
        if request.method == "GET" && request.path.trim_end_matches('/').ends_with("/models") {
            if answer_models(&mut write_half, &shared).await.is_err() {
                return;
            }
            continue;
        }
        let reply = shared.record_and_choose(&request);
        let ending = {
            let _in_flight = InFlight::enter(&shared);
            match reply {
                Ok(reply) => answer(&mut reader, &mut write_half, &request, reply).await,
                Err(unauthorized) => answer(&mut reader, &mut write_half, &request, *unauthorized).await,
            }
        };
        match ending {
            Ending::KeepAlive => continue,
            Ending::Close => return,
            Ending::ClientClosed => {
                shared.closed_early.fetch_add(1, Ordering::SeqCst);
                lock(&shared.state).closes.push(Instant::now());
                shared.changed.notify_waiters();
                return;
            }
        }
    }
}

impl Shared {
    /// Records the request, then picks its reply: `Err` holds a 401 when the key is wrong.
    fn record_and_choose(&self, request: &RecordedRequest) -> Result<Reply, Box<Reply>> {
        let mut state = lock(&self.state);
        state.requests.push(request.clone());
        if let Some(path) = &state.log_path {
            if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                let line = if request.body.is_null() {
                    serde_json::Value::String(request.raw_body.clone()).to_string()
                } else {
                    request.body.to_string()
                };
                let _ = writeln!(file, "{line}");
            }
        }
        self.changed.notify_waiters();

        let bearer = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        let key_ok = match &state.expected_key {
            Some(expected) => bearer == expected,
            None => !bearer.is_empty(),
        };
        if !key_ok {
            return Err(Box::new(Reply::Status {
                status: 401,
                code: Some("1000".into()),
                message: "Authentication failed: the API key is missing or invalid".into(),
                retry_after: None,
            }));
        }

        let prompt = request.prompt_text();
        if let Some((_, reply)) = state.rules.iter().find(|(needle, _)| prompt.contains(needle.as_str())) {
            return Ok(reply.clone());
        }
        if let Some(reply) = state.script.pop_front() {
            return Ok(reply);
        }
        if !state.rotation.is_empty() {
            let index = state.rotation_next % state.rotation.len();
            state.rotation_next += 1;
            return Ok(state.rotation[index].clone());
        }
        Ok(state.default_reply.clone().unwrap_or_else(|| Reply::text("mock reply")))
    }
}

const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// `GET …/models`: the configured list, or a 404 when there is none.
async fn answer_models(writer: &mut Writer, shared: &Shared) -> std::io::Result<()> {
    let models = {
        let mut state = lock(&shared.state);
        state.model_list_requests += 1;
        state.models.clone()
    };
    match models {
        Some(models) => {
            let data: Vec<serde_json::Value> = models
                .iter()
                .map(|id| serde_json::json!({"id": id, "object": "model", "created": 1_700_000_000u64, "owned_by": "mock"}))
                .collect();
            write_json(writer, 200, "", &serde_json::json!({"object": "list", "data": data}).to_string()).await
        }
        None => write_json(writer, 404, "", r#"{"error":{"message":"Not Found"}}"#).await,
    }
}

async fn read_request(reader: &mut Reader) -> std::io::Result<Option<RecordedRequest>> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await? == 0 {
        return Ok(None);
    }
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    let mut head_bytes = request_line.len();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).await?;
        head_bytes += read;
        if read == 0 || head_bytes > MAX_HEAD_BYTES {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let content_length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    if content_length > MAX_BODY_BYTES {
        return Ok(None);
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).await?;
    // Arrived: the mock's own reading of the body is not the client's time.
    let received_at = Instant::now();
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_str(&raw_body).unwrap_or(serde_json::Value::Null);
    Ok(Some(RecordedRequest { method, path, headers, body, raw_body, received_at }))
}

/// Waits `duration` while watching the client: `Err` if it closed the connection.
async fn pause(reader: &mut Reader, duration: Option<Duration>) -> Result<(), ()> {
    let mut scratch = [0u8; 512];
    let sleep = async {
        match duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return Ok(()),
            read = reader.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return Err(()),
                // HTTP/1.1 clients do not pipeline; stray bytes are ignored.
                Ok(_) => {}
            },
        }
    }
}

async fn answer(reader: &mut Reader, writer: &mut Writer, request: &RecordedRequest, reply: Reply) -> Ending {
    match answer_inner(reader, writer, request, reply).await {
        Ok(ending) => ending,
        Err(_) => Ending::ClientClosed,
    }
}

async fn answer_inner(
    reader: &mut Reader,
    writer: &mut Writer,
    request: &RecordedRequest,
    reply: Reply,
) -> std::io::Result<Ending> {
    match reply {
        Reply::Status { status, code, message, retry_after } => {
            let mut error = serde_json::json!({ "message": message });
            if let Some(code) = code {
                error["code"] = code.into();
            }
            let body = serde_json::json!({ "error": error }).to_string();
            let extra = retry_after.map(|seconds| format!("Retry-After: {seconds}\r\n")).unwrap_or_default();
            write_json(writer, status, &extra, &body).await?;
            Ok(Ending::KeepAlive)
        }
        Reply::Json { status, body } => {
            write_json(writer, status, "", &body.to_string()).await?;
            Ok(Ending::KeepAlive)
        }
        Reply::RawSse { body } => {
            write_sse_head(writer).await?;
            write_chunk(writer, body.as_bytes()).await?;
            writer.write_all(b"0\r\n\r\n").await?;
            Ok(Ending::KeepAlive)
        }
        Reply::Replay { body, file, event_delay } => {
            let bytes = match file {
                Some(path) => match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        let message = format!("mock-glm: cannot read the replay file {}: {error}", path.display());
                        write_json(writer, 500, "", &serde_json::json!({"error": {"message": message}}).to_string())
                            .await?;
                        return Ok(Ending::KeepAlive);
                    }
                },
                None => body.into_bytes(),
            };
            write_sse_head(writer).await?;
            for (index, event) in sse_events(&bytes).into_iter().enumerate() {
                if index > 0 && !event_delay.is_zero() && pause(reader, Some(event_delay)).await.is_err() {
                    return Ok(Ending::ClientClosed);
                }
                write_chunk(writer, event).await?;
                writer.flush().await?;
            }
            writer.write_all(b"0\r\n\r\n").await?;
            writer.flush().await?;
            Ok(Ending::KeepAlive)
        }
        Reply::Cut { content_before_cut } => {
            write_sse_head(writer).await?;
            let chunk = chunk_json(
                &serde_json::json!({"role": "assistant", "content": content_before_cut}),
                None,
                None,
                "glm-4.7",
            );
            write_event(writer, &chunk).await?;
            writer.flush().await?;
            // Drop the connection mid-body: no finish_reason, no [DONE], no terminator.
            let _ = writer.shutdown().await;
            Ok(Ending::Close)
        }
        Reply::Endless { shape, give_up_after_bytes } => {
            write_sse_head(writer).await?;
            let (opening, repeated) = endless_pieces(shape);
            let mut sent = opening.len() as u64;
            write_chunk(writer, &opening).await?;
            // One HTTP chunk per write, about 64 KiB each: fast, and a closed client shows
            // as a failed write.
            let unit = repeated.repeat((64 << 10) / repeated.len());
            let frame = chunk_frame(&unit);
            while give_up_after_bytes.is_none_or(|limit| sent < limit) {
                writer.write_all(&frame).await?;
                sent += unit.len() as u64;
            }
            let _ = writer.shutdown().await;
            Ok(Ending::Close)
        }
        Reply::Stall { send_headers } => {
            if send_headers {
                write_sse_head(writer).await?;
            }
            // Never answers; the only way out is the client closing the connection.
            let _ = pause(reader, None).await;
            Ok(Ending::ClientClosed)
        }
        Reply::Stream(stream) => {
            if request.is_streaming() {
                write_stream(reader, writer, request, &stream).await
            } else {
                if pause(reader, Some(stream.think_delay)).await.is_err() {
                    return Ok(Ending::ClientClosed);
                }
                let body = complete_json(request, &stream);
                write_json(writer, 200, "", &body.to_string()).await?;
                Ok(Ending::KeepAlive)
            }
        }
    }
}

async fn write_stream(
    reader: &mut Reader,
    writer: &mut Writer,
    request: &RecordedRequest,
    stream: &StreamReply,
) -> std::io::Result<Ending> {
    let model = reply_model(request, stream);
    write_sse_head(writer).await?;
    if !stream.think_delay.is_zero() && pause(reader, Some(stream.think_delay)).await.is_err() {
        return Ok(Ending::ClientClosed);
    }
    let chunk_chars = stream.chunk_chars.max(1);
    let mut first = true;
    let mut deltas = Vec::new();
    for (field, text) in [("reasoning_content", &stream.reasoning), ("content", &stream.content)] {
        for piece in split_chars(text, chunk_chars) {
            let mut delta = serde_json::json!({ field: piece });
            if first {
                delta["role"] = "assistant".into();
                first = false;
            }
            deltas.push(delta);
        }
    }
    for (index, call) in stream.tool_calls.iter().enumerate() {
        let pieces = split_chars(&call.arguments, chunk_chars);
        let pieces = if pieces.is_empty() { vec![""] } else { pieces };
        for (position, piece) in pieces.into_iter().enumerate() {
            let fragment = if position == 0 {
                serde_json::json!({"index": index, "id": call.id, "type": "function",
                    "function": {"name": call.name, "arguments": piece}})
            } else {
                serde_json::json!({"index": index, "function": {"arguments": piece}})
            };
            deltas.push(serde_json::json!({ "tool_calls": [fragment] }));
        }
    }
    for delta in deltas {
        write_event(writer, &chunk_json(&delta, None, None, &model)).await?;
        writer.flush().await?;
        if !stream.chunk_delay.is_zero() && pause(reader, Some(stream.chunk_delay)).await.is_err() {
            return Ok(Ending::ClientClosed);
        }
    }
    let usage = usage_json(request, stream);
    let last = chunk_json(
        &serde_json::json!({"role": "assistant", "content": ""}),
        Some(&stream.finish_reason),
        Some(usage),
        &model,
    );
    write_event(writer, &last).await?;
    writer.write_all(&chunk_frame(b"data: [DONE]\n\n")).await?;
    writer.write_all(b"0\r\n\r\n").await?;
    writer.flush().await?;
    Ok(Ending::KeepAlive)
}

/// The bytes an endless stream starts with, and those it then repeats.
fn endless_pieces(shape: EndlessShape) -> (Vec<u8>, Vec<u8>) {
    let event =
        |delta: serde_json::Value| format!("data: {}\n\n", chunk_json(&delta, None, None, "glm-4.7")).into_bytes();
    match shape {
        EndlessShape::Chunks => (Vec::new(), event(serde_json::json!({"role": "assistant", "content": "x = 1\n"}))),
        EndlessShape::Reasoning => {
            (Vec::new(), event(serde_json::json!({"role": "assistant", "reasoning_content": "Let me think. "})))
        }
        EndlessShape::Line => {
            let opening = br#"data: {"id":"mock-chatcmpl-1","choices":[{"index":0,"delta":{"content":""#.to_vec();
            (opening, b"a".to_vec())
        }
        EndlessShape::Comments => (Vec::new(), b": keep-alive\n\n".to_vec()),
        EndlessShape::EmptyEvents => (Vec::new(), b"data: \n\n".to_vec()),
    }
}

/// The body cut after each blank line (`\n\n`, `\r\n\r\n` or `\r\r`): one piece per event, the
/// bytes untouched. A tail without a blank line is the last piece.
fn sse_events(body: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut index = 0;
    while index < body.len() {
        let rest = &body[index..];
        let blank = [&b"\r\n\r\n"[..], b"\n\n", b"\r\r"].into_iter().find(|ending| rest.starts_with(ending));
        match blank {
            Some(ending) => {
                index += ending.len();
                pieces.push(&body[start..index]);
                start = index;
            }
            None => index += 1,
        }
    }
    if start < body.len() {
        pieces.push(&body[start..]);
    }
    pieces
}

fn reply_model(request: &RecordedRequest, stream: &StreamReply) -> String {
    stream
        .model
        .clone()
        .or_else(|| request.body["model"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "glm-4.7".into())
}

fn split_chars(text: &str, chunk_chars: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (offset, _) in text.char_indices() {
        if count == chunk_chars {
            pieces.push(&text[start..offset]);
            start = offset;
            count = 0;
        }
        count += 1;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

fn usage_json(request: &RecordedRequest, stream: &StreamReply) -> serde_json::Value {
    let usage = stream.usage.unwrap_or_else(|| MockUsage {
        prompt_tokens: (request.raw_body.len() as u64).div_ceil(4),
        completion_tokens: ((stream.reasoning.chars().count() + stream.content.chars().count()) as u64).div_ceil(4),
        cached_tokens: 0,
    });
    serde_json::json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    })
}

fn chunk_json(
    delta: &serde_json::Value,
    finish_reason: Option<&str>,
    usage: Option<serde_json::Value>,
    model: &str,
) -> serde_json::Value {
    let mut choice = serde_json::json!({"index": 0, "delta": delta});
    if let Some(reason) = finish_reason {
        choice["finish_reason"] = reason.into();
    }
    let mut chunk = serde_json::json!({
        "id": "mock-chatcmpl-1",
        "created": 1_700_000_000u64,
        "model": model,
        "choices": [choice],
    });
    if let Some(usage) = usage {
        chunk["usage"] = usage;
    }
    chunk
}

fn complete_json(request: &RecordedRequest, stream: &StreamReply) -> serde_json::Value {
    let tool_calls: Vec<serde_json::Value> = stream
        .tool_calls
        .iter()
        .map(|call| {
            serde_json::json!({"id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": call.arguments}})
        })
        .collect();
    serde_json::json!({
        "id": "mock-chatcmpl-1",
        "request_id": "mock-request-1",
        "created": 1_700_000_000u64,
        "model": reply_model(request, stream),
        "choices": [{
            "index": 0,
            "finish_reason": stream.finish_reason,
            "message": {
                "role": "assistant",
                "reasoning_content": stream.reasoning,
                "content": stream.content,
                "tool_calls": tool_calls,
            },
        }],
        "usage": usage_json(request, stream),
    })
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn write_json(writer: &mut Writer, status: u16, extra_headers: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n{extra_headers}\r\n",
        reason_phrase(status),
        body.len()
    );
    writer.write_all(head.as_bytes()).await?;
    writer.write_all(body.as_bytes()).await?;
    writer.flush().await
}

async fn write_sse_head(writer: &mut Writer) -> std::io::Result<()> {
    writer
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream;charset=UTF-8\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await?;
    writer.flush().await
}

async fn write_event(writer: &mut Writer, chunk: &serde_json::Value) -> std::io::Result<()> {
    let event = format!("data: {chunk}\n\n");
    writer.write_all(&chunk_frame(event.as_bytes())).await
}

async fn write_chunk(writer: &mut Writer, bytes: &[u8]) -> std::io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    writer.write_all(&chunk_frame(bytes)).await
}

fn chunk_frame(bytes: &[u8]) -> Vec<u8> {
    let mut frame = format!("{:x}\r\n", bytes.len()).into_bytes();
    frame.extend_from_slice(bytes);
    frame.extend_from_slice(b"\r\n");
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_chars_respects_characters() {
        assert_eq!(split_chars("héllo🦀", 2), vec!["hé", "ll", "o🦀"]);
        assert!(split_chars("", 3).is_empty());
    }

    #[test]
    fn replies_round_trip_as_json() {
        let replies = vec![
            Reply::thinking_then("hmm", "ok").paced(3, Duration::from_millis(5)),
            Reply::rate_limited(1),
            Reply::cut("partial"),
            Reply::stall(),
            Reply::replay_file("fixtures/wire/event_error_1302.sse").with_event_delay(Duration::from_millis(20)),
            Reply::endless(EndlessShape::Line),
        ];
        let json = serde_json::to_string(&replies).unwrap();
        let back: Vec<Reply> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, replies);
        let minimal: Reply = serde_json::from_str(r#"{"kind":"stream","content":"x"}"#).unwrap();
        assert_eq!(minimal, Reply::text("x"));
        let endless: Reply = serde_json::from_str(r#"{"kind":"endless","shape":"empty_events"}"#).unwrap();
        assert_eq!(endless, Reply::Endless { shape: EndlessShape::EmptyEvents, give_up_after_bytes: None });
    }

    #[test]
    fn sse_events_keep_every_byte() {
        let body = b"data: a\n\n: ping\r\n\r\nevent: error\ndata: b\n\ndata: [DONE]";
        let events = sse_events(body);
        assert_eq!(events, [&b"data: a\n\n"[..], b": ping\r\n\r\n", b"event: error\ndata: b\n\n", b"data: [DONE]"]);
        assert_eq!(events.concat(), body);
    }
}
