//! Typed errors, each with a `Display` in plain words that tells the user what to do.
//! No variant ever holds the API key: server text is redacted before it gets here.

use std::time::Duration;

/// Why a chat request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlmError {
    #[error("no GLM API key is configured: set the GLM_API_KEY environment variable (or the `apiKey` setting)")]
    MissingApiKey,

    #[error("the GLM API rejected the API key (HTTP 401): check that GLM_API_KEY (or the `apiKey` setting) holds a valid key for this endpoint{}", suffix(message))]
    Unauthorized { message: String },

    /// A business error that retrying cannot fix (balance, unknown model, content safety,
    /// or any code on a 400).
    #[error("{}", business_words(*status, code, message))]
    Business { status: u16, code: String, message: String },

    #[error("{}", rate_limited_words(code.as_deref(), message))]
    RateLimited { code: Option<String>, message: String, retry_after: Option<Duration> },

    #[error("the GLM server failed (HTTP {status}){}; try again later", suffix(message))]
    Server { status: u16, message: String },

    #[error("{}", http_words(*status, message))]
    Http { status: u16, message: String },

    #[error("the GLM answer stream was cut before it finished; the partial answer was discarded")]
    StreamCut,

    #[error("the GLM request timed out (check the `timeout` setting, or try again)")]
    Timeout,

    #[error("could not connect to the GLM endpoint: {0}; check `baseUrl` and your network or proxy")]
    Connect(String),

    #[error("TLS failed with the GLM endpoint: {0}; check `baseUrl` (https vs http) and any intercepting proxy's certificate")]
    Tls(String),

    #[error("could not resolve the GLM endpoint's host name: {0}; check `baseUrl` and DNS")]
    Dns(String),

    #[error("the GLM endpoint sent an answer that is not the chat-completions format: {0}; check `baseUrl`")]
    InvalidResponse(String),

    #[error("invalid GLM settings: {0}")]
    InvalidSettings(String),
}

impl GlmError {
    /// Transient failures that another attempt may fix. Never a 401, a business error, a
    /// timeout of the whole attempt, or a cut stream (retrying a generation pays twice).
    pub fn is_retryable(&self) -> bool {
        matches!(self, GlmError::RateLimited { .. } | GlmError::Server { .. } | GlmError::Connect(_))
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GlmError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds the error for a non-success HTTP status from the response body
    /// (`{"error": {"code": "1302", "message": "..."}}`, or anything else).
    pub fn from_status(status: u16, body: &str, retry_after: Option<Duration>) -> GlmError {
        let (code, message) = parse_error_body(body);
        let message = shorten(&message, 300);
        if status == 401 {
            return GlmError::Unauthorized { message };
        }
        // Codes that no retry can fix, whatever status carries them (1113 comes with 429).
        if let Some(code) = code.as_deref() {
            if matches!(code, "1113" | "1211" | "1301") {
                return GlmError::Business { status, code: code.to_owned(), message };
            }
        }
        match status {
            429 => GlmError::RateLimited { code, message, retry_after },
            500 | 502 | 503 => GlmError::Server { status, message },
            _ => match code {
                Some(code) => GlmError::Business { status, code, message },
                None => GlmError::Http { status, message },
            },
        }
    }
}

/// `(code, message)` from an error body; the raw body (shortened) when it is not JSON.
fn parse_error_body(body: &str) -> (Option<String>, String) {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
        return (None, body.trim().to_owned());
    };
    let error = json.get("error").unwrap_or(&json);
    let code = match error.get("code") {
        Some(serde_json::Value::String(code)) => Some(code.clone()),
        Some(serde_json::Value::Number(code)) => Some(code.to_string()),
        _ => None,
    };
    let message = error
        .get("message")
        .and_then(|message| message.as_str())
        .map(str::to_owned)
        .or_else(|| json.get("msg").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_default();
    (code, message)
}

fn shorten(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" (server said: {message})")
    }
}

