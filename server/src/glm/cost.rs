//! What a request costs: the price table, the per-request arithmetic and the session totals.

use super::types::Usage;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    /// Prompt tokens served from the provider's context cache.
    pub cached_input: f64,
    /// Completion tokens, reasoning included.
    pub output: f64,
}

impl Price {
    /// The built-in table (reseller listing). Model ids match exactly, case-insensitively:
    /// `glm-4.7-flash` is a different (free) model and must not borrow glm-4.7's price.
    pub fn for_model(model: &str) -> Option<Price> {
        match model.trim().to_ascii_lowercase().as_str() {
            "glm-4.7" => Some(Price { input: 0.30, cached_input: 0.06, output: 1.10 }),
            "glm-5-turbo" => Some(Price { input: 0.60, cached_input: 0.12, output: 2.00 }),
            _ => None,
        }
    }

    /// Cached prompt tokens at the cached rate, the rest of the prompt at the input rate,
    /// every completion token (reasoning is part of them) at the output rate.
    pub fn cost_usd(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_tokens.min(usage.prompt_tokens);
        let fresh = usage.prompt_tokens - cached;
        (fresh as f64 * self.input + cached as f64 * self.cached_input + usage.completion_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

/// Running totals for this process, shown by `glm-lsp.status`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SessionTotals {
    /// Requests that completed with a usage report.
    pub requests: u64,
    pub prompt_tokens: u64,
    pub cached_tokens: u64,
    pub completion_tokens: u64,
    /// Sum over the requests whose model had a price.
    pub usd: f64,
    /// Requests counted in the tokens but not in `usd`, because their model has no price.
    pub unpriced_requests: u64,
}

impl SessionTotals {
    pub fn record(&mut self, usage: &Usage, cost_usd: Option<f64>) {
        self.requests += 1;
        self.prompt_tokens += usage.prompt_tokens;
        self.cached_tokens += usage.cached_tokens.min(usage.prompt_tokens);
        self.completion_tokens += usage.completion_tokens;
        match cost_usd {
            Some(usd) => self.usd += usd,
            None => self.unpriced_requests += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(prompt: u64, cached: u64, completion: u64) -> Usage {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            cached_tokens: cached,
        }
    }

    #[test]
    fn glm47_one_million_each() {
        let price = Price::for_model("GLM-4.7").unwrap();
        // 1M prompt of which 400k cached, 1M completion.
        let cost = price.cost_usd(&usage(1_000_000, 400_000, 1_000_000));
        let expected = 0.6 * 0.30 + 0.4 * 0.06 + 1.10;
        assert!((cost - expected).abs() < 1e-12, "{cost} vs {expected}");
    }

    #[test]
    fn glm5_turbo_small_request() {
        let price = Price::for_model("glm-5-turbo").unwrap();
        let cost = price.cost_usd(&usage(1200, 1000, 300));
        let expected = (200.0 * 0.60 + 1000.0 * 0.12 + 300.0 * 2.00) / 1e6;
        assert!((cost - expected).abs() < 1e-15);
    }

    #[test]
    fn unknown_models_have_no_price() {
        assert!(Price::for_model("glm-4.7-flash").is_none());
        assert!(Price::for_model("llama3").is_none());
    }

    #[test]
    fn cached_tokens_beyond_prompt_are_clamped() {
        let price = Price::for_model("glm-4.7").unwrap();
        let cost = price.cost_usd(&usage(100, 500, 0));
        assert!((cost - 100.0 * 0.06 / 1e6).abs() < 1e-15);
    }

    #[test]
    fn totals_accumulate_and_count_unpriced() {
        let mut totals = SessionTotals::default();
        totals.record(&usage(10, 4, 5), Some(0.5));
        totals.record(&usage(20, 0, 7), None);
        assert_eq!(totals.requests, 2);
        assert_eq!(totals.prompt_tokens, 30);
        assert_eq!(totals.cached_tokens, 4);
        assert_eq!(totals.completion_tokens, 12);
        assert_eq!(totals.unpriced_requests, 1);
        assert!((totals.usd - 0.5).abs() < 1e-12);
    }
}
