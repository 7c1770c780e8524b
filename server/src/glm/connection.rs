//! How connections are made and why they fail: one pooled HTTP client per network setup
//! (proxy, extra CA certificates), and transport errors turned into plain words that name
//! the host, the proxy and the certificate problem.
//!
//! TLS is rustls with two sets of roots: the built-in webpki roots and the operating
//! system's store (which is where an enterprise installs its CA), plus `http.caFile`.
//! Proxies come from `http.proxy`, else `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY`, and
//! `NO_PROXY` applies to both.

use std::sync::Mutex;
use std::time::Duration;

use hyper_util::client::proxy::matcher::Matcher;

use super::error::GlmError;
use super::settings::{redact_url_password, ApiKey, HttpSettings};

/// The pooled client for this network setup. Clients are shared across the process and
/// rebuilt only when the setup changes, so connections (and their TLS sessions) are reused
/// across requests and features.
pub fn http_client(connect_timeout: Duration, http: &HttpSettings) -> Result<reqwest::Client, String> {
    type Shared = Option<((Duration, HttpSettings), reqwest::Client)>;
    static SHARED: Mutex<Shared> = Mutex::new(None);
    let key = (connect_timeout, http.clone());
    let mut shared = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((built_for, client)) = shared.as_ref() {
        if *built_for == key {
            return Ok(client.clone());
        }
    }
    let client = build(connect_timeout, http)?;
    *shared = Some((key, client.clone()));
    Ok(client)
}

