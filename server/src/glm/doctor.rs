//! `glm-lsp doctor`: checks the configuration, then makes one tiny request and says, in
//! plain words, what is wrong and how to fix it.

use std::fmt;
use std::time::{Duration, Instant};

use super::client::GlmClient;
use super::connection::{http_client, proxy_for};
use super::cost::{price_listing, PriceListing};
use super::error::{ApiClass, GlmError};
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

/// Runs the checks. Never panics and never prints the key. The request is made only when
/// the checks before it (key, endpoint, network, model) pass.
pub async fn doctor(settings: &GlmSettings) -> DoctorReport {
    let provider = settings.provider;
    let url = settings.chat_url();
    let mut report = DoctorReport::default();
    report.checks.push(Check {
        name: "Provider".into(),
        ok: true,
        detail: format!("{} ({})", provider.id(), provider.description()),
        fix: None,
    });
    report.checks.push(key_check(settings));
    report.checks.push(endpoint_check(settings, &url));
    report.checks.push(network_check(settings, &url));
    report.checks.push(model_check(settings));
    if !report.is_ok() {
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
    if provider.has_models_route() {
        report.checks.push(models_check(&client, settings).await);
    } else {
        report.checks.push(Check {
            name: "Models".into(),
            ok: true,
            detail: format!("{} has no models route; see the provider's model list", provider.description()),
            fix: None,
        });
    }
    report.checks.push(request_check(&client, settings).await);
    report
}

/// Whether a key is set, by what, and whether it looks like one (no spaces, ASCII).
fn key_check(settings: &GlmSettings) -> Check {
    match &settings.api_key {
        Some(key) if !key.is_empty() => {
            let printable = key.expose().chars().all(|ch| ch.is_ascii_graphic());
            let source = settings.key_source.as_deref().unwrap_or("the configuration");
            Check {
                name: "API key".into(),
                ok: printable,
                detail: if printable {
                    format!("set by {source} ({} characters)", key.expose().len())
                } else {
                    format!("set by {source}, but it contains spaces or non-ASCII characters")
                },
                fix: (!printable).then(|| "copy the key again from the provider's console".into()),
            }
        }
        _ => Check {
            name: "API key".into(),
            ok: false,
            detail: "not set".into(),
            fix: Some(format!(
                "set {} in the environment (or `apiKey` in your user config or editor settings)",
                settings.provider.key_variables().join(" or ")
            )),
        },
    }
}

/// Whether the chat URL is an http(s) URL, and where it came from.
fn endpoint_check(settings: &GlmSettings, url: &str) -> Check {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            let origin = if settings.provider.base_url() == Some(settings.base_url.trim_end_matches('/')) {
                "the preset's URL"
            } else {
                "set by `baseUrl`"
            };
            Check { name: "Endpoint".into(), ok: true, detail: format!("{url} ({origin})"), fix: None }
        }
        _ => Check {
            name: "Endpoint".into(),
            ok: false,
            detail: format!("`{}` is not an http(s) URL", settings.base_url),
            fix: Some(
                "set `provider` (bigmodel, zai, …) or `baseUrl`, e.g. https://open.bigmodel.cn/api/paas/v4".into(),
            ),
        },
    }
}

/// The model, and what its tokens cost (the `price` setting, a built-in price, or none).
fn model_check(settings: &GlmSettings) -> Check {
    let model_ok = !settings.model.trim().is_empty();
    Check {
        name: "Model".into(),
        ok: model_ok,
        detail: if !model_ok {
            "empty".into()
        } else if settings.price.is_some() {
            format!("{} (price from the `price` setting)", settings.model)
        } else {
            match price_listing(&settings.model) {
                Some(PriceListing { price: Some(price), note, .. }) => format!(
                    "{} (built-in price: input {:.2}, cached input {:.2}, output {:.2} USD per million tokens; {note})",
                    settings.model, price.input, price.cached_input, price.output
                ),
                Some(PriceListing { note, .. }) => {
                    format!("{} ({note}: tokens are counted, cost is not; set `price` to count it)", settings.model)
                }
                None => format!("{} (no built-in price: tokens are counted, cost is not; set `price`)", settings.model),
            }
        },
        fix: (!model_ok).then(|| "set `model`, e.g. glm-4.7".into()),
    }
}

/// One tiny request without thinking: the endpoint, the key and the model together.
async fn request_check(client: &GlmClient, settings: &GlmSettings) -> Check {
    let mut request = ChatRequest::new(vec![Message::user("Reply with the single word: ok")]);
    request.thinking = Some(false);
    request.max_tokens = Some(16);
    request.priority = Priority::Background;
    request.label = "doctor";
    let started = Instant::now();
    let result = client.chat(request, |_| {}).await;
    let elapsed_ms = started.elapsed().as_millis();
    match result {
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
    }
}

