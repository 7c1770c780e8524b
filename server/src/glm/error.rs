//! Typed errors, each with a `Display` in plain words that tells the user what to do.
//! No variant ever holds the API key: server text is redacted before it gets here.
//!
//! The provider's business codes decide how an error is treated, whatever HTTP status (or
//! SSE `event: error`) carried them: [`ApiError::class`] is the provider's error table as code.

use std::sync::OnceLock;
use std::time::Duration;

/// Why a chat request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlmError {
    #[error(
        "no GLM API key is configured: set GLM_API_KEY (or the variable of your `provider`: ZHIPUAI_API_KEY, \
         ZAI_API_KEY, RUNAPI_KEY or COMETAPI_KEY) or the `apiKey` setting"
    )]
    MissingApiKey,

    /// The endpoint answered with an error: an HTTP status, a business code, or both.
    #[error("{0}")]
    Api(ApiError),

    /// `finish_reason: network_error`: the provider lost the generation mid-stream.
    #[error("the GLM service reported a network error in the middle of the answer (finish_reason network_error); the partial answer was discarded")]
    ProviderNetwork,

    #[error("the GLM answer stream was cut before it finished; the partial answer was discarded")]
    StreamCut,

    #[error("the GLM request timed out (check the `timeoutSecs` setting, or try again)")]
    Timeout,

    #[error("could not connect to the GLM endpoint: {0}; check `baseUrl` (or `provider`) and your network")]
    Connect(String),

    /// The proxy could not be reached, or refused to open a tunnel to the endpoint.
    #[error("the proxy {proxy} failed: {detail}; check `http.proxy` or HTTPS_PROXY / NO_PROXY")]
    Proxy { proxy: String, detail: String },

    #[error("TLS failed with {host}: {problem}")]
    Tls { host: String, problem: String },

    #[error("could not resolve the GLM endpoint's host name: {0}; check `baseUrl` (or `provider`) and DNS")]
    Dns(String),

    #[error("the GLM endpoint sent an answer that is not the chat-completions format: {0}; check `baseUrl`")]
    InvalidResponse(String),

    #[error("invalid GLM settings: {0}")]
    InvalidSettings(String),

    /// The endpoint sent more than one response may (see `response.rs`): it was cut.
    #[error("{}", too_large_words(endpoint, *limit_bytes, *max_tokens))]
    ResponseTooLarge { endpoint: String, limit_bytes: u64, max_tokens: Option<u32> },
}

/// How the provider's error table says to treat an error from the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiClass {
    /// 401, codes 1000–1005: missing, wrong or expired key. Never retried; ask for the key.
    Auth,
    /// 1110–1121 (1113: balance exhausted): the account cannot be used. Never retried.
    Account,
    /// 1304 and 1308–1321 but 1312: a daily, 5-hour or weekly quota is used up. Never retried.
    Quota,
    /// 1210–1215, 1220–1222, 404: a setting must change (model, parameters, endpoint).
    Config,
    /// 1301: the content-safety filter blocked the request or its answer.
    Blocked,
    /// 1261: the prompt is too long; the caller may retry once with less context.
    PromptTooLong,
    /// 429 and 1302, 1303, 1305, 1312: rate, frequency or overload. Back off and retry.
    RateLimited,
    /// 500, 502, 503, 504 and 1200, 1230, 1234: the service failed. Back off and retry.
    Server,
    /// Anything else the endpoint refused: no retry, the message is shown.
    Refused,
}

/// An error answer from the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// `None` when the error came inside a 200 stream (`event: error`, or a `data:` line
    /// holding `{"error": …}`).
    pub status: Option<u16>,
    /// The business code (a string on the wire, e.g. `"1302"`).
    pub code: Option<String>,
    /// The server's message, shortened and redacted.
    pub message: String,
    pub retry_after: Option<Duration>,
    /// Where the rejected key came from (`ZAI_API_KEY`, the `apiKey` setting), for auth errors.
    pub key_source: Option<String>,
}

impl ApiError {
    pub fn class(&self) -> ApiClass {
        classify(self.status, self.code.as_deref())
    }

