//! `glm-lsp doctor`: checks the configuration, then makes one tiny request and says, in
//! plain words, what is wrong and how to fix it.

use std::fmt;
use std::time::{Duration, Instant};

use super::client::GlmClient;
use super::cost::Price;
use super::error::GlmError;
use super::retry::RetryPolicy;
use super::settings::GlmSettings;
use super::types::{ChatRequest, Message, Priority};

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// What to do when `ok` is false.
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    pub fn is_ok(&self) -> bool {
        self.checks.iter().all(|check| check.ok)
    }
}

impl fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            let mark = if check.ok { "ok  " } else { "FAIL" };
            writeln!(f, "[{mark}] {}: {}", check.name, check.detail)?;
            if let Some(fix) = &check.fix {
                writeln!(f, "       fix: {fix}")?;
            }
        }
        Ok(())
    }
}

/// Runs the checks. Never panics and never prints the key.
pub async fn doctor(settings: &GlmSettings) -> DoctorReport {
    let mut report = DoctorReport::default();

    let key_ok = match &settings.api_key {
        Some(key) if !key.is_empty() => {
            let printable = key.expose().chars().all(|ch| ch.is_ascii_graphic());
            report.checks.push(Check {
                name: "API key".into(),
                ok: printable,
                detail: if printable {
                    format!("set ({} characters)", key.expose().len())
                } else {
                    "set, but it contains spaces or non-ASCII characters".into()
                },
                fix: (!printable).then(|| "copy the key again from the provider's console".into()),
            });
            printable
        }
        _ => {
            report.checks.push(Check {
                name: "API key".into(),
                ok: false,
                detail: "not set".into(),
                fix: Some("set the GLM_API_KEY environment variable (or the `apiKey` setting)".into()),
            });
            false
        }
    };

    let url = settings.chat_url();
    let url_ok = match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            report.checks.push(Check { name: "Endpoint".into(), ok: true, detail: url.clone(), fix: None });
            true
        }
        _ => {
            report.checks.push(Check {
                name: "Endpoint".into(),
                ok: false,
                detail: format!("`{}` is not an http(s) URL", settings.base_url),
                fix: Some("set `baseUrl`, e.g. https://open.bigmodel.cn/api/paas/v4".into()),
            });
            false
        }
    };

    let model_ok = !settings.model.trim().is_empty();
    report.checks.push(Check {
        name: "Model".into(),
        ok: model_ok,
        detail: if !model_ok {
            "empty".into()
        } else if settings.price.is_some() {
            format!("{} (price from the `price` setting)", settings.model)
        } else if Price::for_model(&settings.model).is_some() {
            format!("{} (built-in price)", settings.model)
        } else {
            format!("{} (no built-in price: cost totals count tokens only)", settings.model)
        },
        fix: (!model_ok).then(|| "set `model`, e.g. glm-4.7".into()),
    });

    if !(key_ok && url_ok && model_ok) {
        report.checks.push(Check {
            name: "Request".into(),
            ok: false,
            detail: "skipped until the checks above pass".into(),
            fix: None,
        });
        return report;
    }

    let mut probe_settings = settings.clone();
    probe_settings.max_concurrency = 1;
    probe_settings.timeout = settings.timeout.min(Duration::from_secs(30));
    let client = GlmClient::with_retry_policy(probe_settings, RetryPolicy { max_retries: 0, ..RetryPolicy::default() });
    let mut request = ChatRequest::new(vec![Message::user("Reply with the single word: ok")]);
    request.thinking = Some(false);
    request.max_tokens = Some(16);
    request.priority = Priority::Interactive;
    request.label = "doctor";
    let started = Instant::now();
    let result = client.chat(request, |_| {}).await;
    let elapsed_ms = started.elapsed().as_millis();
    report.checks.push(match result {
        Ok(outcome) => Check {
            name: "Request".into(),
            ok: true,
            detail: format!(
                "{} answered in {elapsed_ms} ms (finish: {:?})",
                outcome.model.as_deref().unwrap_or(&settings.model),
                outcome.finish_reason
            ),
            fix: None,
        },
        Err(error) => request_failure(&error, settings),
    });
    report
}

