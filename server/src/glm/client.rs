//! The HTTP side: one pooled `reqwest` client, the request body, the streaming loop, retries,
//! the concurrency queue and the cost totals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::Rng;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use tracing::Instrument;

use super::connection;
use super::cost::SessionTotals;
use super::error::{ApiClass, GlmError};
use super::queue::PriorityQueue;
use super::response::{ResponseCap, ResponseReader, ERROR_BODY_BYTES, MODELS_LIST_BYTES};
use super::retry::{parse_retry_after, RetryPolicy};
use super::settings::{redact_url_password, ApiKey, GlmSettings};
use super::stream::parse_complete_response;
use super::types::{ChatEvent, ChatOutcome, ChatRequest, Message, Priority};

/// The GLM client. Cheap to clone; every clone shares the connection pool, the queue and the
/// totals. Dropping a `chat` future at any point drops its HTTP stream, which is how a
/// request is cancelled upstream.
#[derive(Clone)]
pub struct GlmClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: RwLock<Arc<GlmSettings>>,
    http: RwLock<Result<reqwest::Client, String>>,
    queue: PriorityQueue,
    totals: Mutex<SessionTotals>,
    retry: RetryPolicy,
    next_request_id: AtomicU64,
    /// After a failure that only the user can fix (key, account, quota, settings),
    /// interactive requests fail at once with it instead of asking the endpoint on every
    /// pause in typing. Cleared by a success and by new settings.
    hold: Mutex<Option<Hold>>,
}

struct Hold {
    until: Instant,
    error: GlmError,
}

/// How long interactive requests are held back after such a failure; the first one after
/// that asks the endpoint again.
pub const HOLD_OFF: Duration = Duration::from_secs(30);

impl std::fmt::Debug for GlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlmClient")
            .field("settings", &self.settings())
            .field("in_flight", &self.inner.queue.in_flight())
            .finish()
    }
}

impl GlmClient {
    pub fn new(settings: GlmSettings) -> GlmClient {
        GlmClient::with_retry_policy(settings, RetryPolicy::default())
    }

    /// A client with a custom retry policy (tests use short waits).
    pub fn with_retry_policy(settings: GlmSettings, retry: RetryPolicy) -> GlmClient {
        let http = connection::http_client(settings.connect_timeout, &settings.http);
        GlmClient {
            inner: Arc::new(Inner {
                queue: PriorityQueue::new(settings.max_concurrency),
                settings: RwLock::new(Arc::new(settings)),
                http: RwLock::new(http),
                totals: Mutex::new(SessionTotals::default()),
                retry,
                next_request_id: AtomicU64::new(1),
                hold: Mutex::new(None),
            }),
        }
    }

    /// Hot reload: later requests use the new settings; the concurrency cap changes at once
    /// (requests already in flight finish with the settings they started with).
    pub fn update_settings(&self, settings: GlmSettings) {
        let old = self.settings();
        if settings.connect_timeout != old.connect_timeout || settings.http != old.http {
            *write(&self.inner.http) = connection::http_client(settings.connect_timeout, &settings.http);
        }
        // New settings may fix what held requests back (a new key, another endpoint).
        *lock(&self.inner.hold) = None;
        self.inner.queue.set_capacity(settings.max_concurrency);
        *write(&self.inner.settings) = Arc::new(settings);
    }

    pub fn settings(&self) -> Arc<GlmSettings> {
        read(&self.inner.settings).clone()
    }

    /// Running token and cost totals of this client since it was created.
    pub fn totals(&self) -> SessionTotals {
        lock(&self.inner.totals).clone()
    }

    /// Requests holding a concurrency slot now.
    pub fn in_flight(&self) -> usize {
        self.inner.queue.in_flight()
    }