    /// What a notice is de-duplicated by: the business code, else the HTTP status.
    pub fn cause(&self) -> String {
        match (&self.code, self.status) {
            (Some(code), _) => format!("code {code}"),
            (None, Some(status)) => format!("HTTP {status}"),
            (None, None) => "stream error".to_owned(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&api_words(self))
    }
}

impl GlmError {
    /// Transient failures that another attempt may fix. Never an auth, account, quota or
    /// configuration error, a timeout of the whole attempt, or a cut stream (retrying a
    /// generation pays twice).
    pub fn is_retryable(&self) -> bool {
        match self {
            GlmError::Api(api) => matches!(api.class(), ApiClass::RateLimited | ApiClass::Server),
            GlmError::Connect(_) | GlmError::Proxy { .. } | GlmError::ProviderNetwork => true,
            _ => false,
        }
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GlmError::Api(api) => api.retry_after,
            _ => None,
        }
    }

    /// The class of an API error; `None` for transport and stream failures.
    pub fn api_class(&self) -> Option<ApiClass> {
        match self {
            GlmError::Api(api) => Some(api.class()),
            _ => None,
        }
    }

    /// The business code of an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            GlmError::Api(api) => api.code.as_deref(),
            _ => None,
        }
    }

    /// What a user notice about this error is de-duplicated by: one notice per cause.
    pub fn cause(&self) -> String {
        match self {
            GlmError::MissingApiKey => "missing key".to_owned(),
            GlmError::Api(api) => api.cause(),
            GlmError::ProviderNetwork => "finish_reason network_error".to_owned(),
            GlmError::StreamCut => "stream cut".to_owned(),
            GlmError::Timeout => "timeout".to_owned(),
            GlmError::Connect(_) => "connect".to_owned(),
            GlmError::Proxy { proxy, .. } => format!("proxy {proxy}"),
            GlmError::Tls { host, .. } => format!("tls {host}"),
            GlmError::Dns(_) => "dns".to_owned(),
            GlmError::InvalidResponse(_) => "invalid response".to_owned(),
            GlmError::InvalidSettings(_) => "invalid settings".to_owned(),
            GlmError::ResponseTooLarge { endpoint, .. } => format!("response too large from {endpoint}"),
        }
    }

    /// Builds the error for a non-success HTTP status from the response body
    /// (`{"error": {"code": "1302", "message": "..."}}`, or anything else).
    pub fn from_status(status: u16, body: &str, retry_after: Option<Duration>) -> GlmError {
        let (code, message) = parse_error_body(body);
        GlmError::Api(ApiError { status: Some(status), code, message, retry_after, key_source: None })
    }

    /// Builds the error reported inside a 200 stream: the data of an `event: error`, or a
    /// chunk holding `{"error": …}`.
    pub fn from_stream(data: &str) -> GlmError {
        let (code, message) = parse_error_body(data);
        GlmError::Api(ApiError { status: None, code, message, retry_after: None, key_source: None })
    }
}

fn too_large_words(endpoint: &str, limit_bytes: u64, max_tokens: Option<u32>) -> String {
    let size = super::response::human_bytes(limit_bytes);
    match max_tokens {
        Some(max_tokens) => format!(
            "the model endpoint {endpoint} sent more than {size} for one answer without finishing it (glm-lsp's cap \
             for max_tokens {max_tokens}: {} bytes a token), so glm-lsp cut it and discarded the answer; an endpoint \
             that streams without end is broken or not a chat-completions API: check `baseUrl` (or `provider`)",
            super::response::WIRE_BYTES_PER_TOKEN
        ),
        None => format!(
            "the model endpoint {endpoint} sent a response larger than {size} (glm-lsp's cap), so glm-lsp stopped \
             reading it: check `baseUrl` (or `provider`)"
        ),
    }
}

/// The provider's error table (see `shared/glm-api.md`): business codes first, whatever the
/// status that carried them (1113 comes on a 429 and must not be retried), then the status.
pub fn classify(status: Option<u16>, code: Option<&str>) -> ApiClass {
    let number = code.and_then(|code| code.trim().parse::<u32>().ok());
    if let Some(number) = number {
        let by_code = match number {
            1000..=1005 => Some(ApiClass::Auth),
            1110..=1121 => Some(ApiClass::Account),
            1200 | 1230 | 1234 => Some(ApiClass::Server),
            1210..=1215 | 1220..=1222 => Some(ApiClass::Config),
            1261 => Some(ApiClass::PromptTooLong),
            1301 => Some(ApiClass::Blocked),
            1302 | 1303 | 1305 | 1312 => Some(ApiClass::RateLimited),
            1304 | 1308..=1321 => Some(ApiClass::Quota),
            _ => None,
        };
        if let Some(class) = by_code {
            return class;
        }
    }
    // An unknown code is treated by its status; gateways put an HTTP status in `code`.
    let status = status.or(number.filter(|n| (400..600).contains(n)).map(|n| n as u16));
    match status {
        Some(401) => ApiClass::Auth,
        Some(404 | 405) => ApiClass::Config,
        Some(429) => ApiClass::RateLimited,
        Some(500 | 502 | 503 | 504) => ApiClass::Server,
        _ => ApiClass::Refused,
    }
}