/// How requests leave this machine: directly or through which proxy, and which roots TLS
/// trusts. Fails when the HTTP client cannot be set up (an unreadable `http.caFile`).
fn network_check(settings: &GlmSettings, url: &str) -> Check {
    let route = match proxy_for(url, &settings.http) {
        Some(route) => format!("through the proxy {} (from {})", route.proxy, route.source),
        None => "direct (no proxy applies)".to_owned(),
    };
    let roots = match &settings.http.ca_file {
        Some(path) => format!("the built-in roots, the system's store and `http.caFile` ({})", path.display()),
        None => "the built-in roots and the system's store".to_owned(),
    };
    match http_client(settings.connect_timeout, &settings.http) {
        Ok(_) => Check { name: "Network".into(), ok: true, detail: format!("{route}; TLS trusts {roots}"), fix: None },
        Err(error) => Check {
            name: "Network".into(),
            ok: false,
            detail: error,
            fix: Some("fix or remove `http.caFile` / `http.proxy`".into()),
        },
    }
}

/// The models the endpoint lists, and whether the configured one is among them.
async fn models_check(client: &GlmClient, settings: &GlmSettings) -> Check {
    let detail = match client.list_models().await {
        Ok(Some(models)) if models.is_empty() => "the endpoint lists no models".to_owned(),
        Ok(Some(models)) => {
            let listed = models.iter().any(|model| model.eq_ignore_ascii_case(&settings.model));
            let shown: Vec<&str> = models.iter().take(40).map(String::as_str).collect();
            let more = if models.len() > shown.len() {
                format!(" and {} more", models.len() - shown.len())
            } else {
                String::new()
            };
            let verdict = if listed {
                format!("{} is among them", settings.model)
            } else {
                format!("{} is not among them: check `model`", settings.model)
            };
            format!("{}{more}; {verdict}", shown.join(", "))
        }
        Ok(None) => "this endpoint has no models route".to_owned(),
        Err(error) if error.api_class().is_none() => {
            "not listed: the endpoint could not be reached (see below)".to_owned()
        }
        Err(error) => format!("could not list them: {error}"),
    };
    // Informational: the request below is what decides whether the model works.
    Check { name: "Models".into(), ok: true, detail, fix: None }
}

fn request_failure(error: &GlmError, settings: &GlmSettings) -> Check {
    let variables = settings.provider.key_variables().join(" or ");
    let (what, fix) = match error {
        GlmError::MissingApiKey => ("API key missing", format!("set {variables} (or the `apiKey` setting)")),
        GlmError::Api(api) => match api.class() {
            ApiClass::Auth => (
                "the key was rejected",
                format!(
                    "check {} — it must be a key for {} (Coding Plan and platform keys work only on their own endpoints)",
                    settings.key_source.as_deref().unwrap_or("the key"),
                    settings.provider.description()
                ),
            ),
            ApiClass::Account | ApiClass::Quota => ("the account cannot be used now", "see the message".to_owned()),
            ApiClass::Config if api.code.as_deref() == Some("1211") => (
                "model unknown (1211)",
                format!("`{}` does not exist on this endpoint: set `model` to one it serves (e.g. glm-4.7)", settings.model),
            ),
            ApiClass::Config => ("a setting must change", "see the message".to_owned()),
            _ => ("failed", "see the message; try again later if it is a server or rate problem".to_owned()),
        },
        GlmError::Dns(_) => ("DNS failed", "check the host in `baseUrl` (or `provider`), and your DNS or proxy".to_owned()),
        GlmError::Tls { .. } => ("TLS failed", "see the certificate problem; `glm-lsp doctor` again after the fix".to_owned()),
        GlmError::Proxy { .. } => ("the proxy failed", "check `http.proxy`, or HTTPS_PROXY and NO_PROXY".to_owned()),
        GlmError::Connect(_) => (
            "could not connect (refused or timed out)",
            "check `baseUrl` (or `provider`), the network, a firewall, or HTTPS_PROXY".to_owned(),
        ),
        GlmError::Timeout => ("timed out", "the endpoint accepted the connection but did not answer; try again or raise `timeoutSecs`".to_owned()),
        GlmError::InvalidResponse(_) => ("not a chat-completions API", "check `baseUrl`".to_owned()),
        GlmError::ResponseTooLarge { .. } => (
            "the answer did not end",
            "check `baseUrl` (or `provider`): the endpoint must end its answers".to_owned(),
        ),
        _ => ("failed", "see the message; try again later if it is a server or rate problem".to_owned()),
    };
    // Transport errors already say what failed, with which host or proxy.
    let detail = match error {
        GlmError::Tls { .. } | GlmError::Proxy { .. } => error.to_string(),
        _ => format!("{what}: {error}"),
    };
    Check { name: "Request".into(), ok: false, detail, fix: Some(fix) }
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