fn request_failure(error: &GlmError, settings: &GlmSettings) -> Check {
    let (what, fix) = match error {
        GlmError::MissingApiKey => ("API key missing", "set GLM_API_KEY (or the `apiKey` setting)".to_owned()),
        GlmError::Unauthorized { .. } => (
            "the key was rejected (401)",
            "check GLM_API_KEY (or `apiKey`): it must be a key for this endpoint (the coding plan and the open platform use different base URLs)".to_owned(),
        ),
        GlmError::Dns(_) => ("DNS failed", "check the host name in `baseUrl`, and your DNS or proxy settings".to_owned()),
        GlmError::Tls(_) => ("TLS failed", "check that `baseUrl` uses the right scheme, and that no proxy intercepts TLS with an untrusted certificate".to_owned()),
        GlmError::Connect(_) => ("could not connect (refused or timed out)", "check `baseUrl`, the network, firewall or HTTPS_PROXY".to_owned()),
        GlmError::Timeout => ("timed out", "the endpoint accepted the connection but did not answer; try again or raise `timeout`".to_owned()),
        GlmError::Business { code, .. } if code == "1211" => (
            "model unknown (1211)",
            format!("`{}` does not exist on this endpoint: set `model` to one it serves (e.g. glm-4.7)", settings.model),
        ),
        GlmError::Business { code, .. } if code == "1113" => ("balance exhausted (1113)", "top up the account or use another key".to_owned()),
        GlmError::Http { status: 404, .. } => ("endpoint not found (404)", "`baseUrl` should be the part before /chat/completions, e.g. https://open.bigmodel.cn/api/paas/v4".to_owned()),
        GlmError::InvalidResponse(_) => ("not a chat-completions API", "check `baseUrl`".to_owned()),
        _ => ("failed", "see the message; try again later if it is a server or rate problem".to_owned()),
    };
    Check { name: "Request".into(), ok: false, detail: format!("{what}: {error}"), fix: Some(fix) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glm::ApiKey;

    #[tokio::test]
    async fn missing_key_is_reported_with_a_fix_and_no_request() {
        let report = doctor(&GlmSettings::default()).await;
        assert!(!report.is_ok());
        let text = report.to_string();
        assert!(text.contains("[FAIL] API key: not set"), "{text}");
        assert!(text.contains("GLM_API_KEY"), "{text}");
        assert!(text.contains("skipped"), "{text}");
    }

    #[tokio::test]
    async fn bad_url_and_refused_connection() {
        let settings = GlmSettings {
            api_key: Some(ApiKey::new("doctor-secret-key")),
            base_url: "not a url".into(),
            ..GlmSettings::default()
        };
        let report = doctor(&settings).await;
        assert!(report.to_string().contains("[FAIL] Endpoint"));

        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let settings = GlmSettings { base_url: format!("http://127.0.0.1:{port}"), ..settings };
        let report = doctor(&settings).await;
        let text = report.to_string();
        assert!(text.contains("could not connect"), "{text}");
        assert!(!text.contains("doctor-secret-key"), "{text}");
    }

    #[tokio::test]
    async fn unknown_host_is_a_dns_failure() {
        let settings = GlmSettings {
            api_key: Some(ApiKey::new("k")),
            // `.invalid` never resolves (RFC 6761); the lookup fails locally.
            base_url: "http://glm-lsp-doctor.invalid/v4".into(),
            connect_timeout: Duration::from_secs(3),
            ..GlmSettings::default()
        };
        let report = doctor(&settings).await;
        let text = report.to_string();
        assert!(text.contains("DNS failed"), "{text}");
    }
}