    /// The model ids `GET {base}/models` lists (OpenAI's `{"data": [{"id": …}]}`), or `None`
    /// when the endpoint has no such route (404 or 405).
    pub async fn list_models(&self) -> Result<Option<Vec<String>>, GlmError> {
        let settings = self.settings();
        let api_key = settings.api_key.clone().filter(|key| !key.is_empty()).ok_or(GlmError::MissingApiKey)?;
        let http = read(&self.inner.http).clone().map_err(GlmError::InvalidSettings)?;
        let url = settings.models_url();
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", api_key.expose())).map_err(|_| {
            GlmError::InvalidSettings("the API key contains characters that cannot be sent in an HTTP header".into())
        })?;
        authorization.set_sensitive(true);
        let exchange = async {
            let response = http
                .get(&url)
                .header(AUTHORIZATION, authorization)
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(|error| connection::classify(&error, &url, &settings.http, &api_key))?;
            let status = response.status().as_u16();
            if matches!(status, 404 | 405) {
                return Ok(None);
            }
            if !(200..300).contains(&status) {
                let text = read_error_body(response).await;
                return Err(with_key_source(GlmError::from_status(status, &api_key.redact(&text), None), &settings));
            }
            let body = read_body(response, MODELS_LIST_BYTES).await.map_err(|_| GlmError::StreamCut)?;
            if !body.complete {
                let endpoint = redact_url_password(&url);
                return Err(GlmError::ResponseTooLarge {
                    endpoint,
                    limit_bytes: MODELS_LIST_BYTES as u64,
                    max_tokens: None,
                });
            }
            let text = String::from_utf8_lossy(&body.bytes);
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| GlmError::InvalidResponse("the models list is not JSON".into()))?;
            let ids = json["data"]
                .as_array()
                .ok_or_else(|| GlmError::InvalidResponse("the models list has no `data` array".into()))?
                .iter()
                .filter_map(|model| model["id"].as_str().map(str::to_owned))
                .collect();
            Ok(Some(ids))
        };
        tokio::time::timeout(settings.timeout.min(Duration::from_secs(30)), exchange)
            .await
            .map_err(|_| GlmError::Timeout)?
    }

    /// Sends one streamed chat request and waits for the whole answer, reporting progress
    /// through `events`. Waits in the queue when `max_concurrency` requests are in flight,
    /// retries transient failures, and never waits or retries past `request.deadline`.
    pub async fn chat(
        &self,
        request: ChatRequest,
        mut events: impl FnMut(ChatEvent) + Send,
    ) -> Result<ChatOutcome, GlmError> {
        let settings = self.settings();
        let request_id = self.inner.next_request_id.fetch_add(1, Ordering::Relaxed);
        let span = tracing::debug_span!(
            "glm_request",
            id = request_id,
            model = %settings.model,
            label = request.label,
            priority = ?request.priority,
        );
        self.chat_inner(settings, request, &mut events).instrument(span).await
    }

    async fn chat_inner(
        &self,
        settings: Arc<GlmSettings>,
        request: ChatRequest,
        events: &mut (impl FnMut(ChatEvent) + Send),
    ) -> Result<ChatOutcome, GlmError> {
        let started = Instant::now();
        let api_key = settings.api_key.clone().filter(|key| !key.is_empty()).ok_or(GlmError::MissingApiKey)?;
        let http = read(&self.inner.http).clone().map_err(GlmError::InvalidSettings)?;
        if request.priority == Priority::Interactive {
            if let Some(hold) = lock(&self.inner.hold).as_ref().filter(|hold| Instant::now() < hold.until) {
                tracing::debug!(error = %hold.error, "held back: the last failure needs the user");
                return Err(hold.error.clone());
            }
        }
        let body = build_body(&settings, &request).to_string();
        tracing::trace!(body_bytes = body.len(), "request body built");
        let cap = ResponseCap::for_chat(
            redact_url_password(&settings.chat_url()),
            request.max_tokens.or(settings.max_tokens),
        );

        let _permit = match self.inner.queue.try_acquire() {
            Some(permit) => permit,
            None => {
                events(ChatEvent::Queued);
                tracing::debug!("queued behind the concurrency cap");
                let acquire = self.inner.queue.acquire(request.priority);
                match request.deadline {
                    Some(deadline) => {
                        tokio::time::timeout_at(deadline.into(), acquire).await.map_err(|_| GlmError::Timeout)?
                    }
                    None => acquire.await,
                }
            }
        };

        let mut retries_done = 0;
        let outcome = loop {
            events(ChatEvent::Sent);
            let attempt = attempt(&http, &settings, &api_key, &body, &cap, request.deadline, events);
            match attempt.await {
                Ok(outcome) => break outcome,
                Err(error) => {
                    let jitter = rand::rng().random::<f64>();
                    let delay =
                        self.inner.retry.next_delay(&error, retries_done, Instant::now(), request.deadline, jitter);
                    let Some(delay) = delay else {
                        tracing::debug!(%error, retries_done, "GLM request failed");
                        let error = with_key_source(error, &settings);
                        if needs_the_user(&error) {
                            *lock(&self.inner.hold) =
                                Some(Hold { until: Instant::now() + HOLD_OFF, error: error.clone() });
                        }
                        return Err(error);
                    };
                    retries_done += 1;
                    tracing::debug!(%error, retry = retries_done, delay_ms = delay.as_millis() as u64, "retrying");
                    events(ChatEvent::Retrying { attempt: retries_done, after: delay, reason: error.to_string() });
                    tokio::time::sleep(delay).await;
                }
            }
        };

        *lock(&self.inner.hold) = None;
        let mut outcome = outcome;
        if let Some(usage) = outcome.usage {
            outcome.cost_usd = settings.effective_price().map(|price| price.cost_usd(&usage));
            // Counted under the model asked for: that is what the price is looked up by.
            lock(&self.inner.totals).record(&settings.model, &usage, outcome.cost_usd);
        }
        let usage = outcome.usage.unwrap_or_default();
        tracing::debug!(
            finish_reason = ?outcome.finish_reason,
            prompt_tokens = usage.prompt_tokens,
            cached_tokens = usage.cached_tokens,
            completion_tokens = usage.completion_tokens,
            cost_usd = outcome.cost_usd.unwrap_or(0.0),
            priced = outcome.cost_usd.is_some(),
            reasoning_chars = outcome.reasoning.len(),
            content_chars = outcome.content.len(),
            retries = retries_done,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "GLM request finished"
        );
        Ok(outcome)
    }
}