fn business_words(status: u16, code: &str, message: &str) -> String {
    let what = match code {
        "1113" => "your GLM account balance is exhausted (code 1113): top up the account or use another key".to_owned(),
        "1211" => "the configured model does not exist on this endpoint (code 1211): check the `model` setting (for example glm-4.7) and `baseUrl`".to_owned(),
        "1301" => "GLM blocked the request or its answer for content safety (code 1301); nothing was generated".to_owned(),
        "1302" => "too many GLM requests in flight for this account (code 1302): lower `maxConcurrency`".to_owned(),
        "1303" => "GLM requests are too frequent for this account (code 1303): wait a moment".to_owned(),
        "1305" => "the GLM model is overloaded right now (code 1305): try again later".to_owned(),
        _ => format!("GLM refused the request (HTTP {status}, code {code})"),
    };
    format!("{what}{}", suffix(message))
}

fn rate_limited_words(code: Option<&str>, message: &str) -> String {
    match code {
        Some(code) => business_words(429, code, message),
        None => {
            format!("GLM is rate limiting this account (HTTP 429){}; lower `maxConcurrency` or wait", suffix(message))
        }
    }
}

fn http_words(status: u16, message: &str) -> String {
    let hint = match status {
        404 => ": check `baseUrl` (it should end before /chat/completions, e.g. https://open.bigmodel.cn/api/paas/v4)",
        403 => ": this key may not be allowed to use this model or endpoint",
        400 => ": the request was rejected",
        _ => "",
    };
    format!("the GLM endpoint answered HTTP {status}{hint}{}", suffix(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_says_what_to_do() {
        let error = GlmError::from_status(401, r#"{"error":{"code":"1000","message":"auth failed"}}"#, None);
        assert!(matches!(error, GlmError::Unauthorized { .. }));
        assert!(!error.is_retryable());
        let words = error.to_string();
        assert!(words.contains("GLM_API_KEY"), "{words}");
        assert!(words.contains("apiKey"), "{words}");
    }

    #[test]
    fn rate_limit_with_business_code_is_retryable() {
        let error = GlmError::from_status(
            429,
            r#"{"error":{"code":"1302","message":"concurrency"}}"#,
            Some(Duration::from_secs(1)),
        );
        assert!(error.is_retryable());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
        assert!(error.to_string().contains("maxConcurrency"));
    }

    #[test]
    fn balance_exhausted_is_not_retried_even_on_429() {
        let error = GlmError::from_status(429, r#"{"error":{"code":"1113","message":"余额不足"}}"#, None);
        assert!(!error.is_retryable());
        assert!(error.to_string().contains("balance"));
    }

    #[test]
    fn plain_words_for_known_codes() {
        let model = GlmError::from_status(400, r#"{"error":{"code":"1211","message":"模型不存在"}}"#, None);
        assert!(model.to_string().contains("`model` setting"));
        let safety = GlmError::from_status(400, r#"{"error":{"code":"1301"}}"#, None);
        assert!(safety.to_string().contains("content safety"));
        let overloaded = GlmError::from_status(429, r#"{"error":{"code":"1305"}}"#, None);
        assert!(overloaded.to_string().contains("overloaded"));
        assert!(overloaded.is_retryable());
    }

    #[test]
    fn unknown_codes_by_status() {
        let server = GlmError::from_status(503, r#"{"error":{"code":"9999","message":"x"}}"#, None);
        assert!(matches!(server, GlmError::Server { status: 503, .. }));
        assert!(server.is_retryable());
        let bad = GlmError::from_status(400, r#"{"error":{"code":"1214","message":"bad param"}}"#, None);
        assert!(matches!(bad, GlmError::Business { .. }));
        assert!(!bad.is_retryable());
        let not_found = GlmError::from_status(404, "<html>nope</html>", None);
        assert!(not_found.to_string().contains("baseUrl"));
    }

    #[test]
    fn long_bodies_are_shortened() {
        let body = "x".repeat(5000);
        let GlmError::Http { message, .. } = GlmError::from_status(418, &body, None) else { panic!("expected Http") };
        assert!(message.chars().count() <= 301);
    }
}
