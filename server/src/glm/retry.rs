//! When to try again: which failures, how long to wait, and never past the deadline.

use std::time::{Duration, Instant};

use super::error::GlmError;

/// Exponential backoff with jitter, at most `max_retries` retries after the first attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// The wait before the first retry (before jitter).
    pub base_delay: Duration,
    /// No computed wait exceeds this (a server's `Retry-After` may, up to `max_retry_after`).
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the error goes to the user.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based) when the server gave no `Retry-After`.
    /// `jitter` in `[0, 1)` picks a point in the upper half of the exponential step ("equal
    /// jitter"), so that clients that failed together do not come back together.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let step = self.base_delay.saturating_mul(1u32 << exponent).min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        step / 2 + step.mul_f64(jitter / 2.0)
    }

    /// The wait before the next attempt, or `None` when the error must go to the caller: not
    /// transient, out of retries, a `Retry-After` too long, or a wait that would end past
    /// the deadline.
    pub fn next_delay(
        &self,
        error: &GlmError,
        retries_done: u32,
        now: Instant,
        deadline: Option<Instant>,
        jitter: f64,
    ) -> Option<Duration> {
        if !error.is_retryable() || retries_done >= self.max_retries {
            return None;
        }
        let delay = match error.retry_after() {
            Some(after) if after > self.max_retry_after => return None,
            Some(after) => after,
            None => self.backoff(retries_done + 1, jitter),
        };
        if let Some(deadline) = deadline {
            if now + delay >= deadline {
                return None;
            }
        }
        Some(delay)
    }
}

/// Parses `Retry-After` in its seconds form; the HTTP-date form is not used by GLM and is
/// treated as absent (the backoff applies).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_limited(retry_after: Option<Duration>) -> GlmError {
        GlmError::from_status(429, r#"{"error":{"code":"1302","message":"busy"}}"#, retry_after)
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(2, 0.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(3, 0.999).as_millis(), 1999);
        assert_eq!(policy.backoff(30, 1.0), Duration::from_secs(8));
    }

    #[test]
    fn at_most_three_retries() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        let error = rate_limited(None);
        for done in 0..3 {
            assert!(policy.next_delay(&error, done, now, None, 0.5).is_some());
        }
        assert_eq!(policy.next_delay(&error, 3, now, None, 0.5), None);
    }

    #[test]
    fn honours_retry_after() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        let error = rate_limited(Some(Duration::from_secs(2)));
        assert_eq!(policy.next_delay(&error, 0, now, None, 0.9), Some(Duration::from_secs(2)));
        let error = rate_limited(Some(Duration::ZERO));
        assert_eq!(policy.next_delay(&error, 0, now, None, 0.9), Some(Duration::ZERO));
        let error = rate_limited(Some(Duration::from_secs(3600)));
        assert_eq!(policy.next_delay(&error, 0, now, None, 0.9), None);
    }

    #[test]
    fn never_past_the_deadline() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        let error = rate_limited(Some(Duration::from_secs(2)));
        let deadline = Some(now + Duration::from_secs(1));
        assert_eq!(policy.next_delay(&error, 0, now, deadline, 0.0), None);
        let deadline = Some(now + Duration::from_secs(3));
        assert!(policy.next_delay(&error, 0, now, deadline, 0.0).is_some());
    }

    #[test]
    fn what_is_never_retried() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        for error in [
            GlmError::from_status(401, "", None),
            GlmError::from_status(400, r#"{"error":{"code":"1211"}}"#, None),
            GlmError::from_status(429, r#"{"error":{"code":"1113"}}"#, None),
            GlmError::from_status(429, r#"{"error":{"code":"1308"}}"#, None),
            GlmError::from_status(400, r#"{"error":{"code":"1261"}}"#, None),
            GlmError::StreamCut,
            GlmError::Timeout,
            GlmError::Dns("x".into()),
            GlmError::Tls { host: "x".into(), problem: "y".into() },
            GlmError::MissingApiKey,
        ] {
            assert_eq!(policy.next_delay(&error, 0, now, None, 0.5), None, "{error:?}");
        }
        let server = GlmError::from_status(502, "", None);
        assert!(policy.next_delay(&server, 0, now, None, 0.5).is_some());
        assert!(policy.next_delay(&GlmError::ProviderNetwork, 0, now, None, 0.5).is_some());
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