/// The JSON body: only the fields GLM documents, only the sampling fields that are set
/// (never `frequency_penalty`/`presence_penalty`, never `stream_options`).
pub fn build_body(settings: &GlmSettings, request: &ChatRequest) -> serde_json::Value {
    let thinking = request.thinking.unwrap_or(settings.thinking);
    let mut body = serde_json::json!({
        "model": settings.model,
        "messages": request.messages.iter().map(message_json).collect::<Vec<_>>(),
        "stream": true,
        "thinking": { "type": if thinking { "enabled" } else { "disabled" } },
    });
    let object = body.as_object_mut().expect("a JSON object literal");
    if let Some(temperature) = request.temperature.or(settings.temperature) {
        object.insert("temperature".into(), serde_json::json!(temperature));
    }
    if let Some(top_p) = request.top_p.or(settings.top_p) {
        object.insert("top_p".into(), serde_json::json!(top_p));
    }
    if let Some(max_tokens) = request.max_tokens.or(settings.max_tokens) {
        object.insert("max_tokens".into(), serde_json::json!(max_tokens));
    }
    if let Some(tools) = &request.tools {
        object.insert("tools".into(), tools.clone());
        if let Some(tool_choice) = &request.tool_choice {
            object.insert("tool_choice".into(), tool_choice.clone());
        }
    }
    if let Some(response_format) = &request.response_format {
        object.insert("response_format".into(), response_format.clone());
    }
    body
}

