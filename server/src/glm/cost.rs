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
    /// The built-in table: only the figures the provider notes give (a reseller's listing;
    /// `glm-4.7-flash` is listed as free). Model ids match exactly, case-insensitively:
    /// `glm-4.7-flash` is a different model and must not borrow glm-4.7's price. Models
    /// listed without a figure (`glm-4.7-flashx`, `glm-4.6`, `glm-4.5-air`) have none here:
    /// set `price` to count their cost.
    pub fn for_model(model: &str) -> Option<Price> {
        price_listing(model).and_then(|listing| listing.price)
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

/// What the provider notes say about a model's price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceListing {
    pub model: &'static str,
    /// `None`: the model is listed, but without a price.
    pub price: Option<Price>,
    pub note: &'static str,
}

/// The models the provider notes list, with the figures they give.
pub const PRICE_LISTINGS: [PriceListing; 6] = [
    PriceListing {
        model: "glm-4.7",
        price: Some(Price { input: 0.30, cached_input: 0.06, output: 1.10 }),
        note: "a reseller's listing",
    },
    PriceListing { model: "glm-4.7-flashx", price: None, note: "listed as light and fast, without a price" },
    PriceListing {
        model: "glm-4.7-flash",
        price: Some(Price { input: 0.0, cached_input: 0.0, output: 0.0 }),
        note: "listed as free",
    },
    PriceListing { model: "glm-4.6", price: None, note: "listed without a price" },
    PriceListing { model: "glm-4.5-air", price: None, note: "listed without a price" },
    PriceListing {
        model: "glm-5-turbo",
        price: Some(Price { input: 0.60, cached_input: 0.12, output: 2.00 }),
        note: "a reseller's listing",
    },
];

/// The listing for `model` (exact id, case-insensitive), if the notes list it at all.
pub fn price_listing(model: &str) -> Option<PriceListing> {
    let model = model.trim().to_ascii_lowercase();
    PRICE_LISTINGS.into_iter().find(|listing| listing.model == model)
}

/// Running totals for one model.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ModelTotals {
    pub requests: u64,
    pub prompt_tokens: u64,
    pub cached_tokens: u64,
    pub completion_tokens: u64,
    /// `None` when the model has no price (its tokens are counted, not its cost).
    pub usd: Option<f64>,
}

/// Running totals for this process, shown by `glm-lsp.status`.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// The same, per model id (as the endpoint named it).
    pub by_model: std::collections::BTreeMap<String, ModelTotals>,
}

impl SessionTotals {
    pub fn record(&mut self, model: &str, usage: &Usage, cost_usd: Option<f64>) {
        let cached = usage.cached_tokens.min(usage.prompt_tokens);
        self.requests += 1;
        self.prompt_tokens += usage.prompt_tokens;
        self.cached_tokens += cached;
        self.completion_tokens += usage.completion_tokens;
        match cost_usd {
            Some(usd) => self.usd += usd,
            None => self.unpriced_requests += 1,
        }
        let per_model = self.by_model.entry(model.to_owned()).or_default();
        per_model.requests += 1;
        per_model.prompt_tokens += usage.prompt_tokens;
        per_model.cached_tokens += cached;
        per_model.completion_tokens += usage.completion_tokens;
        per_model.usd = match (per_model.usd, cost_usd) {
            (_, None) => None,
            (None, Some(usd)) if per_model.requests == 1 => Some(usd),
            (None, Some(_)) => None,
            (Some(total), Some(usd)) => Some(total + usd),
        };
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
    fn only_listed_figures_are_prices() {
        assert_eq!(Price::for_model("glm-4.7-flash").unwrap().cost_usd(&usage(1000, 0, 1000)), 0.0);
        for unlisted in ["glm-4.7-flashx", "glm-4.6", "glm-4.5-air"] {
            assert!(price_listing(unlisted).is_some(), "{unlisted} is listed");
            assert!(Price::for_model(unlisted).is_none(), "{unlisted} has no figure to use");
        }
        assert!(Price::for_model("llama3").is_none());
        assert!(price_listing("llama3").is_none());
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
        totals.record("glm-4.7", &usage(10, 4, 5), Some(0.5));
        totals.record("glm-4.6", &usage(20, 0, 7), None);
        totals.record("glm-4.7", &usage(1, 0, 1), Some(0.25));
        assert_eq!(totals.requests, 3);
        assert_eq!(totals.prompt_tokens, 31);
        assert_eq!(totals.cached_tokens, 4);
        assert_eq!(totals.completion_tokens, 13);
        assert_eq!(totals.unpriced_requests, 1);
        assert!((totals.usd - 0.75).abs() < 1e-12);
        assert_eq!(totals.by_model["glm-4.7"].requests, 2);
        assert!((totals.by_model["glm-4.7"].usd.unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(totals.by_model["glm-4.6"].usd, None);
        assert_eq!(totals.by_model["glm-4.6"].prompt_tokens, 20);
    }
}
