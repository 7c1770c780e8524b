//! The validated settings the client runs with, and the API key wrapper that keeps the key
//! out of every `Debug`, `Display` and log line.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::cost::Price;
use super::provider::Provider;

/// An API key. It prints as `***` everywhere; only the code that builds the `Authorization`
/// header calls [`ApiKey::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key, trimming the whitespace that copy-pasting from a web page tends to add.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_owned())
    }

    /// The key itself. Call it only where the `Authorization` header is built.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Replaces every occurrence of the key in `text` with `***`: a last line of defence for
    /// text that came from elsewhere (a server's error message) before it reaches a user or a log.
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How connections are made: the proxy and extra trusted certificates. The operating
/// system's certificate store and the built-in (webpki) roots are always trusted.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct HttpSettings {
    /// Every request goes through this proxy (`http.proxy`), except hosts in `NO_PROXY`.
    /// `None`: `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY` from the environment.
    pub proxy: Option<String>,
    /// A PEM file of CA certificates to trust as well (`http.caFile`), for a private CA or a
    /// TLS-inspecting proxy.
    pub ca_file: Option<PathBuf>,
}

// A proxy URL may carry a password: it never reaches a log line.
impl fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSettings")
            .field("proxy", &self.proxy.as_deref().map(redact_url_password))
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// `http://user:secret@host:3128` → `http://user:***@host:3128`.
pub fn redact_url_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Everything the client needs to talk to a GLM endpoint. Values are already validated by
/// the configuration layer; [`Default`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmSettings {
    pub api_key: Option<ApiKey>,
    /// Where the key came from (`ZAI_API_KEY`, "the `apiKey` setting"), for messages.
    pub key_source: Option<String>,
    /// The endpoint preset; `base_url` is the preset's unless `baseUrl` overrides it.
    pub provider: Provider,
    /// Without the trailing `/chat/completions`.
    pub base_url: String,
    pub model: String,
    /// Default for every request; a feature may override it per request.
    pub thinking: bool,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    /// Requests in flight at once; the rest wait in the client's queue.
    pub max_concurrency: usize,
    /// Total time for one attempt, from connecting to the end of the stream.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Price override, for models the built-in table does not know (or a negotiated price).
    pub price: Option<Price>,
    pub http: HttpSettings,
}

pub const DEFAULT_BASE_URL: &str = "https://open.bigmodel.cn/api/paas/v4";
pub const DEFAULT_MODEL: &str = "glm-4.7";

impl Default for GlmSettings {
    fn default() -> Self {
        GlmSettings {
            api_key: None,
            key_source: None,
            provider: Provider::Bigmodel,
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            thinking: true,
            temperature: None,
            top_p: None,
            max_tokens: None,
            max_concurrency: 5,
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(8),
            price: None,
            http: HttpSettings::default(),
        }
    }
}

impl GlmSettings {
    /// `{base_url}/chat/completions`, tolerating a trailing slash in the base URL.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }

    /// `{base_url}/models`, the OpenAI-compatible list of models.
    pub fn models_url(&self) -> String {
        format!("{}/models", self.base_url.trim_end_matches('/'))
    }

    /// The price per million tokens for the configured model: the override if set, else the
    /// built-in table.
    pub fn effective_price(&self) -> Option<Price> {
        self.price.or_else(|| Price::for_model(&self.model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new(" sk-unique-0123456789 ");
        assert_eq!(key.expose(), "sk-unique-0123456789");
        let settings = GlmSettings { api_key: Some(key.clone()), ..GlmSettings::default() };
        let printed = format!("{settings:?} {key} {key:?} {settings:#?}");
        assert!(!printed.contains("sk-unique"), "{printed}");
        assert!(printed.contains("***"));
    }

    #[test]
    fn proxy_passwords_never_print() {
        let http = HttpSettings { proxy: Some("http://me:hunter2@proxy.corp:3128".into()), ca_file: None };
        let printed = format!("{http:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("me:***@proxy.corp"), "{printed}");
    }

    #[test]
    fn redacts_key_in_foreign_text() {
        let key = ApiKey::new("abcd.efgh");
        assert_eq!(key.redact("bad key abcd.efgh!"), "bad key ***!");
    }

    #[test]
    fn chat_url_tolerates_trailing_slash() {
        let mut settings = GlmSettings::default();
        assert_eq!(settings.chat_url(), "https://open.bigmodel.cn/api/paas/v4/chat/completions");
        settings.base_url = "http://127.0.0.1:9/v1/".into();
        assert_eq!(settings.chat_url(), "http://127.0.0.1:9/v1/chat/completions");
    }
}