fn message_json(message: &Message) -> serde_json::Value {
    let mut json = serde_json::json!({
        "role": message.role.as_str(),
        "content": message.content,
    });
    let object = json.as_object_mut().expect("a JSON object literal");
    if let Some(reasoning) = &message.reasoning_content {
        object.insert("reasoning_content".into(), reasoning.clone().into());
    }
    if let Some(tool_call_id) = &message.tool_call_id {
        object.insert("tool_call_id".into(), tool_call_id.clone().into());
    }
    json
}

/// One HTTP exchange, bounded by the attempt timeout and the request's deadline: an endpoint
/// that trickles bytes (within the cap) is cut by time, one that floods them by the cap.
async fn attempt(
    http: &reqwest::Client,
    settings: &GlmSettings,
    api_key: &ApiKey,
    body: &str,
    cap: &ResponseCap,
    deadline: Option<Instant>,
    events: &mut (impl FnMut(ChatEvent) + Send),
) -> Result<ChatOutcome, GlmError> {
    let timeout_end = Instant::now() + settings.timeout;
    let end = match deadline {
        Some(deadline) => deadline.min(timeout_end),
        None => timeout_end,
    };
    tokio::time::timeout_at(end.into(), exchange(http, settings, api_key, body, cap, events))
        .await
        .map_err(|_| GlmError::Timeout)?
}

async fn exchange(
    http: &reqwest::Client,
    settings: &GlmSettings,
    api_key: &ApiKey,
    body: &str,
    cap: &ResponseCap,
    events: &mut (impl FnMut(ChatEvent) + Send),
) -> Result<ChatOutcome, GlmError> {
    let mut authorization = HeaderValue::from_str(&format!("Bearer {}", api_key.expose())).map_err(|_| {
        GlmError::InvalidSettings("the API key contains characters that cannot be sent in an HTTP header".into())
    })?;
    // Keeps the header out of hyper's and reqwest's debug output.
    authorization.set_sensitive(true);
    let response = http
        .post(settings.chat_url())
        .header(AUTHORIZATION, authorization)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "text/event-stream")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|error| connection::classify(&error, &settings.chat_url(), &settings.http, api_key))?;

    let status = response.status();
    tracing::debug!(status = status.as_u16(), version = ?response.version(), "response headers");
    if !status.is_success() {
        let retry_after =
            response.headers().get(RETRY_AFTER).and_then(|value| value.to_str().ok()).and_then(parse_retry_after);
        let text = read_error_body(response).await;
        return Err(GlmError::from_status(status.as_u16(), &api_key.redact(&text), retry_after));
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        // A server that ignored `stream: true` answers in one piece, under the same cap.
        let body = read_body(response, usize::try_from(cap.limit_bytes).unwrap_or(usize::MAX))
            .await
            .map_err(|_| GlmError::StreamCut)?;
        if !body.complete {
            return Err(cap.exceeded());
        }
        return parse_complete_response(&String::from_utf8_lossy(&body.bytes));
    }

    let mut bytes = response.bytes_stream();
    let mut reader = ResponseReader::new(cap.clone());
    while let Some(chunk) = bytes.next().await {
        let chunk = chunk.map_err(|error| {
            tracing::debug!(error = %api_key.redact(&error.to_string()), "stream read failed");
            GlmError::StreamCut
        })?;
        // Past the cap the stream is dropped here, which closes the connection.
        reader.feed(&chunk, events)?;
        if reader.is_done() {
            // Read the chunked terminator so the connection goes back to the pool, but do
            // not wait for a server that keeps the body open after `[DONE]`.
            let drain = async { while bytes.next().await.is_some() {} };
            let _ = tokio::time::timeout(Duration::from_millis(200), drain).await;
            break;
        }
    }
    reader.finish()
}

/// A body read up to a limit; `complete` is false when there was more (left unread).
struct CappedBody {
    bytes: Vec<u8>,
    complete: bool,
}