fn build(connect_timeout: Duration, http: &HttpSettings) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        // The webpki roots and the operating system's store, both (the features enable both).
        .tls_built_in_root_certs(true)
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .user_agent(concat!("glm-lsp/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &http.ca_file {
        let pem = std::fs::read(path)
            .map_err(|error| format!("`http.caFile`: could not read {}: {error}", path.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|error| format!("`http.caFile`: {} is not PEM certificates: {error}", path.display()))?;
        if certificates.is_empty() {
            return Err(format!("`http.caFile`: {} holds no PEM certificate", path.display()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    if let Some(proxy) = &http.proxy {
        let proxy = reqwest::Proxy::all(proxy)
            .map_err(|error| format!("`http.proxy`: {} is not a proxy URL: {error}", redact_url_password(proxy)))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(|error| format!("could not set up the HTTP client: {}", error_chain(&error)))
}

/// The proxy a request to `url` goes through, and which setting or variable chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRoute {
    /// The proxy's URL, password redacted.
    pub proxy: String,
    pub source: &'static str,
}

/// Which proxy (if any) carries requests to `url`, decided as the HTTP client decides it.
pub fn proxy_for(url: &str, http: &HttpSettings) -> Option<ProxyRoute> {
    let uri: http::Uri = url.parse().ok()?;
    let (matcher, source) = match &http.proxy {
        Some(proxy) => {
            let no_proxy = std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")).unwrap_or_default();
            (Matcher::builder().all(proxy.clone()).no(no_proxy).build(), "`http.proxy`")
        }
        None => {
            let source = env_proxy_variable(uri.scheme_str() == Some("https"))?;
            (Matcher::from_env(), source)
        }
    };
    let intercept = matcher.intercept(&uri)?;
    Some(ProxyRoute { proxy: redact_url_password(&intercept.uri().to_string()), source })
}

/// The variable a proxy for this scheme would come from, as the client reads them.
fn env_proxy_variable(https: bool) -> Option<&'static str> {
    let candidates: &[&'static str] = if https {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    candidates.iter().copied().find(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
}

/// Turns a transport error into words a user can act on: which host, which proxy, which
/// certificate problem. The text never holds the key (reqwest does not print headers) and is
/// redacted anyway.
pub fn classify(error: &reqwest::Error, url: &str, http: &HttpSettings, api_key: &ApiKey) -> GlmError {
    let chain = api_key.redact(&error_chain(error));
    let lower = chain.to_lowercase();
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|url| {
            url.host_str().map(|host| match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        })
        .unwrap_or_else(|| url.to_owned());
    if let Some(problem) = tls_problem(error) {
        return GlmError::Tls { host, problem };
    }
    if error.is_timeout() && !error.is_connect() {
        return GlmError::Timeout;
    }
    let route = proxy_for(url, http);
    if let Some(route) = &route {
        if error.is_connect() || lower.contains("tunnel error") {
            let detail = if lower.contains("proxy authorization required") {
                "it asks for a user name and password (HTTP 407): put them in the proxy URL, \
                 http://user:password@host:port"
                    .to_owned()
            } else if lower.contains("tunnel error: unsuccessful") {
                format!("it refused to open a tunnel to {host}")
            } else if error.is_timeout() {
                "connecting to it timed out".to_owned()
            } else {
                format!("could not reach it or tunnel to {host} ({chain})")
            };
            return GlmError::Proxy { proxy: format!("{} (from {})", route.proxy, route.source), detail };
        }
    }
    if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
        || lower.contains("temporary failure in name resolution")
    {
        return GlmError::Dns(format!("{host} ({chain})"));
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return GlmError::Tls { host, problem: chain };
    }
    if error.is_builder() {
        return GlmError::InvalidSettings(chain);
    }
    if error.is_timeout() {
        return GlmError::Connect(format!("connecting to {host} timed out"));
    }
    GlmError::Connect(format!("{host}: {chain}"))
}

/// The error and its causes, joined: reqwest's own text alone says only "error sending request".
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}

/// The rustls error somewhere in the chain. `std::io::Error` hides its payload from
/// `source()`, so each io error is opened as well.
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(cause) = current {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = cause.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(tls) = rustls_error(inner) {
                return Some(tls);
            }
        }
        current = cause.source();
    }
    None
}

/// The certificate or handshake problem in plain words, with what to do about it.
fn tls_problem(error: &reqwest::Error) -> Option<String> {
    use rustls::CertificateError as Certificate;
    let tls = rustls_error(error)?;
    let words = match tls {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            Certificate::UnknownIssuer => "its certificate is signed by an authority this machine does not trust (a \
                private CA, or a proxy that inspects TLS): set `http.caFile` to that authority's certificate (PEM), \
                or add it to the operating system's certificate store"
                .to_owned(),
            Certificate::Expired | Certificate::ExpiredContext { .. } => {
                "its certificate has expired (or this machine's clock is wrong)".to_owned()
            }
            Certificate::NotValidYet | Certificate::NotValidYetContext { .. } => {
                "its certificate is not valid yet (check this machine's clock)".to_owned()
            }
            Certificate::NotValidForName => {
                "its certificate is for another host name: check `baseUrl` (or `provider`)".to_owned()
            }
            Certificate::NotValidForNameContext { presented, .. } => format!(
                "its certificate is for another host name ({}): check `baseUrl` (or `provider`)",
                presented.join(", ")
            ),
            Certificate::Revoked => "its certificate has been revoked".to_owned(),
            Certificate::InvalidPurpose | Certificate::InvalidPurposeContext { .. } => {
                "its certificate is not meant for a TLS server".to_owned()
            }
            other => format!("its certificate could not be verified ({other:?})"),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "it did not answer in TLS: if the endpoint is plain HTTP, `baseUrl` should start with http://".to_owned()
        }
        rustls::Error::AlertReceived(alert) => format!("it refused the TLS handshake (alert {alert:?})"),
        other => format!("the TLS handshake failed ({other})"),
    };
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_proxy_routes_every_host_but_no_proxy_ones() {
        let http = HttpSettings { proxy: Some("http://user:pw@127.0.0.1:3128".into()), ca_file: None };
        let route = proxy_for("https://api.z.ai/api/paas/v4/chat/completions", &http).unwrap();
        assert_eq!(route.source, "`http.proxy`");
        assert!(route.proxy.contains("127.0.0.1:3128") && !route.proxy.contains("pw"), "{route:?}");
    }

    #[test]
    fn a_bad_ca_file_is_a_clear_error() {
        let missing = HttpSettings { proxy: None, ca_file: Some("/nonexistent/ca.pem".into()) };
        let error = build(Duration::from_secs(1), &missing).unwrap_err();
        assert!(error.contains("`http.caFile`") && error.contains("/nonexistent/ca.pem"), "{error}");
        let path = std::env::temp_dir().join(format!("glm-lsp-not-pem-{}.pem", std::process::id()));
        std::fs::write(&path, "hello").unwrap();
        let not_pem = HttpSettings { proxy: None, ca_file: Some(path.clone()) };
        let error = build(Duration::from_secs(1), &not_pem).unwrap_err();
        assert!(error.contains("no PEM certificate") || error.contains("not PEM"), "{error}");
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn a_bad_proxy_url_is_a_clear_error() {
        let http = HttpSettings { proxy: Some("::not a url::".into()), ca_file: None };
        assert!(build(Duration::from_secs(1), &http).unwrap_err().contains("`http.proxy`"));
    }
}