/// `(code, message)` from an error body; the raw body (shortened) when it is not JSON.
fn parse_error_body(body: &str) -> (Option<String>, String) {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
        return (None, shorten(body, 300));
    };
    let error = json.get("error").filter(|error| error.is_object()).unwrap_or(&json);
    let code = match error.get("code") {
        Some(serde_json::Value::String(code)) if !code.trim().is_empty() => Some(code.trim().to_owned()),
        Some(serde_json::Value::Number(code)) => Some(code.to_string()),
        _ => None,
    };
    let message = error
        .get("message")
        .and_then(|message| message.as_str())
        .or_else(|| json.get("error").and_then(|error| error.as_str()))
        .or_else(|| json.get("msg").and_then(|m| m.as_str()))
        .unwrap_or_default();
    (code, shorten(message, 300))
}

fn shorten(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn said(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" (server said: {message})")
    }
}

/// "HTTP 429, code 1302", "code 1302", "HTTP 500".
fn origin(api: &ApiError) -> String {
    match (api.status, &api.code) {
        (Some(status), Some(code)) => format!("HTTP {status}, code {code}"),
        (Some(status), None) => format!("HTTP {status}"),
        (None, Some(code)) => format!("code {code}, inside the stream"),
        (None, None) => "inside the stream".to_owned(),
    }
}

fn api_words(api: &ApiError) -> String {
    let origin = origin(api);
    let said = said(&api.message);
    let code = api.code.as_deref().unwrap_or_default();
    match api.class() {
        ApiClass::Auth => {
            let (key, which) = match api.key_source.as_deref() {
                Some(source) => (format!(" from {source}"), source.to_owned()),
                None => {
                    (String::new(), "GLM_API_KEY (or your provider's variable, or the `apiKey` setting)".to_owned())
                }
            };
            format!(
                "the GLM endpoint rejected the API key{key} ({origin}){said}: put a valid key for this endpoint in \
                 {which} (Coding Plan keys work only with `provider` bigmodel-coding or zai-coding, platform keys \
                 only with bigmodel or zai)"
            )
        }
        ApiClass::Account if code == "1113" => format!(
            "your GLM account balance is exhausted or has no resource package ({origin}){said}: top up the \
             account or use another key; glm-lsp does not retry"
        ),
        ApiClass::Account => format!(
            "your GLM account cannot be used right now ({origin}){said}: check the account on the provider's \
             console; glm-lsp does not retry"
        ),
        ApiClass::Quota => {
            let what = if code == "1304" {
                "the daily call limit of this GLM account is reached"
            } else {
                "a usage quota of this GLM account or Coding Plan is used up"
            };
            let resets = reset_time(&api.message)
                .map(|at| format!("; it resets at {at}"))
                .unwrap_or_else(|| "; wait until it resets".to_owned());
            format!("{what} ({origin}){said}{resets}, or use another key; glm-lsp does not retry")
        }
        ApiClass::Config => match code {
            "1211" => format!(
                "the model does not exist on this endpoint ({origin}){said}: change the `model` setting (for \
                 example glm-4.7), or `provider` if the model lives on another endpoint"
            ),
            "1220" => format!(
                "this key may not use this API or model ({origin}){said}: set `model` to one your plan \
                 includes, or change `provider`"
            ),
            "1221" | "1222" => format!(
                "this API is offline or does not exist on this endpoint ({origin}){said}: check `provider` \
                 (or `baseUrl`) and `model`"
            ),
            "" => format!(
                "the GLM endpoint has no chat-completions route here ({origin}){said}: `baseUrl` should be the \
                 part before /chat/completions, e.g. https://open.bigmodel.cn/api/paas/v4"
            ),
            _ => {
                format!("GLM rejected a request parameter ({origin}){said}: check {}", settings_named_in(&api.message))
            }
        },
        ApiClass::Blocked => {
            format!("GLM blocked the request or its answer for content safety ({origin}){said}; nothing was generated")
        }
        ApiClass::PromptTooLong => {
            format!("the prompt is too long for the model ({origin}){said}: lower `context.budgetTokens`")
        }
        ApiClass::RateLimited => match code {
            "1302" => format!(
                "too many GLM requests in flight for this account ({origin}){said}: lower `maxConcurrency` \
                 (Coding Plan tiers allow about one)"
            ),
            "1303" => format!("GLM requests are too frequent for this account ({origin}){said}: wait a moment"),
            "1305" | "1312" => format!("the GLM model is overloaded right now ({origin}){said}: try again later"),
            _ => format!("GLM is rate limiting this account ({origin}){said}: lower `maxConcurrency` or wait"),
        },
        ApiClass::Server => format!("the GLM service failed ({origin}){said}; try again later"),
        ApiClass::Refused => match api.status {
            Some(403) => {
                format!("the GLM endpoint refused this key or model ({origin}){said}: check `model` and `provider`")
            }
            _ => format!("GLM refused the request ({origin}){said}"),
        },
    }
}