/// Reads a whole body, but never more than `limit` bytes of it: a body that announces or
/// sends more is left unread past the limit.
async fn read_body(response: reqwest::Response, limit: usize) -> Result<CappedBody, reqwest::Error> {
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Ok(CappedBody { bytes: Vec::new(), complete: false });
    }
    let mut bytes = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let room = limit - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(CappedBody { bytes, complete: false });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(CappedBody { bytes, complete: true })
}

/// The start of an error status's body: enough for its code and message, however much the
/// endpoint sends. A body that breaks off reads as what came.
async fn read_error_body(response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(Ok(chunk)) = body.next().await {
        let room = ERROR_BODY_BYTES - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() >= room {
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Names where the key came from in an auth error, so the user knows which one to fix.
fn with_key_source(error: GlmError, settings: &GlmSettings) -> GlmError {
    match error {
        GlmError::Api(mut api) if api.class() == ApiClass::Auth => {
            api.key_source = settings.key_source.clone();
            GlmError::Api(api)
        }
        other => other,
    }
}

/// Failures that fail every request the same way until the user acts.
fn needs_the_user(error: &GlmError) -> bool {
    matches!(error.api_class(), Some(ApiClass::Auth | ApiClass::Account | ApiClass::Quota | ApiClass::Config))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::super::types::{Message, Role};
    use super::*;

    #[test]
    fn body_has_only_documented_fields() {
        let settings =
            GlmSettings { api_key: Some(ApiKey::new("k")), temperature: Some(0.2), ..GlmSettings::default() };
        let mut request = ChatRequest::new(vec![
            Message::system("be brief"),
            Message { reasoning_content: Some("earlier thought".into()), ..Message::new(Role::Assistant, "hi") },
        ]);
        request.thinking = Some(false);
        request.max_tokens = Some(64);
        let body = build_body(&settings, &request);
        assert_eq!(body["model"], "glm-4.7");
        assert_eq!(body["stream"], true);
        assert_eq!(body["thinking"]["type"], "disabled");
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(body["temperature"], 0.2, "as the user wrote it, not 0.20000000298");
        assert!(body.get("top_p").is_none());
        assert!(body.get("frequency_penalty").is_none());
        assert!(body.get("presence_penalty").is_none());
        assert!(body.get("stream_options").is_none());
        assert_eq!(body["messages"][1]["reasoning_content"], "earlier thought");
        assert_eq!(body["messages"][0]["role"], "system");
    }

    #[test]
    fn thinking_defaults_to_settings() {
        let settings = GlmSettings::default();
        let body = build_body(&settings, &ChatRequest::new(vec![Message::user("x")]));
        assert_eq!(body["thinking"]["type"], "enabled");
        assert!(body.get("max_tokens").is_none());
    }

    #[tokio::test]
    async fn missing_key_fails_before_any_network() {
        let client = GlmClient::new(GlmSettings { base_url: "http://127.0.0.1:1".into(), ..GlmSettings::default() });
        let error = client.chat(ChatRequest::new(vec![Message::user("x")]), |_| {}).await.unwrap_err();
        assert_eq!(error, GlmError::MissingApiKey);
        assert!(error.to_string().contains("GLM_API_KEY"));
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_error() {
        // Bind then drop a listener to get a port nobody listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let client = GlmClient::with_retry_policy(
            GlmSettings {
                api_key: Some(ApiKey::new("key")),
                base_url: format!("http://127.0.0.1:{port}"),
                ..GlmSettings::default()
            },
            RetryPolicy { max_retries: 0, ..RetryPolicy::default() },
        );
        let error = client.chat(ChatRequest::new(vec![Message::user("x")]), |_| {}).await.unwrap_err();
        assert!(matches!(error, GlmError::Connect(_)), "{error:?}");
    }

    /// A loopback server that answers every request with `head` and then chunks of `unit`
    /// until the client goes away; its base URL.
    async fn endless_server(head: &'static str, unit: &'static [u8]) -> String {
        paced_endless_server(head, unit, Duration::ZERO).await
    }

    /// The same, with `pause` between chunks: an endpoint that trickles.
    async fn paced_endless_server(head: &'static str, unit: &'static [u8], pause: Duration) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let mut frame = format!("{:x}\r\n", unit.len()).into_bytes();
                    frame.extend_from_slice(unit);
                    frame.extend_from_slice(b"\r\n");
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    while socket.write_all(&frame).await.is_ok() {
                        if !pause.is_zero() {
                            tokio::time::sleep(pause).await;
                        }
                    }
                });
            }
        });
        format!("http://{address}")
    }

    fn client_for(base_url: String) -> GlmClient {
        GlmClient::with_retry_policy(
            GlmSettings { api_key: Some(ApiKey::new("key")), base_url, ..GlmSettings::default() },
            RetryPolicy { max_retries: 0, ..RetryPolicy::default() },
        )
    }

    const ENDLESS_TEXT: &[u8] = &[b'x'; 16 << 10];

    #[tokio::test]
    async fn an_endless_error_body_is_read_only_as_far_as_its_message() {
        let base_url =
            endless_server("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n", ENDLESS_TEXT)
                .await;
        let client = client_for(base_url);
        let chat = client.chat(ChatRequest::new(vec![Message::user("x")]), |_| {});
        let error = tokio::time::timeout(Duration::from_secs(20), chat).await.expect("bounded").unwrap_err();
        let GlmError::Api(api) = &error else { panic!("{error:?}") };
        assert_eq!(api.status, Some(500));
        assert!(api.message.chars().count() <= 301, "{}", api.message.len());
    }

    #[tokio::test]
    async fn an_endless_models_list_is_cut_at_its_cap() {
        let base_url = endless_server(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            ENDLESS_TEXT,
        )
        .await;
        let error = tokio::time::timeout(Duration::from_secs(20), client_for(base_url.clone()).list_models())
            .await
            .expect("bounded")
            .unwrap_err();
        assert_eq!(
            error,
            GlmError::ResponseTooLarge {
                endpoint: format!("{base_url}/models"),
                limit_bytes: MODELS_LIST_BYTES as u64,
                max_tokens: None
            }
        );
        assert!(error.to_string().contains("larger than 8 MiB"), "{error}");
    }

    /// Keep-alives far below the cap do not keep an attempt alive past `timeoutSecs`.
    #[tokio::test]
    async fn a_trickling_stream_is_cut_by_the_attempt_timeout() {
        let base_url = paced_endless_server(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
            b": keep-alive\n\n",
            Duration::from_millis(20),
        )
        .await;
        let client = client_for(base_url);
        client.update_settings(GlmSettings { timeout: Duration::from_millis(800), ..(*client.settings()).clone() });
        let started = Instant::now();
        let chat = client.chat(ChatRequest::new(vec![Message::user("x")]), |_| {});
        let error = tokio::time::timeout(Duration::from_secs(20), chat).await.expect("bounded").unwrap_err();
        assert_eq!(error, GlmError::Timeout);
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn an_endless_stream_is_cut_at_the_cap_of_its_max_tokens() {
        let base_url = endless_server(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
            b": keep-alive\n\n",
        )
        .await;
        let mut request = ChatRequest::new(vec![Message::user("x")]);
        request.max_tokens = Some(4096);
        let client = client_for(base_url.clone());
        let chat = client.chat(request, |_| {});
        let error = tokio::time::timeout(Duration::from_secs(20), chat).await.expect("bounded").unwrap_err();
        let expected = ResponseCap::for_chat(format!("{base_url}/chat/completions"), Some(4096)).exceeded();
        assert_eq!(error, expected);
        assert!(error.to_string().contains("more than 2 MiB"), "{error}");
    }
}