/// When a quota resets, if the provider's message says (e.g. "Your limit will reset at
/// 2025-12-04 23:09:51").
pub fn reset_time(message: &str) -> Option<String> {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?: ?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?")
            .expect("a valid pattern")
    });
    pattern.find(message).map(|found| found.as_str().to_owned())
}

/// The settings that produce the request fields a parameter error names; all of them when it
/// names none.
fn settings_named_in(message: &str) -> String {
    const FIELDS: [(&str, &str); 6] = [
        ("max_tokens", "`maxTokens`, `completion.maxTokens` and `actions.maxTokens`"),
        ("temperature", "`temperature`"),
        ("top_p", "`topP`"),
        ("thinking", "`thinking` and `completion.thinking`"),
        ("model", "`model`"),
        ("messages", "`context.budgetTokens`"),
    ];
    let lower = message.to_ascii_lowercase();
    let named: Vec<&str> =
        FIELDS.iter().filter(|(field, _)| lower.contains(field)).map(|(_, settings)| *settings).collect();
    if named.is_empty() {
        "`model`, `temperature`, `topP`, `maxTokens` (and `completion.maxTokens`, `actions.maxTokens`) and `thinking`"
            .to_owned()
    } else {
        named.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> GlmError {
        GlmError::from_status(status, &format!(r#"{{"error":{{"code":"{code}","message":"m"}}}}"#), None)
    }

    /// The provider's error table, row by row.
    #[test]
    fn every_row_of_the_error_table() {
        let table: &[(u16, &str, ApiClass, bool)] = &[
            (500, "", ApiClass::Server, true),
            (401, "1000", ApiClass::Auth, false),
            (401, "1001", ApiClass::Auth, false),
            (401, "1002", ApiClass::Auth, false),
            (401, "1003", ApiClass::Auth, false),
            (401, "1004", ApiClass::Auth, false),
            (401, "1005", ApiClass::Auth, false),
            (403, "1110", ApiClass::Account, false),
            (403, "1121", ApiClass::Account, false),
            (429, "1113", ApiClass::Account, false),
            (500, "1200", ApiClass::Server, true),
            (400, "1210", ApiClass::Config, false),
            (400, "1211", ApiClass::Config, false),
            (400, "1214", ApiClass::Config, false),
            (400, "1215", ApiClass::Config, false),
            (403, "1220", ApiClass::Config, false),
            (400, "1221", ApiClass::Config, false),
            (400, "1222", ApiClass::Config, false),
            (500, "1230", ApiClass::Server, true),
            (500, "1234", ApiClass::Server, true),
            (400, "1261", ApiClass::PromptTooLong, false),
            (400, "1301", ApiClass::Blocked, false),
            (429, "1302", ApiClass::RateLimited, true),
            (429, "1303", ApiClass::RateLimited, true),
            (429, "1304", ApiClass::Quota, false),
            (429, "1305", ApiClass::RateLimited, true),
            (429, "1308", ApiClass::Quota, false),
            (429, "1310", ApiClass::Quota, false),
            (429, "1312", ApiClass::RateLimited, true),
            (429, "1321", ApiClass::Quota, false),
            // Unknown codes by their status.
            (503, "9999", ApiClass::Server, true),
            (429, "9999", ApiClass::RateLimited, true),
            (400, "9999", ApiClass::Refused, false),
            (404, "", ApiClass::Config, false),
        ];
        for &(status, code, class, retryable) in table {
            let error = if code.is_empty() { GlmError::from_status(status, "oops", None) } else { api(status, code) };
            assert_eq!(error.api_class(), Some(class), "{status} {code}");
            assert_eq!(error.is_retryable(), retryable, "{status} {code}");
        }
    }

    #[test]
    fn codes_decide_whatever_carries_them() {
        // Inside a stream there is no status: the code alone decides.
        let in_stream =
            GlmError::from_stream(r#"{"error":{"code":"1302","message":"High concurrency"},"request_id":"r"}"#);
        assert_eq!(in_stream.api_class(), Some(ApiClass::RateLimited));
        assert!(in_stream.is_retryable());
        assert!(in_stream.to_string().contains("inside the stream"), "{in_stream}");
        let balance = GlmError::from_stream(r#"{"error":{"code":"1113","message":"余额不足"}}"#);
        assert_eq!(balance.api_class(), Some(ApiClass::Account));
        // A top-level code, a numeric code, a string error.
        assert_eq!(GlmError::from_stream(r#"{"code":1305,"message":"busy"}"#).code(), Some("1305"));
        assert_eq!(
            GlmError::from_stream(r#"{"error":"boom"}"#).to_string(),
            "GLM refused the request (inside the stream) (server said: boom)"
        );
        assert_eq!(GlmError::from_stream("not json").api_class(), Some(ApiClass::Refused));
    }

    #[test]
    fn words_say_what_to_do() {
        let auth = api(401, "1001");
        assert!(auth.to_string().contains("rejected the API key"), "{auth}");
        assert!(!auth.is_retryable());
        let balance = api(429, "1113");
        assert!(balance.to_string().contains("balance is exhausted"), "{balance}");
        let model = api(400, "1211");
        assert!(model.to_string().contains("`model` setting"), "{model}");
        let field = GlmError::from_status(400, r#"{"error":{"code":"1214","message":"top_p 参数非法"}}"#, None);
        assert!(field.to_string().contains("check `topP`"), "{field}");
        let blocked = api(400, "1301");
        assert!(blocked.to_string().contains("content safety"), "{blocked}");
        let busy = api(429, "1302");
        assert!(busy.to_string().contains("maxConcurrency"), "{busy}");
        let long = api(400, "1261");
        assert!(long.to_string().contains("context.budgetTokens"), "{long}");
        let not_found = GlmError::from_status(404, "<html>nope</html>", None);
        assert!(not_found.to_string().contains("baseUrl"), "{not_found}");
    }

    #[test]
    fn quota_says_when_it_resets() {
        let quota = GlmError::from_status(
            429,
            r#"{"error":{"code":"1308","message":"Usage limit reached for 5 hour. Your limit will reset at 2025-12-04 23:09:51"}}"#,
            None,
        );
        assert!(quota.to_string().contains("it resets at 2025-12-04 23:09:51"), "{quota}");
        let daily = api(429, "1304");
        assert!(daily.to_string().contains("daily call limit"), "{daily}");
        assert!(daily.to_string().contains("wait until it resets"), "{daily}");
        assert_eq!(reset_time("将于 2026-01-02T03:04:05+08:00 重置").as_deref(), Some("2026-01-02T03:04:05+08:00"));
        assert_eq!(reset_time("no time here"), None);
    }

    #[test]
    fn causes_are_per_code() {
        assert_eq!(api(429, "1302").cause(), "code 1302");
        assert_ne!(api(429, "1302").cause(), api(429, "1113").cause());
        assert_eq!(GlmError::from_status(503, "down", None).cause(), "HTTP 503");
    }

    #[test]
    fn long_bodies_are_shortened() {
        let body = "x".repeat(5000);
        let GlmError::Api(api) = GlmError::from_status(418, &body, None) else { panic!("expected Api") };
        assert!(api.message.chars().count() <= 301);
    }
}
